"""Graph mode: run derivative rules on symbolic references instead of numbers.

Every derivative rule in `primitives` is written with ordinary operators and op
functions (`g * cos(x)`). Given NumPy values it computes numbers; given `Ref`s it
appends nodes to a `Tape` and returns new `Ref`s. That single trick is what makes the
transforms compose, as in JAX: the gradient of a graph is a graph, whose Jacobian
(forward mode over it) is the Hessian, and whose nodes `diff` can print.

A tape also keeps the value of every node at one point, so rules can ask for shapes
and the tape can fold constants and drop multiplications by one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from diffcli.ad.graph import ConstValue, Graph


class Ref:
    """A symbolic value: node `node` of `tape`. Supports arithmetic operators."""

    __slots__ = ("tape", "node")
    __array_priority__ = 1000  # make `ndarray * Ref` defer to Ref.__rmul__

    def __init__(self, tape: "Tape", node: int):
        self.tape = tape
        self.node = node

    @property
    def value(self) -> Any:
        return self.tape.values[self.node]

    @property
    def shape(self) -> tuple[int, ...]:
        value = self.tape.values[self.node]
        # NumPy scalars and arrays carry their shape; np.shape() is for everything else.
        return value.shape if isinstance(value, (np.ndarray, np.generic)) else np.shape(value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"Ref({self.tape.graph.ops[self.node]}#{self.node})"

    def _op(self, name: str, *args: Any) -> "Ref":
        return self.tape.add(name, args)

    def __add__(self, other): return self._op("add", self, other)
    def __radd__(self, other): return self._op("add", other, self)
    def __sub__(self, other): return self._op("sub", self, other)
    def __rsub__(self, other): return self._op("sub", other, self)
    def __mul__(self, other): return self._op("mul", self, other)
    def __rmul__(self, other): return self._op("mul", other, self)
    def __truediv__(self, other): return self._op("div", self, other)
    def __rtruediv__(self, other): return self._op("div", other, self)
    def __pow__(self, other): return self._op("pow", self, other)
    def __rpow__(self, other): return self._op("pow", other, self)
    def __matmul__(self, other): return self._op("matmul", self, other)
    def __rmatmul__(self, other): return self._op("matmul", other, self)
    def __neg__(self): return self._op("neg", self)
    def __gt__(self, other): return self._op("gt", self, other)
    def __lt__(self, other): return self._op("lt", self, other)
    def __ge__(self, other): return self._op("ge", self, other)
    def __le__(self, other): return self._op("le", self, other)

    @property
    def T(self) -> "Ref":
        return self._op("transpose", self)


def _is_const_equal(value: Any, number: float) -> bool:
    if type(value) is np.float64:  # the usual case, without NumPy's reduction machinery
        return bool(value == number)
    return bool(np.all(np.asarray(value) == number))


def finite_nonzero_scalar(value: Any) -> bool:
    """A float64 number that is neither 0 nor infinite nor NaN (scaling by it loses nothing)."""
    return type(value) is np.float64 and value != 0.0 and math.isfinite(value)


_PRIMITIVES: dict[str, Any] | None = None
_SIMPLIFIED = frozenset({"mul", "smul", "add", "sub", "div", "pow", "neg"})  # the ops `_simplify` knows


class Tape:
    """A graph being extended in graph mode, with every node's value at one point."""

    def __init__(self, graph: Graph, values: list[Any]):
        self.graph = graph
        self.values = list(values)

    def ref(self, node: int) -> Ref:
        return Ref(self, node)

    def refs(self) -> list[Ref]:
        return [Ref(self, node) for node in range(len(self.graph))]

    def constant(self, value: Any) -> Ref:
        return self._record(self.graph.const(value), lambda: ConstValue(value).value)

    def _record(self, node: int, compute) -> Ref:
        if node == len(self.values):
            self.values.append(compute())
        elif self.values[node] is None:
            # An existing node the evaluation skipped (not needed by the root then) is needed now.
            self.values[node] = compute()
        return Ref(self, node)

    def add(self, op: str, args: tuple, attrs: dict | None = None) -> Ref:
        """Append `op(*args, **attrs)`, folding constants and trivial identities."""
        global _PRIMITIVES
        if _PRIMITIVES is None:
            from diffcli.ad.primitives import PRIMITIVES as _PRIMITIVES  # primitives imports this module
        PRIMITIVES = _PRIMITIVES
        attrs = attrs or {}
        refs = [a if isinstance(a, Ref) else self.constant(a) for a in args]
        values = [r.value for r in refs]
        with np.errstate(all="ignore"):
            value = PRIMITIVES[op].impl(*values, **attrs)
        ops = self.graph.ops
        if all(ops[r.node] == "const" for r in refs):
            return self.constant(value)
        simpler = self._simplify(op, refs, value) if op in _SIMPLIFIED else None
        if simpler is not None:
            return simpler
        key = tuple(sorted(attrs.items()))
        node = self.graph.add(op, tuple(r.node for r in refs), key)
        return self._record(node, lambda: value)

    def _simplify(self, op: str, refs: list[Ref], value: Any) -> Ref | None:
        """x*1, 1*x, x+0, 0+x, x-0, x/1, x**1 -> x, when the shape is unchanged."""
        consts = [self.graph.ops[r.node] == "const" for r in refs]
        shape = np.shape(value)

        def keep(index: int) -> Ref | None:
            other = refs[index]
            return other if other.shape == shape else None

        if op in ("mul", "smul"):
            for k in (0, 1):
                if consts[k] and _is_const_equal(refs[k].value, 1.0):
                    return keep(1 - k)
            if op == "smul":
                for k in (0, 1):
                    if consts[k] and _is_const_equal(refs[k].value, 0.0):
                        return self.constant(np.zeros(shape))
        if op == "add":
            for k in (0, 1):
                if consts[k] and _is_const_equal(refs[k].value, 0.0):
                    return keep(1 - k)
        if op == "sub" and consts[1] and _is_const_equal(refs[1].value, 0.0):
            return keep(0)
        if op in ("div", "pow") and consts[1] and _is_const_equal(refs[1].value, 1.0):
            return keep(0)
        if op == "neg" and self.graph.ops[refs[0].node] == "neg":
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
