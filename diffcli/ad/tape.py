"""Graph mode: run derivative rules on symbolic references instead of numbers.

Every derivative rule in the op table (`diffcli.ad.ops`) is written with ordinary operators and op
functions (`g * cos(x)`). Given NumPy values it computes numbers; given `Ref`s it
appends nodes to a `Tape` and returns new `Ref`s. That single trick is what makes the
transforms compose, as in JAX: the gradient of a graph is a graph, whose Jacobian
(forward mode over it) is the Hessian, and whose nodes `diff` can print.

A tape also keeps the value of every node at one point, so rules can ask for shapes
and the tape can fold constants and drop multiplications by one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli.ad.graph import ConstValue, Graph
from diffcli.errors import UsageError
from diffcli.ad.ops.kernels import finite_nonzero_scalar
from diffcli.ad.ops.registry import PRIMITIVES
from diffcli.ad.ref import Ref

__all__ = ["Ref", "Tape"]


def _is_const_equal(value: Any, number: float) -> bool:
    if type(value) is np.float64:  # the usual case, without NumPy's reduction machinery
        return bool(value == number)
    return bool(np.all(np.asarray(value) == number))


class DerivativeTooLarge(UsageError):
    """A graph-mode derivation grew its graph past the tape's `max_nodes`."""


class Tape:
    """A graph being extended in graph mode, with every node's value at one point.

    `max_nodes` bounds the graph: derivative graphs can swell (each order of a Taylor
    series multiplies the terms), and a bound met early is a clean refusal where an
    unbounded one is minutes of work and gigabytes of nodes.
    """

    def __init__(self, graph: Graph, values: list[Any], max_nodes: int | None = None):
        self.graph = graph
        self.values = list(values)
        self.max_nodes = max_nodes

    def ref(self, node: int) -> Ref:
        return Ref(self, node)

    def refs(self) -> list[Ref]:
        return [Ref(self, node) for node in range(len(self.graph))]

    def constant(self, value: Any) -> Ref:
        return self._record(self.graph.const(value), lambda: ConstValue(value).value)

    def _record(self, node: int, compute) -> Ref:
        if node == len(self.values):
            if self.max_nodes is not None and node >= self.max_nodes:
                raise DerivativeTooLarge(f"the derivative graph would exceed {self.max_nodes:,} nodes")
            self.values.append(compute())
        elif self.values[node] is None:
            # An existing node the evaluation skipped (not needed by the root then) is needed now.
            self.values[node] = compute()
        return Ref(self, node)

    def add(self, op: str, args: tuple, attrs: dict | None = None) -> Ref:
        """Append `op(*args, **attrs)`, folding constants and trivial identities."""
        primitive = PRIMITIVES[op]
        attrs = attrs or {}
        refs = [a if isinstance(a, Ref) else self.constant(a) for a in args]
        values = [r.value for r in refs]
        with np.errstate(all="ignore"):
            value = primitive.impl(*values, **attrs)
        ops = self.graph.ops
        if all(ops[r.node] == "const" for r in refs):
            return self.constant(value)
        simpler = self._simplify(primitive, refs, value) if primitive.identity or primitive.involution else None
        if simpler is not None:
            return simpler
        key = tuple(sorted(attrs.items()))
        node = self.graph.add(op, tuple(r.node for r in refs), key)
        return self._record(node, lambda: value)

    def _simplify(self, primitive: Any, refs: list[Ref], value: Any) -> Ref | None:
        """The identities of the op's row: x*1, 1*x, x+0, x-0, x/1, x**1 -> x (when the shape
        is unchanged), 0·x -> 0 for the strong product, -(-x) -> x; then a + (−b) -> a − b
        and c₁·(c₂·a) -> (c₁c₂)·a."""
        op = primitive.name
        consts = [self.graph.ops[r.node] == "const" for r in refs]
        shape = np.shape(value)
        for k, identity in enumerate(primitive.identity):
            if identity is not None and consts[k] and _is_const_equal(refs[k].value, identity):
                other = refs[1 - k]
                return other if other.shape == shape else None
        if primitive.absorbing is not None:
            for k in (0, 1):
                if consts[k] and _is_const_equal(refs[k].value, primitive.absorbing):
                    return self.constant(np.zeros(shape))
        if primitive.involution and self.graph.ops[refs[0].node] == op:
            return self.ref(self.graph.inputs[refs[0].node][0])
        if op in ("add", "sub"):
            return self._without_negation(op, refs)
        if op in ("mul", "smul"):
            return self._merge_scale(op, refs, consts)
        return None

    def _negated(self, ref: Ref) -> Ref | None:
        """`a` if `ref` is the node neg(a)."""
        if self.graph.ops[ref.node] == "neg":
            return self.ref(self.graph.inputs[ref.node][0])
        return None

    def _without_negation(self, op: str, refs: list[Ref]) -> Ref | None:
        """a + (−b) → a − b, (−a) + b → b − a, a − (−b) → a + b: IEEE defines a − b as a + (−b),
        so the bits are the same and a gradient graph saves its negations (the adjoint
        of −x arrives as a neg node)."""
        a, b = refs
        if self._negated(b) is not None:
            return self.add("sub" if op == "add" else "add", (a, self._negated(b)))
        if op == "add" and self._negated(a) is not None:
            return self.add("sub", (b, self._negated(a)))
        return None

    def _merge_scale(self, op: str, refs: list[Ref], consts: list[bool]) -> Ref | None:
        """c₁·(c₂·a) → (c₁c₂)·a for finite nonzero numbers c₁, c₂: the chain rule makes such
        towers (an adjoint −5 times the partial 2·x of x**2), and one multiplication of the
        array is cheaper than two. The result can differ from the tower in the last bit."""
        for k in (0, 1):
            outer, inner = refs[k], refs[1 - k]
            if not consts[k] or not finite_nonzero_scalar(outer.value):
                continue
            if self.graph.ops[inner.node] not in ("mul", "smul"):
                continue
            parts = [self.ref(j) for j in self.graph.inputs[inner.node]]
            for j in (0, 1):
                scale, rest = parts[j], parts[1 - j]
                if self.graph.ops[scale.node] == "const" and finite_nonzero_scalar(scale.value):
                    product = float(outer.value) * float(scale.value)
                    if product != 0.0 and np.isfinite(product) and rest.shape == inner.shape:
                        return self.add(op, (product, rest))
        return None
