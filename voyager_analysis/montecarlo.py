"""The one Monte Carlo sampling scheme of the package.

**The scheme.** Every ranged input has its OWN random stream, seeded from the run's ``seed`` and the input's
name: ``numpy.random.default_rng(SeedSequence([seed, *name_words]))`` where ``name_words`` are the four
32-bit words of the BLAKE2b-128 digest of the name (UTF-8). A stream spends exactly one double per draw
(``Generator.random``), turned into the input's distribution by its inverse CDF (:func:`from_unit`: uniform,
triangular, log-uniform). Hence:

* adding, removing or reordering inputs does not change any other input's draws;
* the first ``n`` draws of a run with ``m > n`` draws are the draws of a run with ``n`` draws;
* drawing in chunks gives the same numbers as drawing all at once.

Point figures (``low == high``) draw nothing. :func:`sample_figures` is the public entry point (used by the
cost model and :mod:`voyager_analysis.decisions`); :func:`streams` and :func:`draw` are its chunked form.

**The simulation.** :func:`simulate` draws every ranged input of the cost model (:mod:`voyager_analysis.costs`)
and evaluates all components for all draws with array arithmetic (no Python loop over draws), in chunks of
:data:`CHUNK` draws so memory stays flat, into a ``(draws x components)`` array. The same seed gives the same
numbers whatever the chunk size; :func:`simulate_many` / :func:`simulate_curve` reuse one set of draws at every
user count (common random numbers, so curves are smooth). :func:`simulate_loop` evaluates the independent
per-draw reference :func:`voyager_analysis.costs.one_draw` on the same draws (tests, benchmark).

Inputs are given, never read: a mapping of figures (``project.base_inputs()``) and optionally a
:class:`~voyager_analysis.scenarios.Scenario` (``project.scenario(name)``), or the project itself.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voyager_analysis import config, costs
from voyager_analysis.assumptions import UNIT_LIMITS
from voyager_analysis.errors import InputError
from voyager_analysis.model_inputs import prices_as_of
from voyager_analysis.results import Results


def _name_words(name: str) -> list[int]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of input ``name`` in a run seeded with ``seed`` (see the module docstring)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *_name_words(name)]))


def from_unit(u: np.ndarray, fig) -> np.ndarray:
    """Turn uniforms on [0, 1) into draws of ``fig`` by its inverse CDF (uniform, triangular, log-uniform).

    The arithmetic is numpy's own (``Generator.uniform`` / ``Generator.triangular``), so
    ``from_unit(rng.random(n), fig)`` equals ``rng.uniform(...)`` / ``rng.triangular(...)`` number for number.
    Works in place on ``u`` where it can.
    """
    a, b = fig.low, fig.high
    if fig.distribution == "loguniform":
        u *= math.log(b / a)
        np.exp(u, out=u)
        u *= a
        return u
    if fig.distribution == "triangular":
        c = fig.mode
        base = b - a
        ratio = (c - a) / base
        return np.where(u <= ratio, a + np.sqrt(u * ((c - a) * base)), b - np.sqrt(((b - c) * base) * (1.0 - u)))
    u *= b - a
    u += a
    return u


def streams(figures: Mapping[str, Any], seed: int) -> dict[str, np.random.Generator]:
    """One generator per ranged figure, by name."""
    return {name: stream(seed, name) for name, fig in figures.items() if not fig.is_point}


def draw(figures: Mapping[str, Any], gens: Mapping[str, np.random.Generator], size: int,
         buffers: Mapping[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The next ``size`` draws of every figure from ``gens`` (:func:`streams`); point figures stay floats.
    ``buffers`` (arrays of at least ``size``, reused between chunks) spare an allocation per input."""
    out: dict[str, Any] = {}
    for name, fig in figures.items():
        if fig.is_point:
            out[name] = float(fig.low)
        else:
            buf = buffers[name][:size] if buffers is not None else None
            out[name] = from_unit(gens[name].random(size, out=buf), fig)
    return out


def sample_figures(figures: Mapping[str, Any], n: int, seed: int) -> dict[str, np.ndarray]:
    """``n`` seeded draws of every figure (a length-``n`` array each; point figures repeat their value).

    One independent stream per input name (see the module docstring), so a figure's draws depend only on
    ``seed``, its name and its range.
    """
    values = draw(figures, streams(figures, seed), int(n))
    return {k: (v if isinstance(v, np.ndarray) else np.full(int(n), v)) for k, v in values.items()}




# --- statistics of draws -----------------------------------------------------------------------------------

PERCENTILES = (5.0, 50.0, 95.0)
STATS: tuple[str, ...] = ("mean", "p5", "p50", "p95")
#: The keys of the ``simulate --json`` document that summarise one output each.
JSON_OUTPUTS: tuple[str, ...] = ("cost_usd", "gross_revenue_usd", "net_revenue_usd", "margin_pct")
MAX_DRAWS = 10_000_000
#: Draws evaluated at a time: small arrays stay in cache and memory use stays flat at any number of draws.
CHUNK = 1 << 14


def percentiles(x: np.ndarray, qs: Sequence[float] = PERCENTILES) -> np.ndarray:
    """Exactly ``np.percentile(x, qs)`` (linear interpolation) for NaN-free ``x``, faster on large arrays.

    For each percentile, a sorted strided subsample brackets the two order statistics needed; only the draws
    between the brackets are partitioned. If a bracket misses (it cannot, short of a pathological order of
    draws) the full partition is used, so the result is always exact.
    """
    n = x.size
    if n < 200_000:
        return np.percentile(x, qs)
    stride = n // 8192
    sample = np.sort(x[::stride])
    m = sample.size
    out = np.empty(len(qs))
    for i, q in enumerate(qs):
        f = q / 100.0
        h = (n - 1) * f  # numpy's virtual index for the 'linear' method
        lo = min(int(math.floor(h)), n - 1)
        hi = min(lo + 1, n - 1)
        centre = int(round(q / 100.0 * (m - 1)))
        width = int(8 * math.sqrt(m * max(q * (100.0 - q), 100.0)) / 100.0) + 8
        a = sample[centre - width] if centre - width >= 0 else -np.inf
        b = sample[centre + width] if centre + width < m else np.inf
        below = int(np.count_nonzero(x < a))
        window = x[(x >= a) & (x <= b)]
        if below <= lo and hi < below + window.size:
            part = np.partition(window, [lo - below, hi - below])
            xl, xh = part[lo - below], part[hi - below]
        else:
            part = np.partition(x, [lo, hi])
            xl, xh = part[lo], part[hi]
        gamma = h - math.floor(h)
        diff = xh - xl
        out[i] = xh - diff * (1.0 - gamma) if gamma >= 0.5 else xl + diff * gamma  # as numpy's _lerp
    return out


def stats_of(x: np.ndarray) -> np.ndarray:
    """mean, p5, p50, p95 of one column of draws (NaN draws ignored; all NaN -> NaN; linear percentiles).

    A constant column (e.g. revenue with point inputs) skips the percentile selection."""
    lo, hi = np.min(x), np.max(x)
    if lo == hi:
        return np.full(4, lo, dtype=float)
    if np.isnan(lo) or np.isnan(hi):
        x = x[~np.isnan(x)]
        if not x.size:
            return np.full(4, np.nan)
    return np.array([x.mean(), *percentiles(x)])


# --- results -------------------------------------------------------------------------------------------------

def source_note(scenario: str, draws: int, seed: int, inputs: Mapping[str, Any]) -> str:
    """The 'which inputs produced this' line put under tables and figures."""
    return (f"Inputs: scenario '{scenario}'; drivers data/assumptions/drivers.yaml; thresholds and revenue "
            f"assumptions roadmap.yaml; list prices data/prices as_of {prices_as_of(inputs)}; "
            f"{draws:,} Monte Carlo draws, seed {seed}.")


@dataclass(repr=False)
class SimulationResult(Results):
    """Monte Carlo draws of cost, revenue and margin at one user count.

    ``components`` is a ``(draws x components)`` array (USD/month, columns :attr:`component_names`);
    ``outputs`` maps each name in :data:`voyager_analysis.costs.OUTPUTS` to an array of length ``draws``;
    :attr:`values` gives the sampled inputs (regenerated from the seed when asked for).
    """

    users: float
    draws: int
    seed: int
    scenario: str
    inputs: dict[str, Any]
    component_names: tuple[str, ...]
    components: np.ndarray
    outputs: dict[str, np.ndarray]
    _stats: dict = field(default_factory=dict)
    _values: dict | None = None

    @property
    def title(self) -> str:
        return (f"Simulation at {self.users:,.0f} users: {self.draws:,} draws, seed {self.seed}, scenario "
                f"{self.scenario}, prices as_of {self.prices_as_of} (USD/month; margins in percent)")

    @property
    def values(self) -> dict[str, Any]:
        """The sampled inputs of every draw (the same numbers the simulation used; points are floats)."""
        if self._values is None:
            self._values = draw(self.inputs, streams(self.inputs, self.seed), self.draws)
        return self._values

    @property
    def ranged_inputs(self) -> list[str]:
        return [k for k, f in self.inputs.items() if not f.is_point]

    @property
    def prices_as_of(self) -> str:
        return prices_as_of(self.inputs)

    def column(self, name: str) -> np.ndarray:
        """The draws of one output (:data:`voyager_analysis.costs.OUTPUTS`) or component."""
        if name in self.outputs:
            return self.outputs[name]
        if name in self.component_names:
            return self.components[:, self.component_names.index(name)]
        from voyager_analysis.errors import unknown_name

        raise InputError(unknown_name("output", name, [*self.outputs, *self.component_names]))

    def stats(self, name: str) -> dict[str, float]:
        """``{"mean", "p5", "p50", "p95"}`` of one output or component (computed once, then cached)."""
        if name not in self._stats:
            self._stats[name] = dict(zip(STATS, stats_of(self.column(name)).tolist()))
        return self._stats[name]

    def summary(self):
        """DataFrame indexed by output (the outputs, then each component) with mean, p5, p50, p95."""
        import pandas as pd

        names = [*costs.OUTPUTS, *self.component_names]
        return pd.DataFrame([self.stats(n) for n in names], index=pd.Index(names, name="output"),
                            columns=list(STATS))

    def _payload(self) -> dict:
        """The ``voyager-analysis simulate --json`` document (NaN statistics become null)."""
        users = int(self.users) if float(self.users).is_integer() else float(self.users)
        return {"users": users, "draws": self.draws, "seed": self.seed,
                **{name: self.stats(name) for name in JSON_OUTPUTS},
                "components": {c: self.stats(c) for c in self.component_names}}

    def draws_frame(self):
        """One row per draw: the ranged inputs, each component, then the outputs (cost, revenue, margin)."""
        import pandas as pd

        data = {k: self.values[k] for k in self.ranged_inputs}
        data.update({c: self.components[:, j] for j, c in enumerate(self.component_names)})
        data.update(self.outputs)
        return pd.DataFrame(data)

    def source_note(self) -> str:
        return source_note(self.scenario, self.draws, self.seed, self.inputs)

    def plot_margins(self, *, claimed_range_pct=None):
        """Histogram of the margin draws before and after the revenue share (with a claimed range)."""
        from voyager_analysis.plots.conversion import margin_histogram

        return margin_histogram(self.outputs["margin_pct"], self.outputs["margin_after_share_pct"],
                                claimed_range_pct or (), note=self.source_note())

    def __str__(self) -> str:
        s = self.summary()
        lines = [self.title, f"{'output':<24}{'mean':>14}{'p5':>14}{'p50':>14}{'p95':>14}"]
        for name, row in s.iterrows():
            lines.append(f"{name:<24}" + "".join(f"{x:>14,.2f}" for x in row))
        return "\n".join(lines)


# --- simulation ----------------------------------------------------------------------------------------------

def _check(users, draws, seed) -> tuple[float, int, int]:
    try:
        u = float(users)
    except (TypeError, ValueError):
        raise InputError(f"users must be a number, got {users!r}") from None
    limit = UNIT_LIMITS["users"]  # no real service reaches it; above it the dollars are nonsense digits
    if not math.isfinite(u) or not 0 <= u <= limit:
        raise InputError(f"users must be a finite number from 0 to {limit:g}, got {str(users)[:40]}")
    if isinstance(draws, bool) or int(draws) != draws or not 1 <= draws <= MAX_DRAWS:
        raise InputError(f"draws must be a whole number from 1 to {MAX_DRAWS:,}, got {draws}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, got {seed}")
    return u, int(draws), int(seed)


def model_setup(inputs, scenario=None, include_ops_hire: bool | None = None) -> tuple[dict[str, Any], str, bool]:
    """``(inputs with the scenario applied, scenario name, ops-hire switch)``.

    ``inputs`` is a mapping of figures (``project.base_inputs()``) or a project; ``scenario`` is ``None`` (the
    base case), a :class:`~voyager_analysis.scenarios.Scenario`, or, with a project, a scenario name or path.
    ``include_ops_hire`` overrides the scenario's switch. Missing model inputs are an :class:`InputError`.
    """
    if hasattr(inputs, "base_inputs"):  # a Project
        project = inputs
        inputs = project.base_inputs()
        if scenario is not None and not hasattr(scenario, "apply"):
            scenario = project.scenario(scenario)
    elif scenario is not None and not hasattr(scenario, "apply"):
        raise InputError("a scenario given by name needs the project: pass project.scenario(name)")
    inputs = dict(inputs) if scenario is None else scenario.apply(inputs)
    ops = bool(include_ops_hire) if include_ops_hire is not None else bool(getattr(scenario, "include_ops_hire", False))
    missing = sorted(costs.used_inputs(ops) - set(inputs))
    if missing:
        raise InputError(f"the cost model's inputs lack {', '.join(missing)} (drivers.yaml, roadmap.yaml or prices)")
    return inputs, (scenario.name if scenario is not None else "base"), ops


def _run(users_list: Sequence[float], draws: int, seed: int, scenario: str, inputs, ops: bool
         ) -> dict[float, SimulationResult]:
    """The vectorised simulation at several user counts on one set of draws, chunk by chunk.

    Inputs nobody reads (the ops-hire line when it is off) are not drawn; every input has its own stream,
    so the others' draws do not change."""
    names = costs.component_names(ops)
    store = {u: (np.empty((draws, len(names)), order="F"), {k: np.empty(draws) for k in costs.OUTPUTS})
             for u in users_list}
    used = costs.used_inputs(ops)
    active = {k: f for k, f in inputs.items() if k in used}
    gens = streams(active, seed)
    buffers = {name: np.empty(min(CHUNK, draws)) for name in gens}
    for start in range(0, draws, CHUNK):  # chunks of draws, each evaluated in one vectorised pass
        size = min(CHUNK, draws - start)
        values = draw(active, gens, size, buffers)
        for u in users_list:
            out = costs.evaluate(u, values, include_ops_hire=ops)
            comps, outputs = store[u]
            for j, c in enumerate(names):
                comps[start:start + size, j] = out["components"][c]
            for k in costs.OUTPUTS:
                outputs[k][start:start + size] = out[k]
    return {u: SimulationResult(users=u, draws=draws, seed=seed, scenario=scenario, inputs=inputs,
                                component_names=names, components=comps, outputs=outputs)
            for u, (comps, outputs) in store.items()}


def simulate(users: float, inputs, *, scenario=None, draws: int = 10_000, seed: int = config.DEFAULT_SEED,
             include_ops_hire: bool | None = None) -> SimulationResult:
    """Monte Carlo of every component, cost, revenue and margin at ``users`` (vectorised over draws).

    ``inputs``/``scenario``/``include_ops_hire``: see :func:`model_setup`.
    """
    users, draws, seed = _check(users, draws, seed)
    inputs, name, ops = model_setup(inputs, scenario, include_ops_hire)
    return _run([users], draws, seed, name, inputs, ops)[users]


def simulate_loop(users: float, inputs, *, scenario=None, draws: int = 10_000, seed: int = config.DEFAULT_SEED,
                  include_ops_hire: bool | None = None) -> SimulationResult:
    """The same model and the same draws as :func:`simulate`, computed one draw at a time in plain Python
    (:func:`voyager_analysis.costs.one_draw`). Slow on purpose: the reference for the vectorised path."""
    users, draws, seed = _check(users, draws, seed)
    inputs, name, ops = model_setup(inputs, scenario, include_ops_hire)
    values = draw(inputs, streams(inputs, seed), draws)
    columns = {k: (v.tolist() if isinstance(v, np.ndarray) else None) for k, v in values.items()}
    comp_rows, out_rows = [], []
    for i in range(draws):
        v = {k: (columns[k][i] if columns[k] is not None else values[k]) for k in values}
        comps, outs = costs.one_draw(users, v, ops)
        comp_rows.append(comps)
        out_rows.append(outs)
    out_arr = np.array(out_rows, dtype=float).reshape(draws, len(costs.OUTPUTS))
    names = costs.component_names(ops)
    return SimulationResult(users=users, draws=draws, seed=seed, scenario=name, inputs=inputs, component_names=names,
                            components=np.asfortranarray(np.array(comp_rows, dtype=float).reshape(draws, len(names))),
                            outputs={k: out_arr[:, j].copy() for j, k in enumerate(costs.OUTPUTS)}, _values=values)


def simulate_many(users_list: Iterable[float], inputs, *, scenario=None, draws: int = 10_000,
                  seed: int = config.DEFAULT_SEED, include_ops_hire: bool | None = None
                  ) -> dict[float, SimulationResult]:
    """:func:`simulate` at several user counts on ONE set of draws (common random numbers).

    Each result equals ``simulate(users, inputs, draws=draws, seed=seed, ...)`` for its user count.
    """
    users_list = list(dict.fromkeys(float(u) for u in users_list))
    for u in users_list:
        _check(u, draws, seed)
    _, draws, seed = _check(0, draws, seed)
    inputs, name, ops = model_setup(inputs, scenario, include_ops_hire)
    return _run(users_list, draws, seed, name, inputs, ops)


def simulate_curve(users_grid: Iterable[float], inputs, *, scenario=None, draws: int = 10_000,
                   seed: int = config.DEFAULT_SEED, include_ops_hire: bool | None = None) -> CostCurve:
    """Percentile bands over users on one set of draws (:class:`CostCurve`)."""
    results = simulate_many(users_grid, inputs, scenario=scenario, draws=draws, seed=seed,
                            include_ops_hire=include_ops_hire)
    return CostCurve.from_results(results)


@dataclass(repr=False)
class CostCurve(Results):
    """Cost, revenue and margin percentiles over user counts.

    ``frame`` is tidy: ``users, output, kind, mean, p5, p50, p95`` where ``output`` is each model output,
    ``cost_per_user_usd`` (kind ``total``) and each component (kind ``component``).
    """

    frame: Any
    scenario: str
    draws: int
    seed: int
    note: str
    prices_as_of: str
    title = "Monthly cost, revenue and margin over users (medians of the Monte Carlo draws)"

    @classmethod
    def from_results(cls, results: Mapping[float, SimulationResult]) -> CostCurve:
        import pandas as pd

        frames = []
        for u, res in results.items():
            s = res.summary().copy()
            if u > 0:
                s.loc["cost_per_user_usd"] = s.loc["cost_usd"] / u
            s = s.reset_index()
            s.insert(0, "users", u)
            s.insert(2, "kind", np.where(s["output"].isin(res.component_names), "component", "total"))
            frames.append(s)
        first = next(iter(results.values()))
        return cls(frame=pd.concat(frames, ignore_index=True), scenario=first.scenario, draws=first.draws,
                   seed=first.seed, note=first.source_note(), prices_as_of=first.prices_as_of)

    def column(self, output: str, stat: str = "p50"):
        """One output's statistic by user count (a Series indexed by users)."""
        return self.frame[self.frame["output"] == output].set_index("users")[stat]

    def summary(self):
        """Medians by user count: cost, cost per user, gross revenue, margins, and Claude's share of the mean cost."""
        wide = self.frame[self.frame["output"].isin(
            ["cost_usd", "cost_per_user_usd", "gross_revenue_usd", "margin_pct", "margin_after_share_pct"])
        ].pivot(index="users", columns="output", values="p50")
        wide["claude_share_of_cost"] = self.column("claude", "mean") / self.column("cost_usd", "mean")
        return wide

    def _payload(self) -> dict:
        wide = self.summary()
        by_users = lambda col: {int(u): wide.at[u, col] for u in wide.index}  # noqa: E731
        return {"scenario": self.scenario, "draws": self.draws, "seed": self.seed, "prices_as_of": self.prices_as_of,
                "cost_usd_p50": by_users("cost_usd"), "cost_per_user_usd_p50": by_users("cost_per_user_usd"),
                "margin_pct_p50": by_users("margin_pct")}

    def verdict_markdown(self) -> str:
        wide = self.summary()
        first, last = wide.index.min(), wide.index.max()
        share = wide["claude_share_of_cost"]
        return (f"Median monthly cost goes from **${wide.at[first, 'cost_usd']:,.0f}** at {first:,.0f} users to "
                f"**${wide.at[last, 'cost_usd']:,.0f}** at {last:,.0f} users; per user from "
                f"${wide.at[first, 'cost_per_user_usd']:.3f} to ${wide.at[last, 'cost_per_user_usd']:.3f}. "
                f"Claude is {share.min():.0%}-{share.max():.0%} of the mean bill across the grid: the cost of the "
                "product is the cost of its AI usage, and almost all of it grows in proportion to users, so per-user "
                "cost does not fall much with scale (the fixed plans are small next to it).")

    def plot_breakdown(self):
        """Mean cost per component, stacked, over users."""
        from voyager_analysis.plots.costs import component_breakdown

        return component_breakdown(self.frame, note=self.note)

    def plot_bands(self, roadmap_points=None):
        """5-95% bands of cost, revenue and margin over users, with the roadmap's points if given."""
        from voyager_analysis.plots.costs import percentile_bands

        return percentile_bands(self.frame, roadmap_points=roadmap_points, note=self.note)


__all__ = ["stream", "streams", "from_unit", "draw", "sample_figures", "percentiles", "stats_of", "source_note",
           "SimulationResult", "model_setup", "simulate", "simulate_loop", "simulate_many", "simulate_curve",
           "CostCurve", "CHUNK", "MAX_DRAWS"]
