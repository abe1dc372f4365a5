"""The top level: `import voyager_analysis as va` gives the main entry points lazily, and a project can be
loaded from any data folder (nothing reads the checkout behind the caller's back)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_import_is_lazy():
    """Importing the package and the CLI pulls in no numpy, pandas, scipy or matplotlib."""
    code = ("import sys, voyager_analysis, voyager_analysis.cli; "
            "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', 'statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_export_resolves():
    import voyager_analysis as va

    for name in va.__all__:
        assert getattr(va, name) is not None, name
    with pytest.raises(AttributeError):
        va.no_such_thing  # noqa: B018


def test_load_project_from_a_copied_data_folder(tmp_path):
    import voyager_analysis as va

    shutil.copytree(ROOT / "data", tmp_path / "data")
    project = va.load_project(tmp_path)
    assert project.data_dir == tmp_path / "data"
    assert project.roadmap.path.is_relative_to(tmp_path)
    assert project.metrics_path.is_relative_to(tmp_path)
    assert len(project.metrics) > 0
    assert set(project.assumptions) >= {"drivers", "decisions"}
    assert "pessimistic" in project.scenario_names()


def test_load_project_reports_a_broken_roadmap_in_one_line(tmp_path):
    import voyager_analysis as va

    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "data" / "assumptions" / "roadmap.yaml").write_text("meta: [unclosed\n")
    with pytest.raises(va.InputError) as exc:
        va.load_project(tmp_path)
    assert "roadmap.yaml" in str(exc.value) and "\n" not in str(exc.value)
