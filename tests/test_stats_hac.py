"""stats.hac: the Newey-West covariance by hand and against statsmodels; fixed-b inference's size; protocol."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from voyager_analysis.errors import InputError
from voyager_analysis.stats import hac
from tests.conftest import ar1


def test_hac_covariance_by_hand():
    # Mean-only model, residuals +1 -1 +1 -1, Bartlett lag 1 (weight 1/2):
    # S = sum e^2 + 2 * (1/2) * sum e_t e_{t-1} = 4 + (-3) = 1; small-sample factor n/(n-k) = 4/3;
    # V = (X'X)^-1 S (X'X)^-1 = (1/4) * 4/3 * (1/4) = 1/12.
    X = np.ones((4, 1))
    e = np.array([[1.0, -1.0, 1.0, -1.0]])
    V = hac._hac_cov(e, X, np.linalg.inv(X.T @ X), lags=1)
    assert V[0, 0, 0] == pytest.approx(1 / 12)


@pytest.mark.parametrize("lags", [0, 2, 11])
def test_numpy_hac_matches_statsmodels(lags):
    from statsmodels.regression.linear_model import OLS

    rng = np.random.default_rng(3)
    x = np.log(np.linspace(100, 5000, 12))
    X = np.column_stack([np.ones(12), x])
    y = 0.8 * x + ar1(rng, 12, 0.5, 0.1)
    res = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    mine = hac._hac_cov(np.asarray(res.resid)[None], X, np.linalg.inv(X.T @ X), lags)[0]
    np.testing.assert_allclose(mine, res.cov_params(), rtol=1e-10)


def test_recovers_a_slope_and_its_interval_covers_it():
    rng = np.random.default_rng(11)
    t = np.arange(30.0)
    X = np.column_stack([np.ones(30), t])
    covered = 0
    for _ in range(40):
        y = 2.0 + 0.5 * t + ar1(rng, 30, 0.5, 1.0)
        r = hac.hac_regression(y, X, ["const", "t"], n_sim=500, seed=int(rng.integers(1e6)))
        lo, hi = r.coef("t")["ci"]
        covered += lo <= 0.5 <= hi
    assert covered >= 34  # nominal 95% of 40 = 38; fixed-b keeps it close even with AR(1) noise


def test_bad_designs_are_input_errors():
    with pytest.raises(InputError, match="need more than 2 points"):
        hac.hac_regression([1.0, 2.0], np.ones((2, 2)), ["a", "b"])
    with pytest.raises(InputError, match="collinear"):
        hac.hac_regression(np.arange(5.0), np.ones((5, 2)), ["a", "b"])
    with pytest.raises(InputError, match="constant series"):
        hac.check_series("cost", [2.0, 2.0, 2.0, 2.0])


def test_results_protocol():
    t = np.arange(12.0)
    r = hac.hac_regression(1 + t + np.random.default_rng(0).normal(size=12), np.column_stack([np.ones(12), t]),
                           ["const", "t"], n_sim=200)
    assert list(r.summary().index) == ["const", "t"]
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["n"] == 12 and [c["term"] for c in d["coefficients"]] == ["const", "t"]
    assert "<table" in r._repr_html_() and "Newey-West" in repr(r)


@pytest.mark.parametrize("maxlags", [None, 3])
def test_hac_regression_matches_statsmodels(maxlags):
    """Point estimate and covariance are statsmodels' OLS HAC (the fit no longer calls it, so check it)."""
    from statsmodels.regression.linear_model import OLS

    rng = np.random.default_rng(8)
    n = 25
    X = np.column_stack([np.ones(n), np.log(np.linspace(100, 9000, n)), rng.normal(size=n)])
    y = X @ [1.0, 0.7, -0.2] + ar1(rng, n, 0.6, 0.1)
    r = hac.hac_regression(y, X, ["const", "x", "z"], maxlags=maxlags, n_sim=200)
    lags = n - 1 if maxlags is None else maxlags
    sm = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    np.testing.assert_allclose(r.params, sm.params, rtol=1e-10)
    np.testing.assert_allclose(r.cov, sm.cov_params(), rtol=1e-9)


def test_full_bandwidth_bartlett_equals_the_partial_sum_identity_on_a_long_series():
    """With lags = n - 1 (Bartlett weights 1 - |s-t|/n) the meat equals (sum S_t S_t' + sum R_t R_t' - S_n S_n')/n,
    S_t / R_t the forward / backward partial sums of the scores: an independent O(n) formula. 100,000 rows run
    without an n x n matrix (which would need 80 GB)."""
    import time

    rng = np.random.default_rng(9)
    n = 100_000
    X = np.column_stack([np.ones(n), np.log1p(np.arange(n, dtype=float))])
    e = rng.normal(size=n)
    XtX_inv = np.linalg.inv(X.T @ X)
    start = time.process_time()
    mine = hac._hac_cov(e[None], X, XtX_inv, n - 1)[0]
    assert time.process_time() - start < 5.0
    u = e[:, None] * X
    S, R = np.cumsum(u, axis=0), np.cumsum(u[::-1], axis=0)
    meat = (S.T @ S + R.T @ R - np.outer(S[-1], S[-1])) / n * n / (n - 2)
    np.testing.assert_allclose(mine, XtX_inv @ meat @ XtX_inv, rtol=1e-8)


def test_long_series_critical_values_come_from_an_evenly_spaced_subsample():
    """Above SIM_MAX_ROWS rows the fixed-b null is simulated on SIM_MAX_ROWS evenly spaced rows with the same
    bandwidth ratio; its critical value agrees with a full simulation at that size (the fixed-b limit depends on
    b, not n), and a 50,000-row regression is refused only above MAX_ROWS."""
    t = np.arange(3 * hac.SIM_MAX_ROWS, dtype=float)
    X = np.column_stack([np.ones(t.size), t])
    y = 0.01 * t + np.random.default_rng(4).normal(size=t.size)
    crit_long = hac.hac_regression(y, X, ["const", "t"], n_sim=2000).coef("t")["crit"]
    Xs = X[: hac.SIM_MAX_ROWS]
    crit_short = hac.hac_regression(y[: hac.SIM_MAX_ROWS], Xs, ["const", "t"], n_sim=2000).coef("t")["crit"]
    assert crit_long == pytest.approx(crit_short, rel=0.08)
    assert crit_long > 3.0  # fixed-b with b = 1 is far above the normal 1.96
    with pytest.raises(InputError, match="more than"):
        hac.hac_regression(np.zeros(hac.MAX_ROWS + 1), np.ones((hac.MAX_ROWS + 1, 1)), ["const"])


def test_hc3_matches_statsmodels():
    from statsmodels.regression.linear_model import OLS

    rng = np.random.default_rng(10)
    x = rng.lognormal(size=60)
    X = np.column_stack([np.ones(60), np.log(x)])
    y = X @ [0.5, 0.8] + rng.normal(size=60) * (0.1 + 0.2 * x / x.max())
    r = hac.hc3_regression(y, X, ["const", "x"])
    sm = OLS(y, X).fit(cov_type="HC3", use_t=True)
    np.testing.assert_allclose(r.cov, sm.cov_params(), rtol=1e-10)
    np.testing.assert_allclose(r.coef("x")["ci"], sm.conf_int()[1], rtol=1e-10)
