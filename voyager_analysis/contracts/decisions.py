"""Results of notebook 07 (decisions): built from the trigger report, build vs buy and the sharding balance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base

#: The fields of each trigger kept in the payload.
TRIGGER_FIELDS = ("status", "threshold", "current", "forecast_month", "low", "high", "users_at_threshold",
                  "users_vs_roadmap", "months_vs_roadmap")


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "07_decisions"

    last_month: str  #: last month of the metrics
    growth_model: str | None  #: growth curve behind the forecasts
    level: float  #: interval level, 0-1
    prices_as_of: str  #: date of the list prices used
    triggers: dict  #: {trigger: {status, threshold, current, forecast_month, low, high, users_at_threshold, ...}}
    fired: list  #: triggers already over their threshold
    no_data: list  #: triggers whose metric is not in the metrics file
    contradictions: list  #: triggers whose timing contradicts the roadmap's
    hourly_rate_usd: float  #: USD per engineer hour used
    horizon_months: float  #: months over which the ROI sums benefit and cost
    min_roi: float  #: the roadmap's bar
    roi_users: float  #: users at which the ROI table is evaluated
    roi: dict  #: {switch: {roi, roi_low, roi_high, clears, users_at_min_roi, month_at_min_roi, required_other_...}}
    switches_clearing: list
    breakeven_users: dict  #: {"decision: a vs b": users}
    sharding: dict  #: {n_shards, communities, community_max_over_mean, hash_max_over_mean(_low/_high), cross_shard_share}


def fields(report, bvb, balance, group_size) -> dict:
    """The fields of the payload of a :class:`~voyager_analysis.triggers.TriggerReport`, a
    :class:`~voyager_analysis.buildvsbuy.BuildVsBuy` and a :class:`~voyager_analysis.sharding.ShardingBalance`;
    ``group_size`` is the figure of Collab Space sizes (``options.polling_group_size``)."""
    from voyager_analysis.sharding import cross_shard_share

    tt, roi = report.table, bvb.roi.set_index("switch")
    cross = cross_shard_share([group_size.low, group_size.high], balance.n_shards)
    keys = ("roi", "roi_low", "roi_high", "clears", "users_at_min_roi", "month_at_min_roi",
            "required_other_benefit_usd_per_month")
    return dict(
        last_month=report.last_month, growth_model=report.growth_model, level=report.level,
        prices_as_of=bvb.as_of,
        triggers={r["name"]: {k: r[k] for k in TRIGGER_FIELDS} for r in report.to_dict()["triggers"]},
        fired=list(tt.loc[tt.status == "fired", "name"]), no_data=list(tt.loc[tt.status == "no data", "name"]),
        contradictions=list(report.contradictions()["name"]), hourly_rate_usd=float(bvb.hourly_rate_usd),
        horizon_months=float(bvb.horizon_months), min_roi=float(bvb.min_roi), roi_users=float(bvb.users),
        roi={s: {k: (bool(r[k]) if k == "clears" else r[k]) for k in keys} for s, r in roi.iterrows()},
        switches_clearing=list(roi.index[roi.clears]),
        breakeven_users={f"{r['decision']}: {r['option_a']} vs {r['option_b']}": r["breakeven_users"]
                         for r in bvb.breakeven.to_dict("records")},
        sharding={**balance.to_dict(), "cross_shard_share": [float(c) for c in cross]})
