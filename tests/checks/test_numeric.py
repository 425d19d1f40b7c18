"""Central differences: the step, the domain, the error estimate, Richardson."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffcli.errors import UsageError
from diffcli.checks.numeric import CENTRAL_STEP, difference, differentiate, gradient_central
from diffcli.ad.parse import parse


def test_slide_example_central_within_1e_9():
    graph = parse("3*x**3 - 5*x**2")
    gradient, details = gradient_central(graph, {"x": np.float64(1.5)}, ["x"])
    assert abs(gradient["x"] - 5.25) < 1e-9
    assert details["step"]["x"] == pytest.approx(CENTRAL_STEP * 1.5)
    assert 0 < details["error_estimate"]["x"] < 1e-8


@pytest.mark.parametrize("formula, x, exact", [
    ("x**(1/3)", 1e-3, (1 / 3) * 1e-3 ** (-2 / 3)),   # numdifftools and scipy.differentiate give nan here
    ("log(x)", 1e-8, 1e8),
    ("sqrt(x)", 1e-10, 0.5e5),
    ("log(x)", 1e-300, 1e300),
])
def test_near_the_domain_edge_stays_finite_and_accurate(formula, x, exact):
    gradient, _ = gradient_central(parse(formula), {"x": np.float64(x)}, ["x"])
    assert math.isfinite(gradient["x"])
    assert abs(gradient["x"] - exact) / exact < 1e-6


def test_at_the_domain_edge_goes_one_sided_and_says_so():
    gradient, details = gradient_central(parse("sqrt(x) + x"), {"x": np.float64(0.0)}, ["x"])
    assert gradient["x"] > 100  # the derivative is infinite; a one-sided quotient is large
    assert any("one-sided" in note for note in details["notes"])
    result = differentiate(lambda t: float(np.log(t)) if t > 0 else math.nan, 0.0)
    assert math.isnan(result.value)


def test_richardson_is_more_accurate():
    f = lambda t: math.exp(math.sin(t))  # noqa: E731
    exact = math.cos(0.7) * math.exp(math.sin(0.7))
    plain = differentiate(f, 0.7)
    extrapolated = differentiate(f, 0.7, richardson=True)
    assert abs(extrapolated.value - exact) < 1e-11
    assert abs(extrapolated.value - exact) <= abs(plain.value - exact)
    assert extrapolated.scheme == "richardson"


def test_error_estimate_bounds_the_actual_error():
    for x in (0.1, 1.0, 10.0):
        result = differentiate(math.sin, x)
        assert abs(result.value - math.cos(x)) <= 10 * result.error_estimate + 1e-15


def test_fixed_step_and_schemes():
    assert difference(lambda t: t**2, 3.0, 0.5, "forward") == 6.5
    assert difference(lambda t: t**2, 3.0, 0.5, "backward") == 5.5
    assert difference(lambda t: t**2, 3.0, 0.5, "central") == 6.0
    gradient, details = gradient_central(parse("x**3"), {"x": np.float64(1.0)}, ["x"], h=0.1)
    assert gradient["x"] == pytest.approx(3.01)
    assert details["step"]["x"] == 0.1
    with pytest.raises(UsageError):
        gradient_central(parse("x"), {"x": np.float64(1.0)}, ["x"], h=-1.0)


def test_tensor_variable_entries():
    gradient, _ = gradient_central(parse("x[0]*x[1]"), {"x": np.array([2.0, 3.0])}, ["x"])
    np.testing.assert_allclose(gradient["x"], [3.0, 2.0], rtol=1e-9)


def test_overflowing_slope_is_infinite_not_a_wrong_number():
    gradient, _ = gradient_central(parse("1/x"), {"x": np.float64(1e-160)}, ["x"])
    assert gradient["x"] == -math.inf


def test_a_step_straddling_a_pole_is_flagged():
    gradient, details = gradient_central(parse("1/(x - 1e-10)"), {"x": np.float64(0.0)}, ["x"])
    assert gradient["x"] > 0  # wrong sign: the true slope is -1e20
    assert any("do not trust this entry" in note for note in details["notes"])
    _, quiet = gradient_central(parse("sin(1000*x)"), {"x": np.float64(1.0)}, ["x"])
    assert quiet["notes"] == []


def test_a_step_under_which_f_does_not_move_measures_nothing():
    # 0.5 + (z − 0.5) is exactly 0 for z = 1.6e-135 and for z ± a relative step: only the
    # textbook step sees the slope 1 (hypothesis found this; a 0 used to win on its error estimate).
    graph = parse("(0.5 / (1 + x**2)) + (z - 0.5)")
    gradient, _ = gradient_central(graph, {"x": np.float64(0.0), "z": np.float64(1.6318506251396408e-135)}, ["x", "z"])
    assert gradient["x"] == 0.0 and abs(gradient["z"] - 1.0) < 1e-9


# ------------------------------------------------- why a difference quotient is not trusted

import pytest  # noqa: E402

from diffcli.checks.numeric import differentiate  # noqa: E402


@pytest.mark.parametrize("f, x, h, reason", [
    # A smooth cubic with a big step: truncation, which a smaller step cures.
    (lambda t: 3 * t**3 - 5 * t**2, 1.5, 0.5, "is too large for the function's curvature here"),
    (lambda t: math.exp(3 * t), 0.0, 0.3, "is too large for the function's curvature here"),
    # A step near the resolution of x: rounding.
    (lambda t: 3 * t**3 - 5 * t**2, 1.5, 1e-13, "is so small that rounding error"),
    (lambda t: math.sin(t) * 1e6, 2.0, 1e-14, "is so small that rounding error"),
    # A pole or a kink within the default step.
    (lambda t: 1 / (t - 1e-10), 0.0, None, "may straddle a pole or a kink"),
    (lambda t: abs(t - 1e-7), 0.0, None, "may straddle a pole or a kink"),
])
def test_an_untrusted_quotient_says_why(f, x, h, reason):
    result = differentiate(f, x, h=h)
    assert "is large against the value" in result.note and reason in result.note, result.note


@pytest.mark.parametrize("x, h", [(1.5, 1e-20), (1e10, 1e-7), (-3.0, 1e-17)])
def test_a_step_below_the_resolution_of_x_is_named_as_such(x, h):
    result = differentiate(lambda t: t * t, x, h=h)
    assert math.isnan(result.value)
    assert f"is below the resolution of x = {x:.6g}" in result.note
    assert "domain" not in result.note


def test_numeric_with_a_large_step_on_a_cubic_does_not_blame_a_pole(cli):
    result = cli("numeric", "3*x**3-5*x**2", "--at", "x=1.5", "--h", "0.5")
    assert result.exit_code == 0
    assert "pole" not in result.stderr and "too large for the function's curvature" in result.stderr
