"""Every results class of growth, usage, scaling, triggers, build vs buy and sharding through the same protocol
checks (``summary()`` works, ``to_dict()`` is strict JSON, ``_repr_html_`` and ``repr`` are strings, figures are
matplotlib Figures), the notebook payloads they build, and models that read no file."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest


@pytest.fixture(scope="module")
def own():
    from voyager_analysis import config
    from voyager_analysis.assumptions import load_figures

    return load_figures(config.ASSUMPTIONS_DIR / "decisions.yaml")


@pytest.fixture(scope="module")
def results(example_metrics, roadmap, prices, own):
    from voyager_analysis import buildvsbuy, growth, scaling, sharding, triggers, usage

    df = example_metrics
    comp = growth.fit_growth(df, ["logistic", "gompertz", "exponential"], roadmap=roadmap, n_origins=2)
    curves = usage.fit_usage(df)
    report = triggers.trigger_report(df, roadmap, comp, n_sim=300)
    rep = scaling.scaling_report(df, n_boot=200)
    return {
        "growth_model": (comp.best, {}),
        "growth_comparison": (comp, {}),
        "activity": (curves.activity["messages"], {"plot": (df,)}),
        "storage": (curves.storage, {"plot": (df,)}),
        "share": (curves.share, {"plot": (df,)}),
        "usage_curves": (curves, {}),
        "elasticity": (rep.total, {}),
        "breakpoint": (rep.breakpoint, {}),
        "scaling_report": (rep, {}),
        "metric_fit": (next(iter(report.fits.values())), {}),
        "trigger_report": (report, {"plot_timeline": (df.month.iat[0],)}),
        "build_vs_buy": (buildvsbuy.build_vs_buy(roadmap, prices, own, df=df, growth=comp, n_draws=300), {}),
        "sharding": (sharding.sharding_balance(sharding.roadmap_communities(roadmap), 3, n_sim=200), {}),
    }


NAMES = ["growth_model", "growth_comparison", "activity", "storage", "share", "usage_curves", "elasticity",
         "breakpoint", "scaling_report", "metric_fit", "trigger_report", "build_vs_buy", "sharding"]


@pytest.mark.parametrize("name", NAMES)
def test_results_protocol(results, name):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from voyager_analysis.results import Results

    obj, plot_args = results[name]
    assert isinstance(obj, Results)
    assert obj.summary() is not None
    text = json.dumps(obj.to_dict(), allow_nan=False)
    assert text.startswith("{")
    assert isinstance(obj._repr_html_(), str) and "<" in obj._repr_html_()
    assert isinstance(repr(obj), str) and repr(obj)
    for m in [m for m in dir(obj) if m.startswith("plot")]:
        fig = getattr(obj, m)(*plot_args.get(m, ()))
        assert isinstance(fig, Figure), (name, m)
        plt.close(fig)


def test_summary_is_a_method_everywhere(results):
    for name in NAMES:
        obj = results[name][0]
        assert callable(obj.summary), name


def test_payloads_keep_the_notebook_keys(results, roadmap):
    """The keys the summary and the report index read (the results cells before issue 12, copied here)."""
    from voyager_analysis.contracts import decisions, growth_usage

    comp, curves = results["growth_comparison"][0], results["usage_curves"][0]
    p2 = growth_usage.Payload(**growth_usage.fields(comp, curves))
    assert set(p2.to_json()) == {
        "data", "n_months", "level", "selected_model", "selected_params", "selected_params_ci", "akaike_weight",
        "holdout_mape_log", "target_users", "month_reaching_target", "roadmap_month_target",
        "difference_months_target", "messages_per_user_elasticity", "gb_per_message",
        "sonnet_share_slope_per_month", "usage_drivers", "error_model", "calibration"}  # the last two: issue 16
    j2 = p2.to_json()
    assert j2["error_model"] in ("additive", "multiplicative") and 0 <= j2["calibration"]["coverage"] <= 1
    json.dumps(j2, allow_nan=False)
    assert j2["target_users"] == 100_000 and j2["selected_model"] == comp.selected
    if j2["month_reaching_target"]["month"] is None:  # the selected curve never reaches the target
        assert j2["difference_months_target"] is None
    else:
        assert j2["difference_months_target"] == pytest.approx(
            j2["month_reaching_target"]["month"] - j2["roadmap_month_target"])
    report, bvb, bal = (results[k][0] for k in ("trigger_report", "build_vs_buy", "sharding"))
    p7 = decisions.Payload(**decisions.fields(report, bvb, bal, roadmap.get("options.polling_group_size")))
    j7 = p7.to_json()
    json.dumps(j7, allow_nan=False)
    assert set(j7) == {"last_month", "growth_model", "level", "prices_as_of", "triggers", "fired", "no_data",
                       "contradictions", "hourly_rate_usd", "horizon_months", "min_roi", "roi_users", "roi",
                       "switches_clearing", "breakeven_users", "sharding"}
    assert set(j7["sharding"]) == {"n_shards", "communities", "community_max_over_mean", "hash_max_over_mean",
                                   "hash_max_over_mean_low", "hash_max_over_mean_high", "cross_shard_share"}
    # 3 shards, Collab Spaces of g members: 1 - (1/3)^(g-1)
    g = roadmap.get("options.polling_group_size")
    assert j7["sharding"]["cross_shard_share"] == pytest.approx([1 - 3.0 ** -(g.low - 1), 1 - 3.0 ** -(g.high - 1)])
    assert set(j7["triggers"]["db_connections_alert"]) == {
        "status", "threshold", "current", "forecast_month", "low", "high", "users_at_threshold", "users_vs_roadmap",
        "months_vs_roadmap"}


def test_fit_growth_reads_no_file(monkeypatch):
    """A model fits plain arrays with every file reader disabled (it works outside a checkout)."""
    import builtins
    import io
    import pathlib

    from voyager_analysis import assumptions, growth

    t = np.arange(20.0)
    users = 50_000 / (1 + np.exp(-0.3 * (t - 12))) * np.exp(np.random.default_rng(4).normal(0, 0.02, 20))
    growth.fit_growth((t, users), "logistic").to_dict()  # warm the lazy imports (scipy, pandas)

    def refuse(*args, **kwargs):
        raise AssertionError(f"a model opened a file: {args[:1]}")

    for target, name in ((builtins, "open"), (io, "open"), (pathlib.Path, "open"), (pathlib.Path, "read_text"),
                         (assumptions, "load_roadmap")):
        monkeypatch.setattr(target, name, refuse)
    fit = growth.fit_growth((t, users))
    d = fit.to_dict()
    assert d["milestones"] == {}  # no roadmap: no roadmap milestones
    assert fit.best.params_["K"] == pytest.approx(50_000, rel=0.05)
    ms = fit.milestones([10_000, 40_000])
    assert list(ms.users) == [10_000, 40_000] and ms.roadmap_month.isna().all()
    with pytest.raises(Exception, match="give the user levels"):
        fit.milestones()


def test_milestone_findings_follow_the_rule(results):
    """Each bullet says 'consistent' exactly when the roadmap's month lies inside the interval, else earlier/later
    by the sign of the difference."""
    comp = results["growth_comparison"][0]
    ms = comp.milestones()
    lines = comp.milestone_findings().splitlines()
    assert len(lines) == len(ms)
    for line, row in zip(lines, ms.itertuples()):
        assert f"{row.users:,.0f} users" in line
        if not math.isfinite(row.month):
            assert "not reached" in line
        elif row.low <= row.roadmap_month <= row.high:
            assert "consistent with the roadmap" in line
        else:
            assert ("earlier" if row.difference_months < 0 else "later") + " than the roadmap" in line


def test_trigger_findings_name_fired_and_missing(results):
    report = results["trigger_report"][0]
    text = report.status_findings()
    tt = report.table
    for name in tt.loc[tt.status == "fired", "name"]:
        assert name in text.split("**Fired:**")[1].split("\n")[0]
    no_data = list(tt.loc[tt.status == "no data", "name"])
    assert f"**No data** for {len(no_data)} of {len(tt)} triggers" in text
    said = report.contradiction_findings()
    for name in report.contradictions()["name"]:
        assert f"`{name}`" in said


def test_build_vs_buy_findings_count_the_switches(results, roadmap):
    bvb = results["build_vs_buy"][0]
    n, m = int(bvb.roi.clears.sum()), len(bvb.roi)
    text = bvb.roi_findings(roadmap)
    assert text.startswith(f"**{n} of {m} switches clear the {bvb.min_roi:g}x bar")
    for s in bvb.roi.switch:
        assert f"`{s}`" in text
    assert "**Against the roadmap.**" in text
    assert bvb.breakeven_findings().count("\n- ") == len(bvb.breakeven)
    origins = bvb.inputs_table().set_index("input")["origin"]
    assert origins["roi_users"].startswith("latest month") and origins["hourly_rate_usd"].startswith("point value")


def test_usage_findings_match_the_fits(results):
    curves = results["usage_curves"][0]
    s = curves.share
    assert f"{s.slope_per_month * 100:+.2f} percentage points per month" in curves.share_findings(6)
    proj = curves.storage_projection(np.full(6, 50_000.0), archive_after_months=3)
    text = curves.storage_findings(proj, 3)
    assert f"{proj.total_gb.iat[-1]:,.0f} GB" in text and "In 6 months" in text
    assert list(curves.summary().index) == list(curves.drivers)
