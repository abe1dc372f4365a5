"""Validate a report run before anything runs: notebooks, ``-p`` parameters, scenario, options.

:func:`plan_run` builds a :class:`RunPlan` or raises one :class:`~voyager_analysis.errors.InputError`;
it writes nothing and starts no kernel.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from voyager_analysis import config
from voyager_analysis.errors import InputError, located, suggest
from voyager_analysis.values import ParameterRule, parameter_rules

#: Parameters the runner itself sets; users cannot pass them with -p.
RUN_DIR_PARAMETER = "run_dir"
SCENARIO_PARAMETER = "scenario"
#: Notebooks whose name starts with this run after all the others (they summarise the run).
SUMMARY_PREFIX = "00_"


@dataclass(frozen=True)
class Parameter:
    """One line of a notebook's ``parameters`` cell."""

    name: str
    type_name: str | None  # the annotation as written ('int', 'float', 'str', ...) or None
    default: Any
    rule: ParameterRule | None = field(default=None, compare=False)  # the range its comment declares


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook to run: its path and the parameters its ``parameters`` cell declares."""

    path: Path
    parameters: dict[str, Parameter]

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def is_summary(self) -> bool:
        return self.path.name.startswith(SUMMARY_PREFIX)


@dataclass
class RunPlan:
    """Everything a run needs, validated; building it writes nothing."""

    notebooks_dir: Path
    out_dir: Path
    data_dir: Path
    notebooks: list[NotebookSpec]
    parameters: dict[str, Any]  # the user's -p values, coerced
    scenario: Path | None
    jobs: int
    keep: int | None
    show_code: bool
    wait: bool
    timeout_s: float | None
    force: bool = False
    only: bool = False  # --only was given
    injected: dict[str, dict[str, Any]] = field(default_factory=dict)  # per notebook, minus run_dir

    @property
    def exploration(self) -> bool:
        """A what-if (``--only``, ``-p`` or ``--scenario``): listed in the index, never ``latest``, never
        the baseline of "what changed"."""
        return self.only or bool(self.parameters) or self.scenario is not None


def parse_parameter_args(items: Iterable[str] | None) -> dict[str, tuple[Any, str]]:
    """Parse ``NAME=VALUE`` strings; values are YAML scalars (``5000`` int, ``0.3`` float, ``abc`` str).

    Returns ``{name: (value, raw_text)}`` (the raw text is kept for parameters declared as ``str``).
    """
    import yaml

    out: dict[str, tuple[Any, str]] = {}
    for item in items or ():
        name, sep, raw = str(item).partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"-p {item!r}: expected NAME=VALUE with NAME a Python identifier")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if isinstance(value, (datetime, date)):  # YAML reads 2026-01-01 as a date: notebooks take text
            value = raw.strip()
        if isinstance(value, (dict, list)) or (value is not None and not isinstance(value, (str, int, float, bool))):
            raise InputError(f"-p {name}: expected a single value (number, true/false or text), got {raw!r}")
        if name in out:
            raise InputError(f"-p {name} is given twice")
        out[name] = (value, raw)
    return out


def declared_parameters(path: str | Path) -> dict[str, Parameter]:
    """The parameters a notebook declares in its cell tagged ``parameters`` (empty if it has none).

    Each line ``name: type = literal  # comment`` gives a :class:`Parameter`; a cell Python cannot parse
    (e.g. IPython magics) is an InputError naming the notebook.
    """
    path = Path(path)
    source = _parameters_source(read_notebook_json(path))
    if source is None:
        return {}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise located(path, f"parameters cell line {exc.lineno}", "is not plain Python assignments") from None
    params: dict[str, Parameter] = {}
    rules = parameter_rules(source)
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, annotation, value = node.target.id, ast.unparse(node.annotation), node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, annotation, value = node.targets[0].id, None, node.value
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = ast.unparse(value)
        params[target] = Parameter(target, annotation, default, rules.get(target))
    return params


def read_notebook_json(path: Path) -> dict:
    """A notebook file as plain JSON (no nbformat import), or an InputError naming the file."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise located(path, None, f"cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise located(path, None, f"is not a notebook (invalid JSON: {exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise located(path, None, "is not a notebook (no 'cells' list)")
    return nb


def _parameters_source(nb: dict) -> str | None:
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else str(src)
    return None


def _coerce(name: str, value: Any, raw: str, declared: Sequence[tuple[str, Parameter]]) -> Any:
    """Check a -p value against the declared types (int, float, bool, str); return the value to inject."""
    for nb_name, p in declared:
        t = (p.type_name or "").replace(" ", "")
        if t == "str":
            value = value if isinstance(value, str) else raw
        elif t == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        ok = {"int": isinstance(value, int) and not isinstance(value, bool),
              "float": isinstance(value, float),
              "bool": isinstance(value, bool),
              "str": isinstance(value, str)}.get(t, True)
        if not ok:
            raise InputError(f"-p {name}={raw}: {nb_name} declares {name} as {t}, "
                             f"got {type(value).__name__} {value!r}")
    return value


def discover_notebooks(notebooks_dir: str | Path) -> list[Path]:
    """The ``*.ipynb`` files of a folder, in name order (``00_*`` ones are run last regardless)."""
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise located(folder, None, "notebooks folder not found")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def _select(paths: list[Path], only: Sequence[str]) -> list[Path]:
    by_name = {p.stem: p for p in paths}
    chosen: list[Path] = []
    for name in only:
        key = Path(str(name)).name
        key = key[:-len(".ipynb")] if key.endswith(".ipynb") else key
        if key not in by_name:
            raise InputError(f"--only: unknown notebook '{name}'{suggest(key, by_name)}; valid: {', '.join(by_name)}")
        if by_name[key] not in chosen:
            chosen.append(by_name[key])
    return sorted(chosen)


def _check_options(jobs: int | None, keep: int | None, timeout_s: float | None) -> None:
    if jobs is not None and int(jobs) < 1:
        raise InputError(f"--jobs must be at least 1, got {jobs}")
    if keep is not None and int(keep) < 1:
        raise InputError(f"--keep must be at least 1 (the newest run is always kept), got {keep}")
    if timeout_s is not None and float(timeout_s) <= 0:
        raise InputError(f"--timeout must be positive, got {timeout_s}")


def _coerce_all(specs: list[NotebookSpec], parameters: Iterable[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    if isinstance(parameters, Mapping):
        given = {str(k): (v, str(v)) for k, v in parameters.items()}
    else:
        given = parse_parameter_args(parameters)
    declared_names = sorted({n for s in specs for n in s.parameters} - {RUN_DIR_PARAMETER, SCENARIO_PARAMETER})
    coerced: dict[str, Any] = {}
    for name, (value, raw) in given.items():
        if name == RUN_DIR_PARAMETER:
            raise InputError(f"-p {name}: set by the report runner (the run's own folder); do not pass it")
        if name == SCENARIO_PARAMETER:
            raise InputError(f"-p {name}: use --scenario FILE (the file is checked and hashed)")
        holders = [(s.name, s.parameters[name]) for s in specs if name in s.parameters]
        if not holders:
            valid = ", ".join(declared_names) if declared_names else "(the selected notebooks declare none)"
            raise InputError(f"-p {name}: no selected notebook declares this parameter"
                             f"{suggest(name, declared_names)}; valid: {valid}")
        coerced[name] = _coerce(name, value, raw, holders)
    return coerced


#: Notebook parameters naming input files, and the load_project argument each one is.
_PROJECT_PATHS = {"metrics_path": "metrics_path", "prices_path": "prices_path", "roadmap_path": "roadmap_path"}


def _check_values(specs: list[NotebookSpec], coerced: Mapping[str, Any]) -> None:
    """Every parameter each notebook will run with (its default or the -p value) against the range its
    comment declares: the rule the notebooks apply themselves (:mod:`voyager_analysis.values`)."""
    for s in specs:
        for name, p in s.parameters.items():
            if p.rule is not None and name not in (RUN_DIR_PARAMETER, SCENARIO_PARAMETER):
                p.rule.check(name, coerced.get(name, p.default))


def _check_inputs(specs: list[NotebookSpec], coerced: Mapping[str, Any], nb_dir: Path) -> None:
    """Load and validate the data files the notebooks will read (roadmap, prices, metrics, their own
    assumption files), once per distinct set, so that a bad file is exit 2 before any kernel starts."""
    from voyager_analysis.assumptions import load_figures
    from voyager_analysis.project import load_project

    seen: set[tuple] = set()
    for s in specs:
        values = {n: coerced.get(n, p.default) for n, p in s.parameters.items()}
        paths = {arg: nb_dir / str(values[n]) for n, arg in _PROJECT_PATHS.items()
                 if isinstance(values.get(n), str) and values[n]}
        key = tuple(sorted((k, str(v)) for k, v in paths.items()))
        if key and key not in seen:
            seen.add(key)
            project = load_project(**paths)
            if "metrics_path" in paths:
                project.metrics  # noqa: B018 - loading it validates it
        own = values.get("assumptions_path")
        if isinstance(own, str) and own and ("assumptions", own) not in seen:
            seen.add(("assumptions", own))
            load_figures(nb_dir / own)


def _notebook_path(path: Path, nb_dir: Path) -> str:
    """``path`` as a notebook parameter: relative to the notebooks folder when it lies in the folder holding
    it (the project), else absolute (the report's scrubber shows an outside path as its file name; a relative
    path climbing out of the project would spell out this machine's folders)."""
    return os.path.relpath(path, nb_dir) if path.is_relative_to(nb_dir.parent) else str(path)


def plan_run(*, notebooks_dir: str | Path | None = None, out_dir: str | Path | None = None,
             data_dir: str | Path | None = None, only: Sequence[str] | None = None,
             scenario: str | Path | None = None, parameters: Iterable[str] | Mapping[str, Any] | None = None,
             jobs: int | None = None, keep: int | None = None, show_code: bool = False, wait: bool = True,
             timeout_s: float | None = None, force: bool = False) -> RunPlan:
    """Validate a run's inputs and build its :class:`RunPlan`; raises InputError, writes nothing.

    ``parameters`` is a list of ``NAME=VALUE`` strings (as given to ``-p``) or a mapping of values.
    """
    nb_dir = Path(notebooks_dir or config.NOTEBOOKS_DIR).resolve()
    paths = discover_notebooks(nb_dir)
    if not paths:
        raise located(nb_dir, None, "no notebooks (*.ipynb) in this folder")
    if only:
        paths = _select(paths, only)
    specs = [NotebookSpec(p, declared_parameters(p)) for p in paths]
    _check_options(jobs, keep, timeout_s)
    coerced = _coerce_all(specs, parameters)
    _check_values(specs, coerced)
    _check_inputs(specs, coerced, nb_dir)

    scenario_path = None
    if scenario is not None:
        from voyager_analysis import scenarios
        from voyager_analysis.project import load_project

        scenario_path = scenarios.scenario_path(scenario).resolve()  # a name in data/scenarios/ or a path
        load_project().scenario(scenario_path)  # fully validated now (against the model's inputs), not mid-run
        if not any(SCENARIO_PARAMETER in s.parameters for s in specs):
            raise InputError(f"--scenario: no selected notebook declares a '{SCENARIO_PARAMETER}' parameter "
                             f"(selected: {', '.join(s.name for s in specs)})")

    injected: dict[str, dict[str, Any]] = {}
    for s in specs:
        values = {k: v for k, v in coerced.items() if k in s.parameters}
        if scenario_path is not None and SCENARIO_PARAMETER in s.parameters:
            values[SCENARIO_PARAMETER] = _notebook_path(scenario_path, nb_dir)
        injected[s.name] = values

    out = Path(out_dir or config.REPORTS_DIR).resolve()
    if out.exists() and not out.is_dir():
        raise located(out, None, "--out must be a folder, this is a file")
    data = Path(data_dir or config.DATA_DIR).resolve()
    if data_dir is not None and not data.is_dir():
        raise located(data, None, "--data: folder not found")
    return RunPlan(notebooks_dir=nb_dir, out_dir=out, data_dir=data, notebooks=specs, parameters=coerced,
                   scenario=scenario_path, jobs=int(jobs or os.cpu_count() or 1),
                   keep=int(keep) if keep is not None else None, show_code=show_code, wait=wait,
                   timeout_s=float(timeout_s) if timeout_s is not None else None, force=force,
                   only=bool(only), injected=injected)
