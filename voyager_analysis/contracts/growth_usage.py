"""Results of notebook 02 (growth and usage): built from the growth comparison and the usage curves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from voyager_analysis.contracts import Payload as _Base


@dataclass
class Payload(_Base):
    notebook: ClassVar[str] = "02_growth_usage"

    data: str | None  #: the metrics file
    n_months: int
    level: float  #: interval level, 0-1
    selected_model: str | None  #: growth curve with the lowest AICc
    selected_params: dict  #: its parameters
    selected_params_ci: dict  #: {param: [low, high]}
    akaike_weight: float | None
    holdout_mape_log: float | None  #: rolling-origin mean |log error| x 100
    target_users: float  #: the largest roadmap milestone (users)
    month_reaching_target: dict  #: {month, low, high, calendar_month}; months from the first data row
    roadmap_month_target: float | None  #: the roadmap's month for it, same scale
    difference_months_target: float | None  #: month - roadmap month (> 0: later than the roadmap)
    messages_per_user_elasticity: dict | None  #: {estimate, low, high}
    gb_per_message: dict  #: {estimate, low, high}
    sonnet_share_slope_per_month: dict  #: {estimate, low, high}, share per month
    usage_drivers: dict  #: {driver: [estimate, low, high]}
    error_model: str | None = None  #: the selected curve's error model: additive or multiplicative
    calibration: dict | None = None  #: rolling-origin {coverage, coverage_uninflated, n, level, inflation, ...}


def fields(growth, usage) -> dict:
    """The fields of the payload of a :class:`~voyager_analysis.growth.GrowthComparison` fitted with a roadmap and a
    :class:`~voyager_analysis.usage.UsageCurves`."""
    from voyager_analysis.growth import roadmap_milestone_months

    best, table = growth.best, growth.table.set_index("model")
    target = max(roadmap_milestone_months(growth.roadmap))
    row = growth.milestones(level=growth.level).set_index("users").loc[target]
    msg, st, sh = usage.activity.get("messages"), usage.storage, usage.share
    return dict(
        data=growth.source, n_months=int(growth.t.size), level=growth.level, selected_model=growth.selected,
        selected_params=dict(best.params_), selected_params_ci={k: list(v) for k, v in best.ci_.items()},
        akaike_weight=float(table.loc[growth.selected, "weight"]),
        holdout_mape_log=float(table.loc[growth.selected, "holdout_mape_log"]), target_users=target,
        month_reaching_target={"month": row.month, "low": row.low, "high": row.high,
                               "calendar_month": row.calendar_month if isinstance(row.calendar_month, str) else None,
                               "reason": row.reason if isinstance(row.reason, str) else None},
        roadmap_month_target=float(row.roadmap_month), difference_months_target=float(row.difference_months),
        messages_per_user_elasticity=({"estimate": msg.elasticity, "low": msg.elasticity_ci[0],
                                       "high": msg.elasticity_ci[1]} if msg else None),
        gb_per_message={"estimate": st.gb_per_message, "low": st.gb_per_message_ci[0],
                        "high": st.gb_per_message_ci[1]},
        sonnet_share_slope_per_month={"estimate": sh.slope_per_month, "low": sh.slope_ci[0],
                                      "high": sh.slope_ci[1]},
        usage_drivers={k: list(v) for k, v in usage.drivers.items()}, error_model=growth.error_model,
        calibration=dict(growth.calibration) if growth.calibration is not None else None)
