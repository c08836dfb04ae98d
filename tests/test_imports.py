"""The import graph of ``sim``, read from the sources: no cycle, whether the import is at the top of
a module or hidden inside a function (a lazy import is still a dependency). Imports under
``if TYPE_CHECKING:`` are never run and do not count.

Nodes are modules; an edge ``a -> b`` is any ``import b`` / ``from b import x`` in ``a`` (or ``from
b import c`` where ``b.c`` is a module), plus the lazy exports that ``sim/__init__.py`` and
``sim/experiment/__init__.py`` name in their ``_EXPORTS`` tables. Importing ``sim.x.y`` also runs
the package ``__init__`` files, but that is the package's structure, not a dependency of the
importing module, so it adds no edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"

#: Cycles tolerated for now, each with who removes it (none today: the engine branch removed the
#: last one, engine <-> trace). The test fails when a listed cycle is gone (so the entry is
#: removed) or when any other cycle appears.
KNOWN: dict[frozenset[str], str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in SIM.rglob("*.py")}


def edges() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        skip = {id(n) for n in _type_checking_only(tree)}
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Dict) and _is_exports(tree, node):
                for v in node.values:
                    if isinstance(v, ast.Tuple) and isinstance(v.elts[0], ast.Constant):
                        targets.append(v.elts[0].value)
                    elif isinstance(v, ast.Constant) and isinstance(v.value, str):
                        targets.append(v.value)
            for t in targets:
                if t in mods and t != mod:
                    graph[mod].add(t)
    return graph


def _type_checking_only(tree: ast.Module) -> list[ast.AST]:
    """Imports under ``if TYPE_CHECKING:`` (read by type checkers, never run)."""
    out: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                out.extend(ast.walk(child))
    return out


def _is_exports(tree: ast.Module, node: ast.Dict) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is node:
            names = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            return any(isinstance(n, ast.Name) and n.id == "_EXPORTS" for n in names)
    return False


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[set[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read():
    g = edges()
    assert "sim.experiment.runner" in g["sim.experiment.compare"]
    assert "sim.commands" in g["sim"]  # a lazy export is an edge
    assert "sim.report.charts" in g["sim.commands"]  # an import inside a function is an edge


def test_no_import_cycle():
    found = [frozenset(c) for c in cycles(edges())]
    unknown = [sorted(c) for c in found if c not in KNOWN]
    assert unknown == [], f"import cycles: {unknown}"
    gone = [sorted(c) for c in KNOWN if c not in found]
    assert gone == [], f"these cycles are gone; remove them from KNOWN: {gone}"


def test_a_cycle_is_found_when_there_is_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


#: The layers of DESIGN.md, lowest first. ``sim.api`` is the scenario front door (it applies the
#: levers, so it sits just above reforms); ``sim`` (the package) re-exports the public API for
#: users and the command line; ``sim._version`` may be imported by anything.
LAYERS = [
    "sim._version",
    "sim.scenario",
    "sim.reforms",
    "sim.api",
    "sim.model",
    "sim.analysis",
    "sim.experiment",
    "sim.report",
    "sim.commands",
    "sim",
    "sim.cli",
]


def layer_of(module: str) -> int:
    """Position in LAYERS of the longest layer name ``module`` is or is inside of."""
    best = max(
        (n for n in LAYERS if module == n or module.startswith(n + ".")),
        key=len,
        default=None,
    )
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return LAYERS.index(best)


def upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, bs in graph.items() for b in bs if layer_of(b) > layer_of(a))


def test_imports_only_go_downward_even_inside_functions():
    """Issue 14.6: tests/test_layers.py imports each layer in a fresh interpreter, which cannot
    see an import made inside a function; this reads every import from the sources."""
    assert upward(edges()) == []


def test_an_upward_import_is_found():
    graph = {"sim.model.engine": {"sim.analysis.summary"}, "sim.analysis.summary": set()}
    assert upward(graph) == ["sim.model.engine -> sim.analysis.summary"]
