"""The complex step: J·v = Im f(x + i·h·v) / h, exact to rounding where f is analytic.

There is no subtraction, so no cancellation: h can be tiny. With h = 2⁻³³⁰ ≈ 4.6e-100
(a power of two, so x + i·h·v and the division by h are exact) the truncation error
h²·f‴/6 is some 200 orders of magnitude below rounding, and the result is as exact as
AD. The catch: f(x + ih) must mean something. Every op on the path from the
differentiated variables to the output must be analytic at the point, and its NumPy
code must compute in complex (the op table's `complex_safe`); the real evaluation must
be finite there, with finite partial derivatives (sqrt at 0 is a branch point); and a
power of a negative base would cross NumPy's branch cut of the complex logarithm.
Where one of these fails the method is refused with the op and its column, never
silently wrong. Nodes off the path (constants, `detach`-ed values) keep their real
values, so `detach` means what it means in AD: a derivative of zero.

>>> from diffcli.ad.evaluate import evaluate
>>> from diffcli.ad.parse import parse
>>> g = parse("exp(x) * sin(y)")
>>> point = {"x": 0.5, "y": 2.0}
>>> values = evaluate(g, point)
>>> column = directional(g, point, values, g.outputs, ["x", "y"], {"x": 1.0})[0]
>>> bool(column == np.exp(0.5) * np.sin(2.0))
True
>>> directional(parse("abs(x)*x"), {"x": 0.3}, evaluate(parse("abs(x)*x"), {"x": 0.3}), [2], ["x"], {"x": 1.0})
Traceback (most recent call last):
...
diffcli.checks.complex_step.Refused: complex step needs every op on the path to be analytic; 'abs' at column 1 is not
"""

from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import Point, is_finite, location
from diffcli.ad.flat import as_value, unit, zeros_like
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.checks.diagnose import singular_partials

STEP = 2.0 ** -330
_COMPLEX_WARNING = getattr(getattr(np, "exceptions", np), "ComplexWarning", Warning)
_TINY = float(np.finfo(np.float64).tiny)
SMALLEST = _TINY * 2.0 ** 53 / STEP  # ≈ 4e-193: values below lose their imaginary part's digits

class Refused(Exception):
    """The complex step is meaningless for this formula at this point (the message says why)."""


def on_path(graph: Graph, roots: list[int], wrt: list[str]) -> list[bool]:
    """The nodes a derivative of `roots` with respect to `wrt` flows through (not across `detach`)."""
    sources = [graph.variables[name] for name in wrt if name in graph.variables]
    down = graph.descendants(sources, blocked=frozenset({"detach"}))
    return [a and b for a, b in zip(graph.ancestors(roots), down)]


def _op_at(graph: Graph, node: int) -> str:
    return f"'{graph.ops[node]}'{location(graph, node)}"


def blocker(graph: Graph, values: list[Any], roots: list[int], wrt: list[str]) -> str | None:
    """Why the complex step cannot be trusted for `roots` at the point whose real values
    are `values`, or None: the checks that need no complex evaluation."""
    path = on_path(graph, roots, wrt)
    nodes = [node for node in range(len(graph)) if path[node] and graph.ops[node] != "var"]
    for node in range(len(graph)):
        # Im ≈ h·(a slope of the order of the value) must not underflow (it would vanish silently).
        magnitude = np.abs(np.asarray(values[node], dtype=np.float64)) if path[node] else np.zeros(0)
        if np.any((magnitude > 0) & (magnitude < SMALLEST)):
            name = f"'{graph.name_of(node)}'" if graph.ops[node] == "var" else _op_at(graph, node)
            return f"{name} is too small here for the complex step's imaginary part (below {SMALLEST:.0e})"
    for node in nodes:
        op = graph.ops[node]
        if not PRIMITIVES[op].complex_safe:
            return f"complex step needs every op on the path to be analytic; {_op_at(graph, node)} is not"
        if not is_finite(values[node]):
            return f"complex step needs every value on the path to be finite; {_op_at(graph, node)} is not here"
        # NumPy takes a complex power through the complex logarithm, whose branch cut lies
        # on the negative axis: (−1.5 + ih)**100 loses its imaginary part.
        if op == "pow" and np.any(np.asarray(values[graph.inputs[node][0]]) < 0):
            return (f"a power of a negative base ({_op_at(graph, node)}) crosses the complex logarithm's "
                    "branch cut")
    for node, _, kind, _ in singular_partials(graph, values, nodes, lambda parent: path[parent]):
        return f"the derivative of {_op_at(graph, node)} is {kind} here, where f is not analytic"
    return None


def directional(graph: Graph, point: Point, values: list[Any], roots: list[int], wrt: list[str],
                direction: Mapping[str, Any], h: float | None = None) -> list[Any]:
    """Im f(x + i·h·v) / h at each of `roots`: J·v along `direction` ({variable: tangent}).

    `values` is the real evaluation at `point`. By default h makes the largest entry of
    h·v equal to STEP; the sweep passes its own h. Raises `Refused` with the reason.
    """
    reason = blocker(graph, values, roots, wrt)
    if reason is not None:
        raise Refused(reason)
    size = max((float(np.max(np.abs(v), initial=0.0)) for v in direction.values()), default=0.0)
    if size == 0.0:
        return [zeros_like(values[r]) for r in roots]
    exact = h is None
    if exact:
        h = STEP / size
    path = on_path(graph, roots, wrt)
    moved = list(values)
    for name in wrt:
        node = graph.variables.get(name)
        if node is not None and path[node]:
            moved[node] = np.asarray(point[name], dtype=np.complex128) + 1j * h * np.asarray(
                direction.get(name, 0.0), dtype=np.float64)
    _evaluate_path(graph, moved, path, values if exact else None)
    return [np.imag(moved[r]) / h for r in roots]


def _evaluate_path(graph: Graph, moved: list[Any], path: list[bool], real_values: list[Any] | None) -> None:
    """Evaluate the op nodes on `path` in complex arithmetic, in place, checking each one:
    complex code, an imaginary part in range and (given `real_values`, for a tiny step)
    a real part equal to the real evaluation."""
    ops, inputs, attrs = graph.ops, graph.inputs, graph.attrs
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # An implementation that casts to float would silently return a zero derivative.
        warnings.simplefilter("error", _COMPLEX_WARNING)
        for node in range(len(ops)):
            if not path[node] or ops[node] == "var":
                continue
            args = [moved[j] for j in inputs[node]]
            try:
                value = PRIMITIVES[ops[node]].impl(*args, **dict(attrs[node]))
            except (_COMPLEX_WARNING, TypeError):
                raise Refused(f"{_op_at(graph, node)}: an operation of the formula works on real numbers only") from None
            value = np.asarray(value)
            if not np.iscomplexobj(value):
                raise Refused(f"{_op_at(graph, node)}: an operation of the formula works on real numbers only")
            real, imaginary = np.real(value), np.imag(value)
            if real_values is not None and not np.allclose(real, real_values[node], rtol=1e-12, atol=1e-150):
                raise Refused(f"the complex evaluation of {_op_at(graph, node)} leaves the real value")
            if np.any((imaginary != 0) & (np.abs(imaginary) < _TINY)) or not np.isfinite(imaginary).all():
                raise Refused(f"the imaginary part at {_op_at(graph, node)} leaves the floating-point range")
            moved[node] = as_value(value, np.complex128)


def jacobian(graph: Graph, point: Point, values: list[Any], wrt: list[str]) -> np.ndarray:
    """The Jacobian of the outputs, one complex evaluation per input entry (its columns)."""
    roots = graph.outputs
    columns = []
    for name in wrt:
        shape = np.shape(point[name])
        for k in range(int(np.prod(shape))):
            parts = directional(graph, point, values, roots, wrt, {name: unit(shape, k)})
            columns.append(np.concatenate([np.ravel(p) for p in parts]))
    rows = sum(int(np.size(values[r])) for r in roots)
    return np.array(columns).T.reshape(rows, len(columns))

