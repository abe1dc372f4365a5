"""Load and validate the roadmap's figures, other ranged assumptions, and list prices.

A *figure* is one number from a source, kept as a range: ``low``, ``high`` (equal for a point),
``unit`` and where it came from (``section`` of the roadmap, or ``source``/``rationale`` for our own
assumptions). YAML files of figures are trees of mappings whose leaves are figures; any leaf mapping
with a ``unit`` key is a figure. Validation happens here, once; downstream code trusts the objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voyager_analysis import config
from voyager_analysis.errors import InputError, located, preview, suggest, unknown_name
from voyager_analysis.files import read_csv, read_yaml, require_mapping, to_number

#: Units a figure may carry, with the largest value any real service or business could have.
UNIT_LIMITS: dict[str, float] = {
    "users": 1e10,
    "subscribers": 1e10,
    "people": 1e6,
    "count": 1e9,
    "month": 600,
    "hours": 1e5,
    "seconds": 1e6,
    "ms": 1e7,
    "fraction": 1.0,
    "ratio": 1e6,
    "usd": 1e12,
    "usd_per_month": 1e10,
    "usd_per_subscriber_month": 1e5,
    "usd_per_host_month": 1e5,
    "usd_per_1000_searches": 1e4,
    "usd_per_gb_month": 1e3,
    "usd_per_hour": 1e5,
    "per_user_month": 1e9,
    "tokens": 1e8,
    "gb": 1e9,
    "gb_per_user_month": 1e4,
    "per_month": 1e3,
    # per-user drivers of the cost model (data/assumptions/drivers.yaml) and price units (scenario overrides)
    "usd_per_user_month": 1e3,
    "gb_per_user": 1e3,
    "cu": 1e3,
    "cu_per_1k_users": 1e3,
    "usd_per_mtok": 1e3,
    "usd_per_cu_hour": 1e2,
    "usd_per_1000_requests": 1e2,
    "usd_per_100k_commands": 1e2,
    "usd_per_member_month": 1e4,
    "usd_per_million_invocations": 1e3,
    "fraction_of_charge": 1.0,
    "usd_per_charge": 1e2,
    # build vs buy (data/assumptions/decisions.yaml)
    "hours_per_month": 744,
    "usd_per_connection_month": 1e3,
}
FIGURE_KEYS = {"low", "high", "unit", "section", "source", "rationale", "qualifier", "note",
               "distribution", "mode"}
QUALIFIERS = {"approx", "at_least", "greater_than"}
DISTRIBUTIONS = {"uniform", "triangular", "loguniform"}
TEXT_KEYS = {"label", "title", "document", "dated", "description"}


@dataclass(frozen=True)
class Figure:
    """One sourced number kept as a range (``low == high`` for a point value)."""

    path: str
    low: float
    high: float
    unit: str
    section: str | None = None
    source: str | None = None
    rationale: str | None = None
    qualifier: str | None = None
    note: str | None = None
    distribution: str = "uniform"
    mode: float | None = None

    @property
    def is_point(self) -> bool:
        return self.low == self.high

    @property
    def value(self) -> float:
        """The point value; an error for a range (use ``low``/``high``/``mid`` explicitly)."""
        if not self.is_point:
            raise ValueError(f"{self.path} is a range ({self.low}-{self.high}), not a point")
        return self.low

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    @property
    def origin(self) -> str:
        return self.section or self.source or self.rationale or ""


def parse_figure(obj: Mapping, *, path: Path, key: str) -> Figure:
    """Validate one figure mapping; ``key`` is its dotted path inside the file."""
    for k in obj:
        if k not in FIGURE_KEYS:
            raise located(path, key, f"unknown field '{k}'{suggest(k, FIGURE_KEYS)}")
    for k in ("low", "high", "unit"):
        if k not in obj:
            raise located(path, key, f"missing field '{k}'")
    for k in ("unit", "section", "source", "rationale", "qualifier", "note", "distribution"):
        if k in obj and obj[k] is not None and not isinstance(obj[k], str):
            raise located(path, f"{key}.{k}", f"must be text, got {type(obj[k]).__name__} {preview(obj[k])}")
    unit = obj["unit"]
    if unit not in UNIT_LIMITS:
        raise located(path, f"{key}.unit", unknown_name("unit", unit, UNIT_LIMITS))
    low = to_number(obj["low"], path=path, where=key, field="low")
    high = to_number(obj["high"], path=path, where=key, field="high")
    if low > high:
        raise located(path, key, f"low ({low:g}) is greater than high ({high:g})")
    if low < 0:
        raise located(path, key, f"low is negative ({low:g}); {unit} cannot be negative")
    limit = UNIT_LIMITS[unit]
    if high > limit:
        what = "a share must lie in 0-1" if unit == "fraction" else f"no real {unit} value exceeds {limit:g}"
        raise located(path, key, f"high ({high:g}) is out of range: {what}")
    if not any(obj.get(k) for k in ("section", "source", "rationale")):
        raise located(path, key, "needs a 'section' (roadmap heading), 'source' or 'rationale'")
    qualifier = obj.get("qualifier")
    if qualifier is not None and qualifier not in QUALIFIERS:
        raise located(path, f"{key}.qualifier", unknown_name("qualifier", qualifier, QUALIFIERS))
    distribution = obj.get("distribution", "uniform")
    if distribution not in DISTRIBUTIONS:
        raise located(path, f"{key}.distribution", unknown_name("distribution", distribution, DISTRIBUTIONS))
    mode = obj.get("mode")
    if mode is not None:
        mode = to_number(mode, path=path, where=key, field="mode")
        if not low <= mode <= high:
            raise located(path, key, f"mode ({mode:g}) lies outside low-high ({low:g}-{high:g})")
    if distribution == "triangular" and mode is None:
        raise located(path, key, "a triangular distribution needs a 'mode'")
    if distribution == "loguniform" and low <= 0:
        raise located(path, key, "a log-uniform distribution needs low > 0")
    return Figure(
        path=key, low=low, high=high, unit=unit,
        section=obj.get("section"), source=obj.get("source"), rationale=obj.get("rationale"),
        qualifier=qualifier, note=obj.get("note"), distribution=distribution, mode=mode,
    )


def parse_figure_tree(obj: Any, *, path: Path, prefix: str = "") -> dict[str, Any]:
    """Turn a nested mapping into the same nesting with :class:`Figure` leaves (text kept as str)."""
    out: dict[str, Any] = {}
    for k, v in require_mapping(obj, path, prefix or None).items():
        k = str(k)
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, Mapping) and "unit" in v:
            out[k] = parse_figure(v, path=path, key=key)
        elif isinstance(v, Mapping):
            out[k] = parse_figure_tree(v, path=path, prefix=key)
        elif k in TEXT_KEYS and isinstance(v, str):
            out[k] = v
        else:
            raise located(path, key, f"expected a figure (low, high, unit, section) or a group, got {v!r}")
    return out


def iter_figures(tree: Mapping[str, Any]) -> Iterator[Figure]:
    for v in tree.values():
        if isinstance(v, Figure):
            yield v
        elif isinstance(v, Mapping):
            yield from iter_figures(v)


def figures_frame(tree: Mapping[str, Any]):
    """All figures of a tree as a tidy DataFrame (one row per figure)."""
    import pandas as pd

    rows = [
        {"path": f.path, "low": f.low, "high": f.high, "unit": f.unit, "qualifier": f.qualifier,
         "origin": f.origin, "note": f.note}
        for f in iter_figures(tree)
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Roadmap:
    """The roadmap's figures: a tree of :class:`Figure` grouped as in ``roadmap.yaml``."""

    tree: dict[str, Any]
    meta: dict[str, str]
    path: Path

    def __getitem__(self, key: str) -> Any:
        return self.tree[key]

    def get(self, dotted: str) -> Any:
        """Look up ``"phases.phase_1.costs.claude"``; an unknown part is an error with a hint."""
        node: Any = self.tree
        done = []
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                known = node.keys() if isinstance(node, Mapping) else []
                raise located(self.path, ".".join(done) or None, unknown_name("key", part, known))
            node = node[part]
            done.append(part)
        return node

    def figures(self):
        return figures_frame(self.tree)


#: What the roadmap's figures measure, by the pattern of their dotted path: a figure that matches must carry one
#: of the units, so a valid but wrong unit (``unit: users`` on a cost) is refused. First match wins.
ROADMAP_UNITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phases.*.costs.*", ("usd_per_month",)),
    ("*.revenue.*_price", ("usd_per_subscriber_month",)),
    ("*_price", ("usd_per_subscriber_month", "usd_per_gb_month")),
    ("*.revenue.*_subscribers", ("subscribers",)),
    ("*.total", ("usd_per_month",)),
    ("*.cost", ("usd_per_month",)),
    ("*.gross", ("usd_per_month",)),
    ("*_gross", ("usd_per_month",)),
    ("*.after_share", ("usd_per_month",)),
    ("*.revenue", ("usd_per_month",)),
    ("*.margin", ("fraction",)),
    ("*_conversion", ("fraction",)),
    ("*.users", ("users",)),
    ("*_users", ("users",)),
    ("*.months", ("month",)),
)


def _check_roadmap_units(tree: Mapping[str, Any], path: Path) -> None:
    import fnmatch

    for fig in iter_figures(tree):
        for pattern, units in ROADMAP_UNITS:
            if fnmatch.fnmatchcase(fig.path, pattern):
                if fig.unit not in units:
                    raise located(path, f"{fig.path}.unit", f"'{fig.unit}' does not fit what this figure measures; "
                                                            f"expected {' or '.join(units)}")
                break


ROADMAP_GROUPS = {"phases", "milestones", "cost_projection", "claims", "revenue_assumptions",
                  "thresholds", "archival", "options", "sharding", "timeline", "team"}


def load_roadmap(path: str | Path | None = None) -> Roadmap:
    """Load ``data/assumptions/roadmap.yaml`` (or another file of the same shape)."""
    path = Path(path) if path is not None else config.ROADMAP_YAML
    raw = require_mapping(read_yaml(path), path, None)
    meta = raw.get("meta", {})
    body = {k: v for k, v in raw.items() if k != "meta"}
    for k in body:
        if k not in ROADMAP_GROUPS:
            raise located(path, None, unknown_name("group", k, ROADMAP_GROUPS | {"meta"}))
    for k in ROADMAP_GROUPS:
        if k not in body:
            raise located(path, None, f"missing group '{k}'")
    tree = parse_figure_tree(body, path=path)
    _check_roadmap_units(tree, path)
    phases = tree["phases"]
    for name, phase in phases.items():
        for need in ("users", "costs", "total"):
            if need not in phase:
                raise located(path, f"phases.{name}", f"missing '{need}'")
    return Roadmap(tree=tree, meta={str(k): str(v) for k, v in require_mapping(meta, path, "meta").items()},
                   path=path)


def load_figures(path: str | Path) -> dict[str, Any]:
    """Load any YAML file of figures (driver assumptions, scenarios' ranges) as a figure tree."""
    path = Path(path)
    return parse_figure_tree(read_yaml(path), path=path)


# --- prices -------------------------------------------------------------------------------------------------

CLAUDE_COLUMNS = ["model", "role", "status", "input_usd_per_mtok", "output_usd_per_mtok",
                  "cache_read_multiplier", "cache_write_5m_multiplier", "cache_write_1h_multiplier",
                  "batch_discount", "as_of", "source"]
SERVICE_COLUMNS = ["item", "component", "unit", "price_usd", "as_of", "source"]
CLAUDE_ROLES = {"haiku", "sonnet", "opus"}
CLAUDE_STATUSES = {"current", "older", "deprecated"}


@dataclass(frozen=True)
class Price:
    item: str
    price_usd: float
    unit: str
    as_of: str
    source: str


@dataclass(frozen=True)
class PriceBook:
    """List prices: Claude models (per million tokens) and other services, newest row per name."""

    claude: Any  # DataFrame indexed by model, newest as_of per model
    services: Any  # DataFrame indexed by item, newest as_of per item
    history: dict = field(default_factory=dict)  # all rows, for showing what changed
    paths: tuple[Path, ...] = ()

    def model(self, name: str):
        """The newest price row of a Claude model (a pandas Series with ``as_of`` and ``source``)."""
        if name not in self.claude.index:
            raise InputError(unknown_name("Claude model", name, self.claude.index))
        return self.claude.loc[name]

    def service(self, item: str) -> Price:
        if item not in self.services.index:
            raise InputError(unknown_name("price item", item, self.services.index))
        row = self.services.loc[item]
        return Price(item, float(row.price_usd), row.unit, row.as_of, row.source)

    def default_model(self, role: str) -> str:
        """The current model for a role ('haiku', 'sonnet'): the newest current row of that role."""
        rows = self.claude[(self.claude.role == role) & (self.claude.status == "current")]
        if rows.empty:
            raise InputError(f"no current Claude model with role '{role}' in the price table")
        return str(rows.sort_values("as_of").index[-1])


def _check_date(value: str, path, where: str) -> str:
    import datetime as dt

    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise located(path, where, f"as_of must be a date YYYY-MM-DD, got '{value}'") from None
    return value


def _load_price_table(path: Path, required: list[str], key: str, numeric: list[str], optional=("note",)):
    df = read_csv(path, required=required, optional=optional)
    for i, row in df.iterrows():
        where = f"row {i + 1} ({row[key] or '?'})"
        if not row[key]:
            raise located(path, where, f"{key} is empty")
        for col in numeric:
            x = to_number(row[col], path=path, where=where, field=col)
            if x < 0:
                raise located(path, where, f"{col} is negative ({x:g})")
            df.at[i, col] = x
        _check_date(row["as_of"], path, where)
        if not row["source"]:
            raise located(path, where, "source is empty; every price needs a source")
    for col in numeric:
        df[col] = df[col].astype(float)
    dup = df.duplicated([key, "as_of"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise located(path, f"row {i + 1} ({df[key].iloc[i]})", f"duplicate {key} and as_of")
    latest = df.sort_values("as_of").groupby(key, sort=False).tail(1).set_index(key)
    return df, latest.loc[[k for k in dict.fromkeys(df[key]) if k in latest.index]]


def load_prices(path: str | Path | None = None) -> PriceBook:
    """Load ``data/prices/`` (a folder with claude_models.csv and services.csv)."""
    folder = Path(path) if path is not None else config.PRICES_DIR
    if not folder.is_dir():
        raise located(folder, None, "expected the prices folder (with claude_models.csv and services.csv)")
    claude_path = folder / config.CLAUDE_PRICES_CSV.name
    service_path = folder / config.SERVICE_PRICES_CSV.name
    numeric = ["input_usd_per_mtok", "output_usd_per_mtok", "cache_read_multiplier",
               "cache_write_5m_multiplier", "cache_write_1h_multiplier", "batch_discount"]
    claude_all, claude = _load_price_table(claude_path, CLAUDE_COLUMNS, "model", numeric)
    for i, row in claude_all.iterrows():
        where = f"row {i + 1} ({row.model})"
        if row.role not in CLAUDE_ROLES:
            raise located(claude_path, where, unknown_name("role", row.role, CLAUDE_ROLES))
        if row.status not in CLAUDE_STATUSES:
            raise located(claude_path, where, unknown_name("status", row.status, CLAUDE_STATUSES))
        if not 0 <= row.batch_discount <= 1 or not 0 <= row.cache_read_multiplier <= 1:
            raise located(claude_path, where, "batch_discount and cache_read_multiplier are shares in 0-1")
        if row.input_usd_per_mtok <= 0 or row.output_usd_per_mtok <= 0:
            raise located(claude_path, where, "token prices must be positive")
        if row.input_usd_per_mtok > 1000 or row.output_usd_per_mtok > 1000:
            raise located(claude_path, where, "a price above $1000 per million tokens is not a real list price")
    services_all, services = _load_price_table(service_path, SERVICE_COLUMNS, "item", ["price_usd"])
    for i, row in services_all.iterrows():
        if row.unit.startswith("fraction") and row.price_usd > 1:
            raise located(service_path, f"row {i + 1} ({row['item']})", "a fraction must lie in 0-1")
        limit = UNIT_LIMITS.get(row.unit, 1e6)
        if row.price_usd < 0 or row.price_usd > limit:
            raise located(service_path, f"row {i + 1} ({row['item']})",
                          f"price_usd {row.price_usd:g} is out of range: no real list price in {row.unit} is "
                          f"negative or above {limit:g}")
    return PriceBook(claude=claude, services=services,
                     history={"claude": claude_all, "services": services_all},
                     paths=(claude_path, service_path))

