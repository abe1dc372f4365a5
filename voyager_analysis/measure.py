"""From measurement to the model: estimates with intervals become a scenario file whose inputs are *measured*.

A measured scenario is the scenario format (:mod:`voyager_analysis.scenarios`) with a top-level ``source``
(the events it was measured from — a path, or a URL with any password removed —, the date, and the tool)
and, for each measured input, a figure whose ``low``/``high`` are the estimate's 95% interval, whose ``mode``
is the estimate (triangular distribution) and whose ``source`` names the estimator, the events and the date::

    description: Measured from events at data/events on 2026-01-01.
    source: {events: data/events, measured_on: '2026-01-01', by: voyager-analysis measure}
    overrides:
      monthly_churn: {low: 0.061, high: 0.083, mode: 0.071, distribution: triangular, unit: fraction,
                      source: "sBG by maximum likelihood ...; events data/events; 2026-01-01"}

The file holds inputs that only some notebooks use (``monthly_churn``, ``batch_share``,
``activity_half_life_months``, ``visits_per_month_new``); each reader takes the ones it needs.

:func:`usage_estimates` turns the derived monthly metrics into the usage inputs (the mean of the last complete
months with a t interval over months); the cohort, churn and view models give the rest
(:func:`churn_estimate`, :func:`view_estimates`, :func:`paying_share_estimates`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from voyager_analysis.errors import InputError

#: Unit of each input a measured scenario can carry (the units of data/assumptions/*.yaml).
UNITS = {
    "messages_per_user_month": "per_user_month", "input_tokens_per_message": "tokens",
    "output_tokens_per_message": "tokens", "sonnet_share": "fraction", "cache_hit_rate": "fraction",
    "batch_share": "fraction", "pro_conversion": "fraction", "max_conversion": "fraction",
    "monthly_churn": "fraction", "activity_half_life_months": "month", "visits_per_month_new": "per_month",
    "storage_gb_per_user": "gb_per_user",
}
#: Complete months averaged for the usage inputs.
USAGE_MONTHS = 6


@dataclass(frozen=True)
class Measured:
    """One measured input: estimate, interval (same ``level``) and how it was estimated."""

    name: str
    estimate: float
    low: float
    high: float
    estimator: str

    def __post_init__(self):
        if self.name not in UNITS:
            raise InputError(f"measure: unknown input '{self.name}'; known: {', '.join(UNITS)}")
        values = (self.low, self.estimate, self.high)
        if not all(math.isfinite(v) for v in values) or not self.low <= self.estimate <= self.high:
            raise InputError(f"measure: {self.name}: need finite low <= estimate <= high, got {values}")


def _mean_interval(name: str, values, estimator: str, level: float = 0.95) -> Measured:
    from scipy.stats import t

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        raise InputError(f"measure: {name}: fewer than 2 months with data")
    half = float(t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    m = float(v.mean())
    low = max(m - half, 0.0)
    high = min(m + half, 1.0) if UNITS[name] == "fraction" else m + half
    return Measured(name, m, low, high, estimator)


def usage_estimates(metrics, *, months: int = USAGE_MONTHS, level: float = 0.95) -> dict[str, Measured]:
    """Usage inputs from derived monthly metrics (``voyager_analysis.sources.derive``): per month the ratio,
    then the mean of the last ``months`` complete months (the latest month is partial and left out) with a
    t interval over months. Month-to-month trend and autocorrelation are not modelled: the interval says how
    stable the ratio was lately, not where it goes."""
    m = metrics.iloc[:-1].tail(months) if len(metrics) > months else metrics.iloc[:-1]
    if len(m) < 2:
        raise InputError(f"measure: {len(metrics)} month(s) of metrics; need at least 3 (the last is partial)")
    how = f"mean of the monthly ratio over {m['month'].iat[0]}..{m['month'].iat[-1]}, t interval over months"
    ratios = {
        "messages_per_user_month": m["messages"] / m["users"],
        "input_tokens_per_message": m["input_tokens"] / m["messages"],
        "output_tokens_per_message": m["output_tokens"] / m["messages"],
        "sonnet_share": m["sonnet_share"],
        "batch_share": m["batch_share"] if "batch_share" in m else None,
        "cache_hit_rate": m["cache_read_tokens"] / m["input_tokens"] if "cache_read_tokens" in m else None,
        "storage_gb_per_user": (m["storage_gb"] + m.get("archived_gb", 0.0)) / m["users"],
    }
    return {k: _mean_interval(k, v.replace([np.inf, -np.inf], np.nan), how, level)
            for k, v in ratios.items() if v is not None}


def churn_estimate(churn_result, tier: str = "pro") -> Measured:
    """``monthly_churn`` from :class:`voyager_analysis.churn.Churn` (the revenue model has one churn: Pro's)."""
    t = churn_result.tiers[tier]
    if not isinstance(t.monthly_churn, tuple):
        raise InputError(f"measure: no churn estimate for {tier}: {t.monthly_churn.reason}")
    est, low, high = t.monthly_churn
    if getattr(t, "monthly_churn_model", "sBG") == "geometric":
        how = (f"constant churn of a geometric fit ({tier}, maximum likelihood; the shifted-beta-geometric fit sits on "
               f"its geometric limit) over {churn_result.horizon_months} months of inflow; Wald interval on the logit")
    else:
        how = (f"constant churn matching a shifted-beta-geometric fit ({tier}, maximum likelihood) over "
               f"{churn_result.horizon_months} months of inflow; delta-method interval")
    return Measured("monthly_churn", est, low, high, how)


def view_estimates(decay) -> dict[str, Measured]:
    """``activity_half_life_months`` and ``visits_per_month_new`` from
    :class:`voyager_analysis.cohorts.views.ViewDecay`."""
    how = "Poisson quasi-likelihood of views by conversation age, sandwich interval"
    return {n: Measured(n, *getattr(decay, n), how) for n in ("activity_half_life_months", "visits_per_month_new")}


def paying_share_estimates(subscribers: Mapping[str, float], active_users: float, month: str) -> dict[str, Measured]:
    """``pro_conversion`` / ``max_conversion``: subscribers of the tier over monthly active users in ``month``
    (:func:`voyager_analysis.cohorts.conversion.paying_share`, Wilson interval)."""
    from voyager_analysis.cohorts.conversion import paying_share

    return {f"{tier}_conversion": Measured(f"{tier}_conversion", *paying_share(n, active_users),
                                           f"{tier} subscribers / monthly active users in {month}, Wilson interval")
            for tier, n in subscribers.items()}


def events_label(source) -> str:
    """How a measured scenario names its events: a URL with any password removed, else a path relative to the
    working directory or the repository (:func:`~voyager_analysis.errors.display_path`), else relative to the
    working directory (``../``): never an absolute path, which would tie the scenario to one machine."""
    import os

    from voyager_analysis.errors import display_path

    text = str(source)
    if "://" in text:
        from voyager_analysis.sources.engines import redact_url

        return redact_url(text)
    shown = display_path(text)
    return shown if not os.path.isabs(shown) else os.path.relpath(shown).replace(os.sep, "/")


def measured_scenario(estimates: Mapping[str, Measured], *, events: str, measured_on: str,
                      description: str | None = None) -> dict:
    """The scenario (a plain mapping, ready for YAML) whose overrides are ``estimates``."""
    if not estimates:
        raise InputError("measure: nothing was measured")
    overrides = {}
    for name, m in estimates.items():
        overrides[name] = {"low": _round(m.low), "high": _round(m.high), "mode": _round(m.estimate),
                           "distribution": "triangular", "unit": UNITS[name],
                           "source": f"{m.estimator}; events {events}; measured {measured_on}"}
        if overrides[name]["low"] == overrides[name]["high"]:
            overrides[name].pop("mode")
            overrides[name].pop("distribution")
    return {"description": description or f"Measured from events at {events} on {measured_on}.",
            "source": {"events": events, "measured_on": measured_on, "by": "voyager-analysis measure"},
            "overrides": overrides}


def measured_vs_assumed(scenario, assumed: Mapping[str, object]):
    """The inputs ``scenario`` measured from data next to the ranges a notebook uses without it.

    ``assumed`` maps input names to what the notebook uses otherwise: a figure (``low``/``high``) or a
    ``(low, high)`` pair. One row per measured input among them: ``measured`` (the point value of the measured
    figure: its mode, the estimate), ``measured_low``/``measured_high`` (its interval), ``assumed_low``/
    ``assumed_high``, ``inside`` (whether the estimate falls in the assumed range) and ``source``. Empty (same
    columns) when the scenario is None or measured none of them."""
    import pandas as pd

    from voyager_analysis.values import point_value

    columns = ["measured", "measured_low", "measured_high", "assumed_low", "assumed_high", "inside", "source"]
    rows = {}
    for name, fig in assumed.items():
        if scenario is None or not scenario.is_measured(name):
            continue
        m = scenario.overrides[name]
        low, high = (float(fig.low), float(fig.high)) if hasattr(fig, "low") else (float(fig[0]), float(fig[1]))
        est = float(point_value(m))
        rows[name] = [est, float(m.low), float(m.high), low, high, bool(low <= est <= high), str(m.source)]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("input")


def _round(x: float) -> float:
    """Six significant figures: readable YAML, and low <= mode <= high kept (rounding is monotone)."""
    return float(f"{x:.6g}")


def write_scenario(path, scenario: Mapping) -> None:
    """Write the scenario as YAML atomically (nothing is left half-written)."""
    import yaml

    from voyager_analysis.files import write_text_atomic

    header = "# Measured scenario written by `voyager-analysis measure`; re-run it rather than editing by hand.\n"
    write_text_atomic(path, header + yaml.safe_dump(dict(scenario), sort_keys=False, width=110))


__all__ = ["Measured", "UNITS", "USAGE_MONTHS", "churn_estimate", "events_label", "measured_scenario", "measured_vs_assumed", "paying_share_estimates",
           "usage_estimates", "view_estimates", "write_scenario"]
