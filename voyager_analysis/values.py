"""Point values and the ``-1`` rule: what a parameter that is not given falls back to, and where it came from.

One rule for the whole package (notebooks, CLI and models use it; nobody re-implements it):

* :func:`point_value` — the single number that stands for a ranged figure in point results: the value of a
  point figure, the mode of a triangular range, the geometric middle of a log-uniform range, the middle of a
  uniform range.
* :func:`resolve` — a parameter equal to the sentinel ``-1`` (:data:`~voyager_analysis.constants.DEFAULT_SENTINEL`)
  falls back, in order, to the scenario's override for that input, then to the given default (a roadmap
  value, a list price or a fitted value). Any other negative number is an error naming the parameter.
  The answer is a :class:`Resolved` that says where the value came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voyager_analysis.constants import DEFAULT_SENTINEL
from voyager_analysis.errors import InputError


def point_value(fig) -> float:
    """The value used for point results (see the module docstring)."""
    if fig.is_point:
        return float(fig.low)
    if fig.distribution == "loguniform":
        return float(math.sqrt(fig.low * fig.high))
    if fig.distribution == "triangular":
        return float(fig.mode)
    return float(fig.mid)


def point_values(figures: Mapping[str, Any]) -> dict[str, float]:
    """:func:`point_value` of every figure, by name."""
    return {k: point_value(f) for k, f in figures.items()}


@dataclass(frozen=True)
class Resolved:
    """A value and where it came from (``"parameter"``, ``"scenario 'pessimistic'"``, a file and estimator ...)."""

    name: str
    value: float
    origin: str

    def as_row(self) -> dict[str, Any]:
        return {"input": self.name, "value": self.value, "origin": self.origin}


def check_parameter(name: str, value: float, *, low: float = 0.0, high: float = math.inf,
                    allow_sentinel: bool = True) -> float:
    """``value`` as a finite float within ``[low, high]`` (or the sentinel ``-1`` when allowed), else an
    :class:`InputError` naming the parameter."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"parameter {name}: expected a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(x):
        raise InputError(f"parameter {name}: expected a finite number, got {x}")
    if allow_sentinel and x == DEFAULT_SENTINEL:
        return x
    if not low <= x <= high:
        rng = f"{low:g} to {high:g}" if math.isfinite(high) else f">= {low:g}"
        hint = f" (or {DEFAULT_SENTINEL} for the default)" if allow_sentinel else ""
        raise InputError(f"parameter {name}: {x:g} is out of range; expected {rng}{hint}")
    return x


def resolve(name: str, value: float, *, overrides: Mapping[str, Any] | None = None, scenario: str = "",
            default: float | None = None, default_origin: str = "default", low: float = 0.0,
            high: float = math.inf) -> Resolved:
    """The value of parameter ``name``: ``value`` unless it is ``-1``, else the scenario's override for
    ``name`` (its :func:`point_value`), else ``default``. See the module docstring."""
    x = check_parameter(name, value, low=low, high=high)
    if x != DEFAULT_SENTINEL:
        return Resolved(name, x, "parameter")
    if overrides and name in overrides:
        return Resolved(name, point_value(overrides[name]), f"scenario '{scenario}'" if scenario else "scenario")
    if default is None:
        raise InputError(f"parameter {name}: no default available; give a value")
    return Resolved(name, float(default), default_origin)


__all__ = ["point_value", "point_values", "Resolved", "check_parameter", "resolve"]
