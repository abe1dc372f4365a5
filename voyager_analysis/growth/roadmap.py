"""The roadmap's months and milestone levels, as the growth comparison reads them (a roadmap object, never a path)."""

from __future__ import annotations

from voyager_analysis.errors import located


def roadmap_month_zero(roadmap) -> str:
    """The calendar month of the roadmap's Month 0: its ``meta.dated`` month minus ``timeline.this_month``."""
    from voyager_analysis.months import month_number, month_str

    dated = str(roadmap.meta.get("dated", ""))[:7]
    if len(dated) != 7:
        raise located(roadmap.path, "meta.dated", "needs a date YYYY-MM-DD to place the roadmap's months")
    this_month = roadmap.get("timeline.this_month")
    return month_str(int(month_number([dated])[0] - this_month.mid))


def _roadmap_offset(first_month: str, roadmap) -> int:
    from voyager_analysis.months import month_number

    return int(month_number([first_month])[0] - month_number([roadmap_month_zero(roadmap)])[0])


def roadmap_milestone_months(roadmap) -> dict[float, float]:
    """{users level: roadmap month it is reached}: for each ``milestones`` group, ``users.high`` ->
    ``months.high`` (the upper end of the group's month range)."""
    out = {}
    for group in roadmap.get("milestones").values():
        if "users" in group and "months" in group:
            out[float(group["users"].high)] = float(group["months"].high)
    return out


__all__ = ["roadmap_month_zero", "roadmap_milestone_months"]
