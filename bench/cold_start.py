"""Cold start of each command against the import floor of Typer + Rich + NumPy.

Target (issue 6): `diffcli grad ... --method reverse --json` within 15% of
`python -c "import typer, rich.table, numpy"` — so SymPy and SciPy must stay unimported.

    python bench/cold_start.py [repeats]

An installed `diffcli` next to this Python is used if there is one; otherwise the
checkout runs as `python -m diffcli`, with its bytecode cached in a temporary directory
(PYTHONPYCACHEPREFIX), so neither pays for compiling the sources on every start.
Commands run interleaved (floor, command, floor, ...) and each figure is a median, so a
burst of load on the machine hits them alike.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = [sys.executable, "-c", "import typer, rich.table, numpy"]
SCRIPTING = ["grad", "3*x**3-5*x**2", "--at", "x=1.5", "--method", "reverse", "--json"]

# Small typical inputs, one per command (the DESIGN's examples).
COMMANDS = {
    "grad --method reverse --json": SCRIPTING,
    "grad (all four methods)": ["grad", "3*x**3 - 5*x**2", "--at", "x=1.5"],
    "jvp": ["jvp", "[x*y, x+y, sin(x)]", "--at", "x=1,y=2", "--dir", "x=1,y=0"],
    "jvp --method forward": ["jvp", "[x*y, x+y, sin(x)]", "--at", "x=1,y=2", "--dir", "x=1,y=0", "--method", "forward"],
    "vjp": ["vjp", "x*1024", "--at", "x=[1,2,3]", "--cotangent", "[0.1,1.0,0.0001]"],
    "jacobian": ["jacobian", "[x*y, x+y]", "--at", "x=1,y=2"],
    "hessian": ["hessian", "x**2*y + exp(x*y)", "--at", "x=0.5,y=1"],
    "hessian --method forward": ["hessian", "x**2*y + exp(x*y)", "--at", "x=0.5,y=1", "--method", "forward"],
    "diff": ["diff", "3*x**3 - 5*x**2"],
    "numeric": ["numeric", "3*x**3 - 5*x**2", "--at", "x=1.5"],
    "taylor": ["taylor", "exp(x)*sin(x)", "--at", "x=0", "--order", "4"],
    "trace": ["trace", "c = a + b; d = a*c", "--at", "a=2,b=3"],
    "graph": ["graph", "a*(a+b)"],
    "lagrange": ["lagrange", "x*y", "--subject-to", "x**2 + y**2 = 1"],
}


def diffcli_command() -> tuple[list[str], str]:
    """How to run diffcli, and which copy that is."""
    script = shutil.which("diffcli", path=os.path.dirname(sys.executable))
    if script:
        return [script], f"installed ({script})"
    return [sys.executable, "-m", "diffcli"], f"checkout ({ROOT}, bytecode cached)"


def bytecode_env() -> dict[str, str]:
    """The environment for the timed processes: the checkout importable, bytecode cached."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="diffcli-pycache-")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def interleaved_medians(commands: dict[str, list[str]], repeats: int, env: dict[str, str]) -> dict[str, float]:
    """Median seconds of each command, the commands taking turns; one untimed warm-up each."""
    for command in commands.values():
        run_seconds(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            times[name].append(run_seconds(command, env))
    return {name: statistics.median(values) for name, values in times.items()}


def heavy_modules_loaded(env: dict[str, str], args: list[str] = SCRIPTING) -> list[str]:
    """Which of sympy/scipy/matplotlib a command imports (the scripting path: none)."""
    # main(argv) ends in SystemExit (not the entry point's fast exit), so the probe can report.
    probe = ("import sys\nfrom diffcli.cli import main\n"
             "try:\n    main(sys.argv[1:])\n"
             "except SystemExit:\n    pass\n"
             "print(','.join(m for m in ('sympy', 'scipy', 'matplotlib') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env)
    line = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    return [m for m in line.split(",") if m]


def measure(repeats: int, names: list[str] | None = None) -> tuple[str, dict[str, float]]:
    """(which diffcli, {"import floor": s, command name: s, ...}) — medians over `repeats` turns."""
    env = bytecode_env()
    base, which = diffcli_command()
    commands = {"import floor": FLOOR}
    commands.update({name: base + args for name, args in COMMANDS.items() if names is None or name in names})
    return which, interleaved_medians(commands, repeats, env)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    which, medians = measure(repeats, ["grad --method reverse --json"])
    floor, scripting = medians["import floor"], medians["grad --method reverse --json"]
    print(f"diffcli: {which}")
    print(f"import floor (typer, rich.table, numpy) : {floor * 1e3:7.1f} ms")
    print(f"diffcli grad --method reverse --json   : {scripting * 1e3:7.1f} ms")
    print(f"overhead                                : {100 * (scripting / floor - 1):+7.1f} %  (target <= +15%)")
    print(f"heavy modules imported                  : {', '.join(heavy_modules_loaded(bytecode_env())) or 'none'}")


if __name__ == "__main__":
    main()
