"""The computation graph as a picture: an indented tree, Graphviz DOT, Mermaid, or plain data.

The graph is hash-consed, so a shared subexpression is one node and is drawn once:
in DOT and Mermaid it has several outgoing edges; in the tree it is expanded the
first time and referred to (`↑ name`) afterwards. At a point, each node carries its
value and its adjoint ∂f/∂vᵢ — the `grad_fn` chain of a define-by-run framework made
visible; at a point each edge carries its local derivative ∂to/∂from (`Partial`), so
the picture is the backward pass. Everything here returns text or plain data; images
are drawn by `views.plots.graph` (Graphviz when installed, else matplotlib).

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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diffcli.ad.evaluate import Point, evaluate, hidden_undefined, is_finite, nonfinite_reason
from diffcli.views.summary import summarised
from diffcli.ad.graph import Graph
from diffcli.ad.ops import MINUS_ONE, ONE, PRIMITIVES, vjp_rule
from diffcli.views.naming import constant_text, node_expression, node_names, op_symbol, public_op
from diffcli.ad.flat import ones_like
from diffcli.ad.reverse import vjp_sweep
from diffcli.ad.text import value_text
from diffcli.views.rule_text import partial_texts

FORMATS = ("tree", "dot", "mermaid", "json")


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
    partials: list["Partial | None"] = field(default_factory=list)  # at a point: one per input


@dataclass
class Partial:
    """The local derivative ∂node/∂input on one edge: as a formula over the names, and its value."""

    of: str
    by: str
    formula: str | None  # 'a' for ∂d/∂c of d = a*c; None when the op has no one-line rule
    value: Any

    def label(self) -> str:
        """'∂d/∂c = a = 2' (the formula left out when it is the number itself)."""
        number = value_text(self.value, 6, entry_digits=4)
        shown = [f"∂{_atom(self.of)}/∂{_atom(self.by)}"]
        if self.formula is not None and self.formula != number:
            shown.append(self.formula)
        return " = ".join([*shown, number])


@dataclass
class Picture:
    """The nodes the outputs depend on, in evaluation order, with the outputs listed."""

    nodes: list[Node]
    outputs: list[int]
    at_point: bool = False
    notes: list[str] = field(default_factory=list)

    def edges(self) -> list[tuple[int, int, int | None]]:
        """(from, to, argument number or None when the op is symmetric)."""
        return [(source, target, argument) for source, target, argument, _ in self.edges_with_partials()]

    def edges_with_partials(self) -> list[tuple[int, int, int | None, Partial | None]]:
        """The edges, each with its local derivative ∂to/∂from at the point (None without one)."""
        result = []
        for node in self.nodes:
            # The inputs of a commutative op may be swapped: its edges need no argument numbers.
            numbered = len(node.inputs) > 1 and not PRIMITIVES[node.op].commutative
            for position, parent in enumerate(node.inputs):
                partial = node.partials[position] if position < len(node.partials) else None
                result.append((parent, node.id, position + 1 if numbered else None, partial))
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
        hidden = hidden_undefined(graph, values, [r for r in roots if is_finite(values[r])])
        if hidden:
            notes.append(f"undefined inside the formula (a later operation hides it): {hidden}")
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
            partials=local_partials(graph, node, names, values) if values is not None else [],
        ))
    return Picture(nodes, roots, point is not None, notes)


def _atom(name: str) -> str:
    """A node name ready to follow ∂: '∂f/∂y' (a gradient graph's node) in parentheses."""
    return f"({name})" if any(ch in name for ch in "/ ") else name


def local_partials(graph: Graph, node: int, names: dict[int, str], values: list[Any]) -> list[Partial | None]:
    """∂node/∂input at the point for each input edge: what the backward pass multiplies by there.

    Elementwise ops read their partials from the op table (the same rule AD runs, also
    written as a formula by `rule_text`); a structural op with a scalar result and a
    scalar input gets the number from its VJP rule with cotangent 1. Tensor-to-tensor
    edges are Jacobians, too big for a label: None.
    """
    op = graph.ops[node]
    if op in ("var", "const"):
        return []
    primitive = PRIMITIVES[op]
    parents = graph.inputs[node]
    args = [values[j] for j in parents]
    ans = values[node]
    texts = partial_texts(graph, node, names, values) if primitive.partials is not None else None
    result: list[Partial | None] = []
    with np.errstate(all="ignore"):
        for k, parent in enumerate(parents):
            of, by = names.get(node, "f"), names.get(parent, constant_text(graph.attr(parent, "value"))
                                                    if graph.ops[parent] == "const" else f"#{parent}")
            if graph.ops[parent] == "const":  # nothing flows back into a number: no label
                result.append(None)
                continue
            if not primitive.differentiable:
                result.append(Partial(of, by, None, np.float64(0.0)))
                continue
            value = _partial_value(primitive, k, ans, args, dict(graph.attrs[node]))
            if value is None:
                result.append(None)
                continue
            formula = texts[k] if texts is not None else None
            formula = {ONE: "1", MINUS_ONE: "-1"}.get(formula, formula) if isinstance(formula, str) else None
            result.append(Partial(of, by, formula, value))
    return result


def _partial_value(primitive: Any, k: int, ans: Any, args: list[Any], attrs: dict[str, Any]) -> Any:
    if primitive.partials is not None:
        rule = primitive.partials[k]
        partial = rule(ans, *args) if rule is not None else np.float64(0.0)
        partial = {ONE: 1.0, MINUS_ONE: -1.0}.get(partial, partial) if isinstance(partial, str) else partial
        # Broadcast to the result's shape: x*2 with x a vector has partial 2 in every entry.
        return np.broadcast_to(np.asarray(partial, dtype=np.float64), np.shape(ans)) if np.ndim(ans) else \
            np.float64(partial)
    if np.ndim(ans) or np.ndim(args[k]):
        return None
    rule = vjp_rule(primitive, k)
    if rule is None:
        return np.float64(0.0)
    contribution = rule(np.float64(1.0), ans, *args, **attrs)
    return np.float64(0.0) if contribution is None else np.float64(contribution)


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


MAX_TREE_DEPTH = 24  # deeper subtrees start a tree of their own: the text stays linear in the graph


def tree_text(picture: Picture) -> str:
    """An indented tree per output; a shared node is expanded once, then shown as '↑ name'.

    A node deeper than MAX_TREE_DEPTH is drawn as '↓ name' and expanded in a tree of its
    own further down, so a long chain of statements does not indent each line by its
    depth (which made the text grow with the square of the program's length).
    """
    by_id = {node.id: node for node in picture.nodes}
    expanded: set[int] = set()
    lines: list[str] = []
    trees = list(reversed(picture.outputs))
    while trees:
        root = trees.pop()
        if root in expanded:
            continue
        if lines:
            lines.append("")
        # Iterative depth-first walk: (node id, prefix for its line, prefix for its children, depth).
        stack: list[tuple[int, str, str, int]] = [(root, "", "", 0)]
        while stack:
            node_id, lead, child_lead, depth = stack.pop()
            node = by_id[node_id]
            leaf = node.op in ("var", "const")
            if node_id in expanded and not leaf:
                lines.append(f"{lead}↑ {node.name}")
                continue
            if depth > MAX_TREE_DEPTH and not leaf:
                lines.append(f"{lead}↓ {node.name} (drawn below)")
                trees.insert(0, node_id)
                continue
            extra = _annotations(node, picture)
            suffix = f"   [{', '.join(extra)}]" if extra else ""
            lines.append(f"{lead}{_title(node)}{suffix}")
            expanded.add(node_id)
            children = node.inputs
            for position in range(len(children) - 1, -1, -1):
                last = position == len(children) - 1
                stack.append((children[position], child_lead + ("└── " if last else "├── "),
                              child_lead + ("    " if last else "│   "), depth + 1))
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
    for source, target, argument, partial in picture.edges_with_partials():
        texts = ([f"({argument})"] if argument is not None else []) + ([partial.label()] if partial else [])
        label = f" [label={_dot_quote(' '.join(texts))}]" if texts else ""
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
            entry["value"] = summarised(node.value)
            if node.adjoint is not None:
                entry["adjoint"] = summarised(node.adjoint)
        nodes.append(entry)
    edges = []
    for source, target, argument, partial in picture.edges_with_partials():
        edge: dict[str, Any] = {"from": source, "to": target, "arg": argument}
        if picture.at_point:
            # ∂to/∂from at the point: what the backward pass multiplies the adjoint by on this edge.
            edge["partial"] = summarised(partial.value) if partial is not None else None
            edge["partial_expr"] = partial.formula if partial is not None else None
        edges.append(edge)
    return {"nodes": nodes, "edges": edges, "outputs": picture.outputs}
