"""Finite differences, honest about their error and careful about the domain.

Central differences f'(x) ≈ (f(x+h) − f(x−h)) / 2h balance truncation error (∝ h²) and
round-off (∝ ε/h); the balance is at h ≈ ε^{1/3} times the scale of x. We try the
textbook step ε^{1/3}·max(1, |x|) and, near zero, the relative step ε^{1/3}·|x|, and keep
the one whose estimated error (from comparing h with 2h, plus round-off) is smaller.
A step that would leave the function's domain (log, sqrt near 0) is shrunk, and if no
symmetric step fits we fall back to a second-order one-sided formula — and say so.
Jacobians and Hessians apply the same scalar rule entry by entry (`central_jacobian`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import Point, hold_detached, is_finite
from diffcli.ad.flat import as_value, flat_outputs, flatten, with_flat_inputs
from diffcli.ad.graph import Decision, Graph
from diffcli.ad.paths import crossing_note, graph_at, outputs_at
from diffcli.ad.reverse import gradient_reverse

EPS = float(np.finfo(np.float64).eps)
CENTRAL_STEP = EPS ** (1.0 / 3.0)      # optimum for an O(h²) formula
RICHARDSON_STEP = EPS ** (1.0 / 5.0)   # optimum for an O(h⁴) formula
ONE_SIDED_STEP = EPS ** 0.5            # optimum for an O(h) formula
_MAX_SHRINKS = 12


@dataclass
class Difference:
    """A finite-difference derivative with the step used and an error estimate."""

    value: float
    step: float
    error_estimate: float
    scheme: str  # "central", "richardson", "forward (one-sided)", "backward (one-sided)"
    note: str = ""


def difference(f: Callable[[float], float], x: float, h: float, scheme: str) -> float:
    """One finite-difference quotient: scheme is forward, backward or central.

    >>> round(difference(lambda t: t**2, 3.0, 1e-4, "central"), 9)
    6.0
    """
    if scheme == "forward":
        return (f(x + h) - f(x)) / h
    if scheme == "backward":
        return (f(x) - f(x - h)) / h
    if scheme == "central":
        return (f(x + h) - f(x - h)) / (2.0 * h)
    raise ValueError(f"unknown scheme {scheme!r}")


def _resolvable(x: float, h: float) -> bool:
    """A step the arithmetic can see: positive, finite, and x ± h ≠ x."""
    return 0.0 < h < math.inf and x + h != x and x - h != x


def _finite(*numbers: float) -> bool:
    return all(math.isfinite(n) for n in numbers)


def _central_with_estimate(f: Callable[[float], float], x: float, h: float, fx: float) -> tuple[float, float] | None:
    """Central difference at h and an error estimate, or None if x±2h leaves the domain."""
    fp, fm, fp2, fm2 = f(x + h), f(x - h), f(x + 2 * h), f(x - 2 * h)
    if not _finite(fp, fm, fp2, fm2):
        return None
    d1 = (fp - fm) / (2 * h)
    if not math.isfinite(d1):
        # Every value is finite but the quotient overflows: the slope is beyond the largest double.
        return d1, 0.0
    d2 = (fp2 - fm2) / (4 * h)
    truncation = abs(d2 - d1) / 3.0
    roundoff = EPS * max(abs(fx), abs(fp), abs(fm)) / h
    return d1, truncation + roundoff


def _richardson(f: Callable[[float], float], x: float, h: float, fx: float) -> tuple[float, float] | None:
    fp, fm, fp2, fm2 = f(x + h), f(x - h), f(x + h / 2), f(x - h / 2)
    if not _finite(fp, fm, fp2, fm2):
        return None
    coarse = (fp - fm) / (2 * h)
    fine = (fp2 - fm2) / h
    extrapolated = (4.0 * fine - coarse) / 3.0
    roundoff = EPS * max(abs(fx), abs(fp), abs(fm)) / h
    return extrapolated, abs(extrapolated - fine) / 15.0 + roundoff


def _one_sided(f: Callable[[float], float], x: float, h: float, fx: float, direction: float) -> tuple[float, float] | None:
    """Second-order one-sided difference (−3f₀ + 4f₁ − f₂)/2h towards `direction`."""
    s = direction * h
    f1, f2, f4 = f(x + s), f(x + 2 * s), f(x + 4 * s)
    if not _finite(f1, f2, f4):
        return None
    d1 = (-3 * fx + 4 * f1 - f2) / (2 * s)
    d2 = (-3 * fx + 4 * f2 - f4) / (4 * s)
    return d1, abs(d2 - d1) / 3.0 + EPS * max(abs(fx), abs(f1)) / h


def differentiate(f: Callable[[float], float], x: float, *, h: float | None = None,
                  richardson: bool = False) -> Difference:
    """f'(x) by finite differences, staying inside f's domain.

    >>> d = differentiate(lambda t: math.log(t) if t > 0 else math.nan, 1e-8)
    >>> abs(d.value - 1e8) / 1e8 < 1e-6
    True
    """
    fx = f(x)
    scale = abs(x)
    base = RICHARDSON_STEP if richardson else CENTRAL_STEP
    scheme = "richardson" if richardson else "central"
    formula = _richardson if richardson else _central_with_estimate
    if h is not None and not _resolvable(x, h):
        return Difference(math.nan, h, math.nan, scheme,
                          f"the step h = {h:.3g} is below the resolution of x = {x:.6g} (x + h rounds to x); "
                          f"a step must be at least {2 * math.ulp(x) if x else 5e-324:.2g} to move x")
    if h is not None:
        candidates = [h]
    else:
        candidates = [base * max(1.0, scale)]
        if _resolvable(x, base * scale) and scale < 1.0:
            candidates.append(base * scale)
    best: Difference | None = None
    shrunk = False
    for step in candidates:
        trial = step
        for _ in range(_MAX_SHRINKS):
            if not _resolvable(x, trial):
                break
            result = formula(f, x, trial, fx)
            if result is not None:
                value, estimate = result
                # A step under which f did not change at all measured nothing (0.5 + (z − 0.5)
                # at z = 1e-135 is 0 for every tiny step): any step that saw f move wins over it.
                if best is None or _measured_nothing(best) or (estimate < best.error_estimate
                                                                and not (value == 0.0 and estimate == 0.0)):
                    best = Difference(value, trial, estimate, scheme)
                    shrunk = trial < step
                break
            if h is not None:
                break
            trial /= 10.0
    if best is not None:
        notes = ["step shrunk to stay inside the function's domain"] if shrunk else []
        if unreliable(best):
            notes.append(f"the estimated error ({best.error_estimate:.2g}) is large against the value "
                         f"({best.value:.2g}): {_why_unreliable(f, x, best.step, fx, richardson)}")
        best.note = "; ".join(notes)
        return best
    # No symmetric step fits: the point is at the edge of the domain. Go one-sided.
    step = h if h is not None else CENTRAL_STEP * (scale if _resolvable(x, CENTRAL_STEP * scale) else 1.0)
    for direction, name in ((1.0, "forward"), (-1.0, "backward")):
        trial = step
        for _ in range(_MAX_SHRINKS):
            if not _resolvable(x, trial):
                break
            result = _one_sided(f, x, trial, fx, direction)
            if result is not None:
                value, estimate = result
                other = "below" if direction > 0 else "above"
                return Difference(value, trial, estimate, f"{name} (one-sided)",
                                  f"one-sided difference: the function is undefined just {other} {x:.6g}")
            trial /= 10.0
    return Difference(math.nan, step, math.nan, scheme, "no finite difference fits inside the domain")


def _measured_nothing(result: Difference) -> bool:
    return result.value == 0.0 and result.error_estimate == 0.0


def check_step(h: float | None) -> None:
    """--h, when given, must be a positive finite step."""
    if h is not None and not (h > 0 and math.isfinite(h)):
        raise UsageError("--h must be a positive number")


def _why_unreliable(f: Callable[[float], float], x: float, h: float, fx: float, richardson: bool) -> str:
    """What makes a difference quotient's error large: rounding (h too small), truncation on a
    smooth function (h too large), or neither behaving — a pole or a kink within the step."""
    roundoff = EPS * max(abs(fx), abs(f(x + h)), abs(f(x - h))) / h
    quotients = [difference(f, x, h / 2**k, "central") for k in range(4)]
    changes = [abs(a - b) for a, b in zip(quotients, quotients[1:])]
    if roundoff >= 0.1 * max(changes[0], 1e-300):
        return (f"the step h = {h:.3g} is so small that rounding error (about {roundoff:.2g}) dominates; "
                "a larger step is more accurate")
    # A smooth function's central quotient converges like h²: each halving cuts the change by 4.
    ratios = [a / b for a, b in zip(changes, changes[1:]) if b > 0]
    if ratios and all(2.5 <= r <= 6.5 for r in ratios):
        return (f"the step h = {h:.3g} is too large for the function's curvature here (the truncation error "
                f"shrinks like h²{'; Richardson removes it' if not richardson else ''}); a smaller step is accurate")
    return "the step may straddle a pole or a kink; do not trust this entry"


def unreliable(result: Difference, tolerance: float = 1e-3) -> bool:
    """An estimate whose own error bound is a sizeable fraction of it (or of 1)."""
    return (math.isfinite(result.value) and math.isfinite(result.error_estimate)
            and result.error_estimate > tolerance * max(1.0, abs(result.value)))


def scalar_function(graph: Graph, point: Point, name: str, index: tuple[int, ...], output: int = 0) -> Callable[[float], float]:
    """t ↦ f(point with entry `index` of variable `name` set to t), as a float.

    `detach(u)` keeps its value at `point` while t moves, as AD holds it.
    """
    graph = hold_detached(graph, point)
    base = np.array(point[name], dtype=np.float64)
    crossings: list[Decision] = []  # a program's decisions that a step changed (see paths.outputs_at)

    def f(t: float) -> float:
        moved = base.copy()
        moved[index] = t
        [value], changed = outputs_at(graph, {**point, name: as_value(moved)}, [output])
        if changed is not None:
            crossings.append(changed)
        return float(np.reshape(value, ())) if is_finite(value) else math.nan

    f.crossings = crossings  # type: ignore[attr-defined]
    return f


def gradient_central(graph: Graph, point: Point, wrt: list[str], *, output: int = 0,
                     h: float | None = None, richardson: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """∇f by finite differences, entry by entry; also each step and error estimate."""
    check_step(h)
    gradient: dict[str, Any] = {}
    details: dict[str, Any] = {"step": {}, "error_estimate": {}, "notes": []}
    for name in wrt:
        x = np.asarray(point[name], dtype=np.float64)
        values, steps, estimates = np.zeros(x.shape), np.zeros(x.shape), np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            f = scalar_function(graph, point, name, index, output)
            result = differentiate(f, float(x[index]), h=h, richardson=richardson)
            values[index], steps[index], estimates[index] = result.value, result.step, result.error_estimate
            where = f"{name}[{', '.join(map(str, index))}]" if index else name
            if result.note:
                details["notes"].append(f"{where}: {result.note}")
            if f.crossings:  # type: ignore[attr-defined]
                details["notes"].append(f"{where}: {crossing_note(f.crossings[0])}")  # type: ignore[attr-defined]
        gradient[name] = as_value(values)
        details["step"][name] = as_value(steps)
        details["error_estimate"][name] = as_value(estimates)
    return gradient, details


def central_jacobian(function: Callable[[np.ndarray], np.ndarray], z0: np.ndarray, *, h: float | None = None,
                     richardson: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """The Jacobian of a vector function of a flat vector, column by column, by `numeric.differentiate`.

    Each entry gets the careful step and domain handling of the scalar case; the
    evaluations of one column are cached, so an m-output column costs what one output does.

    >>> J, _ = central_jacobian(lambda z: np.array([z[0] * z[1], z[0] + z[1]]), np.array([1.0, 2.0]))
    >>> np.round(J, 8).tolist()
    [[2.0, 1.0], [1.0, 1.0]]
    """
    check_step(h)
    columns, steps, estimates, notes = [], [], [], []
    for j in range(z0.size):
        cache: dict[float, np.ndarray] = {}

        def column_at(t: float, j: int = j, cache: dict[float, np.ndarray] = cache) -> np.ndarray:
            if t not in cache:
                z = z0.copy()
                z[j] = t
                with np.errstate(all="ignore"):
                    cache[t] = np.asarray(function(z), dtype=np.float64)
            return cache[t]

        rows = column_at(float(z0[j])).size
        column, column_estimates, step = np.zeros(rows), np.zeros(rows), math.nan
        for i in range(rows):
            result = differentiate(lambda t, i=i: float(column_at(t)[i]), float(z0[j]), h=h, richardson=richardson)
            column[i], column_estimates[i], step = result.value, result.error_estimate, result.step
            if result.note and result.note not in notes:
                notes.append(result.note)
        columns.append(column)
        estimates.append(column_estimates)
        steps.append(step)
    # With no inputs the Jacobian still has one (empty) row per output entry.
    if columns:
        m = columns[0].size
    else:
        with np.errstate(all="ignore"):
            m = np.asarray(function(z0), dtype=np.float64).size
    jacobian = np.array(columns).T.reshape(m, len(columns))
    crossings = getattr(function, "crossings", [])
    if crossings:
        notes.append(crossing_note(crossings[0]))
    return jacobian, {"step": np.array(steps), "error_estimate": np.array(estimates).T.reshape(m, len(columns)),
                      "notes": notes}


def output_function(graph: Graph, point: Point, wrt: list[str], outputs: list[int]) -> Callable[[np.ndarray], np.ndarray]:
    """z ↦ the outputs' entries at the point with the inputs `wrt` set to the flat vector z
    (a program runs again where its path changes; the decisions a step changed are kept;
    `detach` is held at its value at `point`)."""
    graph = hold_detached(graph, point)
    indices = [graph.outputs.index(node) for node in outputs]
    crossings: list[Decision] = []

    def function(z: np.ndarray) -> np.ndarray:
        values, changed = outputs_at(graph, with_flat_inputs(point, wrt, z), indices)
        if changed is not None:
            crossings.append(changed)
        return flat_outputs(values, list(range(len(values))))

    function.crossings = crossings  # type: ignore[attr-defined]
    return function


def gradient_function(graph: Graph, point: Point, wrt: list[str]) -> Callable[[np.ndarray], np.ndarray]:
    """z ↦ ∇f by reverse mode at the point with the inputs `wrt` set to z: its differences give ∇²f
    (`detach` held at its value at `point`)."""
    graph = hold_detached(graph, point)

    def function(z: np.ndarray) -> np.ndarray:
        moved = with_flat_inputs(point, wrt, z)
        gradient = gradient_reverse(graph_at(graph, moved)[0], moved, wrt)[1]
        return flatten([gradient[name] for name in wrt])

    return function
