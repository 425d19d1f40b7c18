"""How the views (trace, graph pictures, derivative programs) name and write graph nodes.

A node is called by its variable name or the name the program assigned to it
(`c = a + b`), else v1, v2, … in evaluation order, as the AD literature writes an
evaluation trace. Constants are not named: they are written inline as numbers.
Internal ops that only derivative graphs contain are shown as the user would write
them: `smul` (the chain rule's strong-zero product) is `*`.

>>> from diffcli.ad.parse import parse
>>> g = parse("c = a + b; d = a*sin(c)")
>>> names = node_names(g, g.outputs)
>>> [node_expression(g, n, names) for n in range(len(g)) if g.ops[n] not in ("var", "const")]
['a + b', 'sin(c)', 'a * v1']
"""

from __future__ import annotations

from typing import Any

from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.text import value_text


def public_op(op: str) -> str:
    """The op name a user knows: `smul` (derivative-rule plumbing) is `mul`."""
    primitive = PRIMITIVES.get(op)
    return primitive.public if primitive is not None and primitive.public else op


def op_symbol(op: str) -> str:
    """'+', '*', 'sin', … : the op as it is written in a formula."""
    primitive = PRIMITIVES.get(public_op(op))
    return primitive.symbol if primitive is not None and primitive.symbol else public_op(op)


def _is_prefix(op: str) -> bool:
    primitive = PRIMITIVES.get(op)
    return primitive is not None and primitive.prefix


def _precedence(op: str) -> int | None:
    primitive = PRIMITIVES.get(op)
    return primitive.precedence if primitive is not None else None


def constant_text(value: Any) -> str:
    """A constant as a number a person reads: 3, 0.5, 3.14159265358979, [1, 2]."""
    return value_text(value, 15, whole=True, too_many="constant")


def node_names(graph: Graph, roots: list[int]) -> dict[int, str]:
    """A name for every non-constant node `roots` depend on: program names, else v1, v2, …"""
    needed = graph.ancestors(roots)
    names: dict[int, str] = {}
    taken = set(graph.variables) | set(graph.labels.values())
    counter = 0
    used: set[str] = set()
    for node in range(len(graph)):
        if not needed[node] or graph.ops[node] == "const":
            continue
        given = graph.name_of(node)
        if given is None:
            counter += 1
            while f"v{counter}" in taken:
                counter += 1
            given = f"v{counter}"
        # `x = x*2` labels a new node with a variable's name: tell them apart as x and x′.
        while given in used:
            given += "′"
        used.add(given)
        names[node] = given
    return names


def operand_text(graph: Graph, node: int, names: dict[int, str]) -> str:
    """An input as it appears inside another node's expression: its name or its value."""
    if graph.ops[node] == "const":
        return constant_text(graph.attr(node, "value"))
    return names.get(node, f"#{node}")


def _index_text(index: tuple) -> str:
    parts = []
    for part in index:
        if part[0] == "slice":
            low, high, step = (("" if b is None else str(b)) for b in part[1:])
            parts.append(f"{low}:{high}" + (f":{step}" if step else ""))
        else:
            parts.append(str(part[1]))
    return ", ".join(parts)


def node_expression(graph: Graph, node: int, names: dict[int, str]) -> str:
    """The right-hand side defining `node`, e.g. 'a + b', 'sin(c)', 'x[0]', 'where(v1, a, b)'."""
    op = graph.ops[node]
    if op == "var":
        return graph.attr(node, "name")
    if op == "const":
        return constant_text(graph.attr(node, "value"))
    args = [operand_text(graph, j, names) for j in graph.inputs[node]]
    attrs = graph.attr_dict(node)
    public = public_op(op)
    symbol = op_symbol(op)
    if _is_prefix(public):
        return f"{symbol} {args[0]}" if symbol.isalpha() else f"{symbol}{args[0]}"
    if public == "index":
        return f"{args[0]}[{_index_text(attrs['index'])}]"
    if public == "transpose":
        return f"{args[0]}.T"
    if public == "stack":
        return "[" + ", ".join(args) + "]"
    if len(args) == 2 and symbol != public:
        return f"{args[0]} {symbol} {args[1]}"
    extra = [f"{key}={value}" for key, value in attrs.items()]
    return f"{public}({', '.join(args + extra)})"


def program_text(graph: Graph, roots: list[int], root_names: list[str] | None = None) -> str:
    """The nodes `roots` depend on as a program, one assignment per line (sharing kept).

    >>> from diffcli.ad.parse import parse
    >>> g = parse("a*(a+b)")
    >>> print(program_text(g, g.outputs, ["f"]))
    v1 = a + b
    f = a * v1
    """
    names = node_names(graph, roots)
    for root, name in zip(roots, root_names or []):
        if graph.ops[root] not in ("var", "const"):
            names[root] = name
    lines = []
    needed = graph.ancestors(roots)
    for node in range(len(graph)):
        if needed[node] and graph.ops[node] not in ("var", "const"):
            lines.append(f"{names[node]} = {node_expression(graph, node, names)}")
    for root, name in zip(roots, root_names or []):
        if graph.ops[root] in ("var", "const"):
            lines.append(f"{name} = {operand_text(graph, root, names)}")
    return "\n".join(lines)


def inline_expression(graph: Graph, root: int, names: dict[int, str]) -> str:
    """`root` written out as one expression over named nodes and constants, e.g. '1 / sqrt(1 - x * x)'.

    Nodes in `names` are leaves (written by name); everything else is expanded, with
    parentheses only where precedence needs them. Iterative, like every graph walk here.
    """
    texts: dict[int, tuple[str, int]] = {}  # node -> (text, precedence; 9 = atom)
    stack = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node in texts:
            continue
        if node in names or graph.ops[node] in ("var", "const"):
            texts[node] = (operand_text(graph, node, names) if node in names or graph.ops[node] == "const"
                           else graph.attr(node, "name"), 9)
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((parent, False) for parent in graph.inputs[node])
            continue
        op = public_op(graph.ops[node])
        args = [texts[parent] for parent in graph.inputs[node]]
        level = _precedence(op)
        if level is None or len(args) > 2:
            # Arguments of a call need no parentheses; operands of an infix comparison might.
            infix = (len(args) == 2 and op_symbol(op) != op) or op in ("index", "transpose")
            inner = {j: f"({text})" if infix and prec < 9 else text for j, (text, prec) in zip(graph.inputs[node], args)}
            texts[node] = (node_expression(graph, node, {**names, **inner}), 9)
        elif _is_prefix(op):
            text, prec = args[0]
            texts[node] = (f"{op_symbol(op)}{text if prec > level else f'({text})'}", level)
        else:
            (left, left_prec), (right, right_prec) = args
            # + - * / associate to the left (a right operand of - or / at the same level needs
            # parentheses); ** associates to the right.
            left_ok = left_prec > level or (left_prec == level and op != "pow")
            right_ok = right_prec > level or (right_prec == level and op in ("add", "mul", "pow"))
            texts[node] = (f"{left if left_ok else f'({left})'} {op_symbol(op)} {right if right_ok else f'({right})'}",
                           level)
    return texts[root][0]
