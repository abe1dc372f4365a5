"""Scenarios: named sets of overrides of the cost and revenue model's inputs.

A scenario is a YAML file in ``data/scenarios/`` (or anywhere, given by path)::

    description: Heavier usage, lower conversion.       # one line, shown in reports
    include_ops_hire: true                              # optional: the ops-hire cost line (default false)
    overrides:                                          # input name -> a point value or a figure
      pro_conversion: 0.03
      messages_per_user_month: {low: 40, high: 120, mode: 60, distribution: triangular,
                                rationale: "power users dominate"}

Input names are those of :func:`voyager_analysis.model_inputs.base_inputs`: the drivers in
``data/assumptions/drivers.yaml``, the thresholds and revenue assumptions taken from the roadmap
(``model_inputs.ROADMAP_INPUTS``, ``model_inputs.REVENUE_INPUTS``) and the prices (service item names such as
``neon_storage``; ``haiku_input_usd_per_mtok`` ...). A figure's ``unit`` may be left out (it must match the
input's unit if given) and a range needs a ``rationale`` or ``source``. The empty scenario (``base``) is the
base case. ``project.scenario(name)`` loads one against the project's inputs; pass the :class:`Scenario` to
``montecarlo.simulate(..., scenario=...)`` and friends.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from voyager_analysis import config
from voyager_analysis.assumptions import Figure, parse_figure
from voyager_analysis.errors import InputError, display_path, located, suggest
from voyager_analysis.files import read_yaml, require_mapping, to_number

SCENARIO_KEYS = ("description", "source", "include_ops_hire", "overrides")
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: ``overrides`` maps input names to the figures that replace them."""

    name: str
    description: str = ""
    overrides: dict[str, Figure] = field(default_factory=dict)
    include_ops_hire: bool = False
    path: Path | None = None
    #: Where the scenario's values came from (a measured scenario names the events, estimator and date).
    source: dict[str, str] = field(default_factory=dict)

    def apply(self, inputs: Mapping[str, Figure]) -> dict[str, Figure]:
        """``inputs`` with this scenario's overrides in place (same order). Overrides of inputs that ``inputs``
        does not hold (those only some notebooks use, e.g. ``monthly_churn``) are left out: their names were
        checked when the scenario was loaded."""
        return {k: self.overrides.get(k, f) for k, f in inputs.items()}

    def is_measured(self, name: str) -> bool:
        """Whether the override of ``name`` was measured from data (its figure names a source, not a rationale)."""
        fig = self.overrides.get(name)
        return bool(self.source) and fig is not None and bool(fig.source) and not fig.rationale

    def markdown(self, prices_as_of: str = "") -> str:
        """One paragraph for a notebook: name, description, how many inputs it overrides, the ops-hire switch.

        The name and description come from a file: they are shown as literal text (:func:`markdown_text`),
        never as markup, links or HTML."""
        name = f"`{self.name}`" if "`" not in self.name else markdown_text(self.name)  # a code span is literal
        return (f"**Scenario {name}**: {markdown_text(self.description or 'no description')}  \n"
                f"{len(self.overrides)} input(s) overridden; ops-hire line {'ON' if self.include_ops_hire else 'off'}."
                + (f" List prices as_of {prices_as_of}." if prices_as_of else ""))

    def frame(self):
        """The overrides as a table: input, low, high, unit, distribution, source/rationale."""
        import pandas as pd

        rows = [{"input": k, "low": f.low, "high": f.high, "unit": f.unit,
                 "distribution": "point" if f.is_point else f.distribution, "source": f.origin}
                for k, f in self.overrides.items()]
        return pd.DataFrame(rows, columns=["input", "low", "high", "unit", "distribution", "source"]).set_index("input")


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#!|~])")


def markdown_text(text: str) -> str:
    """``text`` (from an input file) as Markdown that renders to exactly that text on one line: every
    character Markdown gives a meaning inside a line (tags, entities, links, images, emphasis, code) is
    backslash-escaped, so no HTML tag, link or image survives, whatever the renderer's raw-HTML setting."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split())).replace("&", "&amp;")


def list_scenarios(folder: str | Path | None = None) -> list[str]:
    """Names of the scenario files in ``data/scenarios/`` (file names without ``.yaml``), sorted."""
    folder = Path(folder) if folder is not None else config.SCENARIOS_DIR
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


def scenario_path(name_or_path: str | Path, folder: str | Path | None = None) -> Path:
    """The file of a scenario given by name (in ``folder``, default ``data/scenarios/``) or by path.

    A value with a folder separator or a ``.yaml``/``.yml`` suffix is a path; anything else is a name, and an
    unknown name is an :class:`InputError` listing the valid names.
    """
    folder = Path(folder) if folder is not None else config.SCENARIOS_DIR
    text = str(name_or_path).strip()
    if not text:
        raise InputError(f"empty scenario name; valid: {', '.join(list_scenarios(folder))}")
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith(SUFFIXES):
        return Path(text)
    for suffix in SUFFIXES:
        p = folder / f"{text}{suffix}"
        if p.is_file():
            return p
    known = list_scenarios(folder)
    raise InputError(f"unknown scenario '{text}'{suggest(text, known)}; valid: {', '.join(known) or '(none)'}"
                     f" (or give a path to a .yaml file)")


def _unknown_input(key: str, inputs: Mapping[str, Any]) -> str:
    near = difflib.get_close_matches(str(key), list(inputs), n=1, cutoff=0.0)
    hint = f" (nearest valid name: '{near[0]}')" if near else ""
    return f"unknown input '{key}'{hint}"


def load_scenario(name_or_path: str | Path | Scenario | None, *, inputs: Mapping[str, Figure],
                  folder: str | Path | None = None) -> Scenario:
    """Load and validate a scenario (a name in ``folder`` (default ``data/scenarios/``), a path, or a
    :class:`Scenario`).

    Every override must name an input (``inputs``: the model's base inputs,
    :func:`voyager_analysis.model_inputs.base_inputs`, plus the inputs only some notebooks use, such as
    ``batch_share`` or ``monthly_churn`` — :meth:`voyager_analysis.project.Project.scenario_inputs`); an unknown name
    is an :class:`InputError` naming the file, the key and the nearest valid name. ``None`` is the empty base
    scenario. A top-level ``source`` (text, or a mapping of text) records where measured values came from.
    """
    if name_or_path is None:
        return Scenario(name="base", description="base case (no overrides)")
    if isinstance(name_or_path, Scenario):
        for key in name_or_path.overrides:
            if key not in inputs:
                raise located(name_or_path.path, f"overrides.{key}", _unknown_input(key, inputs))
        return name_or_path
    path = scenario_path(name_or_path, folder)
    raw = require_mapping(read_yaml(path), path, None)
    for key in raw:
        if key not in SCENARIO_KEYS:
            if key in inputs:
                raise located(path, str(key), f"'{key}' is a model input: put it under 'overrides:'")
            raise located(path, str(key), f"unknown key '{key}'{suggest(str(key), SCENARIO_KEYS)}; "
                                          f"valid: {', '.join(SCENARIO_KEYS)}")
    name = path.stem
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise located(path, "description", "must be one line of text")
    source = raw.get("source") or {}
    if isinstance(source, str):
        source = {"source": source}
    source = require_mapping(source, path, "source")
    for k, v in source.items():
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            raise located(path, f"source.{k}", "must be text")
    ops = raw.get("include_ops_hire", False)
    if not isinstance(ops, bool):
        raise located(path, "include_ops_hire", f"must be true or false, got {ops!r}")
    overrides_raw = raw.get("overrides") or {}
    overrides_raw = require_mapping(overrides_raw, path, "overrides")
    overrides = {}
    for key, value in overrides_raw.items():
        key = str(key)
        where = f"overrides.{key}"
        if key not in inputs:
            raise located(path, where, _unknown_input(key, inputs))
        base = inputs[key]
        if isinstance(value, Mapping):
            obj = dict(value)
            unit = obj.setdefault("unit", base.unit)
            if unit != base.unit:
                raise located(path, f"{where}.unit", f"unit '{unit}' does not match the input's unit '{base.unit}'")
            fig = parse_figure(obj, path=path, key=where)
        else:
            x = to_number(value, path=path, where=where, field="value")
            fig = parse_figure({"low": x, "high": x, "unit": base.unit,
                                "source": f"scenario '{name}'" + (f": {description}" if description else "")},
                               path=path, key=where)
        overrides[key] = replace(fig, path=f"scenario {display_path(path)}: {key}")
    return Scenario(name=name, description=description.strip(), overrides=overrides, include_ops_hire=ops,
                    path=path, source={str(k): str(v) for k, v in source.items()})


__all__ = ["Scenario", "SCENARIO_KEYS", "markdown_text", "list_scenarios", "scenario_path", "load_scenario"]
