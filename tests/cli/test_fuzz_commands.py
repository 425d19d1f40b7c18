"""Every command, fuzzed in-process: random formulas and option values.

Whatever the input, a command must end with exit code 0, 1 or 2, never a traceback; an
error is one line on stderr; `--json` output parses; and each run finishes in bounded
time (the slow commands get small budgets through their own options).
"""

from __future__ import annotations

from typing import Callable

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
