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
