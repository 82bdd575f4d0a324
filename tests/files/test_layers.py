"""Layers one way: the import graph of incident_tool and incident_sandbox has no cycle.

The graph is read from the source with `ast`, so imports inside functions count as much as
those at the top (a lazy import still ties two modules together). Imports under
`if TYPE_CHECKING:` are left out: they are never executed and only name types.

The layers, bottom up: `core/` and `inbound/` (pure: no effect), `effects/` (neither `app`
nor a verb), `app`, `verbs/` (only `cli` reaches them), `cli`. The runtime check that
`core` and `inbound` load nothing of the effects is in test_layout.py.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("incident_tool", "incident_sandbox")

Graph = dict[str, set[tuple[str, str]]]  # module -> {(imported module, "path:line")}


def module_files(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of `packages` under `root`, by dotted name (a package by its own)."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth, but those only a type checker runs."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _runtime_imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _runtime_imports(node)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph(root: Path, packages: Iterable[str]) -> Graph:
    """Which of the `packages`' modules each of them imports. `from x import y` imports
    `x.y` when y is a module, else `x`; importing `a.b.c` also runs `a` and `a.b`, but a
    package's `__init__` is not counted as a dependency of its own modules."""
    files = module_files(root, packages)
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in _runtime_imports(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = _absolute(node, name, is_package)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names
                ]
            where = f"{path.relative_to(root)}:{node.lineno}"
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]  # `import a.b.Class` style: the module
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add((target, where))
    return graph


def edges(graph: Graph) -> dict[str, set[str]]:
    return {name: {target for target, _ in found} for name, found in graph.items()}


def cycles(graph: Graph) -> list[list[str]]:
    """Every group of modules that import one another (strongly connected, Tarjan), as
    the shortest cycle through each of its modules: the paths for a reader to break."""
    adjacent = edges(graph)
    found: list[list[str]] = []
    for group in _tangled(adjacent):
        for start in sorted(group):
            cycle = _shortest_cycle(adjacent, group, start)
            rotations = {tuple(c[i:-1] + c[:i]) for c in found for i in range(len(c) - 1)}
            if tuple(cycle[:-1]) not in rotations:
                found.append(cycle)
    return found


def _tangled(adjacent: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(adjacent.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(adjacent):
        if node not in index:
            visit(node)
    return groups


def _shortest_cycle(adjacent: dict[str, set[str]], group: set[str], start: str) -> list[str]:
    """A shortest path from `start` back to itself inside its group (breadth first)."""
    paths = [[start]]
    seen = {start}
    while paths:
        path = paths.pop(0)
        for nxt in sorted(adjacent[path[-1]] & group):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                paths.append([*path, nxt])
    raise AssertionError(f"{start} is in a cycle group but on no cycle")


def described(graph: Graph, cycle: list[str]) -> str:
    steps = []
    for here, there in pairwise(cycle):
        where = sorted(w for target, w in graph[here] if target == there)
        steps.append(f"{here} -> {there} ({where[0]})")
    return "\n  ".join(steps)


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def offenders(graph: Graph, importer: str, imported: Iterable[str]) -> list[str]:
    """Where a module of the `importer` layer imports one of the `imported` layers."""
    return sorted(
        f"{name} -> {target} ({where})"
        for name, found in graph.items()
        if in_layer(name, importer)
        for target, where in found
        if any(in_layer(target, layer) for layer in imported)
    )


def without(graph: Graph, dropped: set[tuple[str, str]]) -> Graph:
    return {
        name: {(target, where) for target, where in found if (name, target) not in dropped}
        for name, found in graph.items()
    }


@pytest.fixture(scope="module")
def whole() -> Graph:
    return import_graph(ROOT, PACKAGES)


@pytest.fixture(scope="module")
def graph(whole: Graph) -> Graph:
    return whole


def test_the_graph_sees_the_product(whole: Graph) -> None:
    """The builder read the tree: it found modules, and imports inside functions."""
    assert {"incident_tool.cli", "incident_tool.core.lifecycle", "incident_sandbox.demo"} <= set(
        whole
    )
    # cli imports each verb inside its click command, never at the top.
    assert "incident_tool.verbs.retro" in edges(whole)["incident_tool.cli"]


def test_no_import_cycles(graph: Graph) -> None:
    found = cycles(graph)
    for cycle in found:
        print("cycle:\n  " + described(graph, cycle))
    assert found == []


def test_effects_import_neither_app_nor_verbs(graph: Graph) -> None:
    assert (
        offenders(graph, "incident_tool.effects", ["incident_tool.app", "incident_tool.verbs"])
        == []
    )


def verbs_imported_outside_cli(graph: Graph) -> list[str]:
    return [
        found
        for package in PACKAGES
        for found in offenders(graph, package, ["incident_tool.verbs"])
        if not found.startswith(("incident_tool.verbs", "incident_tool.cli "))
    ]


def test_only_cli_imports_the_verbs(graph: Graph) -> None:
    assert verbs_imported_outside_cli(graph) == []


@pytest.mark.parametrize("layer", ["incident_tool.core", "incident_tool.inbound"])
def test_the_pure_layers_import_no_effect(graph: Graph, layer: str) -> None:
    above = [
        "incident_tool.effects",
        "incident_tool.app",
        "incident_tool.verbs",
        "incident_tool.cli",
    ]
    assert offenders(graph, layer, [*above, "incident_sandbox"]) == []


def test_the_builder_finds_a_cycle_through_a_lazy_import(tmp_path: Path) -> None:
    """A made-up package: a imports b at the top, b imports a inside a function, c is only
    named under TYPE_CHECKING; `from pkg import d` imports the module pkg.d."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import thing\nfrom pkg import d\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\n"
        "def thing():\n    from . import a\n    return a\n"
    )
    (pkg / "c.py").write_text("import pkg.a\n")
    (pkg / "d.py").write_text("x = 1\n")
    made_up = import_graph(tmp_path, ["pkg"])
    assert edges(made_up) == {
        "pkg": set(),
        "pkg.a": {"pkg.b", "pkg.d"},
        "pkg.b": {"pkg.a"},
        "pkg.c": {"pkg.a"},
        "pkg.d": set(),
    }
    assert cycles(made_up) == [["pkg.a", "pkg.b", "pkg.a"]]
    assert "pkg/b.py:5" in described(made_up, cycles(made_up)[0])
    assert cycles(without(made_up, {("pkg.b", "pkg.a")})) == []
    assert offenders(made_up, "pkg.b", ["pkg.a", "pkg.c"]) == ["pkg.b -> pkg.a (pkg/b.py:5)"]
