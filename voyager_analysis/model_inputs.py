"""The inputs of the cost and revenue model, assembled from the project's validated files.

Every input is a :class:`~voyager_analysis.assumptions.Figure` named by the parameter of the model function
that uses it (see :data:`voyager_analysis.costs.COMPONENT_ARGS`). They come from three places:

- drivers and our own fixed/step costs: ``data/assumptions/drivers.yaml`` (ranges with a rationale);
- user-count thresholds (when Redis, Inngest, archival, read replicas, search, the ops hire start) and the
  revenue assumptions: ``roadmap.yaml`` (:data:`ROADMAP_INPUTS`, :data:`REVENUE_INPUTS`);
- prices: ``data/prices/`` (service items by name, Claude token prices of the default Haiku/Sonnet models).

:func:`base_inputs` merges them (``Project.base_inputs()`` calls it); a scenario
(:mod:`voyager_analysis.scenarios`) replaces any of them by name. Nothing here reads a file: the project
(:func:`voyager_analysis.project.load_project`) has read and validated them once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voyager_analysis.assumptions import Figure, iter_figures
from voyager_analysis.errors import InputError

#: Inputs read from roadmap.yaml: name -> (dotted path, "low" = the low end as a point | "range" = as stated).
#: Steps the roadmap lists among a phase's changes start at that phase's first user count.
ROADMAP_INPUTS: dict[str, tuple[str, str]] = {
    "neon_scale_plan_users": ("phases.phase_1.users", "low"),  # 'Upgrade Neon tier (Launch -> Scale)'
    "upstash_start_users": ("phases.phase_1.users", "low"),  # 'Add Redis caching'
    "inngest_start_users": ("phases.phase_2.users", "low"),  # 'Background job processing'
    "archival_start_users": ("phases.phase_2.users", "low"),  # 'Implement archival strategy'
    "monitoring_start_users": ("phases.phase_2.users", "low"),  # monitoring first costed in phase 2
    "first_replica_users": ("thresholds.read_replica_likely_users", "range"),  # 'Likely at: 20K-30K users'
    "read_replicas_initial": ("options.read_replicas_initial", "range"),  # 'Start with 1 replica'
    "more_replicas_users": ("milestones.m_75k_100k.users", "low"),  # 'Add more read replicas'
    "read_replicas_total": ("milestones.m_75k_100k.read_replicas_total", "range"),  # '(3-5 total)'
    "search_start_users": ("thresholds.search_upgrade_users", "range"),  # 'When to upgrade: 50K users'
    "ops_hire_users": ("team.ops_hire_milestone_users", "range"),  # 'Hire infrastructure engineer'
}
#: Revenue inputs read from roadmap.yaml: input name -> dotted path of the figure.
REVENUE_INPUTS: dict[str, str] = {
    "pro_conversion": "revenue_assumptions.pro_conversion",
    "pro_price_usd": "revenue_assumptions.pro_price",
    "max_conversion": "revenue_assumptions.max_conversion",
    "max_price_usd": "revenue_assumptions.max_price",
    "revenue_share_to_company": "revenue_assumptions.revenue_share_to_company",
}
#: Payment prices read from data/prices/services.csv (item names are also the input names).
PAYMENT_PRICES: tuple[str, ...] = ("stripe_card_percent", "stripe_card_fixed")
#: Every input of the revenue model, in order.
REVENUE_ARGS: tuple[str, ...] = (*REVENUE_INPUTS, *PAYMENT_PRICES)
#: Service price items used (names in data/prices/services.csv; also the input names).
SERVICE_PRICES: tuple[str, ...] = (
    "vercel_pro_seat", "vercel_function_invocations", "neon_compute_launch", "neon_compute_scale", "neon_storage",
    "upstash_commands", "s3_standard_storage", "s3_put_requests", "algolia_search_requests", *PAYMENT_PRICES,
)
#: Claude price inputs: name -> (role, column of the Claude price table).
CLAUDE_PRICES: dict[str, tuple[str, str]] = {
    f"{role}_{col}": (role, col) for role in ("haiku", "sonnet")
    for col in ("input_usd_per_mtok", "output_usd_per_mtok", "cache_read_multiplier")
}
CLAUDE_PRICE_UNITS = {"input_usd_per_mtok": "usd_per_mtok", "output_usd_per_mtok": "usd_per_mtok",
                      "cache_read_multiplier": "fraction"}


def driver_inputs(drivers_tree: Mapping[str, Any]) -> dict[str, Figure]:
    """The figures of the drivers tree (``project.figures("drivers")``) by leaf name (unique across groups)."""
    out: dict[str, Figure] = {}
    for fig in iter_figures(drivers_tree):
        name = fig.path.rsplit(".", 1)[-1]
        if name in out:
            raise InputError(f"drivers.yaml: {fig.path}: input name '{name}' is used twice (also at {out[name].path})")
        out[name] = fig
    return out


def roadmap_inputs(roadmap) -> dict[str, Figure]:
    """Thresholds and revenue assumptions taken from the roadmap (:data:`ROADMAP_INPUTS`, :data:`REVENUE_INPUTS`)."""
    spec = dict(ROADMAP_INPUTS)
    spec.update({name: (path, "range") for name, path in REVENUE_INPUTS.items()})
    out = {}
    for name, (path, part) in spec.items():
        f = roadmap.get(path)
        low, high = (f.low, f.low) if part == "low" else (f.low, f.high)
        where = f"roadmap.yaml {path}" + (" (low end)" if part == "low" and not f.is_point else "")
        out[name] = Figure(path=where, low=low, high=high, unit=f.unit, section=f.section, qualifier=f.qualifier,
                           note=f.note)
    return out


def price_inputs(prices) -> dict[str, Figure]:
    """The list prices used, as point figures whose ``source`` names the row and its ``as_of`` date."""
    out = {}
    for item in SERVICE_PRICES:
        p = prices.service(item)
        out[item] = Figure(path=f"prices {item}", low=p.price_usd, high=p.price_usd, unit=p.unit,
                           source=f"{p.source} (services.csv, as_of {p.as_of})")
    for name, (role, col) in CLAUDE_PRICES.items():
        model = prices.default_model(role)
        row = prices.model(model)
        x = float(row[col])
        out[name] = Figure(path=f"prices {model}.{col}", low=x, high=x, unit=CLAUDE_PRICE_UNITS[col],
                           source=f"{row.source} ({model}, claude_models.csv, as_of {row.as_of})")
    return out


def base_inputs(roadmap, prices, drivers_tree: Mapping[str, Any]) -> dict[str, Figure]:
    """Every input of the cost and revenue model as a figure: drivers, roadmap thresholds and revenue
    assumptions, list prices (in that order)."""
    return {**driver_inputs(drivers_tree), **roadmap_inputs(roadmap), **price_inputs(prices)}


def prices_as_of(inputs: Mapping[str, Figure]) -> str:
    """The distinct ``as_of`` dates of the price rows behind ``inputs`` (a scenario may replace some)."""
    dates = sorted({f.source.rsplit("as_of ", 1)[-1].rstrip(")") for f in inputs.values()
                    if f.path.startswith("prices ") and f.source and "as_of " in f.source})
    return ", ".join(dates) if dates else "n/a"


def inputs_frame(inputs: Mapping[str, Figure]):
    """The inputs as a table: name, low, high, unit, distribution, origin (file and path) and source/rationale."""
    import pandas as pd

    rows = [{"input": k, "low": f.low, "high": f.high, "unit": f.unit,
             "distribution": "point" if f.is_point else f.distribution, "mode": f.mode,
             "from": f.path, "source": f.origin} for k, f in inputs.items()]
    return pd.DataFrame(rows).set_index("input")


__all__ = ["ROADMAP_INPUTS", "REVENUE_INPUTS", "PAYMENT_PRICES", "REVENUE_ARGS", "SERVICE_PRICES", "CLAUDE_PRICES",
           "driver_inputs", "roadmap_inputs", "price_inputs", "base_inputs", "prices_as_of", "inputs_frame"]
