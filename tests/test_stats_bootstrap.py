"""stats.bootstrap: moving blocks, and intervals of draws that may hold inf."""

from __future__ import annotations

import math

import numpy as np

from voyager_analysis.stats import bootstrap


def test_block_bootstrap_draws_whole_blocks():
    resid = np.arange(10.0)  # centred: -4.5 ... 4.5, consecutive values differ by exactly 1
    draws = bootstrap.block_bootstrap_residuals(resid, 50, np.random.default_rng(0), length=5)
    assert draws.shape == (50, 10)
    steps = np.diff(draws, axis=1)
    assert np.all(steps[:, [0, 1, 2, 3, 5, 6, 7, 8]] == 1.0)  # inside a block: consecutive residuals


def test_block_length_is_the_cube_root():
    assert [bootstrap.block_length(n) for n in (1, 8, 27, 30)] == [1, 2, 3, 3]


def test_draw_interval_by_hand():
    x = np.arange(1.0, 101.0)  # 1..100: the 2.5% and 97.5% inverted-CDF quantiles are 3 and 98
    assert bootstrap.draw_interval(x, 0.95) == (3.0, 98.0)
    # inf draws stay inf at the top (never interpolated into a finite number), NaN draws are dropped
    y = np.concatenate([np.arange(1.0, 91.0), np.full(10, np.inf), [np.nan]])
    lo, hi = bootstrap.draw_interval(y, 0.9)
    assert lo == 5.0 and hi == math.inf
    assert all(math.isnan(v) for v in bootstrap.draw_interval([np.nan], 0.9))
