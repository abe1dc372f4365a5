"""The conversion analysis of notebook 05 (:func:`voyager_analysis.revenue.conversion.conversion_analysis`): the -1 rule
and where each value came from, hand-checked revenue, break-even and churn, parameter validation."""

from __future__ import annotations

import numpy as np
import pytest

from voyager_analysis.revenue.conversion import conversion_analysis
from voyager_analysis.errors import InputError

FAST = dict(draws=1000, sobol_n=64, months=24, seed=3)


@pytest.fixture(scope="module")
def base(project):
    return conversion_analysis(project, **FAST)


def test_defaults_follow_the_minus_one_rule(base, project, roadmap):
    examples = [p["revenue"]["users"].value for p in roadmap["phases"].values() if "revenue" in p]
    assert base.users == max(examples) and base.resolved["users"].origin == "the roadmap's largest revenue example"
    assert base.model.pro_conversion == roadmap.get("revenue_assumptions.pro_conversion").value
    assert base.resolved["pro_conversion"].origin == "roadmap.yaml revenue_assumptions.pro_conversion"
    churn = project.figures("conversion")["monthly_churn"]
    assert base.churn == pytest.approx((churn.low + churn.high) / 2)  # uniform: the point value is the middle


def test_parameters_and_scenarios_set_values_with_their_origin(project):
    a = conversion_analysis(project, users=20_000, pro_conversion=0.03, scenario="pessimistic", **FAST)
    assert a.resolved["pro_conversion"].origin == "parameter" and a.model.pro_conversion == 0.03
    assert a.resolved["max_conversion"].origin == "scenario 'pessimistic'"
    assert a.to_dict()["input_origins"]["pro_conversion"] == "parameter"


@pytest.mark.parametrize("bad,name", [(dict(users=-2), "users"), (dict(pro_conversion=1.5), "pro_conversion"),
                                      (dict(monthly_churn=-0.5), "monthly_churn"), (dict(months=0), "months"),
                                      (dict(pro_converson=0.1), "pro_converson")])
def test_bad_parameters_are_one_line_errors_naming_them(project, bad, name):
    with pytest.raises(InputError, match=name) as e:
        conversion_analysis(project, **(FAST | bad))
    assert "\n" not in str(e.value)


def test_revenue_breakeven_and_churn_by_hand(project, prices):
    a = conversion_analysis(project, users=10_000, pro_conversion=0.1, pro_price_usd=10.0, max_conversion=0.0,
                            revenue_share_to_company=0.5, monthly_churn=0.05, **FAST)
    d = a.to_dict()
    pct, fixed = prices.service("stripe_card_percent").price_usd, prices.service("stripe_card_fixed").price_usd
    assert d["gross_revenue_usd"] == pytest.approx(10_000.0)  # 1,000 Pro x $10
    assert d["payment_fees_usd"] == pytest.approx(pct * 10_000 + fixed * 1_000)
    assert d["net_revenue_usd"] == pytest.approx(0.5 * 10_000 - d["payment_fees_usd"])
    # break-even: cost / (users x ((share - pct) x price - fixed)), at the median infrastructure bill
    infra = d["infra_cost_usd"]["p50"]
    assert d["breakeven_pro_conversion"] == pytest.approx(infra / (10_000 * ((0.5 - pct) * 10.0 - fixed)))
    # churn: 1,000 subscribers at 5% a month need 50 new a month; from zero, 90% after ceil(log 0.1 / log 0.95) months
    assert d["new_pro_subscribers_per_month"] == pytest.approx(50)
    assert d["months_to_90pct_of_steady_state"] is None  # 45 months needed, the horizon is 24
    longer = conversion_analysis(project, users=10_000, pro_conversion=0.1, monthly_churn=0.05,
                                 **(FAST | {"months": 60}))
    assert longer.to_dict()["months_to_90pct_of_steady_state"] == int(np.ceil(np.log(0.1) / np.log(0.95)))


def test_margin_draws_are_the_cost_models(base):
    infra = base.sim.outputs["infra_cost_usd"]
    gross = base.point()["gross_revenue_usd"]
    fees = base.point()["payment_fees_usd"]
    np.testing.assert_allclose(base.margin_draws, 100 * (gross - infra - fees) / gross)
    assert base.to_dict()["share_margin_below_zero"] == pytest.approx(np.mean(base.margin_draws < 0))


def test_prose_names_the_numbers(base):
    d = base.to_dict()
    assert f"{d['margin_pct']:.0f}%" in base.margin_markdown()
    assert f"{d['breakeven_pro_conversion']:.2%}" in base.breakeven_markdown()
    assert "new subscribers every month" in base.churn_markdown()
    assert base.findings_markdown().count("\n- ") == 4
    assert base.scenario.name in base.note or "scenario 'base'" in base.note
