"""The benchmark functions written for autograd and JAX, timed like diffcli's.

Each `*_times` function returns (function seconds, value-and-gradient seconds, max |error|
of the gradient against `truth`), the best of `repeat` runs, or None when the library is
not installed. JAX runs with 64-bit floats (as diffcli and autograd do), jit-compiled, and
is timed after a warm-up call so compilation is not counted.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

Times = tuple[float, float, float]

# What the timings read: wall time, or (on a shared machine) this process's CPU time,
# all threads included (`run.py` sets it).
CLOCK: Callable[[], float] = time.perf_counter


def best_of(repeat: int, work: Callable[[], Any], number: int = 1) -> tuple[float, Any]:
    """Seconds per call (best of `repeat` rounds of `number` calls) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = CLOCK()
        for _ in range(number):
            result = work()
        best = min(best, (CLOCK() - start) / number)
    return best, result


def best_of_pair(repeat: int, function: Callable[[], Any], gradient: Callable[[], Any],
                 number: int = 1) -> tuple[float, float, Any]:
    """Median seconds per call of `function` and of `gradient`, timed in turns so a burst of
    load on the machine hits both alike; and the last result of `gradient`."""
    import statistics

    f_times, g_times, result = [], [], None
    for _ in range(repeat):
        f_times.append(best_of(1, function, number)[0])
        g_seconds, result = best_of(1, gradient, number)
        g_times.append(g_seconds)
    return statistics.median(f_times), statistics.median(g_times), result


def _error(gradient: Any, truth: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(gradient, dtype=np.float64) - truth)))


# The three workloads, written once against a NumPy-like module `m`.
def scalar_formula(m: Any, x: Any) -> Any:
    """3x³ − 5x² + sin(x)·e^(−x), as in bench/batch_gradient.py."""
    return 3 * x**3 - 5 * x**2 + m.sin(x) * m.exp(-x)


def chain_formula(m: Any, x: Any) -> Any:
    """Σ x_i·x_{i+1} + sin(x_i)·exp(−x_i²/2) + log(1 + x_i²), bench/reverse_ratio.py's formula with vector ops."""
    return m.sum(x * m.roll(x, -1) + m.sin(x) * m.exp(-x**2 / 2) + m.log(1 + x**2))


def autograd_times(workload: str, x: Any, truth: np.ndarray, repeat: int, number: int = 1) -> Times | None:
    """autograd on `workload` ('scalar', 'chain' or 'batch'): f(x), then value and gradient."""
    try:
        import autograd.numpy as anp
        from autograd import elementwise_grad, value_and_grad
    except ImportError:
        return None
    formula = chain_formula if workload == "chain" else scalar_formula

    def f(t: Any) -> Any:
        return formula(anp, t)

    if workload == "batch":
        # elementwise_grad returns the gradient only; f(x) again gives the value, as diffcli does.
        derivative = elementwise_grad(f)
        both = lambda: (f(x), derivative(x))  # noqa: E731
    else:
        both = (lambda vg: lambda: vg(x))(value_and_grad(f))
    f_time, g_time, (_, gradient) = best_of_pair(repeat, lambda: f(x), both, number)
    return f_time, g_time, _error(gradient, truth)


def jax_times(workload: str, x: Any, truth: np.ndarray, repeat: int, number: int = 1) -> Times | None:
    """JAX (jit, float64) on `workload`: f(x), then value and gradient (vjp with ones for a batch)."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    formula = chain_formula if workload == "chain" else scalar_formula

    def f(t: Any) -> Any:
        return formula(jnp, t)

    if workload == "batch":
        def value_and_pullback(t: Any) -> Any:
            value, pullback = jax.vjp(f, t)
            return value, pullback(jnp.ones_like(t))[0]
        both_jit = jax.jit(value_and_pullback)
    else:
        both_jit = jax.jit(jax.value_and_grad(f))
    f_jit = jax.jit(f)
    data = jnp.asarray(x, dtype=jnp.float64)
    jax.block_until_ready(f_jit(data))
    jax.block_until_ready(both_jit(data))  # compile both before timing
    f_time, g_time, (_, gradient) = best_of_pair(repeat, lambda: jax.block_until_ready(f_jit(data)),
                                                 lambda: jax.block_until_ready(both_jit(data)), number)
    return f_time, g_time, _error(gradient, truth)
