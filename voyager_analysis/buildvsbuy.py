"""Build vs buy under the roadmap's ROI >= 2x rule: break-evens, the ROI of each switch, where it clears.

The options and their costs are :mod:`voyager_analysis.decisions`. The break-even between options a and b is
``x* = (F_b - F_a) / (s_a - s_b)`` with ``F`` the driver-free part and ``s`` the slope. The ROI of switching
from the running option A to B over ``H`` months follows the roadmap's own definition (decision framework,
step 4: "Migration cost: engineering time + new service cost; Benefit: ... cost savings ...; ROI = Benefit /
Cost")::

    ROI = H * (cost_A(x) + V) / (build_B * hourly_rate + H * cost_B(x))

where A's build is sunk, costs include operations time, and ``V`` is any benefit not counted in dollars
(speed, user satisfaction; 0 unless given). The rule is "If ROI < 2x: don't migrate", so an ROI of exactly 2
clears. With the driver proportional to users (``x = k users``) the user count at which the ROI first reaches
``R`` has the closed form of :func:`users_clearing_roi`. Intervals are quantiles over seeded draws of every
ranged input (:func:`voyager_analysis.montecarlo.sample_figures`, the package's one sampling scheme).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.decisions import (DECISIONS, Decision, Option, _source, build_decision, decision_figures,
                                        price_rows, unit_prices)
from voyager_analysis.errors import InputError
from voyager_analysis.growth.paths import HORIZON_MONTHS, MonthMapper
from voyager_analysis.montecarlo import sample_figures, stream
from voyager_analysis.results import Results
from voyager_analysis.stats.bootstrap import draw_interval
from voyager_analysis.constants import DEFAULT_SENTINEL
from voyager_analysis.values import Resolved, point_values, resolve

def breakeven(a: Option, b: Option, hourly_rate_usd, horizon_months=None):
    """Driver value at which ``a`` and ``b`` cost the same per month: ``(F_b - F_a) / (s_a - s_b)``.

    ``F`` = fees + operations time (+ build / horizon), ``s`` = USD per driver unit. NaN when the lines
    do not cross at a driver value > 0 (parallel, or one option is cheaper at every volume).
    """
    Fa, Fb = a.intercept_usd(hourly_rate_usd, horizon_months), b.intercept_usd(hourly_rate_usd, horizon_months)
    ds = np.asarray(a.usd_per_unit, float) - np.asarray(b.usd_per_unit, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (Fb - Fa) / ds
    return np.where((ds != 0) & (x > 0), x, np.nan)


def switch_roi(current: Option, new: Option, driver, hourly_rate_usd, horizon_months, other_benefit_usd_per_month=0.0):
    """ROI of moving from the running ``current`` option to ``new`` over ``horizon_months`` at ``driver``:
    ``H (cost_current + V) / (build_new * rate + H cost_new)`` (module docstring; costs with operations time)."""
    H = horizon_months
    benefit = H * (current.monthly_cost_usd(driver, hourly_rate_usd) + other_benefit_usd_per_month)
    cost = np.asarray(new.build_hours, float) * hourly_rate_usd + H * new.monthly_cost_usd(driver, hourly_rate_usd)
    with np.errstate(divide="ignore", invalid="ignore"):
        return benefit / cost


def clears(roi, min_roi: float):
    """The roadmap's bar: "If ROI < 2x: don't migrate", so ROI >= min_roi clears (exactly 2x counts)."""
    return np.asarray(roi) >= min_roi


def users_clearing_roi(current: Option, new: Option, per_user, hourly_rate_usd, horizon_months, min_roi: float,
                       other_benefit_usd_per_month=0.0):
    """Smallest user count at which the switch's ROI reaches ``min_roi`` (driver = ``per_user`` x users).

    With ``a0, a1`` the current option's intercept and slope, ``b0, b1`` the new one's, ``E`` its build
    cost, ``R`` the bar, ``k`` the driver per user: ROI >= R  <=>  ``H k u (a1 - R b1) >= D`` with
    ``D = R E + R H b0 - H (a0 + V)``. So ``u* = D / (H k (a1 - R b1))`` when ``a1 > R b1`` (0 if
    D <= 0); when ``a1 <= R b1`` it clears at every scale if D <= 0 (u* = 0) and never otherwise (inf).
    """
    H, R = horizon_months, min_roi
    a0 = current.intercept_usd(hourly_rate_usd) + other_benefit_usd_per_month
    b0 = new.intercept_usd(hourly_rate_usd)
    a1, b1 = np.asarray(current.usd_per_unit, float), np.asarray(new.usd_per_unit, float)
    E = np.asarray(new.build_hours, float) * hourly_rate_usd
    D = R * E + R * H * b0 - H * a0
    g = H * np.asarray(per_user, float) * (a1 - R * b1)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(g > 0, np.maximum(D, 0.0) / g, np.where(D <= 0, 0.0, np.inf))
    return u


def required_other_benefit(current: Option, new: Option, driver, hourly_rate_usd, horizon_months, min_roi: float):
    """Non-dollar benefit per month (speed, satisfaction) the switch must bring for its ROI to reach
    ``min_roi``: ``R E / H + R cost_new - cost_current`` (<= 0: it clears on cost alone)."""
    E = np.asarray(new.build_hours, float) * hourly_rate_usd
    return (min_roi * E / horizon_months + min_roi * new.monthly_cost_usd(driver, hourly_rate_usd)
            - current.monthly_cost_usd(driver, hourly_rate_usd))


@dataclass(repr=False)
class BuildVsBuy(Results):
    """Build-vs-buy results for every decision (see the module docstring for the formulas).

    ``options``: monthly cost pieces of each option (point inputs). ``breakeven``: each pair of options'
    break-even driver and user count (build amortised over the horizon), with ``level`` intervals over the
    assumption ranges. ``roi``: each switch from the running option, at ``users``: ROI (point and
    interval), whether it clears the roadmap's bar, the user count (and month, with a growth curve) at
    which it first does, and the non-dollar benefit per month it would need.
    """

    decisions: dict[str, Decision]
    per_user: dict[str, tuple[float, float, float, str]]  # estimate, low, high, where from
    users: float
    hourly_rate_usd: float
    horizon_months: float
    min_roi: float
    other_benefit_usd_per_month: float
    level: float
    options: Any
    breakeven: Any
    roi: Any
    prices: Any  # price rows used (with as_of)
    n_draws: int
    seed: int
    origins: list[Resolved] = field(default_factory=list)

    title = "Build vs buy"

    @property
    def as_of(self) -> str:
        return str(self.prices["as_of"].max())

    def cost_curves(self, decision: str, users):
        """Monthly cost of each option (ops time included, build amortised over the horizon) at ``users``."""
        import pandas as pd

        d = self.decisions[decision]
        users = np.asarray(users, dtype=float)
        x = users * self.per_user[decision][0]
        out = pd.DataFrame({"users": users, "driver": x})
        for k, o in d.options.items():
            out[k] = o.monthly_cost_usd(x, self.hourly_rate_usd, self.horizon_months)
        return out

    def roi_curves(self, decision: str, users):
        """ROI of each switch from the running option at ``users`` (point inputs)."""
        import pandas as pd

        d = self.decisions[decision]
        users = np.asarray(users, dtype=float)
        x = users * self.per_user[decision][0]
        out = pd.DataFrame({"users": users})
        cur = d.options[d.current]
        for k in d.alternatives():
            out[k] = switch_roi(cur, d.options[k], x, self.hourly_rate_usd, self.horizon_months,
                                self.other_benefit_usd_per_month)
        return out

    def _payload(self) -> dict[str, Any]:
        return {"roi": self.roi.to_dict("records"), "breakeven": self.breakeven.to_dict("records"),
                "hourly_rate_usd": self.hourly_rate_usd, "horizon_months": self.horizon_months,
                "min_roi": self.min_roi, "users": self.users}

    def summary(self):
        """One row per switch from a running option: ROI with its interval, whether it clears the bar, and the
        user count at which it first does."""
        return self.roi[["decision", "switch", "roi", "roi_low", "roi_high", "clears", "users_at_min_roi"]]

    def __repr__(self) -> str:
        return (f"Build vs buy at {self.users:,.0f} users, ${self.hourly_rate_usd:,.0f}/engineer hour, "
                f"{self.horizon_months:g}-month horizon, bar {self.min_roi:g}x\n" + self.summary().to_string(index=False))

    __str__ = __repr__

    def plot_breakevens(self, users_max: float = 200_000, *, note: str = ""):
        """Monthly cost of each option against users, one panel per decision, with the break-evens."""
        from voyager_analysis.plots.decisions import breakeven_charts

        return breakeven_charts(self, users_max=users_max, note=note)

    def plot_roi(self, users_max: float = 300_000, *, note: str = ""):
        """ROI of each switch against users, with the roadmap's bar."""
        from voyager_analysis.plots.decisions import roi_chart

        return roi_chart(self, users_max=users_max, note=note)

    def inputs_table(self):
        """Where the evaluation's own values came from: the parameter, or its default (``-1`` rule)."""
        import pandas as pd

        return pd.DataFrame([r.as_row() for r in self.origins])

    def note(self) -> str:
        """A source line for figures: the hourly rate, the horizon and where each per-user driver came from."""
        return (f"${self.hourly_rate_usd:,.0f} per engineer hour; build spread over {self.horizon_months:g} months; "
                + "; ".join(f"{k}: {v[0]:,.4g} per user ({v[3]})" for k, v in self.per_user.items()) + ".")

    def breakeven_findings(self) -> str:
        """Markdown: the Algolia list price against the roadmap's, and for each pair of options which is cheaper
        below and above the break-even (with its interval)."""
        opts = self.options.set_index("option")
        labels = opts["label"]
        text = [f"Algolia costs ${opts.loc['algolia', 'usd_per_unit'] * 1000:.2f} per 1,000 searches at the list "
                f"price (as of {self.as_of}) against the roadmap's ${opts.loc['algolia_roadmap', 'usd_per_unit'] * 1000:.2f}; "
                f"both are shown. With operations time at ${self.hourly_rate_usd:,.2f}/hour:"]
        for r in self.breakeven.to_dict("records"):
            a, b = labels[r["cheaper_below"]], labels[r["cheaper_above"]]
            if np.isfinite(r["breakeven_users"]):
                lo, hi = r["users_low"], r["users_high"]
                between = f"{lo:,.0f}-{hi:,.0f} users" if np.isfinite(hi) else f"{_users(lo)} users to never"
                text.append(f"- {r['decision']}: **{a}** is cheaper below **{r['breakeven_users']:,.0f} users** "
                            f"({r['breakeven_driver']:,.0f} {r['driver']}; {self.level:.0%} interval {between}), "
                            f"**{b}** above.")
            else:
                other = r["option_b"] if r["cheaper_below"] == r["option_a"] else r["option_a"]
                text.append(f"- {r['decision']}: **{a}** is cheaper than {labels[other]} at every scale.")
        return "\n".join(text)

    def roi_findings(self, roadmap, horizon_end: str | None = None) -> str:
        """Markdown: how many switches clear the bar, when each first does, what non-dollar benefit it would
        need today, and how that compares with the roadmap's own timing (dedicated search, WebSockets, Redis
        host, background jobs). ``horizon_end``: the last month the growth curve was searched to."""
        roi = self.roi.set_index("switch")
        cleared = list(roi.index[roi.clears])
        out = [f"**{len(cleared)} of {len(roi)} switches clear the {self.min_roi:g}x bar at {self.users:,.0f} users**"
               + (f": {', '.join(cleared)}." if cleared else ".")]
        for s, r in roi.iterrows():
            when = (f"it first clears at {_users(r.users_at_min_roi)} users"
                    + (f" (around {r.month_at_min_roi})" if isinstance(r.month_at_min_roi, str)
                       else f", which the fitted growth curve does not reach by {horizon_end}")
                    if np.isfinite(r.users_at_min_roi) else "on cost alone it never clears, at any scale")
            out.append(f"- `{s}`: ROI **{r.roi:.2f}x** ({r.roi_low:.2f}-{r.roi_high:.2f}); {when}; to clear today it "
                       f"needs ${max(r.required_other_benefit_usd_per_month, 0):,.0f}/month of benefit that is not "
                       f"in the bill.")
        search_users = roadmap.get("thresholds.search_upgrade_users").value
        ws_users = roadmap.get("thresholds.websockets_users").value
        best = roi[roi["from"] == "postgres_fts"].sort_values("users_at_min_roi").iloc[0]
        ws = roi.loc["polling -> websockets"]
        out.append(
            f"\n**Against the roadmap.** It moves to dedicated search at {search_users:,.0f} users. On cost the best "
            f"search switch ({best.name}) clears {self.min_roi:g}x only at {_users(best.users_at_min_roi)} users; "
            + ("so the move must be justified by speed, not cost — worth at least "
               f"${max(best.required_other_benefit_usd_per_month, 0):,.0f}/month at today's scale."
               if not (best.users_at_min_roi <= search_users) else "consistent with the roadmap's timing.")
            + f" It keeps WebSockets for {ws_users:,.0f}+ users; polling → WebSockets clears the bar at "
            f"{_users(ws.users_at_min_roi)} users"
            + (" — earlier than the roadmap says." if ws.users_at_min_roi < ws_users else
               " — consistent with waiting." if np.isfinite(ws.users_at_min_roi) else " — never on cost alone."))
        out.append(self._hosting_findings(roadmap, roi))
        return "\n".join(out)

    def _hosting_findings(self, roadmap, roi) -> str:
        be = self.breakeven.set_index(["decision", "option_a", "option_b"])
        labels = self.options.set_index("option")["label"]
        redis, jobs = be.loc[("redis", "upstash", "railway")], be.loc[("jobs", "vercel_cron", "inngest")]
        phase_2, phase_3 = roadmap.get("phases.phase_2.users"), roadmap.get("phases.phase_3.users")
        move = roi.loc["vercel_cron -> inngest"]
        return (
            f"\nIt recommends Upstash over Railway for Redis: counting operations time, {redis.cheaper_below} is "
            f"cheaper below {_users(redis.breakeven_users)} users"
            + (f", i.e. within the roadmap's own range (up to {phase_3.high:,.0f} users) the cheaper host changes."
               if redis.breakeven_users < phase_3.high else ", beyond the roadmap's range, so the recommendation holds.")
            + f" It recommends Inngest for background jobs in Phase 2 ({phase_2.low:,.0f}-{phase_2.high:,.0f} users): "
            + (f"Inngest is the cheaper build throughout Phase 2 (cheaper below {_users(jobs.breakeven_users)} users)"
               if jobs.cheaper_below == "inngest" and jobs.breakeven_users >= phase_2.high else
               f"{labels[jobs.cheaper_below]} is cheaper below {_users(jobs.breakeven_users)} users, "
               f"{labels[jobs.cheaper_above]} above")
            + f"; but once cron jobs run, moving them to Inngest returns {move.roi:.2f}x, "
            + ("over" if move.clears else "under") + " the bar.")

    def _repr_html_(self) -> str:
        return (f"<p><b>Build vs buy</b> at {self.users:,.0f} users, ${self.hourly_rate_usd:,.0f} per engineer hour, "
                f"{self.horizon_months:g}-month horizon, roadmap bar ROI &ge; {self.min_roi:g}x; prices as of "
                f"{self.as_of}</p>" + self.roi.to_html(index=False, na_rep="-", float_format="{:,.4g}".format))


def _users(u) -> str:
    return "never" if not np.isfinite(u) else f"{u:,.0f}"


def _per_user_drivers(df, figures, level, seed) -> dict[str, tuple[float, float, float, str]]:
    """Driver per user for each decision: searches from the usage curve when the metrics have them."""
    out = {}
    for name, (_, key, _, _) in DECISIONS.items():
        f = figures[key]
        out[name] = (point_values({key: f})[key], f.low, f.high, "data/assumptions/decisions.yaml")
    if df is not None and "searches" in df.columns and df["searches"].notna().sum() >= 6:
        from voyager_analysis.usage import fit_activity

        try:
            est, lo, hi = fit_activity(df, "searches", alpha=1 - level, seed=seed).per_user_interval()
            out["search"] = (est, lo, hi, f"usage curve of searches per user at {df['month'].iat[-1]} "
                                          f"({_source(df) or 'metrics'})")
        except InputError:
            pass
    return out


def build_vs_buy(roadmap, prices, assumptions: Mapping[str, Any], *, df=None, users: float | None = None,
                 hourly_rate_usd: float | None = None, horizon_months: float | None = None, min_roi: float | None = None,
                 other_benefit_usd_per_month: float = 0.0, growth=None, level: float = 0.95, n_draws: int = 4000,
                 seed: int = config.DEFAULT_SEED, horizon_search_months: int = HORIZON_MONTHS) -> BuildVsBuy:
    """Break-evens, ROI of each switch and the user count where it clears the roadmap's bar.

    ``assumptions``: the decisions.yaml figure tree (``load_project().figures("decisions")``). ``df``: metrics (the
    latest users, and searches per user from the usage curve). ``users``: where to evaluate the ROI
    (None or -1: the latest observed users). ``hourly_rate_usd``/``horizon_months``: override the point value
    of the assumption ranges (fixed, not drawn, when given; None or -1: the point value, drawn over the
    range; any other negative number is an InputError naming the parameter). ``min_roi``: default the roadmap's
    ``thresholds.migrate_min_roi``. ``growth``: a fitted GrowthComparison to turn user counts into months.
    Intervals are ``level`` quantiles over ``n_draws`` seeded draws of every ranged input
    (:func:`~voyager_analysis.montecarlo.sample_figures`; a measured driver is drawn log-normal around its fit
    from the same per-name streams).
    """
    import pandas as pd

    figures = decision_figures(roadmap, assumptions)
    per_user = _per_user_drivers(df, figures, level, seed)
    if df is None and (users is None or users == DEFAULT_SENTINEL):
        raise InputError("build_vs_buy needs users= or a metrics frame df=")
    latest = float(df["users"].dropna().iat[-1]) if df is not None else None
    origins = [resolve("roi_users", DEFAULT_SENTINEL if users is None else users, default=latest,
                       default_origin=f"latest month of {_source(df) or 'the metrics'}")]
    users = origins[0].value
    if not users > 0:
        raise InputError(f"parameter roi_users: must be > 0, got {users:g}")
    if min_roi is None:
        min_roi = roadmap.get("thresholds.migrate_min_roi").value
    point = point_values(figures)
    draws = sample_figures(figures, n_draws, seed)
    for name, (est, lo, hi, src) in per_user.items():
        key = DECISIONS[name][1]
        point[key] = est
        if src.startswith("usage curve") and hi > lo > 0:  # a measured interval: log-normal around the fit
            from scipy.stats import norm

            sd = (math.log(hi) - math.log(lo)) / (2 * norm.ppf(0.5 + level / 2))
            draws[key] = est * np.exp(sd * stream(seed, f"{key} (measured)").standard_normal(n_draws))
    for name, key, given in (("hourly_rate_usd", "engineering.usd_per_hour", hourly_rate_usd),
                             ("horizon_months", "roi.horizon_months", horizon_months)):
        r = resolve(name, DEFAULT_SENTINEL if given is None else given, default=point[key], low=1e-9,
                    default_origin=f"point value of {key} in decisions.yaml (drawn over its range)")
        origins.append(r)
        if r.origin == "parameter":
            point[key] = r.value
            draws[key] = np.full(n_draws, r.value)
    rate, H = point["engineering.usd_per_hour"], point["roi.horizon_months"]
    rate_d, H_d = draws["engineering.usd_per_hour"], draws["roi.horizon_months"]
    up = unit_prices(prices)
    mapper = (MonthMapper(growth, horizon_months=horizon_search_months, n_sim=n_draws, seed=seed)
              if growth is not None else None)
    decisions, opt_rows, be_rows, roi_rows = {}, [], [], []
    for name in DECISIONS:
        d = build_decision(name, point, up)
        dd = build_decision(name, draws, up)
        decisions[name] = d
        k, k_d = point[d.per_user_input], draws[d.per_user_input]
        for o in d.options.values():
            opt_rows.append({"decision": name, "option": o.name, "label": o.label, "driver": d.driver,
                             "fixed_usd_per_month": o.fixed_usd_per_month, "usd_per_unit": o.usd_per_unit,
                             "ops_hours_per_month": o.ops_hours_per_month, "build_hours": o.build_hours,
                             "running": o.name == d.current})
        for a, b in combinations(d.options, 2):
            if d.options[b].variant_of == a or d.options[a].variant_of == b:
                continue
            x = float(breakeven(d.options[a], d.options[b], rate, H))
            x_d = breakeven(dd.options[a], dd.options[b], rate_d, H_d)
            u_d = np.where(np.isnan(x_d), np.inf, x_d / k_d)
            lo, hi = draw_interval(u_d, level)
            cheap_small = a if d.options[a].intercept_usd(rate, H) <= d.options[b].intercept_usd(rate, H) else b
            other = b if cheap_small == a else a
            be_rows.append({"decision": name, "option_a": a, "option_b": b, "breakeven_driver": x,
                            "driver": d.driver, "breakeven_users": x / k if np.isfinite(x) else math.nan,
                            "users_low": lo, "users_high": hi,
                            "share_of_draws_crossing": float(np.mean(~np.isnan(x_d))),
                            "cheaper_below": cheap_small, "cheaper_above": other if np.isfinite(x) else cheap_small})
        cur, cur_d = d.options[d.current], dd.options[d.current]
        for alt in d.alternatives():
            new, new_d = d.options[alt], dd.options[alt]
            x, x_d = k * users, k_d * users
            roi = float(switch_roi(cur, new, x, rate, H, other_benefit_usd_per_month))
            roi_d = switch_roi(cur_d, new_d, x_d, rate_d, H_d, other_benefit_usd_per_month)
            u_star = float(users_clearing_roi(cur, new, k, rate, H, min_roi, other_benefit_usd_per_month))
            u_star_d = users_clearing_roi(cur_d, new_d, k_d, rate_d, H_d, min_roi, other_benefit_usd_per_month)
            saving = float(cur.monthly_cost_usd(x, rate) - new.monthly_cost_usd(x, rate))
            build = float(new.build_hours) * rate
            rlo, rhi = draw_interval(roi_d, level)
            ulo, uhi = draw_interval(u_star_d, level)
            row = {"decision": name, "switch": f"{d.current} -> {alt}", "from": d.current, "to": alt,
                   "users": users, "driver_value": x, "driver": d.driver,
                   "cost_from_usd_per_month": float(cur.monthly_cost_usd(x, rate)),
                   "cost_to_usd_per_month": float(new.monthly_cost_usd(x, rate)), "build_usd": build,
                   "roi": roi, "roi_low": rlo, "roi_high": rhi, "clears": bool(clears(roi, min_roi)),
                   "share_of_draws_clearing": float(np.mean(clears(roi_d, min_roi))),
                   "users_at_min_roi": u_star, "users_at_min_roi_low": ulo, "users_at_min_roi_high": uhi,
                   "month_at_min_roi": None, "month_at_min_roi_low": None, "month_at_min_roi_high": None,
                   "required_other_benefit_usd_per_month": float(
                       required_other_benefit(cur, new, x, rate, H, min_roi)),
                   "net_saving_usd_per_month": saving,
                   "payback_months": build / saving if saving > 0 else math.inf}
            if mapper is not None:  # a bar already cleared at today's users counts from the last month
                m = max(float(mapper.point(u_star)), mapper.t_last)
                mlo, mhi = draw_interval(np.maximum(mapper.draws(u_star_d), mapper.t_last), level)
                row.update(month_at_min_roi=mapper.calendar(m), month_at_min_roi_low=mapper.calendar(mlo),
                           month_at_min_roi_high=mapper.calendar(mhi))
            roi_rows.append(row)
    return BuildVsBuy(decisions=decisions, per_user=per_user, users=users, hourly_rate_usd=rate, horizon_months=H,
                      min_roi=min_roi, other_benefit_usd_per_month=other_benefit_usd_per_month, level=level,
                      options=pd.DataFrame(opt_rows), breakeven=pd.DataFrame(be_rows), roi=pd.DataFrame(roi_rows),
                      prices=price_rows(prices), n_draws=n_draws, seed=seed, origins=origins)
