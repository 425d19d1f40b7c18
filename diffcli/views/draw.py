"""The computation graph as a picture: an indented tree, Graphviz DOT, Mermaid, or plain data.

The graph is hash-consed, so a shared subexpression is one node and is drawn once:
in DOT and Mermaid it has several outgoing edges; in the tree it is expanded the
first time and referred to (`↑ name`) afterwards. At a point, each node carries its
value and its adjoint ∂f/∂vᵢ — the `grad_fn` chain of a define-by-run framework made
visible. Everything here returns text or plain data; rendering an image through the
Graphviz `dot` program is `render_image`.

>>> from diffcli.ad.parse import parse
>>> g = parse("a*(a+b)")
>>> print(tree_text(describe(g)))
v2 = *
├── a
└── v1 = +
    ├── a
    └── b
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from diffcli.errors import DiffcliError, UsageError
from diffcli.ad.evaluate import Point, evaluate, is_finite, nonfinite_reason
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.views.naming import constant_text, node_expression, node_names, op_symbol, public_op
from diffcli.ad.flat import ones_like
from diffcli.ad.reverse import vjp_sweep
from diffcli.ad.text import value_text

FORMATS = ("tree", "dot", "mermaid", "json")
IMAGE_SUFFIXES = (".svg", ".png", ".pdf")
GRAPHVIZ_HINT = ("Graphviz's `dot` program is needed to render images; install it "
                 "(apt install graphviz, brew install graphviz, conda install graphviz) "
                 "or write the DOT text with --output FILE.dot and render it elsewhere")


@dataclass
class Node:
    """One drawn node: its id, name, op and inputs, and (at a point) value and adjoint."""

    id: int
    name: str
    op: str
    symbol: str
    expression: str
    inputs: list[int]
    output: bool = False
    value: Any = None
    adjoint: Any = None


@dataclass
class Picture:
    """The nodes the outputs depend on, in evaluation order, with the outputs listed."""

    nodes: list[Node]
    outputs: list[int]
    at_point: bool = False
    notes: list[str] = field(default_factory=list)

    def edges(self) -> list[tuple[int, int, int | None]]:
        """(from, to, argument number or None when the op is symmetric)."""
        result = []
        for node in self.nodes:
            # The inputs of a commutative op may be swapped: its edges need no argument numbers.
            numbered = len(node.inputs) > 1 and not PRIMITIVES[node.op].commutative
            for position, parent in enumerate(node.inputs):
                result.append((parent, node.id, position + 1 if numbered else None))
        return result


def describe(graph: Graph, point: Point | None = None, wrt: list[str] | None = None,
             outputs: list[int] | None = None, with_adjoints: bool = True) -> Picture:
    """The drawable graph of `outputs` (default: the graph's); with a point, values and adjoints.

    Adjoints are those of the single output (with several outputs they are left out,
    since they would depend on a chosen cotangent).
    """
    roots = list(graph.outputs if outputs is None else outputs)
    names = node_names(graph, roots)
    needed = graph.ancestors(roots)
    values: list[Any] | None = None
    adjoints: list[Any] | None = None
    notes: list[str] = []
    if point is not None:
        values = evaluate(graph, point, upto=roots)
        notes.extend(nonfinite_reason(graph, values, root) for root in roots if not is_finite(values[root]))
        if not with_adjoints:
            pass
        elif len(roots) == 1:
            variables = [graph.variables[n] for n in (wrt if wrt is not None else graph.variables) if n in graph.variables]
            with np.errstate(all="ignore"):
                adjoints = vjp_sweep(graph, values, {roots[0]: ones_like(values[roots[0]])}, variables)
        else:
            notes.append("adjoints are shown for a single output only")
    nodes = []
    for node in range(len(graph)):
        if not needed[node]:
            continue
        op = graph.ops[node]
        name = names.get(node, constant_text(graph.attr(node, "value")) if op == "const" else f"#{node}")
        nodes.append(Node(
            # An op with attributes (an index, an axis) is shown whole: x[0], sum(x, axis=0).
            id=node, name=name, op=public_op(op),
            symbol=node_expression(graph, node, names) if graph.attrs[node] and op not in ("var", "const")
            else op_symbol(op),
            expression=node_expression(graph, node, names), inputs=list(graph.inputs[node]),
            output=node in roots,
            value=values[node] if values is not None else None,
            adjoint=adjoints[node] if adjoints is not None else None,
        ))
    return Picture(nodes, roots, point is not None, notes)


# ----------------------------------------------------------------------- text forms


def _title(node: Node) -> str:
    """'c = +' for an op, 'a' for a variable, '3' for a constant."""
    if node.op in ("var", "const"):
        return node.name
    return f"{node.name} = {node.symbol}"


def _annotations(node: Node, picture: Picture) -> list[str]:
    if not picture.at_point:
        return []
    lines = [f"value {value_text(node.value, 6, entry_digits=4)}"]
    if node.adjoint is not None:
        lines.append(f"adjoint {value_text(node.adjoint, 6, entry_digits=4)}")
    return lines


def tree_text(picture: Picture) -> str:
    """An indented tree per output; a shared node is expanded once, then shown as '↑ name'."""
    by_id = {node.id: node for node in picture.nodes}
    expanded: set[int] = set()
    lines: list[str] = []
    for root in picture.outputs:
        # Iterative depth-first walk: (node id, prefix for its line, prefix for its children).
        stack: list[tuple[int, str, str]] = [(root, "", "")]
        while stack:
            node_id, lead, child_lead = stack.pop()
            node = by_id[node_id]
            extra = _annotations(node, picture)
            suffix = f"   [{', '.join(extra)}]" if extra else ""
            leaf = node.op in ("var", "const")
            if node_id in expanded and not leaf:
                lines.append(f"{lead}↑ {node.name}")
                continue
            lines.append(f"{lead}{_title(node)}{suffix}")
            expanded.add(node_id)
            children = node.inputs
            for position in range(len(children) - 1, -1, -1):
                last = position == len(children) - 1
                stack.append((children[position], child_lead + ("└── " if last else "├── "),
                              child_lead + ("    " if last else "│   ")))
    return "\n".join(lines)


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_text(picture: Picture) -> str:
    """Graphviz DOT: inputs at the top, outputs (double outline) at the bottom."""
    lines = ["digraph diffcli {", "  rankdir=TB;", '  node [fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for node in picture.nodes:
        label = "\n".join([_title(node), *_annotations(node, picture)])
        shape = {"var": "ellipse", "const": "plaintext"}.get(node.op, "box")
        extra = ", peripheries=2" if node.output else ""
        lines.append(f"  n{node.id} [label={_dot_quote(label)}, shape={shape}{extra}];")
    for source, target, argument in picture.edges():
        label = f" [label={_dot_quote(str(argument))}]" if argument is not None else ""
        lines.append(f"  n{source} -> n{target}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_quote(text: str) -> str:
    escaped = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return '"' + escaped.replace("\n", "<br/>") + '"'


def mermaid_text(picture: Picture) -> str:
    """A Mermaid flowchart (renders in GitHub Markdown, mermaid.live, …)."""
    lines = ["flowchart TB"]
    for node in picture.nodes:
        label = _mermaid_quote("\n".join([_title(node), *_annotations(node, picture)]))
        if node.op == "var":
            lines.append(f"  n{node.id}([{label}])")
        elif node.output:
            lines.append(f"  n{node.id}[[{label}]]")
        else:
            lines.append(f"  n{node.id}[{label}]")
    for source, target, argument in picture.edges():
        arrow = f"-->|{argument}|" if argument is not None else "-->"
        lines.append(f"  n{source} {arrow} n{target}")
    return "\n".join(lines) + "\n"


def json_data(picture: Picture) -> dict[str, Any]:
    """Nodes and edges as plain data (DESIGN §4, `graph --json`)."""
    nodes = []
    for node in picture.nodes:
        entry: dict[str, Any] = {"id": node.id, "name": node.name, "op": node.op, "expr": node.expression,
                                 "inputs": node.inputs, "output": node.output}
        if picture.at_point:
            entry["value"] = node.value
            if node.adjoint is not None:
                entry["adjoint"] = node.adjoint
        nodes.append(entry)
    edges = [{"from": s, "to": t, "arg": a} for s, t, a in picture.edges()]
    return {"nodes": nodes, "edges": edges, "outputs": picture.outputs}


def render_image(dot: str, path: Path) -> None:
    """Write an SVG/PNG/PDF of the DOT text with Graphviz; a clear error when it is missing."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise UsageError(f"--output: cannot render '{suffix or path.name}' images (use .svg, .png or .pdf)")
    program = shutil.which("dot")
    if program is None:
        raise DiffcliError(GRAPHVIZ_HINT)
    try:
        completed = subprocess.run([program, f"-T{suffix[1:]}", "-o", str(path)], input=dot, text=True,
                                   capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DiffcliError(f"Graphviz failed to run: {error}") from None
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["no message"])[0]
        raise DiffcliError(f"Graphviz could not render {path}: {reason}")
