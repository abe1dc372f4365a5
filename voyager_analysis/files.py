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

from voyager_analysis.errors import InputError, located, suggest


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file (BOM and CRLF accepted); refuse missing, empty and unreadable files."""
    p = Path(path)
    if not p.exists():
        raise located(p, None, "file not found")
    if p.is_dir():
        raise located(p, None, "is a folder, expected a file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise located(p, None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise located(p, f"byte {exc.start}", "is not UTF-8 text; save the file as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise located(p, None, "file is empty")
    return text


#: Parsed YAML documents by their text (see :func:`read_yaml`); bounded, oldest dropped first.
_YAML_CACHE: dict[str, Any] = {}
_YAML_CACHE_MAX = 64


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file with ``yaml.safe_load``; errors name the line.

    Parsed documents are kept by their text, so the same file read again (six times in one notebook, or
    in every kernel forked from a report's zygote after :func:`preload_yaml`) is parsed once. The file is
    always read, so an edit is always seen; each call returns its own deep copy.
    """
    import copy

    text = read_text(path)
    if text not in _YAML_CACHE:
        parsed = _parse_yaml(text, path)
        if len(_YAML_CACHE) >= _YAML_CACHE_MAX:
            del _YAML_CACHE[next(iter(_YAML_CACHE))]
        _YAML_CACHE[text] = parsed
    return copy.deepcopy(_YAML_CACHE[text])


def _parse_yaml(text: str, path: str | Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise located(path, where, f"malformed YAML ({problem})") from None


def preload_yaml(folder: str | Path) -> int:
    """Parse every ``*.yaml``/``*.yml`` file under ``folder`` into :func:`read_yaml`'s cache (files that do
    not parse are skipped: the notebook that reads one reports it). Returns how many were cached."""
    n = 0
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            try:
                read_yaml(path)
                n += 1
            except InputError:
                pass
    return n


def read_csv(
    path: str | Path,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    optional_patterns: Iterable[str] = (),
):
    """Read a CSV into a DataFrame of strings-or-numbers with checked column names.

    Lines starting with ``#`` are comments. Unknown columns are errors that suggest the nearest known
    name; missing required columns are errors. Values are not converted here (see :func:`to_number`).
    """
    import csv

    import pandas as pd

    text = read_text(path)
    lines = [ln for ln in text.split("\n") if not ln.lstrip().startswith("#")]
    body = "\n".join(lines)
    if not body.strip():
        raise located(path, None, "no header row (file holds only comments)")
    rows = list(csv.reader(io.StringIO(body)))
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
        x = float(value)
    else:
        s = str(value).strip()
        if s == "":
            raise located(path, where, f"{field} is empty")
        try:
            x = float(s.replace("_", ""))
        except ValueError:
            raise located(path, where, f"{field} must be a number, got '{s}'") from None
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


__all__ = ["read_text", "read_yaml", "preload_yaml", "read_csv", "to_number", "require_mapping", "InputError"]
