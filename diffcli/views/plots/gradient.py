"""Linearisation in two variables: contours of f, ∇f at the point, the steepest ascent.

`grad --plot` draws the contours of f around the point, the gradient arrow (its
components written beside it; its direction is the steepest ascent, with slope ‖∇f‖),
and the level line through the point, which ∇f meets at a right
angle: the tangent line of the linearisation f(p) + ∇f·(q − p) = f(p). `jvp --dir --plot`
adds the direction v/‖v‖ and the directional derivative along it.

>>> from diffcli.ad.parse import parse
>>> data = gradient_data(parse("x**2 + 3*y**2"), {"x": 1.0, "y": 1.0}, ["x", "y"], "--plot")
>>> data.gradient, round(data.slope, 6)
((2.0, 6.0), 6.324555)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from diffcli.ad.graph import Graph
from diffcli.ad.reverse import gradient_reverse
from diffcli.errors import MathError, UsageError
from diffcli.views.plots import files
from diffcli.views.plots.curve import values_along


@dataclass
class GradientData:
    """What the picture shows, as numbers (what the tests check)."""

    names: tuple[str, str]
    point: tuple[float, float]
    value: float
    gradient: tuple[float, float]
    direction: tuple[float, float] | None = None  # the unit direction v/‖v‖, for jvp
    along: float | None = None  # ∇f·v/‖v‖

    @property
    def slope(self) -> float:
        """The steepest slope, ‖∇f‖."""
        return math.hypot(*self.gradient)


def check_plottable(point: Mapping[str, Any], wrt: list[str], option: str, one: bool = False) -> None:
    """Two scalar variables, or with `one` also a single one (refused before any work otherwise)."""
    if len(wrt) == 1 and one and not np.ndim(point[wrt[0]]):
        return
    if len(wrt) != 2 or any(np.ndim(point[name]) for name in wrt):
        raise UsageError(f"{option} draws f of two scalar variables; this has "
                         f"{len(wrt)} variable{'s' if len(wrt) != 1 else ''}"
                         + (" (name two with --wrt)" if len(wrt) > 2 else ""))


def gradient_data(graph: Graph, point: Mapping[str, Any], wrt: list[str], option: str,
                  direction: Mapping[str, Any] | None = None) -> GradientData:
    check_plottable(point, wrt, option)
    value, gradient = gradient_reverse(graph, point, wrt)
    g = (float(gradient[wrt[0]]), float(gradient[wrt[1]]))
    if not (math.isfinite(float(value)) and all(math.isfinite(c) for c in g)):
        raise MathError(f"{option}: f or ∇f is not finite at the point; nothing to draw")
    data = GradientData((wrt[0], wrt[1]), (float(point[wrt[0]]), float(point[wrt[1]])), float(value), g)
    if direction is not None:
        v = np.array([float(np.asarray(direction.get(name, 0.0))) for name in wrt])
        norm = float(np.linalg.norm(v))
        if norm == 0:
            raise UsageError(f"{option}: the direction is zero; there is no direction to draw")
        data.direction = (float(v[0] / norm), float(v[1] / norm))
        data.along = g[0] * data.direction[0] + g[1] * data.direction[1]
    return data


def draw(graph: Graph, point: Mapping[str, Any], wrt: list[str], path: Path, option: str = "--plot",
         direction: Mapping[str, Any] | None = None) -> Any:
    """Write the picture; return what it shows (one variable: the limit picture's data)."""
    if len(wrt) == 1 and direction is None:
        from diffcli.views.plots import secants

        return secants.draw(graph, point, wrt[0], path, option)
    files.check_path(path, option)
    files.require_matplotlib(option)
    data = gradient_data(graph, point, wrt, option, direction)
    plt = files.pyplot()
    (x0, y0), (gx, gy) = data.point, data.gradient
    half = max(1.0, 0.5 * max(abs(x0), abs(y0)))
    xs, ys = np.meshgrid(np.linspace(x0 - half, x0 + half, 161), np.linspace(y0 - half, y0 + half, 161))
    others = {name: value for name, value in point.items() if name not in wrt}
    fs = values_along(graph, others, {wrt[0]: xs, wrt[1]: ys})
    figure, axes = plt.subplots(figsize=(7.0, 7.0))
    with np.errstate(all="ignore"):
        contours = axes.contour(xs, ys, np.where(np.isfinite(fs), fs, np.nan), levels=18, cmap="viridis",
                                linewidths=0.9)
    figure.colorbar(contours, ax=axes, label="f")
    axes.plot([x0], [y0], "o", color="black", markersize=7, zorder=6)
    slope = data.slope
    handles = []
    if slope > 0:
        ux, uy = gx / slope, gy / slope
        # The level line through the point: perpendicular to ∇f, where the linearisation is constant.
        (level,) = axes.plot([x0 - half * uy, x0 + half * uy], [y0 + half * ux, y0 - half * ux], "--",
                             color="gray", linewidth=1.2, label="level line through the point (at right angles to ∇f)")
        # ∇f and the steepest ascent share one arrow: they are the same direction (length not to scale).
        handles.append(axes.arrow(x0, y0, ux * 0.7 * half, uy * 0.7 * half, width=0.014 * half, color="tab:red",
                                  length_includes_head=True, zorder=7,
                                  label=f"∇f = ({gx:.4g}, {gy:.4g}): the steepest ascent, slope ‖∇f‖ = {slope:.6g}"))
        handles.append(level)
    if data.direction is not None:
        dx, dy = data.direction
        angle = f" = ‖∇f‖·cos {math.degrees(math.acos(max(-1.0, min(1.0, data.along / slope)))):.1f}°" if slope else ""
        handles.append(axes.arrow(x0, y0, dx * 0.5 * half, dy * 0.5 * half, width=0.014 * half, color="tab:blue",
                                  length_includes_head=True, zorder=8,
                                  label=f"v/‖v‖ = ({dx:.4g}, {dy:.4g}): directional derivative {data.along:.6g}{angle}"))
    axes.set_xlabel(wrt[0])
    axes.set_ylabel(wrt[1])
    axes.set_aspect("equal")
    axes.set_xlim(x0 - half, x0 + half)
    axes.set_ylim(y0 - half, y0 + half)
    axes.set_title(f"f = {data.value:.6g} at ({x0:.4g}, {y0:.4g}): ∇f points uphill, across the contours",
                   fontsize=10)
    if handles:
        axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=8, frameon=False)
    figure.tight_layout()
    files.save(figure, path, option)
    return data
