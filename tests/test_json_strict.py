"""Every computing command's --json on the shipped data is strict JSON: NaN and Infinity are refused by the
parser itself (``parse_constant``), not only by a re-serialisation."""

from __future__ import annotations

import json

import pytest


def _refuse(constant):
    raise ValueError(f"non-standard JSON constant {constant}")


COMMANDS = [
    ("audit", "--json"),
    ("simulate", "--users", "50000", "--draws", "2000", "--json"),
    ("fit", "growth", "--json"),
    ("scaling", "--json"),
    ("triggers", "--json"),
    ("bills", "data/bills/example", "--json"),
    ("retention", "--events", "data/events/example", "--json"),
    ("churn", "--events", "data/events/example", "--json"),
]


@pytest.mark.slow
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:2]) for a in COMMANDS])
def test_json_output_is_strict(cli, args):
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout, parse_constant=_refuse)
    assert doc
