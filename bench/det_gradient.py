"""Time of the gradient of det(A) by reverse mode, n×n, against NumPy's det(A)·A⁻ᵀ.

    python bench/det_gradient.py [--n 150] [--repeat 3] [--tree DIR]

--tree runs another checkout of diffcli (e.g. `git worktree add /tmp/old <commit>`) in a
subprocess, taking turns with this one, so a before/after comparison shares the load.
Prints medians of wall and CPU time and the largest relative difference from det·A⁻ᵀ.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def once(n: int) -> dict[str, float]:
    from diffcli.ad.parse import parse
    from diffcli.ad.reverse import gradient_reverse

    a = np.random.default_rng(0).standard_normal((n, n))
    wall, cpu = time.perf_counter(), time.process_time()
    _, gradient = gradient_reverse(parse("det(A)"), {"A": a}, ["A"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    reference = np.linalg.det(a) * np.linalg.inv(a).T
    error = float(np.max(np.abs(gradient["A"] - reference)) / np.max(np.abs(reference)))
    return {"wall": wall, "cpu": cpu, "error": error}


def in_tree(tree: str, n: int) -> dict[str, float]:
    code = f"import sys; sys.path.insert(0, {tree!r}); sys.path.insert(1, {str(HERE)!r}); " \
           f"import json, det_gradient; print(json.dumps(det_gradient.once({n})))"
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                     check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", default=None)
    args = parser.parse_args()
    this = str(HERE.parent)
    sides = {"this tree": this} | ({f"{args.tree}": args.tree} if args.tree else {})
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(args.repeat):
        for side, tree in sides.items():  # sides take turns
            runs[side].append(in_tree(tree, args.n))
    for side, results in runs.items():
        wall = statistics.median(r["wall"] for r in results)
        cpu = statistics.median(r["cpu"] for r in results)
        spread = max(r["wall"] for r in results) - min(r["wall"] for r in results)
        print(f"{side}: n={args.n} wall {wall:.3f} s (spread {spread:.3f}) cpu {cpu:.3f} s, "
              f"max rel diff from det·A⁻ᵀ {max(r['error'] for r in results):.1e}")


if __name__ == "__main__":
    main()
