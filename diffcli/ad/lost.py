"""Derivatives the reverse sweep loses to underflow or overflow — found at no cost when none is.

Reverse mode multiplies adjoints by partial derivatives, and an adjoint can be genuinely
smaller than the smallest double: in u/exp(x) at x = 468.65 the adjoint of y = exp(x) is
−u/y² ≈ −1e-393. It becomes 0, the next partial (exp's, ≈ 1e203) would have made it an
ordinary number again, and that term of the derivative is gone — no ordering of the
arithmetic brings it back. Forward mode forms no adjoints (and its tangent rules avoid the
partials that would leave the range, `Primitive.tangent`), so it keeps the term.

Finding this costs nothing on the usual path: the sweep runs with NumPy's underflow and
overflow errors routed to a `Watch`, which only counts them (NumPy reads the processor's
flags after every operation whatever the error mode). Only when it counted one does
`losses` sweep again, slowly: beside each adjoint it carries a bound on what under- and
overflow took from it — at each step the difference between the product computed and the
same product by the row's tangent rule (exact where the partial alone is not), plus half a
subnormal spacing, and what the adjoints it came from had lost, carried by |partial| — and
reports the variables whose bound is not negligible against their gradient entry.

>>> import numpy as np
>>> from diffcli.ad.parse import parse
>>> from diffcli.ad.evaluate import evaluate
>>> g = parse("(x**2 + 1)**3 * sin(2*x) / exp(x)")
>>> point = {"x": np.float64(468.6514555938195)}
>>> found = losses(g, evaluate(g, point), {g.outputs[0]: np.float64(1.0)}, ["x"])
>>> [(g.ops[loss.node], loss.kind, loss.variables) for loss in found]
[('exp', 'underflowed', ['x'])]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import describe_node
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES, chain, shape_of, unbroadcast, vjp_rule
from diffcli.ad.ops.kernels import SMALLEST_NORMAL

SUBNORMAL_SPACING = 2.0**-1074  # a product rounded below 2⁻¹⁰²² is off by at most half of it
# A bound below this fraction of the gradient entry is rounding noise, not a lost term.
NEGLIGIBLE = 1e-8


class Watch:
    """A NumPy error callback (`np.errstate(call=...)`) counting under- and overflows.

    `errstate()` is the error state to sweep under: every error ignored except those two,
    which call the watch. `regions` is for callers that note where the events happened
    (the batch evaluator, chunk by chunk).
    """

    __slots__ = ("events", "regions")

    def __init__(self) -> None:
        self.events = 0
        self.regions: list[tuple[int, int]] = []

    def __call__(self, kind: str, flag: int) -> None:
        self.events += 1

    def errstate(self) -> np.errstate:
        return np.errstate(all="ignore", under="call", over="call", call=self)


@dataclass
class Loss:
    """A derivative term lost at the adjoint of `node`, affecting the gradient entries of `variables`."""

    node: int
    kind: str  # "underflowed" | "overflowed"
    variables: list[str] = field(default_factory=list)
    rows: Any = None  # for columns of points: a mask of the rows affected


def losses(graph: Graph, values: list[Any], seeds: Mapping[int, Any], wrt: list[str],
           gradient: Mapping[str, Any] | None = None, *, pointwise: bool = False) -> list[Loss]:
    """Where the reverse sweep from `seeds` lost a term of the derivative to under- or overflow
    (one `Loss` per node where a lost term that matters started; [] when nothing was lost).

    `gradient` ({variable: adjoint}, as the sweep gave it) is what each bound is compared
    with; by default the adjoints this sweep computes, which are the same. `pointwise`: the
    values are columns of points (a pointwise graph), and each `Loss.rows` says which.
    """
    nodes = {name: graph.variables[name] for name in wrt if name in graph.variables}
    adjoints, bounds, sources = _sweep(graph, values, seeds, list(nodes.values()))
    found: dict[int, Loss] = {}
    for name, node in nodes.items():
        bound = bounds[node]
        if bound is None:
            continue
        result = adjoints[node] if gradient is None else gradient[name]
        with np.errstate(all="ignore"):
            threshold = np.fmax(NEGLIGIBLE * np.abs(np.asarray(result, dtype=np.float64)), SMALLEST_NORMAL)
            matters = ~(bound <= threshold) | np.isinf(bound)  # a NaN bound: lost too
        if not np.any(matters):
            continue
        origin, kind = sources[node]
        loss = found.setdefault(origin, Loss(origin, kind))
        loss.variables.append(name)
        if pointwise:
            rows = np.broadcast_to(matters, np.shape(result))
            loss.rows = rows if loss.rows is None else loss.rows | rows
    return list(found.values())


def _sweep(graph: Graph, values: list[Any], seeds: Mapping[int, Any],
           wrt: list[int]) -> tuple[list[Any], list[Any], list[Any]]:
    """The reverse sweep again, with beside each adjoint a bound on what under- and overflow took
    from it (None: nothing) and where the largest part of that came from (node, kind)."""
    ops, inputs, attrs = graph.ops, graph.inputs, graph.attrs
    relevant = graph.descendants(wrt, blocked=frozenset({"detach"}))
    adjoints: list[Any] = [None] * len(graph)
    bounds: list[Any] = [None] * len(graph)
    sources: list[Any] = [None] * len(graph)
    largest = [0.0] * len(graph)  # the largest single part of each bound so far
    for node, seed in seeds.items():
        adjoints[node] = seed
    watch = Watch()
    with watch.errstate():
        for node in range(max(seeds, default=-1), -1, -1):
            g = adjoints[node]
            if g is None or ops[node] in ("var", "const") or not PRIMITIVES[ops[node]].differentiable:
                continue
            primitive = PRIMITIVES[ops[node]]
            args = [values[j] for j in inputs[node]]
            ans, extra = values[node], dict(attrs[node])
            for k, parent in enumerate(inputs[node]):
                if not relevant[parent]:
                    continue
                before = watch.events
                product = _product(primitive, k, g, ans, args, extra)
                if product is None:
                    continue
                parts = []  # (bound, source) pairs this step adds to the parent's
                if bounds[node] is not None:
                    parts.append((_carried(primitive, k, bounds[node], ans, args, extra), sources[node]))
                if watch.events != before:
                    step = _step_loss(primitive, k, g, product, ans, args)
                    parts.append((step, (parent, "underflowed" if np.all(np.isfinite(step)) else "overflowed")))
                contribution = unbroadcast(product, args[k])
                adjoints[parent] = contribution if adjoints[parent] is None else adjoints[parent] + contribution
                for bound, source in parts:
                    bound = unbroadcast(bound, args[k])
                    size = float(np.nan_to_num(np.max(bound), nan=np.inf)) if np.size(bound) else 0.0
                    if size > largest[parent] or sources[parent] is None:
                        largest[parent], sources[parent] = size, source
                    bounds[parent] = bound if bounds[parent] is None else bounds[parent] + bound
    return adjoints, bounds, sources


def _product(primitive: Any, k: int, g: Any, ans: Any, args: list[Any], attrs: dict[str, Any]) -> Any:
    """g pulled back to argument k as the reverse sweep computes it (an elementwise op's before
    it is summed over the axes argument k was broadcast along); None: a structural zero."""
    if primitive.partials is not None:
        rule = primitive.partials[k]
        partial = rule(ans, *args) if rule is not None else None
        return None if partial is None else chain(g, partial)
    rule = vjp_rule(primitive, k)
    return None if rule is None else rule(g, ans, *args, **attrs)


def _exact_product(primitive: Any, k: int, g: Any, ans: Any, args: list[Any]) -> Any:
    """g·∂ₖ of an elementwise op by its tangent rule (exact where the partial alone is not), or None."""
    if primitive.tangent is None:
        return None
    tangents: list[Any] = [None] * len(args)
    tangents[k] = g
    return primitive.tangent(tangents, ans, *args)


def _step_loss(primitive: Any, k: int, g: Any, product: Any, ans: Any, args: list[Any]) -> np.ndarray:
    """A bound on what under- or overflow took from this step's product (an event was seen)."""
    product = np.asarray(product, dtype=np.float64)
    exact = _exact_product(primitive, k, g, ans, args)
    if exact is not None:
        # The product computed against the same product formed without the partial alone.
        difference = np.abs(np.asarray(exact, dtype=np.float64) - product)
        return np.where(np.isnan(difference), np.inf, difference) + SUBNORMAL_SPACING
    # No tangent rule: the partial is an argument or a short formula, off by a rounding below
    # 2⁻¹⁰²² times the cotangent; an infinite product of a finite cotangent overflowed.
    scale = np.abs(np.asarray(g, dtype=np.float64))
    if primitive.partials is None:  # a structural op sums products: its size bounds their count
        scale = np.full(product.shape, float(np.sum(scale)) * max(1, scale.size))
    overflowed = ~np.isfinite(product) & np.isfinite(scale)
    return np.where(overflowed, np.inf, (1.0 + scale) * SUBNORMAL_SPACING)


def _carried(primitive: Any, k: int, bound: Any, ans: Any, args: list[Any], attrs: dict[str, Any]) -> Any:
    """A bound on the node's adjoint, pulled back to argument k: |∂ₖ|·bound (by the tangent rule
    where there is one, so a partial that underflows does not drop it), or for a structural op its
    transpose map at absolute values, which bounds |Jᵀ|·bound for the linear ones."""
    with np.errstate(all="ignore"):
        exact = _exact_product(primitive, k, bound, ans, args)
        if exact is not None:
            return np.where(np.isnan(exact), np.inf, np.abs(exact))
        if primitive.partials is not None:
            partial = primitive.partials[k](ans, *args)
            if partial is None:  # a zero derivative (sign, a comparison): nothing is carried
                return np.zeros(shape_of(args[k]))
            return np.abs(chain(bound, partial))
        magnitudes = [np.abs(np.asarray(a, dtype=np.float64)) for a in args]
        rule = vjp_rule(primitive, k)
        if rule is None:  # an argument nothing flows back to (a condition, an index)
            return np.zeros(shape_of(args[k]))
        carried = rule(bound, np.abs(np.asarray(ans, dtype=np.float64)), *magnitudes, **attrs)
        return np.abs(carried) if carried is not None else np.zeros(shape_of(args[k]))


def _normwise(primitive: Any, k: int, carried: Any, size: Any, ans: Any, args: list[Any],
              attrs: dict[str, Any]) -> Any:
    """The terms pulled back through an op computed by a factorisation (`Primitive.factorised`):
    its rounding is relative to the whole result, so every entry gets the largest entry's size —
    of the pullback at absolute values and of the pullback itself (the first can vanish where the
    second does not: the 2×2 minors of |A| for a ±1 matrix A). det's Hessian at a nearly singular
    A has entries that are exactly 0 and come out of the SVD as ±1e-16·‖A‖."""
    rule = vjp_rule(primitive, k)
    signed = None if rule is None else rule(size, ans, *args, **attrs)
    largest = np.fmax(np.max(np.abs(carried), initial=0.0),
                      0.0 if signed is None else np.max(np.abs(np.asarray(signed, dtype=np.float64)), initial=0.0))
    return np.full(np.shape(carried), largest)


def term_sizes(graph: Graph, values: list[Any], seeds: Mapping[int, Any], wrt: list[str]) -> dict[str, Any]:
    """The size of the derivative's terms: for each variable, Σ over the chain rule's terms of
    |seed·∂·…·∂| — the reverse sweep run on absolute values (None where nothing flows).

    Rounding errors of a derivative are relative to this, not to the derivative itself,
    which may cancel to nearly nothing: d/dx (x·sin x − x·sin x) is 0 with terms of size 2|x·cos x + sin x|.

    >>> import numpy as np
    >>> from diffcli.ad.parse import parse
    >>> from diffcli.ad.evaluate import evaluate
    >>> g = parse("x*y - y*x")
    >>> sizes = term_sizes(g, evaluate(g, {"x": np.float64(2.0), "y": np.float64(-3.0)}), {g.outputs[0]: 1.0}, ["x", "y"])
    >>> float(sizes["x"]), float(sizes["y"])
    (6.0, 4.0)
    """
    nodes = [graph.variables[name] for name in wrt if name in graph.variables]
    relevant = graph.descendants(nodes, blocked=frozenset({"detach"}))
    sizes: list[Any] = [None] * len(graph)
    for node, seed in seeds.items():
        # a scalar seed on a tensor output seeds every entry: each rule then sees its own shape
        sizes[node] = np.abs(np.broadcast_to(np.asarray(seed, dtype=np.float64), np.shape(values[node])))
    with np.errstate(all="ignore"):
        for node in range(max(seeds, default=-1), -1, -1):
            size, op = sizes[node], graph.ops[node]
            if size is None or op in ("var", "const") or not PRIMITIVES[op].differentiable:
                continue
            args, primitive, attrs = [values[j] for j in graph.inputs[node]], PRIMITIVES[op], dict(graph.attrs[node])
            for k, parent in enumerate(graph.inputs[node]):
                if relevant[parent]:
                    term = _carried(primitive, k, size, values[node], args, attrs)
                    if primitive.factorised:
                        term = _normwise(primitive, k, term, size, values[node], args, attrs)
                    term = unbroadcast(term, args[k])
                    sizes[parent] = term if sizes[parent] is None else sizes[parent] + term
    return {name: sizes[graph.variables[name]] if name in graph.variables else None for name in wrt}


def messages(graph: Graph, found: list[Loss], what: str = "gradient", rows: int | None = None,
             forward_keeps: bool | None = None) -> list[str]:
    """One warning per loss: where the adjoint lost it, and what may be inaccurate.

    `rows`: the number of points of a batch (each loss then counts the points it affects).
    `forward_keeps`: whether forward mode, run beside, gave a different result (None: not run).
    """
    if rows is not None:
        advice = " — forward mode forms no adjoints: try such a point with --at and --method forward"
    elif forward_keeps is None:
        advice = " — forward mode forms no adjoints and may keep this term (--method forward)"
    else:
        advice = " — forward mode keeps it here" if forward_keeps else ""
    texts = []
    for loss in found:
        where = f"at {describe_node(graph, loss.node)}"
        if rows is not None and loss.rows is not None:
            hit = np.flatnonzero(loss.rows)
            where += f" at {hit.size} of {rows} points (first at point {int(hit[0]) + 1})"
        entries = ", ".join(f"∂/∂{name}" for name in loss.variables)
        texts.append(f"reverse mode: an intermediate adjoint {loss.kind} {where}; the {what} may be inaccurate "
                     f"({entries}){advice}")
    return texts
