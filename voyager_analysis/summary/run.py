"""Reading one report run: which folder, and the typed results of each executed notebook in it.

The layout read here is the documented one (README, "Reports"): ``reports/<run-id>/NN_name.ipynb``, and
``reports/latest`` (a symlink to the newest complete run folder) or ``reports/latest.txt`` (its run id) where
symlinks are impossible. The runner passes the folder it is writing as notebook 00's ``run_dir``; nothing
here knows how the runner names its folders while it writes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voyager_analysis import config
from voyager_analysis.errors import InputError, display_path

SUMMARY_PREFIX = "00_"
LATEST_LINK = "latest"
LATEST_TXT = "latest.txt"
#: In a run folder while the report runner still executes that run's other notebooks: with ``--force`` the
#: summary's kernel starts as soon as a worker is free and :func:`collect_results` waits for the file to go.
PENDING_MARKER = ".notebooks-running"
#: How often (seconds) :func:`wait_for_run` looks for the marker.
PENDING_POLL_S = 0.05


def latest_run_dir(reports_dir: str | Path | None = None) -> Path | None:
    """The folder of the latest complete run in ``reports_dir`` (default ``reports/``): the target of its
    ``latest`` link, else the run named in ``latest.txt``; None when there is none (or it is gone)."""
    reports = Path(reports_dir) if reports_dir is not None else config.REPORTS_DIR
    link = reports / LATEST_LINK
    if link.is_symlink() or link.is_dir():
        target = link.resolve()
        return target if target.is_dir() else None
    txt = reports / LATEST_TXT
    if txt.is_file():
        run_id = txt.read_text(encoding="utf-8").strip()
        if run_id and "/" not in run_id and (reports / run_id).is_dir():
            return reports / run_id
    return None


def resolve_run_dir(run_dir: str | Path = "", reports_dir: str | Path | None = None) -> Path | None:
    """The folder of executed notebooks to read.

    ``run_dir`` given: that folder (relative to the working directory, i.e. ``notebooks/`` when a notebook
    runs); a folder that does not exist is an :class:`InputError`. ``""``: :func:`latest_run_dir`.
    """
    if str(run_dir).strip():
        path = Path(run_dir)
        if not path.is_dir():
            raise InputError(f"parameter run_dir: folder '{run_dir}' not found (expected the folder of a report "
                             "run's executed notebooks, or \"\" for the latest run in reports/)")
        return path
    return latest_run_dir(reports_dir)


def run_label(run_dir: Path | None) -> str:
    """How the summary names the run it read: the folder's name (a run id for a published run)."""
    return "none" if run_dir is None else Path(run_dir).name


def typed(stem: str, data: dict) -> Any:
    """A notebook's results as its typed :mod:`~voyager_analysis.contracts` payload; a notebook without a
    contract module yet keeps the plain dict. A payload that breaks its contract raises ContractError."""
    from voyager_analysis import contracts

    if stem not in contracts.MODULES:
        return data
    try:
        cls = contracts.payload_class(stem)
    except ImportError:  # the notebook's contract is not written yet
        return data
    return cls.from_json(data)


@dataclass
class Run:
    """The results of one run: ``results`` (stem -> typed payload), and the notebooks left out with why."""

    folder: Path | None
    results: dict[str, Any] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)  #: stem -> why its results could not be read

    @property
    def label(self) -> str:
        return run_label(self.folder)


def collect_results(run_dir: str | Path | None) -> Run:
    """The typed results of every executed notebook in ``run_dir`` (summary notebooks ``00_*`` skipped).

    A notebook without results (it failed, or never ran) is left out; one whose results are unreadable or
    break their contract is listed in :attr:`Run.invalid` with the reason. ``None`` gives an empty run.
    """
    from voyager_analysis.contracts import ContractError
    from voyager_analysis.nbtools import read_results

    run = Run(Path(run_dir) if run_dir is not None else None)
    if run_dir is None:
        return run
    wait_for_run(Path(run_dir))
    for path in sorted(Path(run_dir).glob("*.ipynb")):
        if path.name.startswith((SUMMARY_PREFIX, ".")):
            continue
        try:
            data = read_results(path)
            if isinstance(data, dict):
                run.results[path.stem] = typed(path.stem, data)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            run.invalid[path.stem] = f"unreadable ({type(err).__name__})"
        except ContractError as err:
            run.invalid[path.stem] = str(err)
    return run


def wait_for_run(run_dir: Path) -> None:
    """Return once ``run_dir`` holds no :data:`PENDING_MARKER` (at once for a finished run). The runner removes
    the marker when the other notebooks are done, or the whole folder if it stops; the notebook's cell timeout
    bounds the wait."""
    import time

    while (run_dir / PENDING_MARKER).exists():
        time.sleep(PENDING_POLL_S)


def expected_notebooks(notebooks_dir: str | Path | None = None) -> list[str]:
    """Stems of the analysis notebooks a full run executes (every ``NN_*.ipynb`` but the summary)."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else config.NOTEBOOKS_DIR
    return sorted(p.stem for p in folder.glob("[0-9][0-9]_*.ipynb") if not p.name.startswith(SUMMARY_PREFIX))


def sources_markdown(run: Run, missing: list[str], roadmap) -> str:
    """One line saying which run and notebooks the summary read, which had no results, and the roadmap's date."""
    dated = f"Roadmap claims from `roadmap.yaml` (roadmap dated {roadmap.meta.get('dated', '?')})."
    if run.folder is None:
        return f"No report run found (nothing in `{display_path(config.REPORTS_DIR)}/{LATEST_LINK}`). {dated}"
    text = f"Results read from `{run.label}`: {', '.join(run.results) or 'none'}"
    if missing:
        text += f"; without results: {', '.join(missing)}"
    if run.invalid:
        text += "; not readable: " + "; ".join(f"{k} ({v})" for k, v in run.invalid.items())
    return f"{text}. {dated}"


__all__ = ["latest_run_dir", "resolve_run_dir", "run_label", "typed", "Run", "collect_results",
           "expected_notebooks", "sources_markdown"]
