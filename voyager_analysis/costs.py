"""Bottom-up monthly cost per component, revenue and margin, simulated over every ranged input.

**The model.** Each component's monthly cost (USD) is a pure function of ``users`` (monthly active users),
per-user usage *drivers* and *prices*; its parameter names are the names of the inputs it uses, so
:data:`COMPONENT_ARGS` lists them. Inputs come from three places, merged by :func:`model_inputs`:

- drivers and our own fixed/step costs: ``data/assumptions/drivers.yaml`` (ranges with a rationale);
- user-count thresholds (when Redis, Inngest, archival, read replicas, search, the ops hire start) and the
  revenue assumptions: ``roadmap.yaml`` (:data:`ROADMAP_INPUTS`, :data:`voyager_analysis.revenue.REVENUE_INPUTS`);
- prices: ``data/prices/`` (service items by name, Claude token prices of the default Haiku/Sonnet models).

A scenario (:mod:`voyager_analysis.scenarios`) replaces any of them by name. Components: Vercel (seats,
invocations beyond the included quota, other usage per user), Neon (primary compute with a floor, read
replicas stepping in at the roadmap's user counts, Launch -> Scale price, hot storage), Upstash (commands),
Inngest, S3 (archived bytes + one PUT per archived conversation), search (Algolia requests, from the roadmap's
search threshold), Claude (the per-request price of :mod:`voyager_analysis.routing`), monitoring, Stripe (payment fees
of :mod:`voyager_analysis.revenue`) and, off by default, the first ops hire.

**Monte Carlo.** :func:`simulate` draws every ranged input once (``numpy.random.default_rng(seed)``, one
``(inputs x draws)`` block of uniforms turned into uniform / triangular / log-uniform values by inverse CDFs;
point values are constants) and evaluates all components for all draws with array arithmetic (no Python loop
over draws), in chunks of :data:`CHUNK` draws so memory stays flat, into a ``(draws x components)`` array. The
same seed gives the same numbers whatever the chunk size; :func:`simulate_curve` reuses one set of draws at every
user count (common random numbers, so curves are smooth). :func:`simulate_loop` is the same model written
independently as a plain per-draw Python loop, used to check the vectorised code (tests,
``benchmarks/bench_montecarlo.py``).

**Calibration.** :func:`calibration_table` puts the model's percentiles at each roadmap phase's user bounds
next to the roadmap's component ranges, with a verdict.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voyager_analysis import config, revenue
from voyager_analysis.assumptions import Figure, iter_figures, load_figures, load_prices, load_roadmap
from voyager_analysis.errors import InputError, display_path, located

DRIVERS_YAML = config.ASSUMPTIONS_DIR / "drivers.yaml"
#: Hours in an average month (8,760 / 12), for compute billed per CU-hour.
HOURS_PER_MONTH = 730.0
MAX_DRAWS = 10_000_000

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
#: Service price items used (names in data/prices/services.csv; also the input names).
SERVICE_PRICES: tuple[str, ...] = (
    "vercel_pro_seat", "vercel_function_invocations", "neon_compute_launch", "neon_compute_scale", "neon_storage",
    "upstash_commands", "s3_standard_storage", "s3_put_requests", "algolia_search_requests",
    "stripe_card_percent", "stripe_card_fixed",
)
#: Claude price inputs: name -> (role, column of the Claude price table).
CLAUDE_PRICES: dict[str, tuple[str, str]] = {
    f"{role}_{col}": (role, col) for role in ("haiku", "sonnet")
    for col in ("input_usd_per_mtok", "output_usd_per_mtok", "cache_read_multiplier")
}
CLAUDE_PRICE_UNITS = {"input_usd_per_mtok": "usd_per_mtok", "output_usd_per_mtok": "usd_per_mtok",
                      "cache_read_multiplier": "fraction"}
#: Outputs besides the components, in the order of :meth:`SimulationResult.summary`.
OUTPUTS: tuple[str, ...] = ("cost_usd", "infra_cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct",
                            "margin_after_share_pct")
#: The keys of the ``simulate --json`` document that summarise one output each.
JSON_OUTPUTS: tuple[str, ...] = ("cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct")
STATS: tuple[str, ...] = ("mean", "p5", "p50", "p95")


# --- component cost functions (USD per month; pure numpy, broadcast over draws) -------------------------------

def _from(users, threshold, cost):
    """``cost`` where ``users >= threshold``, else 0 (``threshold`` may vary by draw)."""
    return _pick(np.greater_equal(users, threshold), cost, 0.0)


def vercel_cost_usd(users, vercel_seats, vercel_pro_seat, messages_per_user_month, invocations_per_message,
                    invocations_per_user_month, vercel_included_invocations, vercel_function_invocations,
                    vercel_usage_usd_per_user_month, vercel_included_usage_usd_per_month):
    """Pro seats + function invocations beyond the included quota (price per million) + other usage per user
    beyond the plan's included usage."""
    invocations = users * (messages_per_user_month * invocations_per_message + invocations_per_user_month)
    billable = np.maximum(invocations - vercel_included_invocations, 0.0)
    usage = np.maximum(users * vercel_usage_usd_per_user_month - vercel_included_usage_usd_per_month, 0.0)
    return vercel_seats * vercel_pro_seat + billable * vercel_function_invocations / 1e6 + usage


def _pick(condition, yes, no):
    """``np.where`` that skips the copy when one condition holds for every draw."""
    condition = np.asarray(condition)
    if condition.ndim == 0:
        return yes if condition else no
    return np.where(condition, yes, no)


def read_replicas(users, first_replica_users, read_replicas_initial, more_replicas_users, read_replicas_total):
    """Number of Neon read replicas: 0, then the initial count from the first threshold, then the total."""
    return _pick(np.greater_equal(users, more_replicas_users), read_replicas_total,
                 _pick(np.greater_equal(users, first_replica_users), read_replicas_initial, 0.0))


def archived_share(users, archived_storage_share, archival_start_users):
    """Share of stored conversation bytes in S3: ``archived_storage_share`` once archival has started, else 0."""
    return _from(users, archival_start_users, archived_storage_share)


def neon_cost_usd(users, neon_min_cu, neon_cu_per_1k_users, read_replica_cu, first_replica_users,
                  read_replicas_initial, more_replicas_users, read_replicas_total, neon_scale_plan_users,
                  neon_compute_launch, neon_compute_scale, storage_gb_per_user, archived_storage_share,
                  archival_start_users, neon_storage):
    """Compute (primary with a floor + replicas) x hours x plan price per CU-hour + hot storage x price per GB."""
    primary_cu = np.maximum(neon_min_cu, neon_cu_per_1k_users * (users / 1000.0))
    replicas = read_replicas(users, first_replica_users, read_replicas_initial, more_replicas_users,
                             read_replicas_total)
    usd_per_cu_month = HOURS_PER_MONTH * _pick(np.greater_equal(users, neon_scale_plan_users), neon_compute_scale,
                                               neon_compute_launch)
    hot_share = 1.0 - archived_share(users, archived_storage_share, archival_start_users)
    return ((primary_cu + replicas * read_replica_cu) * usd_per_cu_month
            + (users * neon_storage) * storage_gb_per_user * hot_share)


def upstash_cost_usd(users, upstash_commands_per_user_month, upstash_start_users, upstash_commands):
    """Redis commands x price per 100K commands, from the user count at which Redis is added."""
    return _from(users, upstash_start_users, users * upstash_commands_per_user_month * (upstash_commands / 1e5))


def inngest_cost_usd(users, inngest_base_usd_per_month, inngest_usd_per_user_month, inngest_start_users):
    """Background jobs: a base plan plus a per-user amount, from the user count at which jobs are added."""
    return _from(users, inngest_start_users, inngest_base_usd_per_month + users * inngest_usd_per_user_month)


def s3_cost_usd(users, storage_gb_per_user, archived_storage_share, archival_start_users,
                conversations_per_user_month, s3_standard_storage, s3_put_requests):
    """Archived GB x storage price + one PUT per archived conversation (price per 1,000), once archival runs."""
    if np.ndim(archival_start_users) == 0 and users < archival_start_users:
        return 0.0
    storage = users * s3_standard_storage * storage_gb_per_user * archived_storage_share
    puts = (users * s3_put_requests / 1000.0) * conversations_per_user_month
    return _from(users, archival_start_users, storage + puts)


def search_cost_usd(users, searches_per_user_month, search_start_users, algolia_search_requests):
    """Dedicated search (Algolia, price per 1,000 requests) from the roadmap's search threshold; before it,
    Postgres full-text search costs nothing extra."""
    if np.ndim(search_start_users) == 0 and users < search_start_users:
        return 0.0
    return _from(users, search_start_users, (users * algolia_search_requests / 1000.0) * searches_per_user_month)


def claude_cost_usd(users, messages_per_user_month, input_tokens_per_message, output_tokens_per_message,
                    sonnet_share, cache_hit_rate, claude_discount, haiku_input_usd_per_mtok,
                    haiku_output_usd_per_mtok, haiku_cache_read_multiplier, sonnet_input_usd_per_mtok,
                    sonnet_output_usd_per_mtok, sonnet_cache_read_multiplier):
    """Requests (users x messages) split Haiku/Sonnet by ``sonnet_share``; input tokens read from the prompt cache
    (``cache_hit_rate``) at the cache-read multiplier, the rest (cache writes included) at the input price; less a
    negotiated discount. The same per-request price as :func:`voyager_analysis.routing.request_cost_usd` without
    its cache-write premium and batch options (a test checks the two agree)."""
    # price per million input tokens of each model: the cached share is read at the multiplier
    haiku_in = haiku_input_usd_per_mtok - cache_hit_rate * (haiku_input_usd_per_mtok * (1.0 - haiku_cache_read_multiplier))
    sonnet_in = sonnet_input_usd_per_mtok - cache_hit_rate * (sonnet_input_usd_per_mtok * (1.0 - sonnet_cache_read_multiplier))
    # the request mix: a share of requests at Sonnet prices, the rest at Haiku prices
    input_usd = haiku_in + sonnet_share * (sonnet_in - haiku_in)
    output_usd = haiku_output_usd_per_mtok + sonnet_share * (sonnet_output_usd_per_mtok - haiku_output_usd_per_mtok)
    per_request = input_tokens_per_message * input_usd + output_tokens_per_message * output_usd
    return (users * (1.0 - claude_discount) / 1e6) * messages_per_user_month * per_request


def monitoring_cost_usd(users, monitoring_base_usd_per_month, monitoring_usd_per_user_month,
                        monitoring_start_users):
    """Monitoring plans: a base plus a per-user amount, from the user count at which the roadmap costs it."""
    return _from(users, monitoring_start_users, monitoring_base_usd_per_month + users * monitoring_usd_per_user_month)


def stripe_cost_usd(users, pro_conversion, pro_price_usd, max_conversion, max_price_usd, stripe_card_percent,
                    stripe_card_fixed):
    """Payment fees (:func:`voyager_analysis.revenue.payment_fees_usd`)."""
    return revenue.payment_fees_usd(users, pro_conversion, pro_price_usd, max_conversion, max_price_usd,
                                    stripe_card_percent, stripe_card_fixed)


def ops_hire_cost_usd(users, ops_hire_usd_per_month, ops_hire_users):
    """The first infrastructure engineer (fully loaded), from the roadmap's hiring user count. Off by default."""
    return _from(users, ops_hire_users, ops_hire_usd_per_month)


COMPONENT_FUNCTIONS = {
    "vercel": vercel_cost_usd, "neon": neon_cost_usd, "upstash": upstash_cost_usd, "inngest": inngest_cost_usd,
    "s3": s3_cost_usd, "search": search_cost_usd, "claude": claude_cost_usd, "monitoring": monitoring_cost_usd,
    "stripe": stripe_cost_usd, "ops_hire": ops_hire_cost_usd,
}
#: The inputs each component uses (its function's parameters after ``users``).
COMPONENT_ARGS: dict[str, tuple[str, ...]] = {
    name: tuple(p for p in inspect.signature(fn).parameters if p != "users")
    for name, fn in COMPONENT_FUNCTIONS.items()
}
#: Components that are not infrastructure in the roadmap's sense (its totals leave them out).
NON_INFRA = ("stripe", "ops_hire")


def component_names(include_ops_hire: bool = False) -> tuple[str, ...]:
    return tuple(c for c in COMPONENT_FUNCTIONS if include_ops_hire or c != "ops_hire")


# --- inputs ----------------------------------------------------------------------------------------------------

def driver_inputs(path: str | Path | None = None) -> dict[str, Figure]:
    """The figures of ``drivers.yaml`` by leaf name (names must be unique across groups)."""
    path = Path(path) if path is not None else DRIVERS_YAML
    out: dict[str, Figure] = {}
    for fig in iter_figures(load_figures(path)):
        name = fig.path.rsplit(".", 1)[-1]
        if name in out:
            raise located(path, fig.path, f"input name '{name}' is used twice (also at {out[name].path})")
        out[name] = fig
    return out


def roadmap_inputs(roadmap) -> dict[str, Figure]:
    """Thresholds and revenue assumptions taken from the roadmap (see :data:`ROADMAP_INPUTS`)."""
    spec = dict(ROADMAP_INPUTS)
    spec.update({name: (path, "range") for name, path in revenue.REVENUE_INPUTS.items()})
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


def prices_as_of(inputs: Mapping[str, Figure]) -> str:
    """The distinct ``as_of`` dates of the price rows behind ``inputs`` (a scenario may replace some)."""
    dates = sorted({f.source.rsplit("as_of ", 1)[-1].rstrip(")") for f in inputs.values()
                    if f.path.startswith("prices ") and f.source and "as_of " in f.source})
    return ", ".join(dates) if dates else "n/a"


def model_inputs(scenario=None, *, roadmap=None, prices=None, drivers_path=None) -> dict[str, Figure]:
    """Every input of the model as a figure, with a scenario's overrides applied (see module docstring)."""
    inputs, _ = _prepare(scenario, roadmap, prices, drivers_path)
    return inputs


def _prepare(scenario, roadmap, prices, drivers_path=None):
    roadmap = roadmap if roadmap is not None else load_roadmap()
    prices = prices if prices is not None else load_prices()
    inputs = {**driver_inputs(drivers_path), **roadmap_inputs(roadmap), **price_inputs(prices)}
    needed = {a for args in COMPONENT_ARGS.values() for a in args} | set(revenue.REVENUE_ARGS)
    missing = sorted(needed - set(inputs))
    if missing:
        raise InputError(f"{display_path(drivers_path or DRIVERS_YAML)}: missing input(s) {', '.join(missing)}")
    if scenario is None:
        return inputs, None
    from voyager_analysis.scenarios import load_scenario

    scen = load_scenario(scenario, inputs=inputs)
    return scen.apply(inputs), scen


def inputs_frame(inputs: Mapping[str, Figure]):
    """The inputs as a table: name, low, high, unit, distribution, origin (file and path) and source/rationale."""
    import pandas as pd

    rows = [{"input": k, "low": f.low, "high": f.high, "unit": f.unit,
             "distribution": "point" if f.is_point else f.distribution, "mode": f.mode,
             "from": f.path, "source": f.origin} for k, f in inputs.items()]
    return pd.DataFrame(rows).set_index("input")


# --- sampling ----------------------------------------------------------------------------------------------------

def from_unit(u: np.ndarray, fig: Figure) -> np.ndarray:
    """Turn uniforms on [0, 1) into draws of ``fig`` by its inverse CDF (uniform, triangular, log-uniform).

    The arithmetic is numpy's own (``Generator.uniform`` / ``Generator.triangular``), so ``from_unit(rng.random(n))``
    equals ``rng.uniform(...)`` / ``rng.triangular(...)`` number for number. Works in place on ``u`` where it can.
    """
    a, b = fig.low, fig.high
    if fig.distribution == "loguniform":
        u *= math.log(b / a)
        np.exp(u, out=u)
        u *= a
        return u
    if fig.distribution == "triangular":
        c = fig.mode
        base = b - a
        ratio = (c - a) / base
        return np.where(u <= ratio, a + np.sqrt(u * ((c - a) * base)), b - np.sqrt(((b - c) * base) * (1.0 - u)))
    u *= b - a
    u += a
    return u


def _streams(inputs: Mapping[str, Figure], draws: int, seed: int, start: int = 0) -> dict[str, np.random.Generator]:
    """One generator per ranged input, each positioned at draw ``start`` of that input's row of the
    ``(ranged inputs x draws)`` block of uniforms of ``numpy.random.default_rng(seed)``."""
    streams = {}
    row = 0
    for name, fig in inputs.items():
        if fig.is_point:
            continue
        rng = np.random.default_rng(seed)
        rng.bit_generator.advance(row * draws + start)  # PCG64 spends one 64-bit step per double
        streams[name] = rng
        row += 1
    return streams


def _draw(inputs: Mapping[str, Figure], streams: Mapping[str, np.random.Generator], size: int,
          buffers: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The next ``size`` draws of every input (points stay floats); ``buffers`` (reused between chunks) spare
    an allocation per input."""
    out: dict[str, Any] = {}
    for name, fig in inputs.items():
        if fig.is_point:
            out[name] = float(fig.low)
        elif fig.distribution == "triangular":  # numpy's own (one double per draw, the same numbers as from_unit)
            out[name] = streams[name].triangular(fig.low, fig.mode, fig.high, size)
        elif buffers is not None:
            out[name] = from_unit(streams[name].random(size, out=buffers[name][:size]), fig)
        else:
            out[name] = from_unit(streams[name].random(size), fig)
    return out


def sample_inputs(inputs: Mapping[str, Figure], draws: int, seed: int, *, start: int = 0,
                  size: int | None = None) -> dict[str, Any]:
    """One value per draw for every ranged input (arrays); point inputs stay floats.

    All draws come from one ``numpy.random.default_rng(seed)``: ``draws`` uniforms for the first ranged input
    (in ``inputs`` order), then ``draws`` for the next, and so on (the rows of one ``(inputs x draws)`` block),
    each turned into the input's distribution by :func:`from_unit`. ``start``/``size`` return only draws
    ``start .. start+size-1``, identical to slicing the whole, by advancing the generator (so the simulation
    can work in small chunks).
    """
    size = draws - start if size is None else size
    return _draw(inputs, _streams(inputs, draws, seed, start), size)


# --- evaluation --------------------------------------------------------------------------------------------------

def evaluate(users: float, values: Mapping[str, Any], *, include_ops_hire: bool = False) -> dict[str, Any]:
    """Every component and output for input ``values`` (floats or equal-length arrays), in one pass.

    Returns ``{"components": {name: cost}, "cost_usd", "infra_cost_usd", "gross_revenue_usd",
    "net_revenue_usd", "margin_pct", "margin_after_share_pct", "payment_fees_usd"}``. ``cost_usd`` includes
    payment fees (and the ops hire when included); ``infra_cost_usd`` excludes payment fees.
    """
    comps = {c: COMPONENT_FUNCTIONS[c](users, **{a: values[a] for a in COMPONENT_ARGS[c]})
             for c in component_names(include_ops_hire) if c != "stripe"}
    infra = sum(comps.values())
    rev = revenue.evaluate(users, values)
    fees = rev["payment_fees_usd"]
    comps["stripe"] = fees
    cost = infra + fees
    return {"components": {c: comps[c] for c in component_names(include_ops_hire)}, "cost_usd": cost,
            "infra_cost_usd": infra, "gross_revenue_usd": rev["gross_revenue_usd"],
            "net_revenue_usd": rev["net_revenue_usd"], "margin_pct": revenue.margin_pct(rev["gross_revenue_usd"], cost),
            "margin_after_share_pct": revenue.margin_after_share_pct(rev["net_revenue_usd"], infra),
            "payment_fees_usd": fees}


def _one_draw(users: float, v: Mapping[str, float], include_ops_hire: bool) -> tuple[list[float], list[float]]:
    """The whole model for ONE draw in plain Python (no numpy): the reference for the vectorised code."""
    u = users
    inv = u * (v["messages_per_user_month"] * v["invocations_per_message"] + v["invocations_per_user_month"])
    vercel = (v["vercel_seats"] * v["vercel_pro_seat"]
              + max(inv - v["vercel_included_invocations"], 0.0) * v["vercel_function_invocations"] / 1e6
              + max(u * v["vercel_usage_usd_per_user_month"] - v["vercel_included_usage_usd_per_month"], 0.0))
    if u >= v["more_replicas_users"]:
        replicas = v["read_replicas_total"]
    elif u >= v["first_replica_users"]:
        replicas = v["read_replicas_initial"]
    else:
        replicas = 0.0
    archived = v["archived_storage_share"] if u >= v["archival_start_users"] else 0.0
    cu_price = v["neon_compute_scale"] if u >= v["neon_scale_plan_users"] else v["neon_compute_launch"]
    cu = max(v["neon_min_cu"], v["neon_cu_per_1k_users"] * u / 1000.0) + replicas * v["read_replica_cu"]
    neon = cu * HOURS_PER_MONTH * cu_price + u * v["storage_gb_per_user"] * (1.0 - archived) * v["neon_storage"]
    upstash = (u * v["upstash_commands_per_user_month"] * v["upstash_commands"] / 1e5
               if u >= v["upstash_start_users"] else 0.0)
    inngest = (v["inngest_base_usd_per_month"] + u * v["inngest_usd_per_user_month"]
               if u >= v["inngest_start_users"] else 0.0)
    s3 = (u * v["storage_gb_per_user"] * v["archived_storage_share"] * v["s3_standard_storage"]
          + u * v["conversations_per_user_month"] * v["s3_put_requests"] / 1000.0
          if u >= v["archival_start_users"] else 0.0)
    search = (u * v["searches_per_user_month"] * v["algolia_search_requests"] / 1000.0
              if u >= v["search_start_users"] else 0.0)
    h = v["cache_hit_rate"]
    per_request = []
    for m in ("haiku", "sonnet"):
        inp = v[f"{m}_input_usd_per_mtok"] * ((1.0 - h) + h * v[f"{m}_cache_read_multiplier"])
        per_request.append((v["input_tokens_per_message"] * inp
                            + v["output_tokens_per_message"] * v[f"{m}_output_usd_per_mtok"]) / 1e6)
    s = v["sonnet_share"]
    claude = (u * v["messages_per_user_month"] * ((1.0 - s) * per_request[0] + s * per_request[1])
              * (1.0 - v["claude_discount"]))
    monitoring = (v["monitoring_base_usd_per_month"] + u * v["monitoring_usd_per_user_month"]
                  if u >= v["monitoring_start_users"] else 0.0)
    pro_subs = u * v["pro_conversion"]
    max_subs = u * v["max_conversion"]
    gross = pro_subs * v["pro_price_usd"] + max_subs * v["max_price_usd"]
    stripe = v["stripe_card_percent"] * gross + v["stripe_card_fixed"] * (pro_subs + max_subs)
    comps = [vercel, neon, upstash, inngest, s3, search, claude, monitoring, stripe]
    if include_ops_hire:
        comps.append(v["ops_hire_usd_per_month"] if u >= v["ops_hire_users"] else 0.0)
    infra = sum(comps) - stripe
    cost = infra + stripe
    net = gross * v["revenue_share_to_company"] - stripe
    margin = 100.0 * (gross - cost) / gross if gross > 0 else math.nan
    margin_after = 100.0 * (net - infra) / net if net > 0 else math.nan
    return comps, [cost, infra, gross, net, margin, margin_after]


# --- results -----------------------------------------------------------------------------------------------------

PERCENTILES = (5.0, 50.0, 95.0)


def percentiles(x: np.ndarray, qs: Sequence[float] = PERCENTILES) -> np.ndarray:
    """Exactly ``np.percentile(x, qs)`` (linear interpolation) for NaN-free ``x``, faster on large arrays.

    For each percentile, a sorted strided subsample brackets the two order statistics needed; only the draws
    between the brackets are partitioned. If a bracket misses (it cannot, short of a pathological order of
    draws) the full partition is used, so the result is always exact.
    """
    n = x.size
    if n < 200_000:
        return np.percentile(x, qs)
    stride = n // 8192
    sample = np.sort(x[::stride])
    m = sample.size
    out = np.empty(len(qs))
    for i, q in enumerate(qs):
        f = q / 100.0
        h = (n - 1) * f  # numpy's virtual index for the 'linear' method
        lo = min(int(math.floor(h)), n - 1)
        hi = min(lo + 1, n - 1)
        centre = int(round(q / 100.0 * (m - 1)))
        width = int(8 * math.sqrt(m * max(q * (100.0 - q), 100.0)) / 100.0) + 8
        a = sample[centre - width] if centre - width >= 0 else -np.inf
        b = sample[centre + width] if centre + width < m else np.inf
        below = int(np.count_nonzero(x < a))
        window = x[(x >= a) & (x <= b)]
        if below <= lo and hi < below + window.size:
            part = np.partition(window, [lo - below, hi - below])
            xl, xh = part[lo - below], part[hi - below]
        else:
            part = np.partition(x, [lo, hi])
            xl, xh = part[lo], part[hi]
        gamma = h - math.floor(h)
        diff = xh - xl
        out[i] = xh - diff * (1.0 - gamma) if gamma >= 0.5 else xl + diff * gamma  # as numpy's _lerp
    return out


def _stats(x: np.ndarray) -> np.ndarray:
    """mean, p5, p50, p95 of one column of draws (NaN draws ignored; all NaN -> NaN; linear percentiles).

    A constant column (e.g. revenue with point inputs) skips the percentile selection."""
    lo, hi = np.min(x), np.max(x)
    if lo == hi:
        return np.full(4, lo, dtype=float)
    if np.isnan(lo) or np.isnan(hi):
        x = x[~np.isnan(x)]
        if not x.size:
            return np.full(4, np.nan)
    return np.array([x.mean(), *percentiles(x)])


def _number(x: float):
    if x is None or not np.isfinite(x):
        return None
    return float(x)


@dataclass
class SimulationResult:
    """Monte Carlo draws of cost, revenue and margin at one user count.

    ``components`` is a ``(draws x components)`` array (USD/month, columns :attr:`component_names`);
    ``outputs`` maps each name in :data:`OUTPUTS` to an array of length ``draws``; :attr:`values` gives the
    sampled inputs (arrays for ranged inputs, floats for points; regenerated from the seed when asked for).
    """

    users: float
    draws: int
    seed: int
    scenario: str
    inputs: dict[str, Figure]
    component_names: tuple[str, ...]
    components: np.ndarray
    outputs: dict[str, np.ndarray]
    _stats: dict = field(default_factory=dict, repr=False)
    _values: dict | None = field(default=None, repr=False)

    @property
    def values(self) -> dict[str, Any]:
        """The sampled inputs of every draw (the same numbers the simulation used)."""
        if self._values is None:
            self._values = sample_inputs(self.inputs, self.draws, self.seed)
        return self._values

    @property
    def ranged_inputs(self) -> list[str]:
        return [k for k, f in self.inputs.items() if not f.is_point]

    @property
    def prices_as_of(self) -> str:
        return prices_as_of(self.inputs)

    def column(self, name: str) -> np.ndarray:
        """The draws of one output (:data:`OUTPUTS`) or component."""
        if name in self.outputs:
            return self.outputs[name]
        if name in self.component_names:
            return self.components[:, self.component_names.index(name)]
        from voyager_analysis.errors import unknown_name

        raise InputError(unknown_name("output", name, [*self.outputs, *self.component_names]))

    def stats(self, name: str) -> dict[str, float]:
        """``{"mean", "p5", "p50", "p95"}`` of one output or component (computed once, then cached)."""
        if name not in self._stats:
            self._stats[name] = dict(zip(STATS, _stats(self.column(name)).tolist()))
        return self._stats[name]

    def summary(self):
        """DataFrame indexed by output (:data:`OUTPUTS`, then each component) with mean, p5, p50, p95."""
        import pandas as pd

        names = [*OUTPUTS, *self.component_names]
        return pd.DataFrame([self.stats(n) for n in names], index=pd.Index(names, name="output"),
                            columns=list(STATS))

    def to_dict(self) -> dict:
        """The ``voyager-analysis simulate --json`` document (NaN statistics become null)."""
        stat = lambda name: {k: _number(v) for k, v in self.stats(name).items()}  # noqa: E731
        users = int(self.users) if float(self.users).is_integer() else float(self.users)
        return {"users": users, "draws": self.draws, "seed": self.seed,
                **{name: stat(name) for name in JSON_OUTPUTS},
                "components": {c: stat(c) for c in self.component_names}}

    def draws_frame(self):
        """One row per draw: the ranged inputs, each component, then the outputs (cost, revenue, margin)."""
        import pandas as pd

        data = {k: self.values[k] for k in self.ranged_inputs}
        data.update({c: self.components[:, j] for j, c in enumerate(self.component_names)})
        data.update(self.outputs)
        return pd.DataFrame(data)

    def source_note(self) -> str:
        return source_note(self.scenario, self.draws, self.seed, self.inputs)

    def __str__(self) -> str:
        s = self.summary()
        lines = [f"users {self.users:,.0f}: {self.draws:,} draws, seed {self.seed}, scenario {self.scenario}, "
                 f"prices as_of {self.prices_as_of}",
                 f"{'output':<24}{'mean':>14}{'p5':>14}{'p50':>14}{'p95':>14}"]
        for name, row in s.iterrows():
            lines.append(f"{name:<24}" + "".join(f"{x:>14,.2f}" for x in row))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (f"<p><b>Simulation at {self.users:,.0f} users</b>: {self.draws:,} draws, seed {self.seed}, "
                f"scenario <code>{self.scenario}</code>, prices as_of {self.prices_as_of}. "
                "USD/month; margins in percent.</p>")
        return head + self.summary().to_html(float_format=lambda x: f"{x:,.2f}")


def source_note(scenario: str, draws: int, seed: int, inputs: Mapping[str, Figure]) -> str:
    """The 'which inputs produced this' line put under tables and figures."""
    return (f"Inputs: scenario '{scenario}'; drivers {display_path(DRIVERS_YAML)}; thresholds and revenue "
            f"assumptions roadmap.yaml; list prices data/prices as_of {prices_as_of(inputs)}; "
            f"{draws:,} Monte Carlo draws, seed {seed}.")


# --- simulation --------------------------------------------------------------------------------------------------

def _check(users, draws, seed) -> tuple[float, int, int]:
    try:
        u = float(users)
    except (TypeError, ValueError):
        raise InputError(f"users must be a number, got {users!r}") from None
    if not math.isfinite(u) or u < 0:
        raise InputError(f"users must be a finite number >= 0, got {users}")
    if isinstance(draws, bool) or int(draws) != draws or not 1 <= draws <= MAX_DRAWS:
        raise InputError(f"draws must be a whole number from 1 to {MAX_DRAWS:,}, got {draws}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed}")
    return u, int(draws), int(seed)


def _scenario_name(scen) -> str:
    return scen.name if scen is not None else "base"


#: Draws evaluated at a time: small arrays stay in cache and memory use stays flat at any number of draws.
CHUNK = 1 << 14


def _used_inputs(ops: bool) -> set[str]:
    """The inputs the components and revenue read (the ops-hire inputs only when that line is on)."""
    return {a for c in component_names(ops) for a in COMPONENT_ARGS[c]} | set(revenue.REVENUE_ARGS)


def _run(users_list: Sequence[float], draws: int, seed: int, scen, inputs, ops: bool
         ) -> dict[float, SimulationResult]:
    """The vectorised simulation at several user counts on one set of draws, chunk by chunk.

    Inputs nobody reads (the ops-hire line when it is off) are not drawn; every input has its own position in
    the generator's stream, so the others' draws do not change."""
    names = component_names(ops)
    store = {u: (np.empty((draws, len(names)), order="F"), {k: np.empty(draws) for k in OUTPUTS})
             for u in users_list}
    used = _used_inputs(ops)
    active = {k: f for k, f in inputs.items() if k in used}
    streams = {k: g for k, g in _streams(inputs, draws, seed).items() if k in used}
    buffers = {name: np.empty(min(CHUNK, draws)) for name in streams}
    for start in range(0, draws, CHUNK):  # chunks of draws, each evaluated in one vectorised pass
        size = min(CHUNK, draws - start)
        values = _draw(active, streams, size, buffers)
        for u in users_list:
            out = evaluate(u, values, include_ops_hire=ops)
            comps, outputs = store[u]
            for j, c in enumerate(names):
                comps[start:start + size, j] = out["components"][c]
            for k in OUTPUTS:
                outputs[k][start:start + size] = out[k]
    return {u: SimulationResult(users=u, draws=draws, seed=seed, scenario=_scenario_name(scen), inputs=inputs,
                                component_names=names, components=comps, outputs=outputs)
            for u, (comps, outputs) in store.items()}


def _include_ops_hire(scen, include_ops_hire):
    if include_ops_hire is not None:
        return bool(include_ops_hire)
    return bool(scen.include_ops_hire) if scen is not None else False


def simulate(users: float, *, draws: int = 10_000, seed: int = config.DEFAULT_SEED, scenario=None,
             include_ops_hire: bool | None = None, roadmap=None, prices=None) -> SimulationResult:
    """Monte Carlo of every component, cost, revenue and margin at ``users`` (vectorised over draws).

    ``scenario`` is a name in ``data/scenarios/``, a path, or a :class:`~voyager_analysis.scenarios.Scenario`
    (None = the base case). ``include_ops_hire`` overrides the scenario's switch for the ops-hire line.
    """
    users, draws, seed = _check(users, draws, seed)
    inputs, scen = _prepare(scenario, roadmap, prices)
    return _run([users], draws, seed, scen, inputs, _include_ops_hire(scen, include_ops_hire))[users]


def simulate_loop(users: float, *, draws: int = 10_000, seed: int = config.DEFAULT_SEED, scenario=None,
                  include_ops_hire: bool | None = None, roadmap=None, prices=None) -> SimulationResult:
    """The same model and the same draws as :func:`simulate`, computed one draw at a time in plain Python.

    Slow on purpose: the reference that the vectorised path is checked against (tests, benchmark).
    """
    users, draws, seed = _check(users, draws, seed)
    inputs, scen = _prepare(scenario, roadmap, prices)
    values = sample_inputs(inputs, draws, seed)
    ops = _include_ops_hire(scen, include_ops_hire)
    columns = {k: (v.tolist() if isinstance(v, np.ndarray) else None) for k, v in values.items()}
    comp_rows, out_rows = [], []
    for i in range(draws):
        v = {k: (columns[k][i] if columns[k] is not None else values[k]) for k in values}
        comps, outs = _one_draw(users, v, ops)
        comp_rows.append(comps)
        out_rows.append(outs)
    out_arr = np.array(out_rows, dtype=float).reshape(draws, len(OUTPUTS))
    names = component_names(ops)
    return SimulationResult(users=users, draws=draws, seed=seed, scenario=_scenario_name(scen), inputs=inputs,
                            component_names=names,
                            components=np.asfortranarray(np.array(comp_rows, dtype=float).reshape(draws, len(names))),
                            outputs={k: out_arr[:, j].copy() for j, k in enumerate(OUTPUTS)}, _values=values)


def simulate_many(users_list: Iterable[float], *, draws: int = 10_000, seed: int = config.DEFAULT_SEED,
                  scenario=None, include_ops_hire: bool | None = None, roadmap=None,
                  prices=None) -> dict[float, SimulationResult]:
    """:func:`simulate` at several user counts on ONE set of draws (common random numbers).

    Each result equals ``simulate(users, draws=draws, seed=seed, ...)`` for its user count.
    """
    users_list = list(dict.fromkeys(float(u) for u in users_list))
    for u in users_list:
        _check(u, draws, seed)
    _, draws, seed = _check(0, draws, seed)
    inputs, scen = _prepare(scenario, roadmap, prices)
    return _run(users_list, draws, seed, scen, inputs, _include_ops_hire(scen, include_ops_hire))


def simulate_curve(users_grid: Iterable[float], *, draws: int = 10_000, seed: int = config.DEFAULT_SEED,
                   scenario=None, include_ops_hire: bool | None = None, roadmap=None, prices=None):
    """Percentile bands over users: a tidy DataFrame ``users, output, kind, mean, p5, p50, p95``.

    ``output`` is each of :data:`OUTPUTS`, ``cost_per_user_usd`` (kind ``total``) and each component (kind
    ``component``). One set of draws is reused at every user count.
    """
    import pandas as pd

    results = simulate_many(users_grid, draws=draws, seed=seed, scenario=scenario,
                            include_ops_hire=include_ops_hire, roadmap=roadmap, prices=prices)
    frames = []
    for u, res in results.items():
        s = res.summary().copy()
        if u > 0:
            s.loc["cost_per_user_usd"] = res.summary().loc["cost_usd"] / u
        s = s.reset_index()
        s.insert(0, "users", u)
        s.insert(2, "kind", np.where(s["output"].isin(res.component_names), "component", "total"))
        frames.append(s)
    out = pd.concat(frames, ignore_index=True)
    out.attrs["source_note"] = next(iter(results.values())).source_note() if results else ""
    return out


# --- calibration against the roadmap ------------------------------------------------------------------------------

def envelope(users: float, inputs: Mapping[str, Figure], *, include_ops_hire: bool = False
             ) -> dict[str, tuple[float, float]]:
    """The smallest and largest value each component (and ``total``, infrastructure without payment fees and
    the ops hire) can take at ``users`` with every input anywhere in its range.

    Every cost here is monotone in each input separately (the direction does not depend on the other inputs),
    so the extremes sit at corners of the input box. Each input's direction is read from one-at-a-time changes
    at the low, middle and high corners (a kink such as "usage beyond the included quota" can hide it at one of
    them); the corner so found is then polished by coordinate search until no single input improves it.
    """
    ranged = [k for k, f in inputs.items() if not f.is_point]
    base = {k: float(f.low) for k, f in inputs.items()}
    k = len(ranged)
    lows = {r: inputs[r].low for r in ranged}
    highs = {r: inputs[r].high for r in ranged}
    mids = {r: inputs[r].mid for r in ranged}

    def targets(values):
        out = evaluate(users, values, include_ops_hire=include_ops_hire)
        comps = out["components"]
        total = sum(comps[c] for c in comps if c not in NON_INFRA)
        return {**comps, "total": total}

    def one_at_a_time(point):
        """Each target at ``point`` with input i at its low (row 2i) and at its high (row 2i + 1)."""
        trial = dict(base)
        trial.update({r: np.full(2 * k, point[r]) for r in ranged})
        for i, r in enumerate(ranged):
            trial[r][2 * i] = lows[r]
            trial[r][2 * i + 1] = highs[r]
        return {n: np.broadcast_to(np.asarray(v, dtype=float), (2 * k,)) for n, v in targets(trial).items()}

    effects = [one_at_a_time(point) for point in (lows, mids, highs)]
    result = {}
    for name in effects[0]:
        signs = np.zeros(k)
        for eff in effects:
            diff = eff[name][1::2] - eff[name][0::2]
            signs = np.where(signs == 0, np.sign(diff), signs)
        ends = []
        for direction in (-1.0, 1.0):
            choice = {r: highs[r] if direction * signs[i] > 0 else lows[r] for i, r in enumerate(ranged)}
            for _ in range(k + 1):  # polish: move any single input that still improves the target
                y = one_at_a_time(choice)[name]
                new = {}
                for i, r in enumerate(ranged):
                    gain = direction * (y[2 * i + 1] - y[2 * i])
                    new[r] = highs[r] if gain > 0 else lows[r] if gain < 0 else choice[r]
                if new == choice:
                    break
                choice = new
            ends.append(float(targets({**base, **choice})[name]))
        result[name] = (ends[0], ends[1])
    return result


def _end_status(value: float, p5: float, p95: float, lo: float, hi: float) -> str:
    tol = 1e-9 * max(abs(value), 1.0)
    if value < lo - tol or value > hi + tol:
        return "unreachable"
    if p5 > value:
        return "above"
    if p95 < value:
        return "below"
    return "within"


def verdict(roadmap_low: float, roadmap_high: float, at_low: Sequence[float], at_high: Sequence[float],
            conflict: str | None = None) -> tuple[str, str, str, str]:
    """Compare one roadmap range with the model at the phase's two user bounds.

    ``at_low`` / ``at_high`` are ``(p5, p95, envelope_min, envelope_max)`` of the model at the phase's low /
    high user count. The roadmap's low figure is read as the cost at the low user count and its high figure
    as the cost at the high user count (phases 2 and 3 chain this way: each phase starts where the previous
    one ends). Each end is ``within`` the model's 5-95% band, ``above``/``below`` it (the model is above /
    below the roadmap), or ``unreachable`` (outside what any input values in their ranges can give).

    Verdict: ``not reproducible`` if an end is unreachable or ``conflict`` (text) says the roadmap contradicts
    itself; ``within`` if both ends are; otherwise ``model above`` / ``model below`` (when the ends disagree,
    the larger gap in log terms decides). Returns ``(verdict, status_at_low, status_at_high, note)``.
    """
    s_lo = _end_status(roadmap_low, at_low[0], at_low[1], at_low[2], at_low[3])
    s_hi = _end_status(roadmap_high, at_high[0], at_high[1], at_high[2], at_high[3])
    notes = []
    if conflict:
        notes.append(conflict)
    for label, s, value, (p5, p95, lo, hi) in (("low", s_lo, roadmap_low, at_low), ("high", s_hi, roadmap_high, at_high)):
        if s == "unreachable":
            side = "below the smallest" if value < lo else "above the largest"
            notes.append(f"roadmap {label} end ({value:,.0f}) is {side} value any inputs in range give "
                         f"({lo:,.0f}-{hi:,.0f})")
    if conflict or "unreachable" in (s_lo, s_hi):
        return "not reproducible", s_lo, s_hi, "; ".join(notes)
    if s_lo == s_hi == "within":
        return "within", s_lo, s_hi, ""

    def gap(s, value, p5, p95):
        if s == "above":
            return math.log(p5 / value) if value > 0 else math.inf
        if s == "below":
            return math.log(value / p95) if p95 > 0 else math.inf
        return 0.0

    g_lo = gap(s_lo, roadmap_low, at_low[0], at_low[1])
    g_hi = gap(s_hi, roadmap_high, at_high[0], at_high[1])
    side = s_lo if g_lo >= g_hi else s_hi
    if {s_lo, s_hi} == {"above", "below"}:
        notes.append(f"model {s_lo} the roadmap at the low end, {s_hi} at the high end")
    return f"model {side}", s_lo, s_hi, "; ".join(notes)


def _phase_users(phase) -> tuple[float, float]:
    users = phase.get("cost_at_users") or phase["users"]
    return float(users.low), float(users.high)


def boundary_conflicts(roadmap) -> dict[tuple[str, str], str]:
    """Where two consecutive phases share a user count but state non-overlapping ranges for one component
    (or the total): no model can give one cost inside both. Keys are ``(phase, component)``."""
    phases = roadmap["phases"]
    keys = list(phases)
    out = {}
    for a, b in zip(keys, keys[1:]):
        pa, pb = phases[a], phases[b]
        if "cost_at_users" in pa or pa["users"].high != pb["users"].low:
            continue
        ranges_a = {**pa["costs"], "total": pa["total"]}
        ranges_b = {**pb["costs"], "total": pb["total"]}
        for comp in ranges_a.keys() & ranges_b.keys():
            fa, fb = ranges_a[comp], ranges_b[comp]
            if fa.high < fb.low or fb.high < fa.low:
                text = (f"at {pa['users'].high:,.0f} users {a} says {fa.low:,.0f}-{fa.high:,.0f} and {b} says "
                        f"{fb.low:,.0f}-{fb.high:,.0f}: no single cost lies in both")
                out[(a, comp)] = out[(b, comp)] = text
    return out


def calibrated_components(inputs: Mapping[str, Figure]) -> set[str]:
    """Components with at least one input marked 'calibrated' in its note (matching them is by construction)."""
    flagged = {k for k, f in inputs.items() if f.note and "calibrated" in f.note.lower()}
    return {c for c, args in COMPONENT_ARGS.items() if flagged & set(args)}


def calibration_table(*, draws: int = 20_000, seed: int = config.DEFAULT_SEED, scenario=None, roadmap=None,
                      prices=None):
    """Model vs roadmap for every phase and component the roadmap prices (and each phase's total).

    Columns: ``phase, component, users_low, users_high, roadmap_low, roadmap_high``, the model's
    ``p5/p50/p95`` at the phase's low and high user counts (``*_at_low``, ``*_at_high``), the envelope of
    values any inputs in range can give (``min_at_low, max_at_low, min_at_high, max_at_high``), each end's
    status, ``verdict`` (see :func:`verdict`), ``calibrated`` (the component has inputs calibrated to the
    roadmap, so agreement is by construction) and ``note``. A phase whose costs are stated at one user count
    (``cost_at_users``) is compared at that count. ``total`` is infrastructure without payment fees and the
    ops hire, as in the roadmap's totals. The ops-hire line is never included here.
    """
    import pandas as pd

    roadmap = roadmap if roadmap is not None else load_roadmap()
    _, draws, seed = _check(0, draws, seed)
    inputs, scen = _prepare(scenario, roadmap, prices)
    phases = roadmap["phases"]
    counts = sorted({u for p in phases.values() for u in _phase_users(p)})
    bands, envs = {}, {}
    for u, res in _run(counts, draws, seed, scen, inputs, False).items():
        total = res.outputs["infra_cost_usd"]  # no ops hire here, so infrastructure = cost - payment fees
        cols = {**{c: res.column(c) for c in res.component_names}, "total": total}
        bands[u] = {c: _stats(v)[[1, 2, 3]] for c, v in cols.items()}
        envs[u] = envelope(u, inputs, include_ops_hire=False)
    conflicts = boundary_conflicts(roadmap)
    calibrated = calibrated_components(inputs)
    rows = []
    for key, phase in phases.items():
        u_lo, u_hi = _phase_users(phase)
        for comp, fig in [*phase["costs"].items(), ("total", phase["total"])]:
            b_lo, b_hi = bands[u_lo][comp], bands[u_hi][comp]
            e_lo, e_hi = envs[u_lo][comp], envs[u_hi][comp]
            v, s_lo, s_hi, note = verdict(fig.low, fig.high, (b_lo[0], b_lo[2], *e_lo), (b_hi[0], b_hi[2], *e_hi),
                                          conflicts.get((key, comp)))
            is_cal = (bool(calibrated - set(NON_INFRA)) if comp == "total" else comp in calibrated)
            rows.append({"phase": key, "component": comp, "users_low": u_lo, "users_high": u_hi,
                         "roadmap_low": fig.low, "roadmap_high": fig.high,
                         "p5_at_low": b_lo[0], "p50_at_low": b_lo[1], "p95_at_low": b_lo[2],
                         "p5_at_high": b_hi[0], "p50_at_high": b_hi[1], "p95_at_high": b_hi[2],
                         "min_at_low": e_lo[0], "max_at_low": e_lo[1], "min_at_high": e_hi[0],
                         "max_at_high": e_hi[1], "status_at_low": s_lo, "status_at_high": s_hi,
                         "verdict": v, "calibrated": is_cal, "note": note})
    table = pd.DataFrame(rows)
    table.attrs["source_note"] = source_note(_scenario_name(scen), draws, seed, inputs)
    return table


# --- margins at the roadmap's user counts --------------------------------------------------------------------------

def roadmap_margin_check(results: Mapping[float, SimulationResult], roadmap=None):
    """Margin draws at the roadmap's cost-projection user counts against what the roadmap states.

    ``results`` maps user counts to simulations (e.g. :func:`simulate_many` at the users of
    ``roadmap.yaml`` ``cost_projection.rows``). One row per user count: the roadmap's cost, revenue and
    margin (percent), the model's cost p50, margin p5/p50/p95 (before the share, the roadmap's definition),
    the share of draws with margin < 0, below the low end of the roadmap's claimed range
    (``claims.margin_range``) and inside it, and the margin after the share (p50, share < 0).
    """
    import pandas as pd

    roadmap = roadmap if roadmap is not None else load_roadmap()
    claim = roadmap.get("claims.margin_range")
    lo_pct, hi_pct = 100 * claim.low, 100 * claim.high
    stated = {float(r["users"].value): r for r in roadmap.get("cost_projection.rows").values()}
    rows = []
    for u, res in results.items():
        m = res.outputs["margin_pct"]
        after = res.outputs["margin_after_share_pct"]
        r = stated.get(float(u))
        s = res.summary()
        rows.append({
            "users": u,
            "roadmap_cost_usd": r["cost"].value if r else np.nan,
            "roadmap_revenue_usd": r["revenue"].value if r else np.nan,
            "roadmap_margin_pct": 100 * r["margin"].value if r else np.nan,
            "cost_usd_p50": s.at["cost_usd", "p50"],
            "gross_revenue_usd_p50": s.at["gross_revenue_usd", "p50"],
            "margin_pct_p5": s.at["margin_pct", "p5"], "margin_pct_p50": s.at["margin_pct", "p50"],
            "margin_pct_p95": s.at["margin_pct", "p95"],
            "share_below_zero": float(np.mean(m < 0)),
            "share_below_claimed": float(np.mean(m < lo_pct)),
            "share_within_claimed": float(np.mean((m >= lo_pct) & (m <= hi_pct))),
            "margin_after_share_pct_p50": s.at["margin_after_share_pct", "p50"],
            "share_after_share_below_zero": float(np.mean(after < 0)),
        })
    table = pd.DataFrame(rows)
    table.attrs["claimed_range_pct"] = (lo_pct, hi_pct)
    return table


def roadmap_user_counts(roadmap=None) -> list[float]:
    """The user counts of the roadmap's cost projection table (``cost_projection.rows``)."""
    roadmap = roadmap if roadmap is not None else load_roadmap()
    return [float(r["users"].value) for r in roadmap.get("cost_projection.rows").values()]


__all__ = ["DRIVERS_YAML", "HOURS_PER_MONTH", "ROADMAP_INPUTS", "SERVICE_PRICES", "CLAUDE_PRICES", "OUTPUTS",
           "COMPONENT_FUNCTIONS", "COMPONENT_ARGS", "component_names", "vercel_cost_usd", "neon_cost_usd",
           "read_replicas", "archived_share", "upstash_cost_usd", "inngest_cost_usd", "s3_cost_usd",
           "search_cost_usd", "claude_cost_usd", "monitoring_cost_usd", "stripe_cost_usd", "ops_hire_cost_usd",
           "driver_inputs", "roadmap_inputs", "price_inputs", "model_inputs", "inputs_frame", "prices_as_of",
           "from_unit", "sample_inputs", "evaluate", "SimulationResult", "simulate", "simulate_loop",
           "simulate_many", "simulate_curve", "envelope", "verdict", "boundary_conflicts",
           "calibrated_components", "calibration_table", "roadmap_margin_check", "roadmap_user_counts",
           "source_note"]
