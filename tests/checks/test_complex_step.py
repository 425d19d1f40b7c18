"""The complex step: exact where the formula is analytic, refused with a reason where it is not."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from diffcli.ad.parse import parse
from diffcli.ad.problem import make_problem
from diffcli.checks.compare import compare, compare_gradient
from diffcli.errors import MathError

VARIABLES = ["x", "y"]
ANALYTIC = ["sin", "cos", "tanh", "atan", "exp", "asinh"]
POSITIVE = ["log", "sqrt", "log1p"]  # on 1 + t², so inside their domain


@functools.cache  # one strategy: building it for every example would cost more than the test
def analytic_formulas(formula_strategy) -> st.SearchStrategy[str]:
    return formula_strategy(VARIABLES, ANALYTIC, POSITIVE, square=lambda t: f"({t})*({t})", powers=False,
                            branches=False, max_leaves=10)


WELL_CONDITIONED = ["3*x**3 - 5*x**2", "exp(x)*sin(y)", "log(1 + x*x) / (2 + cos(y))", "sqrt(x*y) * tanh(x)",
                    "atan(x/y) + asinh(x*y)", "x**2.5 * exp(-y*y)", "sum(exp(v) * sin(v))"]


@pytest.mark.parametrize("text", WELL_CONDITIONED)
def test_complex_step_equals_reverse_mode_to_1e_15(text):
    point = {"x": 1.3, "y": 0.7, "v": [0.1, -0.4, 2.0]}
    problem = make_problem(text, {name: point[name] for name in ("x", "y", "v") if name in parse(text).variables})
    c = compare_gradient(problem, ["reverse", "complex"])
    assert c.methods["complex"].status == "ok", c.methods["complex"].message
    assert c.methods["complex"].rel_error <= 1e-15


@settings(max_examples=100, deadline=None)
@given(st.data(), st.tuples(*[st.floats(-2, 2).filter(lambda v: v == 0 or abs(v) > 1e-8)] * 2))
def test_complex_step_equals_reverse_mode_on_analytic_formulas(formula_strategy, data, coordinates):
    text = data.draw(analytic_formulas(formula_strategy), label="formula")
    problem = make_problem(text, dict(zip(VARIABLES, coordinates)))
    assume(problem.wrt)
    c = compare_gradient(problem, ["reverse", "complex"])
    complex_step = c.methods["complex"]
    assert complex_step.status == "ok", complex_step.message
    reverse = np.array([float(c.methods["reverse"].result[n]) for n in problem.wrt])
    got = np.array([float(complex_step.result[n]) for n in problem.wrt])
    # Relative to max(1, |∇f|): where ∇f is a small difference of larger terms (x + log(1 + x²)
    # at x = −0.75), both methods are exact to rounding of those terms, not of the difference.
    assert np.max(np.abs(got - reverse), initial=0.0) <= 1e-15 * max(1.0, np.max(np.abs(reverse))), text


def test_complex_step_is_exact_where_central_differences_are_not():
    c = compare_gradient(make_problem("exp(x)/sqrt(sin(x)**3 + cos(x)**3)", {"x": 1.5}),
                         ["symbolic", "complex", "central"])
    assert c.reference == "symbolic"
    assert c.methods["complex"].rel_error <= 1e-15
    assert c.methods["central"].rel_error > 1e-12


@pytest.mark.parametrize(("text", "point", "reason"), [
    ("abs(x)*y", {"x": 1.0, "y": 2.0}, "'abs' at column 1 is not"),
    ("x + max(x, y)", {"x": 1.0, "y": 2.0}, "'maximum' at column 5 is not"),
    ("(x > 0)*x", {"x": 1.0}, "'gt' at column 4 is not"),
    ("where(x > 0, x*x, -x)", {"x": 1.0}, "'gt' at column 9 is not"),
    ("x if x > 0 else -x", {"x": 1.0}, "is not"),
    ("sign(x)*x + relu(x)", {"x": 1.0}, "is not"),
    ("sqrt(x) + x", {"x": 0.0}, "the derivative of 'sqrt' at column 1 is infinite here"),
    # (exp(-1/x) at 0 is undefined: the command reports 1/0 itself. An overflow is not undefined.)
    ("exp(-exp(x)) + x", {"x": 1000.0}, "every value on the path to be finite; 'exp' at column 6 is not here"),
    ("x**3 + x", {"x": -1.5}, "branch cut"),
])
def test_complex_step_is_refused_with_the_op_and_its_column(text, point, reason):
    c = compare_gradient(make_problem(text, point), ["reverse", "complex"])
    refusal = c.methods["complex"]
    assert refusal.status == "skipped" and reason in refusal.message, refusal.message
    assert refusal.message.startswith(("complex step needs", "the derivative of", "a power of"))
    assert c.reference == "reverse"


def test_where_is_refused_even_when_its_condition_is_a_constant():
    c = compare_gradient(make_problem("where(c > 0, x*x, -x)", {"x": 1.0}, {"c": 1.0}), ["reverse", "complex"])
    assert "'where' at column 1 is not" in c.methods["complex"].message


def test_values_too_small_for_an_imaginary_part_are_refused():
    # Im((y + ih)²) = 2yh underflows to 0 for y = 1e-300: the slope 2e-300 would come out as 0.
    c = compare_gradient(make_problem("y*y + x", {"x": 1.0, "y": 1e-300}), ["reverse", "complex"])
    assert c.methods["complex"].status == "skipped"
    assert "'y' is too small here for the complex step's imaginary part" in c.methods["complex"].message


def test_ops_off_the_path_do_not_matter():
    # abs(y) is a constant when only x is differentiated; detach(x) is a constant too.
    c = compare_gradient(make_problem("abs(y)*x + x*detach(x)", {"x": 3.0, "y": -2.0}, wrt=["x"]),
                         ["reverse", "complex"])
    assert c.methods["complex"].status == "ok"
    assert float(c.methods["complex"].result["x"]) == float(c.methods["reverse"].result["x"]) == 5.0


def test_values_are_those_of_the_real_evaluation():
    # sqrt(x²) at x = −2: the complex branch of sqrt gives |x|, so the slope is −1, as in AD.
    c = compare_gradient(make_problem("sqrt(x*x) + log(x*x)", {"x": -2.0}), ["reverse", "complex"])
    assert float(c.methods["complex"].result["x"]) == float(c.methods["reverse"].result["x"]) == -2.0
    # Where the real evaluation is undefined there is nothing to differentiate.
    with pytest.raises(MathError, match="log of a negative number"):
        compare_gradient(make_problem("log(x)", {"x": -1.0}), ["complex"])


def test_an_op_that_works_in_real_numbers_only_is_refused(monkeypatch):
    import dataclasses

    from diffcli.ad.ops import PRIMITIVES

    real_only = dataclasses.replace(PRIMITIVES["sin"], impl=lambda x: np.float64(np.sin(x)))
    monkeypatch.setitem(PRIMITIVES, "sin", real_only)
    refusal = compare_gradient(make_problem("sin(x)*x", {"x": 1.0}), ["complex"]).methods["complex"]
    assert refusal.status == "skipped" and "real numbers only" in refusal.message


def test_jvp_along_a_long_direction_stays_exact():
    # The step is scaled so that h·v stays tiny whatever the size of v.
    d = compare("jvp", make_problem("[exp(x)*y, sin(x*y)]", {"x": 0.3, "y": 1.7}), ["forward", "complex"],
                direction={"x": 1e200, "y": -3e199})
    forward = np.array(d.comparison.methods["forward"].result, dtype=float)
    np.testing.assert_allclose(np.array(d.comparison.methods["complex"].result, dtype=float), forward, rtol=1e-15)


def test_jacobian_of_tensors_is_reverse_modes():
    problem = make_problem("A @ sin(x) + outer(x, x) @ x", {"x": [0.3, -1.2, 2.0]}, {"A": np.arange(9.0).reshape(3, 3)})
    d = compare("jacobian", problem, ["reverse", "complex"])
    np.testing.assert_allclose(d.comparison.methods["complex"].result, d.comparison.methods["reverse"].result,
                               rtol=1e-15, atol=1e-15)
    assert d.comparison.methods["complex"].extra["passes"] == 3


# -------------------------------------------------------------------------------- CLI


def test_grad_jvp_and_jacobian_take_method_complex(cli):
    result = cli("grad", "x*y + sin(x)", "--at", "x=1,y=2", "--method", "complex", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["reference"] == "complex"
    assert document["methods"]["complex"]["grad"] == {"x": 2.0 + np.cos(1.0), "y": 1.0}
    assert document["methods"]["complex"]["passes"] == 2
    result = cli("jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "x=1", "-m", "forward,complex", "--json")
    document = json.loads(result.stdout)
    assert document["methods"]["complex"]["jvp"] == [2.0, 1.0] and document["methods"]["complex"]["error"] == 0.0
    result = cli("jacobian", "[x*y, x+y]", "--at", "x=1,y=2", "-m", "complex")
    assert result.exit_code == 0 and "Jacobian ∂fᵢ/∂xⱼ, from complex:" in result.stdout


def test_check_with_the_complex_step(cli):
    assert cli("grad", "exp(x)*y", "--at", "x=0.5,y=3", "-m", "reverse,complex", "--check", "1e-15").exit_code == 0
    refused = cli("grad", "abs(x)", "--at", "x=0.5", "-m", "complex", "--check", "1e-9")
    assert refused.exit_code == 1 and "check failed: no method produced a gradient" in refused.stderr
    result = cli("grad", "abs(x)", "--at", "x=0.5", "-m", "reverse,complex", "--json")
    assert result.exit_code == 0
    complex_step = json.loads(result.stdout)["methods"]["complex"]
    assert complex_step == {"status": "skipped", "seconds": 0.0, "message": "complex step needs every op on the "
                            "path to be analytic; 'abs' at column 1 is not"}


def test_the_hessian_has_no_complex_step(cli):
    result = cli("hessian", "x*y", "--at", "x=1,y=2", "-m", "complex")
    assert result.exit_code == 2
    assert "--method: complex does not compute the Hessian (choose from forward, reverse, central, symbolic)" in result.stderr


def test_default_methods_do_not_include_the_complex_step(cli):
    document = json.loads(cli("grad", "x*y", "--at", "x=1,y=2", "--json").stdout)
    assert list(document["methods"]) == ["forward", "reverse", "central", "symbolic"]

