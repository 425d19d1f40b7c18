"""The Python API: the commands' defaults, checks, documents and tables, as functions.

Every function is checked against its command: `to_dict()` is the command's `--json`
document, a bad input raises UsageError where the command exits 2 and MathError where
it exits 1, and the warnings the command prints are DiffcliWarnings.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffcli
from diffcli import DiffcliWarning, MathError, UsageError

FAST = ["forward", "reverse", "central"]


def strip_times(document):
    """Documents without wall times (they differ run to run)."""
    if isinstance(document, dict):
        return {k: strip_times(v) for k, v in document.items() if k != "seconds"}
    if isinstance(document, list):
        return [strip_times(v) for v in document]
    return document


@pytest.mark.parametrize("function, args, kwargs, command", [
    ("grad", ["x*y + sin(x)"], {"at": "x=1,y=2", "method": FAST}, ["grad", "x*y + sin(x)", "--at", "x=1,y=2"]),
    ("jvp", ["[x*y, x+y]"], {"at": "x=1,y=2", "direction": "x=3,y=4", "method": FAST},
     ["jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "x=3,y=4"]),
    ("vjp", ["x*1024"], {"at": "x=[1,2,3]", "cotangent": "[0.1,1,0.0001]", "method": FAST},
     ["vjp", "x*1024", "--at", "x=[1,2,3]", "--cotangent", "[0.1,1,0.0001]"]),
    ("jacobian", ["A @ x"], {"at": "x=[1,-1]", "let": "A=[[1,2],[3,4],[5,6]]", "method": FAST},
     ["jacobian", "A @ x", "--at", "x=[1,-1]", "--let", "A=[[1,2],[3,4],[5,6]]"]),
    ("hessian", ["x**2*y + exp(x*y)"], {"at": "x=0.5,y=1", "method": FAST},
     ["hessian", "x**2*y + exp(x*y)", "--at", "x=0.5,y=1"]),
    ("trace", ["c = a + b; d = a*c"], {"at": "a=2,b=3"}, ["trace", "c = a + b; d = a*c", "--at", "a=2,b=3"]),
    ("numeric", ["3*x**3 - 5*x**2"], {"at": "x=1.5", "sweep": True},
     ["numeric", "3*x**3 - 5*x**2", "--at", "x=1.5", "--sweep"]),
    ("taylor", ["exp(x)*sin(x)"], {"at": "x=0", "order": 4}, ["taylor", "exp(x)*sin(x)", "--at", "x=0", "--order", "4"]),
    ("diff", ["3*x**3 - 5*x**2"], {}, ["diff", "3*x**3 - 5*x**2"]),
    ("graph", ["c = a + b; d = a*c"], {"at": "a=2,b=3"}, ["graph", "c = a + b; d = a*c", "--at", "a=2,b=3"]),
])
def test_to_dict_is_the_commands_json_document(cli, function, args, kwargs, command):
    method = ["-m", ",".join(FAST)] if "method" in kwargs else []
    result = cli(*command, *method, "--json")
    assert result.exit_code == 0, result.output
    api_result = getattr(diffcli, function)(*args, **kwargs)
    assert strip_times(api_result.to_dict()) == strip_times(json.loads(result.stdout))
    assert json.loads(api_result.to_json()) == api_result.to_dict()


def test_results_are_typed_and_plain():
    r = diffcli.grad("3*x**3 - 5*x**2", at={"x": 1.5})
    assert isinstance(r, diffcli.GradResult)
    assert r.grad == {"x": 5.25} and r["x"] == 5.25 and r.value == -1.125 and r.reference == "symbolic"
    assert {row["method"] for row in r.rows()} == {"forward", "reverse", "central", "symbolic"}
    assert [row["reference"] for row in r.rows()].count(True) == 1
    j = diffcli.jacobian("[x*y, x+y]", at={"x": 1.0, "y": 2.0}, method="forward,reverse")
    assert j.result.tolist() == [[2.0, 1.0], [1.0, 1.0]] and j.inputs == ["x", "y"] and j.outputs == ["f1", "f2"]
    v = diffcli.jvp("x**2", at={"x": [1.0, 2.0, 3.0]}, direction={"x": [1.0, 1.0, 1.0]}, method="forward")
    assert v.result.tolist() == [2.0, 4.0, 6.0]  # the shape the table shows, not [[2, 4, 6]]
    assert v.to_dict()["unit_jvp"] == pytest.approx([2 / 3**0.5, 4 / 3**0.5, 6 / 3**0.5])
    assert diffcli.compare("x*y", at="x=1,y=2", method=FAST)[0]["grad"] == {"x": 2.0, "y": 1.0}


def test_results_print_and_render_in_jupyter():
    r = diffcli.grad("3*x**3 - 5*x**2", at="x=1.5", method=FAST)
    text = str(r)
    assert text.splitlines()[0] == "f(x=1.5) = -1.125" and "reverse *" in text
    assert r._repr_markdown_().splitlines()[2].startswith("| method | ∂f/∂x |")
    assert r._repr_html_().count("<tr>") == 4 and "<th" in r._repr_html_()
    assert "\\begin{tabular}" in r.to_latex() and "$\\partial f/\\partial x$" in r.to_latex()
    j = diffcli.jacobian("[x*y, x+y]", at="x=1,y=2", method="forward")
    assert "J = \\begin{bmatrix}\n2 & 1 \\\\\n1 & 1\n\\end{bmatrix}" in j.to_latex()
    t = diffcli.trace("c = a + b; d = a*c", at="a=2,b=3")
    assert "\\begin{tabular}{llrrl}" in t.to_latex()
    assert "d = a * c" in str(t)


@pytest.mark.parametrize("call, message", [
    (lambda: diffcli.grad("x+", at="x=1"), "syntax error"),
    (lambda: diffcli.grad("x*y", at="x=1"), "no value given for the variable 'y'"),
    (lambda: diffcli.grad("x", at="x=1", method="forward,wrong"), "wrong"),
    (lambda: diffcli.grad("x", at="x=1", check=-1), "--check"),
    (lambda: diffcli.grad("x", at="x=1", symbolic_timeout=0), "--symbolic-timeout"),
    (lambda: diffcli.jvp("x", at="x=1"), "--dir is required"),
    (lambda: diffcli.vjp("x", at="x=1"), "--cotangent is required"),
    (lambda: diffcli.jacobian("x", at="x=1", mode="sideways"), "--mode"),
    (lambda: diffcli.trace("x", at="x=1", mode="sideways"), "--mode"),
    (lambda: diffcli.trace("x", at="x=1", direction="x=1"), "--dir"),
    (lambda: diffcli.taylor("x*y", at="x=1,y=2", wrt="x,y"), "--wrt"),
    (lambda: diffcli.numeric("x", at="x=1", sweep=True, h=1e-3), "--h"),
    (lambda: diffcli.diff("x", order=0), "--order"),
    (lambda: diffcli.graph("[x, x*y]", gradient=True), "scalar"),
])
def test_usage_errors_are_raised_where_the_cli_exits_2(call, message):
    with pytest.raises(UsageError, match=message) as error:
        call()
    assert error.value.exit_code == 2


@pytest.mark.parametrize("call, message", [
    (lambda: diffcli.grad("log(x)", at="x=-1"), "log of a negative number"),
    (lambda: diffcli.grad("x**3", at="x=1", method=FAST, h=0.5, check=1e-6), "check failed: central"),
    (lambda: diffcli.taylor("1/x", at="x=0", symbolic=False), "division by zero"),
])
@pytest.mark.filterwarnings("ignore::diffcli.errors.DiffcliWarning")  # the central row's own warning, before the check
def test_math_errors_are_raised_where_the_cli_exits_1(call, message):
    with pytest.raises(MathError, match=message) as error:
        call()
    assert error.value.exit_code == 1


def test_warnings_are_diffcli_warnings():
    with pytest.warns(DiffcliWarning, match="not differentiable here: abs"):
        r = diffcli.grad("abs(x)", at="x=0", method="forward,reverse")
    assert r.warnings and r.kinks
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        diffcli.grad("abs(x)", at="x=0", method="forward,reverse", quiet=True)  # quiet: kept, not issued


def test_non_finite_values_are_null_and_explained():
    with pytest.warns(DiffcliWarning):
        r = diffcli.grad("1/x", at="x=1e-160", method="forward,reverse")
    document = r.to_dict()
    assert document["methods"]["reverse"]["grad"] == {"x": None}
    assert document["nonfinite"] == {"/methods/forward/grad/x": "-inf", "/methods/reverse/grad/x": "-inf"}
    assert r.grad["x"] == -np.inf  # the result itself keeps the number


def test_save_writes_the_output_files(tmp_path):
    h = diffcli.hessian("x.T@A@x", at={"x": [1.0, 2.0]}, let={"A": [[1.0, 2.0], [3.0, 4.0]]}, method="forward")
    h.save(tmp_path / "h.npy")
    assert np.load(tmp_path / "h.npy").tolist() == [[2.0, 5.0], [5.0, 8.0]]


# ----------------------------------------------------------- one code path: every outcome of the command


@pytest.mark.parametrize("formula, point, message", [
    ("log(x)", {"x": -1}, "log of a negative number: log(-1) is undefined (column 1)"),
    ("sqrt(x)", {"x": -4}, "sqrt of a negative number: sqrt(-4) is undefined (column 1)"),
    ("1/x", {"x": 0}, "division by zero: 1/0 (column 2)"),
    ("logdet(A)", {"A": [[1.0, 2.0], [3.0, 4.0]]},
     "logdet of a matrix with negative determinant (-2): the log is undefined (column 1)"),
    ("exp(log(x))", {"x": 0}, "log of zero: log(0) is -infinity (column 5)"),
])
def test_the_api_fails_with_the_commands_message_where_it_exits_1(cli, formula, point, message):
    with pytest.raises(MathError) as caught:
        diffcli.grad(formula, at=point)
    assert str(caught.value) == message
    at = ",".join(f"{k}={json.dumps(v)}" for k, v in point.items())
    result = cli("grad", formula, "--at", at)
    assert result.exit_code == 1 and result.stderr == f"diffcli: error: {message}\n"


@pytest.mark.parametrize("call", [
    lambda: diffcli.jvp("[log(x), x]", at={"x": -1}, direction={"x": 1}),
    lambda: diffcli.vjp("[log(x), x]", at={"x": -1}, cotangent=[1, 1]),
    lambda: diffcli.jacobian("[log(x), x]", at={"x": -1}, mode="forward"),
    lambda: diffcli.hessian("log(x)", at={"x": -1}),
])
def test_every_api_function_checks_the_point(call):
    with pytest.raises(MathError, match=r"log of a negative number"):
        call()


@pytest.mark.parametrize("value", [np.nan, np.inf, "abc", [1.0, np.nan], {"a": 1}])
def test_the_api_refuses_values_the_command_refuses(value):
    with pytest.raises(UsageError, match="the value of 'x'"):
        diffcli.grad("sum(x)", at={"x": value})


def test_an_infinite_derivative_is_a_warning_in_the_api_too():
    with pytest.warns(DiffcliWarning, match=r"the derivative of sqrt at column 1 is infinite"):
        assert diffcli.grad("sqrt(x)", at={"x": 0}, method="reverse").grad["x"] == np.inf


def test_the_api_results_keep_their_shapes():
    assert diffcli.hessian("x**2*y", {"x": 1.0, "y": 2.0}, method="forward").result.tolist() == [[4.0, 2.0], [2.0, 0.0]]
    assert [float(t) for t in diffcli.jvp("[x*y, x]", {"x": 1, "y": 2}, {"x": 1}, method="forward").result] == [2.0, 1.0]
    vjp = diffcli.vjp("[x*y, x]", {"x": 1, "y": 2}, [1, 1], method="reverse")
    assert {k: float(vjp[k]) for k in ("x", "y")} == {"x": 3.0, "y": 1.0}
    assert diffcli.jacobian("[x*y, x]", {"x": 1, "y": 2}, mode="forward").result.tolist() == [[2.0, 1.0], [1.0, 0.0]]
    assert diffcli.vjp("x*1024", {"x": [1, 2, 3]}, [0.1, 1.0, 0.0001], method="reverse")["x"].tolist() == \
        [102.4, 1024.0, 0.1024]


_LEAVES = ["x", "y", "0", "1", "2.5", "-1"]
_FUNCTIONS = ["log", "sqrt", "exp", "abs", "acos", "atan", "tanh", "relu", "sign"]


def _formulas() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(st.sampled_from(_FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.sampled_from(["+", "*", "/", "**"]), inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} > 0 else {t[2]})"),
        )

    return st.recursive(st.sampled_from(_LEAVES), extend, max_leaves=6)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(formula=_formulas(), x=st.sampled_from(["0", "1", "-2", "0.5", "1e300"]), y=st.sampled_from(["0", "-1", "3"]))
def test_the_api_and_the_command_agree_on_every_outcome(cli, formula, x, y):
    result = cli("grad", formula, "--at", f"x={x},y={y}", "--method", "reverse", "--json")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            gradient = diffcli.grad(formula, at={"x": float(x), "y": float(y)}, method="reverse")
        except (MathError, UsageError) as error:
            assert result.exit_code == error.exit_code and result.stderr == f"diffcli: error: {error}\n"
            return
    assert result.exit_code == 0, result.stderr
    assert strip_times(json.loads(result.stdout)) == strip_times(json.loads(gradient.to_json()))
    api_warnings = [str(w.message) for w in caught if issubclass(w.category, DiffcliWarning)]
    assert api_warnings == gradient.warnings
