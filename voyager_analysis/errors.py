"""The one exception type for bad user input.

Every loader and every CLI command raises :class:`InputError` for a problem the user can fix
(a missing column, a negative count, a typo in a parameter name). Its message is a single line
naming the file, the place in it, and what is wrong; the CLI prints it as ``error: <message>``
and exits with status 2, without a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


#: Longest error message printed; a longer one (a value pasted into it) is cut with an ellipsis.
MAX_MESSAGE_CHARS = 400


class InputError(ValueError):
    """A problem with user input, described in one line (at most :data:`MAX_MESSAGE_CHARS` characters)."""

    def __init__(self, message: str):
        text = " ".join(str(message).split())
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[: MAX_MESSAGE_CHARS - 1] + "…"
        super().__init__(text)


def preview(value, n: int = 40) -> str:
    """A short printable preview of a value for an error message (never the whole of a long value)."""
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, (list, dict, tuple, set)) \
        else f"<{type(value).__name__} of {len(value)}>"
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


class ConvergenceError(RuntimeError):
    """A fit that did not converge on valid input (not the user's fault; never an :class:`InputError`)."""


class ConvergenceWarning(UserWarning):
    """A fit converged only at a parameter bound or with a poorly conditioned covariance."""


def display_path(path: str | Path) -> str:
    """A path as a person would type it: relative to the working directory, else to the repository root.

    Reports and error messages never show an absolute path from inside the repository.
    """
    from voyager_analysis import config

    import os

    p = Path(os.path.abspath(path))  # no resolve(): a symlink loop must not raise here
    for base in (Path.cwd(), config.ROOT):
        try:
            return p.relative_to(os.path.abspath(base)).as_posix()
        except (ValueError, OSError, RuntimeError):
            continue
    return str(path)


def located(path: str | Path | None, where: str | None, what: str) -> InputError:
    """Build an :class:`InputError` reading ``<file>: <where>: <what>`` (parts omitted when None)."""
    parts = [display_path(path) if path is not None else None, where, what]
    return InputError(": ".join(p for p in parts if p))


def suggest(name: str, known: Iterable[str]) -> str:
    """A ' (did you mean X?)' hint for a misspelt name, or '' when nothing is close."""
    match = difflib.get_close_matches(str(name), sorted(set(known)), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def unknown_name(kind: str, name: str, known: Iterable[str]) -> str:
    """Text for an unknown name: the nearest known one if any, else the list of valid names."""
    known = sorted(set(known))
    hint = suggest(name, known)
    if hint:
        return f"unknown {kind} '{name}'{hint}"
    return f"unknown {kind} '{name}'; valid: {', '.join(known)}"
