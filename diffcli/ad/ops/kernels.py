"""NumPy implementations of the ops that NumPy does not provide as they are.

Plain functions of NumPy values (no graph mode, nothing from diffcli). A shape that
does not fit raises ValueError naming the shapes; `evaluate` turns that into a usage
error with the column. Every scalar result is a NumPy float64, never a 0-d array.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)  # 2⁻¹⁰²²: below it, doubles lose digits


def scalar(result: Any) -> Any:
    """0-d arrays become NumPy scalars, so every scalar value has one type."""
    return result[()] if isinstance(result, np.ndarray) and result.ndim == 0 else result


def zeros(shape: tuple[int, ...]) -> Any:
    """Zeros of a shape (a float64 scalar for shape ())."""
    return np.float64(0.0) if shape == () else np.zeros(shape)


def finite_nonzero_scalar(value: Any) -> bool:
    """A float64 number that is neither 0 nor infinite nor NaN (scaling by it loses nothing)."""
    return type(value) is np.float64 and value != 0.0 and math.isfinite(value)


def all_finite(values: Any) -> bool:
    """No infinity or NaN among `values`.

    For a float64 array, the sum is finite exactly when every entry is, unless finite
    entries overflow it; only then is each entry looked at. NumPy's pairwise sum is one
    pass on one thread with no temporary. (A BLAS dot product, used before, is as fast
    when idle, but OpenBLAS's threads spin and stall under load: 18 ms median per call.)
    """
    if type(values) is np.ndarray and values.dtype == np.float64 and values.size:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflowing sum only means: look closer
            total = np.add.reduce(values, axis=None)
        if math.isfinite(total):
            return True
    return bool(np.isfinite(values).all())


# ------------------------------------------------------------------------ arithmetic


def strong_multiply(a: Any, b: Any, out: np.ndarray | None = None) -> Any:
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
    return strong_multiply(a, b)


def power(x: Any, y: Any, out: np.ndarray | None = None) -> Any:
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


def where(condition: Any, a: Any, b: Any) -> Any:
    return scalar(np.where(condition, a, b))


def tie_weight(a: Any, b: Any) -> Any:
    """1 where a > b, ½ at a tie, 0 where a < b: the share of max(a, b)'s derivative a gets."""
    return scalar((np.sign(np.subtract(a, b)) + 1.0) / 2.0)


def step(x: Any) -> Any:
    return scalar(np.greater(x, 0).astype(np.float64))


def sigmoid(x: Any) -> Any:
    return scalar(np.where(np.greater_equal(x, 0), 1.0 / (1.0 + np.exp(-np.abs(x))),
                           np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x)))))


def relu(x: Any) -> Any:
    return np.maximum(x, 0.0)


def softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def truth(test: Any) -> Any:
    """A comparison or logical ufunc whose truth value is the number 1.0 or 0.0.

    To the rest of a formula a truth value is a number (sigmoid(x > 0), (x > 0) - 1),
    and NumPy refuses some arithmetic on booleans; `where` reads nonzero as true.
    """
    def impl(*args: Any) -> Any:
        result = test(*args)
        return result.astype(np.float64) if type(result) is np.ndarray else np.float64(result)

    impl.__name__ = test.__name__
    return impl


def broadcast_entries(*args: Any) -> int:
    """How many entries broadcasting `args` makes (0 when they do not broadcast: the op says why)."""
    shapes = [np.shape(x) for x in args]
    if all(shape == shapes[0] for shape in shapes):
        return math.prod(shapes[0])
    try:
        return int(np.prod(np.broadcast_shapes(*shapes), dtype=np.float64))
    except ValueError:
        return 0


# ------------------------------------------------------------------ shapes and indexing


def sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum `x` down to `shape` over the axes broadcasting added or stretched (object arrays too)."""
    x = np.asarray(x)
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    summed = np.sum(x, axis=axes, keepdims=True) if axes else x
    return scalar(np.asarray(summed).reshape(shape))


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return scalar(np.array(np.broadcast_to(x, shape)))


def stack(*parts: Any) -> Any:
    if len({np.shape(p) for p in parts}) > 1:
        shapes = ", ".join(str(np.shape(p)) for p in parts)
        raise ValueError(f"the entries of a list must all have the same shape, got {shapes}")
    return np.stack(parts)


def numpy_index(index: tuple) -> tuple:
    """The parser's index attribute ((\"at\", 0), (\"slice\", 1, None, None)) as NumPy's."""
    return tuple(slice(*part[1:]) if part[0] == "slice" else part[1] for part in index)


def index(x: Any, index: tuple) -> Any:
    return scalar(np.asarray(x)[numpy_index(index)])


def index_add(g: Any, like: Any, index: tuple) -> Any:
    """Zeros shaped like `like`, with `g` added at `index` (the transpose of indexing)."""
    out = np.zeros(np.shape(like), dtype=np.asarray(g).dtype if np.asarray(g).dtype == object else np.float64)
    np.add.at(out, numpy_index(index), g)
    return out


def normal_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple, negatives allowed) as a tuple of axes in 0..ndim-1."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % ndim if ndim else a for a in axes)


def reduction_count(shape: tuple[int, ...], axis: Any) -> int:
    """How many entries each reduction group over `axis` has."""
    return int(np.prod([shape[i] for i in normal_axes(axis, len(shape))])) if shape else 1


def groups_last(x: np.ndarray, axis: Any) -> tuple[np.ndarray, list[int]]:
    """`x` with its reduction axes moved to the end and flattened into one (and the axis order)."""
    axes = normal_axes(axis, x.ndim)
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    return moved.reshape(moved.shape[:len(rest)] + (-1,)), rest + list(axes)


def groups_back(flat: np.ndarray, x: np.ndarray, order: list[int]) -> Any:
    """Undo `groups_last`: `flat` (shaped like its result) back to the shape of `x`."""
    moved_shape = tuple(x.shape[i] for i in order)
    return scalar(np.transpose(flat.reshape(moved_shape), np.argsort(order)))


# ---------------------------------------------------------------------- reductions


def extremum_share(x: Any, axis: Any = None, kind: str = "max") -> Any:
    """Weights of the entries that attain the max (min); ties share equally."""
    x = np.asarray(x, dtype=np.float64)
    best = (np.max if kind == "max" else np.min)(x, axis=axis, keepdims=True)
    hit = (x == best).astype(np.float64)
    return scalar(hit / np.sum(hit, axis=axis, keepdims=True))


def extremum_tie(x: Any) -> Any:
    """A tie for the overall max or min (kink checks see no attrs, so axis= is not considered)."""
    x = np.asarray(x, dtype=np.float64)
    return x.size > 1 and (np.sum(x == x.max()) > 1 or np.sum(x == x.min()) > 1)


def products_of_others(values: np.ndarray) -> np.ndarray:
    """Along the last axis, for each entry the product of the others (no division, so zeros are fine)."""
    ones = np.ones(values.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, values[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, values[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return left * right


def prod_others(x: Any, *directions: Any, axis: Any = None) -> Any:
    """For each entry, the product of the other entries in its reduction group — and, given
    directions t₁…t_k, its k-th derivative along them: Σ over distinct j₁…j_k ≠ i of
    t₁[j₁]⋯t_k[j_k]·Π_{l∉{i,j₁,…,j_k}} x[l]. No division, so zeros in x are fine.

    The products are taken over multilinear numbers x + ε₁t₁ + … + ε_k·t_k (εₘ² = 0), from the
    left and from the right; the answer is the ε₁⋯ε_k part. Part S (a set of directions, as a
    bit mask) of a running product gains x·(part S) + Σ_{m∈S} tₘ·(part S∖{m}) at each entry.
    """
    x = np.asarray(x, dtype=object if np.asarray(x).dtype == object else np.float64)
    if x.ndim == 0:
        return np.float64(0.0 if directions else 1.0)
    flat, order = groups_last(x, axis)
    if flat.shape[-1] == 0:  # empty groups (x[1:0]): no entries, so nothing to multiply
        return scalar(np.zeros(x.shape))
    steps = [groups_last(np.broadcast_to(np.asarray(t, dtype=np.float64), x.shape), axis)[0] for t in directions]
    parts, n = 1 << len(directions), flat.shape[-1]
    left = np.zeros((parts,) + flat.shape, dtype=flat.dtype)   # left[S, ..., i]: parts of Π_{l<i}
    right = np.zeros((parts,) + flat.shape, dtype=flat.dtype)  # right[S, ..., i]: parts of Π_{l>i}
    left[0, ..., 0] = right[0, ..., n - 1] = 1
    for edge, positions in ((left, range(1, n)), (right, range(n - 2, -1, -1))):
        for i in positions:
            previous = i - 1 if edge is left else i + 1  # the entry just multiplied in
            for mask in range(parts):
                value = edge[mask, ..., previous] * flat[..., previous]
                for m, t in enumerate(steps):
                    if mask >> m & 1:
                        value = value + edge[mask ^ (1 << m), ..., previous] * t[..., previous]
                edge[mask, ..., i] = value
    full = parts - 1
    return groups_back(sum(left[mask] * right[full ^ mask] for mask in range(parts)), x, order)


# -------------------------------------------------------------------- linear algebra


def matmul(a: Any, b: Any) -> Any:
    sa, sb = np.shape(a), np.shape(b)
    if not 1 <= len(sa) <= 2 or not 1 <= len(sb) <= 2:
        raise ValueError(f"@ needs vectors or matrices, got shapes {sa} @ {sb}")
    inner_a = sa[-1]
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        raise ValueError(f"shapes {sa} @ {sb} do not fit: inner dimensions {inner_a} and {inner_b} differ")
    return scalar(np.matmul(a, b))


def matmul_entries(a: Any, b: Any) -> int:
    rows = a.size // a.shape[-1] if a.ndim and a.shape[-1] else 0
    columns = b.size // b.shape[-2] if b.ndim > 1 and b.shape[-2] else 1
    return rows * columns


def outer(a: Any, b: Any) -> Any:
    if np.ndim(a) != 1 or np.ndim(b) != 1:
        raise ValueError(f"needs two vectors, got shapes {np.shape(a)} and {np.shape(b)}")
    return np.outer(a, b)


def needs_square(a: Any) -> None:
    shape = np.shape(a)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"needs a square matrix, got shape {shape}")


def inv(a: Any) -> Any:
    needs_square(a)
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.full(np.shape(a), np.nan)


def det(a: Any) -> Any:
    needs_square(a)
    return np.float64(np.linalg.det(a))


def logdet(a: Any) -> Any:
    needs_square(a)
    sign, value = np.linalg.slogdet(a)
    if sign > 0:
        return np.float64(value)
    return np.float64(-np.inf if sign == 0 else np.nan)


def _svd(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A = U·diag(s)·Vᵀ, and det(U)·det(Vᵀ) = ±1."""
    u, s, vh = np.linalg.svd(a)
    return u, s, vh, float(np.sign(np.linalg.det(u)) * np.sign(np.linalg.det(vh)))


def _all_but_two(s: np.ndarray) -> np.ndarray:
    """q[i, j] = Π_{k∉{i,j}} s_k for i ≠ j (0 on the diagonal), without division."""
    n = len(s)
    q = products_of_others(np.where(np.eye(n, dtype=bool), 1.0, s[np.newaxis, :]))
    np.fill_diagonal(q, 0.0)
    return q


def adjugate(a: Any) -> Any:
    """adj(A), the transposed cofactor matrix: det(A)·A⁻¹ where A is invertible, and exact (no
    division) where it is not — det's gradient is adj(A)ᵀ. By one SVD, O(n³):
    adj(U·S·Vᵀ) = det(U)·det(V)·V·adj(S)·Uᵀ, and adj(S) = diag(Π_{k≠i} s_k).
    """
    needs_square(a)
    a = np.asarray(a, dtype=np.float64)
    if not all_finite(a):
        return np.full(a.shape, np.nan)
    u, s, vh, sign = _svd(a)
    return sign * (vh.T * products_of_others(s)) @ u.T


def adjugate_derivative(a: Any, t: Any) -> Any:
    """d adj(A)[T], the derivative of the adjugate along T, exact also where A is singular.

    With A = U·S·Vᵀ and M = Uᵀ·T·V, it is det(U)·det(V)·V·D·Uᵀ, where D is the derivative of
    adj at the diagonal S along M: D_ij = −M_ij·Π_{k∉{i,j}} s_k, D_ii = Σ_{k≠i} M_kk·Π_{l∉{i,k}} s_l
    (where A is invertible, (tr(adj·T)·adj − adj·T·adj)/det(A), which divides by det).
    """
    needs_square(a)
    a = np.asarray(a, dtype=np.float64)
    t = np.broadcast_to(np.asarray(t, dtype=np.float64), a.shape)
    if not (all_finite(a) and all_finite(np.ascontiguousarray(t))):
        return np.full(a.shape, np.nan)
    u, s, vh, sign = _svd(a)
    m = u.T @ t @ vh.T
    q = _all_but_two(s)
    d = -q * m
    d[np.diag_indices(len(s))] = q @ np.diagonal(m)
    return sign * vh.T @ d @ u.T


def trace(a: Any) -> Any:
    if np.ndim(a) != 2:
        raise ValueError(f"needs a matrix, got shape {np.shape(a)}")
    return np.float64(np.trace(a))


def norm(x: Any) -> Any:
    """‖x‖₂, scaled by the largest entry where the sum of squares would under- or overflow
    (as hypot does): ‖[3e200, 4e200]‖ = 5e200, ‖[1e-200, 1e-200]‖ = 1.41e-200."""
    with np.errstate(over="ignore", under="ignore"):  # an overflow here only means: scale
        squares = np.sum(np.square(x))
    if 1e-200 <= squares < math.inf:  # the usual case: nothing lost
        return np.float64(np.sqrt(squares))
    scale = np.max(np.abs(x)) if np.size(x) else 0.0
    if scale == 0.0 or not math.isfinite(scale):
        return np.float64(np.sqrt(squares))
    return np.float64(scale * np.sqrt(np.sum(np.square(np.divide(x, scale)))))
