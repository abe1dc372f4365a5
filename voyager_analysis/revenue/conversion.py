"""Conversion and revenue against the cost model (notebook 05): what the paid tiers bring in, what margin is
left, the break-even conversion, churn, and which inputs matter.

:func:`conversion_analysis` takes the project (validated inputs) and the notebook's parameters (``-1`` means
the scenario's value, else the roadmap's; see :func:`voyager_analysis.values.resolve`) and returns a
:class:`ConversionAnalysis`: tables, figures (``plot_*``), the verdict prose (``*_markdown``) and the
notebook's results payload (:meth:`ConversionAnalysis.to_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config, montecarlo, revenue, sensitivity
from voyager_analysis.assumptions import Figure
from voyager_analysis.model_inputs import REVENUE_ARGS, prices_as_of
from voyager_analysis.results import Results
from voyager_analysis.revenue.model import RevenueModel
from voyager_analysis.values import Resolved, check_parameter, point_value, resolve

#: Revenue inputs a notebook parameter may set; the others (Stripe's prices) come from the scenario or prices.
PARAMETERS = ("pro_conversion", "max_conversion", "pro_price_usd", "max_price_usd", "revenue_share_to_company")
SHARES = ("pro_conversion", "max_conversion", "revenue_share_to_company", "stripe_card_percent")
#: Sensitivity spreads of data/assumptions/conversion.yaml, by input.
SPREADS = {"pro_conversion": "conversion_spread", "max_conversion": "conversion_spread",
           "pro_price_usd": "price_spread", "max_price_usd": "price_spread",
           "revenue_share_to_company": "revenue_share_spread"}


def _pcts(x, qs=(5, 50, 95)) -> tuple[float, ...]:
    return tuple(float(v) for v in np.nanpercentile(x, qs))


@dataclass(repr=False)
class ConversionAnalysis(Results):
    """Revenue, margins, break-even, churn and sensitivity at one user count (see :func:`conversion_analysis`)."""

    users: float
    scenario: Any  #: the :class:`~voyager_analysis.scenarios.Scenario`
    resolved: dict[str, Resolved]  #: users, every revenue input and monthly_churn, with their origin
    model: RevenueModel
    sim: Any  #: the cost model's :class:`~voyager_analysis.montecarlo.SimulationResult` at ``users``
    roadmap: Any
    churn_figure: Figure
    months: int
    margin_draws: np.ndarray
    after_draws: np.ndarray
    sens: sensitivity.Sensitivity
    note: str
    title = "Conversion and revenue: inputs used and where they came from"
    _cache: dict = field(default_factory=dict)
    assumed: dict = field(default_factory=dict)  #: input -> the range used without a scenario (measured_table)

    # --- tables -------------------------------------------------------------------------------------------------
    @property
    def churn(self) -> float:
        return self.resolved["monthly_churn"].value

    @property
    def infra_pcts(self) -> tuple[float, float, float]:
        return _pcts(self.sim.outputs["infra_cost_usd"])

    @property
    def claim_pct(self) -> tuple[float, float]:
        c = self.roadmap.get("claims.margin_range")
        return 100 * c.low, 100 * c.high

    def summary(self):
        """The inputs used: value and origin of each."""
        import pandas as pd

        return pd.DataFrame([r.as_row() for r in self.resolved.values()]).set_index("input")

    def measured_table(self):
        """The scenario's measured values next to the ranges used without it (empty unless measured)."""
        from voyager_analysis.measure import measured_vs_assumed

        return measured_vs_assumed(self.scenario, self.assumed)

    def statement(self):
        """One month's revenue statement with infrastructure at the cost model's median."""
        return self.model.statement(self.users, self.infra_pcts[1])

    def point(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.model.revenue_usd(self.users, self.infra_pcts[1]).items()}

    def margin_table(self):
        import pandas as pd

        rows = [self.infra_pcts, _pcts(self.margin_draws), _pcts(self.after_draws)]
        return pd.DataFrame(rows, columns=["p5", "p50", "p95"],
                            index=["infrastructure cost (USD/month)", "margin before share (%)",
                                   "margin after share (%)"])

    def _example(self):
        examples = {float(p["revenue"]["users"].value): p["revenue"] for p in self.roadmap["phases"].values()
                    if "revenue" in p}
        return examples.get(self.users)

    def _table_row(self):
        return next((r for r in self.roadmap["cost_projection"]["rows"].values() if r["users"].value == self.users),
                    None)

    def breakeven(self) -> tuple[float, float, float]:
        """The break-even Pro conversion at the cost model's p5, p50 and p95 infrastructure bill."""
        return tuple(self.model.breakeven_pro_conversion(self.users, c) for c in self.infra_pcts)

    def stock(self) -> dict[str, Any]:
        """Pro subscribers with churn: the target stock, the inflow that holds it and the stock paths."""
        if "stock" not in self._cache:
            target = self.model.pro_conversion * self.users
            inflow = target * self.churn
            f = self.churn_figure
            labels = {c: f"churn {c:.1%}/month" + (" (used)" if c == self.churn else "")
                      for c in dict.fromkeys([f.low, self.churn, f.high])}
            stocks = {lab: revenue.subscriber_stock(self.months, inflow, c) for c, lab in labels.items()}
            steady = {lab: float(revenue.steady_state_subscribers(inflow, c)) for c, lab in labels.items()}
            used = stocks[labels[self.churn]]
            reached = np.flatnonzero(used >= 0.9 * target) if target > 0 else np.array([], dtype=int)
            self._cache["stock"] = {"target": target, "inflow": inflow, "stocks": stocks, "steady": steady,
                                    "months_to_90": int(reached[0]) + 1 if reached.size else None}
        return self._cache["stock"]

    # --- figures ------------------------------------------------------------------------------------------------
    def plot_waterfall(self):
        from voyager_analysis.plots.conversion import revenue_waterfall

        return revenue_waterfall(self.statement(), note=self.note)

    def plot_margins(self):
        from voyager_analysis.plots.conversion import margin_histogram

        return margin_histogram(self.margin_draws, self.after_draws, self.claim_pct, note=self.note)

    def plot_heatmap(self):
        """Margin before the share over Pro conversion x Pro price, with the break-even line after the share."""
        import pandas as pd

        from voyager_analysis.plots.conversion import margin_heatmap

        m, infra = self.model, self.infra_pcts[1]
        be50 = self.breakeven()[1]
        top = max(2.5 * m.pro_conversion, 2 * be50 if np.isfinite(be50) else 0.0, 0.01)
        conv = np.linspace(top / 60, min(top, 1.0), 60)
        price = np.linspace(max(0.4 * m.pro_price_usd, 0.5), max(2 * m.pro_price_usd, 5.0), 41)
        grid = m.margin_grid(conv, price, self.users, infra, margin="before_share")
        line = pd.Series(m.breakeven_pro_conversion(self.users, infra, pro_price_usd=price), index=price)
        return margin_heatmap(grid, breakeven=line, point=(m.pro_conversion, m.pro_price_usd),
                              claimed_range_pct=self.claim_pct, note=self.note)

    def plot_stock(self):
        from voyager_analysis.plots.conversion import subscriber_stock_chart

        s = self.stock()
        return subscriber_stock_chart(s["stocks"], s["steady"], s["target"], note=self.note)

    # --- prose --------------------------------------------------------------------------------------------------
    def revenue_markdown(self) -> str:
        p, m, u = self.point(), self.model, self.users
        gross, fees, net = p["gross_revenue_usd"], p["payment_fees_usd"], p["net_revenue_usd"]
        if not gross > 0:
            return f"At {u:,.0f} users nobody pays: there is no revenue."
        text = (f"At **{u:,.0f} users** subscribers pay **${gross:,.0f}/month**. Stripe keeps ${fees:,.0f} "
                f"({fees / gross:.1%} of gross: {m.stripe_card_percent:.1%} plus ${m.stripe_card_fixed:.2f} per "
                f"charge, as_of {prices_as_of(self.sim.inputs)}) and partners ${p['partner_share_usd']:,.0f}, so "
                f"**${net:,.0f}/month** reaches the company.")
        ex = self._example()
        if ex is not None:
            fee_share = self.roadmap.get("revenue_assumptions.stripe_fee_share").value
            return text + (
                f" The roadmap states ${ex['gross'].value:,.0f} gross and **${ex['after_share'].value:,.0f} after the "
                f"share** for this user count ({ex['after_share'].section}). Net of Stripe's list fees the company "
                f"receives **${net:,.0f}**, {net / ex['after_share'].value - 1:+.1%} against the roadmap: it prices "
                f"card fees at {fee_share:.1%} of revenue with no fee per charge and leaves them out of its "
                "after-share revenue.")
        roadmap_method = gross * m.revenue_share_to_company
        return text + (f" The roadmap's arithmetic (gross x share, no fees) would give ${roadmap_method:,.0f}; net "
                       f"of Stripe's list fees it is ${net:,.0f} ({net / roadmap_method - 1:+.1%}).")

    def margin_markdown(self) -> str:
        (m5, m50, m95), (a5, a50, a95) = _pcts(self.margin_draws), _pcts(self.after_draws)
        lo, hi = self.claim_pct
        claim = self.roadmap.get("claims.margin_range")
        row = self._table_row()
        stated = (f" Its projection table states **{100 * row['margin'].value:.0f}%** at this user count (cost "
                  f"${row['cost'].value:,.0f}, revenue ${row['revenue'].value:,.0f})." if row is not None else "")
        where = "inside" if lo <= m50 <= hi else "above" if m50 > hi else "**below**"
        d = self._payload()
        return (f"The roadmap claims margins of **{lo:.0f}-{hi:.0f}%** throughout "
                f"({claim.section.split('>')[0].strip()}).{stated} The model gives a median margin before the share "
                f"of **{m50:.0f}%** (5-95%: {m5:.0f} to {m95:.0f}%), {where} the claimed range; "
                f"**{d['share_margin_below_claimed']:.1%}** of draws fall below {lo:.0f}% and "
                f"{d['share_margin_below_zero']:.2%} make a loss. After the partner share and fees the median margin "
                f"is **{a50:.0f}%** (5-95%: {a5:.0f} to {a95:.0f}%; loss in {d['share_after_share_below_zero']:.2%} "
                f"of draws). Claude is {d['claude_share_of_infra_cost']:.0%} of the mean infrastructure bill, so the "
                "margin is mostly a bet on AI usage per user against revenue per user.")

    def breakeven_markdown(self) -> str:
        be5, be50, be95 = self.breakeven()
        infra, u, m = self.infra_pcts[1], self.users, self.model
        plan = m.pro_conversion
        if not np.isfinite(be50):
            return (f"At ${m.pro_price_usd:.2f} a Pro subscriber does not even cover its own payment fee and "
                    "partner share: **no conversion breaks even**.")
        if be50 > 1:
            return (f"Break-even would need {be50:.0%} of users paying for Pro: **no conversion can cover** the "
                    f"median infrastructure bill of ${infra:,.0f}/month at this price.")
        return (f"With the median infrastructure bill of **${infra:,.0f}/month** at {u:,.0f} users, the company covers "
                f"it after the partner share and fees once **{be50:.2%}** of monthly actives pay for Pro "
                f"({be50 * u:,.0f} subscribers); over the cost model's 5-95% band that is {be5:.2%} to {be95:.2%}. "
                f"The plan's {plan:.1%} is "
                + (f"**{plan / be50:.1f}x** the break-even: every point of conversion above it is profit."
                   if be50 > 0 else "all profit: the Max tier alone covers the bill.")
                + ("" if plan >= be95 else " At the high end of the cost band the plan is **not** enough."))

    def churn_markdown(self) -> str:
        s, u, churn, high = self.stock(), self.users, self.churn, self.churn_figure.high
        target, inflow = s["target"], s["inflow"]
        held = float(revenue.steady_state_subscribers(inflow, high)) if high != churn else target
        return (f"Holding **{target:,.0f} Pro subscribers** ({self.model.pro_conversion:.1%} of {u:,.0f}) at "
                f"{churn:.1%} monthly churn takes **{inflow:,.0f} new subscribers every month** ({inflow / u:.2%} of "
                "actives converting each month). "
                + (f"From a standing start the stock reaches 90% of that after **{s['months_to_90']} months**. "
                   if s["months_to_90"] else f"Within {self.months} months the stock does not reach 90% of that. ")
                + (f"If churn runs at {high:.0%} instead with the same sign-ups, the stock settles at {held:,.0f} "
                   f"({held / u:.1%} of actives) and Pro revenue falls by {1 - held / target:.0%}. "
                   if high != churn and target > 0 else "")
                + "The roadmap does not mention churn: its conversion is only reachable with this rate of new "
                  "sign-ups.")

    def findings_markdown(self) -> str:
        d = self._payload()
        lo, hi = self.claim_pct
        be50, plan = d["breakeven_pro_conversion"], self.model.pro_conversion
        net, rm = d["net_revenue_usd"], d["net_revenue_roadmap_method_usd"]
        return "\n".join([
            f"- **Margin**: the roadmap claims {lo:.0f}-{hi:.0f}%; the model's median is {d['margin_pct']:.0f}% before "
            f"the share ({d['share_margin_below_claimed']:.0%} of outcomes below {lo:.0f}%) and "
            f"{d['margin_after_share_pct']:.0f}% after it.",
            f"- **Revenue the company keeps**: ${net:,.0f}/month at {self.users:,.0f} users after Stripe's list fees "
            f"and the partner share, against ${rm:,.0f} by the roadmap's arithmetic ({net / rm - 1:+.1%})."
            if rm > 0 else "- **Revenue**: none at these inputs.",
            f"- **Break-even**: {be50:.2%} Pro conversion covers the median infrastructure bill after the share, "
            f"against the {plan:.1%} planned." if np.isfinite(be50) and be50 <= 1
            else "- **Break-even**: not reachable at this price.",
            f"- **Churn**: not in the roadmap; at {self.churn:.1%}/month holding the plan takes "
            f"{d['new_pro_subscribers_per_month']:,.0f} new Pro subscribers a month.",
            f"- **What matters most** for the margin after the share: {', '.join(d['top_inputs'])} (Sobol' ST).",
        ])

    # --- the results payload ------------------------------------------------------------------------------------
    def _payload(self) -> dict:
        if "payload" in self._cache:
            return self._cache["payload"]
        p, m, u = self.point(), self.model, self.users
        i5, i50, i95 = self.infra_pcts
        (m5, m50, m95), (a5, a50, a95) = _pcts(self.margin_draws), _pcts(self.after_draws)
        be5, be50, be95 = self.breakeven()
        ex, row, s = self._example(), self._table_row(), self.stock()
        infra = self.sim.outputs["infra_cost_usd"]
        out = {
            "users": u, "scenario": self.scenario.name,
            "inputs": {**m.values(), "monthly_churn": self.churn},
            "input_origins": {**{k: self.resolved[k].origin for k in REVENUE_ARGS},
                              "users": self.resolved["users"].origin},
            "prices_as_of": prices_as_of(self.sim.inputs),
            "gross_revenue_usd": p["gross_revenue_usd"], "payment_fees_usd": p["payment_fees_usd"],
            "partner_share_usd": p["partner_share_usd"], "net_revenue_usd": p["net_revenue_usd"],
            "net_revenue_roadmap_method_usd": p["gross_revenue_usd"] * m.revenue_share_to_company,
            "roadmap_example": ({"users": u, "gross_usd": ex["gross"].value, "after_share_usd": ex["after_share"].value}
                                if ex is not None else None),
            "infra_cost_usd": {"p5": i5, "p50": i50, "p95": i95},
            "claude_share_of_infra_cost": (float(self.sim.column("claude").mean() / infra.mean())
                                           if infra.mean() > 0 else float("nan")),
            "margin_pct": m50, "margin_pct_p5": m5, "margin_pct_p95": m95,
            "margin_after_share_pct": a50, "margin_after_share_pct_p5": a5, "margin_after_share_pct_p95": a95,
            "claimed_margin_range_pct": list(self.claim_pct),
            "roadmap_table_margin_pct": 100 * row["margin"].value if row is not None else None,
            "share_margin_below_zero": float(np.mean(~(self.margin_draws >= 0))),  # NaN (no revenue) is a loss
            "share_margin_below_claimed": float(np.mean(~(self.margin_draws >= self.claim_pct[0]))),
            "share_after_share_below_zero": float(np.mean(~(self.after_draws >= 0))),
            "breakeven_pro_conversion": be50, "breakeven_pro_conversion_range": [be5, be95],
            "conversion_over_breakeven": m.pro_conversion / be50 if np.isfinite(be50) and be50 > 0 else None,
            "monthly_churn": self.churn, "new_pro_subscribers_per_month": s["inflow"],
            "steady_state_pro_subscribers": float(revenue.steady_state_subscribers(s["inflow"], self.churn)),
            "months_to_90pct_of_steady_state": s["months_to_90"],
            "draws": self.sim.draws, "seed": self.sim.seed,
            "sensitivity_output": "margin_after_share_pct", "sensitivity": self.sens.to_dict(),
            "top_inputs": self.sens.top_inputs(3),
            "measured_inputs": {k: dict(v) for k, v in self.measured_table().to_dict(orient="index").items()},
        }
        self._cache["payload"] = out
        return out


def _sensitivity_problem(model: RevenueModel, scenario, resolved, own, churn: float, infra) -> dict:
    """The ranged inputs of the sensitivity analysis: spreads of conversion.yaml around the values used (a
    scenario's own range replaces them unless a parameter fixed the value), churn over its range, and the
    infrastructure bill over the cost model's 5-95% band (triangular, peak at the median)."""
    ranged: dict[str, Any] = {}
    for name, key in SPREADS.items():
        over = scenario.overrides.get(name)
        if over is not None and not over.is_point and resolved[name].origin != "parameter":
            ranged[name] = over
        else:
            f = own["sensitivity"][key]
            ranged.update(sensitivity.relative_ranges({name: getattr(model, name)}, {name: (1.0, f.low, f.high)},
                                                      shares=SHARES))
    cf = own["monthly_churn"]
    over = scenario.overrides.get("monthly_churn")
    if over is not None and not over.is_point and resolved["monthly_churn"].origin != "parameter":
        ranged["monthly_churn"] = over
    else:
        ranged.update(sensitivity.relative_ranges({"monthly_churn": churn},
                                                  {"monthly_churn": (point_value(cf), cf.low, cf.high)},
                                                  shares=["monthly_churn"]))
    i5, i50, i95 = infra
    if i95 > i5:
        ranged["infra_cost_usd"] = Figure(path="cost model", low=i5, high=i95, unit="usd_per_month",
                                          source="montecarlo.simulate, 5-95% of the draws", distribution="triangular",
                                          mode=i50)
    return sensitivity.problem_from_figures(ranged)


def conversion_analysis(project, *, scenario=None, users: float = -1, monthly_churn: float = -1, months: int = 36,
                        draws: int = 20_000, sobol_n: int = 1024, seed: int = config.DEFAULT_SEED,
                        conversion_figures=None, **revenue_parameters: float) -> ConversionAnalysis:
    """The conversion analysis at ``users`` (``-1``: the roadmap's largest revenue example).

    ``revenue_parameters`` are any of :data:`PARAMETERS`; ``-1`` (or absent) means the scenario's value, else the
    roadmap's (:func:`~voyager_analysis.values.resolve`). ``monthly_churn`` ``-1`` is the point value of its range
    in ``conversion.yaml`` (``conversion_figures``, default ``project.figures("conversion")``, also holds the
    sensitivity spreads). The cost side is the Monte Carlo at ``users`` (``draws``, ``seed``); revenue inputs
    the scenario gives as a range are drawn too unless a parameter fixes them.
    """
    from voyager_analysis.errors import InputError, unknown_name

    unknown = [k for k in revenue_parameters if k not in PARAMETERS]
    if unknown:
        raise InputError(unknown_name("parameter", unknown[0], PARAMETERS))
    check_parameter("months", months, low=1, high=600, allow_sentinel=False)
    scen = project.scenario(scenario)
    base_inputs = project.base_inputs()
    inputs = scen.apply(base_inputs)
    roadmap = project.roadmap
    own = conversion_figures if conversion_figures is not None else project.figures("conversion")
    examples = [float(p["revenue"]["users"].value) for p in roadmap["phases"].values() if "revenue" in p]
    resolved = {"users": resolve("users", users, default=max(examples), low=1,
                                 default_origin="the roadmap's largest revenue example")}
    for k in REVENUE_ARGS:
        fig = base_inputs[k]
        resolved[k] = resolve(k, revenue_parameters.get(k, -1), overrides=scen.overrides, scenario=scen.name,
                              default=point_value(fig), default_origin=fig.source or fig.path,
                              high=1.0 if k in SHARES else float("inf"))
    churn_fig = own["monthly_churn"]
    resolved["monthly_churn"] = resolve("monthly_churn", monthly_churn, overrides=scen.overrides, scenario=scen.name,
                                        default=point_value(churn_fig), low=1e-9, high=1.0,
                                        default_origin="point value of its range in conversion.yaml")
    u = resolved["users"].value
    model = RevenueModel(**{k: resolved[k].value for k in REVENUE_ARGS})
    sim = montecarlo.simulate(u, inputs, scenario=scen, draws=draws, seed=seed)
    infra = sim.outputs["infra_cost_usd"]
    draws_of = {k: (resolved[k].value if resolved[k].origin == "parameter" else sim.values[k]) for k in REVENUE_ARGS}
    mc = revenue.evaluate(u, draws_of, infra)
    margin = np.asarray(mc["margin_pct"], dtype=float) * np.ones(sim.draws)
    after = np.asarray(mc["margin_after_share_pct"], dtype=float) * np.ones(sim.draws)
    churn = resolved["monthly_churn"].value
    note = (f"Inputs: {u:,.0f} users; scenario '{scen.name}'; revenue inputs as listed (roadmap.yaml unless a "
            f"parameter or the scenario sets them); churn {churn:.1%}/month; Stripe list fees and cost-model prices "
            f"as_of {prices_as_of(inputs)}; cost model {sim.draws:,} draws, seed {seed}.")
    pcts = _pcts(infra)
    problem = _sensitivity_problem(model, scen, resolved, own, churn, pcts)
    base = {**model.values(), "monthly_churn": churn, "infra_cost_usd": pcts[1]}
    fixed = {k: v for k, v in base.items() if k not in problem["names"]}
    func = sensitivity.kwargs_model(revenue.margin_with_churn_pct, problem["names"], users=u, planned_churn=churn,
                                    **fixed)
    measured = {k: v for k, v in sensitivity.measured_inputs(scen, problem["names"]).items()
                if k not in resolved or resolved[k].origin != "parameter"}
    sens = sensitivity.analyze(func, problem, base, output_label="margin after the share (%)", n=sobol_n, seed=seed,
                               note=note, value_format="{:,.5g}", measured=measured)
    assumed = {"monthly_churn": churn_fig}
    for k in ("pro_conversion", "max_conversion"):
        f, v = own["sensitivity"][SPREADS[k]], point_value(base_inputs[k])
        assumed[k] = sensitivity.relative_ranges({k: v}, {k: (1.0, f.low, f.high)}, shares=SHARES).get(k, (v, v))
    if resolved["monthly_churn"].origin.startswith("scenario"):  # the scenario's range, e.g. a measured one
        churn_fig = scen.overrides["monthly_churn"]
    return ConversionAnalysis(users=u, scenario=scen, resolved=resolved, model=model, sim=sim, roadmap=roadmap,
                              churn_figure=churn_fig, months=int(months), margin_draws=margin, after_draws=after,
                              sens=sens, note=note, assumed=assumed)


__all__ = ["PARAMETERS", "ConversionAnalysis", "conversion_analysis"]
