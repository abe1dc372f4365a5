"""The package's layers, enforced: data flows one way (see README "How the package is arranged").

Every import inside ``voyager_analysis`` — at module level or inside a function — must point to a module of
the same layer or a lower one, and the module import graph has no cycle. A module missing from
:data:`LAYERS` fails the test, so a new module is placed on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "voyager_analysis"

#: layer number -> (name, modules or packages). Lower numbers are more basic; a module may import only from
#: its own layer or lower ones.
LAYERS: dict[int, tuple[str, tuple[str, ...]]] = {
    0: ("base", ("config", "errors", "constants", "months", "tables", "results", "__init__")),
    1: ("inputs", ("files", "assumptions", "metrics", "values", "model_inputs", "scenarios", "project")),
    2: ("sources and statistics", ("sources", "stats")),
    3: ("figures", ("plots",)),
    4: ("models", ("growth", "usage", "scaling", "costs", "revenue", "montecarlo", "calibration", "routing",
                   "archival", "sensitivity", "decisions", "triggers", "buildvsbuy", "sharding", "audit",
                   "cohorts", "churn", "measure", "analyses")),
    5: ("presentation", ("contracts", "summary", "nbtools")),
    6: ("delivery", ("report", "cli", "__main__")),
}
LEVEL = {m: level for level, (_, mods) in LAYERS.items() for m in mods}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 2:
        parts = parts[:-1]
    return ".".join(parts)


def _layer_key(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("voyager_analysis")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("voyager_analysis"):
                out.add(target)
                for a in node.names:  # `from voyager_analysis import costs` imports a module
                    out.add(f"{target}.{a.name}")
    return out


def _graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p): p for p in files}
    graph = {}
    for name, path in modules.items():
        targets = set()
        for t in _imports(path, name):
            # keep the longest prefix that is a module of the package
            parts = t.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts and ".".join(parts) != name:
                targets.add(".".join(parts))
        graph[name] = targets
    return graph


def test_every_module_has_a_layer():
    missing = sorted({_layer_key(m) for m in _graph()} - set(LEVEL))
    assert not missing, f"modules with no layer in tests/test_layers.py LAYERS: {missing}"


def test_no_import_points_upward():
    bad = []
    for mod, targets in _graph().items():
        lvl = LEVEL.get(_layer_key(mod))
        for t in targets:
            if t == "voyager_analysis":
                continue  # the lazy top level re-exports; importing it from inside is not done (checked below)
            tl = LEVEL.get(_layer_key(t))
            if lvl is not None and tl is not None and tl > lvl:
                bad.append(f"{mod} ({LAYERS[lvl][0]}) imports {t} ({LAYERS[tl][0]})")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_no_module_imports_the_lazy_top_level():
    bad = [m for m, ts in _graph().items() if "voyager_analysis" in ts and m != "voyager_analysis.__main__"]
    assert not bad, f"import submodules directly, not the package root: {bad}"


def test_no_import_cycle():
    graph = _graph()
    # the top level re-exports lazily; package __init__ files that only re-export are not part of a cycle
    graph = {m: {t for t in ts if t != "voyager_analysis"} for m, ts in graph.items() if m != "voyager_analysis"}
    seen, stack, cycles = set(), [], []
    on_stack = set()

    def visit(n):
        seen.add(n)
        stack.append(n)
        on_stack.add(n)
        for t in sorted(graph.get(n, ())):
            if t in on_stack:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in seen:
                visit(t)
        stack.pop()
        on_stack.discard(n)

    for n in sorted(graph):
        if n not in seen:
            visit(n)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_is_much_over_500_lines():
    long = {_module_name(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 560}
    assert not long, f"split these modules (one job each): {long}"


def test_nothing_in_the_package_reads_shared():
    hits = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if "../shared" in p.read_text(encoding="utf-8")
            or '"shared"' in p.read_text(encoding="utf-8")]
    assert not hits, hits
