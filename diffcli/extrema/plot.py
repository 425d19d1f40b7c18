"""The slide's picture of a two-variable Lagrange problem, drawn with matplotlib.

Contours of f, the constraint curve(s) g = 0, the critical points, and at each point
the arrows ∇f and ∇gᵢ — parallel there, which is the whole idea of the method.
matplotlib is imported only here, inside `plot`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import evaluate
from diffcli.extrema.problem import LagrangeProblem
from diffcli.extrema.solver import LagrangeResult

KIND_COLOURS = {"min": "tab:blue", "max": "tab:red", "saddle": "tab:orange", "degenerate": "tab:gray"}


def _window(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A square-ish window around the points with a margin (at least [-2, 2]²)."""
    low, high = points.min(axis=0), points.max(axis=0)
    centre, half = (low + high) / 2, np.maximum((high - low) / 2 * 1.5, 1.0)
    half = np.maximum(half, 2.0) if np.allclose(centre, 0) else half + 0.5
    return centre - half, centre + half


def check_plottable(problem: LagrangeProblem) -> None:
    """Raise UsageError before any work if `plot` could not draw this problem."""
    if problem.n != 2 or any(problem.shapes.values()):
        raise UsageError(f"--plot draws problems in two scalar variables; this one has {problem.n}")
    if problem.graph.decisions:
        raise UsageError("--plot draws formulas; a program's path depends on x, and the contours would need "
                         "a run at every grid point")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'diffcli[plot]' (or pip install matplotlib)") from None


def plot(result: LagrangeResult, path: str, resolution: int = 300) -> None:
    """Write the figure to `path` (PNG, SVG or PDF by extension)."""
    problem = result.problem
    check_plottable(problem)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    xs = np.array([p.x for p in result.points])
    low, high = _window(xs)
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    names = problem.variables
    point: dict[str, Any] = {names[0]: grid_x, names[1]: grid_y}
    point.update({name: np.float64(0.0) for name in problem.multipliers})
    nodes = [problem.objective_node, *problem.constraint_nodes]
    values = evaluate(problem.graph, point, upto=nodes)
    f_grid = np.broadcast_to(np.asarray(values[problem.objective_node], dtype=np.float64), grid_x.shape)
    figure, axes = plt.subplots(figsize=(7, 6))
    with np.errstate(all="ignore"):
        finite = np.where(np.isfinite(f_grid), f_grid, np.nan)
        contours = axes.contour(grid_x, grid_y, finite, levels=20, cmap="viridis", linewidths=0.8)
        figure.colorbar(contours, ax=axes, label=f"f = {problem.objective}")
        for text, node in zip(problem.constraints, problem.constraint_nodes):
            g_grid = np.broadcast_to(np.asarray(values[node], dtype=np.float64), grid_x.shape)
            axes.contour(grid_x, grid_y, g_grid, levels=[0.0], colors="black", linewidths=2.0)
            axes.plot([], [], color="black", linewidth=2.0, label=f"constraint: {text}")
    arrow = 0.12 * float(np.max(high - low))
    for number, p in enumerate(result.points, start=1):
        colour = KIND_COLOURS.get(p.kind, "black")
        axes.plot(*p.x, "o", color=colour, markersize=7, zorder=5)
        axes.annotate(f"{number}: {p.kind}, f={p.f:.4g}", p.x, textcoords="offset points", xytext=(6, 6), fontsize=8)
        # ∇g wide underneath, ∇f narrow on top: where they point the same way both show.
        arrows = [*[(row, "tab:purple", f"∇g{k + 1}" if len(p.jacobian) > 1 else "∇g", 0.035, 6)
                    for k, row in enumerate(p.jacobian)], (p.gradient, "tab:green", "∇f", 0.015, 7)]
        for vector, style, label, width, layer in arrows:
            length = float(np.linalg.norm(vector))
            if length > 0:
                axes.arrow(*p.x, *(arrow * vector / length), color=style, width=arrow * width,
                           length_includes_head=True, zorder=layer, label=label if number == 1 else None)
    axes.set_xlabel(names[0])
    axes.set_ylabel(names[1])
    axes.set_aspect("equal")
    axes.set_title("critical points of f on the constraint set: ∇f ∥ ∇g")
    axes.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
