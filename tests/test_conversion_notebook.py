"""Notebook 05 (conversion and revenue): papermill runs whose results follow the overridden parameters, a scenario,
and a clear error for an unknown scenario (the analysis itself: tests/test_conversion.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "05_conversion.ipynb"
FAST = {"draws": 2000, "sobol_n": 256, "months": 24}  # small runs: the tests check behaviour, not precision

def _run(tmp_path, name, **parameters):
    import papermill as pm

    from voyager_analysis.nbtools import read_results

    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), kernel_name="python3",
                        progress_bar=False, parameters={**FAST, **parameters})
    return read_results(out)


@pytest.mark.slow
def test_notebook_05_results_follow_the_conversion_and_users(tmp_path, roadmap, prices):
    low = _run(tmp_path, "low", users=20_000, pro_conversion=0.03, monthly_churn=0.05)
    high = _run(tmp_path, "high", users=20_000, pro_conversion=0.08, monthly_churn=0.05)
    ra = {k: roadmap.get(f"revenue_assumptions.{k}").value
          for k in ("pro_price", "max_conversion", "max_price", "revenue_share_to_company")}
    pct, fixed = prices.service("stripe_card_percent").price_usd, prices.service("stripe_card_fixed").price_usd
    for res, p in ((low, 0.03), (high, 0.08)):
        assert res["users"] == 20_000 and res["inputs"]["pro_conversion"] == p
        assert res["input_origins"]["pro_conversion"] == "parameter"
        assert res["input_origins"]["pro_price_usd"].startswith("roadmap.yaml")  # the rest is the roadmap's
        gross = 20_000 * (p * ra["pro_price"] + ra["max_conversion"] * ra["max_price"])
        fees = pct * gross + fixed * 20_000 * (p + ra["max_conversion"])
        assert res["gross_revenue_usd"] == pytest.approx(gross)
        assert res["payment_fees_usd"] == pytest.approx(fees)
        assert res["net_revenue_usd"] == pytest.approx(ra["revenue_share_to_company"] * gross - fees)
        assert res["roadmap_example"] is None  # no revenue example at 20K users in the roadmap
        assert res["new_pro_subscribers_per_month"] == pytest.approx(p * 20_000 * 0.05)
        assert res["steady_state_pro_subscribers"] == pytest.approx(p * 20_000)
        s = res["sensitivity"]
        assert {"pro_conversion", "max_conversion", "pro_price_usd", "max_price_usd", "monthly_churn",
                "revenue_share_to_company", "infra_cost_usd"} == set(s)
        assert all(set(v) == {"S1", "S1_conf", "ST", "ST_conf", "basis"} for v in s.values())
        assert {v["basis"] for v in s.values()} == {"assumed"}  # no measured scenario
        assert res["top_inputs"] == sorted(s, key=lambda k: -s[k]["ST"])[:3]
    assert high["gross_revenue_usd"] > low["gross_revenue_usd"]
    assert high["margin_pct"] > low["margin_pct"]
    assert high["margin_after_share_pct"] > low["margin_after_share_pct"]
    assert high["share_margin_below_claimed"] <= low["share_margin_below_claimed"]
    # the break-even does not depend on the conversion planned, only on cost, price and the other tier
    assert high["breakeven_pro_conversion"] == pytest.approx(low["breakeven_pro_conversion"])
    lo, hi = low["breakeven_pro_conversion_range"]
    assert lo <= low["breakeven_pro_conversion"] <= hi
    assert high["conversion_over_breakeven"] == pytest.approx(0.08 / high["breakeven_pro_conversion"])
    # same seed and users: the same cost draws in both runs
    assert high["infra_cost_usd"] == low["infra_cost_usd"]


@pytest.mark.slow
def test_notebook_05_defaults_match_the_roadmaps_example_and_a_scenario_moves_them(tmp_path, roadmap):
    from voyager_analysis.project import load_project
    from voyager_analysis.values import point_value

    base = _run(tmp_path, "base")
    example = roadmap.get("phases.phase_3.revenue")
    assert base["users"] == example["users"].value  # -1 = the roadmap's largest revenue example
    assert base["gross_revenue_usd"] == pytest.approx(example["gross"].value)
    assert base["roadmap_example"]["after_share_usd"] == example["after_share"].value
    assert base["net_revenue_roadmap_method_usd"] == pytest.approx(example["after_share"].value, rel=1e-4)
    assert base["net_revenue_usd"] < base["net_revenue_roadmap_method_usd"]  # Stripe's fees come out of it
    assert base["claimed_margin_range_pct"] == [100 * roadmap.get("claims.margin_range").low,
                                                100 * roadmap.get("claims.margin_range").high]

    pess = _run(tmp_path, "pess", scenario="pessimistic")
    conv = load_project().scenario("pessimistic").overrides["pro_conversion"]
    assert pess["scenario"] == "pessimistic"
    assert pess["inputs"]["pro_conversion"] == pytest.approx(point_value(conv))  # a scenario's range -> its point
    assert pess["input_origins"]["pro_conversion"].startswith("scenario 'pessimistic'")
    assert pess["gross_revenue_usd"] < base["gross_revenue_usd"]
    assert pess["margin_pct"] < base["margin_pct"]
    assert pess["infra_cost_usd"]["p50"] > base["infra_cost_usd"]["p50"]  # heavier usage, ops hire on


@pytest.mark.slow
def test_notebook_05_unknown_scenario_is_a_clear_error(tmp_path):
    import papermill as pm

    from voyager_analysis.scenarios import list_scenarios

    with pytest.raises(pm.PapermillExecutionError) as err:
        _run(tmp_path, "bad", scenario="pessimstic")
    assert err.value.ename == "InputError"
    assert "unknown scenario 'pessimstic'" in err.value.evalue
    assert "did you mean 'pessimistic'" in err.value.evalue
    assert f"valid: {', '.join(list_scenarios())}" in err.value.evalue
