"""Everything notebook 08 and ``measure`` show, from one source of events: retention, usage by tenure,
conversion, churn, view decay, and the measured inputs a scenario carries.

The aggregations run in the engine (:mod:`voyager_analysis.sources.cohort_queries`, and the monthly metrics of
:mod:`voyager_analysis.sources.derive`); the models here and in :mod:`voyager_analysis.churn` take the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voyager_analysis.errors import ConvergenceError, InputError
from voyager_analysis.results import Missing

#: Quantities of usage by tenure (columns of the cohort cells) and their units.
TENURE_QUANTITIES = {"messages": "messages", "tokens": "tokens", "new_storage_gb": "GB of new conversations"}


@dataclass
class CohortAnalysis:
    """The results of :func:`analyse_events` (each a results object, or :class:`Missing` with the reason)."""

    events: str  #: where the events came from (no password)
    as_of: Any  #: UTC Timestamp the survival analyses are cut at
    retention: Any
    usage: dict  #: quantity -> TenureUsage or Missing
    conversion: Any
    churn: Any
    views: Any  #: ViewDecay or Missing
    measured: dict = field(default_factory=dict)  #: input -> measure.Measured
    not_measured: dict = field(default_factory=dict)  #: input -> reason

    def measured_table(self):
        import pandas as pd

        rows = [{"input": m.name, "estimate": m.estimate, "low": m.low, "high": m.high, "estimator": m.estimator}
                for m in self.measured.values()]
        rows += [{"input": k, "estimator": f"not measured: {why}"} for k, why in self.not_measured.items()]
        return pd.DataFrame(rows)

    def findings_markdown(self) -> str:
        """The headline numbers in words (the notebook's Finding)."""
        est = self.retention.estimates()
        s1, plateau, half = (est.loc[p] for p in ("first_month_share", "plateau_share", "decay_half_life_months"))
        lines = [f"- **Retention**: {s1.estimate:.0%} of a cohort is active in the month after signup "
                 f"({s1.low:.0%}-{s1.high:.0%}); activity halves towards a plateau every {half.estimate:.1f} months "
                 f"and settles at {plateau.estimate:.0%} ({plateau.low:.0%}-{plateau.high:.0%}) of the cohort."]
        msg = self.usage.get("messages")
        if not isinstance(msg, Missing):
            b, lo, hi = msg.growth_per_month
            d = msg.decomposition()
            lines.append(f"- **Usage by tenure**: messages per active user change by {b:+.1%} per month of tenure "
                         f"(log scale, {lo:+.1%} to {hi:+.1%}); of the change in messages per active user from "
                         f"{d['from_month']} to {d['to_month']} ({d['total_change']:+.1f}), the tenure mix explains "
                         f"{d['tenure_mix']:+.1f} — under the one-curve assumption (see the caveat).")
        for tier, t in self.churn.tiers.items():
            if isinstance(t.monthly_churn, Missing):
                lines.append(f"- **Churn ({tier})**: {t.monthly_churn.reason}.")
                continue
            c, lo, hi = t.monthly_churn
            lines.append(f"- **Churn ({tier})**: {t.n} subscriptions, {t.churned} ended; the churn to model is "
                         f"{c:.1%} a month ({lo:.1%}-{hi:.1%}), median lifetime {t.median_lifetime_months:.0f} months.")
        if isinstance(self.views, Missing):
            lines.append(f"- **Views**: not measured — {self.views.reason}.")
        else:
            h = self.views.activity_half_life_months
            lines.append(f"- **Views**: a conversation's visit rate halves every {h[0]:.1f} months ({h[1]:.1f}-{h[2]:.1f}).")
        return "\n".join(lines)

    def payload(self) -> dict:
        """Keyword arguments of :class:`voyager_analysis.contracts.cohorts.Payload`."""
        return {"events": self.events, "as_of": self.as_of.isoformat(), "retention": self.retention.to_dict(),
                "churn": self.churn.to_dict(), "conversion": self.conversion.to_dict(),
                "usage_by_tenure": {q: {"missing_reason": u.reason} if isinstance(u, Missing) else u.to_dict()
                                    for q, u in self.usage.items()},
                "view_decay": None if isinstance(self.views, Missing) else self.views.to_dict(),
                "measured": {k: {"estimate": m.estimate, "low": m.low, "high": m.high, "estimator": m.estimator}
                             for k, m in self.measured.items()}}


def analyse_events(source, *, as_of=None, engine: str | None = None, schema: str = "public",
                   memory_limit: str = "2GB", churn_tiers=("pro", "max"), label: str | None = None) -> CohortAnalysis:
    """Run every cohort analysis on the events at ``source`` (a folder or a ``postgresql://`` URL); ``label``
    names the events in the results instead of the engine's description (a path, or a URL without password)."""
    from voyager_analysis import measure
    from voyager_analysis.churn import churn_by_tier, utc_timestamp
    from voyager_analysis.cohorts.conversion import conversion_by_tier
    from voyager_analysis.cohorts.retention import retention
    from voyager_analysis.cohorts.tenure import usage_by_tenure
    from voyager_analysis.cohorts.views import view_decay
    from voyager_analysis.sources import cohort_queries as q
    from voyager_analysis.sources.derive import derive_metrics
    from voyager_analysis.sources.engines import open_engine

    with open_engine(source, engine=engine, schema=schema, memory_limit=memory_limit) as eng:
        metrics = derive_metrics(eng)
        when = q.latest_event_time(eng) if as_of in (None, "") else utc_timestamp(as_of)
        cells, last = q.cohort_cells(eng)
        sizes = q.cohort_sizes(eng)
        durations = q.subscription_durations(eng, when)
        conv = q.conversion_durations(eng, when)
        bins = q.view_bins(eng, when)
        label = label or eng.description
    usage = {}
    for quantity in TENURE_QUANTITIES:
        try:
            usage[quantity] = usage_by_tenure(cells, quantity)
        except InputError as exc:
            usage[quantity] = Missing(str(exc))
    try:
        views = view_decay(bins)
    except (ConvergenceError, InputError) as exc:
        views = Missing(str(exc))
    churn = churn_by_tier(durations, as_of=when.isoformat(), tiers=churn_tiers)
    out = CohortAnalysis(events=label, as_of=when, retention=retention(sizes, cells, last), usage=usage,
                         conversion=conversion_by_tier(conv), churn=churn, views=views)
    out.measured = measure.usage_estimates(metrics)
    try:
        out.measured["monthly_churn"] = measure.churn_estimate(churn, "pro")
    except (InputError, KeyError) as exc:
        out.not_measured["monthly_churn"] = str(exc)
    latest = metrics.iloc[-2] if len(metrics) > 1 else metrics.iloc[-1]  # the last complete month
    out.measured.update(measure.paying_share_estimates(
        {t: float(latest[f"{t}_subscribers"]) for t in ("pro", "max")}, float(latest["users"]), latest["month"]))
    if isinstance(views, Missing):
        out.not_measured["activity_half_life_months"] = views.reason
    else:
        out.measured.update(measure.view_estimates(views))
    return out


__all__ = ["CohortAnalysis", "TENURE_QUANTITIES", "analyse_events"]
