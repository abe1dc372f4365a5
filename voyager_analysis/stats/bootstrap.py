"""Bootstrap and simulation helpers shared by the models: moving blocks of residuals, intervals of draws."""

from __future__ import annotations

import math

import numpy as np


def block_length(n: int) -> int:
    """Moving-block length for a series of n points: round(n^(1/3)), at least 1 (Hall et al. 1995)."""
    return max(1, int(round(n ** (1.0 / 3.0))))


def block_bootstrap_residuals(resid: np.ndarray, n_boot: int, rng: np.random.Generator,
                              length: int | None = None, dof: int = 0) -> np.ndarray:
    """(n_boot, n) moving-block resamples of centred residuals, rescaled by sqrt(n / (n - dof)).

    Blocks of ``length`` consecutive residuals start at uniform positions and are joined until n.
    """
    e = np.asarray(resid, dtype=float)
    n = e.size
    e = (e - e.mean()) * np.sqrt(n / max(n - dof, 1))
    ell = block_length(n) if length is None else int(length)
    n_blocks = -(-n // ell)
    starts = rng.integers(0, n - ell + 1, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(ell)).reshape(n_boot, n_blocks * ell)[:, :n]
    return e[idx]



def draw_interval(x, level: float) -> tuple[float, float]:
    """Equal-tailed ``level`` interval of simulated draws that may hold inf (no interpolation across inf;
    NaN draws are dropped; (NaN, NaN) when none is left)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    a = (1 - level) / 2
    lo, hi = np.quantile(x, [a, 1 - a], method="inverted_cdf")
    return float(lo), float(hi)


__all__ = ["block_length", "block_bootstrap_residuals", "draw_interval"]
