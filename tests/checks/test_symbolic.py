"""The SymPy reference: its time limit (an interrupt that gets lost is repeated, nothing is left
armed), and how it fails (as a method's status, never a crash)."""

from __future__ import annotations

import math
import signal
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from diffcli.ad.problem import make_problem
from diffcli.checks.compare import compare_gradient, compare_hessian, compare_jacobian
from diffcli.checks.symbolic import SymbolicTimeout, time_limit
from diffcli.errors import MathError, UsageError


def test_an_interrupt_swallowed_once_is_repeated():
    swallowed = 0
    began = time.monotonic()
    with pytest.raises(SymbolicTimeout):
        with time_limit(0.05):
            while time.monotonic() - began < 5:
                try:
                    time.sleep(0.001)
                except SymbolicTimeout:
                    if swallowed:
                        raise
                    swallowed += 1  # lost, as in a __del__ or a weakref callback
    assert swallowed == 1 and time.monotonic() - began < 1


def test_the_alarm_and_the_handler_are_restored():
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(10):
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    with pytest.raises(SymbolicTimeout), time_limit(0.01):
        time.sleep(1)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def test_an_interrupt_lost_in_a_destructor_is_not_printed_and_comes_again():
    reported = []

    class Slow:
        def __del__(self):
            time.sleep(0.5)  # the alarm fires in here, where an exception cannot propagate

    previous = sys.unraisablehook
    sys.unraisablehook = reported.append
    began = time.monotonic()
    try:
        with pytest.raises(SymbolicTimeout), time_limit(0.05):
            Slow()  # dropped at once: its __del__ swallows the first interrupt
            time.sleep(5)
    finally:
        sys.unraisablehook = previous
    assert reported == []  # nothing printed as "Exception ignored in …"
    assert time.monotonic() - began < 1
    assert sys.unraisablehook is previous


@pytest.mark.parametrize("seconds", [float("inf"), 1e400, 1e10, 1e300, 1e7, 0.5])
def test_any_positive_time_limit_is_accepted(seconds):
    with time_limit(seconds):
        total = sum(range(1000))
    assert total == 499500


def test_an_inner_limit_does_not_cancel_the_outer_one():
    began = time.monotonic()
    with pytest.raises(SymbolicTimeout):
        with time_limit(0.3):
            with time_limit(100.0):
                pass  # the inner block ends long before its limit; the outer one must still fire
            while time.monotonic() - began < 5:
                pass
    assert time.monotonic() - began < 2


def test_an_inner_limit_cannot_outlast_the_outer_one():
    began = time.monotonic()
    with pytest.raises(SymbolicTimeout):
        with time_limit(0.3):
            with time_limit(100.0):
                while time.monotonic() - began < 5:
                    pass
    assert time.monotonic() - began < 2


SYMPY_COMMANDS = [
    ["grad", "x**2", "--at", "x=1"],
    ["jvp", "x**2", "--at", "x=1", "--dir", "x=1"],
    ["vjp", "x**2", "--at", "x=1", "--cotangent", "1"],
    ["jacobian", "[x**2, x]", "--at", "x=1"],
    ["hessian", "x**3", "--at", "x=1"],
    ["diff", "x**2"],
    ["taylor", "x**2", "--at", "x=1", "--order", "2"],
]


@pytest.mark.parametrize("args", SYMPY_COMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize("seconds", ["inf", "1e400", "1e10"])
def test_huge_symbolic_timeouts_work_in_every_command(cli, args, seconds):
    result = cli(*args, "--symbolic-timeout", seconds, "--json")
    assert result.exit_code == 0, result.output


def test_lagrange_accepts_an_infinite_exact_timeout(cli):
    result = cli("lagrange", "x*y", "-s", "x**2 + y**2 = 1", "--exact", "--exact-timeout", "inf", "--starts", "4",
                 "--json")
    assert result.exit_code == 0, result.output


# ------------------------------------------------------- the reference is right, or says why not



@pytest.mark.parametrize("formula, point, expected", [
    # SymPy left d/dx sign(u) unevaluated when it could not tell u was real: a crash, or null.
    ("sign(log(x)) + x", {"x": 2.3}, 1.0),
    ("cbrt(log(x))", {"x": 2.65}, 1 / (3 * 2.65 * math.log(2.65) ** (2 / 3))),
    ("cbrt(log(2.7)*x**0.5)", {"x": 0.477}, 0.3081554715643309),
    # Complex intermediates (log of exp of sqrt of a real symbol) reduce to the real value.
    ("log(exp(sqrt(x)))", {"x": 4.0}, 0.25),
    ("atan(log(sign(x/w)))", {"x": -1.0, "w": -0.47}, 0.0),
    # The branch not taken is never built: acosh(y) for y < 1 is not real.
    ("(x if acosh(y) > 0 else 2*x) if y > 1 else 3*x", {"x": 1.0, "y": -1.5}, 3.0),
    ("x if x > 0 else log(x)", {"x": 2.0}, 1.0),
])
def test_the_symbolic_reference_where_it_used_to_crash_or_be_empty(formula, point, expected):
    c = compare_gradient(make_problem(formula, point), ("reverse", "symbolic"))
    symbolic = c.methods["symbolic"]
    assert symbolic.status == "ok", symbolic.message
    assert c.reference == "symbolic"
    assert symbolic.result["x"] == pytest.approx(expected, rel=1e-14, abs=1e-300)


def test_the_symbolic_hessian_of_a_cube_root_of_a_log():
    # True value -0.105178976573737…: SymPy gave null (issue 11, item 7).
    d = compare_hessian(make_problem("cbrt(log(exp(sqrt(x)), 10.0))", {"x": 1.0}), ("reverse", "symbolic"))
    symbolic = d.comparison.methods["symbolic"]
    assert symbolic.status == "ok" and d.comparison.reference == "symbolic"
    assert symbolic.result[0, 0] == pytest.approx(-0.10517897657373717, rel=1e-14)


def test_the_symbolic_jacobian_of_a_cube_root_is_not_empty():
    d = compare_jacobian(make_problem("[cbrt(log(2.7)*x**0.5), x]", {"x": 0.477}), ("reverse", "symbolic"))
    np.testing.assert_allclose(d.comparison.methods["symbolic"].result, [[0.3081554715643309], [1.0]], rtol=1e-14)


def test_what_sympy_cannot_evaluate_is_the_methods_status():
    # sin(1/x) near 0 oscillates: SymPy's limit is a range (AccumBounds), the value undefined.
    from diffcli.checks.symbolic import SymbolicFailed, value_at
    import sympy as sp

    x = sp.Symbol("x", real=True)
    assert math.isnan(value_at(sp, sp.sin(1 / x), {x: sp.Integer(0)}))
    with pytest.raises(SymbolicFailed):
        value_at(sp, sp.Function("g")(x), {x: sp.Integer(1)})


UNARY = ["sin", "exp", "log", "sqrt", "cbrt", "abs", "sign", "relu", "tanh", "acosh", "atan", "detach", "asin"]
BINARY = ["+", "-", "*", "/", "**"]


def _formulas() -> st.SearchStrategy[str]:
    leaves = st.sampled_from(["x", "y", "2", "0.5", "-1.5", "pi"])

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.sampled_from(BINARY), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} > 0 else {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"log({t[0]}, {t[1]})"),
        )

    return st.recursive(leaves, extend, max_leaves=6)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(formula=_formulas(), x=st.sampled_from([-2.0, -0.5, 0.0, 0.3, 1.0, 2.65]),
       y=st.sampled_from([-1.5, 0.0, 0.7, 3.0]))
def test_the_symbolic_reference_agrees_with_ad_or_says_why_not(formula, x, y):
    """Whatever the formula, SymPy's gradient is ok and matches AD (where AD's is finite and the
    point is no kink), or the method says why not — the command never crashes."""
    try:
        c = compare_gradient(make_problem(formula, {"x": x, "y": y}), ("reverse", "symbolic"), symbolic_timeout=5)
    except (MathError, UsageError):
        assume(False)  # undefined at the point: the command reports it (other tests)
    symbolic, reverse = c.methods["symbolic"], c.methods["reverse"]
    assert symbolic.status in ("ok", "failed", "timed out", "skipped")
    if symbolic.status != "ok":
        assert symbolic.message
        return
    ad = np.array([float(reverse.result[n]) for n in c.wrt])
    sym = np.array([float(symbolic.result[n]) for n in c.wrt])
    if c.kinks or c.warnings or not np.isfinite(ad).all() or not np.isfinite(sym).all():
        return  # at a kink or a pole the two may pick different one-sided values: warned about
    np.testing.assert_allclose(sym, ad, rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(ad).max())))


# ------------------------------------------------------------------------ detach everywhere


@pytest.mark.parametrize("formula, point, gradient", [
    ("x*detach(x)", {"x": 2.0}, {"x": 2.0}),
    ("y = detach(x); sum(x*y)", {"x": [1.0, 2.0, 3.0]}, {"x": [1.0, 2.0, 3.0]}),
    ("sum(detach(A @ x) * x)", {"x": [1.0, -1.0], "A": [[1.0, 2.0], [3.0, 4.0]]},
     {"x": [-1.0, -1.0], "A": [[0.0, 0.0], [0.0, 0.0]]}),
    ("exp(detach(x)) * x**2", {"x": 0.5}, {"x": 2 * 0.5 * math.exp(0.5)}),
])
def test_every_method_holds_detach_fixed(formula, point, gradient):
    c = compare_gradient(make_problem(formula, point), explicit=True)
    for name, m in c.methods.items():
        assert m.status == "ok", (name, m.message)
        for variable, expected in gradient.items():
            np.testing.assert_allclose(m.result[variable], expected, rtol=1e-8, atol=1e-9, err_msg=name)
    assert c.check(1e-6) is None


@pytest.mark.parametrize("command", ["jacobian", "hessian", "jvp", "vjp"])
def test_detach_on_a_tensor_in_the_jacobian_family(cli, command):
    extra = {"jvp": ["--dir", "x=[1,0,1]"], "vjp": ["--cotangent", "1"]}.get(command, [])
    formula = "y = detach(x); sum(x*y*x)" if command == "hessian" else "y = detach(x); x*y"
    result = cli(command, formula, "--at", "x=[1,2,3]", *extra, "--json", "--check", "1e-6")
    assert result.exit_code == 0, result.output
    import json

    document = json.loads(result.stdout)
    assert {m["status"] for m in document["methods"].values()} == {"ok"}
    if command == "hessian":
        # f = Σ xᵢ²·cᵢ with c held: ∇²f = diag(2c) = diag(2, 4, 6).
        assert document["methods"]["symbolic"]["hessian"] == [[2, 0, 0], [0, 4, 0], [0, 0, 6]]


def test_diff_prints_detach_as_written(cli):
    result = cli("diff", "x*detach(x)", "--json")
    assert result.exit_code == 0
    import json

    assert json.loads(result.stdout)["derivatives"] == {"x": "detach(x)"}


def test_taylor_holds_detach_at_the_centre(cli):
    import json

    result = cli("taylor", "x**2*detach(x)", "--at", "x=2", "--order", "3", "--json")
    document = json.loads(result.stdout)
    assert document["coefficients"] == [8.0, 8.0, 2.0, 0.0]
    assert document["symbolic"]["values"] == [8.0, 8.0, 2.0, 0.0]
