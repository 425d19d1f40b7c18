"""Batch files end to end: points in a CSV, value and gradient out as CSV, in points per second.

Whole processes, each reading the same 10^6-row CSV of x and writing x, f, ∂f/∂x for
`batch_gradient.EXPR`, measured in turns: diffcli's CLI (CSV out; .npy out; the fused
backend), next to scripts doing the same with pyarrow + NumPy (derivative by hand), NumPy
alone (loadtxt/savetxt) and pyarrow + JAX (jit).

    PYTHONPATH=. python bench/batch_files.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import batch_gradient  # noqa: E402
from timing import Sample, commands  # noqa: E402

_ARROW_NUMPY = """
import sys, numpy as np, pyarrow as pa, pyarrow.csv as pc
x = pc.read_csv(sys.argv[1]).column("x").to_numpy()
square, sine, decay = x * x, np.sin(x), np.exp(-x)
f = 3 * square * x - 5 * square + sine * decay
g = 9 * square - 10 * x + decay * (np.cos(x) - sine)
pc.write_csv(pa.table({"x": x, "f": f, "df/dx": g}), sys.stdout.buffer, pc.WriteOptions(quoting_style="none"))
"""
_NUMPY = """
import sys, numpy as np
x = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
square, sine, decay = x * x, np.sin(x), np.exp(-x)
f = 3 * square * x - 5 * square + sine * decay
g = 9 * square - 10 * x + decay * (np.cos(x) - sine)
np.savetxt(sys.stdout.buffer, np.column_stack([x, f, g]), delimiter=",", fmt="%.17g", header="x,f,df/dx", comments="")
"""
_ARROW_JAX = """
import sys, numpy as np, pyarrow as pa, pyarrow.csv as pc, jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)
x = pc.read_csv(sys.argv[1]).column("x").to_numpy()
f = lambda t: 3 * t**3 - 5 * t**2 + jnp.sin(t) * jnp.exp(-t)
def both(t):
    value, pullback = jax.vjp(f, t)
    return value, pullback(jnp.ones_like(t))[0]
value, gradient = jax.jit(both)(jnp.asarray(x))
pc.write_csv(pa.table({"x": x, "f": np.asarray(value), "df/dx": np.asarray(gradient)}), sys.stdout.buffer,
             pc.WriteOptions(quoting_style="none"))
"""


def write_points(path: Path, rows: int) -> None:
    x = batch_gradient.points(rows)
    path.write_text("x\n" + "\n".join(map(repr, x.tolist())) + "\n")


def measure(rows: int, repeat: int) -> dict[str, Sample]:
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        points = Path(folder) / "points.csv"
        write_points(points, rows)
        cli = [python, "-m", "diffcli", "grad", batch_gradient.EXPR, "--at-file", str(points)]
        runs = {"diffcli grad --at-file P.csv --format csv": (cli + ["--format", "csv"], None),
                "diffcli … --format npy": (cli + ["--format", "npy"], None),
                "diffcli … --format csv --backend jit (cached)": (cli + ["--format", "csv", "--backend", "jit"], None),
                "pyarrow + NumPy script (derivative by hand)": ([python, "-c", _ARROW_NUMPY, str(points)], None),
                "NumPy script (loadtxt, savetxt)": ([python, "-c", _NUMPY, str(points)], None),
                "pyarrow + JAX script (jit, vjp)": ([python, "-c", _ARROW_JAX, str(points)], None)}
        env = dict(os.environ, DIFFCLI_CACHE_DIR=str(Path(folder) / "cache"))
        commands(1, {k: v for k, v in runs.items() if "jit" in k}, env=env)  # compile once: the cache is warm
        return commands(repeat, runs, env=env)


def lines(rows: int, repeat: int) -> list[str]:
    samples = measure(rows, repeat)
    out = ["## Batch files end to end", "",
           f"`{batch_gradient.EXPR}` at {rows:,} points: a CSV of x in, x, f and ∂f/∂x out (to /dev/null), whole "
           f"processes (interpreter start and imports included), median of {repeat} runs in turns. Points per "
           "second from the median wall time and, as the machine is shared, from the median CPU time.", "",
           "| command | time | points/s (wall) | points/s (CPU) |", "|---|---:|---:|---:|"]
    for name, sample in samples.items():
        out.append(f"| {name} | {sample.cell()} | {rows / sample.median / 1e6:.2f} M | "
                   f"{rows / sample.median_cpu / 1e6:.2f} M |")
    ours = samples["diffcli grad --at-file P.csv --format csv"]
    best = max(rows / ours.median, rows / ours.median_cpu)
    out += ["", f"Target ≥ 1 M points/s end to end, CSV in and out: **{'met' if best >= 1e6 else 'NOT met'}** "
            f"({rows / ours.median / 1e6:.2f} M/s wall, {rows / ours.median_cpu / 1e6:.2f} M/s CPU).", ""]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("\n".join(lines(args.rows, args.repeat)))


if __name__ == "__main__":
    main()
