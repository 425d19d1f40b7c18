"""Benchmark: value and gradient of 3x³ − 5x² + sin(x)·e^(−x) over 10^6 points.

Targets: diffcli's value-and-gradient time within 2× (issue 3) and 1.5× (issue 6) of its
function-evaluation time, and faster than autograd on the same machine in the same run.
Both diffcli figures go through the same chunked evaluator (`diffcli.batch.chunked`): f alone,
then the graph of f and ∇f that `grad --at-file` runs. Run on demand:

    PYTHONPATH=. python bench/batch_gradient.py [--points 1000000] [--repeat 7]

autograd and JAX are optional (`pip install ".[bench]"`); without them their rows are
skipped. Each figure is the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peers import Times, autograd_times, best_of_pair, jax_times  # noqa: E402

from diffcli.batch.gradient import batch_gradient  # noqa: E402
from diffcli.batch.chunked import ChunkedProgram  # noqa: E402
from diffcli.ad.parse import parse  # noqa: E402

EXPR = "3*x**3 - 5*x**2 + sin(x)*exp(-x)"


def points(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-2.0, 2.0, n)


def exact_gradient(x: np.ndarray) -> np.ndarray:
    return 9 * x**2 - 10 * x + np.exp(-x) * (np.cos(x) - np.sin(x))


def diffcli_times(x: np.ndarray, repeat: int) -> Times:
    """f alone, then f and ∇f (`batch_gradient`), both through diffcli's chunked evaluator."""
    graph = parse(EXPR)
    program = ChunkedProgram(graph, graph.outputs, ["x"], {})
    f_time, g_time, result = best_of_pair(repeat, lambda: program.run({"x": x})[0],
                                          lambda: batch_gradient(graph, {"x": x}))
    return f_time, g_time, float(np.max(np.abs(result.grad["x"] - exact_gradient(x))))


def fused_times(x: np.ndarray, repeat: int) -> Times | None:
    """The fused backend (one Numba loop, compiled before timing): its f alone, then f and ∇f."""
    from diffcli.batch import fused

    if not fused.available():
        return None
    graph = parse(EXPR)
    program = fused.fused_program(graph, graph.outputs, ["x"], {})
    program.run({"x": x[:10]})
    batch_gradient(graph, {"x": x[:10]}, backend="jit")  # compile both before timing
    f_time, g_time, result = best_of_pair(repeat, lambda: program.run({"x": x})[0],
                                          lambda: batch_gradient(graph, {"x": x}, backend="jit"))
    return f_time, g_time, float(np.max(np.abs(result.grad["x"] - exact_gradient(x))))


def by_hand_times(x: np.ndarray, repeat: int) -> Times:
    """NumPy with the derivative written out by hand: the floor any AD tool is measured against."""
    def value() -> np.ndarray:
        square = x * x
        return 3 * square * x - 5 * square + np.sin(x) * np.exp(-x)

    def value_and_gradient() -> tuple[np.ndarray, np.ndarray]:
        # sin(x) and exp(−x) computed once and shared, as a careful hand would.
        square, sine, decay = x * x, np.sin(x), np.exp(-x)
        return 3 * square * x - 5 * square + sine * decay, 9 * square - 10 * x + decay * (np.cos(x) - sine)

    f_time, g_time, (_, gradient) = best_of_pair(repeat, value, value_and_gradient)
    return f_time, g_time, float(np.max(np.abs(gradient - exact_gradient(x))))


def all_times(x: np.ndarray, repeat: int) -> dict[str, Times | None]:
    truth = exact_gradient(x)
    return {"NumPy, derivative by hand": by_hand_times(x, repeat),
            "diffcli (reverse, chunked)": diffcli_times(x, repeat),
            "diffcli (reverse, fused: --backend jit)": fused_times(x, repeat),
            "autograd (elementwise_grad)": autograd_times("batch", x, truth, repeat),
            "JAX (jit, vjp)": jax_times("batch", x, truth, repeat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    x = points(args.points)
    rows = all_times(x, args.repeat)
    print(f"f(x) = {EXPR} at {args.points:,} points, best of {args.repeat}")
    print(f"{'':28} {'f time':>10} {'f+grad time':>12} {'ratio':>7} {'max |error|':>12}")
    for name, times in rows.items():
        if times is None:
            print(f"{name:28} not installed")
            continue
        f_seconds, g_seconds, err = times
        print(f"{name:28} {f_seconds * 1e3:8.1f} ms {g_seconds * 1e3:9.1f} ms {g_seconds / f_seconds:6.2f}x {err:12.2e}")
    ours = rows["diffcli (reverse, chunked)"]
    for issue, bound in ((3, 2.0), (6, 1.5)):
        print(f"target (issue {issue}): diffcli ratio <= {bound}: "
              f"{'met' if ours[1] <= bound * ours[0] else 'NOT met'} ({ours[1] / ours[0]:.2f}x)")
    theirs = rows["autograd (elementwise_grad)"]
    if theirs:
        print(f"target: faster than autograd: {'met' if ours[1] < theirs[1] else 'NOT met'} "
              f"(gradient time {ours[1] / theirs[1]:.2f}x autograd's; ratios {ours[1] / ours[0]:.2f}x vs "
              f"{theirs[1] / theirs[0]:.2f}x)")


if __name__ == "__main__":
    main()
