"""The structural rows of the op table: selection, shapes, reductions, linear algebra.

A structural op pushes whole tensors through linear maps. Most are linear (sum,
transpose, indexing, …) or bilinear (@, outer): for those the row declares it, the JVP
is the op itself applied to the tangent, and only the VJP — the transpose — is written.
The others (prod, det, inv, …) write both maps. Rules use the op functions of
`dispatch`, so they build graph nodes on `Ref`s and a Hessian can differentiate them
again. Shapes follow NumPy. A singular matrix is not the user's typo but mathematics:
`inv` returns NaN and its domain message says why.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from diffcli.ad.ops import domains, kernels
from diffcli.ad.ops.dispatch import (add, adjugate, adjugate_derivative, broadcast_like, broadcast_to, det, div,
                                     equal, extremum_share, index_add, inv, matmul, mul, neg, outer, prod_others,
                                     reduce_sum, reshape, shape_of, sub, sum_to, trace,
                                     transpose, unbroadcast, where)
# The index op as `pick`: its rules take the index attribute as a parameter named `index`.
from diffcli.ad.ops.dispatch import index as pick
from diffcli.ad.ops.registry import Primitive, register
from diffcli.ad.ref import Ref


def _object(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=object)


def _ndim(value: Any) -> int:
    return len(shape_of(value))


# ---------------------------------------------------------------- where and broadcasting
#
# where(c, a, b): the derivative follows the branch taken. It is linear in (a, b); its
# transpose gives a branch not taken a structural zero when the condition is a known
# scalar, so reverse mode never visits that branch.


def _where_vjp(branch: int) -> Callable[..., Any]:
    def rule(g: Any, ans: Any, c: Any, a: Any, b: Any) -> Any:
        like = a if branch == 1 else b
        if not isinstance(c, Ref) and np.ndim(c) == 0:
            return unbroadcast(g, like) if bool(c) == (branch == 1) else None
        picked = where(c, g, 0.0) if branch == 1 else where(c, 0.0, g)
        return unbroadcast(picked, like)

    return rule


register(Primitive(
    name="where", impl=kernels.where, linear=(1, 2), rule="branch",
    vjps=(None, _where_vjp(1), _where_vjp(2)),
    truth_args=(0,), tags=frozenset({"elementwise"}), result_size=kernels.broadcast_entries,
    to_sympy=lambda sp, c, a, b: sp.Piecewise((a, c), (b, True)),
    description="where(condition, a, b); also `a if condition else b`",
))

# Broadcasting plumbing used by the rules themselves; each is the other's transpose.
register(Primitive(
    name="sum_to", impl=kernels.sum_to, linear=(0,), complex_safe=True,
    vjps=(lambda g, ans, x, shape: broadcast_to(g, shape=shape_of(x)),),
    to_sympy=lambda sp, x, shape: kernels.sum_to(_object(x), shape),
))
register(Primitive(
    name="broadcast_to", impl=kernels.broadcast_to, linear=(0,), complex_safe=True,
    vjps=(lambda g, ans, x, shape: sum_to(g, shape=shape_of(x)),),
    to_sympy=lambda sp, x, shape: np.broadcast_to(_object(x), shape).copy(),
))

# ------------------------------------------------------------------ lists and indexing

register(Primitive(
    name="stack", impl=kernels.stack, variadic=True, linear=(0,), complex_safe=True,
    vjps=(lambda g, ans, *parts, position: pick(g, index=(("at", position),)),),
    to_sympy=lambda sp, *parts: np.stack([_object(p) for p in parts]),
    description="[a, b, ...] inside a formula: a tensor from its entries",
))
register(Primitive(
    name="index", impl=kernels.index, linear=(0,), complex_safe=True,
    vjps=(lambda g, ans, x, index: index_add(g, x, index=index),),
    to_sympy=lambda sp, x, index: kernels.scalar(_object(x)[kernels.numpy_index(index)]),
    description="x[0], x[1:], A[:, 0]",
))
register(Primitive(
    name="index_add", impl=kernels.index_add, linear=(0,),
    vjps=(lambda g2, ans, g, like, index: pick(g2, index=index), None),
    to_sympy=lambda sp, g, like, index: kernels.index_add(_object(g), _object(like), index=index),
))

# ---------------------------------------------------------------------- shapes


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
    return matmul(transpose(a), g)      # (k,n) @ (n,) -> (k,) and (k,n) @ (n,m) -> (k,m)


register(Primitive(
    name="matmul", impl=kernels.matmul, bilinear=True, symbol="@", precedence=2, complex_safe=True,
    vjps=(_matmul_vjp_a, _matmul_vjp_b),
    result_size=kernels.matmul_entries,
    to_sympy=lambda sp, a, b: kernels.scalar(_object(np.matmul(_object(a), _object(b)))),
    description="a @ b: matrix product (vectors as in NumPy); dot(a, b) is the same",
))
register(Primitive(
    name="outer", impl=kernels.outer, bilinear=True, complex_safe=True,
    vjps=(lambda g, ans, a, b: matmul(g, b), lambda g, ans, a, b: matmul(transpose(g), a)),
    result_size=lambda a, b: a.size * b.size,
    to_sympy=lambda sp, a, b: np.outer(_object(a), _object(b)),
    description="outer(a, b): the matrix a bᵀ of two vectors",
))
register(Primitive(
    name="transpose", impl=lambda x: kernels.scalar(np.transpose(x)), linear=(0,), complex_safe=True,
    vjps=(lambda g, ans, x: transpose(g),),
    to_sympy=lambda sp, x: kernels.scalar(np.transpose(_object(x))), description="x.T",
))
register(Primitive(
    name="reshape", impl=lambda x, shape: kernels.scalar(np.reshape(x, shape)), linear=(0,),
    vjps=(lambda g, ans, x, shape: reshape(g, shape=shape_of(x)),),
    to_sympy=lambda sp, x, shape: kernels.scalar(np.reshape(_object(x), shape)),
))

# ---------------------------------------------------------------------- reductions


def _expand(g: Any, x: Any, axis: Any) -> Any:
    """A reduction's cotangent (or value) broadcast back to the shape of its input `x`."""
    shape = shape_of(x)
    if axis is not None:
        axes = kernels.normal_axes(axis, len(shape))
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
        g = reshape(g, shape=kept)
    return broadcast_like(g, x)


def _reduction_sympy(reducer: Callable[[np.ndarray, Any], Any]) -> Callable[..., Any]:
    def convert(sp: Any, x: Any, axis: Any = None) -> Any:
        array = _object(x)
        if array.ndim == 0:
            return x
        return kernels.scalar(_object(reducer(array, axis)))

    return convert


def _sympy_extremum(function_name: str) -> Callable[[np.ndarray, Any], Any]:
    def reducer(array: np.ndarray, axis: Any) -> Any:
        import sympy as sp

        pick = getattr(sp, function_name)
        groups, _ = kernels.groups_last(array, axis)
        out = np.empty(groups.shape[:-1], dtype=object)
        for position in np.ndindex(out.shape):
            out[position] = pick(*groups[position])
        return out

    return reducer


register(Primitive(
    name="sum", impl=lambda x, axis=None: kernels.scalar(np.sum(x, axis=axis)), linear=(0,), complex_safe=True,
    vjps=(lambda g, ans, x, axis=None: _expand(g, x, axis),),
    to_sympy=_reduction_sympy(lambda a, axis: np.sum(a, axis=axis)),
    description="sum(x), sum(x, axis=0)",
))
register(Primitive(
    name="mean", impl=lambda x, axis=None: kernels.scalar(np.mean(x, axis=axis)), linear=(0,), complex_safe=True,
    vjps=(lambda g, ans, x, axis=None: div(_expand(g, x, axis), float(kernels.reduction_count(shape_of(x), axis))),),
    to_sympy=_reduction_sympy(lambda a, axis: np.sum(a, axis=axis) / kernels.reduction_count(a.shape, axis)),
    description="mean(x), mean(x, axis=0)",
))
register(Primitive(
    name="trace", impl=kernels.trace, linear=(0,),
    vjps=(lambda g, ans, a: mul(g, np.eye(shape_of(a)[0])),),
    to_sympy=lambda sp, a: sum((_object(a)[i, i] for i in range(_object(a).shape[0])), sp.Integer(0)),
    description="trace(A): the sum of the diagonal",
))
register(Primitive(
    name="prod", impl=lambda x, axis=None: kernels.scalar(np.prod(x, axis=axis)), complex_safe=True,
    jvps=(lambda t, ans, x, axis=None: reduce_sum(mul(t, prod_others(x, axis=axis)), axis=axis),),
    vjps=(lambda g, ans, x, axis=None: mul(_expand(g, x, axis), prod_others(x, axis=axis)),),
    to_sympy=_reduction_sympy(lambda a, axis: np.prod(a, axis=axis)),
    description="prod(x), prod(x, axis=0)",
))
# prod_others(x)ᵢ = Π_{k≠i} xₖ, and prod_others(x, t₁, …, t_k) its k-th derivative along t₁…t_k
# (one op, so the derivatives of prod to every order are exact where x has zeros: no division).
# Each is symmetric in i and the index of a direction, so its transpose is itself: the rules for
# x (position 0) add the tangent or cotangent as a direction, those for tₘ put it in place of tₘ.
def _with_direction(v: Any, ans: Any, x: Any, *directions: Any, position: int, axis: Any = None) -> Any:
    if position == 0:
        return prod_others(x, *directions, v, axis=axis)
    return prod_others(x, *directions[:position - 1], v, *directions[position:], axis=axis)


def _epsilon_derivative(sp: Any, function: Callable[[Any], Any], x: Any, directions: tuple[Any, ...]) -> Any:
    """∂ᵏ/∂ε₁⋯∂ε_k function(x + Σ εₘ·tₘ) at ε = 0, entry by entry, for the symbolic forms."""
    epsilons = [sp.Dummy(f"epsilon{m}") for m in range(len(directions))]
    moved = _object(x) + sum((e * _object(t) for e, t in zip(epsilons, directions)), 0)
    at_zero = {e: 0 for e in epsilons}
    return kernels.scalar(np.vectorize(lambda v: sp.diff(v, *epsilons).subs(at_zero) if epsilons else v,
                                       otypes=[object])(function(moved)))


register(Primitive(
    name="prod_others", impl=kernels.prod_others, variadic=True,
    jvps=(_with_direction,),
    vjps=(lambda g, ans, x, *directions, position, axis=None:
          unbroadcast(_with_direction(g, ans, x, *directions, position=position, axis=axis),
                      (x, *directions)[position]),),
    to_sympy=lambda sp, x, *directions, axis=None: _epsilon_derivative(
        sp, lambda v: kernels.prod_others(v, axis=axis), x, directions),
))


def _register_extremum(kind: str) -> None:
    """max(x) / min(x) with axis=: the derivative goes to the entries attaining it, ties sharing."""
    pick = np.max if kind == "max" else np.min
    register(Primitive(
        name=kind, impl=lambda x, axis=None: kernels.scalar(pick(x, axis=axis)),
        jvps=(lambda t, ans, x, axis=None: reduce_sum(mul(t, extremum_share(x, axis=axis, kind=kind)), axis=axis),),
        vjps=(lambda g, ans, x, axis=None: mul(_expand(g, x, axis), extremum_share(x, axis=axis, kind=kind)),),
        kink=kernels.extremum_tie,
        to_sympy=_reduction_sympy(_sympy_extremum("Max" if kind == "max" else "Min")),
        description=f"{kind}(x), {kind}(x, axis=0): the {'largest' if kind == 'max' else 'smallest'} entry",
    ))


_register_extremum("max")
_register_extremum("min")
register(Primitive(name="extremum_share", impl=kernels.extremum_share, differentiable=False))

# ------------------------------------------------------------------ norms and matrices


def _safe_share(x: Any, ans: Any) -> Any:
    """x/‖x‖, taken as 0 at x = 0 (a subgradient, like abs'(0) = 0; the kink is reported)."""
    return div(x, where(equal(ans, 0.0), 1.0, ans))


def _sympy_matrix(sp: Any, a: Any) -> Any:
    return sp.Matrix(_object(a).tolist())


register(Primitive(
    name="norm", impl=kernels.norm,
    jvps=(lambda t, ans, x: reduce_sum(mul(t, _safe_share(x, ans))),),
    vjps=(lambda g, ans, x: mul(g, _safe_share(x, ans)),),
    kink=lambda x: not np.any(x),
    to_sympy=lambda sp, x: sp.sqrt(sum((e**2 for e in _object(x).ravel()), sp.Integer(0))),
    description="norm(x): the Euclidean (Frobenius) norm",
))
register(Primitive(
    name="det", impl=kernels.det, factorised=True,
    jvps=(lambda t, ans, a: trace(matmul(adjugate(a), t)),),
    vjps=(lambda g, ans, a: mul(g, transpose(adjugate(a))),),
    to_sympy=lambda sp, a: _sympy_matrix(sp, a).det(),
    description="det(A): the determinant (its gradient is adj(A)ᵀ = det(A)·A⁻ᵀ)",
))
# adj(A), the transposed cofactor matrix (det's gradient is adj(A)ᵀ). Its derivative along T is
# an op of its own, computed exactly (no division by det), so det's Hessian is right also
# at a singular A. The transpose of T ↦ d adj(A)[T] is G ↦ d adj(Aᵀ)[G].
register(Primitive(
    name="adjugate", impl=kernels.adjugate, factorised=True,
    jvps=(lambda t, ans, a: adjugate_derivative(a, t),),
    vjps=(lambda g, ans, a: adjugate_derivative(transpose(a), g),),
    to_sympy=lambda sp, a: np.array(_sympy_matrix(sp, a).adjugate().tolist(), dtype=object),
))


def _inner(a: Any, b: Any) -> Any:
    return reduce_sum(mul(a, b))


def _adjugate_second_jvp(s: Any, ans: Any, a: Any, t: Any) -> Any:
    """d²adj[T, S] (third derivatives of det), from d adj[T] = (tr(adj·T)·adj − adj·T·adj)/det:
    this one divides by det, so it is exact only where A is invertible."""
    adj, ds = adjugate(a), adjugate_derivative(a, s)
    numerator = sub(add(mul(trace(matmul(ds, t)), adj), mul(trace(matmul(adj, t)), ds)),
                    add(add(matmul(matmul(ds, t), adj), matmul(matmul(adj, t), ds)), mul(ans, trace(matmul(adj, s)))))
    return div(numerator, det(a))


def _adjugate_second_vjp(g: Any, ans: Any, a: Any, t: Any) -> Any:
    """The transpose of S ↦ d²adj[T, S] (divides by det, like the JVP)."""
    adj, at = adjugate(a), transpose(a)
    adj_t, t_t = transpose(adj), transpose(t)
    back = add(mul(_inner(g, adj), adjugate_derivative(at, t_t)), mul(trace(matmul(adj, t)), adjugate_derivative(at, g)))
    back = sub(back, add(adjugate_derivative(at, matmul(matmul(g, adj_t), t_t)),
                         adjugate_derivative(at, matmul(matmul(t_t, adj_t), g))))
    return div(sub(back, mul(_inner(g, ans), adj_t)), det(a))


register(Primitive(
    name="adjugate_derivative", impl=kernels.adjugate_derivative, factorised=True, linear=(1,),
    jvps=(_adjugate_second_jvp, None),
    vjps=(_adjugate_second_vjp, lambda g, ans, a, t: adjugate_derivative(transpose(a), g)),
    to_sympy=lambda sp, a, t: _epsilon_derivative(
        sp, lambda m: np.array(sp.Matrix(m.tolist()).adjugate().tolist(), dtype=object), a, (t,)),
))
register(Primitive(
    name="logdet", impl=kernels.logdet, factorised=True,
    jvps=(lambda t, ans, a: trace(matmul(inv(a), t)),),
    vjps=(lambda g, ans, a: mul(g, transpose(inv(a))),),
    domain=domains.linalg_domain("logdet"),
    to_sympy=lambda sp, a: sp.log(_sympy_matrix(sp, a).det()),
    description="logdet(A) = log det(A), for det(A) > 0; its gradient is A⁻ᵀ",
))
register(Primitive(
    name="inv", impl=kernels.inv, factorised=True,
    jvps=(lambda t, ans, a: neg(matmul(matmul(ans, t), ans)),),
    vjps=(lambda g, ans, a: neg(matmul(matmul(transpose(ans), g), transpose(ans))),),
    domain=domains.linalg_domain("inv"),
    to_sympy=lambda sp, a: np.array(_sympy_matrix(sp, a).inv().tolist(), dtype=object),
    description="inv(A): the matrix inverse",
))
