"""The project's inputs, read and validated once: :func:`load_project`.

A :class:`Project` holds everything the analyses take from the data folder — the roadmap's figures, the list
prices, our ranged assumptions (drivers, routing, archival, conversion, decisions), the scenarios and the
metrics table — as validated objects. Analyses take a project (or plain arrays and frames) as arguments;
no model reads a file by default.

>>> import voyager_analysis as va
>>> project = va.load_project()                 # the checkout's data/ folder
>>> project.roadmap.get("phases.phase_1.total").unit
'usd_per_month'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voyager_analysis import config

#: Our own assumption files in ``data/assumptions/`` (besides the roadmap), by short name.
ASSUMPTION_FILES = ("drivers", "routing", "archival", "conversion", "decisions")
#: Assumption files whose inputs a scenario may override besides the cost model's (see
#: :meth:`Project.scenario_inputs`).
SCENARIO_FILES = ("routing", "archival", "conversion")


@dataclass(frozen=True)
class Project:
    """Validated inputs of one data folder. Build it with :func:`load_project`."""

    root: Path
    data_dir: Path
    roadmap: Any  #: :class:`voyager_analysis.assumptions.Roadmap`
    prices: Any  #: :class:`voyager_analysis.assumptions.PriceBook`
    assumptions: dict[str, dict[str, Any]]  #: short name -> figure tree (see :data:`ASSUMPTION_FILES`)
    metrics_path: Path | None = None
    _metrics: Any = field(default=None, repr=False, compare=False)

    # --- paths ---------------------------------------------------------------------------------------------
    @property
    def assumptions_dir(self) -> Path:
        return self.data_dir / "assumptions"

    @property
    def scenarios_dir(self) -> Path:
        return self.data_dir / "scenarios"

    # --- inputs --------------------------------------------------------------------------------------------
    @property
    def metrics(self):
        """The metrics table (``metrics_path``), loaded and validated on first use."""
        if self._metrics is None:
            if self.metrics_path is None:
                from voyager_analysis.errors import InputError

                raise InputError("this project has no metrics file (give metrics_path to load_project)")
            from voyager_analysis.metrics import load_metrics

            object.__setattr__(self, "_metrics", load_metrics(self.metrics_path))
        return self._metrics

    def figures(self, name: str) -> dict[str, Any]:
        """One of our assumption files as a figure tree (``"drivers"``, ``"routing"`` ...)."""
        if name not in self.assumptions:
            from voyager_analysis.errors import InputError, unknown_name

            raise InputError(unknown_name("assumption file", name, self.assumptions))
        return self.assumptions[name]

    def scenario_names(self) -> list[str]:
        from voyager_analysis.scenarios import list_scenarios

        return list_scenarios(self.scenarios_dir)

    def base_inputs(self) -> dict[str, Any]:
        """Every input of the cost and revenue model as a figure (drivers, roadmap thresholds, prices)."""
        from voyager_analysis.model_inputs import base_inputs

        return base_inputs(self.roadmap, self.prices, self.assumptions["drivers"])

    def scenario_inputs(self) -> dict[str, Any]:
        """Every input a scenario may override: the model's base inputs plus the ranged inputs of the routing,
        archival and conversion files that only some notebooks use (``batch_share``, ``monthly_churn``,
        ``activity_half_life_months`` ...), by leaf name."""
        from voyager_analysis.assumptions import iter_figures

        out = self.base_inputs()
        for name in SCENARIO_FILES:
            for fig in iter_figures(self.assumptions.get(name, {})):
                out.setdefault(fig.path.rsplit(".", 1)[-1], fig)
        return out

    def scenario(self, name_or_path=None):
        """A validated :class:`~voyager_analysis.scenarios.Scenario` (a name in ``data/scenarios/``, a path, or
        ``None``/``""`` for the base case)."""
        from voyager_analysis.scenarios import load_scenario

        return load_scenario(name_or_path or None, inputs=self.scenario_inputs(), folder=self.scenarios_dir)

    def inputs(self, scenario=None) -> dict[str, Any]:
        """The model's inputs with ``scenario``'s overrides applied."""
        return self.scenario(scenario).apply(self.base_inputs())


def load_project(root: str | Path | None = None, *, metrics_path: str | Path | None = None,
                 prices_path: str | Path | None = None, roadmap_path: str | Path | None = None) -> Project:
    """Read and validate a data folder once.

    ``root`` is the folder holding ``data/`` (default: this checkout, or ``$VOYAGER_ROOT``); a folder that
    itself holds ``assumptions/`` and ``prices/`` is accepted as the data folder. ``metrics_path`` defaults to
    the shipped example metrics; the table is loaded on first use of :attr:`Project.metrics`. Bad input raises
    :class:`~voyager_analysis.errors.InputError` (one line naming the file and the problem).
    """
    from voyager_analysis.assumptions import load_figures, load_prices, load_roadmap

    root = Path(root) if root is not None else config.ROOT
    data_dir = root if (root / "assumptions").is_dir() else root / "data"
    assumptions_dir = data_dir / "assumptions"
    roadmap = load_roadmap(roadmap_path if roadmap_path is not None else assumptions_dir / "roadmap.yaml")
    prices = load_prices(prices_path if prices_path is not None else data_dir / "prices")
    trees = {name: load_figures(assumptions_dir / f"{name}.yaml") for name in ASSUMPTION_FILES
             if (assumptions_dir / f"{name}.yaml").is_file()}
    if metrics_path is None:
        default = data_dir / "metrics" / config.EXAMPLE_METRICS_CSV.name
        metrics_path = default if default.is_file() else None
    return Project(root=root, data_dir=data_dir, roadmap=roadmap, prices=prices, assumptions=trees,
                   metrics_path=Path(metrics_path) if metrics_path is not None else None)


__all__ = ["ASSUMPTION_FILES", "Project", "load_project"]
