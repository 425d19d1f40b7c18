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
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peers import Times, autograd_times, best_of_pair, jax_times, scalar_formula  # noqa: E402
from timing import turns  # noqa: E402

from diffcli.batch.gradient import batch_gradient  # noqa: E402
from diffcli.batch.chunked import ChunkedProgram  # noqa: E402
from diffcli.ad.parse import parse  # noqa: E402
from diffcli.ad.problem import make_problem  # noqa: E402
from diffcli.ad.reverse import gradient_graph  # noqa: E402

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


# Loops over the points calling only libm, compiled like the fused kernel: what the
# transcendental functions alone cost in f (sin, exp) and in f and ∇f (sin and cos of one
# argument — LLVM turns the pair into one sincos call — and exp). Written here by hand, once.
_FLOOR_SOURCE = """
import numpy as np
import numba


@numba.njit(nogil=True, error_model="numpy")
def sin_exp(x, out):
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) + np.exp(-x[i])


@numba.njit(nogil=True, error_model="numpy")
def sincos_exp(x, out):
    for i in range(x.shape[0]):
        out[i] = np.sin(x[i]) + np.cos(x[i]) + np.exp(-x[i])
"""


def fused_samples(x: np.ndarray, repeat: int) -> dict[str, Any] | None:
    """Every side of the fused backend's figure, timed in turns (`timing.turns`): f by NumPy
    and by the fused value-only loop, f and ∇f by the fused loop (built once, as JAX's jit
    function is) and by the API call `batch_gradient(..., backend="jit")` (which also builds
    ∇f's graph, looks the kernel up and reports non-finite values), JAX jit's f and f and ∇f,
    and the libm-only loops that bound what any loop calling libm can reach."""
    from diffcli.batch import fused

    if not fused.available():
        return None
    import numba  # noqa: F401  (fused.available() said it is there)

    graph = parse(EXPR)
    numpy_f = ChunkedProgram(graph, graph.outputs, ["x"], {})
    fused_f = fused.fused_program(graph, graph.outputs, ["x"], {})
    problem = make_problem(graph, {"x": x[0]}, {}, None)
    gradient, nodes = gradient_graph(problem.graph, problem.point, problem.wrt)
    fused_fg = fused.fused_program(gradient, [graph.outputs[0], *nodes], ["x"], {})
    floor: dict[str, Any] = {}
    exec(compile(_FLOOR_SOURCE, "bench-floor", "exec"), floor)  # our own text, not a user's
    scratch = np.empty_like(x)
    works: dict[str, Callable[[], Any]] = {
        "NumPy f (chunked ufuncs)": lambda: numpy_f.run({"x": x})[0],
        "fused f (value-only loop)": lambda: fused_f.run({"x": x})[0],
        "fused f + ∇f (loop, built once)": lambda: fused_fg.run_checked({"x": x})[0][1],
        "fused f + ∇f (API: batch_gradient)": lambda: batch_gradient(graph, {"x": x}, backend="jit").grad["x"],
        "libm floor: sin, exp": lambda: floor["sin_exp"](x, scratch),
        "libm floor: sincos, exp": lambda: floor["sincos_exp"](x, scratch),
    }
    jax_pair = _jax_pair(x)
    if jax_pair is not None:
        works["JAX jit f"], works["JAX jit f + ∇f (vjp)"] = jax_pair
    for work in works.values():
        work()  # compile everything before timing
    return turns(repeat, works)


def _jax_pair(x: np.ndarray) -> tuple[Callable[[], Any], Callable[[], Any]] | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def f(t: Any) -> Any:
        return scalar_formula(jnp, t)

    def both(t: Any) -> Any:
        value, pullback = jax.vjp(f, t)
        return value, pullback(jnp.ones_like(t))[0]

    f_jit, both_jit, data = jax.jit(f), jax.jit(both), jnp.asarray(x, dtype=jnp.float64)
    return (lambda: jax.block_until_ready(f_jit(data)),
            lambda: np.asarray(jax.block_until_ready(both_jit(data))[1]))


def fused_lines(x: np.ndarray, repeat: int) -> list[str]:
    """The fused backend's section of RESULTS.md (issue 16's target), from `fused_samples`."""
    import os

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    samples = fused_samples(x, repeat)
    if samples is None:
        return ["### Fused backend (issue 16)", "", "Numba is not installed: not measured.", ""]
    cpu = {name: sample.median_cpu for name, sample in samples.items()}
    f, numpy_f = cpu["fused f (value-only loop)"], cpu["NumPy f (chunked ufuncs)"]
    loop, api = cpu["fused f + ∇f (loop, built once)"], cpu["fused f + ∇f (API: batch_gradient)"]
    floor = cpu["libm floor: sincos, exp"] / cpu["libm floor: sin, exp"]
    errors = {name: float(np.max(np.abs(np.asarray(sample.result) - exact_gradient(x))))
              for name, sample in samples.items() if "∇f" in name}
    lines = ["### Fused backend (issue 16)", "",
             f"`{EXPR}` at {x.size:,} points, float64; every side run {repeat} times in turns in one process "
             f"(load average {load} when it started); median wall time, median CPU time, range of wall times.", "",
             "**f** is the function's values at the same points, computed two ways: by the fused backend's own "
             "value-only loop (the same generator, the same compiled code, output allocated and its finiteness "
             "flag computed; the fair denominator for the fused f + ∇f) and by the NumPy path "
             "(`ChunkedProgram`, what `--backend numpy` runs). **f + ∇f** is measured twice: the loop "
             "built once and called (as a jit-compiled JAX function is), and the whole API call "
             '`batch_gradient(graph, points, backend="jit")`, which also builds ∇f\'s graph, looks the '
             "compiled kernel up and checks for non-finite values to report.", "",
             "| side | wall (CPU; wall range) | ratio to fused f (CPU) | ratio to NumPy f (CPU) | max abs error of ∇f |",
             "|---|---|---:|---:|---:|"]
    for name, sample in samples.items():
        error = f"{errors[name]:.1e}" if name in errors else ""
        lines.append(f"| {name} | {sample.cell()} | {sample.median_cpu / f:.2f}× | "
                     f"{sample.median_cpu / numpy_f:.2f}× | {error} |")
    jax_ratio = None
    if "JAX jit f" in cpu:
        jax_ratio = cpu["JAX jit f + ∇f (vjp)"] / cpu["JAX jit f"]
    lines += ["", f"* value + gradient within 1.5× of f (issue 16): loop **{loop / f:.2f}×** its own f "
                  f"({loop / numpy_f:.2f}× NumPy's f): **{'met' if loop <= 1.5 * f else 'NOT met'}**; "
                  f"the API call {api / f:.2f}× ({api / numpy_f:.2f}× NumPy's f): "
                  f"**{'met' if api <= 1.5 * f else 'NOT met'}**."]
    if jax_ratio is not None:
        jax_g = cpu["JAX jit f + ∇f (vjp)"]
        beaten = api < jax_g and api / f < jax_ratio
        lines.append(f"* against JAX jit in the same run: JAX {jax_ratio:.2f}×, {jax_g * 1e3:.1f} ms of CPU; the fused "
                     f"API call {api / f:.2f}×, {api * 1e3:.1f} ms: **{'beaten' if beaten else 'NOT beaten'}** "
                     "(ratio and time).")
    lines.append(f"* the floor: a loop calling only libm's sin, cos and exp costs {floor:.2f}× the same loop "
                 "without cos (LLVM computes sin and cos of one argument in one `sincos` call). f + ∇f cannot "
                 "make fewer of those calls and f needs no fewer, and they are most of both loops' time, so "
                 "no loop calling libm gets much below that ratio here; the rest is the second output column "
                 "(writing it, and the page faults of a fresh array) and, for the API call, building ∇f's "
                 "graph by reverse mode in graph mode (about 1 ms).")
    return lines + [""]


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
    parser.add_argument("--fused", action="store_true", help="only the fused backend's figure (issue 16)")
    args = parser.parse_args()
    x = points(args.points)
    if args.fused:
        print("\n".join(fused_lines(x, args.repeat)))
        return
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
