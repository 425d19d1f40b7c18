"""The slide's picture of a two-variable extremum problem, drawn with matplotlib.

Faint contours of f for orientation, and bold the level curve through every critical
value — at a constrained extremum that curve touches the constraint curve, which is
the whole point of the method. The constraint curves (e = bound) in black; with
inequalities the feasible region is shaded. At each point the arrows ∇f (green) and
λᵢ∇eᵢ (purple), drawn to one common scale so that their lengths compare: at a regular
critical point ∇f = Σλᵢ∇eᵢ, the arrows coincide. Labels are placed where they do not
overlap; the window fits the points and the constraint set at their own scale (a
circle of radius 1e-6 fills it); x runs across, y up. The absolute max and min (or the
largest and smallest f found) are ringed.

matplotlib is imported only here, inside `plot`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.errors import UsageError
from diffcli.extrema.problem import BOUND_PREFIX, MULTIPLIER_PREFIX, OBJECTIVE_WEIGHT, LagrangeProblem

KIND_STYLE = {"min": ("tab:blue", "v"), "max": ("tab:red", "^"), "saddle": ("tab:orange", "X"),
              "degenerate": ("tab:gray", "s"), "irregular": ("black", "D")}
LABEL_OFFSETS = [(8, 8), (8, -14), (-60, 8), (-60, -14), (8, 22), (-60, 22), (8, -28), (-60, -28)]


def check_plottable(problem: LagrangeProblem) -> None:
    """Raise UsageError before any work if `plot` could not draw this problem."""
    if problem.n != 2 or not problem.is_scalar:
        raise UsageError(f"--plot draws problems in two scalar variables; this one has {problem.n}")
    if problem.graph.decisions:
        raise UsageError("--plot draws formulas; a program's path depends on x, and the contours would need "
                         "a run at every grid point")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'diffcli[plot]' (or pip install matplotlib)") from None


def window(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A square window around the points, at their scale: their spread with a margin, or
    around a single point a tenth of its distance from 0 (a unit square at 0).

    >>> [v.tolist() for v in window(np.array([[7e-7, 7e-7], [-7e-7, -7e-7]]))]
    [[-1.4e-06, -1.4e-06], [1.4e-06, 1.4e-06]]
    """
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2
    half = float(np.max(high - low)) / 2
    if half == 0.0:
        half = 0.1 * float(np.abs(centre).max(initial=0.0))
    half = 2.0 * half if half > 0 else 1.0
    return centre - half, centre + half


def _grid_values(problem: LagrangeProblem, grid_x: np.ndarray, grid_y: np.ndarray) -> list[np.ndarray]:
    """f and every constraint expression on the grid."""
    names = problem.variables
    point: dict[str, Any] = {names[0]: grid_x, names[1]: grid_y, OBJECTIVE_WEIGHT: np.float64(1.0)}
    point.update({f"{MULTIPLIER_PREFIX}{i}": np.float64(0.0) for i in range(len(problem.constraints))})
    point.update({f"{BOUND_PREFIX}{i}": np.float64(0.0) for i in range(len(problem.constraints))})
    nodes = [problem.objective_node, *problem.constraint_nodes]
    with np.errstate(all="ignore"):
        values = evaluate(problem.graph, point, upto=nodes)
    return [np.broadcast_to(np.asarray(values[node], dtype=np.float64), grid_x.shape) for node in nodes]


def plot(result: Any, path: str, resolution: int = 300) -> None:
    """Write the figure to `path` (PNG, SVG or PDF by extension)."""
    problem = result.problem
    check_plottable(problem)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = np.array([p.x for p in result.points] + [s for p in result.points for s in p.samples]).reshape(-1, 2)
    low, high = window(xs)
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    f_grid, *e_grids = _grid_values(problem, grid_x, grid_y)
    figure, axes = plt.subplots(figsize=(7.5, 6.5))
    with np.errstate(all="ignore"):
        finite = np.where(np.isfinite(f_grid), f_grid, np.nan)
        _shade_feasible(axes, problem, grid_x, grid_y, e_grids)
        background = axes.contour(grid_x, grid_y, finite, levels=14, cmap="viridis", linewidths=0.5, alpha=0.6)
        figure.colorbar(background, ax=axes, label=f"f = {problem.objective}")
        critical = sorted({round(p.f, 12) for p in result.points if np.isfinite(p.f)})
        if critical and np.nanmin(finite) < np.nanmax(finite):
            lines = axes.contour(grid_x, grid_y, finite, levels=_strictly_increasing(critical), colors="tab:green",
                                 linewidths=1.4, linestyles="--")
            axes.clabel(lines, fmt=lambda v: f"f={v:.4g}", fontsize=7)
        for c, grid in zip(problem.constraints, e_grids):
            for side in c.sides:
                bound = float(c.bound("upper" if side == "equal" else side))
                if np.nanmin(grid) <= bound <= np.nanmax(grid):
                    axes.contour(grid_x, grid_y, grid, levels=[bound], colors="black", linewidths=2.0)
            axes.plot([], [], color="black", linewidth=2.0, label=f"constraint: {c.text}")
    _arrows(axes, result, high - low)
    _points(axes, figure, result)
    names = problem.variables
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    axes.set_xlabel(names[0])
    axes.set_ylabel(names[1])
    axes.set_aspect("equal")
    axes.set_title("critical points: ∇f = Σλ∇g there" if problem.m else "critical points: ∇f = 0")
    axes.legend(loc="upper right", fontsize=7, framealpha=0.85)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _strictly_increasing(values: list[float]) -> list[float]:
    """Contour levels must increase strictly: nudge equal ones apart."""
    levels: list[float] = []
    for v in values:
        if levels and v <= levels[-1]:
            v = levels[-1] + 1e-12 * max(1.0, abs(v))
        levels.append(v)
    return levels


def _shade_feasible(axes: Any, problem: LagrangeProblem, grid_x: np.ndarray, grid_y: np.ndarray,
                    e_grids: list[np.ndarray]) -> None:
    """Shade where every inequality holds (equalities are curves, drawn as such)."""
    inequalities = [(c, g) for c, g in zip(problem.constraints, e_grids) if not c.is_equality]
    if not inequalities:
        return
    inside = np.ones(grid_x.shape, bool)
    for c, g in inequalities:
        if c.lower is not None:
            inside &= g >= float(c.lower)
        if c.upper is not None:
            inside &= g <= float(c.upper)
    axes.contourf(grid_x, grid_y, inside.astype(float), levels=[0.5, 1.5], colors=["tab:cyan"], alpha=0.18)
    axes.fill([], [], color="tab:cyan", alpha=0.18, label="feasible region")


def _arrows(axes: Any, result: Any, size: np.ndarray) -> None:
    """∇f and each λᵢ∇eᵢ at every point, one scale for all (the longest a quarter of the window)."""
    vectors = []
    for p in result.points:
        if p.kind == "irregular":
            continue
        vectors.append((p.x, p.gradient, "tab:green", "∇f", 0.012, 7))
        for k, (lam, row) in enumerate(zip(p.multipliers, p.jacobian)):
            if p.active[k] and lam != 0:
                label = "λ∇g" if len(p.multipliers) == 1 else f"λ{k + 1}∇g{k + 1}"
                vectors.append((p.x, lam * row, "tab:purple", label, 0.03, 6))
    lengths = [float(np.linalg.norm(v)) for _, v, *_ in vectors]
    longest = max([length for length in lengths if np.isfinite(length)], default=0.0)
    if longest == 0:
        return
    scale = 0.25 * float(np.max(size)) / longest
    seen: set[str] = set()
    for (x, vector, colour, label, width, layer), length in zip(vectors, lengths):
        if not np.isfinite(length) or length == 0:
            continue
        axes.arrow(*x, *(scale * vector), color=colour, width=width * 0.25 * float(np.max(size)),
                   length_includes_head=True, zorder=layer, alpha=0.9, label=None if label in seen else label)
        seen.add(label)


def _points(axes: Any, figure: Any, result: Any) -> None:
    """Markers by kind, the extremes ringed, and labels that do not overlap."""
    from diffcli.extrema.solver import extremes

    values = [p.f for p in result.points]
    largest, smallest = extremes(values)
    kinds_seen: set[str] = set()
    for number, p in enumerate(result.points):
        colour, marker = KIND_STYLE.get(p.kind, ("black", "o"))
        label = None if p.kind in kinds_seen else p.kind
        kinds_seen.add(p.kind)
        axes.plot(*p.x, marker=marker, color=colour, markersize=8, linestyle="none", zorder=8, label=label)
        for sample in p.samples[1:]:
            axes.plot(*sample, marker=".", color=colour, markersize=5, zorder=8)
        if number in largest or number in smallest:
            axes.plot(*p.x, marker="o", markersize=16, markerfacecolor="none", markeredgecolor="gold",
                      markeredgewidth=2.0, zorder=7)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    placed: list[Any] = []
    for number, p in enumerate(result.points):
        text = f"{number + 1}: {p.kind}, f={p.f + 0.0:.4g}"
        for offset in LABEL_OFFSETS:
            note = axes.annotate(text, p.x, textcoords="offset points", xytext=offset, fontsize=7, zorder=9,
                                 bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7, "lw": 0})
            box = note.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            note.remove()
        else:
            placed.append(axes.annotate(text, p.x, textcoords="offset points", xytext=LABEL_OFFSETS[0],
                                        fontsize=7, zorder=9).get_window_extent(renderer))
