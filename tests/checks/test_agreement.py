"""Methods that should agree and do not are never silent (`checks.agreement`).

`grad "(x**2 + 1)**3 * sin(2*x) / exp(x)" --at x=468.65…` printed reverse mode's 2.81e-188
against SymPy's 2.76e-190 with exit 0: the difference is tiny in absolute terms, so
`--check` passed. Now an AD method is held to the size of the derivative's terms and central
differences to their own error estimate; beyond that a warning names the methods and
`--check` fails. Checked on a generated family where reverse mode is wrong (exp/division
towers at large arguments), and on ordinary formulas where no warning may appear.
"""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from diffcli.ad.flat import result_vector
from diffcli.ad.problem import make_problem
from diffcli.checks.compare import compare, compare_gradient

ISSUE = "(x**2 + 1)**3 * sin(2*x) / exp(x)"
WARNING = "reverse differs from symbolic by 1.0e+02 relative at this point, far beyond rounding; one of them is wrong here"


def test_the_issue_example_warns_and_fails_the_check(cli):
    result = cli("grad", ISSUE, "--at", "x=468.6514555938195", "--json")
    assert result.exit_code == 0
    assert WARNING in json.loads(result.stdout)["warnings"]
    checked = cli("grad", ISSUE, "--at", "x=468.6514555938195", "--check", "1e-6")
    assert checked.exit_code == 1
    assert checked.stderr.strip().endswith(f"check failed: {WARNING}")


def test_a_small_absolute_difference_is_not_small_against_the_terms():
    comparison = compare_gradient(make_problem(ISSUE, {"x": 468.6514555938195}), ("forward", "reverse", "symbolic"))
    assert comparison.check(1e-6) == WARNING
    assert comparison.disagreement == WARNING


def test_cancellation_to_nothing_is_not_a_disagreement():
    """d/dx (x·sin x − sin x·x) is 0 exactly for SymPy, and a rounding of the terms' size for AD."""
    comparison = compare_gradient(make_problem("x*sin(x) - sin(x)*x + 1e-9*(x*exp(x) - exp(x)*x)", {"x": 0.7}))
    assert comparison.disagreement is None and comparison.warnings == []


def test_kinks_keep_their_own_warning_only():
    comparison = compare_gradient(make_problem("abs(x)", {"x": 0.0}))
    assert comparison.kinks and comparison.disagreement is None
    assert not any("far beyond rounding" in warning for warning in comparison.warnings)


def test_central_differences_beyond_their_estimate_are_named():
    """A step of 0.5 on a cubic: truncation 0.25 against an estimate of the same order — fine;
    the same difference claimed with a tiny estimate would not be (here: x*detach(x), which
    central differences do not see)."""
    comparison = compare_gradient(make_problem("3*x**3 - 5*x**2", {"x": 1.5}), h=0.5)
    assert comparison.disagreement is None
    detached = compare_gradient(make_problem("x*detach(x)", {"x": 2.0}))
    assert detached.disagreement is None or detached.disagreement.startswith("central differs from symbolic")


@pytest.mark.parametrize("kind, options", [
    ("jacobian", {}), ("jvp", {"direction": {"x": 1.0}}), ("vjp", {"cotangent": [1.0, 0.0]}),
])
def test_every_kind_of_derivative_is_compared(kind, options):
    derivative = compare(kind, make_problem(f"[{ISSUE}, x]", {"x": 468.6514555938195}),
                         ("forward", "reverse", "symbolic") if kind != "jvp" else ("forward", "symbolic", "central"),
                         **options)
    if kind == "jvp":  # forward mode is exact here: nothing to say
        assert derivative.comparison.disagreement is None
    else:
        assert derivative.comparison.disagreement.startswith("reverse differs from symbolic by 1.0e+02 relative")


def test_the_hessian_is_compared_too():
    """∇²f by forward over the reverse-mode gradient graph inherits reverse mode's loss."""
    derivative = compare("hessian", make_problem(ISSUE, {"x": 468.6514555938195}), ("reverse", "symbolic"))
    assert derivative.comparison.disagreement.startswith("forward-over-reverse differs from symbolic by")


# ------------------------------------------------------------------ generated families

NUMERATORS = {"sin(2*x)": lambda t: mpmath.sin(2 * t), "cos(x)": mpmath.cos, "1": lambda t: mpmath.mpf(1),
              "log(x)": mpmath.log, "sqrt(x)": mpmath.sqrt, "atan(x)": mpmath.atan}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(degree=st.integers(1, 4), coefficient=st.floats(0.5, 5.0), x=st.floats(380.0, 700.0),
       numerator=st.sampled_from(sorted(NUMERATORS)), power=st.sampled_from(["", "**2"]))
def test_a_wrong_ad_result_is_never_silent(degree, coefficient, x, numerator, power):
    """Quotients by exp(x) (or its square) at large x, where reverse mode loses a term: whenever
    an AD method is off from a 50-digit reference by more than 1% of the derivative, the
    comparison names it; forward mode, exact here, is never named."""
    divisor = f"exp(x){power}"
    formula = f"({coefficient}*x**{degree} + 1) * {numerator} / {divisor}"
    with mpmath.workdps(60):
        t = mpmath.mpf(x)
        exact = mpmath.diff(lambda s: (coefficient * s**degree + 1) * NUMERATORS[numerator](s)
                            / mpmath.exp(s) ** (2 if power else 1), t)
    assume(1e-300 < abs(exact) < 1e300)
    comparison = compare_gradient(make_problem(formula, {"x": x}), ("forward", "reverse", "symbolic"))
    assume(comparison.reference == "symbolic")
    named = comparison.disagreement or ""
    for method in ("forward", "reverse"):
        error = float(abs((comparison.methods[method].result["x"] - exact) / exact))
        if error > 1e-2:
            assert named.startswith(method) or f"and {method}" in named, (method, error, formula)
    assert not named.startswith("forward")


def _formulas():
    leaves = st.sampled_from(["x", "y", "2", "0.5", "3"])
    unary = ["sin", "cos", "exp", "tanh", "atan", "sigmoid"]

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} / (1 + ({t[1]})*({t[1]})))"),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner).map(lambda t: f"log(1 + ({t[0]})*({t[0]}))"),
            st.tuples(inner, st.sampled_from(["2", "3"])).map(lambda t: f"({t[0]})**{t[1]}"),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=25, deadline=None)
@given(formula=_formulas(), x=st.floats(-2.0, 2.0), y=st.floats(-2.0, 2.0))
@example(formula="3*cos(x/(1+y*y))", x=1e-9, y=1.4e-305)  # ∂/∂y is 17 subnormal spacings: AD's 18 is rounding
@example(formula="log(1 + (((x)**3 - (x - y)))*(((x)**3 - (x - y))))", x=2.0**-52, y=2.0**-52)  # SymPy's 30 digits cancelled
@example(formula="y", x=1.16, y=2.2250738585e-313)  # central's step is subnormal: 1/step overflowed, 0·inf
@example(formula="sin(log(1 + y*y)**3)", x=0.0, y=1e-12)  # log(1 + y²) rounds to 0: its square is off by u², not 0
@example(formula="log(1 + (2/(1+x*x) * log(1 + y*y))**2)", x=0.3, y=1e-9)  # … a product's error is e_a·e_b there
@example(formula="log(1 + log(1 + x*x)**2)", x=1e-9, y=0.0)
def test_ordinary_formulas_raise_no_false_alarm(formula, x, y):
    """False alarms are defects too: at ordinary points every method agrees within what it promises."""
    assume("x" in formula or "y" in formula)
    problem = make_problem(formula, {"x": x, "y": y})
    comparison = compare_gradient(problem, ("forward", "reverse", "central", "symbolic"))
    assume(not comparison.kinks)
    assert comparison.disagreement is None, (formula, x, y, {
        name: (m.result, m.extra.get("error_estimate")) for name, m in comparison.methods.items()})


_TINY = st.one_of(st.floats(-2.0, 2.0), st.builds(lambda sign, mantissa, exponent: sign * mantissa * 10.0 ** exponent,
                                                   st.sampled_from([-1.0, 1.0]), st.floats(1.0, 9.99), st.integers(-320, 0)))


@settings(max_examples=10, deadline=None)
@given(formula=_formulas(), x=_TINY, y=_TINY)
@example(formula="cos(x) / (1 + cos(x)*cos(x))", x=1e-9, y=0.0)  # 1 − cos(x)² is 0: the terms it multiplies vanish
@example(formula="log(1 + log(1 + y*y)*log(1 + y*y))", x=0.05, y=-1e-129)  # log(1 + y²) is 0, off by u·y²
@example(formula="cos(log(1 + log(1 + x*x)*log(1 + x*x)))", x=1e-20, y=0.0)
@example(formula="(3*x) / (1 + (log(1 + x*x) / (1 + atan(2)*atan(2)))**2)", x=7.902455407787011e-38, y=1.9)
@example(formula="(0.5 / (1 + x*x)) / (1 + log(1 + y*y)*log(1 + y*y))", x=4.6e-190, y=-1e-56)
@example(formula="(x / (1 + log(1 + x*x)*log(1 + x*x))) + (x / (1 + 2*2))", x=1.9e-63, y=2e-104)
@example(formula="log(1 + (y*2)*(y*2))**3", x=1.89, y=1.175494351e-38)
@example(formula="cos(log(1 + (x / (1 + 3*3))*(x / (1 + 3*3))))", x=2.3684935785376606e-12, y=0.0)
def test_ordinary_hessians_raise_no_false_alarm(formula, x, y):
    """The Hessian's entries are held to the rounding of the values they are made of too (each row's
    reverse sweep as a graph): where a value such as log(1 + y²) rounds to 0, AD's Hessian loses
    the terms it multiplies, and SymPy keeps them — rounding, not a wrong result."""
    assume("x" in formula.replace("exp", "") or "y" in formula)
    problem = make_problem(formula, {"x": x, "y": y})
    comparison = compare("hessian", problem, ("reverse", "central", "symbolic")).comparison
    assume(not comparison.kinks)
    assert comparison.disagreement is None, (formula, x, y, {
        name: (m.result, m.extra.get("error_estimate")) for name, m in comparison.methods.items()})


@pytest.mark.parametrize("kind, formula, options, ad, symbolic", [
    ("hessian", "cos(x)/(1+cos(x)**2)", {}, [-5e-19], [-7.500000000000001e-19]),
    ("hessian", "log(1 + log(1+y*y)**2)", {}, [7.999999999999999e-258], [1.1999999999999999e-257]),
    ("jacobian", "[-sin(x)*(1-cos(x)**2)/(1+cos(x)**2)**2, y]", {}, [-5e-19, 0, 0, 1], [-7.500000000000001e-19, 0, 0, 1]),
    ("vjp", "[log(1 + log(1+x*x)**2), y]", {"cotangent": [1.0, 1.0]}, [0, 1], [4.000000000000001e-27, 1]),
    ("jvp", "[log(1 + log(1+x*x)**2), y]", {"direction": {"x": 1.0, "y": 0.0}}, [0, 0], [4.000000000000001e-27, 0]),
])
def test_every_kind_allows_for_the_rounding_of_its_values(kind, formula, options, ad, symbolic):
    """At x = 1e-9, y = −1e-129, cos(x) is 1 and log(1 + y²) is 0 in doubles: AD multiplies the
    terms by the rounded values and gives two thirds (or none) of SymPy's entry. That is the
    rounding of the values the derivative is made of, which each kind now allows for."""
    method = "forward" if kind == "jvp" else "reverse"
    point = {name: value for name, value in {"x": 1e-9, "y": -1e-129}.items() if name in formula}
    derivative = compare(kind, make_problem(formula, point), (method, "symbolic"), **options)
    comparison = derivative.comparison
    assert comparison.disagreement is None and comparison.warnings == []
    results = {name: np.asarray(result_vector(m.result, comparison.wrt), dtype=np.float64).ravel().tolist()
               for name, m in comparison.methods.items()}
    assert results == {"forward-over-reverse" if kind == "hessian" else method: ad, "symbolic": symbolic}


def test_a_factorisation_rounds_relative_to_the_whole_matrix():
    """det's Hessian at a nearly singular A: the entries for two entries of one row are exactly 0
    (det is linear in each row), and the SVD behind AD's adjugate gives them as ±4e-16 — rounding
    relative to ‖A‖, which the terms' size of a factorised op now says (`Primitive.factorised`)."""
    matrix = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.00000000000001]])
    derivative = compare("hessian", make_problem("det(A)", {"A": matrix}), ("reverse", "central", "symbolic"))
    comparison = derivative.comparison
    assert comparison.disagreement is None and comparison.warnings == []
    ad = np.asarray(comparison.methods["forward-over-reverse"].result, dtype=np.float64)
    assert np.asarray(comparison.methods["symbolic"].result, dtype=np.float64)[0].tolist() == [0, 0, 0, 0, 9.00000000000001, -8, 0, -6, 5]
    assert 0 < np.max(np.abs(ad - np.asarray(comparison.methods["symbolic"].result, dtype=np.float64))) < 1e-14


@pytest.mark.parametrize("kind, options", [
    ("gradient", {}), ("jacobian", {}), ("vjp", {"cotangent": [1.0, 0.0]}), ("jvp", {"direction": {"x": 0.0, "y": 1.0}}),
])
def test_a_derivative_below_the_normal_range_is_rounded_not_wrong(kind, options):
    """∂/∂y of 3·cos(x/(1 + y²)) at x = 1e-9, y = 1.4e-305 is 8.4e-323: 17 multiples of 2⁻¹⁰⁷⁴, where every
    product rounds to a whole multiple. AD's products take it to 18 (9e-323) — rounding, not a wrong result."""
    formula = "3*cos(x/(1+y*y))" if kind == "gradient" else "[3*cos(x/(1+y*y)), x]"
    methods = ("forward", "symbolic", "central") if kind == "jvp" else ("forward", "reverse", "symbolic")
    derivative = compare(kind, make_problem(formula, {"x": 1e-9, "y": 1.4e-305}), methods, **options)
    assert derivative.comparison.disagreement is None
    if kind == "gradient":
        assert derivative.comparison.methods["forward"].result["y"] == 9e-323
        assert derivative.comparison.methods["symbolic"].result["y"] == 8.4e-323


def test_a_harmless_underflow_far_from_any_disagreement():
    """The Gaussian tail underflows next to x: every method gives 1."""
    comparison = compare_gradient(make_problem("x + exp(-x**2)", {"x": 27.0001}))
    assert comparison.warnings == [] and comparison.disagreement is None


def test_vector_variables():
    comparison = compare_gradient(make_problem("sum(x * sin(x)) / exp(sum(x))", {"x": np.array([200.0, 250.0])}),
                                  ("forward", "reverse", "symbolic"))
    assert comparison.disagreement is not None and comparison.disagreement.startswith("reverse differs")
