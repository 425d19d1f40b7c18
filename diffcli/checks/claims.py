"""What a claimed derivative says: which derivative each part of it is, as graphs.

A claim is written in the formula language. For one variable it is dF/dx (or the n-th
derivative); for several it is the gradient, either one claim per variable
(`"x: 2*x*y"`, `"y: x**2"`) or one list in --wrt order (`"[2*x*y, x**2]"`); a Jacobian
or Hessian claim is a list of lists. Each entry becomes one *component*: a node of the
claim's graph paired with the derivative it stands for. Every mistake in the shape of a
claim is a `UsageError` (exit 2) that says what was expected.

>>> from diffcli.ad.parse import parse
>>> layout = Layout("derivative", ["x", "y"], outputs=1, order=1)
>>> claim = read_claim(["y: x**2", "x: 2*x*y"], layout, parse("x**2*y"), [])
>>> [c.label for c in claim.components], claim.graph.ops[claim.components[0].node]
(['∂f/∂x', '∂f/∂y'], 'mul')
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse
from diffcli.errors import UsageError

KINDS = ("derivative", "jacobian", "hessian")
MAX_CLAIMS_FILE_ROWS = 100_000

_NAMED = re.compile(r"^\s*([^\W\d]\w*)\s*:(?!=)", re.UNICODE)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Layout:
    """Which derivatives a claim lists: the kind, the variables (columns), how many outputs F has."""

    kind: str
    wrt: list[str]
    outputs: int
    order: int = 1

    def shape(self) -> tuple[int, ...]:
        if self.kind == "jacobian":
            return (self.outputs, len(self.wrt))
        if self.kind == "hessian":
            return (len(self.wrt), len(self.wrt))
        return (len(self.wrt),)

    def label(self, position: tuple[int, ...]) -> str:
        """'d/dx', '∂f/∂y', 'd³/dx³', '∂²f/∂x∂y', '∂f2/∂x'."""
        single = len(self.wrt) == 1 and self.outputs == 1
        if self.kind == "jacobian":
            output, column = position
            name = "f" if self.outputs == 1 else f"f{output + 1}"
            return f"d{name}/d{self.wrt[column]}" if single else f"∂{name}/∂{self.wrt[column]}"
        if self.kind == "hessian":
            a, b = (self.wrt[k] for k in position)
            if single:
                return f"d²f/d{a}²"
            return f"∂²f/∂{a}²" if a == b else f"∂²f/∂{a}∂{b}"
        variable = self.wrt[position[0]]
        power = "" if self.order == 1 else str(self.order).translate(_SUPERSCRIPT)
        if single:
            return f"d{power}f/d{variable}{power}"
        return f"∂{power}f/∂{variable}{power}"


@dataclass(frozen=True)
class Component:
    """One entry of a claim: the claim's node for it and where it sits in the derivative."""

    position: tuple[int, ...]
    label: str
    node: int


@dataclass
class Claim:
    """A parsed claim: one graph holding every component."""

    text: str
    graph: Graph
    components: list[Component]
    parts: list[str] | None = None  # each component's own text, when the claim was written part by part


def _parse_part(text: str, what: str, offset: int = 0) -> Graph:
    try:
        return parse(text)
    except UsageError as error:
        column = None if error.column is None else error.column + (offset if (error.line or 1) == 1 else 0)
        raise UsageError(f"{what}: {error.message}", line=error.line, column=column) from None


def _split_named(text: str) -> tuple[str | None, str, int]:
    """'x: 2*x' -> ('x', ' 2*x', 2); a claim without a name -> (None, text, 0)."""
    match = _NAMED.match(text)
    if match is None:
        return None, text, 0
    return unicodedata.normalize("NFKC", match.group(1)), text[match.end():], match.end()


def _check_names(graph: Graph, function: Graph, constants: list[str], what: str) -> None:
    known = set(function.variables) | set(constants)
    for name, node in graph.variables.items():
        if name not in known:
            where = graph.columns.get(node)
            listed = ", ".join(function.variables) or "none"
            raise UsageError(f"{what}: '{name}' is not a variable of f (variables: {listed})",
                             line=where[0] if where else None, column=where[1] if where else None)


def read_claim(texts: list[str], layout: Layout, function: Graph, constants: list[str]) -> Claim:
    """Parse the claim text(s) into one graph with a node per component; check its shape."""
    if not texts:
        raise UsageError("give a claim: --claim EXPR")
    if any(not isinstance(t, str) for t in texts):
        raise UsageError("a claim must be text in the formula language")
    named = [_split_named(t) for t in texts]
    if layout.kind != "derivative":
        if len(texts) != 1 or named[0][0] is not None:
            raise UsageError(f"a {layout.kind} claim is one list of lists, like --claim \"[[a, b], [c, d]]\"")
        return _read_matrix(texts[0], layout, function, constants)
    if any(name is not None for name, _, _ in named):
        if any(name is None for name, _, _ in named):
            raise UsageError("--claim: either name every claim ('x: EXPR') or none of them")
        return _read_named(texts, named, layout, function, constants)
    parts: list[str] | None = None
    if len(texts) == 1:
        graph = _parse_part(texts[0], "--claim")
        nodes = list(graph.outputs)
        parts = [texts[0].strip()] if len(nodes) == 1 else None
    else:
        parts = [t.strip() for t in texts]
        graph = Graph()
        nodes = []
        for k, text in enumerate(texts):
            part = _parse_part(text, f"--claim {k + 1}")
            if len(part.outputs) != 1:
                raise UsageError(f"--claim {k + 1}: one expression per --claim, or one list in a single --claim")
            nodes.append(graph.import_graph(part)[part.outputs[0]])
    _check_names(graph, function, constants, "--claim")
    wanted = len(layout.wrt)
    if len(nodes) != wanted:
        variables = ", ".join(layout.wrt)
        if len(nodes) == 1:
            raise UsageError(f"f has {wanted} variables ({variables}): name each part of the gradient "
                             "(--claim \"x: EXPR\" --claim \"y: EXPR\"), give a list in --wrt order, or pick one with --wrt")
        raise UsageError(f"the claim has {len(nodes)} components but the gradient has {wanted} ({variables})")
    return Claim("; ".join(texts), graph, [Component((k,), layout.label((k,)), node) for k, node in enumerate(nodes)],
                 parts)


def _read_named(texts: list[str], named: list[tuple[str | None, str, int]], layout: Layout, function: Graph,
                constants: list[str]) -> Claim:
    graph = Graph()
    by_name: dict[str, int] = {}
    bodies: dict[str, str] = {}
    for name, body, offset in named:
        assert name is not None
        what = f"--claim '{name}: …'"
        if name not in function.variables:
            listed = ", ".join(function.variables) or "none"
            raise UsageError(f"{what}: '{name}' is not a variable of f (variables: {listed})", column=1)
        if name in constants:
            raise UsageError(f"{what}: '{name}' is a --let constant and is not differentiated")
        if layout.wrt and name not in layout.wrt:
            raise UsageError(f"{what}: '{name}' is not among --wrt ({', '.join(layout.wrt)})")
        if name in by_name:
            raise UsageError(f"{what}: '{name}' is claimed twice")
        part = _parse_part(body, what, offset)
        if len(part.outputs) != 1:
            raise UsageError(f"{what}: one expression per variable")
        _check_names(part, function, constants, what)
        by_name[name] = graph.import_graph(part)[part.outputs[0]]
        bodies[name] = body.strip()
    missing = [name for name in layout.wrt if name not in by_name]
    if missing:
        raise UsageError(f"--claim: no claim for '{missing[0]}' (claimed: {', '.join(by_name)}); "
                         "leave it out of --wrt to check the others only")
    return Claim("; ".join(texts), graph, [Component((k,), layout.label((k,)), by_name[name])
                                          for k, name in enumerate(layout.wrt)], [bodies[name] for name in layout.wrt])


def claimed_variables(texts: list[str]) -> list[str] | None:
    """The variables named in 'x: EXPR' claims, in the order given (None if unnamed)."""
    names = [_split_named(t)[0] for t in texts if isinstance(t, str)]
    return [n for n in names if n is not None] or None


def _read_matrix(text: str, layout: Layout, function: Graph, constants: list[str]) -> Claim:
    graph = _parse_part(text, "--claim")
    _check_names(graph, function, constants, "--claim")
    rows_wanted, columns_wanted = layout.shape()
    rows: list[list[int]] = []
    for output in graph.outputs:
        if graph.ops[output] == "stack":
            rows.append(list(graph.inputs[output]))
        else:
            rows.append([output])
    if all(len(row) == 1 for row in rows) and rows_wanted == 1 and columns_wanted == len(rows):
        rows = [[row[0] for row in rows]]  # a flat list for a one-row Jacobian
    if len(rows) != rows_wanted or any(len(row) != columns_wanted for row in rows):
        got = f"{len(rows)} row{'s' if len(rows) != 1 else ''} of " + "/".join(sorted({str(len(r)) for r in rows}))
        raise UsageError(f"the {layout.kind} claim must be {rows_wanted}×{columns_wanted} "
                         f"(rows: {'outputs of f' if layout.kind == 'jacobian' else ', '.join(layout.wrt)}; "
                         f"columns: {', '.join(layout.wrt)}), got {got} entries")
    components = []
    for i, row in enumerate(rows):
        for j, node in enumerate(row):
            if graph.ops[node] == "stack":
                raise UsageError(f"the {layout.kind} claim's entry [{i}][{j}] is a list, not a number")
            components.append(Component((i, j), layout.label((i, j)), node))
    return Claim(text, graph, components)


def read_claims_file(path: str | Path) -> list[tuple[str, list[str]]]:
    """Rows of a CSV of answers: an id, then the claim (one cell, or one cell per component).

    A first row whose first cell is `id` is a header. Empty lines are skipped.
    """
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--claims-file: no such file: {path}")
    rows: list[tuple[str, list[str]]] = []
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                cells = [cell.strip() for cell in row]
                if not any(cells):
                    continue
                if number == 1 and cells[0].lower() == "id":
                    continue
                claims = [cell for cell in cells[1:] if cell]
                if not claims:
                    raise UsageError(f"--claims-file {path}: row {number} has an id but no claim")
                rows.append((cells[0], claims))
                if len(rows) > MAX_CLAIMS_FILE_ROWS:
                    raise UsageError(f"--claims-file: more than {MAX_CLAIMS_FILE_ROWS:,} rows")
    except (UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"--claims-file {path}: cannot read it as CSV: {error}") from None
    if not rows:
        raise UsageError(f"--claims-file {path}: no answers in the file")
    return rows
