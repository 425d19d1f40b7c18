"""Programs (issue 14): the time of a 10,000-iteration loop through `grad` and `trace`, and
how fast a runaway loop or recursion is stopped by the limits in `diffcli/ad/program.py`.

    python bench/programs.py [repeats]

Each case runs as a real command (`python -m diffcli ...`, bytecode cached), the cases take
turns, and each figure is the median over the repeats of wall time and CPU time (user +
system of the child), with the spread (min … max) of the wall time.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOP = "s = 0\nfor i in range(10000):\n    s = s + x * i\ns\n"          # 10,000 iterations, 20,000 nodes
DOUBLING = "y = x\nn = 0\nwhile n < 10000:\n    y = sin(y) * 0.5 + x\n    n += 1\ny\n"  # and a while loop
RUNAWAY = "y = x\nwhile y > 0:\n    y = y + 1\ny\n"
RECURSION = "def f(u):\n    return f(u * 2)\nf(x)\n"

CASES = {
    "grad, for loop ×10,000, --method reverse --json": (LOOP, ["grad", "-", "--at", "x=1", "-m", "reverse", "--json"]),
    "grad, for loop ×10,000, forward,reverse,central": (LOOP, ["grad", "-", "--at", "x=1", "-m", "forward,reverse,central"]),
    "grad, while loop ×10,000, --method reverse --json": (DOUBLING, ["grad", "-", "--at", "x=1", "-m", "reverse", "--json"]),
    "trace, for loop ×10,000, --json": (LOOP, ["trace", "-", "--at", "x=1", "--json"]),
    "trace, for loop ×10,000, table": (LOOP, ["trace", "-", "--at", "x=1"]),
    "runaway while loop (stopped at 50,000 iterations)": (RUNAWAY, ["grad", "-", "--at", "x=1", "-m", "reverse"]),
    "runaway recursion (stopped at depth 200)": (RECURSION, ["grad", "-", "--at", "x=1", "-m", "reverse"]),
    "import floor: grad 'x' --json": ("x", ["grad", "-", "--at", "x=1", "-m", "reverse", "--json"]),
}


def run(text: str, args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "diffcli", *args], input=text, capture_output=True, text=True,
                          env=env, timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="200",
               PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="diffcli-bench-"))
    for text, args in CASES.values():  # warm the bytecode cache
        run(text, args, env)
    times: dict[str, list[tuple[float, float, int]]] = {name: [] for name in CASES}
    for _ in range(repeats):
        for name, (text, args) in CASES.items():
            times[name].append(run(text, args, env))
    print(f"load average before: {os.getloadavg()[0]:.2f}; {repeats} runs each, cases taking turns")
    print("| case | exit | wall median | wall min … max | CPU median |")
    print("|---|---|---|---|---|")
    for name, rows in times.items():
        walls = [w for w, _, _ in rows]
        cpus = [c for _, c, _ in rows]
        print(f"| {name} | {rows[0][2]} | {statistics.median(walls):.2f} s | {min(walls):.2f} … {max(walls):.2f} s "
              f"| {statistics.median(cpus):.2f} s |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
