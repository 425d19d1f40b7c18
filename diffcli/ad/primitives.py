"""The one table of primitive operations.

Each entry declares, once, how to evaluate an op with NumPy and how to differentiate
it. Forward mode (`forward.py`) and reverse mode (`reverse.py`) both read the same
entry, in the manner of HIPS/autograd's `defjvp`/`defvjp`:

* an elementwise op lists its partial derivatives ∂out/∂argₖ; forward mode multiplies
  them by tangents, reverse mode by the cotangent (summed over broadcast axes);
* a structural op (reduction, matrix product, indexing) lists its linear maps:
  `jvps[k]` pushes a tangent of argument k forward, `vjps[k]` pulls a cotangent back.

Rules are written with ordinary operators and the op functions of this module, so the
same rule computes numbers on NumPy values and builds graph nodes on `tape.Ref`s —
which is how a Hessian comes from forward mode over the reverse-mode graph.

Adding a function is adding one `Primitive(...)` to the table below (and a spelling in
`parse.FUNCTIONS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from diffcli.ad.tape import Ref, finite_nonzero_scalar

# Markers a partial derivative may return so the chain rule skips a multiplication.
ONE = "one"
MINUS_ONE = "minus_one"


@dataclass(frozen=True)
class Primitive:
    """One op: its NumPy evaluation and its derivative rule.

    `partials[k](ans, *args)` is ∂ans/∂args[k] for elementwise ops (None: zero);
    `jvps[k](t, ans, *args, **attrs)` and `vjps[k](g, ans, *args, **attrs)` are the
    linear maps of structural ops (returning None means a structural zero).
    `differentiable=False` marks ops whose derivative is zero everywhere it exists
    (comparisons, `detach`). `kink(*args)` flags points where the op is not
    differentiable; `domain(ans, *args)` explains a non-finite result. `tags`:
    "elementwise" (acts entry by entry), "comparison" (a branch test), "out" (`impl`
    accepts `out=` like a ufunc, so the chunked evaluator can reuse buffers).
    """

    name: str
    impl: Callable[..., Any]
    partials: tuple[Callable[..., Any] | None, ...] | None = None
    jvps: tuple[Callable[..., Any] | None, ...] | None = None
    vjps: tuple[Callable[..., Any] | None, ...] | None = None
    differentiable: bool = True
    kink: Callable[..., Any] | None = None
    domain: Callable[..., str | None] | None = None
    symbol: str | None = None
    to_sympy: Callable[..., Any] | None = None
    description: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)
    # Analytic where its real version is defined, with an `impl` that accepts complex input:
    # only through such ops is the complex step f(x + ih) meaningful.
    complex_safe: bool = False


PRIMITIVES: dict[str, Primitive] = {}

_COMPLEX_SAFE = frozenset({'add', 'sub', 'mul', 'smul', 'div', 'neg', 'pow', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'exp', 'expm1', 'log', 'log2', 'log10', 'log1p', 'sqrt', 'stack', 'index', 'sum_to', 'broadcast_to', 'sum', 'mean', 'prod', 'matmul', 'transpose', 'outer'})


def register(primitive: Primitive) -> Primitive:
    if primitive.name in _COMPLEX_SAFE:
        import dataclasses

        primitive = dataclasses.replace(primitive, complex_safe=True)
    PRIMITIVES[primitive.name] = primitive
    return primitive


def apply(name: str, *args: Any, **attrs: Any) -> Any:
    """Apply primitive `name`: numerically, or as a new graph node if any arg is a Ref."""
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
    call.__doc__ = f"Apply the `{name}` primitive (numerically or in graph mode)."
    return call


add, sub, mul, div, neg, power = (_op(n) for n in ("add", "sub", "mul", "div", "neg", "pow"))
smul, where, sum_to, broadcast_to = (_op(n) for n in ("smul", "where", "sum_to", "broadcast_to"))
sin, cos, exp, log, sqrt, sign = (_op(n) for n in ("sin", "cos", "exp", "log", "sqrt", "sign"))
sinh, cosh, sigmoid, step, tie_weight = (
    _op(n) for n in ("sinh", "cosh", "sigmoid", "step", "tie_weight")
)


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
            return _strong_multiply(g, partial)  # numeric scalars: skip the dispatch
    return smul(g, partial)


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


# --------------------------------------------------------------------------- NumPy side


def _scalar(result: Any) -> Any:
    """0-d arrays become NumPy scalars, so every scalar value has one type."""
    return result[()] if isinstance(result, np.ndarray) and result.ndim == 0 else result


def _strong_multiply(a: Any, b: Any, out: np.ndarray | None = None) -> Any:
    """a·b, except that 0·∞ and 0·NaN are 0; `out` (not overlapping a or b) receives it."""
    product = np.multiply(a, b, out=out)
    if type(product) is np.float64:
        if math.isfinite(product) or not (a == 0 or b == 0):
            return product
        return np.float64(0.0)
    if finite_nonzero_scalar(a) or finite_nonzero_scalar(b):
        # 0·∞ needs a factor that is 0 and one that is not finite; a finite nonzero scalar
        # is neither, so the product is already right (and the array scan is skipped).
        return product
    if not all_finite(product):
        np.copyto(product, 0.0, where=(np.asarray(a) == 0) | (np.asarray(b) == 0))
    return product


def reuse_product(product: Any, a: Any, b: Any) -> Any:
    """The strong product of a and b, given their plain product a·b (which it equals where finite)."""
    if all_finite(product):
        return product
    return _strong_multiply(a, b)


def all_finite(values: Any) -> bool:
    """No infinity or NaN among `values`.

    For a float64 array, p·p is finite exactly when every entry is, unless an entry
    exceeds 1e154 and the sum overflows; only then is each entry looked at. The dot
    product is one BLAS pass with no temporary, about 3× faster than np.isfinite().all().
    """
    if type(values) is np.ndarray and values.dtype == np.float64 and values.size:
        flat = values.reshape(-1)
        with np.errstate(over="ignore"):  # an overflowing sum only means: look closer
            square_sum = np.dot(flat, flat)
        if math.isfinite(square_sum):
            return True
    return bool(np.isfinite(values).all())


def _power(x: Any, y: Any, out: np.ndarray | None = None) -> Any:
    """x**y; a small whole exponent by multiplication, as np.power calls pow() per entry (~25× slower).

    Exponents 1 and 2 give the same bits as np.power; 3 and 4 agree within two ulps.
    `out`, if given, receives the result.
    """
    if type(y) is np.float64 and isinstance(x, (np.ndarray, np.float64)) and x.dtype == np.float64:
        if y == 1.0:
            # Values are never written to, so sharing the array is safe.
            return x if out is None else np.positive(x, out=out)
        if y == 2.0:
            return np.square(x, out=out)
        if y in (3.0, 4.0):
            square = np.square(x, out=out)
            again = square if type(square) is np.ndarray else None  # a fresh array or `out`
            return np.multiply(square, x, out=again) if y == 3.0 else np.square(square, out=again)
    return np.power(x, y, out=out)


def _where(condition: Any, a: Any, b: Any) -> Any:
    return _scalar(np.where(condition, a, b))


def _sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    return _scalar(np.sum(x, axis=axes, keepdims=True).reshape(shape)) if axes else _scalar(x.reshape(shape))


def _sum_to_object(x: Any, shape: tuple[int, ...]) -> Any:
    """sum_to for object arrays of SymPy expressions."""
    x = np.asarray(x, dtype=object)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return _scalar(np.asarray(summed, dtype=object).reshape(shape))


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return _scalar(np.array(np.broadcast_to(x, shape)))


def _tie_weight(a: Any, b: Any) -> Any:
    """1 where a > b, ½ at a tie, 0 where a < b: the share of max(a, b)'s derivative a gets."""
    return _scalar((np.sign(np.subtract(a, b)) + 1.0) / 2.0)


def _step(x: Any) -> Any:
    return _scalar(np.greater(x, 0).astype(np.float64))


def _sigmoid(x: Any) -> Any:
    return _scalar(np.where(np.greater_equal(x, 0), 1.0 / (1.0 + np.exp(-np.abs(x))),
                            np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x)))))


def _relu(x: Any) -> Any:
    return np.maximum(x, 0.0)


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


# ---------------------------------------------------------------------- domain messages


def _fmt(value: Any) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        number = float(array)
        return repr(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.6g}"
    return f"array of shape {array.shape}"


def _first_bad(ans: Any, *args: Any) -> tuple[Any, ...]:
    """The arguments at the first entry where `ans` is not finite (scalars as they are)."""
    ans_array = np.asarray(ans)
    if ans_array.ndim == 0:
        return args
    index = tuple(np.argwhere(~np.isfinite(ans_array))[0])
    picked = []
    for arg in args:
        array = np.broadcast_to(np.asarray(arg), ans_array.shape)
        picked.append(array[index])
    return tuple(picked)


def _log_domain(label: str) -> Callable[..., str | None]:
    def message(ans: Any, x: Any) -> str | None:
        (x,) = _first_bad(ans, x)
        if x < 0:
            return f"{label} of a negative number: {label}({_fmt(x)}) is undefined"
        if x == 0:
            return f"{label} of zero: {label}(0) is -infinity"
        return None

    return message


def _sqrt_domain(ans: Any, x: Any) -> str | None:
    (x,) = _first_bad(ans, x)
    return f"sqrt of a negative number: sqrt({_fmt(x)}) is undefined" if x < 0 else None


def _div_domain(ans: Any, x: Any, y: Any) -> str | None:
    x, y = _first_bad(ans, x, y)
    return f"division by zero: {_fmt(x)}/{_fmt(y)}" if y == 0 else None


def _pow_domain(ans: Any, x: Any, y: Any) -> str | None:
    x, y = _first_bad(ans, x, y)
    if x < 0 and not float(y).is_integer():
        return f"a negative number to a non-integer power: ({_fmt(x)})**{_fmt(y)} is not real"
    if x == 0 and y < 0:
        return f"zero to a negative power: 0**{_fmt(y)} is infinite (division by zero)"
    return None


def _interval_domain(label: str, low: float, high: float, closed: bool = True) -> Callable[..., str | None]:
    def message(ans: Any, x: Any) -> str | None:
        (x,) = _first_bad(ans, x)
        inside = low <= x <= high if closed else low < x < high
        if not inside:
            bracket = f"[{_fmt(low)}, {_fmt(high)}]" if closed else f"({_fmt(low)}, {_fmt(high)})"
            return f"{label}({_fmt(x)}) is undefined: {label} needs its argument in {bracket}"
        return None

    return message


def _acosh_domain(ans: Any, x: Any) -> str | None:
    (x,) = _first_bad(ans, x)
    return f"acosh({_fmt(x)}) is undefined: acosh needs an argument >= 1" if x < 1 else None


def _inv_domain(ans: Any, x: Any) -> str | None:
    return "inverse of a singular matrix"


# ------------------------------------------------------------------------ the table


def _elementwise(name: str, impl: Callable[..., Any], *partials: Callable[..., Any] | None, **extra: Any) -> None:
    extra.setdefault("tags", frozenset({"elementwise"}))
    register(Primitive(name=name, impl=impl, partials=partials, **extra))


def _nondiff(name: str, impl: Callable[..., Any], **extra: Any) -> None:
    extra.setdefault("tags", frozenset({"elementwise"}))
    register(Primitive(name=name, impl=impl, differentiable=False, **extra))


_LN2, _LN10 = math.log(2.0), math.log(10.0)

# Arithmetic.
_elementwise("add", np.add, lambda ans, x, y: ONE, lambda ans, x, y: ONE, symbol="+",
             to_sympy=lambda sp, x, y: x + y)
_elementwise("sub", np.subtract, lambda ans, x, y: ONE, lambda ans, x, y: MINUS_ONE, symbol="-",
             to_sympy=lambda sp, x, y: x - y)
_elementwise("mul", np.multiply, lambda ans, x, y: y, lambda ans, x, y: x, symbol="*",
             to_sympy=lambda sp, x, y: x * y)
# The chain rule's own product: like mul, but 0·∞ = 0 (see `chain`).
_elementwise("smul", _strong_multiply, lambda ans, x, y: y, lambda ans, x, y: x, symbol="*",
             to_sympy=lambda sp, x, y: x * y, tags=frozenset({"elementwise", "out"}))
_elementwise("div", np.divide, lambda ans, x, y: 1.0 / y, lambda ans, x, y: neg(ans / y), symbol="/",
             domain=_div_domain, to_sympy=lambda sp, x, y: x / y)
_elementwise("pow", _power,
             lambda ans, x, y: smul(y, power(x, y - 1.0)),
             lambda ans, x, y: smul(ans, log(x)),
             symbol="**", domain=_pow_domain, to_sympy=lambda sp, x, y: x**y,
             tags=frozenset({"elementwise", "out"}))
_elementwise("neg", np.negative, lambda ans, x: MINUS_ONE, symbol="-", to_sympy=lambda sp, x: -x)

# Elementary functions.
_elementwise("sin", np.sin, lambda ans, x: cos(x), to_sympy=lambda sp, x: sp.sin(x))
_elementwise("cos", np.cos, lambda ans, x: neg(sin(x)), to_sympy=lambda sp, x: sp.cos(x))
_elementwise("tan", np.tan, lambda ans, x: 1.0 + ans * ans, to_sympy=lambda sp, x: sp.tan(x))
_elementwise("asin", np.arcsin, lambda ans, x: 1.0 / sqrt(1.0 - x * x),
             domain=_interval_domain("asin", -1, 1), to_sympy=lambda sp, x: sp.asin(x))
_elementwise("acos", np.arccos, lambda ans, x: neg(1.0 / sqrt(1.0 - x * x)),
             domain=_interval_domain("acos", -1, 1), to_sympy=lambda sp, x: sp.acos(x))
_elementwise("atan", np.arctan, lambda ans, x: 1.0 / (1.0 + x * x), to_sympy=lambda sp, x: sp.atan(x))
_elementwise("sinh", np.sinh, lambda ans, x: cosh(x), to_sympy=lambda sp, x: sp.sinh(x))
_elementwise("cosh", np.cosh, lambda ans, x: sinh(x), to_sympy=lambda sp, x: sp.cosh(x))
_elementwise("tanh", np.tanh, lambda ans, x: 1.0 - ans * ans, to_sympy=lambda sp, x: sp.tanh(x))
_elementwise("asinh", np.arcsinh, lambda ans, x: 1.0 / sqrt(x * x + 1.0), to_sympy=lambda sp, x: sp.asinh(x))
_elementwise("acosh", np.arccosh, lambda ans, x: 1.0 / sqrt(x * x - 1.0), domain=_acosh_domain,
             to_sympy=lambda sp, x: sp.acosh(x))
_elementwise("atanh", np.arctanh, lambda ans, x: 1.0 / (1.0 - x * x),
             domain=_interval_domain("atanh", -1, 1, closed=False), to_sympy=lambda sp, x: sp.atanh(x))
_elementwise("exp", np.exp, lambda ans, x: ans, to_sympy=lambda sp, x: sp.exp(x))
_elementwise("expm1", np.expm1, lambda ans, x: ans + 1.0, to_sympy=lambda sp, x: sp.exp(x) - 1)
_elementwise("log", np.log, lambda ans, x: 1.0 / x, domain=_log_domain("log"),
             to_sympy=lambda sp, x: sp.log(x))
_elementwise("log2", np.log2, lambda ans, x: 1.0 / (x * _LN2), domain=_log_domain("log2"),
             to_sympy=lambda sp, x: sp.log(x, 2))
_elementwise("log10", np.log10, lambda ans, x: 1.0 / (x * _LN10), domain=_log_domain("log10"),
             to_sympy=lambda sp, x: sp.log(x, 10))
_elementwise("log1p", np.log1p, lambda ans, x: 1.0 / (1.0 + x), domain=_log_domain("log1p"),
             to_sympy=lambda sp, x: sp.log(1 + x))
_elementwise("sqrt", np.sqrt, lambda ans, x: 0.5 / ans, domain=_sqrt_domain,
             to_sympy=lambda sp, x: sp.sqrt(x))
_elementwise("cbrt", np.cbrt, lambda ans, x: 1.0 / (3.0 * ans * ans),
             to_sympy=lambda sp, x: sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3))
_elementwise("sigmoid", _sigmoid, lambda ans, x: ans * (1.0 - ans),
             to_sympy=lambda sp, x: 1 / (1 + sp.exp(-x)))
_elementwise("softplus", _softplus, lambda ans, x: sigmoid(x), to_sympy=lambda sp, x: sp.log(1 + sp.exp(x)))
_elementwise("atan2", np.arctan2, lambda ans, y, x: x / (x * x + y * y), lambda ans, y, x: neg(y / (x * x + y * y)),
             to_sympy=lambda sp, y, x: sp.atan2(y, x))

# Piecewise functions: differentiable except on a kink (reported, never hidden).
_elementwise("abs", np.abs, lambda ans, x: sign(x), kink=lambda x: np.equal(x, 0),
             to_sympy=lambda sp, x: sp.Abs(x))
_elementwise("sign", np.sign, lambda ans, x: None, kink=lambda x: np.equal(x, 0),
             to_sympy=lambda sp, x: sp.sign(x))
_elementwise("relu", _relu, lambda ans, x: step(x), kink=lambda x: np.equal(x, 0),
             to_sympy=lambda sp, x: sp.Max(x, 0))
_elementwise("maximum", np.maximum, lambda ans, x, y: tie_weight(x, y), lambda ans, x, y: tie_weight(y, x),
             kink=np.equal, to_sympy=lambda sp, x, y: sp.Max(x, y))
_elementwise("minimum", np.minimum, lambda ans, x, y: tie_weight(y, x), lambda ans, x, y: tie_weight(x, y),
             kink=np.equal, to_sympy=lambda sp, x, y: sp.Min(x, y))

# Ops whose derivative is zero wherever it exists.
_nondiff("step", _step, to_sympy=lambda sp, x: sp.Piecewise((1, x > 0), (0, True)))
_nondiff("tie_weight", _tie_weight, to_sympy=lambda sp, x, y: (sp.sign(x - y) + 1) / 2)
_nondiff("detach", lambda x: x, to_sympy=lambda sp, x: x, description="value with derivative zero")
def _truth(test: Callable[..., Any]) -> Callable[..., Any]:
    """A comparison or logical op whose truth value is the number 1.0 or 0.0.

    To the rest of a formula a truth value is a number (sigmoid(x > 0), (x > 0) - 1),
    and NumPy refuses some arithmetic on booleans; `where` reads nonzero as true.
    """
    def impl(*args: Any) -> Any:
        result = test(*args)
        return result.astype(np.float64) if type(result) is np.ndarray else np.float64(result)

    impl.__name__ = test.__name__
    return impl


for _name, _impl, _sym, _to in (
    ("lt", np.less, "<", lambda sp, a, b: sp.Lt(a, b)),
    ("le", np.less_equal, "<=", lambda sp, a, b: sp.Le(a, b)),
    ("gt", np.greater, ">", lambda sp, a, b: sp.Gt(a, b)),
    ("ge", np.greater_equal, ">=", lambda sp, a, b: sp.Ge(a, b)),
    ("eq", np.equal, "==", lambda sp, a, b: sp.Eq(a, b)),
    ("ne", np.not_equal, "!=", lambda sp, a, b: sp.Ne(a, b)),
):
    # A comparison sits on a branch boundary where its two sides are equal.
    _nondiff(_name, _truth(_impl), symbol=_sym, to_sympy=_to, kink=np.equal,
             tags=frozenset({"comparison", "elementwise"}))
_nondiff("logical_and", _truth(np.logical_and), symbol="and", to_sympy=lambda sp, a, b: sp.And(a, b))
_nondiff("logical_or", _truth(np.logical_or), symbol="or", to_sympy=lambda sp, a, b: sp.Or(a, b))
_nondiff("logical_not", _truth(np.logical_not), symbol="not", to_sympy=lambda sp, a: sp.Not(a))


# where(c, a, b): the derivative follows the branch taken. With a scalar condition
# known numerically the other branch gets a structural zero and is never visited.
def _where_jvp(branch: int) -> Callable[..., Any]:
    def rule(t: Any, ans: Any, c: Any, a: Any, b: Any) -> Any:
        if not isinstance(c, Ref) and np.ndim(c) == 0:
            return broadcast_like(t, ans) if bool(c) == (branch == 1) else None
        picked = where(c, t, 0.0) if branch == 1 else where(c, 0.0, t)
        return broadcast_like(picked, ans)

    return rule


def _where_vjp(branch: int) -> Callable[..., Any]:
    def rule(g: Any, ans: Any, c: Any, a: Any, b: Any) -> Any:
        like = a if branch == 1 else b
        if not isinstance(c, Ref) and np.ndim(c) == 0:
            return unbroadcast(g, like) if bool(c) == (branch == 1) else None
        picked = where(c, g, 0.0) if branch == 1 else where(c, 0.0, g)
        return unbroadcast(picked, like)

    return rule


register(Primitive(
    name="where", impl=_where,
    jvps=(None, _where_jvp(1), _where_jvp(2)),
    vjps=(None, _where_vjp(1), _where_vjp(2)),
    to_sympy=lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)),
    description="where(condition, a, b); also `a if condition else b`",
    tags=frozenset({"elementwise"}),
))

# Broadcasting plumbing used by the rules themselves; each is the other's transpose.
register(Primitive(
    name="sum_to", impl=_sum_to,
    jvps=(lambda t, ans, x, shape: sum_to(t, shape=shape),),
    vjps=(lambda g, ans, x, shape: broadcast_to(g, shape=shape_of(x)),),
    to_sympy=lambda sp, x, shape: _sum_to_object(x, shape),
))
register(Primitive(
    name="broadcast_to", impl=_broadcast_to,
    jvps=(lambda t, ans, x, shape: broadcast_to(t, shape=shape),),
    vjps=(lambda g, ans, x, shape: sum_to(g, shape=shape_of(x)),),
    to_sympy=lambda sp, x, shape: np.broadcast_to(np.asarray(x, dtype=object), shape).copy(),
))


def _stack(*parts: Any) -> Any:
    if len({np.shape(p) for p in parts}) > 1:
        shapes = ", ".join(str(np.shape(p)) for p in parts)
        raise ValueError(f"the entries of a list must all have the same shape, got {shapes}")
    return np.stack(parts)


def _stack_vjp(k: int) -> Callable[..., Any]:
    return lambda g, ans, *parts: index(g, index=(("at", k),))


def _stack_jvp(k: int) -> Callable[..., Any]:
    def rule(t: Any, ans: Any, *parts: Any) -> Any:
        # Put t in slot k of an otherwise zero tensor shaped like ans.
        return stack(*[broadcast_like(t, parts[k]) if j == k else 0.0 * parts[j] for j in range(len(parts))])

    return rule


class _StackRules(tuple):
    """Per-argument rules for a variadic op: rule k is made on demand."""

    def __new__(cls, factory: Callable[[int], Callable[..., Any]]):
        instance = super().__new__(cls, ())
        instance.factory = factory
        return instance

    def __getitem__(self, k: int) -> Callable[..., Any]:  # type: ignore[override]
        return self.factory(k)

    def __bool__(self) -> bool:
        return True


def _index_value(x: Any, index: tuple) -> Any:
    return _scalar(np.asarray(x)[_as_numpy_index(index)])


def _as_numpy_index(index: tuple) -> tuple:
    return tuple(slice(*part[1:]) if part[0] == "slice" else part[1] for part in index)


def _index_vjp(g: Any, ans: Any, x: Any, index: tuple) -> Any:
    return index_add(g, x, index=index)


def _index_add(g: Any, like: Any, index: tuple) -> Any:
    """Zeros shaped like `like`, with `g` added at `index` (the transpose of indexing)."""
    out = np.zeros(np.shape(like))
    np.add.at(out, _as_numpy_index(index), g)
    return out


stack, index, index_add = (_op(n) for n in ("stack", "index", "index_add"))

register(Primitive(
    name="stack", impl=_stack, jvps=_StackRules(_stack_jvp), vjps=_StackRules(_stack_vjp),
    to_sympy=lambda sp, *parts: np.stack([np.asarray(p, dtype=object) for p in parts]),
    description="[a, b, ...] inside a formula: a tensor from its entries",
))
register(Primitive(
    name="index", impl=_index_value,
    jvps=(lambda t, ans, x, index: globals()["index"](t, index=index),),
    vjps=(_index_vjp,),
    to_sympy=lambda sp, x, index: _scalar(np.asarray(x, dtype=object)[_as_numpy_index(index)]),
    description="x[0], x[1:], A[:, 0]",
))
register(Primitive(
    name="index_add", impl=_index_add,
    jvps=(lambda t, ans, g, like, index: index_add(t, like, index=index), None),
    vjps=(lambda g2, ans, g, like, index: globals()["index"](g2, index=index), None),
))


def domain_message(op: str, ans: Any, args: tuple[Any, ...]) -> str:
    """Why `op(*args)` produced a non-finite value, in one sentence."""
    primitive = PRIMITIVES[op]
    if primitive.domain is not None:
        try:
            message = primitive.domain(ans, *args)
        except (TypeError, ValueError, IndexError):
            message = None
        if message:
            return message
    if np.isinf(np.asarray(ans)).any():
        shown = ", ".join(_fmt(a) for a in _first_bad(ans, *args))
        return f"{op}({shown}) overflowed to infinity"
    shown = ", ".join(_fmt(a) for a in _first_bad(ans, *args))
    return f"{op}({shown}) is undefined"


# ------------------------------------------------------------------ tensors and linear algebra
#
# Structural ops: each declares its linear maps (jvps, vjps) with the op functions
# below, so they build graph nodes on `Ref`s and a Hessian can differentiate them again.
# Shapes follow NumPy. A shape that does not fit raises ValueError naming both shapes;
# `evaluate` turns that into a usage error with the column. A singular matrix is not
# the user's typo but mathematics: `inv` returns NaN and its domain message says why.

matmul, transpose, reshape = (_op(n) for n in ("matmul", "transpose", "reshape"))
reduce_sum, reduce_mean, reduce_prod = (_op(n) for n in ("sum", "mean", "prod"))
prod_others, extremum_share = (_op(n) for n in ("prod_others", "extremum_share"))
outer, norm, trace, det, logdet, inv, adjugate = (
    _op(n) for n in ("outer", "norm", "trace", "det", "logdet", "inv", "adjugate")
)
equal = _op("eq")


def _ndim(value: Any) -> int:
    return len(shape_of(value))


def _object(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=object)


def _matmul(a: Any, b: Any) -> Any:
    sa, sb = np.shape(a), np.shape(b)
    if not 1 <= len(sa) <= 2 or not 1 <= len(sb) <= 2:
        raise ValueError(f"@ needs vectors or matrices, got shapes {sa} @ {sb}")
    inner_a = sa[-1]
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        raise ValueError(f"shapes {sa} @ {sb} do not fit: inner dimensions {inner_a} and {inner_b} differ")
    return _scalar(np.matmul(a, b))


def _matmul_vjp_a(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _ndim(a) == 1 and _ndim(b) == 1:
        return mul(g, b)
    if _ndim(a) == 1:
        return matmul(b, g)             # (k,m) @ (m,) -> (k,)
    if _ndim(b) == 1:
        return outer(g, b)              # (n,) x (k,) -> (n,k)
    return matmul(g, transpose(b))


def _matmul_vjp_b(g: Any, ans: Any, a: Any, b: Any) -> Any:
    if _ndim(a) == 1 and _ndim(b) == 1:
        return mul(g, a)
    if _ndim(a) == 1:
        return outer(a, g)              # (k,) x (m,) -> (k,m)
    if _ndim(b) == 1:
        return matmul(transpose(a), g)  # (k,n) @ (n,) -> (k,)
    return matmul(transpose(a), g)


def _normal_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim if ndim else a for a in axes)


def _expand(g: Any, x: Any, axis: Any) -> Any:
    """A reduction's cotangent (or value) broadcast back to the shape of its input `x`."""
    shape = shape_of(x)
    if axis is not None:
        axes = _normal_axes(axis, len(shape))
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
        g = reshape(g, shape=kept)
    return broadcast_like(g, x)


def _count(x: Any, axis: Any) -> int:
    shape = shape_of(x)
    return int(np.prod([shape[i] for i in _normal_axes(axis, len(shape))])) if shape else 1


def _reduction_sympy(reducer: Callable[[np.ndarray, Any], Any]) -> Callable[..., Any]:
    def convert(sp: Any, x: Any, axis: Any = None) -> Any:
        array = _object(x)
        if array.ndim == 0:
            return x
        return _scalar(_object(reducer(array, axis)))

    return convert


def _sympy_extremum(function_name: str) -> Callable[[np.ndarray, Any], Any]:
    def reducer(array: np.ndarray, axis: Any) -> Any:
        import sympy as sp

        pick = getattr(sp, function_name)
        axes = _normal_axes(axis, array.ndim)
        rest = [i for i in range(array.ndim) if i not in axes]
        groups = np.transpose(array, rest + list(axes)).reshape([array.shape[i] for i in rest] + [-1])
        out = np.empty(groups.shape[:-1], dtype=object)
        for index in np.ndindex(out.shape):
            out[index] = pick(*groups[index])
        return out

    return reducer


def _extremum_share(x: Any, axis: Any = None, kind: str = "max") -> Any:
    """Weights of the entries that attain the max (min); ties share equally."""
    x = np.asarray(x, dtype=np.float64)
    best = (np.max if kind == "max" else np.min)(x, axis=axis, keepdims=True)
    hit = (x == best).astype(np.float64)
    return _scalar(hit / np.sum(hit, axis=axis, keepdims=True))


def _extremum_tie(x: Any) -> Any:
    """A tie for the overall max or min (kink checks see no attrs, so axis= is not considered)."""
    x = np.asarray(x, dtype=np.float64)
    return x.size > 1 and (np.sum(x == x.max()) > 1 or np.sum(x == x.min()) > 1)


def _prod_others(x: Any, axis: Any = None) -> Any:
    """For each entry, the product of the other entries in its reduction group (no division)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        return np.float64(1.0)
    axes = _normal_axes(axis, x.ndim)
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape(moved.shape[:len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    out = (left * right).reshape(moved.shape)
    return _scalar(np.transpose(out, np.argsort(rest + list(axes))))


def _needs_square(label: str, a: Any) -> None:
    shape = np.shape(a)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"needs a square matrix, got shape {shape}")


def _inv(a: Any) -> Any:
    _needs_square("inv", a)
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.full(np.shape(a), np.nan)


def _det(a: Any) -> Any:
    _needs_square("det", a)
    return np.float64(np.linalg.det(a))


def _logdet(a: Any) -> Any:
    _needs_square("logdet", a)
    sign, value = np.linalg.slogdet(a)
    if sign > 0:
        return np.float64(value)
    return np.float64(-np.inf if sign == 0 else np.nan)


def _adjugate(a: Any) -> Any:
    """adj(A) = cofactor matrixᵀ, exact also for a singular A (det's gradient is adj(A)ᵀ)."""
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[0]
    if n == 1:
        return np.ones((1, 1))
    cofactors = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=0), j, axis=1)
            cofactors[i, j] = (-1.0) ** (i + j) * np.linalg.det(minor)
    return cofactors.T


def _trace(a: Any) -> Any:
    if np.ndim(a) != 2:
        raise ValueError(f"needs a matrix, got shape {np.shape(a)}")
    return np.float64(np.trace(a))


def _outer(a: Any, b: Any) -> Any:
    if np.ndim(a) != 1 or np.ndim(b) != 1:
        raise ValueError(f"needs two vectors, got shapes {np.shape(a)} and {np.shape(b)}")
    return np.outer(a, b)


def _norm(x: Any) -> Any:
    return np.float64(np.sqrt(np.sum(np.square(x))))


def _safe_share(x: Any, ans: Any) -> Any:
    """x/‖x‖, taken as 0 at x = 0 (a subgradient, like abs'(0) = 0; the kink is reported)."""
    return div(x, where(equal(ans, 0.0), 1.0, ans))


def _linalg_domain(label: str) -> Callable[..., str | None]:
    def message(ans: Any, a: Any) -> str | None:
        if label == "logdet":
            d = float(np.linalg.det(a))
            if d == 0:
                return "logdet of a singular matrix: det = 0, so logdet is -infinity"
            if d < 0:
                return f"logdet of a matrix with negative determinant ({_fmt(d)}): the log is undefined"
        return f"{label} of a singular matrix (determinant 0)"

    return message


def _sympy_matrix(sp: Any, a: Any) -> Any:
    return sp.Matrix(_object(a).tolist())


register(Primitive(
    name="matmul", impl=_matmul, symbol="@",
    jvps=(lambda t, ans, a, b: matmul(t, b), lambda t, ans, a, b: matmul(a, t)),
    vjps=(_matmul_vjp_a, _matmul_vjp_b),
    to_sympy=lambda sp, a, b: _scalar(_object(np.matmul(_object(a), _object(b)))),
    description="a @ b: matrix product (vectors as in NumPy); dot(a, b) is the same",
))
register(Primitive(
    name="transpose", impl=lambda x: _scalar(np.transpose(x)),
    jvps=(lambda t, ans, x: transpose(t),), vjps=(lambda g, ans, x: transpose(g),),
    to_sympy=lambda sp, x: _scalar(np.transpose(_object(x))), description="x.T",
))
register(Primitive(
    name="reshape", impl=lambda x, shape: _scalar(np.reshape(x, shape)),
    jvps=(lambda t, ans, x, shape: reshape(t, shape=shape),),
    vjps=(lambda g, ans, x, shape: reshape(g, shape=shape_of(x)),),
    to_sympy=lambda sp, x, shape: _scalar(np.reshape(_object(x), shape)),
))
register(Primitive(
    name="sum", impl=lambda x, axis=None: _scalar(np.sum(x, axis=axis)),
    jvps=(lambda t, ans, x, axis=None: reduce_sum(t, axis=axis),),
    vjps=(lambda g, ans, x, axis=None: _expand(g, x, axis),),
    to_sympy=_reduction_sympy(lambda a, axis: np.sum(a, axis=axis)),
    description="sum(x), sum(x, axis=0)",
))
register(Primitive(
    name="mean", impl=lambda x, axis=None: _scalar(np.mean(x, axis=axis)),
    jvps=(lambda t, ans, x, axis=None: reduce_mean(t, axis=axis),),
    vjps=(lambda g, ans, x, axis=None: div(_expand(g, x, axis), float(_count(x, axis))),),
    to_sympy=_reduction_sympy(lambda a, axis: np.sum(a, axis=axis) / _count(a, axis)),
    description="mean(x), mean(x, axis=0)",
))
register(Primitive(
    name="prod", impl=lambda x, axis=None: _scalar(np.prod(x, axis=axis)),
    jvps=(lambda t, ans, x, axis=None: reduce_sum(mul(t, prod_others(x, axis=axis)), axis=axis),),
    vjps=(lambda g, ans, x, axis=None: mul(_expand(g, x, axis), prod_others(x, axis=axis)),),
    to_sympy=_reduction_sympy(lambda a, axis: np.prod(a, axis=axis)),
    description="prod(x), prod(x, axis=0)",
))
# d(prod of the others)ᵢ = Σ_{j≠i} tⱼ·(product without i and j), written with a division:
# exact wherever x has no zero entry (second derivatives of prod at a zero are NaN).
register(Primitive(
    name="prod_others", impl=_prod_others,
    jvps=(lambda t, ans, x, axis=None: mul(ans, sub(_expand(reduce_sum(div(t, x), axis=axis), x, axis), div(t, x))),),
    vjps=(lambda g, ans, x, axis=None: div(sub(_expand(reduce_sum(mul(g, ans), axis=axis), x, axis), mul(g, ans)), x),),
))
def _register_extremum(kind: str) -> None:
    """max(x) / min(x) with axis=: the derivative goes to the entries attaining it, ties sharing."""
    pick = np.max if kind == "max" else np.min
    register(Primitive(
        name=kind, impl=lambda x, axis=None: _scalar(pick(x, axis=axis)),
        jvps=(lambda t, ans, x, axis=None: reduce_sum(mul(t, extremum_share(x, axis=axis, kind=kind)), axis=axis),),
        vjps=(lambda g, ans, x, axis=None: mul(_expand(g, x, axis), extremum_share(x, axis=axis, kind=kind)),),
        kink=_extremum_tie,
        to_sympy=_reduction_sympy(_sympy_extremum("Max" if kind == "max" else "Min")),
        description=f"{kind}(x), {kind}(x, axis=0): the {'largest' if kind == 'max' else 'smallest'} entry",
    ))


_register_extremum("max")
_register_extremum("min")
_nondiff("extremum_share", _extremum_share, tags=frozenset())
register(Primitive(
    name="outer", impl=_outer,
    jvps=(lambda t, ans, a, b: outer(t, b), lambda t, ans, a, b: outer(a, t)),
    vjps=(lambda g, ans, a, b: matmul(g, b), lambda g, ans, a, b: matmul(transpose(g), a)),
    to_sympy=lambda sp, a, b: np.outer(_object(a), _object(b)),
    description="outer(a, b): the matrix a bᵀ of two vectors",
))
register(Primitive(
    name="norm", impl=_norm,
    jvps=(lambda t, ans, x: reduce_sum(mul(t, _safe_share(x, ans))),),
    vjps=(lambda g, ans, x: mul(g, _safe_share(x, ans)),),
    kink=lambda x: not np.any(x),
    to_sympy=lambda sp, x: sp.sqrt(sum((e**2 for e in _object(x).ravel()), sp.Integer(0))),
    description="norm(x): the Euclidean (Frobenius) norm",
))
register(Primitive(
    name="trace", impl=_trace,
    jvps=(lambda t, ans, a: trace(t),),
    vjps=(lambda g, ans, a: mul(g, np.eye(shape_of(a)[0])),),
    to_sympy=lambda sp, a: sum((_object(a)[i, i] for i in range(_object(a).shape[0])), sp.Integer(0)),
    description="trace(A): the sum of the diagonal",
))
register(Primitive(
    name="det", impl=_det,
    jvps=(lambda t, ans, a: trace(matmul(adjugate(a), t)),),
    vjps=(lambda g, ans, a: mul(g, transpose(adjugate(a))),),
    to_sympy=lambda sp, a: _sympy_matrix(sp, a).det(),
    description="det(A): the determinant (its gradient is adj(A)ᵀ = det(A)·A⁻ᵀ)",
))
# adj(A) = det(A)·A⁻¹; its derivative (only needed for second derivatives of det) uses
# that identity, so it holds where A is invertible.
register(Primitive(
    name="adjugate", impl=_adjugate,
    jvps=(lambda t, ans, a: div(sub(mul(trace(matmul(ans, t)), ans), matmul(matmul(ans, t), ans)), det(a)),),
    vjps=(lambda g, ans, a: div(sub(mul(reduce_sum(mul(g, ans)), transpose(ans)),
                                    matmul(matmul(transpose(ans), g), transpose(ans))), det(a)),),
    to_sympy=lambda sp, a: np.array(_sympy_matrix(sp, a).adjugate().tolist(), dtype=object),
))
register(Primitive(
    name="logdet", impl=_logdet,
    jvps=(lambda t, ans, a: trace(matmul(inv(a), t)),),
    vjps=(lambda g, ans, a: mul(g, transpose(inv(a))),),
    domain=_linalg_domain("logdet"),
    to_sympy=lambda sp, a: sp.log(_sympy_matrix(sp, a).det()),
    description="logdet(A) = log det(A), for det(A) > 0; its gradient is A⁻ᵀ",
))
register(Primitive(
    name="inv", impl=_inv,
    jvps=(lambda t, ans, a: neg(matmul(matmul(ans, t), ans)),),
    vjps=(lambda g, ans, a: neg(matmul(matmul(transpose(ans), g), transpose(ans))),),
    domain=_linalg_domain("inv"),
    to_sympy=lambda sp, a: np.array(_sympy_matrix(sp, a).inv().tolist(), dtype=object),
    description="inv(A): the matrix inverse",
))
