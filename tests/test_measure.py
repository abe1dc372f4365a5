"""measure: measured inputs become a scenario file in the scenario format (by hand, parsed back by the figure
parser and the scenario loader), and bad estimates are one-line errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from voyager_analysis import measure
from voyager_analysis.errors import InputError


def metrics_frame() -> pd.DataFrame:
    """Four months; the last is partial (left out). Messages per user 10, 20, 30 in the three complete ones."""
    return pd.DataFrame({
        "month": ["2025-01", "2025-02", "2025-03", "2025-04"],
        "users": [100, 100, 100, 50],
        "messages": [1000, 2000, 3000, 9],
        "input_tokens": [1e6, 2e6, 3e6, 1.0],
        "cache_read_tokens": [2e5, 4e5, 6e5, 1.0],
        "output_tokens": [4e5, 8e5, 1.2e6, 1.0],
        "sonnet_share": [0.3, 0.3, 0.3, 1.0],
        "batch_share": [0.1, 0.05, 0.0, 1.0],
        "storage_gb": [1.0, 2.0, 3.0, 9.0],
        "archived_gb": [0.0, 0.0, 0.0, 9.0],
    })


def test_usage_estimates_by_hand():
    est = measure.usage_estimates(metrics_frame())
    m = est["messages_per_user_month"]
    # Mean of 10, 20, 30 = 20; sd = 10; t(0.975, 2) = 4.302653; half-width 4.302653 * 10 / sqrt(3).
    assert m.estimate == pytest.approx(20.0)
    assert m.high - m.estimate == pytest.approx(4.302653 * 10 / math.sqrt(3), rel=1e-5)
    assert m.low == 0.0  # clipped at zero
    assert est["input_tokens_per_message"].estimate == pytest.approx(1000.0)
    assert est["cache_hit_rate"].estimate == pytest.approx(0.2)
    assert est["storage_gb_per_user"].estimate == pytest.approx(0.02)
    assert est["sonnet_share"].low == est["sonnet_share"].high == pytest.approx(0.3)  # no spread
    assert est["batch_share"].low == 0.0 and est["batch_share"].high <= 1.0


def test_scenario_figures_parse_and_load(tmp_path):
    from voyager_analysis.assumptions import parse_figure
    from voyager_analysis.project import load_project
    from voyager_analysis.scenarios import load_scenario

    est = measure.usage_estimates(metrics_frame())
    est["monthly_churn"] = measure.Measured("monthly_churn", 0.07, 0.06, 0.085, "sBG")
    sc = measure.measured_scenario(est, events="data/events", measured_on="2026-01-01")
    assert sc["source"]["events"] == "data/events"
    for name, fig in sc["overrides"].items():
        f = parse_figure(dict(fig), path=None, key=name)
        assert f.low <= f.high and "data/events" in fig["source"]
    assert "mode" not in sc["overrides"]["sonnet_share"]  # a point needs no distribution
    path = tmp_path / "measured.yaml"
    measure.write_scenario(path, sc)
    back = yaml.safe_load(path.read_text())
    assert back["overrides"]["monthly_churn"]["mode"] == 0.07
    # The loader of today reads the overrides of the model's base inputs (the top-level 'source' and the
    # inputs that only some notebooks use need the scenario format's extension, see measure's docstring).
    inputs = load_project().base_inputs()
    plain = {"description": back["description"],
             "overrides": {k: v for k, v in back["overrides"].items() if k in inputs}}
    (tmp_path / "plain.yaml").write_text(yaml.safe_dump(plain))
    loaded = load_scenario(tmp_path / "plain.yaml", inputs=inputs)
    assert loaded.overrides["messages_per_user_month"].high == pytest.approx(est["messages_per_user_month"].high,
                                                                             rel=1e-5)


def test_churn_and_view_estimates_pass_through():
    from voyager_analysis.churn import churn_by_tier
    from voyager_analysis.cohorts import views

    rng = np.random.default_rng(0)
    life = rng.geometric(rng.beta(1.0, 8.0, 600))
    seen = rng.integers(0, 24, 600)
    frame = pd.DataFrame({"tier": "pro", "periods": np.where(life <= seen, life, seen), "churned": life <= seen})
    res = churn_by_tier(frame, as_of="2026-01-01", tiers=("pro",))
    m = measure.churn_estimate(res)
    assert (m.estimate, m.low, m.high) == res.tiers["pro"].monthly_churn
    age = rng.uniform(0.1, 20, 800)
    v = rng.poisson(views.expected_views(age, 2.0, 3.0))
    decay = views.view_decay(pd.DataFrame({"age_months": age, "conversations": 1.0, "views": v, "views_sq": v ** 2.0}))
    est = measure.view_estimates(decay)
    assert est["activity_half_life_months"].estimate == decay.activity_half_life_months[0]
    share = measure.paying_share_estimates({"pro": 50, "max": 5}, 1000, "2025-12")
    assert share["pro_conversion"].estimate == 0.05 and share["max_conversion"].high > 0.005


def test_bad_estimates_are_one_line_errors():
    with pytest.raises(InputError, match="low <= estimate <= high"):
        measure.Measured("monthly_churn", 0.1, 0.2, 0.3, "x")
    with pytest.raises(InputError, match="unknown input 'churn'"):
        measure.Measured("churn", 0.1, 0.05, 0.2, "x")
    with pytest.raises(InputError, match="need at least 3"):
        measure.usage_estimates(metrics_frame().head(2))
    with pytest.raises(InputError, match="nothing was measured"):
        measure.measured_scenario({}, events="x", measured_on="2026-01-01")
