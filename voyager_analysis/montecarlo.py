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
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np


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


__all__ = ["stream", "streams", "from_unit", "draw", "sample_figures"]
