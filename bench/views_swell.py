"""Expression swell and higher-order cost, measured (run on demand: python bench/views_swell.py).

1. The logistic map x_{k+1} = r·x_k(1 − x_k) unrolled n times: nodes of the AD derivative
   graph against SymPy's derivative tree, with and without CSE, and the time each takes.
2. Taylor coefficients of exp(x)·sin(x) by forward mode applied n times: graph size and time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diffcli.views.formula import derivative_formulas  # noqa: E402
from diffcli.ad.parse import parse  # noqa: E402
from diffcli.views.taylor import taylor_coefficients  # noqa: E402


def logistic(n: int) -> str:
    return "; ".join(["x0 = x"] + [f"x{k} = r*x{k - 1}*(1 - x{k - 1})" for k in range(1, n + 1)])


def swell_rows(ns: tuple[int, ...] = (1, 2, 4, 6, 8, 10, 12, 14), timeout: float = 20.0) -> list[tuple]:
    """(n, AD graph nodes, SymPy tree nodes, SymPy+CSE nodes, seconds, status) per unrolling depth n."""
    rows = []
    for n in ns:
        start = time.perf_counter()
        [f] = derivative_formulas(parse(logistic(n)), {"x": 0.3, "r": 3.7}, ["x"], timeout=timeout, simplify=False)
        rows.append((n, f.ad_size, f.sympy_size, f.sympy_cse_size, time.perf_counter() - start, f.status))
    return rows


def main() -> None:
    print(f"{'n':>3} {'AD graph':>9} {'SymPy tree':>11} {'SymPy+CSE':>10} {'seconds':>8}")
    show = lambda v: "—" if v is None else f"{v:,}"  # noqa: E731
    for n, ad_size, sympy_size, cse_size, seconds, status in swell_rows():
        print(f"{n:>3} {ad_size:>9,} {show(sympy_size):>11} {show(cse_size):>10} {seconds:>8.2f}"
              + (f"  ({status})" if status != "ok" else ""))
    print()
    print(f"{'order':>5} {'graph nodes':>12} {'seconds':>8}")
    for order in (4, 8, 16, 24, 32):
        start = time.perf_counter()
        series = taylor_coefficients(parse("exp(x)*sin(x)"), {"x": 0.0}, "x", order)
        print(f"{order:>5} {series.graph_sizes[-1]:>12,} {time.perf_counter() - start:>8.3f}")


if __name__ == "__main__":
    main()
