"""The routing analysis of notebook 04 as one results object: :func:`analyse` -> :class:`RoutingAnalysis`.

:func:`analyse` resolves every ``-1`` parameter with :func:`voyager_analysis.values.resolve` (the parameter,
else the scenario's override via :func:`~voyager_analysis.values.point_value`, else the usage fitted from the
metrics, :func:`voyager_analysis.usage.usage_drivers`), prices the workload with a :class:`RoutingModel`, and
runs the sensitivity analysis (tornado and Sobol'). The results object carries the tables, the verdict
sentences (``*_markdown``), the figures (``plot_*``) and the notebook's results payload (``to_dict``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from voyager_analysis.errors import InputError
from voyager_analysis.results import Results
from voyager_analysis.routing.model import RoutingModel, phase_of
from voyager_analysis.values import Resolved, check_parameter, resolve

#: The usage inputs fitted from the metrics (``usage.usage_drivers``), in the order of the model's arguments.
MEASURED = ("messages_per_user_month", "input_tokens_per_message", "output_tokens_per_message", "sonnet_share")
SHARES = ("sonnet_share", "cache_hit_rate", "batch_share")


@dataclass(repr=False)
class RoutingAnalysis(Results):
    """The Claude bill of one workload, its savings, budget shares, phase comparison and sensitivity."""

    model: RoutingModel
    users: float
    usage: dict[str, float]  #: the four :data:`MEASURED` inputs
    origins: list[Resolved]  #: every input with where its value came from
    roadmap: Any
    budget_usd: float = -1.0  #: -1: the roadmap's Claude range of the phase the user count falls in
    scenario: str | None = None
    source: str = ""  #: the metrics file the usage was fitted from
    ranges: dict[str, Any] = field(default_factory=dict)  #: ranged inputs of the sensitivity analysis
    measured: dict[str, str] = field(default_factory=dict)  #: ranged input -> source, for those measured from data
    assumed: dict[str, Any] = field(default_factory=dict)  #: input -> the range used without a scenario
    scenario_obj: Any = None  #: the :class:`~voyager_analysis.scenarios.Scenario`
    what_if: dict[str, float] = field(default_factory=dict)  #: caching/batching shown when the setting is 0
    sobol_n: int = 1024
    seed: int = 0
    title = "Claude routing: the monthly bill of a Haiku/Sonnet mix"

    # --- the numbers -----------------------------------------------------------------------------------------
    @property
    def _args(self) -> tuple:
        return (self.users, *(self.usage[k] for k in MEASURED[:3]))

    @cached_property
    def savings(self) -> dict[str, float]:
        """:meth:`RoutingModel.savings` at this workload (floats)."""
        return {k: float(v) for k, v in self.model.savings(*self._args, self.usage["sonnet_share"]).items()}

    @cached_property
    def cost_table(self):
        return self.model.cost_table(*self._args, self.usage["sonnet_share"])

    @cached_property
    def phase_key(self) -> str:
        return phase_of(self.roadmap, self.users)

    @property
    def claude_range(self):
        return self.roadmap["phases"][self.phase_key]["costs"]["claude"]

    @property
    def budgets(self) -> list[float]:
        r = self.claude_range
        return [float(self.budget_usd)] if self.budget_usd >= 0 else [float(r.low), float(r.high)]

    @cached_property
    def max_sonnet_share(self) -> np.ndarray:
        return np.atleast_1d(self.model.max_sonnet_share_for_budget(np.array(self.budgets), *self._args))

    @cached_property
    def phase_table(self):
        return self.model.phase_table(self.roadmap, *self._args[1:], self.usage["sonnet_share"])

    def effects(self):
        """:meth:`RoutingModel.caching_batching_effects`; a setting that is 0 takes the high end of its range
        (:attr:`what_if`) to show what it could be worth."""
        h = self.model.cache_hit_rate or self.what_if.get("cache_hit_rate", 0.0)
        b = self.model.batch_share or self.what_if.get("batch_share", 0.0)
        return self.model.replace(cache_hit_rate=h, batch_share=b).caching_batching_effects(
            *self._args, self.usage["sonnet_share"])

    def _bill(self, **inputs):
        """The bill with some inputs replaced (numpy arrays broadcast): the sensitivity analysis' model."""
        kw = {**self.usage, "cache_hit_rate": self.model.cache_hit_rate, "batch_share": self.model.batch_share,
              **inputs}
        model = self.model.replace(cache_hit_rate=kw.pop("cache_hit_rate"), batch_share=kw.pop("batch_share"))
        return model.monthly_cost_usd(self.users, *(kw[k] for k in MEASURED))

    @cached_property
    def sensitivity(self):
        """:func:`voyager_analysis.sensitivity.analyze` of the bill over :attr:`ranges` (None: nothing ranged)."""
        from voyager_analysis import sensitivity

        if not self.ranges:
            return None
        problem = sensitivity.problem_from_figures(self.ranges)
        base = {**self.usage, "cache_hit_rate": self.model.cache_hit_rate, "batch_share": self.model.batch_share}
        return sensitivity.analyze(sensitivity.kwargs_model(self._bill, problem["names"]), problem, base,
                                   output_label="Claude bill, USD per month", n=self.sobol_n, seed=self.seed,
                                   note=self.note, measured=self.measured)

    # --- the protocol ----------------------------------------------------------------------------------------
    def inputs_frame(self):
        """Every input, its value and where it came from."""
        import pandas as pd

        return pd.DataFrame([r.as_row() for r in self.origins]).set_index("input")

    def measured_table(self):
        """The scenario's measured values next to the ranges used without it (empty unless measured)."""
        from voyager_analysis.measure import measured_vs_assumed

        return measured_vs_assumed(self.scenario_obj, self.assumed)

    def summary(self):
        import pandas as pd

        sv = self.savings
        rows = {"users": self.users, "claude_monthly_cost_usd": sv["monthly_cost_usd"],
                "claude_cost_per_user_usd": sv["monthly_cost_usd"] / self.users,
                "all_haiku_monthly_cost_usd": sv["all_haiku_usd"], "all_sonnet_monthly_cost_usd": sv["all_sonnet_usd"],
                "savings_vs_all_sonnet_pct": sv["savings_vs_all_sonnet_pct"]}
        rows |= {f"max_sonnet_share_at_{b:,.0f}_usd": s for b, s in zip(self.budgets, self.max_sonnet_share)}
        return pd.Series(rows, name="value").to_frame()

    def _payload(self) -> dict[str, Any]:
        sv = self.savings
        r = self.claude_range
        sens = self.sensitivity
        return {
            "users": self.users,
            "claude_monthly_cost_usd": sv["monthly_cost_usd"],
            "claude_cost_per_user_usd": sv["monthly_cost_usd"] / self.users,
            "all_sonnet_monthly_cost_usd": sv["all_sonnet_usd"],
            "all_haiku_monthly_cost_usd": sv["all_haiku_usd"],
            "savings_vs_all_sonnet_usd": sv["savings_vs_all_sonnet_usd"],
            "savings_vs_all_sonnet_pct": sv["savings_vs_all_sonnet_pct"],
            "extra_vs_all_haiku_pct": sv["extra_vs_all_haiku_pct"],
            "inputs": {**self.usage, "cache_hit_rate": float(self.model.cache_hit_rate),
                       "batch_share": float(self.model.batch_share)},
            "models": {"haiku": self.model.haiku.model, "sonnet": self.model.sonnet.model, "as_of": self.model.as_of},
            "scenario": self.scenario or None,
            "budget_usd": self.budgets,
            "max_sonnet_share_for_budget": [None if np.isnan(s) else float(s) for s in self.max_sonnet_share],
            "roadmap_phase": self.phase_key,
            "roadmap_claude_range_usd": [float(r.low), float(r.high)],
            "sensitivity_output": "claude_monthly_cost_usd",
            "sensitivity": sens.to_dict() if sens is not None else {},
            "top_inputs": sens.top_inputs(3) if sens is not None else [],
            "measured_inputs": {k: dict(v) for k, v in self.measured_table().to_dict(orient="index").items()},
        }

    # --- the words -------------------------------------------------------------------------------------------
    @property
    def note(self) -> str:
        """The inputs and price rows behind every figure (the figures' source note)."""
        u = self.usage
        scen = f" or scenario {self.scenario!r}" if self.scenario else ""
        return (f"Inputs: {self.users:,.0f} users, {u['messages_per_user_month']:.1f} messages/user/month, "
                f"{u['input_tokens_per_message']:,.0f} in / {u['output_tokens_per_message']:,.0f} out tokens per "
                f"message, {u['sonnet_share']:.0%} Sonnet, cache hit {self.model.cache_hit_rate:.0%}, batch "
                f"{self.model.batch_share:.0%} (usage fitted from {self.source} unless set by a parameter{scen}). "
                f"Prices: {self.model.haiku.model}, {self.model.sonnet.model} list, as_of {self.model.as_of}.")

    def bill_markdown(self) -> str:
        sv, share = self.savings, self.usage["sonnet_share"]
        return (f"At **{self.users:,.0f} users** the Claude bill is **${sv['monthly_cost_usd']:,.0f}/month** "
                f"(${sv['monthly_cost_usd'] / self.users:.3f} per user). Sonnet handles {share:.0%} of requests "
                f"but {self.cost_table.loc['sonnet', 'share_of_bill']:.0%} of the bill.")

    def savings_table(self):
        import pandas as pd

        sv = self.savings
        index = ["all Haiku", f"this mix ({self.usage['sonnet_share']:.0%} Sonnet)", "all Sonnet"]
        return pd.DataFrame({"monthly_cost_usd": [sv["all_haiku_usd"], sv["monthly_cost_usd"], sv["all_sonnet_usd"]]},
                            index=pd.Index(index, name="routing"))

    def savings_markdown(self) -> str:
        sv = self.savings
        ratio = sv["all_sonnet_usd"] / sv["all_haiku_usd"]
        return (f"Routing saves **${sv['savings_vs_all_sonnet_usd']:,.0f}/month ({sv['savings_vs_all_sonnet_pct']:.0f}%)**"
                f" against sending everything to Sonnet, and costs ${sv['extra_vs_all_haiku_usd']:,.0f}/month "
                f"({sv['extra_vs_all_haiku_pct']:.0f}%) more than sending everything to Haiku. With these prices "
                f"Sonnet costs {ratio:.2f}x Haiku per request, so routing can never save more than "
                f"{1 - 1 / ratio:.0%} of the all-Sonnet bill.")

    def budget_markdown(self) -> str:
        """One line per budget: the largest Sonnet share it allows, or why routing does not matter for it."""
        sv, phase = self.savings, self.roadmap["phases"][self.phase_key]
        origin = ("the budget_usd parameter" if self.budget_usd >= 0 else
                  f"the roadmap's Claude range for {phase['label']} ({self.claude_range.section})")
        lines = []
        for b, s in zip(self.budgets, self.max_sonnet_share):
            if np.isnan(s):
                lines.append(f"- **${b:,.0f}/month** does not cover even all-Haiku (${sv['all_haiku_usd']:,.0f}/month) "
                             "at this usage: the budget is short whatever the routing.")
            elif s >= 1:
                lines.append(f"- **${b:,.0f}/month** covers sending **every** request to Sonnet "
                             f"(${sv['all_sonnet_usd']:,.0f}/month): routing is not needed to stay within it.")
            else:
                lines.append(f"- **${b:,.0f}/month** allows at most **{s:.0%}** of requests on Sonnet; the rest must "
                             "go to Haiku.")
        return f"Budget from {origin}, at {self.users:,.0f} users:\n\n" + "\n".join(lines)

    def caching_markdown(self) -> str:
        """What caching and batching save (:meth:`effects`), and the most caching can save."""
        effects = self.effects()
        rows = self.model.price_rows()
        uncached = self.model.replace(cache_hit_rate=0.0)
        args = self._args
        input_part = (float(uncached.monthly_cost_usd(*args[:3], 0.0, self.usage["sonnet_share"]))
                      / float(uncached.monthly_cost_usd(*args, self.usage["sonnet_share"])))
        cache, batch = effects.loc["both", "cache_hit_rate"], effects.loc["both", "batch_share"]
        return (f"Caching {cache:.0%} of input tokens saves {effects.loc['caching only', 'saving_vs_none_pct']:.0f}% "
                f"of the bill; batching {batch:.0%} of requests saves "
                f"{effects.loc['batching only', 'saving_vs_none_pct']:.0f}%. Caching acts on input tokens only, which "
                f"are {input_part:.0%} of the uncached bill (output tokens cost "
                f"{(rows.output_usd_per_mtok / rows.input_usd_per_mtok).max():g}x as much per token), so even a "
                f"perfect cache saves at most {input_part * (1 - rows.cache_read_multiplier.max()):.0%} of it.")

    def phases_markdown(self) -> str:
        """Each phase where the model's range is not inside the roadmap's, with both ranges."""
        lines = []
        for _, r in self.phase_table.iterrows():
            if r.verdict != "model inside roadmap range":
                ratio = (r.model_low + r.model_high) / (r.roadmap_low + r.roadmap_high)
                lines.append(f"- {r.label}: the roadmap says ${r.roadmap_low:,.0f}-{r.roadmap_high:,.0f}/month; the "
                             f"model gives ${r.model_low:,.0f}-{r.model_high:,.0f}/month for {r.users_low:,.0f}-"
                             f"{r.users_high:,.0f} users ({r.verdict}; the model's midpoint is {ratio:.0%} of the "
                             "roadmap's).")
        return ("Where the model and the roadmap disagree:\n\n" + "\n".join(lines) if lines
                else "The model falls inside the roadmap's Claude range in every phase.")

    def sensitivity_markdown(self) -> str:
        if self.sensitivity is None:
            return "No input is ranged, so there is no sensitivity to show."
        sobol, tornado = self.sensitivity.sobol, self.sensitivity.tornado
        st = sobol["ST"].sort_values(ascending=False)
        third = f" and {st.index[2]}" if len(st) > 2 else ""
        second = f", then {st.index[1]} ({st.iloc[1]:.2f}){third}" if len(st) > 1 else ""
        return (f"The bill is most sensitive to **{st.index[0]}** (ST {st.iloc[0]:.2f}){second}. One at a time, "
                f"{tornado.input.iat[0]} swings the bill by ${tornado.swing.iat[0]:,.0f}/month over its range. "
                + self.sensitivity.basis_markdown() + " An assumption at the top of this table is worth measuring "
                "(`voyager-analysis measure`) before refining anything else. " + sobol.attrs.get("method", "") + ".")

    # --- the figures -----------------------------------------------------------------------------------------
    def plot_cost_curve(self):
        from voyager_analysis.plots.routing import cost_curve_chart

        curve = self.model.cost_curve(*self._args)
        return cost_curve_chart(curve, self.usage["sonnet_share"], self.savings["monthly_cost_usd"],
                                budget_usd=max(self.budgets), note=self.note)

    def plot_phase_ranges(self):
        from voyager_analysis.plots.routing import phase_ranges_chart

        return phase_ranges_chart(self.phase_table.set_index("label"), note=self.note)


def sensitivity_ranges(usage: dict[str, float], drivers: dict, overrides: dict, cache_hit_rate, batch_share) -> dict:
    """The ranged inputs of the routing sensitivity analysis.

    A measured driver keeps the relative width of its fitted interval around the value used, unless the
    scenario gives it a range; ``cache_hit_rate`` and ``batch_share`` are figures (the cost model's driver and
    ``routing.yaml``'s); a point (e.g. set by a scenario) stays fixed.
    """
    from voyager_analysis.sensitivity import relative_ranges

    ranged: dict[str, Any] = {}
    for name in MEASURED:
        if name in overrides and not overrides[name].is_point:
            ranged[name] = overrides[name]
        else:
            ranged.update(relative_ranges({name: usage[name]}, drivers, shares=["sonnet_share"]))
    ranged.update({k: f for k, f in (("cache_hit_rate", cache_hit_rate), ("batch_share", batch_share))
                   if not f.is_point})
    return ranged


def analyse(project, *, scenario: str = "", routing_figures=None, users: float = -1,
            messages_per_user_month: float = -1, input_tokens_per_message: float = -1,
            output_tokens_per_message: float = -1, sonnet_share: float = -1, cache_hit_rate: float = -1,
            batch_share: float = -1, haiku_model: str = "", sonnet_model: str = "", budget_usd: float = -1,
            sobol_n: int = 1024, seed: int = 0) -> RoutingAnalysis:
    """Notebook 04's analysis from a :class:`~voyager_analysis.project.Project` and its parameters.

    ``-1`` means: ``users`` the latest month of the metrics; the usage inputs the scenario's value, else the
    value fitted from the metrics; ``cache_hit_rate`` and ``batch_share`` the scenario's value, else 0 (no caching
    or batching, as in the metrics); ``budget_usd`` the roadmap's Claude range for the phase of ``users``. ``routing_figures``: the
    ``routing.yaml`` tree (default: the project's).
    """
    from voyager_analysis.sensitivity import measured_inputs
    from voyager_analysis.usage import usage_drivers

    df = project.metrics
    drivers = usage_drivers(df)
    chosen = project.scenario(scenario)
    overrides = chosen.overrides
    inputs = project.inputs(scenario)
    figures = routing_figures if routing_figures is not None else project.figures("routing")
    fitted = f"fitted from {df.attrs['source']} (latest month {df.month.iat[-1]})"
    u = resolve("users", users, default=float(df["users"].iat[-1]), default_origin="latest month of metrics")
    if u.value == 0:
        raise InputError("parameter users: must be > 0 (or -1 for the latest month of metrics_path)")
    origins = [u] + [resolve(name, value, overrides=overrides, scenario=chosen.name, default=drivers[name][0],
                             default_origin=fitted, high=1.0 if name in SHARES else np.inf)
                     for name, value in zip(MEASURED, (messages_per_user_month, input_tokens_per_message,
                                                       output_tokens_per_message, sonnet_share))]
    origins.append(resolve("cache_hit_rate", cache_hit_rate, overrides=overrides, scenario=chosen.name, default=0.0,
                           default_origin="default: no caching", high=1.0))
    origins.append(resolve("batch_share", batch_share, overrides=overrides, scenario=chosen.name, default=0.0,
                           default_origin="default: no batching", high=1.0))
    check_parameter("budget_usd", budget_usd)
    values = {r.name: r.value for r in origins}
    usage = {k: values[k] for k in MEASURED}
    model = RoutingModel.from_prices(project.prices, haiku_model or None, sonnet_model or None,
                                     cache_hit_rate=values["cache_hit_rate"], batch_share=values["batch_share"])
    batch_figure = overrides.get("batch_share", figures["batch_share"])
    ranges = sensitivity_ranges(usage, drivers, overrides, inputs["cache_hit_rate"], batch_figure)
    measured = {k: f"usage fitted from {df.attrs['source']}" for k in MEASURED
                if k in ranges and not chosen.is_measured(k) and k not in overrides}
    measured |= measured_inputs(chosen, list(ranges))
    assumed = {**{k: tuple(drivers[k][1:]) for k in MEASURED}, "cache_hit_rate": project.base_inputs()["cache_hit_rate"],
               "batch_share": figures["batch_share"]}
    what_if = {"cache_hit_rate": float(inputs["cache_hit_rate"].high), "batch_share": float(batch_figure.high)}
    return RoutingAnalysis(model=model, users=u.value, usage=usage, origins=origins, roadmap=project.roadmap,
                           budget_usd=float(budget_usd), scenario=scenario or None, source=str(df.attrs["source"]),
                           ranges=ranges, what_if=what_if, measured=measured, assumed=assumed, scenario_obj=chosen,
                           sobol_n=int(check_parameter("sobol_n", sobol_n, low=1, allow_sentinel=False)),
                           seed=int(seed))


__all__ = ["MEASURED", "RoutingAnalysis", "sensitivity_ranges", "analyse"]
