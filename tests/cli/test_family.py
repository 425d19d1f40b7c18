"""`diffcli jvp`, `vjp`, `jacobian` and `hessian`: JSON documents, tables, --check, errors, help."""

from __future__ import annotations

import pytest


def test_vjp_command_json(cli_json):
    document = cli_json("vjp", "x*1024", "--at", "x=[1,2,3]", "--cotangent", "[0.1,1.0,0.0001]")
    assert document["methods"]["reverse"]["vjp"] == {"x": [102.4, 1024.0, 0.1024]}
    assert document["methods"]["reverse"]["passes"] == 1
    assert document["cotangent"] == [0.1, 1.0, 0.0001]
    assert document["reference"] == "symbolic"


def test_jvp_command_json(cli_json):
    document = cli_json("jvp", "[x*y, x+y, sin(x)]", "--at", "x=1,y=2", "--dir", "x=1,y=0")
    assert document["methods"]["forward"]["jvp"][:2] == [2.0, 1.0]
    assert document["methods"]["forward"]["passes"] == 1
    assert document["outputs"] == ["f1", "f2", "f3"]


def test_jacobian_command_json_and_modes(cli_json):
    document = cli_json("jacobian", "[x*y, x+y]", "--at", "x=1,y=2", "--mode", "reverse")
    assert "forward" not in document["methods"]
    assert document["methods"]["reverse"]["jacobian"] == [[2.0, 1.0], [1.0, 1.0]]
    assert document["inputs"] == ["x", "y"] and document["outputs"] == ["f1", "f2"]
    assert document["mode"] == "reverse"


def test_jacobian_table_reports_passes_per_mode(cli):
    result = cli("jacobian", "sum(x**2)", "--at", "x=[1,2,3,4,5,6]", "--method", "forward,reverse")
    assert result.exit_code == 0, result.stderr
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("│ ")}
    assert rows["forward"].split("│")[2].strip() == "6"
    assert rows["reverse (reference)"].split("│")[2].strip() == "1"


def test_hessian_command_json(cli_json):
    document = cli_json("hessian", "x.T @ A @ x", "--at", "x=[1,2]", "--let", "A=[[1,2],[3,4]]")
    assert document["methods"]["forward-over-reverse"]["hessian"] == [[2.0, 5.0], [5.0, 8.0]]
    assert document["inputs"] == ["x[0]", "x[1]"]
    assert document["reference"] == "symbolic"


def test_hessian_table_shows_the_matrix(cli):
    result = cli("hessian", "logdet(A)", "--at", "A=[[2,1],[1,3]]", "--method", "reverse")
    assert result.exit_code == 0, result.stderr
    assert "Hessian ∂²f/∂xᵢ∂xⱼ, from forward-over-reverse:" in result.stdout
    assert "A[0,0]" in result.stdout and "-0.36" in result.stdout


@pytest.mark.parametrize("args", [
    ("jvp", "x*y", "--at", "x=1,y=2"),                                     # no --dir
    ("vjp", "x*y", "--at", "x=1,y=2"),                                     # no --cotangent
    ("jvp", "x*y", "--at", "x=1,y=2", "--dir", "q=1"),
    ("vjp", "x*2", "--at", "x=[1,2]", "--cotangent", "[1,2,3]"),
    ("jacobian", "[x, y]", "--at", "x=1,y=2", "--mode", "sideways"),
    ("hessian", "[x, y]", "--at", "x=1,y=2"),
    ("jacobian", "x @ y", "--at", "x=[1,2],y=[1,2,3]"),
    ("hessian", "x", "--at", "x=1", "--check", "-1"),
    ("jvp", "x", "--at", "x=1", "--dir", "x=1", "--symbolic-timeout", "0"),
])
def test_command_usage_errors_exit_2_with_one_line(cli, args):
    result = cli(*args)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("diffcli: error: ") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_math_error_exits_1(cli):
    result = cli("jacobian", "[log(x), x]", "--at", "x=-1")
    assert result.exit_code == 1
    assert "log of a negative number" in result.stderr


def test_check_passes_and_fails(cli):
    assert cli("hessian", "x**3", "--at", "x=2", "--check", "1e-6").exit_code == 0
    result = cli("hessian", "x**3", "--at", "x=2", "--check", "0", "--method", "reverse,central")
    assert result.exit_code == 1 and "check failed" in result.stderr


def test_every_command_has_examples_in_help(cli):
    for command in ("jvp", "vjp", "jacobian", "hessian"):
        result = cli(command, "--help")
        assert result.exit_code == 0 and "Examples" in result.stdout and f"diffcli {command}" in result.stdout


def test_hessian_at_a_kink_falls_back_to_ad_when_sympy_cannot_evaluate(cli_json):
    document = cli_json("hessian", "abs(x)*y", "--at", "x=0,y=1")
    assert document["reference"] == "forward-over-reverse"
    assert document["methods"]["symbolic"]["hessian"][0][0] is None       # DiracDelta(0): no number
    assert document["methods"]["forward-over-reverse"]["hessian"] == [[0.0, 0.0], [0.0, 0.0]]
    assert any(w.startswith("not differentiable here: abs") for w in document["warnings"])
