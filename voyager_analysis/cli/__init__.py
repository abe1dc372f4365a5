"""The ``voyager-analysis`` command line.

Each subcommand lives in its own module in this folder and defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``. Modules here import only argparse at import time;
heavy libraries are imported inside ``run`` so that ``--help`` is instant. Commands are discovered
automatically, so adding one means adding one file.

User errors (:class:`~voyager_analysis.errors.InputError`, bad options) print one line
``error: ...`` on stderr and exit 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Sequence

from voyager_analysis import __version__
from voyager_analysis.errors import InputError


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits 2, and never guesses an abbreviation."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # noqa: D102
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def _commands():
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return {name.replace("_", "-"): importlib.import_module(f"{__name__}.{name}") for name in names}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="voyager-analysis",
        description="Analysis suite for the Voyager infrastructure roadmap (0 -> 100K users).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in _commands().items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        if not p.get_default("run"):
            p.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a folder that cannot be written, a full disk: the user's to fix, in one line
        print(f"error: {_os_error_line(exc)}", file=sys.stderr)
        return 2


def _os_error_line(exc: OSError) -> str:
    from voyager_analysis.errors import InputError, display_path

    where = display_path(exc.filename) if exc.filename else "a file"
    return str(InputError(f"{where}: {exc.strerror or type(exc).__name__}"))


# --- helpers shared by the command modules -------------------------------------------------------------------

def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON (stable keys)")


def print_json(payload) -> None:
    """Print ``payload`` as strict JSON (numpy values, NaN and results objects are cleaned first)."""
    from voyager_analysis.results import to_jsonable

    print(json.dumps(to_jsonable(payload), indent=2, sort_keys=False, allow_nan=False))


def print_table(df, floatfmt: str = "{:,.4g}") -> None:
    """Print a DataFrame as a plain aligned text table."""
    import pandas as pd

    with pd.option_context("display.max_rows", 500, "display.max_columns", 50, "display.width", 200,
                           "display.max_colwidth", 80, "display.float_format", floatfmt.format):
        print(df.to_string(index=False))
