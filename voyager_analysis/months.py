"""Calendar months as integers and back: the one month helper every module uses.

A month is the string ``YYYY-MM``; its number is ``year * 12 + month - 1`` so that differences are months.
"""

from __future__ import annotations

import re

import numpy as np

#: ASCII ``YYYY-MM`` with a month 01-12 (``\\d`` would also accept full-width digits).
MONTH_RE = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$", re.ASCII)


def month_number(months) -> np.ndarray:
    """Months (``YYYY-MM`` strings) as integers ``year*12 + month-1``, for differences in months."""
    arr = [str(m) for m in np.atleast_1d(np.asarray(months, dtype=object))]
    years = np.array([int(m[:4]) for m in arr], dtype=np.int64)
    mons = np.array([int(m[5:7]) for m in arr], dtype=np.int64)
    return years * 12 + mons - 1


def month_str(n: int) -> str:
    """The ``YYYY-MM`` string of a month number (inverse of :func:`month_number`)."""
    n = int(n)
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def add_months(month: str, k: int) -> str:
    """``month`` shifted by ``k`` whole months (``add_months("2025-11", 3) == "2026-02"``)."""
    return month_str(int(month_number([month])[0]) + int(k))


def months_since_start(df) -> np.ndarray:
    """Month index t = 0, 1, 2, ... from the first row of a frame with a ``month`` column, as floats."""
    n = month_number(df["month"])
    return (n - n[0]).astype(float)


__all__ = ["MONTH_RE", "month_number", "month_str", "add_months", "months_since_start"]
