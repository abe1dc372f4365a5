"""Point values and the ``-1`` rule: what a parameter that is not given falls back to, and where it came from.

One rule for the whole package (notebooks, CLI and models use it; nobody re-implements it):

* :func:`point_value` — the single number that stands for a ranged figure in point results: the value of a
  point figure, the mode of a triangular range, the geometric middle of a log-uniform range, the middle of a
  uniform range.
* :func:`resolve` — a parameter equal to the sentinel ``-1`` (:data:`~voyager_analysis.constants.DEFAULT_SENTINEL`)
  falls back, in order, to the scenario's override for that input, then to the given default (a roadmap
  value, a list price or a fitted value). Any other negative number is an error naming the parameter.
  The answer is a :class:`Resolved` that says where the value came from.
* :func:`parameter_rules` / :func:`check_declared` — the range of a notebook parameter, declared ONCE in the
  comment of its line in the notebook's ``parameters`` cell, and the check of a value against it (the report's
  plan step and the notebooks apply the same rule). The comment grammar::

      name: type = default  # UNIT [LOW, HIGH] ...; description ... -1 means ...

  - an explicit ``[LOW, HIGH]`` (two plain numbers in square brackets) anywhere in the comment is the range;
  - else the comment's first word is a unit word of :data:`UNIT_RANGES` (``fraction``/``share`` 0-1,
    ``users`` 0-1e10, ``usd``... 0-1e12, ``months`` 0-1200, ``integer`` 0-2**63-1 ...);
  - else a number must lie in 0 to :data:`MAX_MAGNITUDE`;
  - the sentinel -1 is accepted only when the comment says ``-1 means ...``;
  - a parameter declared ``int`` must be a whole number; a ``list`` parameter applies the rule to each element;
    ``str`` and ``bool`` parameters have no numeric rule.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
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


#: No parameter of this package is meaningfully larger (users are capped at 1e10, money at 1e12).
MAX_MAGNITUDE = 1e15
#: Ranges implied by a parameter comment's first word (see the module docstring).
UNIT_RANGES: dict[str, tuple[float, float]] = {
    "fraction": (0.0, 1.0), "share": (0.0, 1.0), "users": (0.0, 1e10), "usd": (0.0, 1e12),
    "usd/month": (0.0, 1e12), "months": (0.0, 100 * 12.0), "count": (0.0, 1e9), "tokens": (0.0, 1e9),
    "messages": (0.0, 1e9), "hours": (0.0, 1e5), "integer": (0.0, 2.0**63 - 1),
}
_RANGE_RE = re.compile(r"\[\s*(-?\d+(?:\.\d*)?(?:e[+-]?\d+)?)\s*,\s*(-?\d+(?:\.\d*)?(?:e[+-]?\d+)?)\s*\]", re.I)
_SENTINEL_RE = re.compile(r"(?<![\w.])-1(?:\.0)? means\b")


def check_parameter(name: str, value: float, *, low: float = 0.0, high: float = MAX_MAGNITUDE,
                    allow_sentinel: bool = True, integer: bool = False) -> float:
    """``value`` as a finite float within ``[low, high]`` (or the sentinel ``-1`` when allowed; a whole
    number when ``integer``), else an :class:`InputError` naming the parameter."""
    if isinstance(value, bool):
        raise InputError(f"parameter {name}: expected a number, got {value}")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"parameter {name}: expected a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(x):
        raise InputError(f"parameter {name}: expected a finite number, got {str(value)[:40]}")
    if allow_sentinel and x == DEFAULT_SENTINEL:
        return x
    if integer and x != int(x):
        raise InputError(f"parameter {name}: expected a whole number, got {x:g}")
    if not low <= x <= high:
        rng = f"{low:g} to {high:g}" if math.isfinite(high) else f">= {low:g}"
        hint = f" (or {DEFAULT_SENTINEL} for the default)" if allow_sentinel else ""
        raise InputError(f"parameter {name}: {x:g} is out of range; expected {rng}{hint}")
    return x


def resolve(name: str, value: float, *, overrides: Mapping[str, Any] | None = None, scenario: str = "",
            default: float | None = None, default_origin: str = "default", low: float = 0.0,
            high: float = MAX_MAGNITUDE) -> Resolved:
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


@dataclass(frozen=True)
class ParameterRule:
    """What a notebook parameter accepts, read from its declaration (see the module docstring)."""

    type_name: str  # 'int', 'float', 'list', 'str', 'bool' or '' (not annotated)
    low: float = 0.0
    high: float = MAX_MAGNITUDE
    sentinel: bool = False

    @classmethod
    def from_comment(cls, type_name: str | None, comment: str) -> ParameterRule:
        comment = comment.lstrip("#").strip()
        sentinel = bool(_SENTINEL_RE.search(comment))
        m = _RANGE_RE.search(comment)
        words = re.split(r"[\s;,(]+", comment.lower(), maxsplit=1)
        if m:
            low, high = float(m.group(1)), float(m.group(2))
        else:
            low, high = UNIT_RANGES.get(words[0] if words else "", (0.0, MAX_MAGNITUDE))
        return cls((type_name or "").replace(" ", ""), low, high, sentinel)

    def check(self, name: str, value: Any) -> Any:
        """``value`` unchanged if it obeys the rule, else one-line :class:`InputError` naming ``name``."""
        if self.type_name in ("str", "bool") or (self.type_name == "" and isinstance(value, (str, bool))):
            return value
        if self.type_name == "list" or isinstance(value, (list, tuple)):
            if not isinstance(value, (list, tuple)):
                raise InputError(f"parameter {name}: expected a list, got {str(value)[:40]!r}")
            for i, v in enumerate(value):
                check_parameter(f"{name}[{i}]", v, low=self.low, high=self.high, allow_sentinel=self.sentinel)
            return value
        check_parameter(name, value, low=self.low, high=self.high, allow_sentinel=self.sentinel,
                        integer=self.type_name == "int")
        return value


def parameter_rules(source: str) -> dict[str, ParameterRule]:
    """The :class:`ParameterRule` of every ``name[: type] = value  # comment`` line of a parameters cell
    (lines Python cannot parse are skipped; the report's plan step reports those)."""
    try:
        tree = ast.parse(source)
        comments = {tok.start[0]: tok.string for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                    if tok.type == tokenize.COMMENT}
    except (SyntaxError, tokenize.TokenError):
        return {}
    rules = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, type_name = node.target.id, ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, type_name = node.targets[0].id, None
        else:
            continue
        rules[name] = ParameterRule.from_comment(type_name, comments.get(node.end_lineno or node.lineno, ""))
    return rules


def check_declared(values: Mapping[str, Any], rules: Mapping[str, ParameterRule]) -> None:
    """Check every value whose name has a rule (:func:`parameter_rules`); the first violation is an
    :class:`InputError` naming the parameter."""
    for name, value in values.items():
        if name in rules:
            rules[name].check(name, value)


__all__ = ["point_value", "point_values", "Resolved", "check_parameter", "resolve", "MAX_MAGNITUDE", "UNIT_RANGES",
           "ParameterRule", "parameter_rules", "check_declared"]
