"""Timing in turns, with medians, CPU time and spread (the machine is shared, so all three).

`turns` runs each piece of work once per round, round after round, so a burst of load
hits every side alike; `commands` does the same for subprocesses (CPU time from the
children's rusage). A `Sample` reports the median wall and CPU time and the range.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Sample:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    def cell(self) -> str:
        """'12.3 ms (CPU 11.0; 11.8–13.0)': median wall, median CPU, wall range."""
        return (f"{seconds(self.median)} (CPU {seconds(self.median_cpu)}; "
                f"{seconds(min(self.wall))}–{seconds(max(self.wall))})")


def seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def turns(repeat: int, works: dict[str, Callable[[], Any]]) -> dict[str, Sample]:
    """Each work `repeat` times, in turns; CPU time is the process's (all its threads)."""
    samples = {name: Sample() for name in works}
    for _ in range(repeat):
        for name, work in works.items():
            cpu, wall = time.process_time(), time.perf_counter()
            samples[name].result = work()
            samples[name].wall.append(time.perf_counter() - wall)
            samples[name].cpu.append(time.process_time() - cpu)
    return samples


def commands(repeat: int, runs: dict[str, tuple[list[str], str | None]], env: dict[str, str] | None = None,
             stdout: Any = subprocess.DEVNULL) -> dict[str, Sample]:
    """Each command line (with its standard input) `repeat` times, in turns."""
    samples = {name: Sample() for name in runs}
    for _ in range(repeat):
        for name, (argv, stdin) in runs.items():
            before, wall = os.times(), time.perf_counter()
            subprocess.run(argv, input=stdin, text=stdin is not None, stdout=stdout, stderr=subprocess.DEVNULL,
                           env=env, check=True)
            after = os.times()
            samples[name].wall.append(time.perf_counter() - wall)
            samples[name].cpu.append(after.children_user - before.children_user
                                     + after.children_system - before.children_system)
    return samples
