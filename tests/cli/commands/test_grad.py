"""`diffcli grad` through the real entry point: tables, JSON, exit codes, errors."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, run_json

LOGISTIC = "y = x; " + "; ".join(["y = 3.9*y*(1 - y)"] * 14) + "; y"


def test_slide_example_four_ways():
    doc = run_json("grad", "3*x**3-5*x**2", "--at", "x=1.5")
    assert doc["value"] == -1.125
    assert doc["reference"] == "symbolic"
    methods = doc["methods"]
    assert set(methods) == {"forward", "reverse", "central", "symbolic"}
    assert methods["forward"]["grad"] == {"x": 5.25}
    assert methods["reverse"]["grad"] == {"x": 5.25}
    assert methods["symbolic"]["grad"] == {"x": 5.25}
    assert abs(methods["central"]["grad"]["x"] - 5.25) < 1e-9
    assert methods["central"]["step"]["x"] > 0
    assert methods["reverse"]["error"] == 0.0
    assert all(m["seconds"] >= 0 for m in methods.values())
    assert doc["warnings"] == []


def test_table_shows_every_method_and_the_value():
    result = run_cli("grad", "3*x**3-5*x**2", "--at", "x=1.5")
    assert result.returncode == 0, result.stderr
    for word in ("-1.125", "5.25", "forward", "reverse", "central", "symbolic *", "errors against symbolic"):
        assert word in result.stdout
    assert result.stderr == ""


def test_json_for_scripts_two_variables():
    doc = run_json("grad", "x*y + sin(x)", "--at", "x=1,y=2", "--method", "reverse")
    assert doc["methods"]["reverse"]["grad"]["y"] == 1.0
    assert doc["methods"]["reverse"]["grad"]["x"] == pytest.approx(2 + 0.5403023058681398, abs=1e-15)
    assert doc["at"] == {"x": 1.0, "y": 2.0}


def test_wrt_let_and_stdin():
    doc = run_json("grad", "-", "--at", "a=2,b=3", "--let", "k=10", "--wrt", "a", input="k*a*(a+b)")
    assert doc["methods"]["reverse"]["grad"] == {"a": 70.0}
    assert doc["value"] == 100.0


def test_program_with_assignments():
    doc = run_json("grad", "c = a + b; d = a*c", "--at", "a=2,b=3", "-m", "forward,reverse")
    assert doc["methods"]["forward"]["grad"] == {"a": 7.0, "b": 2.0}


def test_symbolic_time_limit_on_logistic_map():
    doc = run_json("grad", LOGISTIC, "--at", "x=0.3", "--symbolic-timeout", "1")
    assert doc["methods"]["symbolic"]["status"] == "timed out"
    assert doc["reference"] == "reverse"
    assert doc["methods"]["forward"]["grad"]["x"] == pytest.approx(doc["methods"]["reverse"]["grad"]["x"], rel=1e-12)
    assert doc["methods"]["reverse"]["seconds"] < 0.5


def test_check_passes_and_fails():
    ok = run_cli("grad", "a*(a+b)", "--at", "a=2,b=3", "--check", "1e-6")
    assert ok.returncode == 0, ok.stderr
    strict = run_cli("grad", "sin(x)", "--at", "x=1", "-m", "reverse,central", "--check", "1e-20")
    assert strict.returncode == 1
    assert "check failed: central differs from reverse" in strict.stderr


def test_untaken_branch_gives_one_not_nan():
    doc = run_json("grad", "x if x >= 0 else sqrt(-x)", "--at", "x=1")
    for method in ("forward", "reverse", "symbolic"):
        assert doc["methods"][method]["grad"] == {"x": 1.0}


def test_zero_to_the_y():
    doc = run_json("grad", "x**y", "--at", "x=0,y=2", "-m", "forward,reverse")
    assert doc["methods"]["reverse"]["grad"] == {"x": 0.0, "y": 0.0}
    assert doc["methods"]["forward"]["grad"] == {"x": 0.0, "y": 0.0}


def test_negative_base_says_d_dy_undefined():
    result = run_cli("grad", "x**y", "--at", "x=-2,y=3", "-m", "forward,reverse", "--json")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert doc["methods"]["reverse"]["grad"] == {"x": 12.0, "y": None}
    assert any("pow" in w and "argument 2 is undefined" in w for w in doc["warnings"])
    assert "argument 2 is undefined" in result.stderr


def test_sqrt_at_zero_is_infinite():
    result = run_cli("grad", "sqrt(x)", "--at", "x=0", "-m", "forward,reverse,central")
    assert result.returncode == 0
    assert "inf" in result.stdout
    assert "derivative of sqrt at column 1 is infinite" in result.stderr
    assert "one-sided" in result.stderr


@pytest.mark.parametrize("formula, left, right", [
    ("abs(x)", "-1", "1"), ("relu(x)", "0", "1"), ("max(x, 0)", "0", "1"), ("x if x >= 0 else -2*x", "-2", "1"),
])
def test_kinks_report_left_and_right_derivatives(formula, left, right):
    result = run_cli("grad", formula, "--at", "x=0", "--json")
    doc = json.loads(result.stdout)
    assert result.returncode == 0
    (kink,) = doc["kinks"]
    assert kink["left"]["x"] == pytest.approx(float(left), abs=1e-9)
    assert kink["right"]["x"] == pytest.approx(float(right), abs=1e-9)
    assert "not differentiable here" in result.stderr


def test_smooth_branch_boundary_is_not_a_kink():
    doc = run_json("grad", "x**2 if x >= 0 else -x**2", "--at", "x=0")
    assert doc["kinks"] == []


@pytest.mark.parametrize("args, code, message", [
    (["log(x)", "--at", "x=-1"], 1, "log of a negative number: log(-1) is undefined (column 1)"),
    (["1/x", "--at", "x=0"], 1, "division by zero: 1/0 (column 2)"),
    (["exp(x)", "--at", "x=1000"], 1, "exp(1000) overflowed to infinity"),
    (["x ^ 2 + sin(y", "--at", "x=1"], 2, "never closed (column 12)"),
    (["x*y", "--at", "x=1"], 2, "no value given for the variable 'y'"),
    (["x*y", "--at", "x=1,x=2,y=1"], 2, "'x' is given twice"),
    (["x*y", "--at", "x=abc,y=1"], 2, "unknown name 'abc'"),
    (["x*y", "--at", "x=1,y=2", "--wrt", "z"], 2, "--wrt: 'z' is not a variable"),
    (["x*y", "--at", "x=1,y=2", "-m", "magic"], 2, "unknown method 'magic'"),
    (["x*y", "--at", "x=1,y=2", "--bogus"], 2, "No such option: --bogus"),
    (["x", "--at", "x=1", "--h", "abc"], 2, "'abc' is not a valid float"),
    (["[x, y]", "--at", "x=1,y=2"], 2, "grad needs a scalar function"),
    (["__import__('os').system('echo hacked')", "--at", "x=1"], 2, "only named functions can be called"),
    (["-", "--at", "x=1"], 2, "standard input is empty"),
])
def test_errors_are_one_line_with_exit_code(args, code, message):
    result = run_cli("grad", *args, input="" if "-" in args else None)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_version_and_python_dash_m():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("diffcli ")
    help_text = run_cli("grad", "--help")
    assert help_text.returncode == 0 and "Examples" in help_text.stdout


def test_in_process_runner(cli):
    result = cli("grad", "a*(a+b)", "--at", "a=2,b=3", "-m", "reverse", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["methods"]["reverse"]["grad"] == {"a": 7.0, "b": 2.0}


def test_readme_test_command_is_what_ci_runs():
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text().splitlines()
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = next(line for line in readme[:8] if "pytest" in line)
    assert readme.index(test_command) == 4  # the second of the two set-up commands
    assert "pytest" in test_command
    assert test_command.strip() in ci


def test_formula_starting_with_minus():
    refused = run_cli("grad", "-x", "--at", "x=1")
    assert refused.returncode == 2
    assert "put a space before it" in refused.stderr
    doc = run_json("grad", " -x**2", "--at", "x=3", "-m", "reverse")
    assert doc["methods"]["reverse"]["grad"] == {"x": -6.0}
    indented = run_cli("grad", "   x + foo(1)", "--at", "x=1")
    assert "unknown function 'foo' (column 8)" in indented.stderr
