"""Every benchmark in one run; writes bench/RESULTS.md (run on demand, ~5 minutes).

    python bench/run.py [--quick] [--output bench/RESULTS.md]

1. Cold start of each command against the import floor `import typer, rich.table, numpy`
   (bench/cold_start.py).
2. Gradient/function time ratio on a scalar formula at one point, the 10,000-variable
   formula (bench/reverse_ratio.py) and the 10^6-point batch (bench/batch_gradient.py),
   next to autograd and JAX measured in the same run (bench/peers.py).
3. Gradient time against the number of variables per method, API and CLI, next to JAX and
   autograd (bench/gradient_scaling.py).
4. Batch files end to end in points per second, next to pyarrow, NumPy and JAX scripts
   (bench/batch_files.py).
5. AD against SymPy on the swelling logistic map (bench/views_swell.py).
6. `lagrange` against SciPy on Hock–Schittkowski problems (bench/hock_schittkowski.py), on a
   set of problems with hand-computed answers (bench/lagrange_problems.py), and per start
   against SLSQP with whole default runs (bench/lagrange_speed.py).

The machine may be shared: every section names the load average when it started, and
the newer sections give medians with CPU time and the range of wall times.

autograd and JAX come with the `bench` extra (`pip install ".[bench]"`); a missing one is
named in RESULTS.md and its rows are left out. --quick makes every figure cheaper (fewer
repeats, smaller sizes) to check that the script works; its numbers are not for keeping.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

import batch_files  # noqa: E402
import batch_gradient  # noqa: E402
import cold_start  # noqa: E402
import gradient_scaling  # noqa: E402
import hock_schittkowski  # noqa: E402
import lagrange_problems  # noqa: E402
import lagrange_speed  # noqa: E402
import peers  # noqa: E402
import reverse_ratio  # noqa: E402
import views_swell  # noqa: E402

from diffcli.ad.evaluate import evaluate  # noqa: E402
from diffcli.ad.parse import parse  # noqa: E402
from diffcli.ad.reverse import gradient_reverse  # noqa: E402

Times = peers.Times


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    def version(distribution: str) -> str:
        from importlib.metadata import PackageNotFoundError, version as installed

        try:
            return installed(distribution)
        except PackageNotFoundError:
            return "not installed"

    return ["## Machine", "",
            f"* CPU: {cpu_model()}, {os.cpu_count()} logical cores ({platform.system()} {platform.release()})",
            f"* Python {platform.python_version()}, NumPy {np.__version__}, autograd {version('autograd')}, "
            f"JAX {version('jax')}, SciPy {version('scipy')}, SymPy {version('sympy')}",
            f"* Date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
            f"* Load average at the start: {load()}", ""]


def load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def cold_start_lines(repeats: int) -> list[str]:
    which, medians = cold_start.measure(repeats)
    floor = medians.pop("import floor")
    heavy = cold_start.heavy_modules_loaded(cold_start.bytecode_env())
    lines = ["## Cold start", "",
             f"Median of {repeats} runs, taking turns with the floor; diffcli: {which}. "
             f"Floor: `python -c \"import typer, rich.table, numpy\"` = **{floor * 1e3:.0f} ms**.", "",
             "| command | ms | vs floor | imports |", "|---|---:|---:|---|"]
    env = cold_start.bytecode_env()
    for name, seconds in medians.items():
        args = " ".join(a if " " not in a and "*" not in a else f'"{a}"' for a in cold_start.COMMANDS[name])
        loaded = ", ".join(cold_start.heavy_modules_loaded(env, cold_start.COMMANDS[name]))
        lines.append(f"| `diffcli {args}` | {seconds * 1e3:.0f} | {100 * (seconds / floor - 1):+.0f}% | {loaded} |")
    scripting = medians["grad --method reverse --json"] / floor - 1
    lines += ["", "Commands whose default methods include `symbolic` (or that are symbolic, like `diff`) import "
              "SymPy, which alone takes a few hundred milliseconds; with `--method forward|reverse|central` they "
              "start like the scripting path. `lagrange` imports neither SymPy nor SciPy (they come with "
              "`--compare`); its extra time is the multistart Newton solve itself. diffcli can come in under "
              "the floor: its entry point exits without the interpreter's teardown (about 30 ms), which the "
              "floor pays; its imports and work cost about as much (typically 25–35 ms).",
              "", f"Target: the scripting path within 15% of the floor: **{'met' if scripting <= 0.15 else 'NOT met'}** "
              f"({100 * scripting:+.1f}%). Heavy modules on that path: {', '.join(heavy) or 'none'}.", ""]
    return lines


def scalar_times(repeat: int, number: int) -> dict[str, Times | None]:
    """f and value+gradient of the batch formula at the single point x = 1.5."""
    graph = parse(batch_gradient.EXPR)
    point = {"x": np.float64(1.5)}
    truth = batch_gradient.exact_gradient(np.float64(1.5))
    f_time, g_time, (_, grad) = peers.best_of_pair(repeat, lambda: evaluate(graph, point),
                                                   lambda: gradient_reverse(graph, point, ["x"]), number)
    return {"diffcli (reverse)": (f_time, g_time, abs(float(grad["x"]) - truth)),
            "autograd (value_and_grad)": peers.autograd_times("scalar", 1.5, truth, repeat, number),
            "JAX (jit, value_and_grad)": peers.jax_times("scalar", 1.5, truth, repeat, number)}


def chain_times(n: int, repeat: int) -> tuple[reverse_ratio.Run, dict[str, Times | None]]:
    run = reverse_ratio.measure(n, repeat)
    x = reverse_ratio.point_values(n)
    truth = reverse_ratio.exact_gradient(x)
    return run, {"diffcli (reverse)": (run.f_seconds, run.g_seconds, run.error),
                 "autograd (value_and_grad)": peers.autograd_times("chain", x, truth, repeat, 20),
                 "JAX (jit, value_and_grad)": peers.jax_times("chain", x, truth, repeat, 20)}


def _seconds(value: float) -> str:
    return f"{value * 1e6:.1f} µs" if value < 1e-3 else f"{value * 1e3:.1f} ms"


def ratio_lines(repeat: int, n: int, points: int) -> list[str]:
    lines = ["## Gradient / function time", "",
             f"Value and gradient time over function time, each the median of {repeat} runs taken in turns, in CPU time "
             "(all threads; the machine is shared, so wall times swing with the load); "
             "autograd and JAX run the same formula (the 10,000-variable one written with vector ops, as one would for them), float64, in this run. "
             "JAX is jit-compiled (compilation not counted).", ""]
    peers.CLOCK = time.process_time
    run, chain = chain_times(n, repeat)
    batch = batch_gradient.all_times(batch_gradient.points(points), repeat)
    workloads = [(f"scalar `{batch_gradient.EXPR}` at x = 1.5", scalar_times(repeat, 2000)),
                 (f"{n:,} variables (`reverse_ratio.formula`, {run.nodes:,} graph nodes)", chain),
                 (f"`{batch_gradient.EXPR}` at {points:,} points", batch)]
    missing = sorted({name.split(" ")[0] for _, rows in workloads for name, t in rows.items() if t is None})
    lines += ["| workload | tool | f | value + gradient | ratio | max abs error |", "|---|---|---:|---:|---:|---:|"]
    for title, rows in workloads:
        for name, times in rows.items():
            if times is None:
                continue
            f_time, g_time, error = times
            lines.append(f"| {title} | {name} | {_seconds(f_time)} | {_seconds(g_time)} | "
                         f"{g_time / f_time:.2f}× | {error:.1e} |")
    if missing:
        lines += ["", f"Not installed, so not measured: {', '.join(missing)}."]
    ours, theirs = batch["diffcli (reverse, chunked)"], batch["autograd (elementwise_grad)"]
    hand, jit, jax = batch["NumPy, derivative by hand"], batch["diffcli (reverse, fused: --backend jit)"], batch["JAX (jit, vjp)"]
    lines += ["", "Targets:", "",
              f"* 10,000 variables, reverse mode within 5× of the function: "
              f"**{'met' if run.g_seconds <= 5 * run.f_seconds else 'NOT met'}** ({run.g_seconds / run.f_seconds:.2f}×).",
              f"* batch gradient within 2× of the function (issue 3): "
              f"**{'met' if ours[1] <= 2 * ours[0] else 'NOT met'}** ({ours[1] / ours[0]:.2f}×).",
              f"* batch gradient within 1.5× of the function (issue 6): **{'met' if ours[1] <= 1.5 * ours[0] else 'NOT met'}** "
              f"({ours[1] / ours[0]:.2f}×; NumPy with a hand-written, shared derivative needs {hand[1] / hand[0]:.2f}×: "
              f"the derivative of sin needs a cos pass, which costs about as much as the function's sin and exp together)."]
    if jit:
        lines.append(f"* fused backend (issue 16, issue 6's figure; the API call against the fused value-only loop, "
                     f"timed in pairs; the next section times every side in one set of turns, the loop alone and JAX too): "
                     f"value + gradient within 1.5× of f: "
                     f"**{'met' if jit[1] <= 1.5 * jit[0] else 'NOT met'}** ({jit[1] / jit[0]:.2f}× its own f, "
                     f"{jit[1] / ours[0]:.2f}× the NumPy path's f)"
                     + (f"; JAX jit: {jax[1] / jax[0]:.2f}×, {_seconds(jax[1])} against {_seconds(jit[1])}: "
                        f"**{'beaten' if jit[1] < jax[1] and jit[1] / jit[0] < jax[1] / jax[0] else 'NOT beaten'}**"
                        if jax else "") + ".")
    if theirs:
        lines.append(f"* batch gradient faster than autograd: **{'met' if ours[1] < theirs[1] else 'NOT met'}** "
                     f"({_seconds(ours[1])} vs {_seconds(theirs[1])}; ratio {ours[1] / ours[0]:.2f}× vs "
                     f"{theirs[1] / theirs[0]:.2f}×).")
    return lines + [""] + batch_gradient.fused_lines(batch_gradient.points(points), repeat)


def swell_lines(ns: tuple[int, ...], timeout: float) -> list[str]:
    lines = ["## AD against SymPy: the swelling logistic map", "",
             "d x_n/dx for x_{k+1} = r·x_k(1 − x_k) unrolled n times: nodes of the AD derivative graph "
             "(`reverse.gradient_graph`) against SymPy's derivative tree, with and without CSE "
             f"(bench/views_swell.py, {timeout:.0f} s limit per SymPy step).", "",
             "| n | AD graph | SymPy tree | SymPy + CSE | seconds |", "|---:|---:|---:|---:|---:|"]
    for n, ad, tree, cse, seconds, status in views_swell.swell_rows(ns, timeout):
        show = lambda v: "—" if v is None else f"{v:,}"  # noqa: E731
        lines.append(f"| {n} | {ad:,} | {show(tree)} | {show(cse)} | {seconds:.2f}"
                     + (f" ({status})" if status != "ok" else "") + " |")
    return lines + [""]


def lagrange_lines(repeat: int) -> list[str]:
    rows = hock_schittkowski.run_all(repeat)
    return ["## lagrange against SciPy", "",
            f"The {len(rows)} Hock–Schittkowski problems with only equality constraints, from their standard "
            f"starting points (bench/hock_schittkowski.py; SciPy given diffcli's AD gradients, then finite "
            f"differences; time is the best of {repeat}).", "", "```",
            *hock_schittkowski.summary_lines(rows), "```", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats, to check the script")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--only", help="comma-separated section labels to run again; their sections in --output "
                                       "are replaced, the rest is kept")
    args = parser.parse_args()
    began = time.perf_counter()
    quick = args.quick
    lines = ["# diffcli benchmarks", "",
             f"Written by `python bench/run.py`{' --quick (numbers NOT for keeping)' if quick else ''}; "
             "every figure below comes from one run on this machine (a section run again on its own says so).", ""]
    lines += machine_lines()
    sections = [("cold start", lambda: cold_start_lines(3 if quick else 7)),
                ("gradient ratios", lambda: ratio_lines(2 if quick else 7, 500 if quick else 10_000,
                                                        50_000 if quick else 1_000_000)),
                ("gradient scaling", lambda: gradient_scaling.lines([100, 1000] if quick else [100, 1000, 2000, 10_000],
                                                                    2 if quick else 3)),
                ("batch files", lambda: batch_files.lines(50_000 if quick else 1_000_000, 2 if quick else 3)),
                ("expression swell", lambda: swell_lines((1, 2, 4) if quick else (1, 2, 4, 6, 8, 10), 20.0)),
                ("lagrange", lambda: lagrange_lines(1 if quick else 3)),
                ("lagrange problems", lagrange_problems.results_lines),
                ("lagrange speed", lambda: lagrange_speed.results_lines(1 if quick else 5))]
    only = set(args.only.split(",")) if args.only else None
    bodies: list[list[str]] = []
    if only:
        sections = [(label, section) for label, section in sections if label in only]
    for label, section in sections:
        start = time.perf_counter()
        print(f"{label} ...", file=sys.stderr, flush=True)
        started_load = load()
        stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        body = section()
        body = body[:1] + ["", f"_Load average when this section started: {started_load}"
                           + (f" (section run again on its own, {stamp})" if only else "") + "._"] + body[1:]
        bodies.append(body)
        lines += body
        print(f"{label}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    if only:
        return _replace_sections(Path(args.output), bodies)
    lines.append(f"Whole run: {time.perf_counter() - began:.0f} s.")
    lines += _kept_sections(Path(args.output), {line for line in lines if line.startswith("## ")})
    Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)


def _kept_sections(path: Path, written: set[str]) -> list[str]:
    """Sections of the old file this script does not write (figures added by hand), kept at the end."""
    if not path.is_file():
        return []
    kept: list[str] = []
    keeping = False
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("## "):
            keeping = line not in written and line != "## Machine"
        elif line.startswith("Whole run:"):
            keeping = False
            continue
        if keeping:
            kept.append(line)
    return ([""] + kept) if kept else []


def _replace_sections(path: Path, bodies: list[list[str]]) -> None:
    """Put each new section body in place of the section of the same heading in `path`."""
    text = path.read_text(encoding="utf-8").split("\n")
    for body in bodies:
        start = text.index(body[0])
        end = next((i for i in range(start + 1, len(text)) if text[i].startswith("## ") or text[i].startswith("Whole run")),
                   len(text))
        text[start:end] = body
    path.write_text("\n".join(text), encoding="utf-8")
    print(f"replaced {len(bodies)} section(s) in {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
