"""The README's promises that can be checked: its Python example runs, and the commands it lists exist."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _python_example() -> str:
    section = README.split("## Use it from Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_python_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    exec(compile(_python_example(), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["project"].roadmap is not None
    assert namespace["sim"].stats("margin_pct")["p50"] == namespace["sim"].stats("margin_pct")["p50"]  # not NaN


def test_every_listed_subcommand_exists():
    from voyager_analysis.cli import build_parser

    block = README.split("## Command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    listed = {line.split()[1] for line in block.splitlines() if line.startswith("voyager-analysis ")}
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # noqa: SLF001 - argparse has no public API
    assert listed <= commands, listed - commands
    assert commands <= listed | {"fit"}, f"commands missing from the README: {commands - listed}"


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert [ln.split("#")[0].strip() for ln in first_block.strip().splitlines()] == ["make report", "make test"]
