"""The intermediate representation: a hash-consed DAG of primitive applications.

Nodes are appended in topological order (an input always has a smaller id than its
user), so every algorithm over a graph is a plain loop over ids — no recursion, no
depth limit. Adding a node that already exists (same op, same inputs, same attributes)
returns the existing id, so `a*(a+b)` holds `a` once and a derivative graph shares
every subexpression it can.

>>> g = Graph()
>>> a = g.var("a"); b = g.var("b")
>>> s = g.add("add", (a, b)); p = g.add("mul", (a, s))
>>> g.add("add", (a, b)) == s
True
>>> len(g)
4
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Hashable

import numpy as np


_FLOAT64 = np.dtype(np.float64).str  # '<f8' on a little-endian machine


class ConstValue:
    """A constant's value, hashable by its bits so equal constants merge."""

    __slots__ = ("value", "_key")

    def __init__(self, value: Any):
        if type(value) is float:  # a number of the text, made anew on each pass of a program's loop
            number = np.float64(value)
            self.value, self._key = number, (_FLOAT64, (), number.tobytes())
            return
        array = np.asarray(value)
        if array.dtype.kind in "iuf":
            array = array.astype(np.float64)
        array.setflags(write=False)
        self.value = array if array.ndim else array[()]
        self._key = (array.dtype.str, array.shape, array.tobytes())

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConstValue) and self._key == other._key

    def __repr__(self) -> str:
        return f"ConstValue({self.value!r})"


Attrs = tuple[tuple[str, Hashable], ...]


@dataclass(frozen=True)
class Decision:
    """A choice a program made from a value at its point: which branch, how many iterations.

    `node` holds the value that decided; `outcome` is the truth taken (if, while, and/or,
    a conditional expression) or the whole number read (a range bound, an index). The
    graph of a program is the path these decisions picked: at another point it holds
    only while every decision comes out the same (`holds`).
    """

    node: int
    outcome: bool | int
    kind: str      # "if", "while", "if-expression", "and", "or", "range", "index", "shape"
    line: int
    column: int
    text: str      # the condition or number as the user wrote it

    def holds(self, value: Any) -> bool:
        """Would `value` (the node's value at another point) make the same choice?"""
        array = np.asarray(value, dtype=np.float64)
        if array.size != 1 or not np.isfinite(array).all():
            return False
        number = float(array.reshape(()))
        if isinstance(self.outcome, bool):
            return (number != 0) == self.outcome
        return number == self.outcome

    def where(self) -> str:
        return f"line {self.line}, column {self.column}"


@dataclass
class Graph:
    """A DAG of nodes `(op, inputs, attrs)`, topologically ordered by construction.

    `outputs` are the node ids the formula returns (one for a scalar function, several
    for a list `[f1, f2]`); `labels` gives names assigned in a program (`c = a + b`);
    `columns` remembers where in the source text a node was first written, so error
    messages can point at it.
    """

    ops: list[str] = field(default_factory=list)
    inputs: list[tuple[int, ...]] = field(default_factory=list)
    attrs: list[Attrs] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)
    columns: dict[int, tuple[int, int]] = field(default_factory=dict)
    variables: dict[str, int] = field(default_factory=dict)
    source: str = ""
    # A program's graph is the path taken at one point: the decisions that chose it, and
    # how to run the program again at another point (None for a formula: one graph for all).
    decisions: list[Decision] = field(default_factory=list)
    rerun: Callable[[Any], "Graph"] | None = field(default=None, repr=False)
    _index: dict[tuple, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ops)

    def add(self, op: str, inputs: tuple[int, ...] = (), attrs: Attrs = ()) -> int:
        """Append `op(inputs)` unless an identical node exists; return its id."""
        key = (op, inputs, attrs)
        found = self._index.get(key)
        if found is not None:
            return found
        node = len(self.ops)
        self.ops.append(op)
        self.inputs.append(inputs)
        self.attrs.append(attrs)
        self._index[key] = node
        return node

    def find(self, op: str, inputs: tuple[int, ...], attrs: Attrs = ()) -> int | None:
        """The id of the node `op(inputs)` if the graph has it, else None."""
        return self._index.get((op, inputs, attrs))

    def var(self, name: str) -> int:
        """The input variable `name` (created on first use, in order of appearance)."""
        node = self.add("var", (), (("name", name),))
        self.variables.setdefault(name, node)
        return node

    def const(self, value: Any) -> int:
        """A constant node holding `value` (a number or an array)."""
        return self.add("const", (), (("value", ConstValue(value)),))

    def attr(self, node: int, name: str, default: Any = None) -> Any:
        for key, value in self.attrs[node]:
            if key == name:
                return value.value if isinstance(value, ConstValue) else value
        return default

    def attr_dict(self, node: int) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, ConstValue) else v) for k, v in self.attrs[node]}

    def name_of(self, node: int) -> str | None:
        """The variable name of a `var` node, or the program label of any node."""
        if self.ops[node] == "var":
            return self.attr(node, "name")
        return self.labels.get(node)

    def copy(self) -> "Graph":
        """An independent graph with the same nodes, which can be extended safely."""
        return Graph(
            ops=list(self.ops),
            inputs=list(self.inputs),
            attrs=list(self.attrs),
            outputs=list(self.outputs),
            labels=dict(self.labels),
            columns=dict(self.columns),
            variables=dict(self.variables),
            source=self.source,
            decisions=list(self.decisions),  # rerun is not copied: a copy may grow other outputs
            _index=dict(self._index),
        )

    def ancestors(self, roots: list[int]) -> list[bool]:
        """Mask of the nodes that `roots` depend on (roots included)."""
        needed = [False] * len(self.ops)
        for root in roots:
            needed[root] = True
        for node in range(len(self.ops) - 1, -1, -1):
            if needed[node]:
                for parent in self.inputs[node]:
                    needed[parent] = True
        return needed

    def descendants(self, sources: list[int], blocked: frozenset[str] = frozenset()) -> list[bool]:
        """Mask of the nodes that depend on `sources`, not passing through `blocked` ops."""
        reached = [False] * len(self.ops)
        for source in sources:
            reached[source] = True
        ops = self.ops
        for node, parents in enumerate(self.inputs):
            if reached[node] or ops[node] in blocked:
                continue
            for parent in parents:
                if reached[parent]:
                    reached[node] = True
                    break
        return reached

    def size(self, roots: list[int] | None = None) -> int:
        """How many nodes `roots` (default: the outputs) depend on."""
        return sum(self.ancestors(self.outputs if roots is None else roots))

    def import_graph(self, other: "Graph") -> list[int]:
        """Copy every node of `other` into this graph; return the new id of each of its nodes.

        Variables are matched by name and equal subexpressions merge (hash-consing), so
        parsing f and g separately and importing both gives one graph in which they share
        their variables — what a Lagrangian needs.

        >>> g = Graph(); h = Graph()
        >>> x = h.var("x"); h.outputs = [h.add("mul", (x, x))]
        >>> mapping = g.import_graph(h); g.import_graph(h) == mapping
        True
        """
        mapping: list[int] = []
        for node, op in enumerate(other.ops):
            if op == "var":
                new = self.var(other.attr(node, "name"))
            else:
                new = self.add(op, tuple(mapping[j] for j in other.inputs[node]), other.attrs[node])
            mapping.append(new)
            if node in other.columns:
                self.columns.setdefault(new, other.columns[node])
            if node in other.labels:
                self.labels.setdefault(new, other.labels[node])
        self.decisions.extend(replace(d, node=mapping[d.node]) for d in other.decisions)
        return mapping
