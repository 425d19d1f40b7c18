"""A set of extremum problems with answers computed by hand: does `lagrange` find them all?

    PYTHONPATH=. python bench/lagrange_problems.py [--json] [--only NAME]

Each problem lists every isolated critical point with its kind (worked out in closed
form: symmetry, eigenvectors, one-variable reductions — not by running diffcli), the
curves of critical points it has, or the outcome a run must report (an empty
constraint set, no critical point). Categories: textbook, many-point, degenerate,
continuum, badly scaled, infeasible, no critical point, unbounded, irregular.

Reported at the default settings (`solve(objective, constraints)`):
* recall — expected isolated points found (x within 1e-6 relative), and with the right kind;
* spurious — rows that match no expected point (a cluster around a degenerate point, an
  infeasible point, a curve shown as points);
* outcomes — infeasible / no-critical-point problems answered with the right message;
* time per problem.

The script only uses `solve`, `points[i].x/.kind/.f` and MathError, so it also runs
against older versions of diffcli (put that version first on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent.parent))  # after PYTHONPATH: an older diffcli can be put first

S2, S3 = math.sqrt(2.0), math.sqrt(3.0)


@dataclass
class Problem:
    name: str
    category: str
    objective: str
    constraints: list[str]
    points: list[tuple[tuple[float, ...], str]] = field(default_factory=list)   # (x in reading order, kind)
    sets: list[tuple[float, str]] = field(default_factory=list)                 # (f on the set, kind)
    outcome: str = "points"          # points | infeasible | none


def signs(*values: float) -> list[tuple[float, ...]]:
    """Every sign pattern of the nonzero values."""
    choices = [(v, -v) if v else (0.0,) for v in values]
    return [tuple(c) for c in itertools.product(*choices)]


def _xyz_on_ellipsoid(a: float, b: float, c: float, scale: float) -> list[tuple[tuple[float, ...], str]]:
    """scale·x·y·z on x²/a + y²/b + z²/c = 1: eight extrema at x² = a/3 …, six saddles on the axes."""
    points = []
    for x, y, z in signs(math.sqrt(a / 3), math.sqrt(b / 3), math.sqrt(c / 3)):
        points.append(((x, y, z), "max" if scale * x * y * z > 0 else "min"))
    for axis, value in enumerate((math.sqrt(a), math.sqrt(b), math.sqrt(c))):
        for sign in (1.0, -1.0):
            x = [0.0, 0.0, 0.0]
            x[axis] = sign * value
            points.append((tuple(x), "saddle"))
    return points


def _quartic_sphere() -> list[tuple[tuple[float, ...], str]]:
    """x⁴ + y⁴ + z⁴ on the unit sphere: 6 maxima (axes), 12 saddles (x² = y² = ½), 8 minima (x² = y² = z² = ⅓)."""
    points = []
    for axis in range(3):
        for sign in (1.0, -1.0):
            x = [0.0, 0.0, 0.0]
            x[axis] = sign
            points.append((tuple(x), "max"))
    for i, j in ((0, 1), (0, 2), (1, 2)):
        for si, sj in itertools.product((1.0, -1.0), repeat=2):
            x = [0.0, 0.0, 0.0]
            x[i], x[j] = si / S2, sj / S2
            points.append((tuple(x), "saddle"))
    points += [(p, "min") for p in signs(1 / S3, 1 / S3, 1 / S3)]
    return points


def _brockett() -> list[tuple[tuple[float, ...], str]]:
    """f = aᵀAa + 2·bᵀAb, A = diag(1, 2, 3), a and b orthonormal: a and b are ± distinct axes (24 points).
    The only local max puts b on axis 3 and a on axis 2 (f = 8); the only local min b on 1, a on 2 (f = 4)."""
    points = []
    for i, j in itertools.permutations(range(3), 2):
        kind = "max" if (i, j) == (1, 2) else "min" if (i, j) == (1, 0) else "saddle"
        for si, sj in itertools.product((1.0, -1.0), repeat=2):
            a, b = [0.0] * 3, [0.0] * 3
            a[i], b[j] = si, sj
            points.append((tuple(a + b), kind))
    return points


def _tridiagonal() -> list[tuple[tuple[float, ...], str]]:
    """xᵀAx on the unit sphere, A = [[2,1,0],[1,2,1],[0,1,2]]: eigenvectors (1, ∓√2, 1)/2 and (1, 0, −1)/√2."""
    low, high, middle = (0.5, -S2 / 2, 0.5), (0.5, S2 / 2, 0.5), (1 / S2, 0.0, -1 / S2)
    return [(tuple(s * v for v in vec), kind) for vec, kind in ((low, "min"), (high, "max"), (middle, "saddle"))
            for s in (1.0, -1.0)]


def _path_form() -> list[tuple[tuple[float, ...], str]]:
    """xy + yz on the unit sphere = xᵀAx with eigenvalues ±1/√2 and 0."""
    return [(tuple(s * v for v in vec), kind) for vec, kind in
            (((0.5, S2 / 2, 0.5), "max"), ((0.5, -S2 / 2, 0.5), "min"), ((1 / S2, 0.0, -1 / S2), "saddle"))
            for s in (1.0, -1.0)]


R = math.sqrt(0.5e12)
E = math.exp(-1.0)
PROBLEMS = [
    # textbook
    Problem("circle product", "textbook", "x*y", ["x**2 + y**2 = 1"],
            [(p, "max" if p[0] * p[1] > 0 else "min") for p in signs(1 / S2, 1 / S2)]),
    Problem("line on circle", "textbook", "x + y", ["x**2 + y**2 = 2"], [((1.0, 1.0), "max"), ((-1.0, -1.0), "min")]),
    Problem("hyperbola distance", "textbook", "x**2 + y**2", ["x*y = 1"], [((1.0, 1.0), "min"), ((-1.0, -1.0), "min")]),
    Problem("box in ellipsoid", "textbook", "x*y*z", ["x**2 + 2*y**2 + 3*z**2 = 6"], _xyz_on_ellipsoid(6, 3, 2, 1.0)),
    Problem("plane and cylinder", "textbook", "x + y + z", ["x**2 + y**2 = 2", "x + z = 1"],
            [((0.0, S2, 1.0), "max"), ((0.0, -S2, 1.0), "min")]),
    Problem("saddle on ellipse", "textbook", "x**2 - y**2", ["x**2 + 4*y**2 = 4"],
            [((2.0, 0.0), "max"), ((-2.0, 0.0), "max"), ((0.0, 1.0), "min"), ((0.0, -1.0), "min")]),
    Problem("closest point on a line", "textbook", "(x - 1)**2 + (y - 2)**2", ["x + y = 1"], [((0.0, 1.0), "min")]),
    Problem("Cobb-Douglas", "textbook", "sqrt(x)*sqrt(y)", ["x + y = 10"], [((5.0, 5.0), "max")]),
    Problem("maximum entropy", "textbook", "-x*log(x) - y*log(y) - z*log(z)", ["x + y + z = 1"],
            [((1 / 3, 1 / 3, 1 / 3), "max")]),
    Problem("hyperbola vertex", "textbook", "x**2 + y**2", ["x**2 - y**2 = 1"], [((1.0, 0.0), "min"), ((-1.0, 0.0), "min")]),
    Problem("fence", "textbook", "x*y", ["x + y = 10"], [((5.0, 5.0), "max")]),
    Problem("two planes", "textbook", "x**2 + y**2 + z**2", ["x + y + z = 1", "x - y = 0"],
            [((1 / 3, 1 / 3, 1 / 3), "min")]),
    Problem("free quartic", "textbook", "x**4 + y**4 - 4*x*y + 1", [],
            [((0.0, 0.0), "saddle"), ((1.0, 1.0), "min"), ((-1.0, -1.0), "min")]),
    Problem("free cubic", "textbook", "x**3 - 3*x + y**2", [], [((1.0, 0.0), "min"), ((-1.0, 0.0), "saddle")]),
    Problem("free gaussian product", "textbook", "x*y*exp(-(x**2 + y**2)/2)", [],
            [((0.0, 0.0), "saddle")] + [(p, "max" if p[0] * p[1] > 0 else "min") for p in signs(1.0, 1.0)]),
    # many points
    Problem("quartic on sphere", "many-point", "x**4 + y**4 + z**4", ["x**2 + y**2 + z**2 = 1"], _quartic_sphere()),
    Problem("quartic on circle", "many-point", "x**4 + y**4", ["x**2 + y**2 = 1"],
            [(p, "max") for p in ((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0))]
            + [(p, "min") for p in signs(1 / S2, 1 / S2)]),
    Problem("cubic on circle", "many-point", "x**3 + y**3", ["x**2 + y**2 = 1"],
            [((1.0, 0.0), "max"), ((0.0, 1.0), "max"), ((-1.0, 0.0), "min"), ((0.0, -1.0), "min"),
             ((1 / S2, 1 / S2), "min"), ((-1 / S2, -1 / S2), "max")]),
    Problem("Brockett 3x2", "many-point", "a1**2 + 2*a2**2 + 3*a3**2 + 2*(b1**2 + 2*b2**2 + 3*b3**2)",
            ["a1**2 + a2**2 + a3**2 = 1", "b1**2 + b2**2 + b3**2 = 1", "a1*b1 + a2*b2 + a3*b3 = 0"], _brockett()),
    Problem("box in ellipsoid (8xyz)", "many-point", "8*x*y*z", ["x**2/4 + y**2/9 + z**2 = 1"],
            _xyz_on_ellipsoid(4, 9, 1, 8.0)),
    Problem("Rayleigh quotient", "many-point", "2*x**2 + 2*y**2 + 2*z**2 + 2*x*y + 2*y*z", ["x**2 + y**2 + z**2 = 1"],
            _tridiagonal()),
    Problem("path form on sphere", "many-point", "x*y + y*z", ["x**2 + y**2 + z**2 = 1"], _path_form()),
    # degenerate
    Problem("quartic valley", "degenerate", "(x - 1)**4 + (y + 1)**4", ["x + y = 0"], [((1.0, -1.0), "min")]),
    Problem("quartic at the origin", "degenerate", "x**4 + y**4", ["x + y"], [((0.0, 0.0), "min")]),
    Problem("inflection", "degenerate", "x**3 + y", ["y = 0"], [((0.0, 0.0), "saddle")]),
    Problem("cubic saddle", "degenerate", "x*y*z", ["x + y + z = 0"], [((0.0, 0.0, 0.0), "saddle")]),
    Problem("free quartic bowl", "degenerate", "x**4 + y**4", [], [((0.0, 0.0), "min")]),
    Problem("free cubic-quadratic", "degenerate", "x**3 + y**2", [], [((0.0, 0.0), "saddle")]),
    Problem("free quartic saddle", "degenerate", "x**4 - y**4", [], [((0.0, 0.0), "saddle")]),
    # curves of critical points
    Problem("circle of minima", "continuum", "x*y + y*z + z*x", ["x**2 + y**2 + z**2 = 1"],
            [((1 / S3, 1 / S3, 1 / S3), "max"), ((-1 / S3, -1 / S3, -1 / S3), "max")], sets=[(-0.5, "min")]),
    Problem("constant on the circle", "continuum", "x**2 + y**2", ["x**2 + y**2 = 1"], sets=[(1.0, "degenerate")]),
    # badly scaled
    Problem("huge circle", "badly scaled", "x + y", ["x**2 + y**2 = 1e12"], [((R, R), "max"), ((-R, -R), "min")]),
    Problem("tiny circle", "badly scaled", "x + y", ["x**2 + y**2 = 1e-12"],
            [((S2 / 2 * 1e-6, S2 / 2 * 1e-6), "max"), ((-S2 / 2 * 1e-6, -S2 / 2 * 1e-6), "min")]),
    Problem("graded quadratic on sphere", "badly scaled", "1e6*x**2 + 1e-6*y**2", ["x**2 + y**2 + z**2 = 1"],
            [((1.0, 0.0, 0.0), "max"), ((-1.0, 0.0, 0.0), "max"), ((0.0, 1.0, 0.0), "saddle"),
             ((0.0, -1.0, 0.0), "saddle"), ((0.0, 0.0, 1.0), "min"), ((0.0, 0.0, -1.0), "min")]),
    # x + y on 1e6x² + 1e-6y² = 1: ∇f ∥ ∇g gives y = 1e12·x, so x² (1e6 + 1e18) = 1
    Problem("long ellipse", "badly scaled", "x + y", ["1e6*x**2 + 1e-6*y**2 = 1"],
            [((1 / math.sqrt(1e6 + 1e18), 1e12 / math.sqrt(1e6 + 1e18)), "max"),
             ((-1 / math.sqrt(1e6 + 1e18), -1e12 / math.sqrt(1e6 + 1e18)), "min")]),
    Problem("scaled product", "badly scaled", "1e8*x*y", ["x**2 + y**2 = 1"],
            [(p, "max" if p[0] * p[1] > 0 else "min") for p in signs(1 / S2, 1 / S2)]),
    Problem("far target", "badly scaled", "(x - 1000)**2 + (y - 1000)**2", ["x + y = 1"], [((0.5, 0.5), "min")]),
    # nothing to find
    Problem("empty circle", "infeasible", "x + y", ["x**2 + y**2 = -1"], outcome="infeasible"),
    Problem("parallel lines", "infeasible", "x + y", ["x + y = 1", "x + y = 2"], outcome="infeasible"),
    Problem("exp never zero", "infeasible", "x*y", ["exp(x) = 0"], outcome="infeasible"),
    Problem("monotone on a line", "no critical point", "x**3 + y", ["x - y = 0"], outcome="none"),
    Problem("linear on a line", "no critical point", "x**2 - 2*x*y + 2*y", ["x = 3"], outcome="none"),
    Problem("free plane", "no critical point", "x + y", [], outcome="none"),
    # unbounded objective: the critical points must still all be found
    Problem("sum on hyperbola", "unbounded", "x + y", ["x*y = 1"], [((1.0, 1.0), "min"), ((-1.0, -1.0), "max")]),
    Problem("indefinite on a plane", "unbounded", "x**2 + y**2 - z**2", ["x + y + z = 1"], [((1.0, 1.0, -1.0), "saddle")]),
    # irregular points (dependent constraint gradients): listed as their own kind
    Problem("cusp minimum", "irregular", "x", ["y**2 = x**3"], [((0.0, 0.0), "irregular")]),
    Problem("cusp and maximum", "irregular", "x - y", ["y**2 = x**3"],
            [((4 / 9, 8 / 27), "max"), ((0.0, 0.0), "irregular")]),
]


S5 = math.sqrt(5.0)
# Absolute extrema on closed regions (KKT by active sets), worked out by hand:
# (name, objective, constraints, (max f, [where]), (min f, [where]))
KKT_PROBLEMS = [
    ("Stewart's rectangle", "x**2 - 2*x*y + 2*y", ["0 <= x <= 3", "0 <= y <= 2"],
     (9.0, [(3.0, 0.0)]), (0.0, [(0.0, 0.0), (2.0, 2.0)])),
    ("closest point of a disk", "(x - 2)**2 + (y - 1)**2", ["x**2 + y**2 <= 1"],
     (6 + 2 * S5, [(-2 / S5, -1 / S5)]), (6 - 2 * S5, [(2 / S5, 1 / S5)])),
    ("quadratic on the disk", "x**2 + 2*y**2", ["x**2 + y**2 <= 1"],
     (2.0, [(0.0, 1.0), (0.0, -1.0)]), (0.0, [(0.0, 0.0)])),
    ("plane on a triangle", "x + 2*y", ["x + y <= 1", "x >= 0", "y >= 0"], (2.0, [(0.0, 1.0)]), (0.0, [(0.0, 0.0)])),
    ("bowl on a square", "x**2 + y**2", ["-1 <= x <= 1", "-1 <= y <= 1"],
     (2.0, [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)]), (0.0, [(0.0, 0.0)])),
    ("cubic-quartic on the disk", "2*x**3 + y**4", ["x**2 + y**2 <= 1"], (2.0, [(1.0, 0.0)]), (-2.0, [(-1.0, 0.0)])),
    ("product on an elliptic region", "x*y", ["x**2/4 + y**2 <= 1"],
     (1.0, [(S2, 1 / S2), (-S2, -1 / S2)]), (-1.0, [(S2, -1 / S2), (-S2, 1 / S2)])),
    ("circle, plane and half-space", "x + y + z", ["x**2 + y**2 = 2", "x + z = 1", "x >= 0"],
     (1 + S2, [(0.0, S2, 1.0)]), (1 - S2, [(0.0, -S2, 1.0)])),
]


def run_kkt(name: str, objective: str, constraints: list[str], top: tuple, bottom: tuple) -> dict:
    """Solve at the default settings; right when bounded is proved and the absolute max and min
    (values and every location of a tie) are the hand-computed ones."""
    from diffcli.extrema.solver import extremes, solve

    began, cpu = time.perf_counter(), time.process_time()
    result = solve(objective, constraints)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    largest, smallest = extremes([p.f for p in result.points])
    right = bool(result.bounded)
    for chosen, (value, where) in ((largest, top), (smallest, bottom)):
        found = [result.points[k] for k in chosen]
        right &= all(abs(p.f - value) <= 1e-9 * max(1.0, abs(value)) for p in found)
        right &= len(found) == len(where) and all(any(same(p.x, w) for p in found) for w in where)
    return {"name": name, "candidates": len(result.points), "right": right, "seconds": seconds, "cpu": cpu_seconds,
            "starts": result.starts}


def kkt_lines() -> list[str]:
    rows = [run_kkt(*problem) for problem in KKT_PROBLEMS]
    lines = ["### Absolute extrema on closed regions (inequalities)", "",
             f"{sum(r['right'] for r in rows)}/{len(rows)} with the bounded region proved and the absolute max and "
             "min right, every tie location included.", "",
             "| problem | candidates | right | starts | time (s) | CPU (s) |", "|---|---:|---|---:|---:|---:|"]
    lines += [f"| {r['name']} | {r['candidates']} | {'yes' if r['right'] else 'NO'} | {r['starts']} | "
              f"{r['seconds']:.2f} | {r['cpu']:.2f} |" for r in rows]
    return lines + [""]


def same(x: np.ndarray, expected: tuple[float, ...]) -> bool:
    target = np.array(expected)
    return bool(np.abs(x - target).max(initial=0.0) <= 1e-6 * max(float(np.abs(target).max(initial=0.0)), 1e-6))


def run_one(problem: Problem, seed: int = 0) -> dict:
    from diffcli.errors import MathError, UsageError
    from diffcli.extrema.solver import solve

    began = time.perf_counter()
    cpu = time.process_time()
    try:
        result = solve(problem.objective, problem.constraints, seed=seed)
        points, message = result.points, ""
    except (MathError, UsageError) as error:
        points, message = [], str(error)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    found = right = spurious = sets_found = 0
    matched = set()
    for p in points:
        x = np.asarray(p.x, dtype=float)
        if getattr(p, "dimension", 0):
            hit = any(abs(p.f - f) <= 1e-8 * max(1.0, abs(f)) and p.kind == kind for f, kind in problem.sets)
            sets_found += hit
            spurious += not hit
            continue
        index = next((k for k, (e, _) in enumerate(problem.points) if same(x, e) and k not in matched), None)
        if index is None:
            spurious += 1
            continue
        matched.add(index)
        found += 1
        right += p.kind == problem.points[index][1]
    outcome_ok = None
    if problem.outcome == "infeasible":
        outcome_ok = "contradictory" in message or "empty" in message
    elif problem.outcome == "none":
        outcome_ok = bool(message) and ("no critical point" in message) and "contradictory" not in message
    return {"name": problem.name, "category": problem.category, "expected": len(problem.points), "found": found,
            "right_kind": right, "spurious": spurious, "sets_expected": len(problem.sets), "sets_found": sets_found,
            "outcome_ok": outcome_ok, "message": message, "seconds": seconds, "cpu": cpu_seconds}


def summary(rows: list[dict]) -> dict:
    total = sum(r["expected"] for r in rows)
    return {"problems": len(rows), "expected": total, "found": sum(r["found"] for r in rows),
            "right_kind": sum(r["right_kind"] for r in rows), "spurious": sum(r["spurious"] for r in rows),
            "sets_expected": sum(r["sets_expected"] for r in rows), "sets_found": sum(r["sets_found"] for r in rows),
            "outcomes": sum(r["outcome_ok"] is not None for r in rows),
            "outcomes_ok": sum(bool(r["outcome_ok"]) for r in rows),
            "seconds": sum(r["seconds"] for r in rows), "cpu": sum(r["cpu"] for r in rows),
            "median_seconds": float(np.median([r["seconds"] for r in rows]))}


def table(rows: list[dict]) -> str:
    lines = ["| problem | category | expected | found | right kind | spurious | sets | outcome | time (s) |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        outcome = "—" if r["outcome_ok"] is None else ("right" if r["outcome_ok"] else "wrong: " + r["message"][:60])
        sets = f"{r['sets_found']}/{r['sets_expected']}" if r["sets_expected"] else "—"
        lines.append(f"| {r['name']} | {r['category']} | {r['expected']} | {r['found']} | {r['right_kind']} | "
                     f"{r['spurious']} | {sets} | {outcome} | {r['seconds']:.2f} |")
    s = summary(rows)
    lines.append(f"| **all {s['problems']}** | | **{s['expected']}** | **{s['found']}** | **{s['right_kind']}** | "
                 f"**{s['spurious']}** | **{s['sets_found']}/{s['sets_expected']}** | "
                 f"**{s['outcomes_ok']}/{s['outcomes']}** | **{s['seconds']:.1f}** |")
    return "\n".join(lines)


def results_lines() -> list[str]:
    """The RESULTS.md section: the table at the default settings."""
    rows = [run_one(p) for p in PROBLEMS]
    s = summary(rows)
    return ["## lagrange: every critical point at the default settings", "",
            f"bench/lagrange_problems.py: {s['problems']} problems with hand-computed answers, "
            f"{s['expected']} isolated critical points, {s['sets_expected']} curves of critical points, "
            f"{s['outcomes']} problems with nothing to find. Found {s['found']}/{s['expected']} "
            f"({100 * s['found'] / s['expected']:.0f}%), kind right on {s['right_kind']}, {s['spurious']} spurious rows, "
            f"curves {s['sets_found']}/{s['sets_expected']}, right message {s['outcomes_ok']}/{s['outcomes']}; "
            f"{s['seconds']:.1f} s wall, {s['cpu']:.1f} s CPU in all.", "", table(rows), "", *kkt_lines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", default=None, help="run the problems whose name contains this text")
    parser.add_argument("--kkt", action="store_true", help="the closed-region problems instead")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the random starts")
    args = parser.parse_args()
    if args.kkt:
        print("\n".join(kkt_lines()))
        return
    chosen = [p for p in PROBLEMS if args.only is None or args.only in p.name]
    rows = [run_one(p, args.seed) for p in chosen]
    if args.json:
        print(json.dumps({"rows": rows, "summary": summary(rows)}, indent=1))
    else:
        print(table(rows))


if __name__ == "__main__":
    main()
