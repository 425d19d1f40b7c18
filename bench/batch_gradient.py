"""Benchmark: value and gradient of 3x³ − 5x² + sin(x)·e^(−x) over 10^6 points.

Target (issue 3): diffcli's gradient time at most 2× its function-evaluation time, and a
smaller ratio than autograd's on the same machine in the same run. Run on demand:

    PYTHONPATH=. python bench/batch_gradient.py [--points 1000000] [--repeat 7]

autograd is optional (`pip install ".[bench]"`); without it its rows are skipped.
Each figure is the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable

import numpy as np

from diffcli.batch import CHUNK, batch_gradient
from diffcli.evaluate import evaluate
from diffcli.parse import parse

EXPR = "3*x**3 - 5*x**2 + sin(x)*exp(-x)"


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def exact_gradient(x: np.ndarray) -> np.ndarray:
    return 9 * x**2 - 10 * x + np.exp(-x) * (np.cos(x) - np.sin(x))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    x = np.random.default_rng(0).uniform(-2.0, 2.0, args.points)
    truth = exact_gradient(x)
    graph = parse(EXPR)
    root = graph.outputs[0]

    def diffcli_value() -> np.ndarray:
        # The same chunked interpreter pass that `grad --at-file` makes, without the sweep.
        out = np.empty(x.size)
        with np.errstate(all="ignore"):
            for begin in range(0, x.size, CHUNK):
                out[begin:begin + CHUNK] = evaluate(graph, {"x": x[begin:begin + CHUNK]}, upto=[root])[root]
        return out

    rows = []
    f_time, _ = best_of(args.repeat, diffcli_value)
    g_time, result = best_of(args.repeat, lambda: batch_gradient(graph, {"x": x}))
    error = float(np.max(np.abs(result.grad["x"] - truth)))
    rows.append(("diffcli (reverse, chunked)", f_time, g_time, error))

    numpy_time, _ = best_of(args.repeat, lambda: 3 * x**3 - 5 * x**2 + np.sin(x) * np.exp(-x))
    try:
        import autograd.numpy as anp
        from autograd import elementwise_grad
    except ImportError:
        autograd_row = None
    else:
        def f(t: Any) -> Any:
            return 3 * t**3 - 5 * t**2 + anp.sin(t) * anp.exp(-t)

        df = elementwise_grad(f)
        af_time, _ = best_of(args.repeat, lambda: f(x))
        ag_time, ag = best_of(args.repeat, lambda: df(x))
        autograd_row = ("autograd (elementwise_grad)", af_time, ag_time, float(np.max(np.abs(ag - truth))))
    if autograd_row:
        rows.append(autograd_row)

    print(f"f(x) = {EXPR} at {args.points:,} points, best of {args.repeat}")
    print(f"plain NumPy evaluation: {numpy_time * 1e3:.1f} ms")
    print(f"{'':28} {'f time':>10} {'f+grad time':>12} {'ratio':>7} {'max |error|':>12}")
    for name, f_seconds, g_seconds, err in rows:
        print(f"{name:28} {f_seconds * 1e3:8.1f} ms {g_seconds * 1e3:9.1f} ms {g_seconds / f_seconds:6.2f}x {err:12.2e}")
    ours = rows[0][2] / rows[0][1]
    print(f"target: diffcli ratio <= 2: {'met' if ours <= 2 else 'NOT met'} ({ours:.2f}x)")
    if autograd_row:
        theirs = autograd_row[2] / autograd_row[1]
        print(f"target: diffcli ratio below autograd's: {'met' if ours < theirs else 'NOT met'} "
              f"({ours:.2f}x vs {theirs:.2f}x); absolute gradient time {rows[0][2] / autograd_row[2]:.2f}x autograd's")


if __name__ == "__main__":
    main()
