"""The derivative rule of one trace step, written out: ḋ = c·ȧ + a·ċ, or ā += d̄·c.

The text is not a second copy of the rules: the op's partial derivatives come from the
op table, run in graph mode on a scratch tape whose inputs are named like the
trace's nodes, and the resulting little graph is printed. So the rule shown is the rule
AD applied. Only elementwise ops have partials; structural ones (indexing, stacking,
`where`) push whole tensors through linear maps and get no one-line rule.

>>> from diffcli.ad.parse import parse
>>> from diffcli.ad.evaluate import evaluate
>>> from diffcli.views.naming import node_names
>>> g = parse("c = a + b; d = a*sin(c)")
>>> names, values = node_names(g, g.outputs), evaluate(g, {"a": 2.0, "b": 3.0})
>>> tangent_rule(g, 4, names, values), adjoint_rule(g, 4, names, values)
('ḋ = v1·ȧ + a·v̇1', 'ā += d̄·v1; v̄1 += d̄·a')
>>> tangent_rule(g, 3, names, values)
'v̇1 = cos(c)·ċ'
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np

from diffcli.ad.graph import Graph
from diffcli.views.naming import constant_text, inline_expression
from diffcli.ad.ops import MINUS_ONE, ONE, PRIMITIVES
from diffcli.ad.tape import Ref, Tape

DOT, BAR = "\u0307", "\u0304"  # combining dot above (tangent), macron (adjoint)


def marked(name: str, mark: str) -> str:
    """'ȧ', 'v̇1': the mark goes on the first letter, as in v̇₁ (NFC, so 'ȧ' is one character)."""
    return unicodedata.normalize("NFC", name[0] + mark + name[1:])


def partial_texts(graph: Graph, node: int, names: dict[int, str], values: list[Any]) -> list[str | None] | None:
    """∂node/∂(input k) as text over the trace's names (None: zero), or None for a structural op."""
    primitive = PRIMITIVES[graph.ops[node]]
    if primitive.partials is None:
        return None
    scratch = Graph()
    scratch_values: dict[int, Any] = {}
    leaves = []
    for parent in graph.inputs[node]:
        if graph.ops[parent] == "const":
            leaf = scratch.const(graph.attr(parent, "value"))
        else:
            leaf = scratch.var(names[parent])
        scratch_values[leaf] = values[parent]
        leaves.append(leaf)
    answer = scratch.var(names[node])
    scratch_values[answer] = values[node]
    tape = Tape(scratch, [scratch_values[n] for n in range(len(scratch))])
    leaf_names = {n: scratch.attr(n, "name") for n in range(len(scratch)) if scratch.ops[n] == "var"}
    texts: list[str | None] = []
    with np.errstate(all="ignore"):
        for rule, leaf in zip(primitive.partials, leaves):
            partial = rule(tape.ref(answer), *[tape.ref(n) for n in leaves]) if rule is not None else None
            if partial is None or partial is ONE or partial is MINUS_ONE:
                texts.append(partial)
            elif isinstance(partial, Ref):
                texts.append(inline_expression(scratch, partial.node, leaf_names))
            else:
                texts.append(constant_text(partial))
    return texts


def _factor(text: str) -> str:
    """`text` ready to stand next to '·': parenthesised unless it is a name, number or call."""
    depth = 0
    for ch in text:
        depth += ch in "(["
        depth -= ch in ")]"
        if ch == " " and depth == 0:
            return f"({text})"
    return text


def _times(partial: str, name: str) -> str:
    if partial is ONE:
        return name
    if partial is MINUS_ONE:
        return f"-{name}"
    return f"{_factor(partial)}·{name}"


def tangent_rule(graph: Graph, node: int, names: dict[int, str], values: list[Any]) -> str | None:
    """'ḋ = c·ȧ + a·ċ' for an elementwise op; None where there is no one-line rule."""
    op = graph.ops[node]
    if op in ("var", "const"):
        return None
    if not PRIMITIVES[op].differentiable:
        return f"{marked(names[node], DOT)} = 0"
    partials = partial_texts(graph, node, names, values)
    if partials is None:
        return None
    terms = [_times(p, marked(names[parent], DOT)) for parent, p in zip(graph.inputs[node], partials)
             if p is not None and graph.ops[parent] != "const"]
    text = " + ".join(terms).replace("+ -", "- ") if terms else "0"
    return f"{marked(names[node], DOT)} = {text}"


def adjoint_rule(graph: Graph, node: int, names: dict[int, str], values: list[Any]) -> str | None:
    """'ā += d̄·c; c̄ += d̄·a' for an elementwise op; None where there is no one-line rule."""
    op = graph.ops[node]
    if op in ("var", "const"):
        return None
    if not PRIMITIVES[op].differentiable:
        return "nothing flows back"
    partials = partial_texts(graph, node, names, values)
    if partials is None:
        return None
    bar = marked(names[node], BAR)
    parts = []
    for parent, partial in zip(graph.inputs[node], partials):
        if partial is None or graph.ops[parent] == "const":
            continue
        if partial is ONE:
            update = bar
        elif partial is MINUS_ONE:
            update = f"-{bar}"
        else:
            update = f"-{bar}·{_factor(partial[1:])}" if partial.startswith("-") else f"{bar}·{_factor(partial)}"
        parts.append(f"{marked(names[parent], BAR)} += {update}")
    return "; ".join(parts) if parts else "nothing flows back"
