"""What every bill reader shares: the parsed-file container, exact money, UTC timestamps, and the vendor mapping.

Money is :class:`decimal.Decimal` from the file to the monthly sum (JSON numbers are parsed as ``Decimal``,
never as ``float``); only the monthly totals become floats. A month is the UTC calendar month of a line's
start time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from voyager_analysis.errors import located, preview

#: Largest absolute amount, in USD, accepted on one line of a bill (a typo or a corrupt file, not a bill).
MAX_LINE_USD = Decimal("1e10")
#: Token counts on one usage line above this are refused.
MAX_LINE_TOKENS = 10**16
VENDORS_YAML = "vendors.yaml"
IGNORE = "ignore"


@dataclass
class Parsed:
    """One bill file, read: monthly sums per output column, what it covers, and the Claude cost lines.

    ``totals`` maps ``(month, column)`` to an exact sum; ``coverage`` lists ``(column, start, end)`` UTC
    intervals (half-open) the file accounts for, used to detect double counting; ``ids`` holds the
    vendor's own line identifiers where it has them (Stripe transactions); ``lines`` keeps the Claude cost
    report's result lines (for the per-model breakdown); ``ignored`` counts lines left out on purpose.
    """

    path: Path
    format: str
    totals: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    coverage: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)
    ignored: int = 0

    def add(self, month: str, column: str, amount) -> None:
        self.totals[(month, column)] += amount


def parse_time(value: Any, *, path, where: str, field_name: str) -> datetime:
    """An RFC 3339 / ISO 8601 timestamp (or a date) as an aware UTC datetime; a naive one is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        raise located(path, where, f"{field_name} must be a date-time string, got {preview(repr(value))}")
    text = value.strip()
    try:
        t = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        raise located(path, where, f"{field_name} is not an ISO 8601 date-time: '{preview(text)}'") from None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def from_unix(value: Any, *, path, where: str, field_name: str) -> datetime:
    """Unix seconds (an integer, as Stripe sends them) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 32_503_680_000:
        raise located(path, where, f"{field_name} must be Unix seconds (a whole number), got {preview(repr(value))}")
    return datetime.fromtimestamp(value, tz=timezone.utc)


def month_of(t: datetime) -> str:
    return f"{t.year:04d}-{t.month:02d}"


def decimal_amount(value: Any, *, path, where: str, field_name: str, limit: Decimal = MAX_LINE_USD) -> Decimal:
    """An exact amount from a decimal string, a JSON number (already a ``Decimal``) or an int; finite and
    at most ``limit`` in absolute value."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        raise located(path, where, f"{field_name} must be a decimal number, got {preview(repr(value))}")
    try:
        if isinstance(value, str) and "_" in value:  # Decimal would read "1_000"; a bill never writes it
            raise ValueError(value)
        x = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise located(path, where, f"{field_name} must be a decimal number, got {preview(repr(value))}") from None
    if not x.is_finite():
        raise located(path, where, f"{field_name} must be a finite number, got {preview(repr(value))}")
    if abs(x) > limit:
        raise located(path, where, f"{field_name} is implausibly large ({preview(str(value))})")
    return x


def token_count(value: Any, *, path, where: str, field_name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value != int(value) \
            or not 0 <= value <= MAX_LINE_TOKENS:
        raise located(path, where, f"{field_name} must be a whole number of tokens >= 0, got {preview(repr(value))}")
    return int(value)


def load_json(text: str, path) -> Any:
    """``json.loads`` with numbers as ``Decimal`` and NaN/Infinity refused; errors name the line."""
    import json

    def refuse(name):
        raise ValueError(f"{name} is not a number in strict JSON")

    try:
        return json.loads(text, parse_float=Decimal, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise located(path, f"line {exc.lineno}", f"malformed JSON ({exc.msg})") from None
    except (ValueError, RecursionError) as exc:
        raise located(path, None, f"malformed JSON ({preview(str(exc), 60)})") from None


# --- the vendor mapping and currency table (data/assumptions/vendors.yaml) --------------------------------------

@dataclass(frozen=True)
class Vendors:
    """Provider/service -> component (or ``ignore``), and USD rates for other billing currencies."""

    providers: dict[str, Any]  # normalised provider -> component str, or {normalised service | "*": component}
    usd_per_unit: dict[str, Decimal]
    rates_as_of: str | None = None
    rates_source: str | None = None
    source: str = VENDORS_YAML

    def component(self, provider: str, service: str | None, *, path, where: str) -> str:
        entry = self.providers.get(_norm(provider))
        if isinstance(entry, dict):
            entry = entry.get(_norm(service or ""), entry.get("*"))
        if entry is None:
            raise located(path, where, f"provider '{preview(provider)}' service '{preview(service or '(none)')}' "
                                       f"maps to no cost component; add it to {self.source} (or map it to ignore)")
        return entry

    def to_usd(self, amount: Decimal, currency: Any, *, path, where: str) -> Decimal:
        code = str(currency or "").strip().upper()
        if code == "USD":
            return amount
        if code in self.usd_per_unit:
            return amount * self.usd_per_unit[code]
        raise located(path, where, f"currency '{preview(str(currency))}' is not USD and {self.source} has no USD rate "
                                   "for it (add one under currency.usd_per_unit with as_of and source)")


def _norm(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def load_vendors(path: str | Path | None = None) -> Vendors:
    """Read and check ``data/assumptions/vendors.yaml`` (or ``path``)."""
    from voyager_analysis import config
    from voyager_analysis.errors import display_path
    from voyager_analysis.files import read_yaml, require_mapping
    from voyager_analysis.metrics import COMPONENTS

    path = Path(path) if path is not None else config.ASSUMPTIONS_DIR / VENDORS_YAML
    doc = require_mapping(read_yaml(path), path, None)
    unknown = set(doc) - {"providers", "currency"}
    if unknown:
        raise located(path, None, f"unknown key '{sorted(unknown)[0]}' (expected providers, currency)")
    valid = set(COMPONENTS) | {IGNORE}

    def component(value, where):
        if value not in valid:
            raise located(path, where, f"'{preview(str(value))}' is not a component; valid: {', '.join(sorted(valid))}")
        return value

    providers: dict[str, Any] = {}
    for name, value in require_mapping(doc.get("providers") or {}, path, "providers").items():
        where = f"providers.{name}"
        if isinstance(value, dict):
            providers[_norm(name)] = {("*" if s == "*" else _norm(s)): component(c, f"{where}.{s}")
                                      for s, c in value.items()}
        else:
            providers[_norm(name)] = component(value, where)
    cur = require_mapping(doc.get("currency") or {}, path, "currency")
    rates = {}
    for code, rate in require_mapping(cur.get("usd_per_unit") or {}, path, "currency.usd_per_unit").items():
        rates[str(code).upper()] = decimal_amount(str(rate), path=path, where=f"currency.usd_per_unit.{code}",
                                                  field_name="rate")
        if rates[str(code).upper()] <= 0:
            raise located(path, f"currency.usd_per_unit.{code}", "a rate must be positive")
    if rates and not (cur.get("as_of") and cur.get("source")):
        raise located(path, "currency", "rates need as_of (their date) and source (where they come from)")
    return Vendors(providers, rates, str(cur.get("as_of")) if rates else None,
                   str(cur.get("source")) if rates else None, display_path(path))
