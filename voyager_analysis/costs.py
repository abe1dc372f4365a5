"""Bottom-up monthly cost per component, revenue and margin: the equations (pure numpy).

Each component's monthly cost (USD) is a pure function of ``users`` (monthly active users), per-user usage
*drivers* and *prices*; its parameter names are the names of the inputs it uses
(:func:`voyager_analysis.model_inputs.base_inputs`), so :data:`COMPONENT_ARGS` lists them. Components:
Vercel (seats, invocations beyond the included quota, other usage per user), Neon (primary compute with a
floor, read replicas stepping in at the roadmap's user counts, Launch -> Scale price, hot storage), Upstash
(commands), Inngest, S3 (archived bytes + one PUT per archived conversation), search (Algolia requests, from
the roadmap's search threshold), Claude (the per-request price of :mod:`voyager_analysis.routing`),
monitoring, Stripe (payment fees of :mod:`voyager_analysis.revenue`) and, off by default, the first ops hire.

:func:`evaluate` computes every component and output for input values that are floats or arrays of draws
(the Monte Carlo is :mod:`voyager_analysis.montecarlo`; the comparison with the roadmap is
:mod:`voyager_analysis.calibration`). :func:`one_draw` is the same model written independently as plain
Python for ONE draw, the reference the vectorised code is checked against.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from voyager_analysis import revenue
from voyager_analysis.constants import HOURS_PER_MONTH

#: Outputs besides the components, in the order of :meth:`SimulationResult.summary`.
OUTPUTS: tuple[str, ...] = ("cost_usd", "infra_cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct",
                            "margin_after_share_pct")


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
    negotiated discount. The same per-request price as :class:`voyager_analysis.routing.RoutingModel` without
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


def one_draw(users: float, v: Mapping[str, float], include_ops_hire: bool) -> tuple[list[float], list[float]]:
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


def used_inputs(include_ops_hire: bool = False) -> set[str]:
    """The inputs the components and revenue read (the ops-hire inputs only when that line is on)."""
    return {a for c in component_names(include_ops_hire) for a in COMPONENT_ARGS[c]} | set(revenue.REVENUE_ARGS)


__all__ = ["OUTPUTS", "COMPONENT_FUNCTIONS", "COMPONENT_ARGS", "NON_INFRA", "component_names", "used_inputs",
           "vercel_cost_usd", "neon_cost_usd", "read_replicas", "archived_share", "upstash_cost_usd",
           "inngest_cost_usd", "s3_cost_usd", "search_cost_usd", "claude_cost_usd", "monitoring_cost_usd",
           "stripe_cost_usd", "ops_hire_cost_usd", "evaluate", "one_draw"]
