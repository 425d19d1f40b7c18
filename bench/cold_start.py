"""Cold start of the scripting path against the import floor of Typer + Rich + NumPy.

Target (issue 2): `diffcli grad ... --method reverse --json` within 15% of
`python -c "import typer, rich.table, numpy"` — so SymPy and SciPy must stay unimported.
Run it from an installed diffcli (pip install .), where bytecode is compiled:

    python bench/cold_start.py [repeats]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

FLOOR = [sys.executable, "-c", "import typer, rich.table, numpy"]
SCRIPTING = ["grad", "3*x**3-5*x**2", "--at", "x=1.5", "--method", "reverse", "--json"]


def diffcli_command() -> list[str]:
    script = shutil.which("diffcli", path=os.path.dirname(sys.executable)) or shutil.which("diffcli")
    return [script] if script else [sys.executable, "-m", "diffcli"]


def median_seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_modules_loaded(command: list[str]) -> list[str]:
    """Which of sympy/scipy/matplotlib the scripting path imports (should be none)."""
    probe = ("import runpy, sys; sys.argv = ['diffcli'] + sys.argv[1:]\n"
             "try:\n    runpy.run_module('diffcli', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print(','.join(m for m in ('sympy', 'scipy', 'matplotlib') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe, *SCRIPTING], capture_output=True, text=True)
    line = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    return [m for m in line.split(",") if m]


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    command = diffcli_command() + SCRIPTING
    median_seconds(FLOOR, 2)  # warm the file cache
    floor = median_seconds(FLOOR, repeats)
    scripting = median_seconds(command, repeats)
    print(f"import floor (typer, rich.table, numpy) : {floor * 1e3:7.1f} ms")
    print(f"diffcli grad --method reverse --json   : {scripting * 1e3:7.1f} ms")
    print(f"overhead                                : {100 * (scripting / floor - 1):+7.1f} %  (target <= +15%)")
    print(f"heavy modules imported                  : {', '.join(heavy_modules_loaded(command)) or 'none'}")


if __name__ == "__main__":
    main()
