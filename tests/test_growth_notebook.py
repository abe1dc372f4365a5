"""Notebook 02 runs under papermill with overridden parameters, and its results respond to them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "02_growth_usage.ipynb"


@pytest.mark.slow
def test_notebook_02_results_follow_its_parameters(tmp_path):
    import papermill as pm

    from voyager_analysis import growth
    from voyager_analysis.nbtools import read_results

    out = tmp_path / "02_out.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), kernel_name="python3", progress_bar=False,
                        parameters={"models": "gompertz", "level": 0.8, "horizon_months": 6})
    res = read_results(out)
    assert res["selected_model"] == "gompertz"  # only the requested model was fitted
    assert set(res["selected_params"]) == {"K", "r", "t0"}
    assert res["level"] == 0.8
    target = res["month_reaching_target"]
    assert target["low"] <= target["month"]
    assert target["high"] is None or target["month"] <= target["high"]  # None: beyond the horizon
    from voyager_analysis.assumptions import load_roadmap

    roadmap = load_roadmap()
    assert res["target_users"] == max(growth.roadmap_milestone_months(roadmap))
    assert res["difference_months_target"] == pytest.approx(target["month"] - res["roadmap_month_target"])
    assert set(res["usage_drivers"]) == {"messages_per_user_month", "input_tokens_per_message",
                                        "output_tokens_per_message", "searches_per_user_month",
                                        "new_gb_per_user_month", "sonnet_share"}
    # an 80% interval is narrower than the default 95% one computed directly
    from voyager_analysis.metrics import load_metrics

    comp = growth.fit_growth(load_metrics(), "gompertz", roadmap=roadmap)
    wide = comp.milestones(level=0.95).set_index("users").loc[res["target_users"]]
    assert target["month"] - target["low"] < wide.month - wide.low  # compared on the lower half (the upper may be open)
