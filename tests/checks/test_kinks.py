"""Kinks in every derivative command: the first derivative that jumps is named, with both sides.

AD follows one side of a kink (abs'(0) = 0, relu'(0) = 0); central differences average the
two; SymPy has its own conventions (Heaviside(0) = 1/2). At a point where the k-th
derivative jumps, `grad` (k = 1), `hessian` (k ≤ 2) and `taylor` (k ≤ order) each warn and
give the one-sided values, which for these families are known exactly.
"""

from __future__ import annotations

import json
import math

import pytest

# family(m): a function whose derivatives up to order m exist at 0 and whose (m+1)-th jumps
# from left to right: (formula, left, right).
FAMILIES = {
    "x^m·|x|": lambda m: (f"x**{m}*abs(x)" if m else "abs(x)", -math.factorial(m + 1), math.factorial(m + 1)),
    "relu^(m+1)": lambda m: (f"relu(x)**{m + 1}", 0, math.factorial(m + 1)),
    "max(x,0)^(m+1)": lambda m: (f"max(x, 0)**{m + 1}", 0, math.factorial(m + 1)),
    "branch": lambda m: (f"x**{m + 1} if x > 0 else 0*x", 0, math.factorial(m + 1)),
}
PREFIX = {1: "not differentiable here", 2: "not twice differentiable here", 3: "not 3 times differentiable here"}
LABEL = {1: "d/dx", 2: "∂²f/∂x²", 3: "d³f/dx³"}


def _sides(text: str) -> str:
    return text[text.rindex("(") + 1:-1]


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("m", [0, 1, 2])
def test_taylor_names_the_first_derivative_that_jumps(cli, family, m):
    formula, left, right = FAMILIES[family](m)
    result = cli("taylor", formula, "--at", "x=0", "--order", "4", "--no-symbolic", "--json")
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith(PREFIX[m + 1]), warnings
    assert _sides(warnings[0]) == f"{LABEL[m + 1]}: left {left}, right {right}"


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("m", [0, 1, 2])
def test_hessian_warns_when_a_first_or_second_derivative_jumps(cli, family, m):
    formula, left, right = FAMILIES[family](m)
    result = cli("hessian", formula, "--at", "x=0", "-m", "forward,central", "--json")
    assert result.exit_code == 0, result.output
    warnings = [w for w in json.loads(result.stdout)["warnings"] if "differentiable" in w]
    if m + 1 > 2:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warnings[0].startswith(PREFIX[m + 1]), warnings
        assert _sides(warnings[0]) == f"{LABEL[m + 1]}: left {left}, right {right}"


@pytest.mark.parametrize("formula", ["abs(x)**4", "sin(x)", "relu(x - 1)**2", "x**2 if x > -1 else 0*x"])
def test_smooth_points_do_not_warn(cli, formula):
    for args in (["taylor", formula, "--at", "x=0", "--order", "4", "--no-symbolic"],
                 ["hessian", formula, "--at", "x=0", "-m", "forward"]):
        result = cli(*args, "--json")
        assert result.exit_code == 0
        assert not [w for w in json.loads(result.stdout)["warnings"] if "differentiable" in w], args


def test_a_mixed_second_derivative_that_jumps_is_named(cli):
    result = cli("hessian", "x*relu(y)", "--at", "x=1,y=0", "-m", "forward", "--json")
    warnings = json.loads(result.stdout)["warnings"]
    # ∂f/∂x = relu(y) has a kink at y = 0: f is not differentiable there either.
    assert warnings == ["not differentiable here: relu at column 3 is at a kink (relu(0)) (d/dy: left 0, right 1)"]
    result = cli("hessian", "x*relu(y)**2", "--at", "x=1,y=0", "-m", "forward", "--json")
    warnings = json.loads(result.stdout)["warnings"]
    assert warnings == ["not twice differentiable here: relu at column 3 is at a kink (relu(0)) "
                        "(∂²f/∂y²: left 0, right 2)"]


@pytest.mark.parametrize("args", [
    ["jacobian", "relu(x)", "--at", "x=[1,0]", "-m", "forward"],
    ["vjp", "abs(x)", "--at", "x=[1,0]", "--cotangent", "1", "-m", "reverse"],
    ["jvp", "max(x, 0)", "--at", "x=[0,2]", "--dir", "x=[1,1]", "-m", "forward"],
])
def test_tensor_outputs_at_a_kink_warn(cli, args):
    result = cli(*args)
    assert result.exit_code == 0
    assert "not differentiable here: " in result.stderr and "(column 1)" not in result.stderr
    assert "entry 1" in result.stderr or "entry 0" in result.stderr


def test_a_tensor_gradient_at_a_kink_shows_each_entry(cli):
    result = cli("grad", "max(x)", "--at", "x=[1,1]", "-m", "forward")
    assert result.exit_code == 0
    assert "✗ not differentiable here: max at column 1 is at a kink" in result.stdout
    assert "d/dx[0]: left 0, right 1; d/dx[1]: left 0, right 1" in result.stdout
