"""Formula or program text → `Graph`, through the standard library's `ast` and a whitelist.

Nothing in the text is ever executed: `ast.parse` only builds a syntax tree, which
`expressions.ExpressionBuilder` walks (iteratively, so a 100,000-term sum is fine) for a
formula — assignments and a final expression — and `program.Interpreter` runs for a
program with control flow (`if`, `while`, `for`, `def`, ...). Anything else is a
`UsageError` naming the line and column where it starts.

`parse(text)` is the graph of a formula, the same at every point. `parse_at(text,
point)` is the graph of the path a program takes at a point (define-by-run); for a
formula it is the same graph as `parse`.

>>> g = parse("a*(a+b)")
>>> [g.ops[n] for n in range(len(g))]
['var', 'var', 'add', 'mul']
"""

from __future__ import annotations

import ast
from typing import Any, Mapping

from diffcli.ad.expressions import MAX_NODES, ExpressionBuilder
from diffcli.ad.graph import Graph
from diffcli.ad.language import CONSTANTS, FUNCTIONS, Function
from diffcli.ad.program import run_program
from diffcli.ad.source import Source, check_characters, collector_paused, parse_tree
from diffcli.errors import UsageError

MAX_SOURCE_CHARS = 5_000_000

__all__ = ["CONSTANTS", "FUNCTIONS", "Function", "MAX_NODES", "MAX_SOURCE_CHARS", "parse", "parse_at", "prepare"]


def prepare(text: str) -> tuple[Source, ast.Module]:
    """Check the text (length, characters) and parse it into a syntax tree, columns kept."""
    if not isinstance(text, str):
        raise UsageError("the expression must be text")
    if len(text) > MAX_SOURCE_CHARS:
        raise UsageError(f"expression too long: {len(text):,} characters (at most {MAX_SOURCE_CHARS:,})")
    if not text.strip():
        raise UsageError("the expression is empty")
    check_characters(text)
    body = text.strip("\n").rstrip()
    stripped = body.lstrip(" \t")
    # " -x" is how a formula starting with '-' gets past the option parser: allow the indent.
    source = Source(stripped, indent=len(body) - len(stripped))
    return source, parse_tree(source)


def is_program(module: ast.Module) -> bool:
    """Does the text use statements beyond a formula's assignments and final expression?"""
    return any(not isinstance(s, (ast.Assign, ast.Expr)) for s in module.body)


def parse_at(text: str, point: Mapping[str, Any] | None, *, list_is_tensor: bool = False,
             given: frozenset[str] | None = None) -> Graph:
    """The graph of `text` at `point`: for a program, the path its decisions take there.

    `given` are the names a program may not assign to (default: the point's names).
    Without a point (None), a decision that depends on a variable is a `UsageError`.

    >>> g = parse_at("if x > 0:\\n    y = x\\nelse:\\n    y = -x\\ny", {"x": -2.0})
    >>> g.ops, [d.outcome for d in g.decisions]
    (['var', 'const', 'gt', 'neg'], [False])
    """
    with collector_paused():
        source, module = prepare(text)
        if is_program(module):
            graph = run_program(source, module, text, point, given).graph
        else:
            builder = ExpressionBuilder(source, text, point)
            if given is not None:
                builder.given = given
            builder.list_is_tensor = list_is_tensor  # a value like [[1,2],[3,4]] is one matrix
            graph = builder.straight_line(module)
    if graph.decisions:
        graph.rerun = lambda other: parse_at(text, other, list_is_tensor=list_is_tensor, given=frozenset())
    return graph


def parse(text: str, *, list_is_tensor: bool = False) -> Graph:
    """Parse a formula or program into a graph; raise `UsageError` with the column.

    A top-level list `[f1, f2]` is a vector-valued function (one output per entry)
    unless `list_is_tensor`, when it is a single stacked tensor. A program whose path
    depends on its variables' values needs a point: use `parse_at`.

    >>> g = parse("c = a + b; d = a*c")
    >>> g.labels[g.outputs[0]], sorted(g.variables)
    ('d', ['a', 'b'])
    """
    return parse_at(text, None, list_is_tensor=list_is_tensor)
