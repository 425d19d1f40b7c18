"""Every command, fuzzed through the in-process CLI: formulas, programs, options and files.

Whatever the input, a command must end with exit code 0, 1 or 2, never a traceback; an
error is one line on stderr, and the only other lines are warnings (no NumPy warning
reaches the user); `--json` prints exactly one JSON document; and each run finishes in
bounded time and memory (the slow commands get small budgets through their own options).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Each command as a function of (formula, point, extra value): its argument list.
Template = Callable[[str, str, str], list[str]]
COMMANDS: dict[str, Template] = {
    "grad": lambda f, at, v: ["grad", f, "--at", at, "-m", "forward,reverse,central", "--json"],
    "grad-symbolic": lambda f, at, v: ["grad", f, "--at", at, "-m", "reverse,symbolic", "--symbolic-timeout", "1"],
    "jvp": lambda f, at, v: ["jvp", f, "--at", at, "--dir", v, "-m", "forward,reverse,central", "--json"],
    "vjp": lambda f, at, v: ["vjp", f, "--at", at, "--cotangent", v, "-m", "forward,reverse,central", "--json"],
    "jacobian": lambda f, at, v: ["jacobian", f, "--at", at, "-m", "forward,reverse,central", "--json"],
    "hessian": lambda f, at, v: ["hessian", f, "--at", at, "-m", "forward,central"],
    "diff": lambda f, at, v: ["diff", f, "--symbolic-timeout", "1", "--no-simplify", "--json"],
    "numeric": lambda f, at, v: ["numeric", f, "--at", at, "--json"],
    "numeric-sweep": lambda f, at, v: ["numeric", f, "--at", at, "--sweep"],
    "taylor": lambda f, at, v: ["taylor", f, "--at", at, "--order", "3", "--symbolic-timeout", "1", "--json"],
    "trace-reverse": lambda f, at, v: ["trace", f, "--at", at, "--json"],
    "trace-forward": lambda f, at, v: ["trace", f, "--at", at, "--mode", "forward", "--dir", v],
    "graph": lambda f, at, v: ["graph", f, "--at", at, "--format", "mermaid"],
    "graph-grad": lambda f, at, v: ["graph", f, "--grad", "--json"],
    "lagrange": lambda f, at, v: ["lagrange", f, "-s", "x**2 + y**2 = 1", "--starts", "2", "--max-iter", "15",
                                  "--json"],
    "lagrange-constraint": lambda f, at, v: ["lagrange", "x + y", "-s", f, "--start", v, "--starts", "1",
                                             "--max-iter", "15"],
    "check": lambda f, at, v: ["check", f, "--claim", v, "--samples", "3", "--symbolic-timeout", "1", "--json"],
    "check-at": lambda f, at, v: ["check", f, "--claim", "2*x", "--at", at, "--no-symbolic"],
    "steps": lambda f, at, v: ["steps", f, "--symbolic-timeout", "1", "--json"],
    "steps-at": lambda f, at, v: ["steps", f, "--at", at, "--format", "latex", "--symbolic-timeout", "1"],
}


# ------------------------------------------------------------------ strategies

LEAVES = ["x", "y", "1", "2.5", "0", "pi", "1e308", "1e-320", "-3", "x[0]"]
UNARY = ["sin", "cos", "exp", "log", "sqrt", "abs", "relu", "tanh", "sigmoid", "sign", "detach", "sum", "-", "acos"]
BINARY = ["+", "-", "*", "/", "**", "^", "@", ">", "==", " and ", " or "]


def _unary(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(UNARY), inner).map(lambda p: f"{p[0]}({p[1]})")


def _binary(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda p: f"({p[0]}{p[1]}{p[2]})")


def _other(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, inner).map(lambda p: f"max({p[0]}, {p[1]})"),
        st.tuples(inner, inner, inner).map(lambda p: f"({p[1]} if {p[0]} > 0 else {p[2]})"),
        st.tuples(inner, inner).map(lambda p: f"[{p[0]}, {p[1]}]"),
        st.tuples(inner, inner).map(lambda p: f"c = {p[0]}; c * {p[1]}"),
    )


FORMULAS = st.recursive(st.sampled_from(LEAVES), lambda inner: st.one_of(_unary(inner), _binary(inner), _other(inner)),
                        max_leaves=8)
SOUP_TOKENS = ["x", "y", "1", "-", "+", "*", "/", "**", "(", ")", "[", "]", ",", "sin", "=", ";", "if", "else",
               "__class__", ".", "T", "lambda", ":", "'", "1e999", "\x00", "ｘ", " ", "\n", "@", "%", "max"]
SOUP = st.lists(st.sampled_from(SOUP_TOKENS), min_size=0, max_size=15).map("".join)
ANY_FORMULA = st.one_of(FORMULAS, FORMULAS, SOUP, st.text(max_size=15))

NUMBERS = st.sampled_from(["1", "-2", "0", "0.5", "pi/4", "1e308", "-1e-300", "1e309", "[1,2]", "[[1,2],[3,4]]",
                           "nan", "", "[", "x", "1,2", "[1,[2]]", "@/nonexistent.npy", "sqrt(-1)", "1/0"])
POINTS = st.one_of(
    st.tuples(NUMBERS, NUMBERS).map(lambda p: f"x={p[0]},y={p[1]}"),
    st.text(alphabet="xy=,[]()0123456789.-+e*pi@; ", max_size=20),
)
EXTRA = st.one_of(POINTS, NUMBERS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(formula=ANY_FORMULA, at=POINTS, extra=EXTRA)
def test_every_command_exits_cleanly_on_random_input(checked_cli, command, formula, at, extra):
    checked_cli(*COMMANDS[command](formula, at, extra))


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(formula=FORMULAS, x=st.sampled_from(["1", "0", "-1.5", "0.25", "[1,2]"]), y=st.sampled_from(["2", "0", "-3"]))
def test_every_command_exits_cleanly_on_valid_formulas(checked_cli, command, formula, x, y):
    checked_cli(*COMMANDS[command](formula, f"x={x},y={y}", "x=1"))


# ------------------------------------------------------------------ programs

def _statement(expression: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """One statement of a program (possibly a block of lines) over x, y and the names a, b."""
    indented = expression.map(lambda e: f"    a = {e}")
    return st.one_of(
        expression.map(lambda e: [f"a = {e}"]),
        expression.map(lambda e: [f"b = a * {e}"]),
        expression.map(lambda e: [f"a += {e}"]),
        st.tuples(expression, indented, indented).map(lambda t: [f"if {t[0]} > 0:", t[1], "else:", t[2]]),
        st.tuples(st.sampled_from(["0", "1", "3", "100"]), indented).map(
            lambda t: [f"for i in range({t[0]}):", t[1]]),
        st.tuples(expression, st.sampled_from(["5", "1e9"])).map(
            lambda t: ["n = 0", f"while n < {t[1]} and {t[0]} > -1:", "    a = a * 0.5 + x", "    n = n + 1"]),
        expression.map(lambda e: ["def g(t):", f"    return t * {e}", "a = g(a)"]),
        expression.map(lambda e: ["with no_grad():", f"    b = {e}"]),
        expression.map(lambda e: [f"b = ({e}).detach()"]),
    )


PROGRAM_LINES = st.lists(_statement(FORMULAS), min_size=1, max_size=4)
PROGRAMS = st.tuples(PROGRAM_LINES, st.sampled_from(["a", "a + b", "a * y", "[a, x]", "sum(a)", "b"])).map(
    lambda p: "\n".join(["a = x", "b = y", *[line for block in p[0] for line in block], p[1]]))


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(program=PROGRAMS, x=st.sampled_from(["1", "0", "-1.5", "[1,2]"]), y=st.sampled_from(["2", "0"]))
def test_every_command_exits_cleanly_on_programs(checked_cli, command, program, x, y):
    checked_cli(*COMMANDS[command]("-", f"x={x},y={y}", "x=1"), input=program)


# ------------------------------------------------------------------ options

# Option values of every kind: the command must refuse or honour each, never crash on one.
NUMBERS_FOR_OPTIONS = ["0", "-1", "1", "2", "41", "1e-20", "1e400", "inf", "-inf", "nan", "1e10", "0.5", "x", ""]
OPTIONS: dict[str, list[tuple[str, list[str]]]] = {
    "grad": [("--symbolic-timeout", NUMBERS_FOR_OPTIONS), ("--h", NUMBERS_FOR_OPTIONS),
             ("--check", NUMBERS_FOR_OPTIONS), ("--method", ["forward", "central,symbolic", "complex", "nope", ""]),
             ("--wrt", ["x", "y", "z", "x,x", ""]), ("--let", ["y=2", "x=1", "e=2", "z=[1,2]"]),
             ("--richardson", []), ("--format", ["csv", "table", "nope"])],
    "jvp": [("--dir", ["x=1", "x=[1,2]", "z=1", "x=nan", ""]), ("--symbolic-timeout", NUMBERS_FOR_OPTIONS),
            ("--method", ["forward", "reverse,complex", "nope"]), ("--h", NUMBERS_FOR_OPTIONS)],
    "vjp": [("--cotangent", ["1", "[1,2]", "[[1]]", "nan", "x"]), ("--symbolic-timeout", NUMBERS_FOR_OPTIONS),
            ("--method", ["reverse", "forward,central", "nope"])],
    "jacobian": [("--mode", ["forward", "reverse", "both", "nope"]), ("--symbolic-timeout", NUMBERS_FOR_OPTIONS),
                 ("--method", ["forward", "symbolic", "complex", "nope"])],
    "hessian": [("--symbolic-timeout", NUMBERS_FOR_OPTIONS), ("--h", NUMBERS_FOR_OPTIONS),
                ("--method", ["reverse", "central", "symbolic", "complex"]), ("--check", NUMBERS_FOR_OPTIONS)],
    "diff": [("--order", NUMBERS_FOR_OPTIONS), ("--symbolic-timeout", NUMBERS_FOR_OPTIONS), ("--latex", []),
             ("--show-ad", []), ("--full", []), ("--no-simplify", [])],
    "numeric": [("--h", NUMBERS_FOR_OPTIONS), ("--sweep", []), ("--richardson", []), ("--wrt", ["x", "y", "q"])],
    "taylor": [("--order", NUMBERS_FOR_OPTIONS), ("--symbolic-timeout", NUMBERS_FOR_OPTIONS), ("--wrt", ["x", "y"]),
               ("--no-symbolic", [])],
    "trace": [("--mode", ["forward", "reverse", "nope"]), ("--dir", ["x=1", "y=[1,2]", "q=1"])],
    "graph": [("--format", ["tree", "dot", "mermaid", "json", "nope"]), ("--grad", []),
              ("--output", ["OUT/g.gv", "OUT/g.txt", "OUT/g.json", "OUT/g.svg", "OUT/g.xyz", "/nonexistent/g.dot"])],
    "steps": [("--wrt", ["x", "y", "z"]), ("--format", ["text", "latex", "markdown", "nope"]),
              ("--max-steps", NUMBERS_FOR_OPTIONS), ("--symbolic-timeout", NUMBERS_FOR_OPTIONS)],
    "check": [("--claim", ["2*x", "x: 1", "[1, 2]", "(", ""]), ("--order", NUMBERS_FOR_OPTIONS),
              ("--samples", NUMBERS_FOR_OPTIONS), ("--symbolic-timeout", NUMBERS_FOR_OPTIONS), ("--hessian", []),
              ("--jacobian", [])],
}
SMALL_BUDGET = {"grad": ["--symbolic-timeout", "1"], "jvp": ["--symbolic-timeout", "1"],
                "vjp": ["--symbolic-timeout", "1"], "jacobian": ["--symbolic-timeout", "1"],
                "hessian": ["--symbolic-timeout", "1"], "diff": ["--symbolic-timeout", "1"],
                "taylor": ["--symbolic-timeout", "1"], "steps": ["--symbolic-timeout", "1"],
                "check": ["--symbolic-timeout", "1", "--samples", "3"]}
BASE: dict[str, list[str]] = {
    "grad": ["--at", "x=1.5,y=2"], "jvp": ["--at", "x=1.5,y=2", "--dir", "x=1"], "vjp": ["--at", "x=1.5,y=2"],
    "jacobian": ["--at", "x=1.5,y=2"], "hessian": ["--at", "x=1.5,y=2"], "diff": [], "numeric": ["--at", "x=1.5,y=2"],
    "taylor": ["--at", "x=1.5,y=2"], "trace": ["--at", "x=1.5,y=2"], "graph": ["--at", "x=1.5,y=2"],
    "steps": [], "check": ["--claim", "2*x*y"],
}


@st.composite
def _options(draw: st.DrawFn, command: str) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(OPTIONS[command]), max_size=3, unique_by=lambda o: o[0]))
    args: list[str] = []
    for option, values in chosen:
        args += [option] + ([draw(st.sampled_from(values))] if values else [])
    return args


@pytest.mark.parametrize("command", sorted(OPTIONS))
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), formula=st.sampled_from(["x**2*y", "sin(x)*exp(y)", "abs(x - 1.5)*y", "[x*y, x]",
                                                 "log(x) + sqrt(y)", "x"]),
       json_output=st.booleans())
def test_every_option_is_honoured_or_refused(checked_cli, tmp_path_factory, command, data, formula, json_output):
    folder = tmp_path_factory.mktemp("out")  # a fresh folder per example (the fixture is per test)
    options = [a.replace("OUT/", f"{folder}/") for a in data.draw(_options(command))]
    budget = [] if any(o in options for o in SMALL_BUDGET.get(command, [])[::2]) else SMALL_BUDGET.get(command, [])
    args = [command, formula, *BASE[command], *budget, *options, *(["--json"] if json_output else [])]
    checked_cli(*args)


# ------------------------------------------------------------------ files

def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


FILE_SEEDS = {
    ".npy": [_npy(np.arange(3.0)), _npy(np.ones((2, 2))), _npy(np.zeros(0)), _npy(np.array([1.0, np.inf])),
             _npy(np.array([1, 2], dtype=np.int8)), _npy(np.array(["a"]))],
    ".csv": [b"1,2,3\n", b"1,2\n3,4\n", b"", b"1,,2\n", b"1\n2\n3\n", ",".join(["1"] * 300).encode() + b"\n"],
    ".txt": [b"1 2 3\n", b"1\n2\n", b"", b"nan\n", b"1e999\n", bytes(range(256))],
}


@st.composite
def _file(draw: st.DrawFn, directory: Path) -> str:
    """A small file, valid or damaged: a seed, cut short and with a few bytes changed."""
    suffix = draw(st.sampled_from(sorted(FILE_SEEDS)))
    content = bytearray(draw(st.sampled_from(FILE_SEEDS[suffix])))
    if content and draw(st.booleans()):
        content = content[:draw(st.integers(0, len(content)))]
    for _ in range(draw(st.integers(0, 3))):
        if content:
            content[draw(st.integers(0, len(content) - 1))] = draw(st.integers(0, 255))
    path = directory / f"f{draw(st.integers(0, 10**6))}{suffix}"
    path.write_bytes(bytes(content))
    return str(path)


FILE_COMMANDS = {
    "grad": lambda at: ["grad", "sum(x*x) + y", "--at", at, "-m", "reverse,central", "--json"],
    "jvp": lambda at: ["jvp", "x*y", "--at", at, "--dir", "y=1", "-m", "forward"],
    "vjp": lambda at: ["vjp", "x*y", "--at", at, "--cotangent", "1", "-m", "reverse", "--json"],
    "jacobian": lambda at: ["jacobian", "x*y", "--at", at, "-m", "forward,reverse"],
    "hessian": lambda at: ["hessian", "sum(x*x)*y", "--at", at, "-m", "reverse", "--json"],
    "numeric": lambda at: ["numeric", "sum(x)*y", "--at", at],
    "trace": lambda at: ["trace", "sum(x)*y", "--at", at, "--json"],
    "graph": lambda at: ["graph", "sum(x)*y", "--at", at],
    "taylor": lambda at: ["taylor", "y*x[0]", "--at", at, "--wrt", "y", "--no-symbolic"],
}


@pytest.mark.parametrize("command", sorted(FILE_COMMANDS))
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_command_reads_any_file_or_refuses_it(checked_cli, tmp_path_factory, command, data):
    path = data.draw(_file(tmp_path_factory.mktemp("files")))
    result = checked_cli(*FILE_COMMANDS[command](f"x=@{path},y=2"))
    if result.exit_code == 2:
        assert "--at x=" in result.stderr or "shape" in result.stderr or "needs" in result.stderr, result.stderr


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), header=st.sampled_from(["x,y\n", "x\n", "", "x,x\n", "1,2\n", "__x\n"]),
       json_output=st.booleans())
def test_grad_at_file_reads_any_table_or_refuses_it(checked_cli, tmp_path_factory, data, header, json_output):
    folder = tmp_path_factory.mktemp("tables")
    body = Path(data.draw(_file(folder)))
    table = folder / "points.csv"
    table.write_bytes(header.encode() + body.read_bytes())
    checked_cli("grad", "x*y + log(x)", "--at-file", str(table), *(["--json"] if json_output else []))


LAGRANGE_OPTIONS = st.sampled_from(["--starts", "--max-iter", "--seed", "--box", "--tol", "--start"])
LAGRANGE_VALUES = st.sampled_from(["0", "-1", "3", "1e9", "10000000000", "nan", "inf", "-1e308:1e308", "5:-5",
                                   "x=0:1", "z=0:1", "0:1", "x=1,x=2", "x=[1,2]", "", "1e-300", "x=1"])


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(LAGRANGE_OPTIONS, LAGRANGE_VALUES), max_size=3))
def test_lagrange_options_exit_cleanly(checked_cli, options):
    args = ["lagrange", "x*y", "-s", "x**2 + y**2 = 1", "--json"]
    flat = [part for option in options for part in option]
    if "--starts" not in flat:
        args += ["--starts", "2"]
    if "--max-iter" not in flat:
        args += ["--max-iter", "20"]
    checked_cli(*args + flat)


@pytest.mark.parametrize("command", ["grad", "lagrange"])  # every command in-process: test_hostile_commands
def test_a_real_process_refuses_to_run_the_formula(run_process, command, tmp_path):
    marker = tmp_path / "pwned"
    result = run_process(*COMMANDS[command](f"open('{marker}', 'w')", "x=1,y=2", "x=1"), timeout=20)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("diffcli: error: "), result.stderr
    assert "formulas are never executed" in result.stderr
    assert result.stdout == ""
    assert not marker.exists()
