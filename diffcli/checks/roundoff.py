"""How much rounding error a computed value can carry: the scale a tolerance is relative to.

Comparing a claimed derivative with the AD value needs a tolerance, and neither a fixed
absolute one nor one relative to the result works: 2·x·cos(x²) − 2·x·cos(x²)·1 may cancel
to something tiny whose rounding error is set by the size of its *terms*. The standard
first-order running error bound measures exactly that: in units of the unit roundoff u,

    E(input) = 0,   E(constant c) = |c| (0 for whole numbers, which are exact),
    E(op(a₁..aₖ)) = Σₖ |∂op/∂aₖ| · E(aₖ) + |op(a₁..aₖ)| + 2⁻¹⁰²¹,

so |computed − exact| ≲ u·E — with each partial taken at the computed arguments and at the ends
of their error intervals a ± u·E(a) (`_moved`), which keeps the second-order term where the
first-order one is 0: log(1 + y²) rounds to 0 at y = 1e-12, off by u, and its square is off by
u², not 0 (for a product, E(a·b) gains e_a·e_b). The last term is underflow (a result below 2⁻¹⁰²² is rounded
to a multiple of 2⁻¹⁰⁷⁴ = u·2⁻¹⁰²¹): negligible, unless a later op multiplies it by
something huge — as the quotient rule's −(f/g)/g does for f/exp(x) at x = 470, where AD
loses the whole term and its error bound must say so. The partial derivatives come from the op table (the same
rules AD uses); structural ops push E through their tangent map on absolute values.

>>> import numpy as np
>>> from diffcli.ad.parse import parse
>>> from diffcli.ad.evaluate import evaluate
>>> g = parse("(x + 1) - x")
>>> values = evaluate(g, {"x": np.float64(1e8)})
>>> float(error_scale(g, values, g.outputs[0]))   # the terms are 1e8, the result 1
100000002.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli.ad.graph import Graph
from diffcli.ad.ops import MINUS_ONE, ONE, PRIMITIVES, jvp_rule

UNIT_ROUNDOFF = 2.0 ** -53
UNDERFLOW = 2.0 ** -1021  # the absolute error of gradual underflow, in units of u

# Ops whose value is a truth value or a piecewise constant: exact, and flat almost everywhere.
_EXACT = frozenset({"step", "tie_weight", "sign", "extremum_share"})


def _magnitude(partial: Any) -> Any:
    if partial is ONE or partial is MINUS_ONE:
        return 1.0
    return np.abs(partial)


def _times(factor: Any, scale: Any) -> Any:
    """|∂|·E with 0·∞ = 0: an infinite partial matters only where error flows into it."""
    with np.errstate(all="ignore"):
        product = np.multiply(factor, scale)
    return np.where(np.equal(scale, 0.0), 0.0, product) if np.ndim(product) else (
        0.0 if scale == 0 else product)


def _moved(primitive: Any, args: list[Any], scales: list[Any]) -> list[tuple[Any, list[Any]]]:
    """The op's value and arguments with every argument moved by its rounding-error bound u·E, one
    way and the other: (ans, args) at the two ends of the interval the exact arguments lie in
    ([] when every argument is exact).

    A partial taken at these ends as well as at the computed point bounds the rounding to second
    order (the mean value theorem: |op(a + δ) − op(a)| ≤ max |∂op| over [a − δ, a + δ] · |δ|, and
    a partial monotone in |a| — a product's, a power's — is largest at an end). That matters
    where the partial is 0 at the computed point only: log(1 + y²) is 0 at y = 1e-12 with an
    error of u, and its square, 0 to first order (2·0·u), is off by u². Elsewhere the partial
    moves by a relative O(u·E/|a|): the bound widens by that share, nothing.
    """
    if all(np.all(np.equal(scale, 0.0)) for scale in scales):
        return []
    steps = [UNIT_ROUNDOFF * np.nan_to_num(np.asarray(scale, dtype=np.float64), nan=np.inf) for scale in scales]
    ends = []
    for direction in (1.0, -1.0):
        moved = [np.add(a, direction * step) for a, step in zip(args, steps)]
        ends.append((primitive.impl(*moved), moved))
    return ends


def error_scale(graph: Graph, values: list[Any], root: int) -> Any:
    """E(root): the first-order rounding-error scale of `values[root]` (in units of u)."""
    return error_scales(graph, values, [root])[root]


def error_scales(graph: Graph, values: list[Any], roots: list[int], underflow: bool = True) -> list[Any]:
    """E for every node `roots` depend on (None elsewhere); NumPy broadcasting throughout,
    so `values` may hold one point or a column of points per node. `underflow=False` leaves
    out the underflow term: the rounding of ordinary numbers only (what lost an underflowed
    term is then for `ad.lost` to say)."""
    floor = UNDERFLOW if underflow else 0.0
    needed = graph.ancestors(roots)
    scales: list[Any] = [None] * len(graph)
    with np.errstate(all="ignore"):
        for node, op in enumerate(graph.ops):
            if not needed[node]:
                continue
            value = values[node]
            if op == "var":
                scales[node] = 0.0
                continue
            if op == "const":
                number = np.asarray(value, dtype=np.float64)
                scales[node] = np.where(np.equal(number, np.round(number)), 0.0, np.abs(number))
                continue
            primitive = PRIMITIVES[op]
            parents = graph.inputs[node]
            args = [values[j] for j in parents]
            incoming = [scales[j] for j in parents]
            if op in _EXACT or "comparison" in primitive.tags or op.startswith("logical_"):
                scales[node] = 0.0
            elif op == "detach":
                scales[node] = incoming[0]
            elif op == "where":
                scales[node] = np.where(np.not_equal(args[0], 0.0), incoming[1], incoming[2])
                if np.ndim(scales[node]) == 0:
                    scales[node] = scales[node][()]
            elif primitive.partials is not None:
                total = np.abs(value) + floor
                moved = _moved(primitive, args, incoming)
                for k, rule in enumerate(primitive.partials):
                    if rule is None:
                        continue
                    partial = _magnitude(rule(value, *args))
                    for moved_value, moved_args in moved:
                        partial = np.fmax(partial, _magnitude(rule(moved_value, *moved_args)))
                    total = total + _times(partial, incoming[k])
                scales[node] = total
            elif primitive.differentiable:
                # A structural op: push E through its tangent map at the absolute values,
                # which bounds |J|·E for the linear ones (sum, @, indexing, stacking).
                total = np.abs(value) + floor
                magnitudes = [np.abs(a) for a in args]
                attrs = graph.attr_dict(node)
                for k in range(len(args)):
                    rule = jvp_rule(primitive, k)
                    if rule is None or incoming[k] is None:
                        continue
                    term = rule(np.broadcast_to(incoming[k], np.shape(args[k])) * 1.0, np.abs(value),
                                *magnitudes, **attrs)
                    if term is not None:
                        total = total + np.abs(term)
                scales[node] = total
            else:
                scales[node] = np.abs(value)
    return scales
