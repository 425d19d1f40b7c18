"""The elementwise rows of the op table: arithmetic, elementary functions, comparisons.

Each row lists the op's partial derivatives ∂out/∂argₖ as functions of the result and
the arguments, written with the op functions of `dispatch` so they run on numbers and
on graph references alike. Forward mode multiplies a partial by the tangent, reverse
mode by the cotangent (summed over broadcast axes).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from diffcli.ad.ops import domains, kernels
from diffcli.ad.ops.dispatch import (add, chain, cos, cosh, div, exp, hypot, mul, neg, out_of_range, power, sigmoid,
                                     sign, sin, sinh, smul, sqrt, step, sub, tie_weight, value_of, where_lost)
from diffcli.ad.ops.dispatch import log as log_
from diffcli.ad.ops.registry import MINUS_ONE, ONE, Primitive, register


# ---------------------------------------------------------------- tangent rules
#
# Forward mode multiplies a partial by the incoming tangent; where the partial alone leaves the
# range of doubles (0, subnormal or ∞) but the product would not, a row's `tangent` rule writes
# the JVP without forming that partial. Each keeps the usual product wherever the partial is
# an ordinary number, so results elsewhere are unchanged to the bit.


def _ordinary(*values: Any) -> Any:
    """A mask: every one of `values` is finite and nonzero at this entry."""
    mask = True
    for value in values:
        number = value_of(value)
        mask = mask & np.isfinite(number) & np.not_equal(number, 0.0)
    return mask


def _term(partial_rule: Callable[..., Any], alternative: Callable[..., Any] | None = None,
          usable: Callable[..., Any] = lambda ans, *args: _ordinary(ans, *args)) -> Callable[..., Any]:
    """One argument's share of a tangent rule: ṫ·∂ (∂ = partial_rule(ans, *args)), except where ∂
    is not a normal double and `usable(ans, *args)`: there `alternative(ṫ, ans, *args)`, the same
    product written without forming ∂ alone (no alternative: always ṫ·∂)."""
    def term(t: Any, ans: Any, *args: Any) -> Any:
        partial = partial_rule(ans, *args)
        if alternative is None:
            return chain(t, partial)
        lost = out_of_range(value_of(partial)) & usable(ans, *args)
        return where_lost(lost, chain(t, partial), lambda: alternative(t, ans, *args))

    return term


def _tangent_of(*terms: Callable[..., Any]) -> Callable[..., Any]:
    """A tangent rule: the sum of one `_term` per argument, over the arguments whose tangent is not zero."""
    def tangent(tangents: Any, ans: Any, *args: Any) -> Any:
        total = None
        for term, t in zip(terms, tangents):
            if t is not None:
                share = term(t, ans, *args)
                total = share if total is None else add(total, share)
        return total

    return tangent


def _twice(t: Any, factor: Any, rest: Any = 1.0) -> Any:
    """t·factor·factor·rest, in that order: with factor = e^(−x/2) the halves stay normal where
    e^(−x) alone is subnormal (x beyond 708)."""
    return chain(chain(t, factor), mul(factor, rest))


def _quotient_tangent(tangents: Any, ans: Any, x: Any, y: Any) -> Any:
    """(ẋ − ans·ẏ)/y: the quotient rule with one division, never forming −(x/y)/y — which is
    ≈ 1e-390 for x/exp(470) although its product with ẏ ≈ 1e203 is an ordinary number. Where
    ans·ẏ alone overflows, ẋ/y − ans·(ẏ/y) (ẏ/y, a relative rate, stays moderate)."""
    dx, dy = tangents
    if dy is None:
        return div(dx, y)
    product = chain(dy, ans)  # the strong product: a zero tangent stays zero at ans = ∞
    usual = div(neg(product) if dx is None else sub(dx, product), y)
    overflowed = ~np.isfinite(value_of(usual)) & _ordinary(ans, y)

    def rates() -> Any:
        term = chain(div(dy, y), ans)
        return neg(term) if dx is None else sub(div(dx, y), term)

    return where_lost(overflowed, usual, rates)


def _power_base_partial(ans: Any, x: Any, y: Any) -> Any:
    return smul(y, power(x, y - 1.0))


def _power_exponent_partial(ans: Any, x: Any, y: Any) -> Any:
    return smul(ans, log_(x))


# x^(y−1) leaves the range of doubles though x and ans are ordinary numbers for exp(t)**-1 at
# t = 400 (x^(y−1) = e^-800, the tangent −e^-400): there y·ans·(ẋ/x).
_power_tangent = _tangent_of(
    _term(_power_base_partial, lambda t, ans, x, y: chain(chain(div(t, x), ans), y),
          usable=lambda ans, x, y: _ordinary(ans, x)),
    _term(_power_exponent_partial),
)


def elementwise(name: str, impl: Callable[..., Any], *partials: Callable[..., Any] | None,
                tags: frozenset[str] = frozenset(), **facts: Any) -> None:
    """Register an op that acts entry by entry (broadcasting its arguments like NumPy)."""
    tags = tags | {"elementwise"} | ({"out"} if isinstance(impl, np.ufunc) else set())
    register(Primitive(name=name, impl=impl, partials=partials or None, tags=frozenset(tags),
                       result_size=kernels.broadcast_entries, **facts))


def zero_derivative(name: str, impl: Callable[..., Any], **facts: Any) -> None:
    """Register an elementwise op whose derivative is zero wherever it exists."""
    elementwise(name, impl, differentiable=False, **facts)


# Arithmetic. The chain rule's own product `smul` is like mul, but 0·∞ = 0 (see `chain`).
elementwise("add", np.add, lambda ans, x, y: ONE, lambda ans, x, y: ONE, symbol="+", precedence=1,
            commutative=True, complex_safe=True, identity=(0.0, 0.0), rule="sum", to_sympy=lambda sp, x, y: x + y)
elementwise("sub", np.subtract, lambda ans, x, y: ONE, lambda ans, x, y: MINUS_ONE, symbol="-", precedence=1,
            complex_safe=True, identity=(None, 0.0), rule="difference", to_sympy=lambda sp, x, y: x - y)
elementwise("mul", np.multiply, lambda ans, x, y: y, lambda ans, x, y: x, symbol="*", precedence=2,
            commutative=True, complex_safe=True, identity=(1.0, 1.0), rule="product", to_sympy=lambda sp, x, y: x * y)
elementwise("smul", kernels.strong_multiply, lambda ans, x, y: y, lambda ans, x, y: x, symbol="*", public="mul",
            commutative=True, complex_safe=True, identity=(1.0, 1.0), absorbing=0.0, tags=frozenset({"out"}),
            rule="product", to_sympy=lambda sp, x, y: x * y)
elementwise("div", np.divide, lambda ans, x, y: 1.0 / y, lambda ans, x, y: neg(ans / y), symbol="/",
            precedence=2, tangent=_quotient_tangent, complex_safe=True, identity=(None, 1.0), domain=domains.div_domain,
            rule="quotient", to_sympy=lambda sp, x, y: x / y)
elementwise("pow", kernels.power, _power_base_partial, _power_exponent_partial, tangent=_power_tangent,
            symbol="**", precedence=4, complex_safe=True, identity=(None, 1.0), domain=domains.pow_domain,
            tags=frozenset({"out"}), rule="general power", to_sympy=lambda sp, x, y: x**y)
elementwise("neg", np.negative, lambda ans, x: MINUS_ONE, symbol="-", precedence=3, prefix=True,
            involution=True, complex_safe=True, rule="constant multiple", to_sympy=lambda sp, x: -x)

# Elementary functions: analytic, so the complex step goes through them. Each derivative is
# written in a form that is accurate to a few ulps wherever it is representable:
# 1/cosh² rather than 1 − tanh² (which cancels to 0 beyond |x| ≈ 19), (1 − x)(1 + x) rather
# than 1 − x² (which loses the digits of x near ±1), exp(x) rather than expm1(x) + 1, a
# hypot rather than √(x² + 1) (which overflows beyond 1e154), 1/ln 2 ÷ x rather than 1/(x·ln 2)
# (which loses digits for x near the smallest normal number).
_INV_LN2, _INV_LN10 = 1.0 / math.log(2.0), 1.0 / math.log(10.0)


def _one_minus_square(x: Any) -> Any:
    """1 − x² as (1 − x)(1 + x): exact near x = ±1, where 1 − x·x is left with few digits."""
    return (1.0 - x) * (1.0 + x)


def _atan_partial(ans: Any, x: Any) -> Any:
    return 1.0 / (1.0 + x * x)


def _tanh_partial(ans: Any, x: Any) -> Any:
    return 1.0 / power(cosh(x), 2.0)


def _expm1_partial(ans: Any, x: Any) -> Any:
    return exp(x)


def _log_partial(scale: float) -> Callable[..., Any]:
    return lambda ans, x: scale / x


def _log_tangent(scale: float) -> Callable[..., Any]:
    return _tangent_of(_term(_log_partial(scale),
                             lambda t, ans, x: div(t, x) if scale == 1.0 else chain(div(t, x), scale),
                             usable=lambda ans, x: _ordinary(x)))


ANALYTIC = [
    ("sin", np.sin, lambda ans, x: cos(x), {}, lambda sp, x: sp.sin(x)),
    ("cos", np.cos, lambda ans, x: neg(sin(x)), {}, lambda sp, x: sp.cos(x)),
    ("tan", np.tan, lambda ans, x: 1.0 + ans * ans, {}, lambda sp, x: sp.tan(x)),
    ("asin", np.arcsin, lambda ans, x: 1.0 / sqrt(_one_minus_square(x)),
     {"domain": domains.interval_domain("asin", -1, 1)}, lambda sp, x: sp.asin(x)),
    ("acos", np.arccos, lambda ans, x: neg(1.0 / sqrt(_one_minus_square(x))),
     {"domain": domains.interval_domain("acos", -1, 1)}, lambda sp, x: sp.acos(x)),
    # Beyond |x| = 1e154, 1 + x² overflows and the partial is 0; ẋ/x/x is the tangent there.
    ("atan", np.arctan, _atan_partial, {"tangent": _tangent_of(_term(_atan_partial, lambda t, ans, x: div(div(t, x), x)))},
     lambda sp, x: sp.atan(x)),
    ("sinh", np.sinh, lambda ans, x: cosh(x), {}, lambda sp, x: sp.sinh(x)),
    ("cosh", np.cosh, lambda ans, x: sinh(x), {}, lambda sp, x: sp.cosh(x)),
    # cosh² overflows beyond |x| = 355.4 where 1/cosh² is still (subnormal) nonzero: ẋ/cosh/cosh.
    ("tanh", np.tanh, _tanh_partial, {"tangent": _tangent_of(_term(_tanh_partial, lambda t, ans, x: div(div(t, cosh(x)), cosh(x))))},
     lambda sp, x: sp.tanh(x)),
    ("asinh", np.arcsinh, lambda ans, x: 1.0 / hypot(x, 1.0), {}, lambda sp, x: sp.asinh(x)),
    ("acosh", np.arccosh, lambda ans, x: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)), {"domain": domains.acosh_domain},
     lambda sp, x: sp.acosh(x)),
    ("atanh", np.arctanh, lambda ans, x: 1.0 / _one_minus_square(x),
     {"domain": domains.interval_domain("atanh", -1, 1, closed=False)}, lambda sp, x: sp.atanh(x)),
    ("exp", np.exp, lambda ans, x: ans, {}, lambda sp, x: sp.exp(x)),
    # exp(x) is subnormal below x = −708 (digits lost), its halves are not: ṫ·e^(x/2)·e^(x/2).
    ("expm1", np.expm1, _expm1_partial, {"tangent": _tangent_of(_term(_expm1_partial, lambda t, ans, x: _twice(t, exp(x * 0.5))))},
     lambda sp, x: sp.exp(x) - 1),
    # c/x overflows at a subnormal x (log(exp(−712))) and is subnormal beyond 4.5e307: c·(ẋ/x).
    ("log", np.log, _log_partial(1.0), {"domain": domains.log_domain("log"), "tangent": _log_tangent(1.0)},
     lambda sp, x: sp.log(x)),
    ("log2", np.log2, _log_partial(_INV_LN2), {"domain": domains.log_domain("log2"), "tangent": _log_tangent(_INV_LN2)},
     lambda sp, x: sp.log(x, 2)),
    ("log10", np.log10, _log_partial(_INV_LN10),
     {"domain": domains.log_domain("log10"), "tangent": _log_tangent(_INV_LN10)}, lambda sp, x: sp.log(x, 10)),
    ("log1p", np.log1p, lambda ans, x: 1.0 / (1.0 + x), {"domain": domains.log_domain("log1p")},
     lambda sp, x: sp.log(1 + x)),
    ("sqrt", np.sqrt, lambda ans, x: 0.5 / ans, {"domain": domains.sqrt_domain}, lambda sp, x: sp.sqrt(x)),
]
for _name, _impl, _partial, _facts, _to_sympy in ANALYTIC:
    elementwise(_name, _impl, _partial, complex_safe=True, to_sympy=_to_sympy, **_facts)

# Smooth, but real-only code (or a real-only formula): no complex step through these.
elementwise("cbrt", np.cbrt, lambda ans, x: 1.0 / (3.0 * ans * ans),
            to_sympy=lambda sp, x: sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3))
# σ′ = σ(x)·σ(−x), not σ(1 − σ): 1 − σ(x) cancels for large x (σ′(40) would be 0, not 4e-18).
# Beyond x = 708, σ(−x) is subnormal; there σ′ = σ(x)²·e^(−x) = ṫ·e^(−x/2)·e^(−x/2)·σ(x)².
def _sigmoid_partial(ans: Any, x: Any) -> Any:
    return ans * sigmoid(neg(x))


elementwise("sigmoid", kernels.sigmoid, _sigmoid_partial,
            tangent=_tangent_of(_term(_sigmoid_partial, lambda t, ans, x: _twice(t, exp(x * -0.5), ans * ans),
                                      usable=lambda ans, x: _ordinary(ans) & np.greater(value_of(x), 0.0))),
            to_sympy=lambda sp, x: 1 / (1 + sp.exp(-x)))
elementwise("softplus", kernels.softplus, lambda ans, x: sigmoid(x), to_sympy=lambda sp, x: sp.log(1 + sp.exp(x)))
# ∂atan2(y, x) = (x, −y)/r² with r = hypot(y, x), divided by r twice: x² + y² overflows
# beyond 1e154 and underflows below 1e-154 where the derivative is an ordinary number.
# Where (x/r)/r underflows (y ≪ x ≈ 1e75), the tangent pairs each 1/r with a factor of its own:
# (ẏ/r)·(x/r) − (ẋ/r)·(y/r), products of a relative rate and a ratio at most 1.
def _atan2_partial_y(ans: Any, y: Any, x: Any) -> Any:
    return x / hypot(y, x) / hypot(y, x)


def _atan2_partial_x(ans: Any, y: Any, x: Any) -> Any:
    return neg(y / hypot(y, x) / hypot(y, x))


elementwise("atan2", np.arctan2, _atan2_partial_y, _atan2_partial_x,
            tangent=_tangent_of(
                _term(_atan2_partial_y, lambda t, ans, y, x: chain(div(t, hypot(y, x)), x / hypot(y, x)),
                      usable=lambda ans, y, x: _ordinary(x)),
                _term(_atan2_partial_x, lambda t, ans, y, x: neg(chain(div(t, hypot(y, x)), y / hypot(y, x))),
                      usable=lambda ans, y, x: _ordinary(y))),
            to_sympy=lambda sp, y, x: sp.atan2(y, x))
elementwise("hypot", np.hypot, lambda ans, x, y: x / ans, lambda ans, x, y: y / ans, commutative=True,
            kink=lambda x, y: np.equal(x, 0) & np.equal(y, 0), to_sympy=lambda sp, x, y: sp.sqrt(x**2 + y**2),
            description="√(x² + y²) without overflow or underflow (derivative rules use it)")

# Piecewise functions: differentiable except on a kink (reported, never hidden).
elementwise("abs", np.abs, lambda ans, x: sign(x), kink=lambda x: np.equal(x, 0),
            to_sympy=lambda sp, x: sp.Abs(x))
elementwise("sign", np.sign, lambda ans, x: None, kink=lambda x: np.equal(x, 0),
            to_sympy=lambda sp, x: sp.sign(x))
elementwise("relu", kernels.relu, lambda ans, x: step(x), kink=lambda x: np.equal(x, 0),
            to_sympy=lambda sp, x: sp.Max(x, 0))
elementwise("maximum", np.maximum, lambda ans, x, y: tie_weight(x, y), lambda ans, x, y: tie_weight(y, x),
            kink=np.equal, commutative=True, to_sympy=lambda sp, x, y: sp.Max(x, y))
elementwise("minimum", np.minimum, lambda ans, x, y: tie_weight(y, x), lambda ans, x, y: tie_weight(x, y),
            kink=np.equal, commutative=True, to_sympy=lambda sp, x, y: sp.Min(x, y))

# Ops whose derivative is zero wherever it exists.
zero_derivative("step", kernels.step, to_sympy=lambda sp, x: sp.Piecewise((1, x > 0), (0, True)))
zero_derivative("tie_weight", kernels.tie_weight, to_sympy=lambda sp, x, y: (sp.sign(x - y) + 1) / 2)
zero_derivative("detach", lambda x: x, to_sympy=lambda sp, x: x, description="value with derivative zero")
for _name, _test, _symbol, _to_sympy in (
    ("lt", np.less, "<", lambda sp, a, b: sp.Lt(a, b)),
    ("le", np.less_equal, "<=", lambda sp, a, b: sp.Le(a, b)),
    ("gt", np.greater, ">", lambda sp, a, b: sp.Gt(a, b)),
    ("ge", np.greater_equal, ">=", lambda sp, a, b: sp.Ge(a, b)),
    ("eq", np.equal, "==", lambda sp, a, b: sp.Eq(a, b)),
    ("ne", np.not_equal, "!=", lambda sp, a, b: sp.Ne(a, b)),
):
    # A comparison sits on a branch boundary where its two sides are equal.
    zero_derivative(_name, kernels.truth(_test), symbol=_symbol, to_sympy=_to_sympy, kink=np.equal,
                    commutative=_name in ("eq", "ne"), tags=frozenset({"comparison"}))
zero_derivative("logical_and", kernels.truth(np.logical_and), symbol="and", commutative=True, truth_args=(0, 1),
                to_sympy=lambda sp, a, b: sp.And(a, b))
zero_derivative("logical_or", kernels.truth(np.logical_or), symbol="or", commutative=True, truth_args=(0, 1),
                to_sympy=lambda sp, a, b: sp.Or(a, b))
zero_derivative("logical_not", kernels.truth(np.logical_not), symbol="not", prefix=True, truth_args=(0,),
                to_sympy=lambda sp, a: sp.Not(a))
