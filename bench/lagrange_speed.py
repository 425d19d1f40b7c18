"""How fast is `lagrange`? Per start against SciPy's SLSQP, and a whole default run.

    PYTHONPATH=. python bench/lagrange_speed.py [--repeat 5]

1. Per start: the same 20 random starts for diffcli's Newton (all rows of one batch,
   the KKT graph built beforehand, λ₀ by least squares) and for SLSQP given diffcli's
   analytic (AD) gradients, one start after the other. Each side's time divided by 20;
   the two sides take turns, medians over the repeats. SLSQP looks for a local minimum
   from each start; Newton for the nearest critical point — the same work per start.
2. A default run, `solve(objective, constraints)` as `diffcli lagrange` does it (rounds
   until nothing new, classification, irregular points, probe; SymPy's count where it
   applies), for a 2-variable and 6-variable problems, with and without the count.

Wall time and CPU time (the machine is shared: CPU time is the steadier figure), with
the load average at the start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffcli.extrema.check import scipy_run  # noqa: E402
from diffcli.extrema.kkt import KKTGraph  # noqa: E402
from diffcli.extrema.newton import accuracy_at, solve_rows  # noqa: E402
from diffcli.extrema.points import active_sets  # noqa: E402
from diffcli.extrema.problem import build_problem  # noqa: E402
from diffcli.extrema.solver import DEFAULT_BOX, solve, start_points  # noqa: E402

PER_START = [
    ("x*y", ["x**2 + y**2 = 1"]),
    ("exp(x*y)", ["x**2 + y**2 = 10"]),
    ("x*y*z", ["x**2 + 2*y**2 + 3*z**2 = 6"]),
    ("x + y + z", ["x**2 + y**2 = 2", "x + z = 1"]),
    ("x**4 + y**4 + z**4", ["x**2 + y**2 + z**2 = 1"]),
    ("(x1-1)**2 + (x2-2)**2 + (x3-3)**2 + (x4-4)**2 + (x5-5)**2 + (x6-6)**2",
     ["x1**2 + x2**2 + x3**2 + x4**2 + x5**2 + x6**2 = 1"]),
]
SIX = "(x1-1)**2 + (x2-2)**2 + (x3-3)**2 + (x4-4)**2 + (x5-5)**2 + (x6-6)**2"
DEFAULT_RUNS = [
    ("2 variables", "x*y", ["x**2 + y**2 = 1"]),
    ("6 variables", SIX, ["x1**2 + x2**2 + x3**2 + x4**2 + x5**2 + x6**2 = 1"]),
    ("6 variables, 24 points (Brockett)", "a1**2 + 2*a2**2 + 3*a3**2 + 2*(b1**2 + 2*b2**2 + 3*b3**2)",
     ["a1**2 + a2**2 + a3**2 = 1", "b1**2 + b2**2 + b3**2 = 1", "a1*b1 + a2*b2 + a3*b3 = 0"]),
]
STARTS = 20


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(mark: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - mark[0], time.process_time() - mark[1]


def per_start(objective: str, constraints: list[str], repeat: int) -> dict:
    problem = build_problem(objective, constraints)
    mark = clock()
    kkt = KKTGraph(problem)
    build = since(mark)
    X = start_points(problem, [], STARTS, {v: DEFAULT_BOX for v in problem.variables}, np.random.default_rng(0))
    sets = active_sets(problem)
    bounds, active = np.tile(sets[0].bounds, (STARTS, 1)), np.tile(sets[0].active, (STARTS, 1))
    ours, theirs = [], []
    converged = succeeded = 0
    for _ in range(repeat):
        mark = clock()
        runs = solve_rows(kkt, X, bounds, active, accuracy=accuracy_at(kkt, X, bounds, 1e-10), max_iter=100,
                          log=False)
        wall, cpu = since(mark)
        ours.append((wall / STARTS, cpu / STARTS))
        converged = int(runs.converged.sum())
        mark = clock()
        results = [scipy_run(problem, "SLSQP", x0, kkt=kkt) for x0 in X]
        wall, cpu = since(mark)
        theirs.append((wall / STARTS, cpu / STARTS))
        succeeded = sum(r.success for r in results)
    wall_ours, cpu_ours = (statistics.median(v) for v in zip(*ours))
    wall_theirs, cpu_theirs = (statistics.median(v) for v in zip(*theirs))
    return {"problem": objective if len(objective) < 40 else objective[:37] + "...", "n": problem.n, "m": problem.m,
            "graph_build_ms": build[0] * 1e3, "diffcli_ms": wall_ours * 1e3, "diffcli_cpu_ms": cpu_ours * 1e3,
            "slsqp_ms": wall_theirs * 1e3, "slsqp_cpu_ms": cpu_theirs * 1e3,
            "ratio_cpu": cpu_ours / cpu_theirs if cpu_theirs else None,
            "spread_cpu_ms": (min(v[1] for v in ours) * 1e3, max(v[1] for v in ours) * 1e3),
            "diffcli_converged": converged, "slsqp_succeeded": succeeded}


def default_run(label: str, objective: str, constraints: list[str], repeat: int, certify: bool) -> dict:
    solve(objective, constraints, certify=certify)   # warm: imports (SymPy's among them) are not the solve
    times = []
    for _ in range(repeat):
        mark = clock()
        result = solve(objective, constraints, certify=certify)
        times.append(since(mark))
    wall, cpu = (statistics.median(v) for v in zip(*times))
    return {"run": label, "certify": certify, "wall_s": wall, "cpu_s": cpu, "points": len(result.points),
            "starts": result.starts, "certified": result.completeness.certified,
            "cpu_spread_s": (min(t[1] for t in times), max(t[1] for t in times))}


def results_lines(repeat: int) -> list[str]:
    """The RESULTS.md section: per-start times against SLSQP, then whole default runs."""
    load = os.getloadavg()[0]
    starts = [per_start(f, g, repeat) for f, g in PER_START]
    runs = [default_run(label, f, g, repeat, certify) for label, f, g in DEFAULT_RUNS for certify in (False, True)]
    lines = ["## lagrange: time per start against SLSQP, and default runs", "",
             f"bench/lagrange_speed.py, medians of {repeat}, load average {load:.1f} at the start (CPU time is the "
             "steadier figure on a shared machine). Per start: the same 20 random starts, diffcli's batch of Newton "
             "runs against SLSQP with diffcli's AD gradients, one start after the other.", "",
             "| problem | n | m | diffcli per start (CPU ms) | SLSQP per start (CPU ms) | ratio | wall ms (diffcli / SLSQP) "
             "| converged / succeeded of 20 |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in starts:
        lines.append(f"| `{r['problem']}` | {r['n']} | {r['m']} | {r['diffcli_cpu_ms']:.2f} | {r['slsqp_cpu_ms']:.2f} | "
                     f"{r['ratio_cpu']:.2f}× | {r['diffcli_ms']:.2f} / {r['slsqp_ms']:.2f} | "
                     f"{r['diffcli_converged']} / {r['slsqp_succeeded']} |")
    lines += ["", "Whole default runs (`solve(f, constraints)`, imports warm: the first SymPy import of a process "
              "adds its own few hundred ms):", "",
              "| default run | SymPy count | wall (s) | CPU (s) | CPU spread (s) | points | starts | certified |",
              "|---|---|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        lines.append(f"| {r['run']} | {'yes' if r['certify'] else 'no'} | {r['wall_s']:.3f} | {r['cpu_s']:.3f} | "
                     f"{r['cpu_spread_s'][0]:.3f}–{r['cpu_spread_s'][1]:.3f} | {r['points']} | {r['starts']} | "
                     f"{r['certified']} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("\n".join(results_lines(args.repeat)))


if __name__ == "__main__":
    main()
