"""`diffcli taylor`: coefficients beside SymPy's series, the table, bad input."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest


def test_exp_times_sin_at_zero(cli_json):
    document = cli_json("taylor", "exp(x)*sin(x)", "--at", "x=0", "--order", "4")
    assert document["coefficients"] == pytest.approx([0, 1, 1, 1 / 3, 0], abs=1e-15)
    assert document["symbolic"]["coefficients"] == ["0", "1", "1", "1/3", "0"]
    assert document["symbolic"]["max_error"] < 1e-15
    assert document["derivatives"] == pytest.approx([0, 1, 2, 2, 0], abs=1e-14)


def test_other_variables_stay_at_their_values(cli_json):
    document = cli_json("taylor", "x*y**2 + sin(x*y)", "--at", "x=1,y=2", "--wrt", "x", "--order", "3")
    c = document["coefficients"]
    assert c[0] == pytest.approx(4 + math.sin(2)) and c[1] == pytest.approx(4 + 2 * math.cos(2))
    assert c[3] == pytest.approx(-8 * math.cos(2) / 6)
    assert document["symbolic"]["coefficients"][2] == "-2*sin(2)"


def test_text_table(cli):
    result = cli("taylor", "exp(x)*sin(x)", "--at", "x=0")
    assert result.exit_code == 0, result.stderr
    assert "1/3" in result.stdout and "0.333333333333333" in result.stdout


def test_rational_text_is_exact(cli_json):
    assert Fraction(cli_json("taylor", "log(x)", "--at", "x=1", "--order", "5")["symbolic"]["coefficients"][5]) == \
        Fraction(1, 5)


@pytest.mark.parametrize("args, message", [
    (["--at", "x=0", "--order", "41"], "--order"),
    (["--at", "x=0", "--order", "-1"], "--order"),
    (["--at", "x=[0,1]"], "scalar variable"),
    (["--at", "x=0,y=1", "--wrt", "x,y"], "--wrt"),
    (["--at", "y=1"], "'x'"),
])
def test_bad_input_exits_2(cli, args, message):
    result = cli("taylor", "x*x + x*y" if "y" in " ".join(args) else "x*x", *args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_lists_are_refused(cli):
    result = cli("taylor", "[x, x*x]", "--at", "x=0")
    assert result.exit_code == 2 and "single output" in result.stderr


def test_branches_agree_with_sympy(cli_json):
    # SymPy's series mishandles Piecewise; the comparison uses Taylor's formula there.
    document = cli_json("taylor", "x if x > 0 else -x*x", "--at", "x=-1", "--order", "3")
    assert document["coefficients"] == [-1.0, 2.0, -1.0, 0.0]
    assert document["symbolic"]["coefficients"] == ["-1", "2", "-1", "0"]


def test_overflowing_derivatives_are_flagged(cli):
    result = cli("taylor", "exp(1000*x)", "--at", "x=0.7", "--order", "2", "--no-symbolic")
    assert result.exit_code == 0 and "from k = 2 on are not finite" in result.stderr


def test_an_undefined_value_is_a_math_error(cli):
    result = cli("taylor", "log(x)", "--at", "x=-1")
    assert result.exit_code == 1 and "log of a negative number" in result.stderr


def test_taylor_refuses_an_order_whose_derivative_graphs_swell(cli):
    result = cli("taylor", "x**x**x**x**x**x**x**x", "--at", "x=1.1", "--order", "40", "--no-symbolic")
    assert result.exit_code == 2
    assert "--order 40 is too high for this formula" in result.stderr
    works = int(result.stderr.split("(--order ")[1].split(" works")[0])
    assert 5 <= works < 40
    assert cli("taylor", "x**x**x**x**x**x**x**x", "--at", "x=1.1", "--order", str(min(works, 8)),
               "--no-symbolic").exit_code == 0
