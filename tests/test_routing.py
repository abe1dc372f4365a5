"""Claude routing cost: hand-checked small cases against the list prices in data/prices."""

from __future__ import annotations

import html

import numpy as np
import pytest

from voyager_analysis import routing
from voyager_analysis.errors import InputError

# A small workload: 1,000 users x 10 messages = 10,000 requests of 1,000 input and 200 output tokens.
SMALL = dict(users=1000, messages_per_user_month=10, input_tokens_per_message=1000, output_tokens_per_message=200)


def model(prices, haiku_model=None, sonnet_model=None, **settings):
    """The routing model at the list prices of ``prices`` with caching/batching ``settings``."""
    return routing.RoutingModel.from_prices(prices, haiku_model, sonnet_model, **settings)


def small(prices, share, **kw):
    return float(model(prices, **kw).monthly_cost_usd(**SMALL, sonnet_share=share))


def test_default_models_are_the_current_haiku_and_sonnet(prices):
    rows = model(prices).price_rows()
    assert list(rows.model) == [prices.default_model("haiku"), prices.default_model("sonnet")]
    assert rows.loc["haiku", "as_of"] and rows.loc["haiku", "source"]


def test_all_haiku_and_all_sonnet_by_hand(prices):
    h = prices.model(prices.default_model("haiku"))
    s = prices.model(prices.default_model("sonnet"))
    # per request: 1000 in x price_in / 1e6 + 200 out x price_out / 1e6; 10,000 requests
    haiku = 10_000 * (1000 * h.input_usd_per_mtok + 200 * h.output_usd_per_mtok) / 1e6
    sonnet = 10_000 * (1000 * s.input_usd_per_mtok + 200 * s.output_usd_per_mtok) / 1e6
    assert small(prices, 0.0) == pytest.approx(haiku, rel=1e-12)
    assert small(prices, 1.0) == pytest.approx(sonnet, rel=1e-12)
    # Haiku 4.5 = 1/5, Sonnet 4.5 = 3/15 USD per Mtok: 10,000 x (0.001 + 0.001) = 20; 10,000 x (0.003 + 0.003) = 60
    assert small(prices, 0.0) == pytest.approx(20.0)
    assert small(prices, 1.0) == pytest.approx(60.0)


def test_share_0_and_1_differ_exactly_by_the_price_ratio(prices):
    h = prices.model(prices.default_model("haiku"))
    s = prices.model(prices.default_model("sonnet"))
    ratio_in = s.input_usd_per_mtok / h.input_usd_per_mtok
    ratio_out = s.output_usd_per_mtok / h.output_usd_per_mtok
    assert ratio_in == ratio_out  # the table's current pair has one ratio on input and output
    for tokens in [(1000, 200), (1500, 400), (50, 3000)]:
        c0 = float(model(prices).monthly_cost_usd(7, 13, *tokens, 0.0))
        c1 = float(model(prices).monthly_cost_usd(7, 13, *tokens, 1.0))
        assert c1 / c0 == pytest.approx(ratio_in, rel=1e-12)


def test_cost_is_linear_and_increasing_in_sonnet_share(prices):
    curve = model(prices).cost_curve(**SMALL)
    assert np.all(np.diff(curve.monthly_cost_usd) > 0)
    assert small(prices, 0.25) == pytest.approx(20 + 0.25 * (60 - 20))


def test_caching_reduces_cost_by_the_expected_amount(prices):
    # All Haiku, half the input tokens read from the cache at 0.1 x the input price:
    # input per request 1000 x 1e-6 x (0.5 + 0.5 x 0.1) = 0.00055 instead of 0.001 -> saves 0.00045 x 10,000 = 4.50
    assert small(prices, 0.0, cache_hit_rate=0.5) == pytest.approx(20.0 - 4.5)
    # All Sonnet: input 0.003 x (0.55) = 0.00165, saves 0.00135 x 10,000 = 13.50
    assert small(prices, 1.0, cache_hit_rate=0.5) == pytest.approx(60.0 - 13.5)


def test_cache_writes_cost_their_premium_when_asked(prices):
    # 20% of input tokens written to the 5-minute cache at 1.25x: input factor 0.8 + 0.2 x 1.25 = 1.05
    # -> input 0.00105 per request, +0.00005 x 10,000 = +0.50
    assert small(prices, 0.0, cache_write_share=0.2) == pytest.approx(20.5)
    with pytest.raises(InputError, match="cannot exceed 1"):
        small(prices, 0.0, cache_hit_rate=0.9, cache_write_share=0.2)


def test_batching_reduces_cost_by_the_expected_amount(prices):
    # 40% of requests at 50% off: bill x (1 - 0.4 x 0.5) = 0.8
    assert small(prices, 0.0, batch_share=0.4) == pytest.approx(16.0)
    assert small(prices, 1.0, batch_share=1.0) == pytest.approx(30.0)
    # both: caching first (15.50), then x 0.8
    assert small(prices, 0.0, cache_hit_rate=0.5, batch_share=0.4) == pytest.approx(15.5 * 0.8)


def test_caching_batching_effects_table(prices):
    t = model(prices, cache_hit_rate=0.5, batch_share=0.4).caching_batching_effects(**SMALL, sonnet_share=0.0)
    assert t.loc["neither", "monthly_cost_usd"] == pytest.approx(20.0)
    assert t.loc["caching only", "saving_vs_none_usd"] == pytest.approx(4.5)
    assert t.loc["batching only", "saving_vs_none_pct"] == pytest.approx(20.0)
    assert t.loc["both", "monthly_cost_usd"] == pytest.approx(12.4)


def test_another_price_row_by_name(prices):
    # claude-haiku-3.5: 0.80 / 4.00 per Mtok -> 10,000 x (0.0008 + 0.0008) = 16
    assert small(prices, 0.0, haiku_model="claude-haiku-3.5") == pytest.approx(16.0)
    # Opus 4.5 as the 'large' model: 5 / 25 -> 10,000 x (0.005 + 0.005) = 100
    assert small(prices, 1.0, sonnet_model="claude-opus-4.5") == pytest.approx(100.0)


def test_unknown_model_lists_the_valid_names(prices):
    with pytest.raises(InputError) as err:
        small(prices, 0.5, sonnet_model="claude-sonet-4.5")
    msg = str(err.value)
    assert "claude-sonet-4.5" in msg and "did you mean 'claude-sonnet-4.5'" in msg
    for name in prices.claude.index:
        assert name in msg


@pytest.mark.parametrize("field,value", [("sonnet_share", 1.2), ("cache_hit_rate", -0.1), ("batch_share", np.nan)])
def test_bad_shares_are_input_errors(prices, field, value):
    kw = {"sonnet_share": 0.5, field: value}
    with pytest.raises(InputError, match=field):
        model(prices, **{k: v for k, v in kw.items() if k != "sonnet_share"}).monthly_cost_usd(
            **SMALL, sonnet_share=kw["sonnet_share"])


def test_negative_usage_is_an_input_error(prices):
    with pytest.raises(InputError, match="users"):
        model(prices).monthly_cost_usd(-1, 10, 1000, 200, 0.5)


def test_arrays_broadcast(prices):
    users = np.array([[1000.0], [2000.0], [3000.0]])
    shares = np.array([0.0, 0.5, 1.0])
    cost = model(prices).monthly_cost_usd(users, 10, 1000, 200, shares)
    assert cost.shape == (3, 3)
    np.testing.assert_allclose(cost, users / 1000 * np.array([20.0, 40.0, 60.0]))
    by = model(prices).monthly_cost_by_model(users, 10, 1000, 200, shares)
    np.testing.assert_allclose(by["haiku"] + by["sonnet"], cost)


def test_savings_against_single_model_bills(prices):
    sv = model(prices).savings(**SMALL, sonnet_share=0.5)
    assert float(sv["monthly_cost_usd"]) == pytest.approx(40.0)
    assert float(sv["savings_vs_all_sonnet_usd"]) == pytest.approx(20.0)
    assert float(sv["savings_vs_all_sonnet_pct"]) == pytest.approx(100 * 20 / 60)
    assert float(sv["extra_vs_all_haiku_pct"]) == pytest.approx(100.0)


def test_max_sonnet_share_for_budget_closed_form(prices):
    # C0 = 20 (all Haiku), C1 = 60 (all Sonnet): s* = (B - 20) / 40
    s = model(prices).max_sonnet_share_for_budget(np.array([10.0, 20.0, 30.0, 40.0, 60.0, 100.0]), **SMALL)
    np.testing.assert_allclose(s, [np.nan, 0.0, 0.25, 0.5, 1.0, 1.0])
    # the share found spends exactly the budget
    b = 37.0
    share = float(model(prices, cache_hit_rate=0.3).max_sonnet_share_for_budget(b, **SMALL))
    assert small(prices, share, cache_hit_rate=0.3) == pytest.approx(b)


def test_cost_table_adds_up(prices):
    t = model(prices).cost_table(**SMALL, sonnet_share=0.25)
    assert t.monthly_cost_usd.sum() == pytest.approx(small(prices, 0.25))
    assert t.loc["sonnet", "requests"] == pytest.approx(2500)
    assert t.loc["haiku", "input_mtok"] == pytest.approx(7500 * 1000 / 1e6)
    assert t.share_of_bill.sum() == pytest.approx(1.0)
    # Sonnet: 2,500 x 0.006 = 15 of a 30 bill
    assert t.loc["sonnet", "share_of_bill"] == pytest.approx(0.5)


def test_phase_table_prices_each_phase_at_its_user_range(roadmap, prices):
    t = model(prices).phase_table(roadmap, 10, 1000, 200, 0.5)
    per_user = 10 * 0.004  # 10 messages x (0.5 x 0.002 + 0.5 x 0.006)
    p1 = roadmap.get("phases.phase_1")
    assert t.loc["phase_1", "model_low"] == pytest.approx(p1["users"].low * per_user)
    assert t.loc["phase_1", "model_high"] == pytest.approx(p1["users"].high * per_user)
    assert t.loc["phase_1", "roadmap_low"] == p1["costs"]["claude"].low
    # the current stack states its Claude cost at one user count
    at = roadmap.get("phases.current.cost_at_users").value
    assert t.loc["current", "model_low"] == t.loc["current", "model_high"] == pytest.approx(at * per_user)
    # 0.04 USD/user: phase 3 (50K-100K users) costs 2,000-4,000 against the roadmap's 20K-40K
    assert t.loc["phase_3", "verdict"] == "model below roadmap"


def test_phase_of(roadmap):
    assert routing.phase_of(roadmap, 500) == "current"
    assert routing.phase_of(roadmap, 7000) == "phase_1"
    assert routing.phase_of(roadmap, 10_000) == "phase_2"
    assert routing.phase_of(roadmap, 1e6) == "phase_3"


# --- the notebook ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_notebook_responds_to_parameters_and_scenario(tmp_path):
    import papermill as pm

    from voyager_analysis import config
    from voyager_analysis.nbtools import read_results

    scenario = tmp_path / "cached.yaml"
    scenario.write_text("description: caching on\noverrides:\n  cache_hit_rate: 0.5\n  sonnet_share: 0.9\n")
    out = tmp_path / "04.ipynb"
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "04_claude_routing.ipynb"), str(out), kernel_name="python3",
        cwd=str(config.NOTEBOOKS_DIR), progress_bar=False,
        parameters=dict(users=2000, messages_per_user_month=10.0, input_tokens_per_message=1000.0,
                        output_tokens_per_message=200.0, sonnet_share=0.5, haiku_model="claude-haiku-3.5",
                        budget_usd=50.0, sobol_n=256, scenario=str(scenario)),
    )
    res = read_results(out)
    # the explicit sonnet_share (0.5) wins over the scenario's 0.9; the scenario's cache_hit_rate (0.5) applies.
    # 20,000 requests. Haiku 3.5 (0.80 / 4.00): 1000 x 0.8e-6 x (0.5 + 0.5 x 0.1) + 200 x 4e-6 = 0.00124 per request;
    # Sonnet 4.5 (3 / 15): 1000 x 3e-6 x 0.55 + 200 x 15e-6 = 0.00465 per request.
    assert res["inputs"]["sonnet_share"] == 0.5 and res["inputs"]["cache_hit_rate"] == 0.5
    assert res["claude_monthly_cost_usd"] == pytest.approx(10_000 * 0.00124 + 10_000 * 0.00465)
    all_sonnet, all_haiku = 20_000 * 0.00465, 20_000 * 0.00124
    assert res["all_sonnet_monthly_cost_usd"] == pytest.approx(all_sonnet)
    assert res["savings_vs_all_sonnet_pct"] == pytest.approx(100 * (all_sonnet - 58.9) / all_sonnet)
    # budget 50 between all-Haiku 24.8 and all-Sonnet 93: (50 - 24.8) / (93 - 24.8)
    assert res["max_sonnet_share_for_budget"] == [pytest.approx((50 - all_haiku) / (all_sonnet - all_haiku))]
    assert res["models"]["haiku"] == "claude-haiku-3.5"
    assert res["scenario"] == str(scenario)
    # cache_hit_rate is a point in this scenario, so it is held fixed, not ranged
    assert set(res["sensitivity"]) == {"messages_per_user_month", "input_tokens_per_message",
                                       "output_tokens_per_message", "sonnet_share", "batch_share"}
    for v in res["sensitivity"].values():
        assert {"S1", "S1_conf", "ST", "ST_conf", "basis"} <= set(v)
    # no measured scenario: the usage fitted from the metrics is measured; the scenario's sonnet_share (a value of
    # its own, not measured) and batching (our range) are assumed
    assert res["sensitivity"]["messages_per_user_month"]["basis"] == "measured"
    assert res["sensitivity"]["messages_per_user_month"]["source"].startswith("usage fitted from")
    assert res["sensitivity"]["sonnet_share"]["basis"] == "assumed"
    assert res["sensitivity"]["batch_share"]["basis"] == "assumed" and res["measured_inputs"] == {}


# --- the analysis (notebook 04's computation) -----------------------------------------------------------------

def analysis(project, **params):
    return routing.analyse(project, **{"sobol_n": 64, "seed": 1, **params})


def test_analyse_resolves_each_minus_one_and_says_where_it_came_from(project):
    from voyager_analysis.usage import usage_drivers

    drivers = usage_drivers(project.metrics)
    a = analysis(project, users=2000, sonnet_share=0.5)
    origin = {r.name: r for r in a.origins}
    assert origin["users"].value == 2000 and origin["users"].origin == "parameter"
    assert origin["sonnet_share"].value == 0.5 and origin["sonnet_share"].origin == "parameter"
    # -1 without a scenario: the value fitted from the metrics; caching defaults to none
    assert origin["messages_per_user_month"].value == pytest.approx(drivers["messages_per_user_month"][0])
    assert origin["messages_per_user_month"].origin.startswith("fitted from")
    assert origin["cache_hit_rate"].value == 0.0
    # users -1: the latest month of the metrics
    assert analysis(project).users == float(project.metrics["users"].iat[-1])


def test_a_scenario_fills_the_minus_ones_with_its_point_values(project):
    a = analysis(project, scenario="pessimistic", sonnet_share=0.3)
    over = project.scenario("pessimistic").overrides
    got = {r.name: r for r in a.origins}
    assert got["sonnet_share"].value == 0.3  # the parameter wins over the scenario's 0.4-0.8
    # triangular -> its mode (50); log-uniform 1,500-8,000 -> the geometric mean sqrt(1500 x 8000) = 3,464
    assert got["messages_per_user_month"].value == 50.0
    assert got["input_tokens_per_message"].value == pytest.approx((1500 * 8000) ** 0.5)
    assert got["input_tokens_per_message"].origin == "scenario 'pessimistic'"
    # uniform 400-1,000 -> the midpoint
    assert got["output_tokens_per_message"].value == pytest.approx((over["output_tokens_per_message"].low
                                                                   + over["output_tokens_per_message"].high) / 2)
    # the scenario's ranges replace the fitted intervals in the sensitivity analysis
    assert a.ranges["input_tokens_per_message"] == over["input_tokens_per_message"]
    assert "cache_hit_rate" not in a.ranges  # the scenario pins caching at 0: a point has no sensitivity


@pytest.mark.parametrize("name,value", [("users", -2), ("sonnet_share", 1.5), ("cache_hit_rate", -0.5),
                                        ("budget_usd", -3), ("batch_share", -0.5)])
def test_bad_parameters_name_themselves(project, name, value):
    with pytest.raises(InputError, match=f"parameter {name}"):
        analysis(project, **{name: value})


def test_budget_lines_follow_the_closed_form(project):
    a = analysis(project, users=1000, messages_per_user_month=10, input_tokens_per_message=1000,
                 output_tokens_per_message=200, sonnet_share=0.25)
    # 10,000 requests: all Haiku 20, all Sonnet 60 USD/month (see test_all_haiku_and_all_sonnet_by_hand)
    assert a.savings["all_haiku_usd"] == pytest.approx(20.0) and a.savings["all_sonnet_usd"] == pytest.approx(60.0)
    short = analysis(project, users=1000, messages_per_user_month=10, input_tokens_per_message=1000,
                     output_tokens_per_message=200, sonnet_share=0.25, budget_usd=10)
    assert "does not cover even all-Haiku" in short.budget_markdown() and short.to_dict()["max_sonnet_share_for_budget"] == [None]
    half = analysis(project, users=1000, messages_per_user_month=10, input_tokens_per_message=1000,
                    output_tokens_per_message=200, sonnet_share=0.25, budget_usd=40)
    assert half.max_sonnet_share.tolist() == [pytest.approx(0.5)] and "at most **50%**" in half.budget_markdown()
    rich = analysis(project, users=1000, messages_per_user_month=10, input_tokens_per_message=1000,
                    output_tokens_per_message=200, sonnet_share=0.25, budget_usd=100)
    assert "covers sending **every** request" in rich.budget_markdown()
    # without a budget: the roadmap's Claude range of the phase 1,000 users fall in
    key = routing.phase_of(project.roadmap, 1000)
    claude = project.roadmap["phases"][key]["costs"]["claude"]
    assert a.budgets == [claude.low, claude.high] and a.to_dict()["roadmap_phase"] == key


def test_phase_sentences_name_only_the_disagreements(project):
    a = analysis(project)
    text = a.phases_markdown()
    table = a.phase_table
    for _, row in table.iterrows():
        assert (row.label in text) == (row.verdict != "model inside roadmap range")


def test_results_protocol_and_contract(project):
    import json

    from voyager_analysis.contracts.routing import Payload

    a = analysis(project, users=5000)
    d = a.to_dict()
    json.dumps(d, allow_nan=False)
    p = Payload(**d)  # the notebook's contract: same keys, typed
    assert p.claude_monthly_cost_usd == pytest.approx(float(a.model.monthly_cost_usd(5000, *(a.usage[k] for k in routing.MEASURED))))
    assert p.claude_cost_per_user_usd == pytest.approx(p.claude_monthly_cost_usd / 5000)
    assert set(p.sensitivity) == set(a.ranges) and p.top_inputs == a.sensitivity.top_inputs(3)
    assert html.escape(a.title) in a._repr_html_()
    assert "claude_monthly_cost_usd" in a.summary().index
    for fig in (a.plot_cost_curve(), a.plot_phase_ranges(), a.sensitivity.plot_tornado(), a.sensitivity.plot_sobol()):
        assert fig.axes
