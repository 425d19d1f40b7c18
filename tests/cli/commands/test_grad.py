"""`diffcli grad`: tables, JSON, tensors, kinks, --check, exit codes, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

A = np.array([[1.0, 2.0], [3.0, 4.0]])
LOGISTIC = "y = x; " + "; ".join(["y = 3.9*y*(1 - y)"] * 14) + "; y"


def test_slide_example_four_ways(cli_json):
    doc = cli_json("grad", "3*x**3-5*x**2", "--at", "x=1.5")
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


def test_table_shows_every_method_and_the_value(cli):
    result = cli("grad", "3*x**3-5*x**2", "--at", "x=1.5")
    assert result.exit_code == 0, result.stderr
    for word in ("-1.125", "5.25", "forward", "reverse", "central", "symbolic *", "errors against symbolic"):
        assert word in result.stdout
    assert result.stderr == ""


def test_json_for_scripts_two_variables(cli_json):
    doc = cli_json("grad", "x*y + sin(x)", "--at", "x=1,y=2", "--method", "reverse")
    assert doc["methods"]["reverse"]["grad"]["y"] == 1.0
    assert doc["methods"]["reverse"]["grad"]["x"] == pytest.approx(2 + 0.5403023058681398, abs=1e-15)
    assert doc["at"] == {"x": 1.0, "y": 2.0}


def test_wrt_let_and_stdin(cli_json):
    doc = cli_json("grad", "-", "--at", "a=2,b=3", "--let", "k=10", "--wrt", "a", input="k*a*(a+b)")
    assert doc["methods"]["reverse"]["grad"] == {"a": 70.0}
    assert doc["value"] == 100.0


def test_program_with_assignments(cli_json):
    doc = cli_json("grad", "c = a + b; d = a*c", "--at", "a=2,b=3", "-m", "forward,reverse")
    assert doc["methods"]["forward"]["grad"] == {"a": 7.0, "b": 2.0}


def test_symbolic_time_limit_on_logistic_map(cli_json):
    doc = cli_json("grad", LOGISTIC, "--at", "x=0.3", "--symbolic-timeout", "1")
    assert doc["methods"]["symbolic"]["status"] == "timed out"
    assert doc["reference"] == "reverse"
    assert doc["methods"]["forward"]["grad"]["x"] == pytest.approx(doc["methods"]["reverse"]["grad"]["x"], rel=1e-12)
    assert doc["methods"]["reverse"]["seconds"] < 0.5


def test_check_passes_and_fails(cli):
    ok = cli("grad", "a*(a+b)", "--at", "a=2,b=3", "--check", "1e-6")
    assert ok.exit_code == 0, ok.stderr
    strict = cli("grad", "sin(x)", "--at", "x=1", "-m", "reverse,central", "--check", "1e-20")
    assert strict.exit_code == 1
    assert "check failed: central differs from reverse" in strict.stderr


def test_untaken_branch_gives_one_not_nan(cli_json):
    doc = cli_json("grad", "x if x >= 0 else sqrt(-x)", "--at", "x=1")
    for method in ("forward", "reverse", "symbolic"):
        assert doc["methods"][method]["grad"] == {"x": 1.0}


def test_zero_to_the_y(cli_json):
    doc = cli_json("grad", "x**y", "--at", "x=0,y=2", "-m", "forward,reverse")
    assert doc["methods"]["reverse"]["grad"] == {"x": 0.0, "y": 0.0}
    assert doc["methods"]["forward"]["grad"] == {"x": 0.0, "y": 0.0}


def test_negative_base_says_d_dy_undefined(cli):
    result = cli("grad", "x**y", "--at", "x=-2,y=3", "-m", "forward,reverse", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["methods"]["reverse"]["grad"] == {"x": 12.0, "y": None}
    assert any("pow" in w and "argument 2 is undefined" in w for w in doc["warnings"])
    # null in JSON is explained, for a gradient as for a Jacobian
    assert doc["warnings"][-2:] == ["forward: some values are not finite (null in JSON)",
                                    "reverse: some values are not finite (null in JSON)"]
    assert "argument 2 is undefined" in result.stderr


def test_sqrt_at_zero_is_infinite(cli):
    result = cli("grad", "sqrt(x)", "--at", "x=0", "-m", "forward,reverse,central")
    assert result.exit_code == 0
    assert "inf" in result.stdout
    assert "derivative of sqrt at column 1 is infinite" in result.stderr
    assert "one-sided" in result.stderr


@pytest.mark.parametrize("formula, left, right", [
    ("abs(x)", "-1", "1"), ("relu(x)", "0", "1"), ("max(x, 0)", "0", "1"), ("x if x >= 0 else -2*x", "-2", "1"),
])
def test_kinks_report_left_and_right_derivatives(cli, formula, left, right):
    result = cli("grad", formula, "--at", "x=0", "--json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0
    (kink,) = doc["kinks"]
    assert kink["left"]["x"] == pytest.approx(float(left), abs=1e-9)
    assert kink["right"]["x"] == pytest.approx(float(right), abs=1e-9)
    assert "not differentiable here" in result.stderr


def test_smooth_branch_boundary_is_not_a_kink(cli_json):
    doc = cli_json("grad", "x**2 if x >= 0 else -x**2", "--at", "x=0")
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
def test_errors_are_one_line_with_exit_code(cli, args, code, message):
    result = cli("grad", *args, input="" if "-" in args else None)
    assert result.exit_code == code, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_formula_starting_with_minus(cli, cli_json):
    # max f is min −f: "-x**2" is the formula, not an unknown option -x.
    doc = cli_json("grad", "-x**2", "--at", "x=3", "-m", "reverse")
    assert doc["expr"] == "-x**2" and doc["methods"]["reverse"]["grad"] == {"x": -6.0}
    assert cli_json("grad", "--at", "x=3", "-m", "reverse", "-x")["methods"]["reverse"]["grad"] == {"x": -1.0}
    spaced = cli_json("grad", " -x**2", "--at", "x=3", "-m", "reverse")  # the old workaround still works
    assert spaced["methods"]["reverse"]["grad"] == {"x": -6.0}
    indented = cli("grad", "   x + foo(1)", "--at", "x=1")
    assert "unknown function 'foo' (column 8)" in indented.stderr
    unknown = cli("grad", "x", "-y", "--at", "x=1")  # the formula is x: -y is an option, and unknown
    assert unknown.exit_code == 2 and unknown.stderr == "diffcli: error: grad: No such option: -y\n"


def test_shape_mismatch_through_the_cli_exits_2_with_one_line(cli):
    result = cli("grad", "sum(x @ A)", "--at", "x=[1,2]", "--let", "A=[[1,2,3],[4,5,6],[7,8,9]]")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "(2,) @ (3, 3)" in result.stderr and "column 7" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("expr", "matrix", "words"), [
    ("sum(inv(A))", "[[1,2],[2,4]]", "inv of a singular matrix"),
    ("logdet(A)", "[[1,2],[2,4]]", "logdet of a singular matrix"),
    ("logdet(A)", "[[0,1],[1,0]]", "negative determinant"),
])
def test_singular_matrices_are_math_errors_naming_the_op(cli, expr, matrix, words):
    result = cli("grad", expr, "--at", f"A={matrix}")
    assert result.exit_code == 1
    assert words in result.stderr and "column" in result.stderr


def test_grad_json_gives_tensor_gradients_as_nested_lists(cli_json):
    document = cli_json("grad", "mean(3*(x+2)**2)", "--at", "x=[[1,1],[1,1]]")
    for method in ("forward", "reverse", "symbolic"):
        assert document["methods"][method]["grad"]["x"] == [[4.5, 4.5], [4.5, 4.5]]
    assert document["reference"] == "symbolic"
    assert document["methods"]["central"]["error"] < 1e-8


def test_grad_table_prints_a_matrix_gradient_row_by_row(cli):
    result = cli("grad", "logdet(A)", "--at", "A=[[2,1],[1,3]]", "--method", "reverse,forward")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "f(A=[[2, 1], [1, 3]]) = 1.6094379124341"
    assert "  ∂f/∂A = [[ 0.6, -0.2]," in lines
    assert "           [-0.2,  0.4]]" in lines
    assert any(line.startswith("reverse (reference): ‖error‖∞ 0") for line in lines)


def test_let_values_may_come_from_files(cli_json, tmp_path):
    np.save(tmp_path / "A.npy", A)
    (tmp_path / "x.csv").write_text("1,2\n")
    document = cli_json("grad", "x.T@A@x", "--at", f"x=@{tmp_path / 'x.csv'}", "--let", f"A=@{tmp_path / 'A.npy'}",
                        "--method", "reverse")
    assert document["methods"]["reverse"]["grad"]["x"] == [12.0, 21.0]
