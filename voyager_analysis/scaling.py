"""Sub-linearity: does monthly cost grow more slowly than users?

The elasticity ``b`` of cost to users comes from ``log(cost) = a + b log(users)``, with a stationary,
possibly autocorrelated error on the log scale (multiplicative noise on cost), fitted by OLS. Intervals and
tests use fixed-b HAC inference (:mod:`voyager_analysis.stats.hac`, which explains why: with 10-30
autocorrelated months the textbook Newey-West test is far too optimistic). Rows with no time order (firms,
tenants, regions: ``cross_section=True``, ``scaling --cross-section``) use HC3 errors and a pairs bootstrap
instead, and the answer does not depend on the row order. Long series stay fast: the HAC covariance is O(n)
(no n x n matrix), bootstraps are drawn in chunks and capped at :data:`BOOT_ROW_BUDGET` resampled rows, and the
breakpoint search tries at most :data:`MAX_BREAK_CANDIDATES` break locations; 100,000 rows take seconds.
A moving-block bootstrap of residuals (:mod:`voyager_analysis.stats.bootstrap`) gives a second,
assumption-light interval (``ci_bootstrap``).

statsmodels is imported inside functions only (``import voyager_analysis.scaling`` stays fast).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.constants import LINEAR_BAND
from voyager_analysis.errors import InputError
from voyager_analysis.results import Results
from voyager_analysis.stats.bootstrap import block_bootstrap_residuals, block_length
from voyager_analysis.stats.hac import HACRegression, check_series, hac_regression, hc3_regression
from voyager_analysis.tables import table_html

#: Below this many points the results carry a small-sample warning.
SMALL_N = 12
VERDICTS = ("sub-linear", "linear", "super-linear", "inconclusive")
#: The error model of every fit here, stated in each result's ``method``.
ERROR_MODEL = "multiplicative (OLS on log cost)"


# --- elasticity of cost to users ---------------------------------------------------------------------------

@dataclass(repr=False)
class ElasticityTest(Results):
    """Elasticity of monthly cost to users, and the one-sided test of H0: b >= 1 vs H1: b < 1.

    ``verdict`` rule (alpha = ``alpha``):

    - ``"sub-linear"``: ``p_value`` (H1: b < 1) < alpha;
    - ``"super-linear"``: ``p_value_super`` (H1: b > 1) < alpha;
    - ``"linear"``: neither, and the (1 - alpha) interval ``ci`` lies within 1 ± ``LINEAR_BAND`` (0.9-1.1):
      the data pin the elasticity near 1;
    - ``"inconclusive"``: neither, and the interval is wider than that.

    ``ci`` and the p-values use fixed-b HAC inference (module docstring); ``ci_bootstrap`` is the
    percentile interval of a moving-block bootstrap of residuals, for comparison. ``warning`` holds
    small-sample and provenance caveats (also appended to ``method`` in :meth:`to_dict`).
    """

    elasticity: float
    se: float
    ci: tuple[float, float]
    ci_bootstrap: tuple[float, float]
    test_statistic: float
    p_value: float
    p_value_super: float
    verdict: str
    method: str
    n: int
    alpha: float
    intercept: float
    critical_value: float
    warning: str | None
    users: np.ndarray = field(repr=False)
    cost_usd: np.ndarray = field(repr=False)
    reg: HACRegression = field(repr=False)
    control_means: tuple = ()  # mean log of each control: where the fitted band holds them
    cross_section: bool = False

    title = "Elasticity of monthly cost to users"

    def summary(self):
        """One row: estimate, SE, fixed-b and bootstrap intervals, test statistic, p-values, verdict, n."""
        import pandas as pd

        row = {"estimate": self.elasticity, "se": self.se, "lower": self.ci[0], "upper": self.ci[1],
               "lower_bootstrap": self.ci_bootstrap[0], "upper_bootstrap": self.ci_bootstrap[1],
               "test_statistic": self.test_statistic, "p_value": self.p_value,
               "p_value_super": self.p_value_super, "verdict": self.verdict, "n": self.n}
        out = pd.DataFrame([row], index=pd.Index(["elasticity"], name="term"))
        out.attrs["method"] = self.method
        return out

    def _payload(self) -> dict[str, Any]:
        """``{"elasticity", "ci": [lo, hi], "p_value", "verdict", "method", "n"}`` (the CLI JSON)."""
        method = self.method + (f"; caution: {self.warning}" if self.warning else "")
        return {"elasticity": float(self.elasticity), "ci": [float(self.ci[0]), float(self.ci[1])],
                "p_value": float(self.p_value), "verdict": self.verdict, "method": method, "n": int(self.n)}

    def fitted_band(self, users=None):
        """Fitted cost (median) and its (1 - alpha) confidence band at ``users`` (default: a grid over
        the observed range). Returns a DataFrame ``users``, ``cost_usd``, ``lower``, ``upper``."""
        import pandas as pd

        if users is None:
            users = np.geomspace(self.users.min(), self.users.max(), 60)
        users = np.asarray(users, dtype=float)
        rows = [self.reg.contrast(np.array([1.0, np.log(u), *self.control_means])) for u in users]
        return pd.DataFrame({"users": users, "cost_usd": [np.exp(r["estimate"]) for r in rows],
                             "lower": [np.exp(r["ci"][0]) for r in rows],
                             "upper": [np.exp(r["ci"][1]) for r in rows]})

    def __str__(self) -> str:
        lo, hi = self.ci
        blo, bhi = self.ci_bootstrap
        level = f"{1 - self.alpha:.0%}"
        text = (f"Elasticity of cost to users: {self.elasticity:.3f} ({level} CI {lo:.3f} to {hi:.3f}; block "
                f"bootstrap {blo:.3f} to {bhi:.3f}), n={self.n}\n"
                f"H0: b >= 1 vs H1: b < 1: t = {self.test_statistic:.2f}, one-sided p = {self.p_value:.4g} "
                f"-> {self.verdict}\nmethod: {self.method}")
        return text + (f"\ncaution: {self.warning}" if self.warning else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        note = f"<p><i>caution: {html.escape(self.warning)}</i></p>" if self.warning else ""
        return (f"<p><b>{html.escape(self.title)}: {self.elasticity:.3f}, verdict {self.verdict}</b> "
                f"(one-sided p = {self.p_value:.3g}, n = {self.n})<br><small>{html.escape(self.method)}</small></p>"
                + note + table_html(self.summary()))

    def plot_loglog(self, roadmap_result=None, *, label: str = "observed months", note: str = ""):
        """Cost vs users on log-log axes with the fitted line and its band (optionally the roadmap's own)."""
        from voyager_analysis.plots.scaling import loglog_cost

        return loglog_cost(self, roadmap_result, label=label, note=note)


def fit_elasticity(users, cost_usd, *, alpha: float = 0.05, n_boot: int = 2000, seed: int = config.DEFAULT_SEED,
                   hac_maxlags: int | None = None, n_sim: int = 4000, note: str | None = None,
                   cross_section: bool = False, controls: dict | None = None) -> ElasticityTest:
    """Estimate ``b`` in ``log(cost_usd) = a + b log(users) [+ c' log(controls)]`` and test H0: b >= 1 against
    H1: b < 1.

    ``users`` and ``cost_usd`` are same-length sequences, all > 0, at least 4 points, neither constant.
    Time series (default; rows in time order): OLS with a Newey-West HAC covariance with ``hac_maxlags``
    (default n - 1) and fixed-b critical values from ``n_sim`` seeded simulations; a moving-block bootstrap
    of residuals (``n_boot`` replicates, same seed) for ``ci_bootstrap``. ``cross_section=True`` (rows are
    units with no time order: firms, tenants, regions): HC3 standard errors with t critical values and a
    pairs bootstrap (rows resampled) for ``ci_bootstrap``; the result does not depend on the row order.
    ``controls``: ``{name: positive values}`` entered as logs (e.g. input prices in a cost function). ``note`` is
    added to the warning (e.g. where the points come from). Raises InputError for unusable input.
    """
    if not 0 < alpha < 0.5:
        raise InputError(f"alpha must lie in (0, 0.5), got {alpha}")
    u = check_series("users", users)
    c = check_series("cost_usd", cost_usd)
    if u.size != c.size:
        raise InputError(f"users and cost_usd differ in length ({u.size} vs {c.size})")
    n = u.size
    names = ["const", "log_users"] + [f"log_{k}" for k in (controls or {})]
    cols = [np.ones(n), np.log(u)]
    for k, v in (controls or {}).items():
        v = check_series(k, v)
        if v.size != n:
            raise InputError(f"{k} and users differ in length ({v.size} vs {n})")
        cols.append(np.log(v))
    X, y = np.column_stack(cols), np.log(c)
    if cross_section:  # a canonical row order, so that the seeded pairs bootstrap ignores the given order
        order = np.lexsort((y, *X.T[::-1]))  # by log users, then the controls, then log cost
        X, y, u, c = X[order], y[order], u[order], c[order]
        reg = hc3_regression(y, X, names, alpha=alpha)
    else:
        reg = hac_regression(y, X, names, alpha=alpha, maxlags=hac_maxlags, n_sim=n_sim, seed=seed)
    r = reg.coef("log_users", null=1.0)
    rng = np.random.default_rng(seed)
    n_boot = affordable_boot(n_boot, n) if n_boot > 0 else 0
    if n_boot > 0:
        slopes = _bootstrap_slopes(X, y, reg, n_boot, rng, pairs=cross_section)
        ci_boot = tuple(float(q) for q in np.quantile(slopes, [alpha / 2, 1 - alpha / 2]))
    else:
        ci_boot = (math.nan, math.nan)
    if r["p_lower"] < alpha:
        verdict = "sub-linear"
    elif r["p_upper"] < alpha:
        verdict = "super-linear"
    elif 1 - LINEAR_BAND <= r["ci"][0] and r["ci"][1] <= 1 + LINEAR_BAND:
        verdict = "linear"
    else:
        verdict = "inconclusive"
    cautions = []
    if n < SMALL_N:
        cautions.append(f"only {n} points: intervals are wide and the test has little power; treat the "
                        f"verdict as indicative")
    if note:
        cautions.append(note)
    boot = ("pairs bootstrap (rows resampled" if cross_section else
            f"moving-block bootstrap of residuals (block {block_length(n)}")
    method = (f"{ERROR_MODEL}; {reg.method}; one-sided test of H0: b >= 1; {boot}, {n_boot} replicates, seed {seed})"
              + (f"; controls: {', '.join(names[2:])}" if controls else ""))
    return ElasticityTest(
        elasticity=r["estimate"], se=r["se"], ci=(float(r["ci"][0]), float(r["ci"][1])), ci_bootstrap=ci_boot,
        test_statistic=r["t"], p_value=r["p_lower"], p_value_super=r["p_upper"], verdict=verdict,
        method=method, n=n, alpha=alpha, intercept=float(reg.params[0]), critical_value=r["crit"],
        warning="; ".join(cautions) or None, users=u, cost_usd=c, reg=reg,
        control_means=tuple(float(v) for v in X[:, 2:].mean(axis=0)), cross_section=cross_section)


#: Bootstrap replicates drawn at a time (bounds memory on long series).
BOOT_CHUNK = 100
#: Long series get fewer bootstrap replicates: at most this many resampled rows in all (replicates x rows), and
#: never fewer than :data:`MIN_BOOT` replicates; the count used is stated in ``method``.
BOOT_ROW_BUDGET = 20_000_000
MIN_BOOT = 199


def affordable_boot(n_boot: int, n: int) -> int:
    """Bootstrap replicates used for ``n`` rows: ``n_boot`` capped by :data:`BOOT_ROW_BUDGET` (>= :data:`MIN_BOOT`)."""
    return int(min(n_boot, max(MIN_BOOT, BOOT_ROW_BUDGET // max(n, 1))))


def _bootstrap_slopes(X, y, reg, n_boot: int, rng: np.random.Generator, *, pairs: bool) -> np.ndarray:
    """Bootstrap draws of the log-users coefficient: pairs (rows resampled with replacement) or a moving-block
    bootstrap of residuals around the fit; drawn in chunks of :data:`BOOT_CHUNK` replicates."""
    n = y.size
    XtX_inv = np.linalg.inv(X.T @ X)
    out = []
    for start in range(0, n_boot, BOOT_CHUNK):
        m = min(BOOT_CHUNK, n_boot - start)
        if pairs:
            idx = rng.integers(0, n, size=(m, n))
            Xb, yb = X[idx], y[idx]  # (m, n, k), (m, n)
            XtX = np.einsum("rni,rnj->rij", Xb, Xb)
            Xty = np.einsum("rni,rn->ri", Xb, yb)
            ok = np.linalg.matrix_rank(XtX) == X.shape[1]  # a resample with one distinct row has no slope
            out.append(np.linalg.solve(XtX[ok], Xty[ok][..., None])[:, 1, 0])
        else:
            ystar = X @ reg.params + block_bootstrap_residuals(reg.resid, m, rng, dof=X.shape[1])
            out.append((ystar @ X @ XtX_inv)[:, 1])
    return np.concatenate(out)


# --- does the elasticity change with scale? ----------------------------------------------------------------

@dataclass(repr=False)
class BreakpointResult(Results):
    """Best one-break (continuous, hinge) log-log fit and a sup-F test against a single slope.

    ``log(cost) = a + b1 x + (b2 - b1) max(0, x - log(users_at_break))``, x = log(users). The break
    is searched over observed users values leaving ``min_segment`` points on each side (the break
    point counts on both). ``test_statistic`` is the largest F over those candidates (Andrews 1993);
    ``p_value`` is the share of ``n_boot`` moving-block bootstrap series built from the one-slope fit
    whose sup-F is at least as large. ``aicc_one``/``aicc_two`` compare the fits (the break location
    counts as a parameter). ``tested`` is False (with ``reason``) when there are too few points.
    """

    tested: bool
    reason: str | None
    n: int
    min_segment: int
    users_at_break: float | None = None
    slope_below: float | None = None
    slope_above: float | None = None
    intercept: float | None = None
    test_statistic: float | None = None
    p_value: float | None = None
    aicc_one: float | None = None
    aicc_two: float | None = None
    alpha: float = 0.05
    method: str = ""
    users: Any = field(default=None, repr=False)
    cost_usd: Any = field(default=None, repr=False)

    title = "Breakpoint search (does the elasticity change with scale?)"

    @property
    def significant(self) -> bool:
        return bool(self.tested and self.p_value is not None and self.p_value < self.alpha)

    def predict(self, users) -> np.ndarray:
        """Fitted median cost of the two-segment fit at ``users``."""
        x = np.log(np.asarray(users, dtype=float))
        c = np.log(self.users_at_break)
        return np.exp(self.intercept + self.slope_below * x + (self.slope_above - self.slope_below)
                      * np.maximum(0.0, x - c))

    def _payload(self) -> dict[str, Any]:
        keys = ("tested", "reason", "n", "users_at_break", "slope_below", "slope_above", "test_statistic",
                "p_value", "aicc_one", "aicc_two", "method")
        out = {k: getattr(self, k) for k in keys}
        out["significant"] = self.significant
        return out

    def summary(self):
        """One row: the break, the slopes on each side, sup-F, p-value, AICc of both fits."""
        import pandas as pd

        out = pd.DataFrame([self.to_dict()]).drop(columns=["method"])
        out.attrs["method"] = self.method
        return out

    def __str__(self) -> str:
        if not self.tested:
            return f"Breakpoint search: not tested ({self.reason})"
        word = "changes" if self.significant else "does not change significantly"
        return (f"Breakpoint search: elasticity {word} at scale (sup-F = {self.test_statistic:.2f}, "
                f"p = {self.p_value:.3g}); best break at {self.users_at_break:,.0f} users: slope "
                f"{self.slope_below:.3f} below, {self.slope_above:.3f} above; AICc one slope "
                f"{self.aicc_one:.1f} vs two {self.aicc_two:.1f}\nmethod: {self.method}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        return f"<p><b>{html.escape(self.title)}</b></p><pre>{html.escape(str(self))}</pre>"

    def plot(self, *, note: str = ""):
        """The points, the one-slope fit and the hinge fit (needs the data the search ran on)."""
        from voyager_analysis.plots.scaling import breakpoint_chart

        return breakpoint_chart(self.users, self.cost_usd, self, note=note)


def _aicc(rss: np.ndarray | float, n: int, k: int) -> np.ndarray | float:
    """Gaussian AICc with k parameters (including the noise variance)."""
    return n * np.log(np.maximum(rss, 1e-300) / n) + 2 * k + 2 * k * (k + 1) / max(n - k - 1, 1e-9)


#: At most this many break locations are tried (evenly spaced among the candidates) on long series.
MAX_BREAK_CANDIDATES = 50


def breakpoint_search(users, cost_usd, *, min_segment: int = 5, alpha: float = 0.05, n_boot: int = 999,
                      seed: int = config.DEFAULT_SEED, cross_section: bool = False) -> BreakpointResult:
    """Does the elasticity change at some scale? A hinge in log-log space, sup-F tested (see class doc).

    Residual sums of squares come from orthonormal bases of the designs (O(n) per candidate and replicate; at
    most :data:`MAX_BREAK_CANDIDATES` candidates). ``cross_section``: the bootstrap resamples single residuals
    (no time order) instead of moving blocks."""
    u = check_series("users", users)
    c = check_series("cost_usd", cost_usd)
    if u.size != c.size:
        raise InputError(f"users and cost_usd differ in length ({u.size} vs {c.size})")
    if min_segment < 3:
        raise InputError(f"min_segment must be at least 3 points, got {min_segment}")
    n = u.size
    order = np.lexsort((np.log(c), np.log(u))) if cross_section else np.argsort(u, kind="stable")
    x, y = np.log(u)[order], np.log(c)[order]
    ks = [k for k in range(min_segment - 1, n - min_segment + 1) if x[0] < x[k] < x[-1]]
    if not ks:
        return BreakpointResult(tested=False, n=n, min_segment=min_segment, alpha=alpha, users=u, cost_usd=c,
                                reason=f"{n} points leave no break with {min_segment} points on each side")
    if len(ks) > MAX_BREAK_CANDIDATES:
        ks = [ks[i] for i in np.unique(np.round(np.linspace(0, len(ks) - 1, MAX_BREAK_CANDIDATES)).astype(int))]
    X0 = np.column_stack([np.ones(n), x])
    Q0 = np.linalg.qr(X0)[0]
    designs = [np.column_stack([X0, np.maximum(0.0, x - x[k])]) for k in ks]
    Qs = [np.linalg.qr(D)[0] for D in designs]

    def sup_f(Y):  # Y (R, n) -> sup-F (R,), best candidate index (R,), rss0 (R,), rss (m, R)
        yy = (Y**2).sum(-1)
        rss0 = yy - ((Y @ Q0) ** 2).sum(-1)
        rss = np.maximum(np.stack([yy - ((Y @ Q) ** 2).sum(-1) for Q in Qs]), 0.0)
        f = (rss0[None] - rss) / np.maximum(rss / (n - 3), 1e-300)
        return f.max(0), f.argmax(0), rss0, rss

    F, best, rss0, rss = sup_f(y[None])
    F, b, rss0 = float(F[0]), int(best[0]), float(rss0[0])
    beta = np.linalg.lstsq(designs[b], y, rcond=None)[0]
    fitted0 = X0 @ np.linalg.lstsq(X0, y, rcond=None)[0]
    rng = np.random.default_rng(seed)
    n_boot = affordable_boot(n_boot, n)
    block = 1 if cross_section else None
    Fstar = np.concatenate([sup_f(fitted0 + block_bootstrap_residuals(y - fitted0, min(BOOT_CHUNK, n_boot - i), rng,
                                                                      length=block, dof=2))[0]
                            for i in range(0, n_boot, BOOT_CHUNK)])
    p = (np.count_nonzero(Fstar >= F) + 1) / (n_boot + 1)
    resample = ("single residuals (cross-section)" if cross_section else f"moving blocks (block {block_length(n)})")
    method = (f"continuous hinge in log-log, break searched over {len(ks)} observed users values; sup-F "
              f"(Andrews 1993) with p-value from {n_boot} bootstrap series ({resample}, seed {seed}) of the "
              f"one-slope fit; AICc with Gaussian errors")
    return BreakpointResult(
        tested=True, reason=None, n=n, min_segment=min_segment, alpha=alpha, users_at_break=float(np.exp(x[ks[b]])),
        slope_below=float(beta[1]), slope_above=float(beta[1] + beta[2]), intercept=float(beta[0]),
        test_statistic=F, p_value=float(p), aicc_one=float(_aicc(rss0, n, 3)),
        aicc_two=float(_aicc(float(rss[b, 0]), n, 5)), method=method, users=u, cost_usd=c)


# --- report over a metrics frame, and the roadmap's own table ----------------------------------------------

#: Fewest months with a positive bill for a component's elasticity to be estimated.
MIN_COMPONENT_POINTS = 6


def component_elasticities(df, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED,
                           n_boot: int = 2000, cross_section: bool = False) -> dict[str, dict[str, Any]]:
    """Elasticity per ``cost_<component>_usd`` column present, on the months where that bill is > 0.

    A component with fewer than :data:`MIN_COMPONENT_POINTS` positive months, or a constant bill, gets
    an entry with ``verdict: "not tested"`` and a ``reason`` instead of numbers.
    """
    from voyager_analysis.metrics import COST_COLUMNS

    users = df["users"].to_numpy(dtype=float)
    out: dict[str, dict[str, Any]] = {}
    for col in COST_COLUMNS:
        if col not in df.columns:
            continue
        name = col[len("cost_"):-len("_usd")]
        cost = df[col].to_numpy(dtype=float)
        keep = np.isfinite(cost) & (cost > 0) & np.isfinite(users) & (users > 0)
        k = int(keep.sum())
        skipped = {"elasticity": None, "ci": None, "p_value": None, "verdict": "not tested", "method": None, "n": k}
        if k < MIN_COMPONENT_POINTS:
            out[name] = {**skipped, "reason": f"only {k} month(s) with a positive bill; need "
                                              f"{MIN_COMPONENT_POINTS}"}
            continue
        try:
            res = fit_elasticity(users[keep], cost[keep], alpha=alpha, seed=seed, n_boot=n_boot,
                                 cross_section=cross_section)
        except InputError as exc:
            out[name] = {**skipped, "reason": str(exc)}
            continue
        entry = res.to_dict()
        if k < len(cost):
            entry["method"] += f"; fitted on the {k} of {len(cost)} months with a positive bill"
        out[name] = entry
    return out


@dataclass(repr=False)
class ScalingReport(Results):
    """The sub-linearity test over a metrics table: total cost, each component, and a breakpoint search.

    :meth:`to_dict` is the ``voyager-analysis scaling --json`` payload: ``{"total": ElasticityTest.to_dict(),
    "components": {name: {...}}, "breakpoint": {...}}``.
    """

    total: ElasticityTest
    components: dict[str, dict[str, Any]]
    breakpoint: BreakpointResult
    source: str | None = None

    title = "Elasticity of monthly cost to users (total and per component)"

    def _payload(self) -> dict[str, Any]:
        return {"total": self.total.to_dict(), "components": self.components, "breakpoint": self.breakpoint.to_dict()}

    def summary(self):
        """One row per cost (TOTAL first): elasticity, interval, one-sided p-value, verdict, n, note."""
        import pandas as pd

        def row(name, v):
            ci = v.get("ci") or [None, None]
            return {"cost": name, "elasticity": v.get("elasticity"), "low": ci[0], "high": ci[1],
                    "p_value": v.get("p_value"), "verdict": v["verdict"], "n": v["n"], "note": v.get("reason", "")}

        return pd.DataFrame([row("TOTAL", self.total.to_dict())] + [row(k, v) for k, v in self.components.items()])

    def plot_components(self, *, note: str = ""):
        """Forest plot of the per-component elasticities next to the total's."""
        from voyager_analysis.plots.scaling import component_elasticities as chart

        return chart(self.components, self.total.to_dict(), note=note)

    def plot_loglog(self, *, note: str = ""):
        return self.total.plot_loglog(note=note)


def scaling_report(df, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED, n_boot: int = 2000,
                   min_segment: int = 5, cross_section: bool = False) -> ScalingReport:
    """Sub-linearity of total cost (:func:`voyager_analysis.metrics.total_cost_usd`) and of each component, and
    a breakpoint search, for a loaded metrics frame (see :class:`ScalingReport`). ``cross_section``: the rows
    are units with no time order (HC3 errors, pairs bootstrap; see :func:`fit_elasticity`)."""
    from voyager_analysis.errors import located
    from voyager_analysis.metrics import total_cost_usd

    total = total_cost_usd(df).to_numpy(dtype=float)
    users = df["users"].to_numpy(dtype=float)
    try:
        res = fit_elasticity(users, total, alpha=alpha, seed=seed, n_boot=n_boot, cross_section=cross_section)
        brk = breakpoint_search(users, total, min_segment=min_segment, alpha=alpha, seed=seed,
                                cross_section=cross_section)
    except InputError as exc:
        raise located(df.attrs.get("source"), None, f"total cost vs users: {exc}") from None
    comps = component_elasticities(df, alpha=alpha, seed=seed, n_boot=n_boot, cross_section=cross_section)
    return ScalingReport(total=res, components=comps,
                         breakpoint=brk, source=df.attrs.get("source"))


def roadmap_cost_table(roadmap):
    """The roadmap's cost projection summary as a DataFrame: users, cost_usd, revenue_usd, margin.

    Read from ``roadmap.yaml`` ``cost_projection.rows`` (point figures; a range would be taken at its
    midpoint). Sorted by users; ``attrs["source"]`` names the group.
    """
    import pandas as pd

    rows = roadmap.get("cost_projection.rows")
    table = pd.DataFrame([{"row": key, "users": r["users"].mid, "cost_usd": r["cost"].mid,
                           "revenue_usd": r["revenue"].mid, "margin": r["margin"].mid} for key, r in rows.items()])
    table = table.sort_values("users", kind="stable").reset_index(drop=True)
    table.attrs["source"] = f"{roadmap.path.name}: cost_projection.rows"
    return table


def roadmap_elasticity(roadmap, *, alpha: float = 0.05, seed: int = config.DEFAULT_SEED,
                       n_boot: int = 2000) -> ElasticityTest:
    """:func:`fit_elasticity` on the roadmap's own projection table (cost vs users, one row per scale).

    The rows are stated projections at chosen scales, not observed months: their spread around a
    power law is the roadmap's rounding and step changes, and "autocorrelation" means neighbouring
    scales. The result carries that caveat in ``warning``.
    """
    table = roadmap_cost_table(roadmap)
    return fit_elasticity(table["users"], table["cost_usd"], alpha=alpha, seed=seed, n_boot=n_boot,
                          note="points are the roadmap's projected costs at chosen user counts, not observations")
