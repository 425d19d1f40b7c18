"""Reverse-mode cost relative to the function's, on a generated n-variable formula.

The cheap-gradient principle says reverse mode costs a small constant times the
function, whatever n. Target (issue 2): ratio ≤ 5 at n = 10,000.

    python bench/reverse_ratio.py [n]
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peers import best_of_pair  # noqa: E402

from diffcli.ad.evaluate import evaluate  # noqa: E402
from diffcli.ad.parse import parse  # noqa: E402
from diffcli.ad.reverse import gradient_reverse  # noqa: E402


def formula(n: int) -> str:
    """Σ x_i·x_{i+1} + sin(x_i)·exp(-x_i²/2) + log(1 + x_i²): each variable used several times."""
    terms = [f"x{i}*x{(i + 1) % n} + sin(x{i})*exp(-x{i}**2/2) + log(1 + x{i}**2)" for i in range(n)]
    return " + ".join(terms)


def point_values(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, n)


def exact_gradient(x: np.ndarray) -> np.ndarray:
    """∂/∂x_i of `formula`: the neighbours' products, then the two elementwise terms."""
    return (np.roll(x, -1) + np.roll(x, 1) + np.exp(-x**2 / 2) * (np.cos(x) - x * np.sin(x))
            + 2 * x / (1 + x**2))


@dataclass
class Run:
    n: int
    nodes: int
    characters: int
    parse_seconds: float
    f_seconds: float
    g_seconds: float
    error: float


def measure(n: int, repeat: int = 5) -> Run:
    """Parse the n-variable formula, then time evaluation and reverse-mode value+gradient."""
    text = formula(n)
    start = time.perf_counter()
    graph = parse(text)
    parse_seconds = time.perf_counter() - start
    x = point_values(n)
    point = {f"x{i}": np.float64(v) for i, v in enumerate(x)}
    wrt = list(graph.variables)
    f_time, g_time, (_, grad) = best_of_pair(repeat, lambda: evaluate(graph, point),
                                             lambda: gradient_reverse(graph, point, wrt))
    error = float(np.max(np.abs(np.array([grad[f"x{i}"] for i in range(n)]) - exact_gradient(x))))
    return Run(n, len(graph), len(text), parse_seconds, f_time, g_time, error)


def main() -> None:
    run = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    print(f"n = {run.n:,} variables, {run.nodes:,} graph nodes, {run.characters:,} characters "
          f"(parse {run.parse_seconds:.2f} s)")
    print(f"function evaluation : {run.f_seconds * 1e3:8.1f} ms")
    print(f"reverse-mode grad   : {run.g_seconds * 1e3:8.1f} ms (value + full gradient, max error {run.error:.1e})")
    print(f"ratio               : {run.g_seconds / run.f_seconds:8.2f}  (target <= 5)")


if __name__ == "__main__":
    main()
