"""Scenario files: loading by name or path, validation with clear errors, and their effect on the model."""

from __future__ import annotations

import numpy as np
import pytest

from voyager_analysis import montecarlo, scenarios
from voyager_analysis.errors import InputError


@pytest.fixture(scope="module")
def project():
    from voyager_analysis.project import load_project

    return load_project()


@pytest.fixture(scope="module")
def inputs(project):
    return project.base_inputs()


def write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_shipped_scenarios_load(inputs):
    names = scenarios.list_scenarios()
    assert {"base", "pessimistic", "optimistic"} <= set(names)
    for name in names:
        s = scenarios.load_scenario(name, inputs=inputs)
        assert s.name == name and s.description
        for key, fig in s.overrides.items():
            assert fig.unit == inputs[key].unit
            assert fig.is_point or fig.origin, key
    assert scenarios.load_scenario("base", inputs=inputs).overrides == {}


def test_by_path_and_by_name_are_the_same(inputs):
    from voyager_analysis import config

    a = scenarios.load_scenario("optimistic", inputs=inputs)
    b = scenarios.load_scenario(str(config.SCENARIOS_DIR / "optimistic.yaml"), inputs=inputs)
    assert a.overrides == b.overrides and a.include_ops_hire == b.include_ops_hire


def test_unknown_scenario_name_lists_the_valid_ones(inputs):
    with pytest.raises(InputError) as e:
        scenarios.load_scenario("pesimistic", inputs=inputs)
    msg = str(e.value)
    assert "pesimistic" in msg and "did you mean 'pessimistic'" in msg
    assert "base" in msg and "optimistic" in msg
    with pytest.raises(InputError, match="valid: base"):
        scenarios.load_scenario("zzz", inputs=inputs)


def test_unknown_input_names_the_file_the_key_and_the_nearest_name(tmp_path, inputs):
    p = write(tmp_path, "overrides:\n  mesages_per_user_month: 40\n", "typo.yaml")
    with pytest.raises(InputError) as e:
        scenarios.load_scenario(str(p), inputs=inputs)
    msg = str(e.value)
    assert "typo.yaml" in msg and "overrides.mesages_per_user_month" in msg
    assert "nearest valid name: 'messages_per_user_month'" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("text,fragment", [
    ("pro_conversion: 0.03\n", "put it under 'overrides:'"),
    ("overides:\n  pro_conversion: 0.03\n", "did you mean 'overrides'"),
    ("overrides:\n  pro_conversion: lots\n", "must be a number"),
    ("overrides:\n  pro_conversion: 1.5\n", "out of range"),
    ("overrides:\n  pro_conversion: {low: 0.02, high: 0.04}\n", "needs a 'section'"),
    ("overrides:\n  pro_conversion: {low: 0.04, high: 0.02, rationale: r}\n", "greater than high"),
    ("overrides:\n  pro_conversion: {low: 0.02, high: 0.04, unit: usd_per_month, rationale: r}\n", "does not match"),
    ("overrides:\n  sonnet_share: {low: 0.1, high: 0.3, distribution: triangular, rationale: r}\n", "needs a 'mode'"),
    ("include_ops_hire: yes please\n", "true or false"),
    ("overrides: [1, 2]\n", "expected a mapping"),
    ("overrides:\n  pro_conversion: [0.1\n", "malformed YAML"),
])
def test_bad_scenario_files_are_one_line_errors(tmp_path, inputs, text, fragment):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        scenarios.load_scenario(str(p), inputs=inputs)
    assert fragment in str(e.value) and "s.yaml" in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file_is_an_error(tmp_path, inputs):
    with pytest.raises(InputError, match="file not found"):
        scenarios.load_scenario(str(tmp_path / "nope.yaml"), inputs=inputs)


def test_overrides_change_the_simulation(tmp_path, project):
    p = write(tmp_path, "description: fixed usage\ninclude_ops_hire: true\noverrides:\n"
                        "  messages_per_user_month: 40\n"
                        "  sonnet_share: {low: 0.9, high: 1.0, rationale: everything to the big model}\n")
    res = montecarlo.simulate(80_000, project, draws=2000, seed=1, scenario=str(p))
    assert res.scenario == "s"
    assert isinstance(res.values["messages_per_user_month"], float) and res.values["messages_per_user_month"] == 40
    assert res.values["sonnet_share"].min() >= 0.9
    assert "ops_hire" in res.component_names  # switched on by the scenario
    base = montecarlo.simulate(80_000, project, draws=2000, seed=1)
    assert res.stats("claude")["p50"] > base.stats("claude")["p50"]


def test_a_scenario_object_can_be_passed_around(project, inputs):
    s = scenarios.load_scenario("pessimistic", inputs=inputs)
    a = montecarlo.simulate(30_000, inputs, draws=1000, seed=2, scenario=s)
    b = montecarlo.simulate(30_000, project, draws=1000, seed=2, scenario="pessimistic")
    np.testing.assert_array_equal(a.components, b.components)
    applied = s.apply(inputs)
    assert applied["pro_conversion"] == s.overrides["pro_conversion"]
    assert list(applied) == list(inputs)
    assert set(s.frame().index) == set(s.overrides)
    assert "**Scenario `pessimistic`**" in s.markdown() and "ops-hire line ON" in s.markdown()
    with pytest.raises(InputError, match="needs the project"):
        montecarlo.simulate(30_000, inputs, draws=10, scenario="pessimistic")


def test_a_scenario_folder_can_be_given(tmp_path, inputs):
    write(tmp_path, "description: mine\noverrides:\n  pro_conversion: 0.02\n", "mine.yaml")
    assert scenarios.list_scenarios(tmp_path) == ["mine"]
    s = scenarios.load_scenario("mine", inputs=inputs, folder=tmp_path)
    assert s.overrides["pro_conversion"].value == 0.02
    with pytest.raises(InputError, match="valid: mine"):
        scenarios.load_scenario("pessimistic", inputs=inputs, folder=tmp_path)


def test_shipped_scenarios_are_ordered_as_named(project):
    p50 = {name: montecarlo.simulate(50_000, project, draws=4000, seed=1, scenario=name)
           .stats("margin_pct")["p50"] for name in ("pessimistic", "base", "optimistic")}
    assert p50["pessimistic"] < p50["base"] < p50["optimistic"]


def test_a_measured_scenario_names_its_source_and_may_override_notebook_only_inputs(tmp_path):
    """`measure` writes a top-level `source` and inputs that only some notebooks use (monthly_churn,
    batch_share): the project accepts them, the cost model ignores them, and each override says whether it was
    measured."""
    from voyager_analysis.project import load_project

    project = load_project()
    p = tmp_path / "measured.yaml"
    p.write_text("description: measured\nsource: {events: data/events/example, measured_on: '2026-12-01'}\n"
                 "overrides:\n"
                 "  monthly_churn: {low: 0.04, high: 0.06, mode: 0.05, distribution: triangular, unit: fraction,"
                 " source: sBG fit}\n"
                 "  batch_share: {low: 0.1, high: 0.1, unit: fraction, source: share of batch requests}\n"
                 "  pro_conversion: {low: 0.03, high: 0.05, unit: fraction, rationale: our guess}\n")
    scen = project.scenario(p)
    assert scen.source == {"events": "data/events/example", "measured_on": "2026-12-01"}
    assert scen.is_measured("monthly_churn") and not scen.is_measured("pro_conversion")
    inputs = scen.apply(project.base_inputs())
    assert "monthly_churn" not in inputs and inputs["pro_conversion"].low == 0.03
    p.write_text("overrides:\n  monthly_chrun: 0.05\n")
    with pytest.raises(InputError, match="monthly_churn"):
        project.scenario(p)
