"""Safe readers for the plain input files (YAML and CSV).

Every failure becomes one :class:`~voyager_analysis.errors.InputError` line naming the file and what
is wrong. YAML is read with ``yaml.safe_load`` only. A UTF-8 byte-order mark and CRLF line endings are
accepted; any other encoding is an error.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from voyager_analysis.errors import InputError, located, preview, suggest


#: Largest input file read, in MB (metrics, assumptions, prices, scenarios). No real export of this project's
#: monthly inputs comes near it; raise it with the environment variable ``VOYAGER_MAX_INPUT_MB``.
MAX_INPUT_MB = 64.0
#: YAML limits: nesting depth and number of aliases (``*ref``) in one document. Hand-written assumption files
#: use neither much; an alias bomb or a 5,000-deep nesting is refused in one line instead of exhausting memory.
MAX_YAML_DEPTH = 40
MAX_YAML_ALIASES = 20


def max_input_bytes() -> int:
    import os

    raw = os.environ.get("VOYAGER_MAX_INPUT_MB", "")
    try:
        mb = float(raw) if raw.strip() else MAX_INPUT_MB
    except ValueError:
        raise InputError(f"VOYAGER_MAX_INPUT_MB must be a number of megabytes, got {raw[:40]!r}") from None
    if not math.isfinite(mb) or mb <= 0:
        raise InputError(f"VOYAGER_MAX_INPUT_MB must be a positive number, got {raw[:40]!r}")
    return int(mb * 1e6)


def read_input_bytes(path: str | Path) -> bytes:
    """The bytes of a regular input file, refusing what could hang or exhaust memory: a missing file, a folder,
    a FIFO, device or socket, a symlink loop, and a file over :func:`max_input_bytes`."""
    import os
    import stat

    p = Path(path)
    try:
        st = os.stat(p)  # follows symlinks; a loop raises ELOOP
    except FileNotFoundError:
        raise located(p, None, "file not found") from None
    except OSError as exc:
        raise located(p, None, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    except (RuntimeError, ValueError) as exc:  # symlink loops on some Pythons; NUL in a path
        raise located(p, None, f"cannot be read ({str(exc)[:60]})") from None
    if stat.S_ISDIR(st.st_mode):
        raise located(p, None, "is a folder, expected a file")
    if not stat.S_ISREG(st.st_mode):
        raise located(p, None, "is not a regular file (a pipe, device or socket); give a file")
    limit = max_input_bytes()
    if st.st_size > limit:
        raise located(p, None, f"is {st.st_size / 1e6:,.1f} MB, over the {limit / 1e6:g} MB input limit "
                               "(set VOYAGER_MAX_INPUT_MB to raise it)")
    try:
        with open(p, "rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise located(p, None, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise located(p, None, f"is over the {limit / 1e6:g} MB input limit (set VOYAGER_MAX_INPUT_MB to raise it)")
    return raw


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file (BOM and CRLF accepted); refuse missing, empty, unreadable and oversized files."""
    p = Path(path)
    raw = read_input_bytes(p)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise located(p, f"byte {exc.start}", "is not UTF-8 text; save the file as UTF-8") from None
    if "\x00" in text:
        raise located(p, None, "holds NUL bytes: not a text file")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise located(p, None, "file is empty")
    return text


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so a reader never
    sees half a file and a failure leaves nothing behind. OS errors (a folder in the way, a read-only or full
    disk) become one :class:`InputError` line."""
    import os
    import tempfile

    path = Path(path)
    if path.is_dir():
        raise located(path, None, "is a folder; give a file name to write")
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise located(path, None, f"cannot be written ({exc.strerror or type(exc).__name__})") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


#: Parsed YAML documents by their text (see :func:`read_yaml`); bounded, oldest dropped first.
_YAML_CACHE: dict[str, Any] = {}
_YAML_CACHE_MAX = 64


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file with ``yaml.safe_load``; errors name the line.

    Parsed documents are kept by their text, so the same file read again (several times in one notebook) is
    parsed once. The file is always read, so an edit is always seen; each call returns its own deep copy.
    """
    import copy

    text = read_text(path)
    if text not in _YAML_CACHE:
        parsed = _parse_yaml(text, path)
        if len(_YAML_CACHE) >= _YAML_CACHE_MAX:
            del _YAML_CACHE[next(iter(_YAML_CACHE))]
        _YAML_CACHE[text] = parsed
    return copy.deepcopy(_YAML_CACHE[text])


def _limited_loader():
    """``yaml.SafeLoader`` with limits on nesting depth and aliases (see :data:`MAX_YAML_DEPTH`)."""
    import yaml

    class LimitedSafeLoader(yaml.SafeLoader):
        _depth = 0
        _aliases = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_YAML_ALIASES:
                    raise _YamlLimit(f"more than {MAX_YAML_ALIASES} aliases", self.peek_event().start_mark)
            self._depth += 1
            try:
                if self._depth > MAX_YAML_DEPTH:
                    raise _YamlLimit(f"nested deeper than {MAX_YAML_DEPTH} levels", self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return LimitedSafeLoader


class _YamlLimit(Exception):
    def __init__(self, what, mark):
        super().__init__(what)
        self.what, self.mark = what, mark


def _parse_yaml(text: str, path: str | Path) -> Any:
    """``yaml.load`` with a :class:`yaml.SafeLoader` subclass that only adds limits (it is ``safe_load``)."""
    import yaml

    try:
        return yaml.load(text, Loader=_limited_loader())  # noqa: S506 - a SafeLoader subclass
    except _YamlLimit as exc:
        raise located(path, f"line {exc.mark.line + 1}", f"YAML refused: {exc.what}") from None
    except RecursionError:
        raise located(path, None, f"YAML refused: nested deeper than {MAX_YAML_DEPTH} levels") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise located(path, where, f"malformed YAML ({problem})") from None


def read_csv(
    path: str | Path,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    optional_patterns: Iterable[str] = (),
    text: str | None = None,
):
    """Read a CSV into a DataFrame of strings-or-numbers with checked column names.

    ``text``: the file's contents when the caller has already read them (:func:`read_text`), so a file is read
    once. Lines starting with ``#`` are comments. Unknown columns are errors that suggest the nearest known
    name; missing required columns are errors. Values are not converted here (see :func:`to_number`).
    """
    import csv

    import pandas as pd

    text = read_text(path) if text is None else text
    lines = [ln for ln in text.split("\n") if not ln.lstrip().startswith("#")]
    body = "\n".join(lines)
    if not body.strip():
        raise located(path, None, "no header row (file holds only comments)")
    try:
        rows = list(csv.reader(io.StringIO(body)))
    except csv.Error as exc:
        raise located(path, None, f"malformed CSV ({str(exc)[:80]})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    header = [h.strip() for h in rows[0]]
    required, optional = list(required), list(optional)
    known = required + optional
    patterns = list(optional_patterns)
    seen = set()
    for name in header:
        if name == "":
            raise located(path, "header", "has an empty column name")
        if name in seen:
            raise located(path, "header", f"column '{name}' appears twice")
        seen.add(name)
        if name not in known and not any(_matches(name, pat) for pat in patterns):
            raise located(path, "header", f"unknown column '{name}'{suggest(name, known)}")
    for name in required:
        if name not in header:
            raise located(path, "header", f"required column '{name}' is missing{suggest(name, header)}")
    for i, row in enumerate(rows[1:], start=1):
        if len(row) != len(header):
            raise located(
                path, f"row {i}", f"has {len(row)} fields but the header has {len(header)} (malformed CSV)"
            )
    data = [[cell.strip() for cell in r] for r in rows[1:]]
    if not data:
        raise located(path, None, "has a header but no data rows")
    return pd.DataFrame(data, columns=header, dtype=object)


def _matches(name: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)


def to_number(value: Any, *, path, where: str, field: str) -> float:
    """Convert one cell to a finite float, or raise an error naming file, row and field."""
    if isinstance(value, bool):
        raise located(path, where, f"{field} must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            raise located(path, where, f"{field} is too large to be a real value") from None
    else:
        s = str(value).strip()
        if s == "":
            raise located(path, where, f"{field} is empty")
        try:
            x = float(s.replace("_", ""))
        except ValueError:
            raise located(path, where, f"{field} must be a number, got '{preview(s)}'") from None
    if math.isnan(x):
        raise located(path, where, f"{field} is NaN")
    if math.isinf(x):
        raise located(path, where, f"{field} is infinite")
    return x


def require_mapping(obj: Any, path, where: str | None) -> Mapping:
    if not isinstance(obj, Mapping):
        kind = type(obj).__name__ if obj is not None else "nothing"
        raise located(path, where, f"expected a mapping of names to values, got {kind}")
    return obj


__all__ = ["read_input_bytes", "read_text", "write_text_atomic", "max_input_bytes", "read_yaml", "read_csv", "to_number", "require_mapping", "InputError"]
