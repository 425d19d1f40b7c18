"""Reverse-mode cost relative to the function's, on a generated n-variable formula.

The cheap-gradient principle says reverse mode costs a small constant times the
function, whatever n. Target (issue 2): ratio ≤ 5 at n = 10,000.

    python bench/reverse_ratio.py [n]
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from diffcli.evaluate import evaluate
from diffcli.parse import parse
from diffcli.reverse import gradient_reverse


def formula(n: int) -> str:
    """Σ x_i·x_{i+1} + sin(x_i)·exp(-x_i²/2) + log(1 + x_i²): each variable used several times."""
    terms = [f"x{i}*x{(i + 1) % n} + sin(x{i})*exp(-x{i}**2/2) + log(1 + x{i}**2)" for i in range(n)]
    return " + ".join(terms)


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    text = formula(n)
    start = time.perf_counter()
    graph = parse(text)
    parse_seconds = time.perf_counter() - start
    rng = np.random.default_rng(0)
    point = {f"x{i}": np.float64(v) for i, v in enumerate(rng.uniform(-1, 1, n))}
    wrt = list(graph.variables)
    f_time = best_of(5, lambda: evaluate(graph, point))
    g_time = best_of(5, lambda: gradient_reverse(graph, point, wrt))
    print(f"n = {n:,} variables, {len(graph):,} graph nodes, {len(text):,} characters (parse {parse_seconds:.2f} s)")
    print(f"function evaluation : {f_time * 1e3:8.1f} ms")
    print(f"reverse-mode grad   : {g_time * 1e3:8.1f} ms (value + full gradient)")
    print(f"ratio               : {g_time / f_time:8.2f}  (target <= 5)")


if __name__ == "__main__":
    main()
