"""Sensitivity analysis in the SALib style: plain functions over numpy arrays, problems as data.

A *problem* is SALib's dict ``{"num_vars": k, "names": [...], "bounds": [[low, high], ...], "dists": [...]}``
(build one from ranged figures with :func:`problem_from_figures`). A *model* ``func`` takes an ``(N, k)``
array, one row per set of inputs with the columns in the problem's order, and returns ``N`` outputs; it
must be vectorised (no Python loop over rows). :func:`kwargs_model` turns a keyword function of the
package (``routing.monthly_cost_usd(users=..., sonnet_share=...)``) into such a model.

- :func:`tornado`: one input at a time at the low and high end of its range, the others at ``base``.
- :func:`sobol`: variance-based first-order (S1) and total (ST) indices with bootstrap confidence
  intervals, sampled and estimated by SALib (``SALib.sample.sobol`` + ``SALib.analyze.sobol``);
  :func:`to_results` turns the table into the ``{"input": {"S1", "S1_conf", "ST", "ST_conf"}}`` JSON that
  every notebook puts under ``results["sensitivity"]``.
- :func:`analyze` runs both on one model and returns a :class:`Sensitivity` results object (``summary()``
  is the Sobol' table, ``to_dict()`` the JSON above, ``plot_tornado()`` / ``plot_sobol()`` the figures).

Every input is **measured** (its range is an estimate's interval from data: a measured scenario, see
:func:`measured_inputs`) or **assumed** (a range of our own or the roadmap's): the Sobol' table's ``basis`` and
``source`` columns and the JSON's ``"basis"``/``"source"`` keys say which.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config
from voyager_analysis.errors import InputError, unknown_name
from voyager_analysis.results import Results

#: Figure distributions -> SALib distribution names.
SALIB_DISTS = {"uniform": "unif", "triangular": "triang", "loguniform": "logunif"}
SOBOL_COLUMNS = ["S1", "S1_conf", "ST", "ST_conf"]
MEASURED, ASSUMED = "measured", "assumed"


def measured_inputs(scenario, names: Sequence[str]) -> dict[str, str]:
    """Input -> source (events, estimator, date) for the inputs among ``names`` whose range is ``scenario``'s
    measured figure (:meth:`voyager_analysis.scenarios.Scenario.is_measured`); every other input is assumed."""
    if scenario is None:
        return {}
    return {str(n): str(scenario.overrides[n].source) for n in names if scenario.is_measured(n)}


def problem_from_figures(figures: Mapping[str, Any]) -> dict:
    """A SALib problem from ranged inputs.

    ``figures`` maps each input name to a :class:`~voyager_analysis.assumptions.Figure` (its ``low``,
    ``high`` and ``distribution``: uniform, triangular with ``mode``, or log-uniform) or to a plain
    ``(low, high)`` pair (uniform). A point value (low == high) is an error: an input without a range
    has no sensitivity to measure; leave it out and pass it as a fixed value instead.
    """
    if not figures:
        raise InputError("a sensitivity problem needs at least one ranged input")
    names, bounds, dists = [], [], []
    for name, fig in figures.items():
        if hasattr(fig, "low") and hasattr(fig, "high"):
            low, high = float(fig.low), float(fig.high)
            dist = getattr(fig, "distribution", "uniform") or "uniform"
            mode = getattr(fig, "mode", None)
        else:
            try:
                low, high = (float(x) for x in fig)
            except (TypeError, ValueError):
                raise InputError(f"sensitivity input '{name}': expected a Figure or a (low, high) pair, "
                                 f"got {fig!r}") from None
            dist, mode = "uniform", None
        if not (np.isfinite(low) and np.isfinite(high)):
            raise InputError(f"sensitivity input '{name}': low and high must be finite, got {low}, {high}")
        if not low < high:
            raise InputError(f"sensitivity input '{name}': needs a range with low < high, got {low:g}-{high:g}"
                             " (a point value has no sensitivity; pass it as a fixed value)")
        if dist not in SALIB_DISTS:
            raise InputError(f"sensitivity input '{name}': " + unknown_name("distribution", dist, SALIB_DISTS))
        if dist == "triangular":
            if mode is None:
                raise InputError(f"sensitivity input '{name}': a triangular distribution needs a mode")
            bounds.append([low, high, (float(mode) - low) / (high - low)])
        else:
            if dist == "loguniform" and low <= 0:
                raise InputError(f"sensitivity input '{name}': a log-uniform range needs low > 0")
            bounds.append([low, high])
        names.append(str(name))
        dists.append(SALIB_DISTS[dist])
    return {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}


def ranges(problem: Mapping) -> np.ndarray:
    """The ``(k, 2)`` array of (low, high) of each input of a problem (for any SALib distribution used here)."""
    return np.array([[float(b[0]), float(b[1])] for b in problem["bounds"]])


def relative_ranges(base: Mapping[str, float], intervals: Mapping[str, Sequence[float]], *,
                    shares: Sequence[str] = ()) -> dict[str, tuple[float, float]]:
    """Ranges for inputs measured with an interval, kept around the values actually used.

    ``intervals[name] = (estimate, low, high)`` (e.g. :func:`voyager_analysis.usage.usage_drivers`); the range
    of ``name`` is ``base[name] * (low / estimate, high / estimate)``, so a value changed from the estimate keeps
    the measured relative uncertainty. Names in ``shares`` are clipped to 0-1. Inputs whose range collapses to a
    point (a base of 0, or an interval of zero width) are left out: they have no sensitivity to measure.
    """
    out: dict[str, tuple[float, float]] = {}
    for name, value in base.items():
        if name not in intervals:
            raise InputError(unknown_name("measured input", name, intervals))
        est, low, high = (float(x) for x in intervals[name])
        if est <= 0:
            raise InputError(f"{name}: the interval's estimate must be > 0 to scale by, got {est:g}")
        lo, hi = float(value) * low / est, float(value) * high / est
        if name in shares:
            lo, hi = min(max(lo, 0.0), 1.0), min(max(hi, 0.0), 1.0)
        if lo < hi:
            out[name] = (lo, hi)
    return out


def problem_table(problem: Mapping):
    """A SALib problem as a DataFrame (input, low, high, distribution) for showing in a notebook."""
    import pandas as pd

    lohi = ranges(problem)
    dists = problem.get("dists") or ["unif"] * len(problem["names"])
    return pd.DataFrame({"low": lohi[:, 0], "high": lohi[:, 1], "distribution": dists},
                        index=pd.Index(problem["names"], name="input"))


def kwargs_model(fn: Callable[..., Any], names: Sequence[str], **fixed: Any) -> Callable[[np.ndarray], np.ndarray]:
    """Wrap a vectorised keyword function as a model of an ``(N, k)`` array.

    ``kwargs_model(f, ["a", "b"], c=2)(X)`` returns ``f(a=X[:, 0], b=X[:, 1], c=2)`` as a 1-D float array.
    """
    names = list(names)
    clash = sorted(set(names) & set(fixed))
    if clash:
        raise InputError(f"input(s) {', '.join(clash)} are both ranged and fixed; pass each once")

    def model(X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        kwargs = {name: X[:, i] for i, name in enumerate(names)}
        return np.asarray(fn(**kwargs, **fixed), dtype=float).reshape(len(X))

    model.__name__ = getattr(fn, "__name__", "model")
    return model


def _evaluate(func: Callable[[np.ndarray], Any], X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    Y = np.asarray(func(X), dtype=float)
    if Y.shape != (len(X),):
        raise ValueError(f"the model must return one output per row: expected shape ({len(X)},), got {Y.shape}")
    bad = ~np.isfinite(Y)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        at = ", ".join(f"{n}={x:g}" for n, x in zip(names, X[i]))
        raise InputError(f"the model output is not finite at {at}; narrow the input ranges")
    return Y


def _base_vector(problem: Mapping, base: Mapping[str, float] | Sequence[float]) -> np.ndarray:
    names = list(problem["names"])
    if isinstance(base, Mapping):
        missing = [n for n in names if n not in base]
        if missing:
            raise InputError(f"tornado base value missing for input(s): {', '.join(missing)}")
        extra = [n for n in base if n not in names]
        if extra:
            raise InputError(unknown_name("tornado input", extra[0], names))
        return np.array([float(base[n]) for n in names])
    vec = np.asarray(base, dtype=float).reshape(-1)
    if len(vec) != len(names):
        raise InputError(f"tornado base has {len(vec)} values for {len(names)} inputs ({', '.join(names)})")
    return vec


def tornado(func: Callable[[np.ndarray], Any], problem: Mapping,
            base: Mapping[str, float] | Sequence[float]):
    """One-at-a-time sensitivity: each input at the low and at the high end of its range, others at ``base``.

    Evaluates ``func`` once on a ``(2k + 1, k)`` array (the base row, then low/high per input). Returns a
    tidy DataFrame, one row per input sorted by ``swing`` (largest first): ``input``, ``low``, ``high``,
    ``base`` (input values), ``output_at_low``, ``output_at_high``, ``base_output`` and
    ``swing = |output_at_high - output_at_low|`` (in the output's unit).
    """
    import pandas as pd

    names = list(problem["names"])
    k = len(names)
    x0 = _base_vector(problem, base)
    lohi = ranges(problem)
    X = np.tile(x0, (2 * k + 1, 1))
    for i in range(k):
        X[1 + 2 * i, i] = lohi[i, 0]
        X[2 + 2 * i, i] = lohi[i, 1]
    Y = _evaluate(func, X, names)
    table = pd.DataFrame({
        "input": names, "low": lohi[:, 0], "high": lohi[:, 1], "base": x0,
        "output_at_low": Y[1::2], "output_at_high": Y[2::2], "base_output": np.full(k, Y[0]),
    })
    table["swing"] = (table["output_at_high"] - table["output_at_low"]).abs()
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def sobol(func: Callable[[np.ndarray], Any], problem: Mapping, n: int = 1024, seed: int = config.DEFAULT_SEED,
          calc_second_order: bool = False, num_resamples: int = 100, conf_level: float = 0.95):
    """Sobol' first-order and total indices of ``func`` over ``problem``, computed by SALib.

    Samples ``n * (k + 2)`` rows (``n * (2k + 2)`` with second order) from a scrambled Sobol' sequence
    (``SALib.sample.sobol.sample``), evaluates ``func`` once on all of them, and estimates the indices with
    ``SALib.analyze.sobol.analyze`` (Saltelli 2010 first-order and Jansen total-order estimators; confidence
    intervals from ``num_resamples`` bootstrap resamples at ``conf_level``). ``seed`` goes to both the
    sampler and the bootstrap, so the same call gives byte-identical numbers. ``n`` must be a power of 2.

    Returns a DataFrame indexed by input name with columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf``
    (``conf`` = half-width of the interval); ``attrs`` hold ``n``, ``seed``, ``n_evaluations``, ``method``
    and, with ``calc_second_order``, ``S2``/``S2_conf`` DataFrames.
    """
    import pandas as pd
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    n = int(n)
    if n < 2 or n & (n - 1):
        raise InputError(f"Sobol' base sample size n must be a power of 2 (e.g. 512, 1024), got {n}")
    names = list(problem["names"])
    X = sobol_sample.sample(dict(problem), n, calc_second_order=calc_second_order, seed=seed)
    Y = _evaluate(func, X, names)
    if np.ptp(Y) == 0:
        raise InputError("the model output does not vary over the input ranges; Sobol' indices are undefined")
    Si = sobol_analyze.analyze(dict(problem), Y, calc_second_order=calc_second_order,
                               num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    table = pd.DataFrame({c: np.asarray(Si[c], dtype=float) for c in SOBOL_COLUMNS},
                         index=pd.Index(names, name="input"))
    table.attrs.update({
        "n": n, "seed": seed, "n_evaluations": len(X),
        "method": (f"SALib Sobol' sample (scrambled, seed {seed}) + SALib.analyze.sobol; "
                   f"{conf_level:.0%} bootstrap intervals ({num_resamples} resamples); {len(X)} model runs"),
    })
    if calc_second_order:
        table.attrs["S2"] = pd.DataFrame(Si["S2"], index=names, columns=names)
        table.attrs["S2_conf"] = pd.DataFrame(Si["S2_conf"], index=names, columns=names)
    return table


def to_results(table, measured: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """A Sobol' table as plain JSON: ``{input: {"S1", "S1_conf", "ST", "ST_conf", "basis"[, "source"]}}``
    (floats; ``basis`` is "measured" with the ``source`` for the inputs in ``measured``, else "assumed")."""
    measured = measured or {}
    out = {}
    for name, row in table[SOBOL_COLUMNS].iterrows():
        entry: dict[str, Any] = {c: float(row[c]) for c in SOBOL_COLUMNS}
        entry["basis"] = MEASURED if name in measured else ASSUMED
        if name in measured:
            entry["source"] = measured[name]
        out[str(name)] = entry
    return out


@dataclass(repr=False)
class Sensitivity(Results):
    """Tornado and Sobol' analysis of one model output over one problem (:func:`analyze`)."""

    problem: dict
    tornado: Any  #: :func:`tornado`'s DataFrame
    sobol: Any  #: :func:`sobol`'s DataFrame
    output_label: str
    note: str = ""
    value_format: str = "{:,.3g}"
    measured: dict = field(default_factory=dict)  #: input -> source, for the inputs measured from data
    title = "Sensitivity: Sobol' indices (S1 alone, ST with interactions)"

    def summary(self):
        """The Sobol' table with each input's ``basis`` (measured or assumed) and the measured ``source``."""
        table = self.sobol.copy()
        table["basis"] = [MEASURED if n in self.measured else ASSUMED for n in table.index]
        table["source"] = [self.measured.get(n, "") for n in table.index]
        return table

    def styled(self):
        """:meth:`summary` for a notebook: indices to 3 decimals, text left as is."""
        return self.summary().style.format("{:.3f}", subset=SOBOL_COLUMNS)

    def _payload(self) -> dict:
        return to_results(self.sobol, self.measured)

    def basis_markdown(self) -> str:
        """One sentence: which ranged inputs are measured (and from where), which are still assumptions."""
        names = list(self.sobol["ST"].sort_values(ascending=False).index)
        assumed = [n for n in names if n not in self.measured]
        if not self.measured:
            return f"Every ranged input is an **assumption** (none is measured): {', '.join(assumed)}."
        sources = sorted({self.measured[n].split("; events ")[-1] for n in self.measured})
        return (f"**Measured** from data: {', '.join(n for n in names if n in self.measured)} (events "
                f"{'; '.join(sources)}). **Assumed**: {', '.join(assumed) or 'none'}.")

    def top_inputs(self, k: int = 3) -> list[str]:
        """The ``k`` inputs with the largest total index."""
        return [str(x) for x in self.sobol["ST"].sort_values(ascending=False).index[:k]]

    def problem_table(self):
        return problem_table(self.problem)

    def verdict_markdown(self, unit: str = "") -> str:
        top = self.sobol["ST"].sort_values(ascending=False)
        t = self.tornado
        fmt = self.value_format
        label = self.output_label.split(" (")[0]  # "margin after the share (%)" -> "margin after the share"
        return (f"The {label} is most sensitive to **{top.index[0]}** (ST {top.iloc[0]:.2f})"
                + (f", then **{top.index[1]}** ({top.iloc[1]:.2f})" if len(top) > 1 else "")
                + (f" and {top.index[2]}" if len(top) > 2 else "")
                + f". One at a time, {t.input.iat[0]} moves it from {t.output_at_low.iat[0]:.0f}{unit} to "
                f"{t.output_at_high.iat[0]:.0f}{unit} over its range ({fmt.format(t.low.iat[0])} to "
                f"{fmt.format(t.high.iat[0])}). {self.basis_markdown()} {self.sobol.attrs['method']}.")

    def plot_tornado(self):
        from voyager_analysis.plots.sensitivity import tornado_chart

        return tornado_chart(self.tornado, self.output_label, note=self.note, value_format=self.value_format)

    def plot_sobol(self):
        from voyager_analysis.plots.sensitivity import sobol_chart

        labels = {n: f"{n} ({MEASURED})" for n in self.measured}
        return sobol_chart(self.sobol.rename(index=labels), note=self.note)


def analyze(func: Callable[[np.ndarray], Any], problem: Mapping, base: Mapping[str, float], *, output_label: str,
            n: int = 1024, seed: int = config.DEFAULT_SEED, note: str = "", value_format: str = "{:,.3g}",
            measured: Mapping[str, str] | None = None) -> Sensitivity:
    """:func:`tornado` around ``base`` and :func:`sobol` (``n``, ``seed``) of one model, as a results object;
    ``measured`` (input -> source, :func:`measured_inputs`) marks the inputs measured from data."""
    return Sensitivity(problem=dict(problem), tornado=tornado(func, problem, {k: base[k] for k in problem["names"]}),
                       sobol=sobol(func, problem, n=n, seed=seed), output_label=output_label, note=note,
                       value_format=value_format,
                       measured={k: v for k, v in (measured or {}).items() if k in problem["names"]})


__all__ = ["MEASURED", "ASSUMED", "measured_inputs", "problem_from_figures", "ranges", "relative_ranges", "problem_table", "kwargs_model", "tornado", "sobol",
           "to_results", "Sensitivity", "analyze"]
