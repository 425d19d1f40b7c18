"""Finite differences over a sweep of steps h = 10⁻¹ … 10⁻¹⁶: truncation against round-off.

For each h, the forward, backward and central quotients (`numeric.difference`), the
Richardson extrapolation of the central one, and — where the formula is analytic — the
complex step Im f(x + ih)/h, each with its error against reverse-mode AD. One-sided
quotients err by O(h) + O(ε/h), best near h ≈ √ε; central by O(h²) + O(ε/h), best near
ε^{1/3}; Richardson by O(h⁴) + O(ε/h), near ε^{1/5}; the complex step has no
subtraction, so no cancellation, and stays accurate for every small h.

>>> from diffcli.ad.parse import parse
>>> s = sweep(parse("3*x**3 - 5*x**2"), {"x": 1.5}, "x")
>>> s.reference, s.best["central"].h <= 1e-3, s.best["complex step"].error < 1e-14
(5.25, True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from diffcli.errors import MathError, UsageError
from diffcli.ad.evaluate import Point, check_outputs, evaluate
from diffcli.ad.graph import Graph
from diffcli.ad.paths import crossing_note
from diffcli.ad.problem import require_scalar
from diffcli.checks import complex_step
from diffcli.checks.numeric import CENTRAL_STEP, ONE_SIDED_STEP, RICHARDSON_STEP, difference, scalar_function
from diffcli.ad.reverse import gradient_reverse

STEPS = tuple(10.0 ** -k for k in range(1, 17))
SCHEMES = ("forward", "backward", "central", "richardson", "complex step")
ORDER = {"forward": 1, "backward": 1, "central": 2, "richardson": 4, "complex step": 2}

@dataclass
class Best:
    """The step with the smallest error for one scheme, and the textbook's optimal step."""

    h: float
    error: float
    textbook_h: float | None  # None for the complex step: every small h is as good


@dataclass
class Sweep:
    """Every quotient at every step, its error against AD, and the best step per scheme."""

    variable: str
    x: float
    reference: float
    steps: list[float]
    values: dict[str, list[float]]
    errors: dict[str, list[float]]
    best: dict[str, Best]
    notes: list[str] = field(default_factory=list)


def textbook_step(scheme: str, x: float) -> float | None:
    """The step balancing truncation against round-off, scaled by max(1, |x|).

    None for the complex step: without a subtraction there is no round-off to balance,
    and any h below about √ε·max(1, |x|) is accurate to machine precision.
    """
    base = {"forward": ONE_SIDED_STEP, "backward": ONE_SIDED_STEP, "central": CENTRAL_STEP,
            "richardson": RICHARDSON_STEP}.get(scheme)
    return None if base is None else base * max(1.0, abs(x))


def _complex_steps(graph: Graph, point: Point, values: list[Any], name: str, root: int,
                   steps: tuple[float, ...]) -> tuple[list[float], str | None]:
    """Im f(x + ih)/h for each h, or NaNs and the reason the complex step is refused."""
    try:
        return [float(complex_step.directional(graph, point, values, [root], [name], {name: 1.0}, h)[0])
                for h in steps], None
    except complex_step.Refused as refusal:
        return [math.nan] * len(steps), str(refusal)


def _richardson(f: Callable[[float], float], x: float, h: float) -> float:
    """(4·D(h/2) − D(h))/3 from two central quotients: the h² error term cancels."""
    return (4.0 * difference(f, x, h / 2.0, "central") - difference(f, x, h, "central")) / 3.0


def sweep(graph: Graph, point: Point, variable: str, output: int = 0,
          steps: tuple[float, ...] = STEPS) -> Sweep:
    """Each scheme at each step in `steps`, against the reverse-mode derivative ∂f/∂variable."""
    if variable not in point:
        raise UsageError(f"--wrt: '{variable}' has no value")
    if np.ndim(point[variable]) != 0:
        raise UsageError(f"--sweep needs a scalar variable, but '{variable}' has shape {np.shape(point[variable])}")
    values = evaluate(graph, point, upto=[graph.outputs[output]])
    root = require_scalar(graph, "--sweep", values, output)
    check_outputs(graph, values, [root])
    _, gradient = gradient_reverse(graph, point, [variable], output)
    reference = float(gradient[variable])
    if not math.isfinite(reference):
        raise MathError(f"the derivative ∂f/∂{variable} is not finite here, so there is nothing to measure against")
    x = float(point[variable])
    f = scalar_function(graph, point, variable, (), output)
    notes: list[str] = []
    table: dict[str, list[float]] = {scheme: [] for scheme in SCHEMES}
    with np.errstate(all="ignore"):
        for h in steps:
            for scheme in ("forward", "backward", "central"):
                table[scheme].append(difference(f, x, h, scheme))
            table["richardson"].append(_richardson(f, x, h))
    table["complex step"], refusal = _complex_steps(graph, point, values, variable, root, steps)
    if refusal is not None:
        notes.append(f"complex step not available: {refusal}")
    errors = {scheme: [abs(v - reference) if math.isfinite(v) else math.nan for v in column]
              for scheme, column in table.items()}
    best: dict[str, Best] = {}
    for scheme, column in errors.items():
        finite = [(e, h) for e, h in zip(column, steps) if math.isfinite(e)]
        if finite:
            error, h = min(finite, key=lambda pair: (pair[0], -pair[1]))
            best[scheme] = Best(h, error, textbook_step(scheme, x))
    if f.crossings:  # type: ignore[attr-defined] - a program's step that changed its path
        notes.append(crossing_note(f.crossings[0]))  # type: ignore[attr-defined]
    if any(not math.isfinite(v) for scheme in SCHEMES[:4] for v in table[scheme]):
        notes.append("some steps leave the function's domain (no finite quotient there)")
    return Sweep(variable, x, reference, list(steps), table, errors, best, notes)
