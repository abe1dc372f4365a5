"""Revenue: tiers, payment fees, the revenue share, margins, break-even, churn and the margin grid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voyager_analysis import revenue
from voyager_analysis.errors import InputError


@pytest.fixture(scope="module")
def model(project):
    return revenue.RevenueModel.from_inputs(project.base_inputs())


@pytest.fixture(scope="module")
def base(model):
    return model.values()


HAND = dict(pro_conversion=0.1, pro_price_usd=10.0, max_conversion=0.01, max_price_usd=50.0,
            revenue_share_to_company=0.7, stripe_card_percent=0.03, stripe_card_fixed=0.5)


def test_base_case_is_the_roadmaps_points_and_stripes_list_price(base, roadmap, prices):
    for name, path in revenue.REVENUE_INPUTS.items():
        assert base[name] == roadmap.get(path).value, name
    assert base["stripe_card_percent"] == prices.service("stripe_card_percent").price_usd
    assert base["stripe_card_fixed"] == prices.service("stripe_card_fixed").price_usd


def test_gross_revenue_at_10k_users_by_hand(base, roadmap):
    ra = {k: roadmap.get(f"revenue_assumptions.{k}").value for k in ("pro_conversion", "pro_price",
                                                                    "max_conversion", "max_price")}
    pro_subscribers = 10_000 * ra["pro_conversion"]  # 5% of 10,000 = 500
    max_subscribers = 10_000 * ra["max_conversion"]  # 0.1% of 10,000 = 10
    assert (pro_subscribers, max_subscribers) == pytest.approx((500, 10))
    expected = pro_subscribers * ra["pro_price"] + max_subscribers * ra["max_price"]  # 500 x 18.99 + 10 x 99
    got = revenue.gross_revenue_usd(10_000, base["pro_conversion"], base["pro_price_usd"], base["max_conversion"],
                                    base["max_price_usd"])
    assert got == pytest.approx(expected)
    # the roadmap's own phase 1 figure is the Pro part alone ($9,495): our total adds the Max tier to it
    assert got - max_subscribers * ra["max_price"] == pytest.approx(roadmap.get("phases.phase_1.revenue.gross").value)


def test_fees_share_net_and_margins_by_hand():
    # 1,000 users, 10% Pro at $10, 1% Max at $50: gross 1,000 + 500 = 1,500; 110 charges
    values = dict(pro_conversion=0.1, pro_price_usd=10.0, max_conversion=0.01, max_price_usd=50.0,
                  revenue_share_to_company=0.7, stripe_card_percent=0.03, stripe_card_fixed=0.5)
    out = revenue.evaluate(1_000, values, infra_cost_usd=300.0)
    fees = 0.03 * 1_500 + 0.5 * 110  # 45 + 55 = 100
    assert out["gross_revenue_usd"] == pytest.approx(1_500)
    assert out["payment_fees_usd"] == pytest.approx(fees)
    assert out["partner_share_usd"] == pytest.approx(0.3 * 1_500)  # 450
    net = 0.7 * 1_500 - fees  # 1,050 - 100 = 950
    assert out["net_revenue_usd"] == pytest.approx(net)
    # before the share, over gross: (1,500 - (300 + 100)) / 1,500 = 73.33%
    assert out["margin_pct"] == pytest.approx(100 * (1_500 - 400) / 1_500)
    # after the share, over net revenue: (950 - 300) / 950 = 68.42%
    assert out["margin_after_share_pct"] == pytest.approx(100 * (950 - 300) / 950)
    assert out["margin_after_share_over_gross_pct"] == pytest.approx(100 * (950 - 300) / 1_500)
    assert out["profit_after_share_usd"] == pytest.approx(650)


def test_margins_are_nan_without_revenue():
    assert math.isnan(revenue.margin_pct(0.0, 100.0))
    assert math.isnan(revenue.margin_after_share_pct(-5.0, 100.0))


def test_more_conversion_means_more_revenue(base):
    conv = np.linspace(0.01, 0.10, 10)
    gross = revenue.gross_revenue_usd(50_000, conv, base["pro_price_usd"], base["max_conversion"],
                                      base["max_price_usd"])
    assert np.all(np.diff(gross) > 0)


def test_breakeven_by_hand():
    # share 0.5, Stripe 10% + $1: a $10 Pro subscriber leaves 0.4 x 10 - 1 = $3; cost 300 at 1,000 users
    # -> p* = 300 / (1,000 x 3) = 0.1
    m = revenue.RevenueModel(pro_conversion=0.05, pro_price_usd=10.0, max_conversion=0.0, max_price_usd=50.0,
                             revenue_share_to_company=0.5, stripe_card_percent=0.1, stripe_card_fixed=1.0)
    assert m.breakeven_pro_conversion(1_000, 300.0) == pytest.approx(0.1)
    # 1% Max at $50 leaves 0.4 x 50 - 1 = 19 each x 10 = 190 -> Pro must cover 110: p* = 110 / 3,000
    with_max = m.with_values(max_conversion=0.01)
    assert with_max.breakeven_pro_conversion(1_000, 300.0) == pytest.approx(110 / 3000)
    # Max alone covers a small cost -> 0; a Pro price below its own fees -> never (inf)
    assert with_max.breakeven_pro_conversion(1_000, 100.0) == 0
    assert m.breakeven_pro_conversion(1_000, 300.0, pro_price_usd=2.0) == math.inf
    with pytest.raises(InputError, match="users"):
        m.breakeven_pro_conversion(0, 300.0)


def test_breakeven_makes_profit_zero(model, base):
    cost = 20_000.0
    p = model.breakeven_pro_conversion(50_000, cost)
    out = model.with_values(pro_conversion=p).revenue_usd(50_000, infra_cost_usd=cost)
    assert out["profit_after_share_usd"] == pytest.approx(0, abs=1e-6)
    assert model.with_values(pro_conversion=p).margin(50_000, cost)["margin_after_share_pct"] == pytest.approx(
        0, abs=1e-9)
    assert 0 < p < 1
    # vectorised over costs: more cost needs more conversion
    ps = model.breakeven_pro_conversion(50_000, np.array([5_000.0, 10_000.0, 20_000.0]))
    assert np.all(np.diff(ps) > 0) and ps[-1] == pytest.approx(p)


def test_subscriber_stock_tends_to_inflow_over_churn():
    stock = revenue.subscriber_stock(200, 100.0, 0.05)
    assert stock[0] == pytest.approx(100)  # month 1: the first inflow
    assert stock[1] == pytest.approx(100 * 0.95 + 100)  # month 2: 95 kept + 100 new
    assert stock[-1] == pytest.approx(100 / 0.05, rel=1e-4)  # steady state = inflow / churn = 2,000
    assert revenue.steady_state_subscribers(100.0, 0.05) == pytest.approx(2_000)
    assert np.all(np.diff(stock) > 0)
    # closed form for a constant inflow: N (1 - (1-c)^t) / c + S0 (1-c)^t
    t = np.arange(1, 13)
    with_start = revenue.subscriber_stock(12, 50.0, 0.1, initial_subscribers=300.0)
    np.testing.assert_allclose(with_start, 50 * (1 - 0.9 ** t) / 0.1 + 300 * 0.9 ** t)


def test_subscriber_stock_from_a_users_path():
    new_users = np.array([1_000, 2_000, 4_000, 8_000.0])
    stock = revenue.subscriber_stock(4, 0.05 * new_users, 0.1)
    expected = [50.0]
    for n in 0.05 * new_users[1:]:
        expected.append(expected[-1] * 0.9 + n)
    np.testing.assert_allclose(stock, expected)


@pytest.mark.parametrize("bad", [dict(months=0), dict(monthly_churn=0.0), dict(monthly_churn=1.5),
                                 dict(new_subscribers_per_month=[1, 2, 3])])
def test_subscriber_stock_rejects_bad_input(bad):
    kw = dict(months=4, new_subscribers_per_month=10.0, monthly_churn=0.1) | bad
    with pytest.raises(InputError):
        revenue.subscriber_stock(**kw)


def test_margin_grid_rises_with_conversion_and_price(model, base):
    conv = [0.02, 0.05, 0.08]
    price = [9.99, 18.99, 29.99]
    grid = model.margin_grid(conv, price, 50_000, 15_000.0)
    assert grid.shape == (3, 3) and list(grid.index) == conv and list(grid.columns) == price
    assert np.all(np.diff(grid.to_numpy(), axis=0) > 0) and np.all(np.diff(grid.to_numpy(), axis=1) > 0)
    cell = revenue.evaluate(50_000, base | {"pro_conversion": 0.05, "pro_price_usd": 18.99}, 15_000.0)
    assert grid.loc[0.05, 18.99] == pytest.approx(cell["margin_after_share_pct"])
    before = model.margin_grid(conv, price, 50_000, 15_000.0, margin="before_share")
    assert (before.to_numpy() > grid.to_numpy()).all()  # the partner share comes out after
    with pytest.raises(InputError):
        model.margin_grid(conv, price, 50_000, 15_000.0, margin="gross")


def test_revenue_statement_lines_add_up(model):
    t = model.statement(10_000, 3_000.0).set_index("item")["value"]
    assert t["Gross revenue"] + t["Payment fees (Stripe)"] + t["Revenue share to partners"] == pytest.approx(
        t["Net revenue"])
    assert t["Net revenue"] + t["Infrastructure cost"] == pytest.approx(t["Profit after share"])


def test_model_from_inputs_overrides_and_validation(project, model):
    more = revenue.RevenueModel.from_inputs(project.base_inputs(), pro_conversion=0.10)
    assert more.statement(10_000, 3_000.0).set_index("item").at["Pro subscribers", "value"] == pytest.approx(1_000)
    pess = revenue.RevenueModel.from_inputs(project.inputs("pessimistic"))
    fig = project.scenario("pessimistic").overrides["pro_conversion"]
    from voyager_analysis.values import point_value

    assert pess.pro_conversion == point_value(fig) < model.pro_conversion  # a scenario's range -> its point value
    with pytest.raises(InputError, match="pro_conversion"):
        model.with_values(pro_conversion=1.5)
    with pytest.raises(InputError, match="pro_price_usd"):
        model.with_values(pro_price_usd=-1.0)
    with pytest.raises(InputError, match="pro_conversoin"):
        revenue.RevenueModel.from_inputs(project.base_inputs(), pro_conversoin=0.1)


def test_margin_with_churn_equals_the_revenue_model_at_the_planned_churn():
    got = revenue.margin_with_churn_pct(1_000, monthly_churn=0.05, planned_churn=0.05, infra_cost_usd=300.0, **HAND)
    # gross 1,000 x (0.1 x 10 + 0.01 x 50) = 1,500; fees 0.03 x 1,500 + 0.5 x 110 = 100; net 0.7 x 1,500 - 100 = 950
    assert got == pytest.approx(100 * (950 - 300) / 950)
    assert got == pytest.approx(revenue.evaluate(1_000, HAND, 300.0)["margin_after_share_pct"])


def test_doubling_churn_halves_the_paying_stock_by_hand():
    # sign-ups sized for 5% churn; at 10% the stock settles at half: 50 Pro and 5 Max subscribers
    got = revenue.margin_with_churn_pct(1_000, monthly_churn=0.10, planned_churn=0.05, infra_cost_usd=300.0,
                                        output="margin_pct", **HAND)
    gross = 50 * 10 + 5 * 50  # 750
    fees = 0.03 * gross + 0.5 * 55  # 22.5 + 27.5 = 50
    assert got == pytest.approx(100 * (gross - (300 + fees)) / gross)  # (750 - 350) / 750 = 53.3%
    lower = revenue.margin_with_churn_pct(1_000, monthly_churn=np.array([0.05, 0.08, 0.12]), planned_churn=0.05,
                                          infra_cost_usd=300.0, **HAND)
    assert np.all(np.diff(lower) < 0)  # more churn, same sign-ups: a lower margin
