"""The limit picture: secants through x₀ ± h turning into the tangent as h shrinks.

The lesson's first figure. f near x₀, the point (x₀, f(x₀)), the tangent line with
slope f′(x₀) from reverse-mode AD, and the secant lines through (x₀ − h, f(x₀ − h))
and (x₀ + h, f(x₀ + h)) — the central difference quotient drawn as a line — each
labelled with its slope. A still picture shows a few h; a GIF animates h shrinking.

>>> from diffcli.ad.parse import parse
>>> data = limit_data(parse("3*x**3 - 5*x**2"), {"x": 1.5}, "x")
>>> data.slope, [round(s.h, 3) for s in data.secants]
(5.25, [0.9, 0.45, 0.225, 0.075])
>>> round(data.secants[0].slope, 2)   # 5.25 + 3h² for a cubic
7.68
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from diffcli.ad.graph import Graph
from diffcli.ad.reverse import gradient_reverse
from diffcli.errors import MathError, UsageError
from diffcli.views.plots import files
from diffcli.views.plots.curve import value_at, values_along

OPTION = "--plot-secants"
STILL_STEPS = (0.6, 0.3, 0.15, 0.05)  # times max(1, |x₀|)
FRAMES = 30
FPS = 10
GIF_DPI = 80  # GIF frames are palette images: a modest size keeps the file and the time small


@dataclass
class Secant:
    """The line through (x₀ − h, f(x₀ − h)) and (x₀ + h, f(x₀ + h))."""

    h: float
    left: float
    right: float

    @property
    def slope(self) -> float:
        return (self.right - self.left) / (2 * self.h)


@dataclass
class LimitData:
    """Everything the picture shows, as numbers (what the tests check)."""

    variable: str
    x0: float
    f0: float
    slope: float  # f′(x₀), reverse-mode AD
    secants: list[Secant]
    window: tuple[float, float]
    notes: list[str] = field(default_factory=list)


def _secant(graph: Graph, point: Mapping[str, Any], variable: str, x0: float, h: float) -> Secant | None:
    """The secant at step h, halving h (up to 40 times) until both ends are defined."""
    for _ in range(40):
        left, right = value_at(graph, point, variable, x0 - h), value_at(graph, point, variable, x0 + h)
        if math.isfinite(left) and math.isfinite(right):
            return Secant(h, left, right)
        h /= 2
    return None


def limit_data(graph: Graph, point: Mapping[str, Any], variable: str,
               steps: tuple[float, ...] = STILL_STEPS, option: str = OPTION) -> LimitData:
    """f(x₀), f′(x₀) and the secants for h = steps · max(1, |x₀|) (shrunk where f is undefined)."""
    if np.ndim(point[variable]) != 0:
        raise UsageError(f"{option}: '{variable}' is a tensor; the limit picture needs a scalar variable")
    x0 = float(point[variable])
    f0, gradient = gradient_reverse(graph, point, [variable])
    f0, slope = float(f0), float(gradient[variable])
    if not (math.isfinite(f0) and math.isfinite(slope)):
        raise MathError(f"{option}: f or f′ is not finite at {variable} = {x0:g}; there is no tangent to draw")
    scale = max(1.0, abs(x0))
    secants, notes = [], []
    for step in steps:
        secant = _secant(graph, point, variable, x0, step * scale)
        if secant is not None and all(abs(secant.h - s.h) > 1e-12 * scale for s in secants):
            secants.append(secant)
    if not secants:
        raise MathError(f"{option}: f is undefined on both sides of {variable} = {x0:g} for every step tried")
    if secants[0].h < steps[0] * scale:
        notes.append(f"{option}: steps shrunk to h = {secants[0].h:.3g} to stay where f is defined")
    half = 1.3 * secants[0].h
    return LimitData(variable, x0, f0, slope, secants, (x0 - half, x0 + half), notes)


def _axes_frame(axes: Any, data: LimitData, graph: Graph, point: Mapping[str, Any]) -> None:
    """f, the point and the tangent: what every frame shows."""
    xs = np.linspace(*data.window, 400)
    ys = values_along(graph, point, {data.variable: xs})
    axes.plot(xs, ys, color="black", linewidth=2.0, label="f", zorder=3)
    axes.plot(xs, data.f0 + data.slope * (xs - data.x0), color="tab:red", linewidth=2.0, zorder=4,
              label=f"tangent: slope f′({data.x0:.4g}) = {data.slope:.6g}")
    axes.plot([data.x0], [data.f0], "o", color="tab:red", markersize=8, zorder=6)
    finite = ys[np.isfinite(ys)]
    if finite.size:
        low, high = float(finite.min()), float(finite.max())
        margin = 0.15 * (high - low) if high > low else 1.0
        axes.set_ylim(low - margin, high + margin)
    axes.set_xlim(*data.window)
    axes.set_xlabel(data.variable)
    axes.set_ylabel("f")
    axes.grid(True, alpha=0.3)


def _draw_secant(axes: Any, data: LimitData, secant: Secant, colour: Any, width: float = 1.4,
                 on_top: bool = False) -> list[Any]:
    """The secant line and its two points (dashed over the tangent in the animation, where they meet)."""
    xs = np.array(data.window)
    middle = (secant.left + secant.right) / 2
    line = axes.plot(xs, middle + secant.slope * (xs - data.x0), color=colour, linewidth=width,
                     zorder=5 if on_top else 2, linestyle="--" if on_top else "-",
                     label=f"h = {secant.h:.3g}: slope {secant.slope:.6g}")
    ends = axes.plot([data.x0 - secant.h, data.x0 + secant.h], [secant.left, secant.right], "o",
                     color=colour, markersize=5, zorder=5)
    return line + ends


def _title(data: LimitData) -> str:
    return (f"secants through {data.variable}₀ ± h → the tangent at {data.variable}₀ = {data.x0:.4g}\n"
            "slope of a secant: (f(x₀+h) − f(x₀−h)) / 2h")


def draw(graph: Graph, point: Mapping[str, Any], variable: str, path: Path, option: str = OPTION) -> LimitData:
    """Write the still picture (png/svg/pdf/jpg) or the animation (gif); return what it shows."""
    files.check_path(path, option, animated=True)
    files.require_matplotlib(option)
    data = limit_data(graph, point, variable, option=option)
    if files.is_animated(path):
        _animate(data, graph, point, path, option)
    else:
        plt = files.pyplot()
        figure, axes = plt.subplots(figsize=(7.5, 5.5))
        _axes_frame(axes, data, graph, point)
        colours = plt.get_cmap("viridis")(np.linspace(0.15, 0.8, len(data.secants)))
        for secant, colour in zip(data.secants, colours):
            _draw_secant(axes, data, secant, colour)
        axes.set_title(_title(data), fontsize=10)
        axes.legend(loc="best", fontsize=8)
        figure.tight_layout()
        files.save(figure, path, option)
    return data


def animation_steps(data: LimitData) -> list[float]:
    """h for each frame: from the largest still step down 300-fold, geometrically."""
    return list(np.geomspace(data.secants[0].h, data.secants[0].h / 300, FRAMES))


def _animate(data: LimitData, graph: Graph, point: Mapping[str, Any], path: Path, option: str) -> None:
    from matplotlib.animation import FuncAnimation

    plt = files.pyplot()
    figure, axes = plt.subplots(figsize=(7.2, 5.4))
    _axes_frame(axes, data, graph, point)
    axes.set_title(_title(data), fontsize=9)
    frames = [s for s in (_secant(graph, point, data.variable, data.x0, h) for h in animation_steps(data)) if s]
    frames += [frames[-1]] * (FPS // 2)  # rest on the last frame before the loop starts again
    drawn: list[Any] = []
    caption = axes.text(0.02, 0.97, "", transform=axes.transAxes, va="top", fontsize=9,
                        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})

    def frame(secant: Secant) -> list[Any]:
        for artist in drawn:
            artist.remove()
        drawn[:] = _draw_secant(axes, data, secant, "tab:blue", width=1.8, on_top=True)
        caption.set_text(f"h = {secant.h:.3g}\nsecant slope {secant.slope:.8g}\n"
                         f"tangent slope {data.slope:.8g}\ndifference {secant.slope - data.slope:.2e}")
        return [*drawn, caption]

    axes.legend(handles=axes.get_lines()[:2], loc="lower right", fontsize=8)
    figure.tight_layout()
    animation = FuncAnimation(figure, frame, frames=frames, blit=False)
    files.save_animation(animation, figure, path, option, FPS, GIF_DPI)
