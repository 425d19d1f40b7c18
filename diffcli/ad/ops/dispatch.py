"""Applying ops: to numbers, or — when an argument is a `Ref` — as a new graph node.

Derivative rules are written with the op functions below and ordinary operators, so
the same rule computes numbers on NumPy values and builds graph nodes on `Ref`s; that
is how a Hessian comes from forward mode over the reverse-mode graph. This module also
holds the chain rule's product and the broadcasting plumbing the sweeps share, and
derives the JVP of a linear op from the op itself.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from diffcli.ad.ops import kernels
from diffcli.ad.ops.registry import MINUS_ONE, ONE, PRIMITIVES, Primitive, Rule
from diffcli.ad.ref import Ref


def apply(name: str, *args: Any, **attrs: Any) -> Any:
    """Apply op `name`: numerically, or as a new graph node if any arg is a Ref."""
    for arg in args:
        if isinstance(arg, Ref):
            return arg.tape.add(name, args, attrs)
    return PRIMITIVES[name].impl(*args, **attrs)


def shape_of(value: Any) -> tuple[int, ...]:
    if type(value) is np.float64:  # the common case, checked first: sweeps call this a lot
        return ()
    if type(value) is np.ndarray:  # the batch sweep's case
        return value.shape
    return value.shape if isinstance(value, Ref) else np.shape(value)


def _op(name: str) -> Callable[..., Any]:
    def call(*args: Any, **attrs: Any) -> Any:
        return apply(name, *args, **attrs)

    call.__name__ = name
    call.__doc__ = f"Apply the `{name}` op (numerically or in graph mode)."
    return call


# The op functions the rules are written with (Python names where the op's is a keyword
# or a builtin: power for pow, reduce_sum for sum, equal for eq).
add, sub, mul, div, neg, power = (_op(n) for n in ("add", "sub", "mul", "div", "neg", "pow"))
smul, where, sum_to, broadcast_to = (_op(n) for n in ("smul", "where", "sum_to", "broadcast_to"))
sin, cos, exp, log, sqrt, sign = (_op(n) for n in ("sin", "cos", "exp", "log", "sqrt", "sign"))
sinh, cosh, sigmoid, step, tie_weight = (_op(n) for n in ("sinh", "cosh", "sigmoid", "step", "tie_weight"))
hypot = _op("hypot")
matmul, transpose, reshape, reduce_sum = (_op(n) for n in ("matmul", "transpose", "reshape", "sum"))
prod_others, extremum_share, equal = (_op(n) for n in ("prod_others", "extremum_share", "eq"))
outer, trace, det, inv, adjugate = (_op(n) for n in ("outer", "trace", "det", "inv", "adjugate"))
adjugate_derivative = _op("adjugate_derivative")
stack, index, index_add = (_op(n) for n in ("stack", "index", "index_add"))


def chain(g: Any, partial: Any) -> Any:
    """g · ∂ with a strong zero: 0 · ∞ = 0, so a branch not taken never leaks NaN."""
    if partial is ONE:
        return g
    if partial is MINUS_ONE:
        return neg(g)
    if type(g) is np.float64:
        # A cotangent of ±1 (the seed of a scalar output, and what `+`/`-` pass on)
        # needs no multiplication: 1·∂ is ∂ bit for bit, infinities and NaN included.
        if g == 1.0:
            return partial
        if g == -1.0:
            return neg(partial)
        if type(partial) is np.float64:
            return kernels.strong_multiply(g, partial)  # numeric scalars: skip the dispatch
    return smul(g, partial)


def value_of(operand: Any) -> Any:
    """The number behind an operand: a graph reference's value at the tape's point, or itself."""
    return operand.value if isinstance(operand, Ref) else operand


def where_lost(lost: Any, usual: Any, alternative: Callable[[], Any]) -> Any:
    """`usual`, except at the entries where the mask `lost` is true: there `alternative()`.

    For tangent rules whose usual form is exact except where one factor leaves the range of
    doubles. The mask is computed from numbers (`value_of`): in graph mode the choice is made
    at the tape's point, where the two forms are the same function, so derivatives of the
    result are still right there. Most calls find nothing lost and cost one test.
    """
    if not np.any(lost):
        return usual
    if np.ndim(lost) == 0:
        return alternative()
    return where(lost, alternative(), usual)


def out_of_range(value: Any) -> Any:
    """A mask of the entries that are 0, subnormal, infinite or NaN: not a normal double."""
    with np.errstate(invalid="ignore"):
        return ~(np.abs(value) >= kernels.SMALLEST_NORMAL) | np.isinf(value)


def unbroadcast(cotangent: Any, like: Any) -> Any:
    """Sum a cotangent over the axes along which `like` was broadcast."""
    target = shape_of(like)
    if shape_of(cotangent) == target:
        return cotangent
    return sum_to(cotangent, shape=target)


def broadcast_like(tangent: Any, like: Any) -> Any:
    target = shape_of(like)
    if shape_of(tangent) == target:
        return tangent
    return broadcast_to(tangent, shape=target)


def jvp_rule(primitive: Primitive, k: int) -> Rule | None:
    """The rule `rule(t, ans, *args, **attrs)` pushing a tangent of argument k of a
    structural op forward (None: a structural zero)."""
    if primitive.is_linear_in(k):
        return functools.partial(_linear_jvp, primitive, k)
    return _rule(primitive, primitive.jvps, k)


def vjp_rule(primitive: Primitive, k: int) -> Rule | None:
    """The rule `rule(g, ans, *args, **attrs)` pulling a cotangent back to argument k."""
    return _rule(primitive, primitive.vjps, k)


def _rule(primitive: Primitive, rules: tuple[Rule | None, ...] | None, k: int) -> Rule | None:
    if not rules:
        return None
    if primitive.variadic:
        return functools.partial(rules[0], position=k) if rules[0] is not None else None
    return rules[k]


def _linear_jvp(primitive: Primitive, k: int, t: Any, ans: Any, *args: Any, **attrs: Any) -> Any:
    """The JVP of an op linear in argument k is the op applied to the tangent: op(…, ṫ, …).

    The other arguments it is jointly linear in become zeros (where(c, ṫ, 0), [0, ṫ, 0]);
    a bilinear op keeps its other argument (ṫ @ b), and the sweep adds the two terms.
    """
    together = () if primitive.bilinear else range(len(args)) if primitive.variadic else primitive.linear
    new_args = [t if j == k else kernels.zeros(shape_of(a)) if j in together else a
                for j, a in enumerate(args)]
    return apply(primitive.name, *new_args, **attrs)
