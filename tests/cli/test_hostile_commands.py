"""Hostile input for every command, and one test per bug the fuzzing found.

Each hostile formula must give a clean exit 2 (or the right answer where it is
legitimate), nothing executed, one line on stderr — whichever command reads it.
"""

from __future__ import annotations

import json
import resource
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


# Every command, with a budget that keeps the slow ones (SymPy, multistart) short.
COMMANDS = {
    "grad": lambda f, at="x=1,y=2": ["grad", f, "--at", at, "--symbolic-timeout", "2"],
    "jvp": lambda f, at="x=1,y=2": ["jvp", f, "--at", at, "--dir", "x=1", "--symbolic-timeout", "2"],
    "vjp": lambda f, at="x=1,y=2": ["vjp", f, "--at", at, "--cotangent", "1", "--symbolic-timeout", "2"],
    "jacobian": lambda f, at="x=1,y=2": ["jacobian", f, "--at", at, "--symbolic-timeout", "2"],
    "hessian": lambda f, at="x=1,y=2": ["hessian", f, "--at", at, "--symbolic-timeout", "2"],
    "diff": lambda f, at="x=1,y=2": ["diff", f, "--at", at, "--symbolic-timeout", "2"],
    "numeric": lambda f, at="x=1,y=2": ["numeric", f, "--at", at],
    "numeric --sweep": lambda f, at="x=1,y=2": ["numeric", f, "--at", at, "--sweep"],
    "taylor": lambda f, at="x=1,y=2": ["taylor", f, "--at", at, "--symbolic-timeout", "2"],
    "trace": lambda f, at="x=1,y=2": ["trace", f, "--at", at],
    "graph": lambda f, at="x=1,y=2": ["graph", f, "--at", at],
    "lagrange": lambda f, at="x=1,y=2": ["lagrange", f, "-s", "x**2 + y**2 = 1", "--start", at, "--starts", "2"],
    "lagrange -s": lambda f, at="x=1,y=2": ["lagrange", "x + y", "-s", f, "--start", at, "--starts", "2"],
}

# {marker} stands for a file the formula would create if it were ever run.
HOSTILE = [
    ("__import__('os').system('touch {marker}')", "only named functions can be called"),
    ("open('{marker}', 'w')", "'open' is not allowed: formulas are never executed"),
    ("eval(\"open('{marker}', 'w')\")", "'eval' is not allowed"),
    ("x.__class__", "attribute '.__class__' is not allowed"),
    ("(lambda: open('{marker}', 'w'))()", "only named functions can be called"),
    ("sum([open('{marker}', 'w') for c in x])", "a comprehension is not allowed"),
    ("f'{{open(\"{marker}\", \"w\")}}' + y", "an f-string is not allowed"),
    ("(z := open('{marker}', 'w')) + y", "the walrus operator := is not allowed"),
    ("(" * 10_000 + "x" + ")" * 10_000, "too many nested parentheses"),
    ("x + 1e309*y", "number too large"),
    ("x +\x00 y", "control character U+0000"),
    ("x + \x1b[31my", "control character U+001B"),
    ("x + \u202ey", "control character U+202E"),
    ("foo(x) + y", "unknown function 'foo'"),
    ("x + y +", "syntax error"),
]


@pytest.mark.parametrize("formula, message", HOSTILE, ids=lambda v: repr(v)[:30])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_hostile_formulas_exit_2_with_the_reason(checked_cli, nothing_runs, command, formula, message):
    result = checked_cli(*COMMANDS[command](formula.format(marker=nothing_runs)))
    assert result.exit_code == 2, result.stderr
    if not (command == "lagrange -s" and ":=" in formula):  # there ':=' reads as the constraint's '='
        assert message in result.stderr


@pytest.mark.parametrize("command", ["grad", "jvp", "vjp", "jacobian", "hessian", "numeric", "taylor"])
def test_nine_to_the_nine_to_the_nine_overflows_with_exit_1(checked_cli, command):
    result = checked_cli(*COMMANDS[command]("x*9**9**9"))
    assert result.exit_code == 1
    assert result.stderr == "diffcli: error: pow(9, 387420489) overflowed to infinity (column 4)\n"


@pytest.mark.parametrize("command", ["graph", "trace", "diff"])
def test_nine_to_the_nine_to_the_nine_is_drawn_traced_and_differentiated(checked_cli, command):
    result = checked_cli(*COMMANDS[command]("x*9**9**9"))
    assert result.exit_code == 0
    if command == "diff":  # a formula, or SymPy's time limit: either way a row for ∂f/∂x
        assert "∂f/∂x" in result.stdout and "size in nodes" in result.stdout
    else:  # the infinite value is shown, and said why
        assert result.stderr == "warning: pow(9, 387420489) overflowed to infinity (column 4)\n"
        shown = {"graph": "v2 = **   [value inf]", "trace": "│ v2 │ v2 = 9 ** v1 │       inf │"}[command]
        assert shown in result.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_lookalike_letters_are_other_variables(checked_cli, command):
    # Cyrillic 'х' is not Latin 'x' (NFKC keeps them apart): a different, unvalued variable.
    result = checked_cli(*COMMANDS[command]("\u0445*y + x"))
    if command.startswith("lagrange"):  # a third variable, its start drawn from the box
        assert result.exit_code == 0
        header = next(line for line in result.stdout.splitlines() if line.strip().startswith("#"))
        assert {"x", "y", "\u0445"} <= set(header.split())
    else:
        assert result.exit_code == 2 and "no value given for the variable 'х'" in result.stderr


@pytest.mark.parametrize("command", ["grad", "jvp", "vjp", "jacobian", "hessian", "numeric", "taylor", "trace",
                                     "graph", "lagrange"])
@pytest.mark.parametrize("at, message", [
    ("x=1,x=2,y=1", "'x' is given twice"),
    ("x=1,y", "expected NAME=VALUE, got 'y'"),
    ("x=1,2y=1", "'2y' is not a variable name"),
    ("x=[1,2,y=1", "'[' was never closed"),
    ("x=1e309,y=1", "number too large"),
    ("x=nan,y=1", "unknown name 'nan'"),
    ("x=1\x00,y=1", "control character U+0000"),
    ("x=__import__('os'),y=1", "formulas are never executed"),
    ("x=@/nonexistent/p.npy,y=1", "no such file"),
])
def test_malformed_points_exit_2(checked_cli, command, at, message):
    result = checked_cli(*COMMANDS[command]("x*y", at))
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_long_value_is_shortened_in_the_message(checked_cli):
    value = "[" + ",".join(["1"] * 5000) + ",]]"
    result = checked_cli("grad", "sum(x)", "--at", f"x={value}")
    assert result.exit_code == 2 and len(result.stderr) < 300 and "…" in result.stderr


def test_fullwidth_names_in_at_match_the_formula(checked_cli):
    # The formula folds 'ｘ' to 'x' (NFKC, as Python does); --at now does the same.
    result = checked_cli("grad", "x*3", "--at", "ｘ=2", "-m", "reverse", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["methods"]["reverse"]["grad"] == {"x": 3.0}


# ---------------------------------------------------------------------- size limits

TEN_THOUSAND_ONES = "[" + ",".join(["1"] * 10_000) + "]"


@pytest.mark.parametrize("args, message", [
    (["grad", "sum(x)", "--at", f"x=outer({TEN_THOUSAND_ONES},{TEN_THOUSAND_ONES})"],
     "outer: the result would have 100,000,000 entries (at most 10,000,000 per tensor)"),
    (["grad", "sum(outer(x, x))", "--at", f"x={TEN_THOUSAND_ONES}"], "outer: the result would have 100,000,000"),
    (["grad", "sum(x * x.T)", "--at", f"x=[{TEN_THOUSAND_ONES}]"], "mul: the result would have 100,000,000"),
    (["grad", "sum(x.T @ x)", "--at", f"x=[{TEN_THOUSAND_ONES}]"], "matmul: the result would have 100,000,000"),
    (["jacobian", "2*x", "--at", f"x={TEN_THOUSAND_ONES}"],
     "the Jacobian would have 10,000 × 10,000 = 100,000,000 entries (at most 10,000,000)"),
    (["hessian", "sum(x**3)", "--at", f"x={TEN_THOUSAND_ONES}"], "the Hessian would have 10,000 × 10,000"),
])
def test_huge_tensors_are_refused_quickly(checked_cli, args, message):
    began = time.process_time()
    result = checked_cli(*args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert time.process_time() - began < 10  # refused, not computed (computing takes ~20 s and 5 GB)


def test_matrix_methods_are_skipped_for_a_huge_jvp(checked_cli):
    result = checked_cli("jvp", "2*x", "--at", f"x={TEN_THOUSAND_ONES}", "--dir", "x=1", "--json")
    assert result.exit_code == 0
    methods = json.loads(result.stdout)["methods"]
    assert methods["forward"]["jvp"] == [2.0] * 10_000  # one output: its J·v, as the table shows it
    assert methods["reverse"]["status"] == "skipped"
    assert "100,000,000-entry Jacobian" in methods["reverse"]["message"]


def test_huge_npy_file_is_refused_from_its_header(checked_cli, tmp_path):
    path = tmp_path / "big.npy"
    # A sparse file: the header says 10^9 entries (8 GB); the data must never be read.
    np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(1_000_000_000,)).flush()
    began = time.process_time()
    result = checked_cli("grad", "sum(x)", "--at", f"x=@{path}")
    assert result.exit_code == 2
    assert "has 1,000,000,000 entries (at most 10,000,000)" in result.stderr
    assert time.process_time() - began < 5  # reading the data took 20 s and 8 GB
    path.unlink()


def test_hundred_kilobyte_formula_through_stdin_for_jacobian_and_taylor(checked_cli):
    formula = " + ".join(f"sin(x*{k})" for k in range(1, 9000))
    assert len(formula) > 100_000
    result = checked_cli("jacobian", "-", "--at", "x=0", "-m", "forward,reverse", "--json", input=formula)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["methods"]["reverse"]["jacobian"] == [[sum(range(1, 9000))]]
    result = checked_cli("taylor", "-", "--at", "x=0", "--order", "1", "--no-symbolic", "--json", input=formula)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["coefficients"][1] == sum(range(1, 9000))


@pytest.mark.parametrize("args, message", [
    (["diff", "x**2", "--order", "1000000"], "--order must be between 1 and 10"),
    (["taylor", "x**2", "--at", "x=1", "--order", "99999999999999999999"], "--order must be between 0 and 40"),
    (["lagrange", "x*y", "-s", "x**2+y**2=1", "--starts", "10000000000"], "--starts: at most 100,000"),
    (["lagrange", "x*y", "-s", "x**2+y**2=1", "--max-iter", "1000000000"], "--max-iter: at most 100,000"),
    (["lagrange", "x*y", "-s", "x**2+y**2=1", "--box", "-1e308:1e308"], "is too wide"),
    (["lagrange", "x*y", "-s", "x**2+y**2=1", "--starts", "-1"], "--starts: give a positive number"),
    (["grad", "x", "--at", "x=1", "--symbolic-timeout", "-1"], "--symbolic-timeout must be a positive number"),
    (["grad", "x", "--at", "x=1", "--h", "1e-400"], "--h must be a positive number"),
])
def test_absurd_option_values_exit_2(checked_cli, args, message):
    result = checked_cli(*args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr


# ---------------------------------------------------------------------- bugs found by fuzzing


def _methods(checked_cli, *args):
    result = checked_cli(*args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("formula, value, grad", [
    ("(x > 0)*y", 2.0, {"x": 0.0, "y": 1.0}),      # SymPy: a truth value times a number
    ("x + (x == y)", 1.0, {"x": 1.0, "y": 0.0}),
    ("x == y", 0.0, {"x": 0.0, "y": 0.0}),          # SymPy: a truth value as the output
    ("(x and y) * x", 1.0, {"x": 1.0, "y": 0.0}),  # SymPy: numbers as truth values
    ("not (x > y)", 1.0, {"x": 0.0, "y": 0.0}),
    ("sigmoid(x > 2)", 0.5, {"x": 0.0}),  # NumPy: no unary minus on booleans
    ("max(x > 2, y > 3) - 1", -1.0, {"x": 0.0, "y": 0.0}),
])
def test_truth_values_are_numbers_in_every_method(checked_cli, formula, value, grad):
    doc = _methods(checked_cli, "grad", formula, "--at", "x=1,y=2", "--json")
    assert doc["value"] == value
    for method in ("forward", "reverse", "symbolic"):
        assert doc["methods"][method]["grad"] == grad, method
    assert doc["methods"]["central"]["grad"] == pytest.approx(grad, abs=1e-8)


def test_truth_values_in_jacobian_and_taylor(checked_cli):
    doc = _methods(checked_cli, "jacobian", "[x > 0, x*y]", "--at", "x=1,y=2", "--json")
    assert doc["methods"]["symbolic"]["jacobian"] == [[0.0, 0.0], [2.0, 1.0]]
    doc = _methods(checked_cli, "taylor", "(x > 0) + x", "--at", "x=1", "--order", "2", "--json")
    assert doc["coefficients"] == [2.0, 1.0, 0.0]
    assert doc["symbolic"]["status"] == "ok"


def test_vjp_of_a_constant(checked_cli):
    doc = _methods(checked_cli, "vjp", "1", "--at", "x=1", "--cotangent", "1", "--json")
    assert all(m["vjp"] == {} for m in doc["methods"].values())


def test_hessian_of_a_constant(checked_cli):
    doc = _methods(checked_cli, "hessian", "1", "--at", "x=1", "-m", "forward,central", "--json")
    assert doc["methods"]["central"]["hessian"] == []


def test_variable_shadowed_by_reassignment(checked_cli):
    # `a = x; a = y; a` mentions x, but the output does not depend on it.
    doc = _methods(checked_cli, "diff", "a = x; a = y; a", "--json")
    assert doc["derivatives"] == {"x": "0", "y": "1"}
    doc = _methods(checked_cli, "taylor", "a = x; a = y; a", "--at", "x=1,y=2", "--wrt", "x", "--order", "2", "--json")
    assert doc["coefficients"] == [2.0, 0.0, 0.0]


def test_diff_of_a_constant_beyond_a_double(checked_cli):
    doc = _methods(checked_cli, "diff", "x + 1e308*1e308", "--json")
    assert doc["derivatives"] == {"x": "1"}


def test_diff_and_lagrange_refuse_tensor_valued_formulas(checked_cli):
    result = checked_cli("diff", "sin([x, x])")
    assert result.exit_code == 2 and "scalar function, but this one has shape (2,)" in result.stderr
    result = checked_cli("lagrange", "max(x, [x, x])", "-s", "x**2 + y**2 = 1")
    assert result.exit_code == 2 and "the objective must be a scalar, but it has shape (2,)" in result.stderr


def test_lagrange_overflow_is_not_printed_as_a_numpy_warning(checked_cli):
    result = checked_cli("lagrange", "x + y", "-s", "max(x, 1e308)", "--starts", "2", "--max-iter", "15")
    assert result.exit_code == 1
    assert "RuntimeWarning" not in result.stderr


def test_subprocess_run_of_a_huge_value_is_refused_quickly(run_process):
    # Refused before anything of that size is built: a few seconds of the child's CPU, whatever
    # the machine's load does to the wall clock (the timeout only guards against a hang).
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_process("grad", "sum(outer(x, x))", "--at", f"x={TEN_THOUSAND_ONES}", timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "100,000,000 entries" in result.stderr
    assert (after.ru_utime + after.ru_stime) - (used.ru_utime + used.ru_stime) < 10


def test_an_option_like_formula_with_a_newline_is_still_a_one_line_error(checked_cli):
    result = checked_cli("jacobian", "-\n")
    assert result.exit_code == 2 and result.stderr == "diffcli: error: syntax error: invalid syntax (column 2)\n"


def test_no_numpy_warning_when_a_constant_list_overflows(checked_cli):
    result = checked_cli("vjp", "[1e308, 1e308]", "--at", "x=1", "--cotangent", "1", "-m", "central", "--json")
    assert result.exit_code == 0
    assert "RuntimeWarning" not in result.stderr


@pytest.mark.parametrize("command, example", [("jvp", '"[x*y, x+y, sin(x)]"'), ("vjp", '"[x*y, x+y]"'),
                                              ("jacobian", '"[x*y, x+y]"')])
def test_help_examples_keep_their_brackets(cli, command, example):
    # Rich markup read "[x*y, x+y]" as a style tag and dropped it from the help.
    result = cli(command, "--help")
    assert result.exit_code == 0 and example in result.stdout


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="xy=,[]()0123456789.-+e*pi@ ", max_size=20))
def test_random_at_values_exit_cleanly(checked_cli, at):
    result = checked_cli("grad", "x*y", "--at", at, "-m", "reverse", "--json")
    if result.exit_code == 0:  # a point was read: ∇(xy) = (y, x) there
        document = json.loads(result.stdout)
        x, y = document["at"]["x"], document["at"]["y"]
        assert document["methods"]["reverse"]["grad"] == {"x": y, "y": x}
        assert document["value"] == x * y


@pytest.mark.parametrize("formula", [
    "__import__('os').system('touch {marker}')", "eval(\"open('{marker}', 'w')\")", "exec(\"open('{marker}', 'w')\")",
    "open('{marker}', 'w')", "x.__class__.__bases__", "(lambda: open('{marker}', 'w'))()",
    "[open('{marker}', 'w') for c in x]", "f'{{open(\"{marker}\", \"w\")}}'", "(y := open('{marker}', 'w')) + 1",
    "globals()['open']('{marker}', 'w')", "x.real", "getattr(__builtins__, 'open')('{marker}', 'w')",
    "x if open('{marker}', 'w') else 1", "'a' * 3", "b'x'", "None", "...", "x[None]",
    "import os; os.system('touch {marker}')", "del x", "async def f(): open('{marker}', 'w')",
    "c = open('{marker}', 'w'); x",
])
def test_injection_attempts_are_refused_and_nothing_runs(checked_cli, nothing_runs, formula):
    result = checked_cli("grad", formula.format(marker=nothing_runs), "--at", "x=1")
    assert result.exit_code == 2, (formula, result.stderr)


@pytest.mark.parametrize("formula, code, message", [
    ("9**9**9", 1, "overflowed to infinity"),
    ("x + 1e309", 2, "number too large"),
    ("(" * 10_000 + "x" + ")" * 10_000, 2, "too many nested parentheses"),
    ("x +\x07 1", 2, "control character U+0007"),
    ("x + \u200by", 2, "control character U+200B"),
])
def test_awkward_inputs(checked_cli, formula, code, message):
    result = checked_cli("grad", formula, "--at", "x=1,y=1", "-m", "reverse")
    assert result.exit_code == code, result.stderr
    assert message in result.stderr


def test_hundred_kilobyte_expression_works(checked_cli):
    formula = " + ".join(f"sin(x*{k})" for k in range(1, 9000))
    assert len(formula) > 100_000
    result = checked_cli("grad", formula, "--at", "x=0", "-m", "forward,reverse", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["methods"]["reverse"]["grad"]["x"] == sum(range(1, 9000))
