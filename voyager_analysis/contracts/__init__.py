"""Each notebook's ``results`` payload, defined once: a dataclass per notebook, checked when emitted.

A notebook ends with a cell tagged ``results`` that calls
``nbtools.show_results(contracts.<module>.Payload(...))``; the runner stores the JSON and the executive
summary reads it back with :func:`read_payload`, getting typed fields — a renamed or missing key fails
loudly (a test runs every notebook and checks its payload), instead of showing "not available".

Field annotations are checked at construction: ``float`` accepts ints and ``None`` only when annotated
``float | None``; ``dict``/``list`` are checked shallowly. Values are cleaned by
:func:`voyager_analysis.results.to_jsonable` when emitted.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing
from typing import Any, ClassVar

from voyager_analysis.results import to_jsonable

#: notebook name -> module of this package that defines its ``Payload``.
MODULES = {
    "00_summary": "summary",
    "01_roadmap_audit": "audit",
    "02_growth_usage": "growth_usage",
    "03_costs_scaling": "costs_scaling",
    "04_claude_routing": "routing",
    "05_conversion": "conversion",
    "06_archival": "archival",
    "07_decisions": "decisions",
    "08_cohorts_retention": "cohorts",
}


class ContractError(TypeError):
    """A payload that does not match its notebook's contract (a programming error, not user input)."""


def _accepts(tp, value) -> bool:
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(a, value) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is not None:
        return isinstance(value, origin)
    return isinstance(value, tp)


@dataclasses.dataclass
class Payload:
    """Base class of the notebook payloads. Subclasses are dataclasses and set :attr:`notebook`."""

    notebook: ClassVar[str] = ""

    def __post_init__(self):
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if hasattr(value, "item") and not isinstance(value, (list, dict)):  # numpy scalar
                value = value.item()
                setattr(self, f.name, value)
            if not _accepts(hints[f.name], value):
                raise ContractError(f"{type(self).__module__}.{type(self).__name__}.{f.name}: "
                                    f"expected {hints[f.name]}, got {type(value).__name__} {str(value)[:60]}")

    def to_json(self) -> dict[str, Any]:
        return to_jsonable({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    @classmethod
    def from_json(cls, data: dict[str, Any]):
        """The payload from its JSON; a missing field is a :class:`ContractError`, extra keys are ignored."""
        fields = dataclasses.fields(cls)
        names = {f.name for f in fields}
        missing = sorted(f.name for f in fields if f.name not in data and f.default is dataclasses.MISSING
                         and f.default_factory is dataclasses.MISSING)
        if missing:
            raise ContractError(f"{cls.notebook}: results lack {', '.join(missing)}")
        return cls(**{k: v for k, v in data.items() if k in names})


def payload_class(notebook: str) -> type[Payload]:
    """The :class:`Payload` subclass of a notebook (``"04_claude_routing"``)."""
    if notebook not in MODULES:
        raise ContractError(f"no results contract for notebook {notebook!r}")
    return importlib.import_module(f"{__name__}.{MODULES[notebook]}").Payload


def read_payload(notebook: str, data: dict[str, Any] | None):
    """A notebook's stored results JSON as its typed payload (``None`` when the notebook has no results)."""
    if data is None:
        return None
    return payload_class(notebook).from_json(data)


__all__ = ["MODULES", "ContractError", "Payload", "payload_class", "read_payload"]
