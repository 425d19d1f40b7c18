"""`diffcli check`: claimed derivatives judged against AD on F's domain, then SymPy.

Equivalent forms must pass; the mistakes students really make must fail, with a
counterexample that shows both values; usage errors exit 2.
"""

from __future__ import annotations

import json
import math

import pytest

import diffcli
from diffcli.checks.verdict import check, judge, prepare
from diffcli.errors import UsageError

# ------------------------------------------------------------------ equivalent forms pass

EQUIVALENT = [
    ("x**2*sin(x)", "2*x*sin(x) + x**2*cos(x)"),
    ("sin(x)**2", "sin(2*x)"),                         # 2 sin x cos x, written another way
    ("sin(x)**2", "2*sin(x)*cos(x)"),
    ("tan(x)", "1/cos(x)**2"),                          # sec²x
    ("tan(x)", "1 + tan(x)**2"),
    ("log(x**2)", "2/x"),                               # the ln rule, valid on x ≠ 0
    ("log(2*x)", "1/x"),                                # ln 2x = ln 2 + ln x
    ("log(x*(x + 1))", "1/x + 1/(x + 1)"),              # valid on F's domain only (x > 0 or x < -1)
    ("x**3/3 + log(x)", "x**2 + 1/x"),                  # F undefined for x < 0, where AD is still finite
    ("x**3/3 + log(x)", "x**2 + 1/abs(x)"),             # equal on F's domain: that is all that counts
    ("sqrt(x)", "0.5/sqrt(x)"),
    ("sqrt(x)", "1/(2*sqrt(x))"),
    ("exp(x)*sin(x)", "exp(x)*(sin(x) + cos(x))"),
    ("2**x", "log(2)*2**x"),
    ("x**x", "x**x*(log(x) + 1)"),
    ("abs(x)", "sign(x)"),
    ("abs(x)", "x/abs(x)"),                             # undefined only where F is not differentiable
    ("1/(1 + exp(-x))", "exp(-x)/(1 + exp(-x))**2"),
    ("sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))"),
    ("asin(x)", "1/sqrt(1 - x**2)"),
    ("atan(1/x)", "-1/(1 + x**2)"),
    ("0.1*x**2*3", "0.6*x"),                            # decimals compare as the decimals they spell
    ("x if x > 0 else -x", "1 if x > 0 else -1"),
]


@pytest.mark.parametrize("expr, claim", EQUIVALENT)
def test_equivalent_forms_are_correct(expr, claim):
    result = check(expr, claim)
    assert result.verdict == "correct", result.counterexample
    assert result.counterexample is None
    assert result.checked_points >= 200
    assert result.symbolic in ("equivalent", "not shown")


def test_sympy_confirms_the_classic_identities():
    for expr, claim in [("sin(x)**2", "sin(2*x)"), ("tan(x)", "1/cos(x)**2"), ("log(2*x)", "1/x")]:
        assert check(expr, claim).symbolic == "equivalent"


# ------------------------------------------------------------------ mistakes fail

MISTAKES = [
    # (F, wrong claim, component, a point where they differ is found; values at it checked below)
    ("sin(x**2)", "cos(x**2)"),                         # missing chain factor
    ("cos(x)", "sin(x)"),                               # sign
    ("x**2*sin(x)", "2*x*cos(x)"),                      # product rule forgotten
    ("2**x", "x*2**(x - 1)"),                           # the power rule applied to an exponential
    ("sin(x)/x", "(sin(x) - x*cos(x))/x**2"),           # quotient rule reversed
    ("log(2*x)", "1/(2*x)"),                            # chain factor dropped inside ln
    ("abs(x)", "1"),                                    # right only for x > 0
    ("x**2", "2*x + 1"),                                # an added constant
    ("x**2", "2*x + 1e-9"),                             # however small, where the terms are small
    ("x**3", "3*x**2 + x*(x - 1)*0.5"),                 # right only at x = 0 and x = 1
    ("x**3", "x**3 - x + 3*x**2 - x**3 + x"),           # right everywhere... (a control: see below)
    ("x**2", "2*x*x/x"),                                # undefined at x = 0, where F is differentiable
    ("x**2", "0 if 0.299 < x < 0.301 else 2*x"),        # wrong on a sliver no random sample hits
    ("exp(x)", "exp(x) if x < 40 else 0"),              # wrong only far from where people look
]


@pytest.mark.parametrize("expr, claim", [m for m in MISTAKES if m[1] != "x**3 - x + 3*x**2 - x**3 + x"])
def test_typical_mistakes_are_wrong(expr, claim):
    result = check(expr, claim, symbolic=False)
    assert result.verdict == "wrong"
    example = result.counterexample
    assert example.component == "df/dx"
    x = example.at["x"]
    # The counterexample is real: the true derivative (by central differences, independent of AD) is `actual`.
    from diffcli.checks.numeric import scalar_function  # noqa: F401 - the independent check below is SymPy's
    import sympy as sp
    from diffcli.ad.parse import parse
    from diffcli.checks.symbolic import to_sympy
    graph = parse(expr)
    (f,), symbols = to_sympy(graph, graph.outputs)
    truth = float(sp.diff(f, symbols["x"]).subs(symbols["x"], sp.Float(x, 30)).evalf(30))
    assert example.actual == pytest.approx(truth, rel=1e-12, abs=1e-300)
    assert not example.claimed == pytest.approx(truth, rel=1e-12, abs=1e-15) or math.isnan(example.claimed)


def test_the_control_rewrite_is_correct():
    assert check("x**3", "x**3 - x + 3*x**2 - x**3 + x").verdict == "correct"


def test_counterexamples_are_plain_points_with_both_values():
    assert check("x**2", "2*x + 1", symbolic=False).counterexample.at == {"x": 0.0}
    wrong = check("abs(x)", "1", symbolic=False).counterexample
    assert (wrong.at, wrong.claimed, wrong.actual) == ({"x": -1.0}, 1.0, -1.0)
    ln = check("log(2*x)", "1/(2*x)", symbolic=False).counterexample
    assert (ln.at, ln.claimed, ln.actual) == ({"x": 1.0}, 0.5, 1.0)
    undefined = check("x**2", "2*x*x/x", symbolic=False).counterexample
    assert undefined.at == {"x": 0.0} and math.isnan(undefined.claimed) and undefined.actual == 0.0


def test_a_difference_below_double_precision_is_found_by_sympy():
    assert check("x**2", "2*x + 1e-30", symbolic=False).counterexample.at == {"x": 0.0}  # seen where 2x = 0
    # On x > 0, 1/x ≥ 1e-4 in the sample: 1e-30 is far below its rounding error, but not SymPy's.
    assert check("log(x)", "1/x + 1e-30", symbolic=False).verdict == "correct"
    result = check("log(x)", "1/x + 1e-30")
    assert result.verdict == "wrong"
    assert result.symbolic == "different"
    assert result.counterexample.source == "SymPy"


# ------------------------------------------------------------------ higher orders, several variables

def test_higher_orders():
    assert check("exp(x)*sin(x)", "2*exp(x)*cos(x)", order=2).verdict == "correct"
    assert check("x**5", "60*x**2", order=3).verdict == "correct"
    wrong = check("x**5", "20*x**3", order=3, symbolic=False)
    assert wrong.verdict == "wrong" and wrong.counterexample.component == "d³f/dx³"


def test_gradients_named_or_listed_in_wrt_order():
    assert check("x**2*y", ["x: 2*x*y", "y: x**2"]).verdict == "correct"
    assert check("x**2*y", ["y: x**2", "x: 2*x*y"]).verdict == "correct"   # any order when named
    assert check("x**2*y", "[2*x*y, x**2]").verdict == "correct"
    assert check("x**2*y", "[x**2, 2*x*y]", wrt=["y", "x"]).verdict == "correct"
    assert check("x**2*y", "x: 2*x*y").verdict == "correct"               # one part of the gradient


def test_swapped_gradient_components_name_the_component():
    result = check("x**2*y", "[x**2, 2*x*y]", symbolic=False)
    assert result.verdict == "wrong"
    example = result.counterexample
    assert example.component == "∂f/∂x"
    assert example.actual == 2 * example.at["x"] * example.at["y"]
    assert example.claimed == example.at["x"] ** 2


def test_jacobian_and_hessian_claims():
    assert check("[x*y, x + y, sin(x)]", "[[y, x], [1, 1], [cos(x), 0]]", kind="jacobian").verdict == "correct"
    wrong = check("[x*y, x + y]", "[[y, x], [1, 0]]", kind="jacobian", symbolic=False)
    assert wrong.verdict == "wrong" and wrong.counterexample.component == "∂f2/∂y"
    assert wrong.counterexample.actual == 1.0 and wrong.counterexample.claimed == 0.0
    assert check("x**2*y + exp(x*y)", "[[2*y + y**2*exp(x*y), 2*x + exp(x*y)*(1 + x*y)],"
                 " [2*x + exp(x*y)*(1 + x*y), x**2*exp(x*y)]]", kind="hessian").verdict == "correct"
    off = check("x**2*y", "[[2*y, x], [x, 0]]", kind="hessian", symbolic=False)
    assert off.verdict == "wrong" and off.counterexample.component == "∂²f/∂x∂y"


def test_let_constants_may_appear_in_claims():
    assert check("a*sin(k*x)", "a*k*cos(k*x)", let={"a": 2.0, "k": 3.0}).verdict == "correct"
    assert check("a*sin(k*x)", "a*cos(k*x)", let={"a": 2.0, "k": 3.0}, symbolic=False).verdict == "wrong"


# ------------------------------------------------------------------ the domain and its trouble spots

def test_points_outside_the_domain_are_never_used():
    reference = prepare("x**3/3 + log(x)")
    assert (reference.points.columns["x"] > 0).all()
    # ... although reverse mode returns a finite gradient there:
    from diffcli.ad.parse import parse
    from diffcli.ad.reverse import gradient_reverse

    assert gradient_reverse(parse("x**3/3 + log(x)"), {"x": -2.0}, ["x"])[1]["x"] == pytest.approx(3.5)
    with pytest.raises(diffcli.MathError, match="log of a negative number"):  # the API, like the CLI, refuses
        diffcli.grad("x**3/3 + log(x)", at={"x": -2.0})


def test_points_where_f_is_not_differentiable_are_skipped_and_listed():
    result = check("abs(x)", "sign(x)")
    assert [s.at for s in result.skipped] == [{"x": 0.0}]
    assert "kink" in result.skipped[0].reason and "left -1, right 1" in result.skipped[0].reason
    infinite = check("sqrt(x)", "1/(2*sqrt(x))")
    assert [s.at for s in infinite.skipped] == [{"x": 0.0}]
    assert "infinite or undefined" in infinite.skipped[0].reason


def test_the_sample_reaches_near_edges_and_both_sides_of_kinks():
    edges = prepare("log(x)").points.columns["x"]
    assert edges.min() < 1e-12
    kinks = prepare("relu(x - 1)").points.columns["x"]
    assert ((kinks > 1) & (kinks < 1 + 1e-6)).any() and ((kinks < 1) & (kinks > 1 - 1e-6)).any()


def test_given_points_restrict_the_check():
    result = check("x**2", "2*x + (x - 1)*(x - 2)", at=[{"x": 1.0}, {"x": 2.0}])
    assert (result.verdict, result.checked_points, result.symbolic) == ("correct", 2, "not run")
    outside = check("log(x)", "1/x", at=[{"x": -1.0}, {"x": 2.0}])
    assert outside.checked_points == 1
    assert outside.skipped[0].at == {"x": -1.0} and "log of a negative number" in outside.skipped[0].reason


def test_no_point_of_the_domain_means_no_verdict():
    result = check("sqrt(-x**2)", "0")
    assert result.verdict == "undecided" and result.checked_points == 0


def test_the_sample_is_seeded():
    a, b = prepare("x**2", seed=3), prepare("x**2", seed=3)
    assert (a.points.columns["x"] == b.points.columns["x"]).all()
    assert not (prepare("x**2", seed=4).points.columns["x"] == a.points.columns["x"]).all()
    assert len(prepare("x**2", samples=50).points) < len(a.points)


def test_one_reference_judges_many_claims():
    reference = prepare("x**2*sin(x)")
    verdicts = [judge(reference, c, symbolic=False).verdict for c in ("2*x*sin(x) + x**2*cos(x)", "2*x*cos(x)")]
    assert verdicts == ["correct", "wrong"]


# ------------------------------------------------------------------ usage errors

USAGE = [
    ("x*y", ["z: 1"], {}, "'z' is not a variable of f"),
    ("x*y", ["[y, x, 1]"], {}, "3 components but the gradient has 2"),
    ("x*y", ["y"], {}, "name each part of the gradient"),
    ("x*y", ["2*(x"], {}, "syntax error"),
    ("x*y", ["x + z"], {}, "'z' is not a variable of f"),
    ("x*y", ["x: y", "x"], {}, "either name every claim"),
    ("x*y", ["x: y", "x: y"], {}, "claimed twice"),
    ("x**2", ["2*x"], {"order": 0}, "--order"),
    ("x**2", ["2*x"], {"kind": "hessian", "order": 2}, "--order"),
    ("[x, y]", ["1"], {}, "--jacobian"),
    ("x*y", ["[[y, x]]"], {"kind": "hessian"}, "must be 2×2"),
    ("x", ["1"], {"samples": 0}, "--samples"),
    (" + ".join(f"log({k} + x)" for k in range(4000)), ["1/x"], {}, "up to 10,000 graph nodes"),
    ("x**2", [" + ".join(f"{k}*x" for k in range(4000))], {}, "claims of up to 10,000"),
]


@pytest.mark.parametrize("expr, claim, options, message", USAGE)
def test_usage_errors(expr, claim, options, message):
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("(", r"\(")):
        check(expr, claim, **options)


def test_a_tensor_variable_is_refused():
    with pytest.raises(UsageError, match="scalar variables"):
        check("sum(x*A)", "A", let={"A": [1.0, 2.0]}, wrt=None, at=[{"x": 1.0}])


def test_the_api_function_is_the_same_check():
    result = diffcli.check("x**2", "2*x")
    assert result.verdict == "correct" and result.document()["verdict"] == "correct"


# ------------------------------------------------------------------ random formulas

import functools  # noqa: E402

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402



@functools.cache  # one strategy, not one per draw
def _formulas(formula_strategy):
    return formula_strategy(["x"], ["sin", "cos", "exp", "tanh", "atan", "abs"], ["log", "sqrt"],
                            square=lambda t: f"{t}**2", powers=True, branches=True, max_leaves=6)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_derivative_passes_and_a_nudged_one_fails(formula_strategy, data):
    """The derivative `steps` derives (itself checked against AD rule by rule) is correct;
    the same plus 1e-9·(1 + D + |D|), never less than 1e-9 nor than 2e-9·D, is wrong — a
    relative error far above rounding (a nudge D·(1 + 1e-9) + 1e-9 cancels where D = −1)."""
    from diffcli.views.steps import derive

    text = data.draw(_formulas(formula_strategy), label="formula")
    assume("x" in __import__("diffcli").parse(text).variables)
    derivative = derive(text, "x", verify=False).result_text
    assert check(text, derivative, symbolic=False).verdict in ("correct", "undecided")
    nudged = check(text, f"({derivative}) + 1e-9*(1 + ({derivative}) + abs({derivative}))", symbolic=False)
    assert nudged.verdict in ("wrong", "undecided")


# ------------------------------------------------------------------ the command

def test_cli_exit_codes_and_text(cli):
    right = cli("check", "x**2*sin(x)", "--claim", "2*x*sin(x) + x**2*cos(x)")
    assert right.exit_code == 0 and right.stdout.startswith("correct: df/dx = 2*x*sin(x) + x**2*cos(x)")
    wrong = cli("check", "abs(x)", "--claim", "1")
    assert wrong.exit_code == 1
    assert "wrong: df/dx at x = -1: claimed 1, actual -1" in wrong.stdout
    assert "x = 0: not differentiable here" in wrong.stdout
    assert cli("check", "x*y", "--claim", "z: 1").exit_code == 2
    assert cli("check", "x*y", "--claim", "[1, 2, 3]").exit_code == 2
    assert cli("check", "x**2").exit_code == 2                      # no claim
    assert cli("check", "x**2", "--claim", "2*x", "--format", "csv").exit_code == 2


def test_cli_json_document(cli):
    result = cli("check", "x*y", "--claim", "[x, y]", "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["verdict"] == "wrong"
    assert document["counterexample"] == {"at": {"x": 1.0, "y": -1.0}, "claimed": 1.0, "actual": -1.0,
                                          "component": "∂f/∂x", "source": "AD"}
    assert document["checked_points"] > 300 and document["skipped"] == [] and document["symbolic"] == "not run"
    right = json.loads(cli("check", "sin(x)**2", "--claim", "sin(2*x)", "--json").stdout)
    assert (right["verdict"], right["counterexample"], right["symbolic"]) == ("correct", None, "equivalent")


def test_cli_at_points_and_hessian(cli):
    assert cli("check", "x**2", "--claim", "2*x + (x - 1)*(x - 2)", "--at", "x=1", "--at", "x=2").exit_code == 0
    assert cli("check", "x**2", "--claim", "2*x", "--at", "y=1").exit_code == 2
    assert cli("check", "x**2*y", "--hessian", "--claim", "[[2*y, 2*x], [2*x, 0]]").exit_code == 0


def test_cli_claims_file(cli, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text('id,claim\nada,2*x*sin(x) + x**2*cos(x)\nbob,2*x*cos(x)\ncy,"2*x*sin(x"\n'
                       'dee,x**2*cos(x) + sin(x)*2*x\n')
    result = cli("check", "x**2*sin(x)", "--claims-file", str(answers), "--format", "csv", "--no-symbolic")
    assert result.exit_code == 0
    rows = [line.split(",")[:2] for line in result.stdout.strip().splitlines()]
    assert rows == [["id", "verdict"], ["ada", "correct"], ["bob", "wrong"], ["cy", "invalid"], ["dee", "correct"]]
    document = json.loads(cli("check", "x**2*sin(x)", "--claims-file", str(answers), "--json", "--no-symbolic").stdout)
    assert [r["verdict"] for r in document["rows"]] == ["correct", "wrong", "invalid", "correct"]
    assert "syntax error" in document["rows"][2]["message"]
    table = cli("check", "x**2*sin(x)", "--claims-file", str(answers), "--no-symbolic")
    assert table.exit_code == 0 and "bob" in table.stdout and "invalid" in table.stdout
    gradient = tmp_path / "gradient.csv"
    gradient.write_text("s1,2*x*y,x**2\ns2,x**2,2*x*y\n")  # one cell per component, in --wrt order
    rows = json.loads(cli("check", "x**2*y", "--claims-file", str(gradient), "--json", "--no-symbolic").stdout)["rows"]
    assert [r["verdict"] for r in rows] == ["correct", "wrong"]
    assert cli("check", "x", "--claims-file", str(tmp_path / "missing.csv")).exit_code == 2
