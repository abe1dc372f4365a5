"""The model against the roadmap: envelope, verdict rules by hand, boundary conflicts, the calibration table and the
margin check; notebook 03 end to end."""

from __future__ import annotations

import numpy as np
import pytest

from voyager_analysis import calibration, costs, montecarlo
from voyager_analysis.assumptions import Figure


# --- calibration ----------------------------------------------------------------------------------------------

def test_envelope_brackets_every_draw(base_inputs):
    values = montecarlo.sample_figures(base_inputs, 20_000, seed=9)
    for users in (1_000, 25_000, 90_000):
        env = calibration.envelope(users, base_inputs)
        out = costs.evaluate(users, values)
        cols = dict(out["components"], total=out["infra_cost_usd"])
        for name, (lo, hi) in env.items():
            x = np.asarray(cols[name])
            assert lo <= x.min() + 1e-9 and x.max() <= hi + 1e-9, name


def test_envelope_of_a_one_input_cost_is_its_range_ends(base_inputs):
    inputs = {k: (f if k == "searches_per_user_month" else Figure(k, f.low, f.low, f.unit, source="fixed"))
              for k, f in base_inputs.items()}
    fig = base_inputs["searches_per_user_month"]
    lo, hi = calibration.envelope(60_000, inputs)["search"]
    price = base_inputs["algolia_search_requests"].value
    assert lo == pytest.approx(60_000 * fig.low * price / 1000)
    assert hi == pytest.approx(60_000 * fig.high * price / 1000)


def test_verdict_rules_by_hand():
    # (p5, p95, envelope min, envelope max) at the low and the high user count
    assert calibration.verdict(100, 300, (80, 150, 10, 900), (200, 400, 10, 900))[0] == "within"
    assert calibration.verdict(100, 300, (120, 150, 10, 900), (200, 400, 10, 900))[:3] == ("model above", "above", "within")
    assert calibration.verdict(100, 300, (80, 150, 10, 900), (150, 250, 10, 900))[:3] == ("model below", "within", "below")
    assert calibration.verdict(100, 300, (80, 150, 10, 90), (200, 400, 10, 900))[:2] == ("not reproducible", "unreachable")
    assert calibration.verdict(100, 300, (80, 150, 10, 900), (200, 400, 10, 900), conflict="clash")[0] == "not reproducible"
    # above at one end by x2, below at the other by x1.2: the bigger gap decides
    v, lo, hi, note = calibration.verdict(100, 300, (200, 400, 10, 900), (100, 250, 10, 900))
    assert (v, lo, hi) == ("model above", "above", "below") and "low end" in note


def test_boundary_conflicts_find_disjoint_ranges_at_a_shared_user_count():
    fig = lambda lo, hi, unit="usd_per_month": Figure("f", lo, hi, unit, section="s")  # noqa: E731
    phases = {
        "a": {"users": fig(0, 10, "users"), "costs": {"x": fig(1, 2), "y": fig(1, 5)}, "total": fig(2, 7)},
        "b": {"users": fig(10, 20, "users"), "costs": {"x": fig(3, 4), "y": fig(5, 9)}, "total": fig(8, 13)},
        "c": {"users": fig(30, 40, "users"), "costs": {"x": fig(9, 9)}, "total": fig(9, 9)},
    }
    found = calibration.boundary_conflicts({"phases": phases})
    assert set(found) == {("a", "x"), ("b", "x"), ("a", "total"), ("b", "total")}  # y touches at 5: no conflict


def test_calibration_table_is_consistent_with_its_rules(project, roadmap):
    table = calibration.calibration_table(project, roadmap, draws=4000, seed=1).table
    n_rows = sum(len(p["costs"]) + 1 for p in roadmap["phases"].values())
    assert len(table) == n_rows
    assert set(table["verdict"]) <= {"within", "model above", "model below", "not reproducible"}
    for _, r in table.iterrows():
        unreachable = not (r.min_at_low - 1e-6 <= r.roadmap_low <= r.max_at_low + 1e-6) or not (
            r.min_at_high - 1e-6 <= r.roadmap_high <= r.max_at_high + 1e-6)
        if unreachable:
            assert r.verdict == "not reproducible", (r.phase, r.component)
        inside = (r.p5_at_low <= r.roadmap_low <= r.p95_at_low) and (r.p5_at_high <= r.roadmap_high <= r.p95_at_high)
        if r.verdict == "within":
            assert inside and not unreachable
        assert r.min_at_low <= r.p5_at_low + 1e-9 and r.p95_at_high <= r.max_at_high + 1e-9
    # the current stack is compared at the 1K users its costs refer to
    current = table[table["phase"] == "current"].iloc[0]
    assert current.users_low == current.users_high == roadmap.get("phases.current.cost_at_users").value


def test_calibration_responds_to_drivers(project, roadmap, tmp_path):
    """Archived bytes per user decide whether the roadmap's S3 line is reachable at all."""
    base = calibration.calibration_table(project, roadmap, draws=2000, seed=1).table.set_index(["phase", "component"])
    scen = tmp_path / "huge_archive.yaml"
    scen.write_text("overrides:\n  storage_gb_per_user: {low: 5, high: 50, rationale: attachments in S3}\n")
    big = calibration.calibration_table(project, roadmap, draws=2000, seed=1, scenario=str(scen)).table.set_index(
        ["phase", "component"])
    assert big.at[("phase_3", "s3"), "max_at_high"] > 100 * base.at[("phase_3", "s3"), "max_at_high"]
    assert big.at[("phase_3", "s3"), "p50_at_high"] > base.at[("phase_3", "s3"), "p50_at_high"]


def test_calibrated_components_are_flagged(base_inputs):
    flagged = calibration.calibrated_components(base_inputs)
    notes = {k for k, f in base_inputs.items() if f.note and "calibrated" in f.note}
    assert notes, "drivers.yaml marks its calibrated figures"
    for comp in flagged:
        assert notes & set(costs.COMPONENT_ARGS[comp])
    assert "claude" not in flagged


def test_margin_check_shares(project, roadmap):
    users = calibration.roadmap_user_counts(roadmap)
    results = montecarlo.simulate_many(users, project, draws=3000, seed=2)
    result = calibration.roadmap_margin_check(project, roadmap, draws=3000, seed=2)
    check = result.table
    assert check["users"].tolist() == users
    lo, hi = result.claimed_range_pct
    assert (lo, hi) == (100 * roadmap.get("claims.margin_range").low, 100 * roadmap.get("claims.margin_range").high)
    first = results[users[0]].outputs["margin_pct"]
    assert check.at[0, "share_below_claimed"] == pytest.approx(np.mean(first < lo))
    assert check.at[0, "share_below_zero"] <= check.at[0, "share_below_claimed"]
    assert check.at[0, "roadmap_margin_pct"] == pytest.approx(100 * roadmap.get("cost_projection.rows.u1k.margin").value)


def test_simulate_many_equals_simulate(project):
    many = montecarlo.simulate_many([1_000, 60_000], project, draws=1500, seed=4)
    one = montecarlo.simulate(60_000, project, draws=1500, seed=4)
    np.testing.assert_array_equal(many[60_000.0].components, one.components)


def test_repr_and_str_name_the_inputs(project):
    res = montecarlo.simulate(5_000, project, draws=500, seed=1)
    assert "seed 1" in str(res) and "prices as_of" in str(res)
    assert "<table" in res._repr_html_()
    assert "drivers.yaml" in res.source_note()


@pytest.mark.slow
def test_notebook_03_responds_to_its_parameters(tmp_path):
    import papermill as pm

    from voyager_analysis import config
    from voyager_analysis.contracts.costs_scaling import Payload
    from voyager_analysis.nbtools import read_results
    from voyager_analysis.project import load_project

    out = tmp_path / "03.ipynb"
    params = dict(users_grid=[1000, 50000], draws=2000, seed=7, scenario="pessimistic")
    pm.execute_notebook(str(config.NOTEBOOKS_DIR / "03_costs_scaling.ipynb"), str(out), parameters=params,
                        cwd=str(config.NOTEBOOKS_DIR), kernel_name="python3", progress_bar=False)
    results = read_results(out)
    assert results["scenario"] == "pessimistic" and results["draws"] == 2000 and results["seed"] == 7
    assert set(results["cost_usd_p50"]) == {"1000", "50000"}
    project = load_project()
    expected = montecarlo.simulate(50_000, project, draws=2000, seed=7, scenario="pessimistic").stats("cost_usd")["p50"]
    assert results["cost_usd_p50"]["50000"] == pytest.approx(expected)
    assert set(results["roadmap_users"]) == {str(int(u)) for u in calibration.roadmap_user_counts(project.roadmap)}
    Payload.from_json(results)  # the contract reads it back
    assert 0 <= results["share_margin_below_claimed_max"] <= 1
