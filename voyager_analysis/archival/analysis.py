"""The archival analysis of notebook 06 as one results object: :func:`analyse` -> :class:`ArchivalAnalysis`.

:func:`analyse` resolves every ``-1`` parameter with :func:`voyager_analysis.values.resolve` (the parameter,
else the scenario's override, else the roadmap's rule, the list price or the middle of our assumption's
range via :func:`~voyager_analysis.values.point_value`), extends the metrics' users by the horizon, and
simulates the policy. The results object carries the tables, the verdict sentences (``*_markdown``), the
figures (``plot_*``) and the notebook's results payload (``to_dict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from voyager_analysis.archival.model import ArchivalPolicy, payback_months, price_comparison
from voyager_analysis.errors import InputError
from voyager_analysis.results import Missing, Results
from voyager_analysis.values import Resolved, check_parameter, point_value, resolve

#: Policy parameters priced from the cost model's inputs (a scenario may override them): parameter -> input.
MODEL_INPUT_OF = {"conversations_per_user_month": "conversations_per_user_month",
                  "hot_storage_usd_per_gb_month": "neon_storage", "archive_storage_usd_per_gb_month": "s3_standard_storage",
                  "put_usd_per_1000": "s3_put_requests"}
#: The inactivity thresholds tried in the "two knobs" table, as multiples of the rule's.
KNOB_MULTIPLES = (0.5, 1.0, 1.5, 2.0)


@dataclass(repr=False)
class ArchivalAnalysis(Results):
    """An archive policy simulated over the metrics' months and a horizon: savings, payback, sensitivity."""

    policy: ArchivalPolicy
    users: np.ndarray  #: monthly active users, the metrics' months then the horizon
    months: list[str]
    start: int  #: index of the first month the policy runs
    engineering_cost_usd: float
    roadmap: Any
    prices: Any
    activity: dict[str, Any]  #: the activity figures of ``archival.yaml`` (their ranges)
    origins: list[Resolved] = field(default_factory=list)
    observed: dict[str, float] = field(default_factory=dict)  #: last metrics month: total_gb, archived_share, index
    ranges: dict[str, Any] = field(default_factory=dict)  #: ranged inputs of the sensitivity analysis
    scenario: str | None = None
    note: str = ""
    measured: dict[str, str] = field(default_factory=dict)  #: ranged input -> source, for those measured from data
    assumed: dict[str, Any] = field(default_factory=dict)  #: input -> the range used without a scenario
    scenario_obj: Any = None  #: the :class:`~voyager_analysis.scenarios.Scenario`
    sobol_n: int = 512
    seed: int = 0
    title = "Archival: what moving old conversations to S3 saves"

    # --- the numbers -----------------------------------------------------------------------------------------
    @cached_property
    def table(self):
        """:meth:`ArchivalPolicy.simulate` over the months."""
        return self.policy.simulate(self.users, months=self.months, engineering_cost_usd=self.engineering_cost_usd,
                                    policy_start_month=self.start)

    @property
    def end(self):
        return self.table.iloc[-1]

    @cached_property
    def comparison(self):
        return price_comparison(self.roadmap, self.prices)

    @property
    def as_of(self) -> str:
        return max(self.prices.service(i).as_of for i in
                   ("neon_storage", "s3_standard_storage", "s3_put_requests", "s3_get_requests"))

    @cached_property
    def payback_months(self) -> float:
        return payback_months(self.table["net_savings_usd"], self.engineering_cost_usd, self.start)

    @property
    def roi(self) -> float:
        after = self.table["net_savings_usd"].iloc[self.start:].sum()
        return float(after / self.engineering_cost_usd) if self.engineering_cost_usd > 0 else float("inf")

    @property
    def min_roi(self):
        return self.roadmap.get("thresholds.migrate_min_roi")

    @cached_property
    def savings_at_roadmap_prices_usd(self) -> float:
        rule = self.roadmap["archival"]
        policy = self.policy.replace(hot_storage_usd_per_gb_month=rule["hot_storage_price"].mid,
                                     archive_storage_usd_per_gb_month=rule["archive_storage_price"].mid)
        return float(policy.net_savings_at(self.users, policy_start_month=self.start))

    @property
    def s3_bill_usd(self):
        """The model's S3 bill per month: archived GB at the archive price plus requests."""
        return self.table["archived_gb"] * self.policy.archive_storage_usd_per_gb_month + self.table["request_usd"]

    def eligible_curves(self, ages) -> dict[str, np.ndarray]:
        """Share archived by age for the activity used and for the fast- and slow-decay ends of its range."""
        p, a = self.policy, self.activity
        v, h = a["visits_per_month_new"], a["activity_half_life_months"]
        return {f"{p.visits_per_month_new:g} visits/month, half-life {p.activity_half_life_months:g} mo (used)":
                p.eligible_share(ages),
                f"{v.low:g} visits/month, half-life {h.low:g} mo (fast decay)":
                p.replace(visits_per_month_new=v.low, activity_half_life_months=h.low).eligible_share(ages),
                f"{v.high:g} visits/month, half-life {h.high:g} mo (slow decay)":
                p.replace(visits_per_month_new=v.high, activity_half_life_months=h.high).eligible_share(ages)}

    def shown_months(self):
        """The simulated table at the policy start, the last observed month, a year on and the end."""
        t = self.table
        rows = sorted({self.start, int(self.observed.get("index", 0)), self.start + 12, len(t) - 1} & set(range(len(t))))
        return t.iloc[rows].set_index("month")[
            ["users", "total_gb", "archived_gb", "archived_share", "puts", "gets", "gb_moved", "storage_saved_usd",
             "request_usd", "net_savings_usd", "cumulative_net_usd"]]

    def knob_table(self):
        """The last month's archived share and net saving with the inactivity threshold at
        :data:`KNOB_MULTIPLES` x the rule's, each with and without the view-count condition."""
        import pandas as pd

        T, V = self.policy.inactive_months_threshold, self.policy.max_view_count
        grid_T = np.repeat(np.array(KNOB_MULTIPLES) * T, 2)
        grid_V = np.tile(np.array([V, np.inf]), len(KNOB_MULTIPLES))
        flows = self.policy.replace(inactive_months_threshold=grid_T, max_view_count=grid_V).flows(self.users, self.start)
        return pd.DataFrame({"inactive_months_threshold": grid_T,
                             "view_condition": [f"fewer than {v:g} views" if np.isfinite(v) else "none" for v in grid_V],
                             "archived_share": flows["archived_share"][:, -1],
                             "net_savings_usd": flows["net_savings_usd"][:, -1]})

    def s3_table(self):
        """The roadmap's S3 lines (phases 2 and 3) and the archive size they imply at its own S3 price."""
        import pandas as pd

        price = self.roadmap["archival"]["archive_storage_price"].mid
        rows = []
        for key in ("phase_2", "phase_3"):
            phase = self.roadmap["phases"][key]
            s3 = phase["costs"]["s3"]
            rows.append({"phase": phase["label"], "roadmap_s3_low_usd": s3.low, "roadmap_s3_high_usd": s3.high,
                         "implied_archive_gb_low": s3.low / price, "implied_archive_gb_high": s3.high / price})
        return pd.DataFrame(rows).set_index("phase")

    def _net_saving(self, **inputs):
        """Net saving in the last month with some inputs replaced (arrays): the sensitivity analysis' model."""
        return self.policy.replace(**inputs).net_savings_at(self.users, policy_start_month=self.start)

    @cached_property
    def sensitivity(self):
        """:func:`voyager_analysis.sensitivity.analyze` of the last month's net saving over :attr:`ranges`
        (None: nothing ranged)."""
        from voyager_analysis import sensitivity

        if not self.ranges:
            return None
        problem = sensitivity.problem_from_figures(self.ranges)
        base = {n: getattr(self.policy, n) for n in problem["names"]}
        return sensitivity.analyze(sensitivity.kwargs_model(self._net_saving, problem["names"]), problem, base,
                                   output_label=f"net saving in {self.months[-1]}, USD per month", n=self.sobol_n,
                                   seed=self.seed, note=self.note, measured=self.measured)

    # --- the protocol ----------------------------------------------------------------------------------------
    def inputs_frame(self):
        import pandas as pd

        rows = [r.as_row() for r in self.origins]
        rows.append({"input": "engineering_cost_usd", "value": self.engineering_cost_usd, "origin": "hours x rate"})
        rows.append({"input": "policy_start_month", "value": self.months[self.start], "origin": ""})
        return pd.DataFrame(rows).set_index("input")

    def summary(self):
        import pandas as pd

        e = self.end
        return pd.Series({"at_month": e.month, "archived_share": e.archived_share, "archived_gb": e.archived_gb,
                          "monthly_savings_usd": e.net_savings_usd, "payback_months": self.payback_months,
                          "roi_over_horizon": self.roi, "price_ratio_list": self.comparison.loc["list price", "ratio"]},
                         name="value").to_frame()

    def _payload(self) -> dict[str, Any]:
        e = self.end
        sens = self.sensitivity
        return {
            "at_month": str(e.month), "archived_share": float(e.archived_share), "archived_gb": float(e.archived_gb),
            "monthly_savings_usd": float(e.net_savings_usd), "storage_saved_usd": float(e.storage_saved_usd),
            "request_usd": float(e.request_usd), "s3_monthly_usd": float(self.s3_bill_usd.iat[-1]),
            "monthly_savings_at_roadmap_prices_usd": self.savings_at_roadmap_prices_usd,
            "gb_moved_total": float(self.table["gb_moved"].sum()),
            "engineering_cost_usd": self.engineering_cost_usd,
            "payback_months": (float(self.payback_months) if np.isfinite(self.payback_months)
                               else Missing("the build cost is not covered within the months simulated")),
            "roi_over_horizon": self.roi, "roadmap_min_roi": float(self.min_roi.value),
            "policy_start_month": self.months[self.start], "scenario": self.scenario or None,
            "price_ratio_roadmap": float(self.comparison.loc["roadmap", "ratio"]),
            "price_ratio_list": float(self.comparison.loc["list price", "ratio"]),
            "prices_as_of": self.as_of, "inputs": self.policy.as_dict(),
            "sensitivity_output": "monthly_savings_usd",
            "sensitivity": sens.to_dict() if sens is not None else {},
            "top_inputs": sens.top_inputs(3) if sens is not None else [],
            "measured_inputs": {k: dict(v) for k, v in self.measured_table().to_dict(orient="index").items()},
        }

    # --- the words -------------------------------------------------------------------------------------------
    def prices_markdown(self) -> str:
        r, lp = self.comparison.loc["roadmap"], self.comparison.loc["list price"]
        return (f"The roadmap prices Postgres at ${r.hot_usd_per_gb_month:.2f} and S3 at ${r.archive_usd_per_gb_month:.2f} "
                f"per GB-month ({r.ratio:.0f}x). At list prices as of {self.as_of} Neon storage costs "
                f"${lp.hot_usd_per_gb_month:.2f} and S3 Standard ${lp.archive_usd_per_gb_month:.3f}: **{lp.ratio:.1f}x**, "
                f"and each archived GB saves ${lp.saving_usd_per_gb_month:.3f} a month instead of "
                f"${r.saving_usd_per_gb_month:.2f}. The roadmap's claim understates the price gap; whether archival "
                "pays depends on how many GB there are, which the rest of this notebook works out.")

    def lifetime_markdown(self) -> str:
        lifetime = float(self.policy.expected_visits(np.inf))
        V = self.policy.max_view_count
        return (f"With the middle assumptions a conversation gets {lifetime:.1f} visits over its life on average, so "
                f"the 'fewer than {V:g} views' condition {'rarely binds' if lifetime < V / 2 else 'binds often'}; the "
                "inactivity window does most of the selecting.")

    def data_check_markdown(self) -> str:
        i, t = int(self.observed.get("index", 0)), self.table
        return (f"Check against the data: at {self.months[i]} the model holds {t.total_gb.iat[i]:,.1f} GB in all; the "
                f"metrics file reports {self.observed.get('total_gb', float('nan')):,.1f} GB (hot + archived), of which "
                f"{self.observed.get('archived_share', float('nan')):.0%} archived, against the model's "
                f"{t.archived_share.iat[i]:.0%} under this rule. A large gap means the activity assumptions, or the "
                "rule actually in use, differ from what the data shows.")

    def savings_markdown(self) -> str:
        e, cost, payback, roi, bar = self.end, self.engineering_cost_usd, self.payback_months, self.roi, self.min_roi
        verdict = (f"pays back the ${cost:,.0f} build after **{payback:.0f} months**" if np.isfinite(payback) else
                   f"does **not** pay back the ${cost:,.0f} build within the {len(self.table) - self.start} months simulated")
        return (f"By {e.month} the rule keeps **{e.archived_share:.0%}** of conversation data ({e.archived_gb:,.1f} GB) in "
                f"S3 and saves **${e.net_savings_usd:,.2f}/month** net (storage ${e.storage_saved_usd:,.2f} minus requests "
                f"${e.request_usd:,.2f}); at the roadmap's storage prices it would be "
                f"${self.savings_at_roadmap_prices_usd:,.2f}/month. It {verdict}. Over the simulated months after the "
                f"start the return is {roi:.2f}x the build cost, against the roadmap's own bar of {bar.value:g}x "
                f"({bar.section}): {'it clears the bar' if roi >= bar.value else 'on storage cost alone it does not clear the bar'}. "
                "The roadmap's other reasons (smaller tables, faster queries) are not priced here.")

    def knobs_markdown(self, knobs=None) -> str:
        knobs = self.knob_table() if knobs is None else knobs
        best = knobs.loc[knobs.net_savings_usd.idxmax()]
        return (f"In {self.months[-1]}, the most saving among these is {best.inactive_months_threshold:g} months with view "
                f"condition '{best.view_condition}': ${best.net_savings_usd:,.2f}/month, against "
                f"${self.end.net_savings_usd:,.2f} for the rule as given.")

    def s3_markdown(self, s3=None) -> str:
        s3, bill, e = self.s3_table() if s3 is None else s3, float(self.s3_bill_usd.iat[-1]), self.end
        low, high = s3.roadmap_s3_low_usd.min(), s3.roadmap_s3_high_usd.max()
        if not 0 < bill < low:
            return (f"The model's S3 bill is ${bill:,.2f}/month by {e.month}, against the roadmap's S3 lines of "
                    f"${low:,.0f}-{high:,.0f}/month.")
        return (f"At its own S3 price the roadmap's S3 lines imply {s3.implied_archive_gb_low.min():,.0f}-"
                f"{s3.implied_archive_gb_high.max():,.0f} GB of archive. The model's archive holds {e.archived_gb:,.1f} GB "
                f"by {e.month} (S3 bill ${bill:,.2f}/month with requests) at {e.users:,.0f} users and "
                f"{self.policy.new_gb_per_user_month * 1e3:.3g} MB of new data per user-month: conversation text is "
                f"small, and the lowest S3 line of the roadmap is {low / bill:,.0f}x the model's S3 bill.")

    def sensitivity_markdown(self) -> str:
        if self.sensitivity is None:
            return "No input is ranged, so there is no sensitivity to show."
        st = self.sensitivity.sobol["ST"].sort_values(ascending=False)
        ends = self.sensitivity.tornado[["output_at_low", "output_at_high"]]
        second = f", then {st.index[1]} ({st.iloc[1]:.2f})" if len(st) > 1 else ""
        return (f"The saving is most sensitive to **{st.index[0]}** (ST {st.iloc[0]:.2f}){second}. Over their ranges the "
                f"net saving in {self.months[-1]} runs from ${ends.min().min():,.2f} to ${ends.max().max():,.2f}/month one "
                "input at a time. " + self.sensitivity.basis_markdown() + " How often old conversations are reopened "
                "is not in the monthly metrics: `voyager-analysis measure` estimates the activity model from the "
                "conversations' views (its half-life and visits when new). " + self.sensitivity.sobol.attrs.get("method", "") + ".")

    def measured_table(self):
        """The scenario's measured values next to the ranges used without it (empty unless measured)."""
        from voyager_analysis.measure import measured_vs_assumed

        return measured_vs_assumed(self.scenario_obj, self.assumed)

    # --- the figures -----------------------------------------------------------------------------------------
    def plot_eligible_by_age(self, max_age_months: float = 36):
        from voyager_analysis.plots.archival import eligible_by_age_chart

        ages = np.linspace(0, max_age_months, 145)
        return eligible_by_age_chart(ages, self.eligible_curves(ages), note=self.note)

    def plot_storage(self):
        from voyager_analysis.plots.archival import storage_chart

        return storage_chart(self.table, self.start, note=self.note)

    def plot_savings(self):
        from voyager_analysis.plots.archival import savings_chart

        return savings_chart(self.table, self.engineering_cost_usd, note=self.note)


def _policy_start(roadmap, months: list[str], policy_start_month: str) -> int:
    """Index of the start month: the parameter, else the roadmap's archival start (its month 0 is its date minus
    ``timeline.this_month``)."""
    from voyager_analysis.months import add_months

    label = policy_start_month or add_months(roadmap.meta["dated"][:7], int(roadmap.get("timeline.archival_start").value)
                                             - int(roadmap.get("timeline.this_month").value))
    if label not in months:
        raise InputError(f"parameter policy_start_month: '{label}' is outside the simulated months "
                         f"{months[0]}..{months[-1]}")
    return months.index(label)


def analyse(project, *, scenario: str = "", archival_figures=None, horizon_months: int = 24,
            users_growth_per_month: float = 0.0, policy_start_month: str = "", sobol_n: int = 512, seed: int = 0,
            **params: float) -> ArchivalAnalysis:
    """Notebook 06's analysis from a :class:`~voyager_analysis.project.Project` and its parameters.

    ``params`` are the policy's numeric parameters (``inactive_months_threshold``, ``max_view_count``,
    ``hot_storage_usd_per_gb_month`` ... ``engineering_hours``, ``engineering_usd_per_hour``); ``-1`` means the
    roadmap's rule, the scenario's value, the list price, or the middle of our range (``archival.yaml``,
    ``drivers.yaml``). ``reopen_share_per_month`` = -1 means: implied by the activity model.
    """
    from voyager_analysis.months import add_months
    from voyager_analysis.sensitivity import measured_inputs
    from voyager_analysis.usage import fit_storage, usage_drivers

    df, roadmap, prices = project.metrics, project.roadmap, project.prices
    own = archival_figures if archival_figures is not None else project.figures("archival")
    chosen = project.scenario(scenario)
    overrides = chosen.overrides
    base = project.base_inputs()
    rule = roadmap["archival"]
    unknown = set(params) - {"inactive_months_threshold", "max_view_count", "visits_per_month_new",
                             "activity_half_life_months", "engineering_hours", "engineering_usd_per_hour",
                             "get_usd_per_1000", "reopen_share_per_month", *MODEL_INPUT_OF}
    if unknown:
        raise InputError(f"unknown archival parameter(s): {', '.join(sorted(unknown))}")
    p = {k: float(v) for k, v in params.items()}
    defaults = {
        "inactive_months_threshold": (rule["inactive_months"].value, f"roadmap ({rule['inactive_months'].section})"),
        "max_view_count": (rule["max_view_count"].value, f"roadmap ({rule['max_view_count'].section})"),
        "visits_per_month_new": (point_value(own["activity"]["visits_per_month_new"]), "archival.yaml"),
        "activity_half_life_months": (point_value(own["activity"]["activity_half_life_months"]), "archival.yaml"),
        "get_usd_per_1000": (prices.service("s3_get_requests").price_usd, "list price"),
        **{k: (point_value(base[i]), f"cost model input {i}") for k, i in MODEL_INPUT_OF.items()},
    }
    scenario_of = {k: overrides[MODEL_INPUT_OF.get(k, k)] for k in defaults if MODEL_INPUT_OF.get(k, k) in overrides}
    origins = [resolve(k, p.get(k, -1), default=d, default_origin=o,
                       overrides={k: scenario_of[k]} if k in scenario_of else None,
                       scenario=chosen.name) for k, (d, o) in defaults.items()]
    drivers = usage_drivers(df)
    origins.append(Resolved("new_gb_per_user_month", float(drivers["new_gb_per_user_month"][0]),
                            f"fitted from {df.attrs['source']}"))
    reopen = check_parameter("reopen_share_per_month", p.get("reopen_share_per_month", -1), high=1.0)
    values = {r.name: r.value for r in origins}
    policy = ArchivalPolicy(**values, reopen_share_per_month=None if reopen == -1 else reopen)
    eng = own["engineering"]
    cost = (resolve("engineering_hours", p.get("engineering_hours", -1), default=point_value(eng["hours"])).value
            * resolve("engineering_usd_per_hour", p.get("engineering_usd_per_hour", -1),
                      default=point_value(eng["usd_per_hour"])).value)
    horizon = int(check_parameter("horizon_months", horizon_months, allow_sentinel=False))
    growth = check_parameter("users_growth_per_month", users_growth_per_month, low=-1.0, allow_sentinel=False)
    users = np.concatenate([df["users"].to_numpy(float),
                            float(df["users"].iat[-1]) * (1 + growth) ** np.arange(1, horizon + 1)])
    months = [add_months(str(df["month"].iat[0]), i) for i in range(len(users))]
    start = _policy_start(roadmap, months, policy_start_month)
    last = len(df) - 1
    archived = float(df["archived_gb"].fillna(0).iat[-1]) if "archived_gb" in df else 0.0
    observed = {"index": last, "total_gb": float(df["storage_gb"].iat[-1]) + archived,
                "archived_share": float(fit_storage(df).archived_share)}
    ranges = _sensitivity_ranges(policy, own, base, overrides, rule, drivers)
    from_parameter = {r.name for r in origins if r.origin == "parameter"}
    measured = {k: v for k, v in measured_inputs(chosen, list(ranges)).items() if k not in from_parameter}
    if "new_gb_per_user_month" in ranges:
        measured["new_gb_per_user_month"] = f"storage growth fitted from {df.attrs['source']}"
    assumed = {k: own["activity"][k] for k in ("visits_per_month_new", "activity_half_life_months")}
    as_of = max(prices.service(i).as_of for i in ("neon_storage", "s3_standard_storage", "s3_put_requests",
                                                  "s3_get_requests"))
    scen = f" or scenario {scenario!r}" if scenario else ""
    note = (f"Inputs: users of {df.attrs['source']} then {horizon} months at {growth:.0%}/month growth; "
            f"{policy.new_gb_per_user_month * 1e3:.3g} MB new data per user-month; rule: inactive > "
            f"{policy.inactive_months_threshold:g} months and < {policy.max_view_count:g} views from {months[start]}; "
            f"{policy.visits_per_month_new:g} visits/month when new, half-life {policy.activity_half_life_months:g} "
            f"months; storage USD {policy.hot_storage_usd_per_gb_month:g} vs {policy.archive_storage_usd_per_gb_month:g} "
            f"per GB-month (list prices as_of {as_of} unless set by a parameter{scen}).")
    return ArchivalAnalysis(policy=policy, users=users, months=months, start=start, engineering_cost_usd=cost,
                            roadmap=roadmap, prices=prices, activity=dict(own["activity"]), origins=origins,
                            observed=observed, ranges=ranges, scenario=scenario or None, note=note,
                            measured=measured, assumed=assumed, scenario_obj=chosen,
                            sobol_n=int(check_parameter("sobol_n", sobol_n, low=1, allow_sentinel=False)), seed=int(seed))


def _sensitivity_ranges(policy: ArchivalPolicy, own, base, overrides, rule, drivers) -> dict[str, Any]:
    """The activity model from ``archival.yaml``; conversations per user-month from the cost model's drivers (or
    the scenario's); storage prices between the roadmap's figure and the price used; new data per user keeps
    the relative width of its fitted interval. Points are left out (the rule itself is a decision, held fixed)."""
    from voyager_analysis.sensitivity import relative_ranges

    def between(a, b):
        return (min(a, b), max(a, b)) if a != b else None

    conv = overrides.get("conversations_per_user_month", base["conversations_per_user_month"])
    ranged = {"visits_per_month_new": overrides.get("visits_per_month_new", own["activity"]["visits_per_month_new"]),
              "activity_half_life_months": overrides.get("activity_half_life_months",
                                                         own["activity"]["activity_half_life_months"]),
              "conversations_per_user_month": conv,
              **relative_ranges({"new_gb_per_user_month": policy.new_gb_per_user_month}, drivers),
              "hot_storage_usd_per_gb_month": between(rule["hot_storage_price"].mid, policy.hot_storage_usd_per_gb_month),
              "archive_storage_usd_per_gb_month": between(rule["archive_storage_price"].mid,
                                                          policy.archive_storage_usd_per_gb_month)}
    return {k: v for k, v in ranged.items() if v is not None and not getattr(v, "is_point", False)}


__all__ = ["ArchivalAnalysis", "KNOB_MULTIPLES", "MODEL_INPUT_OF", "analyse"]
