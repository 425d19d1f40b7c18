"""The package's layers, read from the source: no lower layer imports a higher one, no cycles.

    errors ← ad ← checks ← views;   ad ← batch;   ad, checks ← extrema;
    cli and the public API (diffcli/__init__.py) on top.

Only the CLI imports Typer or Rich; SymPy, SciPy and matplotlib are imported inside the
functions that use them, never when a module loads (cold start). Every import counts,
at module level or inside a function; imports under `if TYPE_CHECKING:` never run, so
they count for the layers but not for cycles.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "diffcli"

# Each part of diffcli, and the parts it may import from (besides itself).
ALLOWED = {
    "errors": set(),
    "ad": {"errors"},
    "checks": {"errors", "ad"},
    "views": {"errors", "ad", "checks"},
    "batch": {"errors", "ad"},
    "extrema": {"errors", "ad", "checks"},
    "api": {"errors", "ad", "checks", "views", "batch", "extrema"},  # diffcli/__init__.py
    "cli": {"errors", "ad", "checks", "views", "batch", "extrema", "api"},
    "main": {"cli"},  # diffcli/__main__.py
}
CLI_ONLY = {"typer", "rich", "click"}

# Cycles still to be removed by the change that brought them; each entry must still be a
# cycle, so it is deleted here when fixed. (None now.)
KNOWN_CYCLES: list[set[str]] = []
LAZY = {"sympy", "scipy", "matplotlib"}

@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. diffcli.cli.app
    target: str  # a module of diffcli, or the top-level name of another package
    line: int
    at_load: bool  # runs when the module is imported (not inside a function)
    runs: bool  # False under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def part(module: str) -> str:
    """The layer a module of diffcli belongs to."""
    if module == "diffcli":
        return "api"
    if module == "diffcli.__main__":
        return "main"
    return module.split(".")[1]


def resolve(name: str) -> str:
    """`diffcli.x.y` as the module it names: itself, or the module that defines y."""
    while name not in MODULES and "." in name:
        name = name.rpartition(".")[0]
    return name


def imports_of(module: str) -> list[Import]:
    tree = ast.parse(MODULES[module].read_text())
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, runs: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                assert not (isinstance(child, ast.ImportFrom) and child.level), \
                    f"{module}:{child.lineno}: a relative import; diffcli's imports are absolute"
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                else:
                    names = [f"{child.module}.{alias.name}" for alias in child.names]
                for name in names:
                    target = resolve(name) if name.split(".")[0] == "diffcli" else name.split(".")[0]
                    found.append(Import(module, target, child.lineno, not in_function, runs))
            checking = (isinstance(child, ast.If) and isinstance(child.test, ast.Name)
                        and child.test.id == "TYPE_CHECKING")
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)),
                  runs and not checking)

    visit(tree, False, True)
    return found


IMPORTS = [edge for module in MODULES for edge in imports_of(module)]
INTERNAL = [edge for edge in IMPORTS if edge.target in MODULES and edge.target != edge.module]


def where(edge: Import) -> str:
    return f"{MODULES[edge.module].relative_to(ROOT)}:{edge.line} imports {edge.target}"


def test_the_layers_cover_every_module():
    assert {part(module) for module in MODULES} == set(ALLOWED)
    assert len(INTERNAL) > 100  # the reading works: diffcli's modules do import each other


def test_no_layer_imports_a_higher_one():
    upward = [where(edge) for edge in INTERNAL
              if part(edge.target) != part(edge.module) and part(edge.target) not in ALLOWED[part(edge.module)]]
    assert upward == []


def test_only_the_cli_imports_typer_or_rich():
    outside = [where(edge) for edge in IMPORTS if edge.target in CLI_ONLY and part(edge.module) != "cli"]
    assert outside == []


def test_sympy_scipy_and_matplotlib_are_imported_where_used():
    at_load = [where(edge) for edge in IMPORTS if edge.target in LAZY and edge.at_load and edge.runs]
    assert at_load == []


def import_graph() -> dict[str, set[str]]:
    """Each module of diffcli → the modules of diffcli it imports (those that run)."""
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in INTERNAL:
        if edge.runs:
            graph[edge.module].add(edge.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected parts of `graph` with more than one node (Tarjan's algorithm)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in order:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], order[target])
        if low[node] == order[node]:
            component: set[str] = set()
            while node not in component:
                component.add(stack.pop())
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return found


def test_the_cycle_search_finds_cycles():
    graph = {"app": {"grad", "common"}, "grad": {"app", "common"}, "common": set(),
             "a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert sorted(map(sorted, cycles(graph))) == [["a", "b", "c"], ["app", "grad"]]


def test_no_import_cycles():
    assert [sorted(c) for c in cycles(import_graph()) if c not in KNOWN_CYCLES] == []


@pytest.mark.parametrize("known", KNOWN_CYCLES, ids=lambda c: " ↔ ".join(sorted(c)))
def test_each_known_cycle_is_still_there(known):
    assert known in cycles(import_graph()), "this cycle is gone: delete it from KNOWN_CYCLES"


def test_no_test_module_imports_another():
    tests = Path(__file__).resolve().parent
    imported = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            imported += [f"{path.relative_to(tests)}:{node.lineno} imports {name}" for name in names
                         if name.split(".")[0] in ("conftest", "tests") or name.split(".")[-1].startswith("test_")
                         or (isinstance(node, ast.ImportFrom) and node.level)]
    assert imported == []
