"""Every results class of the package through the same protocol checks (issue 12).

Each class is built from small inputs; the test checks that ``summary()`` is a method returning a DataFrame (or
a small object with a readable ``str``), that ``to_dict()`` survives ``json.dumps(..., allow_nan=False)``, that
``_repr_html_()`` is a string holding the class's title, and that every ``plot_*()`` method that needs no
argument returns a matplotlib Figure. A completeness test finds every subclass of ``Results`` in the package,
so a new results class must be added here.
"""

from __future__ import annotations

import html
import importlib
import json
import pkgutil

import numpy as np
import pytest

#: Results classes in modules still being written (not yet committed); add a builder when they land. Every
#: other subclass of Results must have a builder below.
IN_PROGRESS: set[str] = set()
#: Base classes only ever used through their subclasses (each subclass has a builder).
ABSTRACT = {"voyager_analysis.growth.curves.GrowthModel"}
#: Classes whose ``_repr_html_`` does not show the title yet (their owner's module overrides it); the check
#: is expected to fail until it does.

FOCUS_CSV = """BillingAccountId,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,ProviderName,PublisherName,ServiceName
acct,Usage,2026-01-31T00:00:00Z,2026-02-01T00:00:00Z,10.00,9.50,USD,Vercel,Vercel,Functions
acct,Usage,2026-02-01T00:00:00Z,2026-02-02T00:00:00Z,1.10,1.10,USD,Amazon Web Services,Amazon Web Services,Amazon Simple Storage Service
"""


@pytest.fixture(scope="module")
def growth_fit(project):
    from voyager_analysis import growth

    t = np.arange(20.0)
    users = 50_000 / (1 + np.exp(-0.3 * (t - 12))) * np.exp(np.random.default_rng(4).normal(0, 0.02, 20))
    return growth.fit_growth((t, users), ["logistic", "exponential"], roadmap=project.roadmap, n_origins=2)


def _growth_model(name, growth_fit):
    from voyager_analysis.growth.models import make_model

    return make_model(name).fit(growth_fit.t, growth_fit.users)


def _routing(project, **_):
    from voyager_analysis import routing

    return routing.analyse(project, users=5000, sobol_n=64, seed=1)


def _archival(project, **_):
    from voyager_analysis import archival

    return archival.analyse(project, horizon_months=6, sobol_n=64, seed=1)


def _audit(project, **_):
    from voyager_analysis import audit

    return audit.run_audit(project.roadmap, project.prices)


def _summary(project, tmp_path, **_):
    from voyager_analysis import summary

    return summary.summarise(project.roadmap, str(tmp_path))  # an empty run: every claim "not run"


def _usage(project, **_):
    from voyager_analysis import usage

    return usage.fit_usage(project.metrics)


def _scaling(project, **_):
    from voyager_analysis import scaling

    return scaling.scaling_report(project.metrics, n_boot=200)


def _triggers(project, growth_fit, **_):
    from voyager_analysis import growth, triggers

    comp = growth.fit_growth(project.metrics, ["logistic"], roadmap=project.roadmap, n_origins=2)
    return triggers.trigger_report(project.metrics, project.roadmap, comp, n_sim=200)


def _hac(**_):
    from voyager_analysis.stats.hac import hac_regression

    x = np.arange(12.0)
    y = 1.0 + 0.5 * x + np.random.default_rng(2).normal(0, 0.1, 12)
    return hac_regression(y, np.column_stack([np.ones(12), x]), ["const", "x"], n_sim=200)


def _montecarlo(project, **_):
    from voyager_analysis import montecarlo

    return montecarlo.simulate(1000, project, draws=200, seed=1)


def _curve(project, **_):
    from voyager_analysis import montecarlo

    return montecarlo.simulate_curve([1_000, 20_000], project.base_inputs(), draws=200, seed=1)


def _sensitivity(**_):
    from voyager_analysis import sensitivity

    problem = sensitivity.problem_from_figures({"a": (0.0, 1.0), "b": (1.0, 2.0)})
    return sensitivity.analyze(lambda X: X[:, 0] + 2 * X[:, 1], problem, {"a": 0.5, "b": 1.5}, output_label="y",
                               n=64, seed=1)


def _bills(tmp_path, **_):
    from voyager_analysis.sources.bills import read_bills

    (tmp_path / "focus.csv").write_text(FOCUS_CSV, encoding="utf-8")
    return read_bills(tmp_path)


def _build_vs_buy(project, growth_fit, **_):
    from voyager_analysis import buildvsbuy

    return buildvsbuy.build_vs_buy(project.roadmap, project.prices, project.figures("decisions"), df=project.metrics,
                                   growth=growth_fit, n_draws=200)


def _sharding(**_):
    from voyager_analysis import sharding

    return sharding.sharding_balance([50_000.0, 2_500.0, 2_500.0], 3, n_sim=100)


def _calibration(project, **_):
    from voyager_analysis import calibration

    return calibration.calibration_table(project.base_inputs(), project.roadmap, draws=200, seed=1)


def _margin_check(project, **_):
    from voyager_analysis import calibration

    return calibration.roadmap_margin_check(project.base_inputs(), project.roadmap, draws=200, seed=1)


def _conversion(project, **_):
    from voyager_analysis.revenue.conversion import conversion_analysis

    return conversion_analysis(project, draws=200, sobol_n=64, months=12, seed=1)


def _sbg(**_):
    from voyager_analysis.stats.survival import fit_sbg

    return fit_sbg(np.array([1, 2, 3, 3, 5]), np.array([1, 0, 1, 1, 0], bool), np.array([40, 7, 12, 3, 30]))


def _retention(**_):
    import pandas as pd

    from voyager_analysis.cohorts.retention import decay_to_plateau, retention
    from voyager_analysis.months import add_months

    rng = np.random.default_rng(3)
    sizes = pd.Series({add_months("2024-01", i): int(rng.integers(200, 800)) for i in range(8)})
    rows = [(c, k, rng.binomial(n, 0.9 if k == 0 else decay_to_plateau(k, 0.55, 0.2, 0.35)))
            for i, (c, n) in enumerate(sizes.items()) for k in range(8 - i)]
    return retention(sizes, pd.DataFrame(rows, columns=["cohort", "age_months", "active_users"]), add_months("2024-01", 7))


def _churn(**_):
    import pandas as pd

    from voyager_analysis.churn import churn_from_subscriptions

    rng = np.random.default_rng(5)
    start = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 300, 400), unit="D")
    end = [s + pd.DateOffset(months=int(k)) for s, k in zip(start, rng.geometric(0.1, 400))]
    subs = pd.DataFrame({"tier": np.where(np.arange(400) % 4 == 0, "max", "pro"), "started_at": start,
                         "ended_at": [e if e <= pd.Timestamp("2026-01-01", tz="UTC") else None for e in end]})
    return churn_from_subscriptions(subs, "2026-01-01")


def _conversion_cohorts(**_):
    import pandas as pd

    from voyager_analysis.cohorts.conversion import conversion_by_tier

    rng = np.random.default_rng(2)
    observed, month = rng.integers(0, 24, 800), rng.geometric(0.02, 800)
    return conversion_by_tier(pd.DataFrame({"tier": "pro", "periods": np.where(month <= observed, month, observed),
                                            "converted": month <= observed}))


def _tenure(**_):
    import pandas as pd

    from voyager_analysis.cohorts.tenure import usage_by_tenure
    from voyager_analysis.months import add_months

    rng = np.random.default_rng(1)
    rows = [(add_months("2024-01", i), k, n := int(rng.integers(100, 600)),
             rng.poisson(60 * np.exp(-0.03 * k + rng.normal(0, 0.05)) * n)) for i in range(8) for k in range(8 - i)]
    return usage_by_tenure(pd.DataFrame(rows, columns=["cohort", "age_months", "active_users", "messages"]), "messages")


def _views(**_):
    import pandas as pd

    from voyager_analysis.cohorts.views import expected_views, view_decay

    rng = np.random.default_rng(3)
    age = rng.uniform(0.05, 24, 1000)
    v = rng.poisson(rng.gamma(2.0, 0.5, 1000) * expected_views(age, 2.0, 4.0))
    return view_decay(pd.DataFrame({"age_months": age, "conversations": 1.0, "views": v, "views_sq": v ** 2.0}))


#: class (module.Name) -> how to build one from small inputs.
BUILDERS = {
    "voyager_analysis.routing.analysis.RoutingAnalysis": _routing,
    "voyager_analysis.archival.analysis.ArchivalAnalysis": _archival,
    "voyager_analysis.audit.AuditResult": _audit,
    "voyager_analysis.summary.ExecutiveSummary": _summary,
    "voyager_analysis.growth.models.Exponential": lambda growth_fit, **_: _growth_model("exponential", growth_fit),
    "voyager_analysis.growth.models.Logistic": lambda growth_fit, **_: _growth_model("logistic", growth_fit),
    "voyager_analysis.growth.models.Gompertz": lambda growth_fit, **_: _growth_model("gompertz", growth_fit),
    "voyager_analysis.growth.models.Richards": lambda growth_fit, **_: _growth_model("richards", growth_fit),
    "voyager_analysis.growth.models.Bass": lambda growth_fit, **_: _growth_model("bass", growth_fit),
    "voyager_analysis.growth.compare.GrowthComparison": lambda growth_fit, **_: growth_fit,
    "voyager_analysis.usage.fits.ActivityFit": lambda project, **_: _usage(project).activity["messages"],
    "voyager_analysis.usage.fits.StorageFit": lambda project, **_: _usage(project).storage,
    "voyager_analysis.usage.fits.ShareTrend": lambda project, **_: _usage(project).share,
    "voyager_analysis.usage.curves.UsageCurves": _usage,
    "voyager_analysis.scaling.ElasticityTest": lambda project, **_: _scaling(project).total,
    "voyager_analysis.scaling.BreakpointResult": lambda project, **_: _scaling(project).breakpoint,
    "voyager_analysis.scaling.ScalingReport": _scaling,
    "voyager_analysis.triggers.MetricFit": lambda **kw: next(iter(_triggers(**kw).fits.values())),
    "voyager_analysis.triggers.TriggerReport": _triggers,
    "voyager_analysis.buildvsbuy.BuildVsBuy": _build_vs_buy,
    "voyager_analysis.sharding.ShardingBalance": _sharding,
    "voyager_analysis.stats.hac.HACRegression": _hac,
    "voyager_analysis.montecarlo.SimulationResult": _montecarlo,
    "voyager_analysis.montecarlo.CostCurve": _curve,
    "voyager_analysis.calibration.Calibration": _calibration,
    "voyager_analysis.calibration.MarginCheck": _margin_check,
    "voyager_analysis.sensitivity.Sensitivity": _sensitivity,
    "voyager_analysis.revenue.conversion.ConversionAnalysis": _conversion,
    "voyager_analysis.sources.bills.Bills": _bills,
    "voyager_analysis.stats.survival.SBGFit": _sbg,
    "voyager_analysis.cohorts.retention.Retention": _retention,
    "voyager_analysis.churn.Churn": _churn,
    "voyager_analysis.cohorts.conversion.Conversion": _conversion_cohorts,
    "voyager_analysis.cohorts.tenure.TenureUsage": _tenure,
    "voyager_analysis.cohorts.views.ViewDecay": _views,
}


def _results_classes() -> set[str]:
    """Every subclass of Results defined in an importable module of the package."""
    import voyager_analysis
    from voyager_analysis.results import Results

    for info in pkgutil.walk_packages(voyager_analysis.__path__, "voyager_analysis."):
        if info.name.endswith("__main__"):  # running it would start the command line
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional engine (e.g. Spark) that is not installed
            continue
    found, todo = set(), list(Results.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("voyager_analysis"):
            found.add(f"{cls.__module__}.{cls.__qualname__}")
    return found


def test_every_results_class_has_a_protocol_case():
    missing = sorted(_results_classes() - set(BUILDERS) - IN_PROGRESS - ABSTRACT)
    assert not missing, f"add a builder to BUILDERS for: {missing}"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_results_protocol(name, project, growth_fit, tmp_path):
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.figure import Figure

    from voyager_analysis.results import Results

    obj = BUILDERS[name](project=project, growth_fit=growth_fit, tmp_path=tmp_path)
    assert f"{type(obj).__module__}.{type(obj).__qualname__}" == name
    assert isinstance(obj, Results)
    assert callable(obj.summary), "summary is a method"
    s = obj.summary()
    assert isinstance(s, pd.DataFrame) or (s is not None and str(s).strip())
    text = json.dumps(obj.to_dict(), allow_nan=False)
    assert text.startswith(("{", "["))
    page = obj._repr_html_()
    assert isinstance(page, str) and page.strip()
    assert html.escape(obj.title) in page
    assert isinstance(repr(obj), str) and repr(obj)
    for method in sorted(m for m in dir(obj) if m.startswith("plot_")):
        fn = getattr(obj, method)
        code = getattr(fn, "__code__", None)
        required = code.co_argcount - 1 - len(fn.__defaults__ or ()) if code else 0
        if required == 0:
            fig = fn()
            assert isinstance(fig, Figure), (name, method)
            plt.close(fig)


