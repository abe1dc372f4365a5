"""Diagnostics of a fit's residuals: are they independent and normal, as the intervals assume?"""

from __future__ import annotations

import math

import numpy as np


#: Shapiro-Wilk's p-value is only accurate up to this many points (scipy); above it the test is not reported.
SHAPIRO_MAX_N = 5000


def residual_diagnostics(r: np.ndarray) -> dict[str, float]:
    """Lag-1 autocorrelation, Durbin-Watson, Ljung-Box Q (h = min(5, n//3)) p-value, Shapiro-Wilk p (NaN above
    :data:`SHAPIRO_MAX_N` points)."""
    from scipy import stats

    n = r.size
    e = r - r.mean()
    denom = float(e @ e)
    if denom <= 0:
        return {"lag1_autocorrelation": math.nan, "durbin_watson": math.nan, "ljung_box_p": math.nan,
                "shapiro_p": math.nan}
    h = max(1, min(5, n // 3))
    acf = np.array([float(e[k:] @ e[:-k]) / denom for k in range(1, h + 1)])
    Q = n * (n + 2) * float(np.sum(acf**2 / (n - np.arange(1, h + 1))))
    return {"lag1_autocorrelation": float(acf[0]), "durbin_watson": float(np.sum(np.diff(r) ** 2) / float(r @ r)),
            "ljung_box_p": float(stats.chi2.sf(Q, h)),
            "shapiro_p": float(stats.shapiro(r).pvalue) if 3 <= n <= SHAPIRO_MAX_N else math.nan}


__all__ = ["residual_diagnostics"]
