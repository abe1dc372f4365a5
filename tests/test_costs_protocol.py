"""Every results class of the cost, revenue, scenario and sensitivity area through the same protocol checks:
``summary()`` works, ``to_dict()`` is strict JSON, ``_repr_html_`` is a string, figures are matplotlib Figures."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def results():
    import numpy as np

    from voyager_analysis import calibration, montecarlo, sensitivity
    from voyager_analysis.revenue.conversion import conversion_analysis
    from voyager_analysis.project import load_project

    project = load_project()
    base, roadmap = project.base_inputs(), project.roadmap
    problem = sensitivity.problem_from_figures({"a": (0.0, 1.0), "b": (1.0, 2.0)})
    sens = sensitivity.analyze(lambda X: X[:, 0] + 2 * X[:, 1], problem, {"a": 0.5, "b": 1.5}, output_label="y",
                               n=64, seed=1)
    zero = montecarlo.simulate(0, project, draws=200, seed=1)  # NaN margins: no revenue at zero users
    assert np.isnan(zero.stats("margin_pct")["p50"])
    return {
        "simulation": zero,
        "curve": montecarlo.simulate_curve([1_000, 20_000], base, draws=500, seed=1),
        "calibration": calibration.calibration_table(base, roadmap, draws=500, seed=1),
        "margin_check": calibration.roadmap_margin_check(base, roadmap, draws=500, seed=1),
        "sensitivity": sens,
        "conversion": conversion_analysis(project, draws=500, sobol_n=64, months=12, seed=1),
    }


@pytest.mark.parametrize("name", ["simulation", "curve", "calibration", "margin_check", "sensitivity", "conversion"])
def test_results_protocol(results, name):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from voyager_analysis.results import Results

    obj = results[name]
    assert isinstance(obj, Results)
    assert obj.summary() is not None
    json.dumps(obj.to_dict(), allow_nan=False)
    assert isinstance(obj._repr_html_(), str) and isinstance(repr(obj), str)
    plots = [m for m in dir(obj) if m.startswith("plot_")]
    assert plots, name
    for m in plots:
        fig = getattr(obj, m)()
        assert isinstance(fig, Figure), (name, m)
        plt.close(fig)
    if hasattr(obj, "verdict_markdown"):
        assert isinstance(obj.verdict_markdown(), str)


def test_payloads_match_the_notebook_contracts(results):
    from voyager_analysis.contracts.conversion import Payload as ConversionPayload
    from voyager_analysis.contracts.costs_scaling import Payload as CostsPayload

    ConversionPayload(**results["conversion"].to_dict())
    keys = {**results["curve"].to_dict(), **results["calibration"].to_dict(), **results["margin_check"].to_dict()}
    missing = {"elasticity_total", "elasticity_p_value", "elasticity_verdict", "roadmap_table_elasticity",
               "roadmap_table_verdict", "component_verdicts", "breakpoint_users", "breakpoint_p_value", "data"}
    import dataclasses

    assert {f.name for f in dataclasses.fields(CostsPayload)} == set(keys) | missing
