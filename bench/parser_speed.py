"""The front end's speed: parsing a wide formula, running a long program, and the CLI around them.

    python bench/parser_speed.py [--baseline DIR] [--repeat 5]

Cases: `parse` of the 2,000-variable formula of `reverse_ratio.formula` (6,000 terms);
`parse_at` of a 10,000-iteration `for` loop and of a 10,000-iteration `while` loop at
x = 1 (bench/programs.py); and whole commands, `grad - --method reverse --json` on both
the formula (n = 2,000, `--at` as gradient_scaling.py gives it) and the `for` loop, next to
`python -c pass`. Each in-process figure is one fresh process per round timing the case
once after a warm-up run, so every sample pays the same imports and caches. Every process
runs with `python -P` (the working directory not on the path), so PYTHONPATH picks the version.

With `--baseline DIR` (a copy of another version's `diffcli` package, e.g. made by
`git archive main diffcli | tar -x -C DIR`), the same cases run against it too, the
two versions taking turns round after round: before/after in one run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import programs  # noqa: E402
import reverse_ratio  # noqa: E402
from timing import Sample, commands, seconds  # noqa: E402

N = 2000
WIDE = reverse_ratio.formula(N)
PARSE_CASES = {
    f"parse: formula, n = {N:,} variables": (WIDE, None),
    "parse_at: for loop ×10,000 at x = 1": (programs.LOOP, 1.0),
    "parse_at: while loop ×10,000 at x = 1": (programs.DOUBLING, 1.0),
}
# One process times one case once (after a warm-up): CPU and wall time on stdout.
_ONE = """
import sys, time
import numpy as np
from diffcli.ad.parse import parse_at
text = sys.stdin.read()
point = None if sys.argv[1] == "-" else {"x": np.float64(float(sys.argv[1]))}
parse_at(text, point)
cpu, wall = time.process_time(), time.perf_counter()
parse_at(text, point)
print(time.process_time() - cpu, time.perf_counter() - wall)
"""


def at_options(n: int) -> list[str]:
    assignments = [f"x{i}={v!r}" for i, v in enumerate(reverse_ratio.point_values(n).tolist())]
    return [part for begin in range(0, n, 1000) for part in ("--at", ",".join(assignments[begin:begin + 1000]))]


def in_process(sides: dict[str, str], repeat: int) -> dict[str, Sample]:
    samples = {f"{case} [{side}]": Sample() for case in PARSE_CASES for side in sides}
    for _ in range(repeat):
        for case, (text, x) in PARSE_CASES.items():
            for side, path in sides.items():
                done = subprocess.run([sys.executable, "-P", "-c", _ONE, "-" if x is None else repr(x)], input=text,
                                      capture_output=True, text=True, check=True,
                                      env=dict(os.environ, PYTHONPATH=path))
                cpu, wall = map(float, done.stdout.split())
                samples[f"{case} [{side}]"].cpu.append(cpu)
                samples[f"{case} [{side}]"].wall.append(wall)
    return samples


def whole_commands(sides: dict[str, str], repeat: int) -> dict[str, Sample]:
    runs: dict[str, tuple[list[str], str | None]] = {}
    for side in sides:
        runs[f"python -c pass [{side}]"] = ([sys.executable, "-c", "pass"], None)
    for name, text, at in ((f"grad formula n = {N:,} -m reverse --json", WIDE, at_options(N)),
                           ("grad for loop ×10,000 -m reverse --json", programs.LOOP, ["--at", "x=1"])):
        for side in sides:
            runs[f"{name} [{side}]"] = ([sys.executable, "-P", "-m", "diffcli", "grad", "-", *at, "-m", "reverse",
                                         "--json"], text)
    samples = {name: Sample() for name in runs}
    for _ in range(repeat):
        for side, path in sides.items():  # PYTHONPATH picks the version; the sides take turns
            env = dict(os.environ, PYTHONPATH=path, NO_COLOR="1")
            mine = {name: run for name, run in runs.items() if name.endswith(f"[{side}]")}
            for name, sample in commands(1, mine, env).items():
                samples[name].cpu += sample.cpu
                samples[name].wall += sample.wall
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="directory holding another version's diffcli package")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    sides = {"this": str(HERE.parent)}
    if options.baseline:
        sides = {"before": options.baseline, **sides}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"median of {options.repeat}, sides taking turns")
    print("\n| case | CPU median | wall median (min–max) |\n|---|---:|---:|")
    for table in (in_process(sides, options.repeat), whole_commands(sides, options.repeat)):
        for name, sample in table.items():
            print(f"| {name} | {seconds(sample.median_cpu)} | {seconds(sample.median)} "
                  f"({seconds(min(sample.wall))}–{seconds(max(sample.wall))}) |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
