"""`diffcli steps`: derivations rule by rule, each line checked against AD, the result against SymPy."""

from __future__ import annotations

import json

import pytest

from diffcli.ad.parse import FUNCTIONS, parse
from diffcli.ad.ops import PRIMITIVES
from diffcli.checks.verdict import check
from diffcli.errors import UsageError
from diffcli.views.algebra import show
from diffcli.views.steps import derive
from diffcli.views.steps_text import document, render


def rules(expr: str, wrt: str | None = None) -> list[str]:
    return [s.rule for s in derive(expr, wrt).steps]


# ------------------------------------------------------------------ every elementary function

def _scalar_functions() -> list[tuple[str, str, int]]:
    """(spelling, op, arity) of every function of the language that acts on numbers one by one."""
    found = []
    for name in sorted(FUNCTIONS):
        probe = {1: f"{name}(x)", 2: f"{name}(x, 2)"}
        for arity, text in probe.items():
            try:
                graph = parse(text)
            except UsageError:
                continue
            op = graph.ops[graph.outputs[0]]
            if op in PRIMITIVES and "elementwise" in PRIMITIVES[op].tags:
                found.append((name, op, arity))
            break
    return found


FUNCTION_CASES = _scalar_functions()


def test_the_table_of_functions_covers_the_language():
    ops = {op for _, op, _ in FUNCTION_CASES}
    assert {"sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "exp",
            "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "abs", "sign", "sigmoid", "relu", "softplus",
            "atan2", "maximum", "minimum", "detach", "where"} <= ops | {"where"}


@pytest.mark.parametrize("name, op, arity", FUNCTION_CASES)
def test_each_function_alone_and_inside_a_chain(name, op, arity):
    # u = x directly: the function's own rule; u = 2x: the chain rule, inner function named.
    second = ", 0.3" if arity == 2 else ""
    direct = derive(f"{name}(x{second})", "x")
    expected = "detach" if op == "detach" else op
    assert direct.steps[0].rule == expected
    assert direct.steps_verified and direct.verdict.verdict == "correct"
    chained = derive(f"{name}(2*x{second})", "x")
    if op != "detach":
        assert chained.steps[0].rule == "chain"
        assert show(chained.steps[0].inner) == "2*x"
    assert chained.steps_verified and chained.verdict.verdict == "correct"


DERIVATIVES = [  # the rule text comes from the op table, in its numerically stable forms
    ("sin(x)", "cos(x)"), ("cos(x)", "-sin(x)"), ("tan(x)", "1 + tan(x)**2"), ("exp(x)", "exp(x)"),
    ("log(x)", "1/x"), ("sqrt(x)", "1/(2*sqrt(x))"), ("atan(x)", "1/(1 + x**2)"), ("asin(x)", "1/sqrt((1 - x)*(1 + x))"),
    ("sinh(x)", "cosh(x)"), ("tanh(x)", "1/cosh(x)**2"), ("log2(x)", "1/(log(2)*x)"), ("abs(x)", "sign(x)"),
    ("sigmoid(x)", "sigmoid(x)*sigmoid(-x)"), ("relu(x)", "(x > 0)"), ("x**7", "7*x**6"),
    ("2**x", "2**x*log(2)"), ("atan2(x, 1)", "1/(x**2 + 1)"), ("asinh(x)", "1/sqrt(x**2 + 1)"), ("x**-2", "-2/x**3"), ("1/x", "-1/x**2"), ("x", "1"), ("detach(x)", "0"),
]


@pytest.mark.parametrize("expr, result", DERIVATIVES)
def test_elementary_results(expr, result):
    assert derive(expr, "x").result_text == result


# ------------------------------------------------------------------ the rules

def test_the_slide_example():
    derivation = derive("3*x**3 - 5*x**2")
    assert [s.rule for s in derivation.steps] == ["difference", "constant multiple", "power", "constant multiple",
                                                  "power"]
    assert [show(s.target, "text") for s in derivation.steps] == [
        "d/dx[3x³] − d/dx[5x²]", "3·d/dx[x³]", "3x²", "5·d/dx[x²]", "2x"]
    assert show(derivation.assembled, "text") == "3·(3x²) − 5·(2x)"
    assert show(derivation.result, "text") == "9x² − 10x"
    assert derivation.result_text == "9*x**2 - 10*x"
    assert render(derivation).splitlines()[-3].strip().startswith("= 9x² − 10x")


RULES = [
    ("x**2 + sin(x)", ["sum", "power", "sin"]),
    ("x**2 - 3", ["difference", "power"]),
    ("-cos(x)", ["constant multiple", "cos"]),
    ("x**2*sin(x)", ["product", "power", "sin"]),
    ("sin(x)/x", ["quotient", "sin"]),
    ("x/7", ["constant multiple"]),
    ("x**x", ["general power"]),
    ("3**(x**2)", ["chain", "power"]),
    ("(x**2 + 1)**3", ["chain", "sum", "power"]),
    ("x**2 if x > 0 else -x", ["branch", "power", "constant multiple"]),
    ("detach(x)*x", ["constant multiple"]),  # detach(x) is a constant to the derivative
    ("atan2(x, 1)", ["atan2"]),   # = 1/(x² + 1), through the table's hypot(x, 1)⁻²
]


@pytest.mark.parametrize("expr, expected", RULES)
def test_each_rule_is_named(expr, expected):
    assert rules(expr, "x") == expected


def test_nested_chains_name_each_inner_function():
    derivation = derive("exp(sin(x**2))")
    assert [s.rule for s in derivation.steps] == ["chain", "chain", "power"]
    assert [show(s.inner) for s in derivation.steps[:2]] == ["sin(x**2)", "x**2"]
    assert [(show(s.outer[0]), show(s.outer[1])) for s in derivation.steps[:2]] == [("exp(u)", "exp(u)"),
                                                                                   ("sin(u)", "cos(u)")]
    assert derivation.result_text == "2*x*exp(sin(x**2))*cos(x**2)"


def test_other_variables_are_constants():
    derivation = derive("x**2*y + exp(x*y)", "y")
    assert derivation.result_text == "x**2 + x*exp(x*y)"
    assert show(derivation.steps[0].source, "text", derivation.variables).startswith("∂/∂y[")


def test_a_program_is_derived_statement_by_statement():
    derivation = derive("c = a + b; d = a*c", "a")
    assert [(s.rule, s.definition[0]) for s in derivation.steps] == [("sum", "c"), ("product", "d")]
    assert show(derivation.steps[1].target) == "c + a*d/da[c]"
    assert list(derivation.steps[1].refers.values()) == [0]          # d/da[c] comes from step 1
    assert show(derivation.assembled) == "c + a"
    assert derivation.result_text == "2*a + b"
    longer = derive("u = x**2; v = sin(u); w = v*u", "x")
    assert longer.result_text == "2*x**3*cos(x**2) + 2*x*sin(x**2)"  # v·u' + u·v' from the op table, in order
    assert [s.rule for s in longer.steps] == ["power", "chain", "product"]


def test_repeated_sub_derivations_are_derived_once_and_referred_to():
    derivation = derive("sin(x**2) + cos(x**2)")
    sources = [show(s.source) for s in derivation.steps]
    assert sources.count("d/dx[x**2]") == 1
    cos_step = derivation.steps[sources.index("d/dx[cos(x**2)]")]
    assert list(cos_step.refers.values()) == [sources.index("d/dx[x**2]")]
    assert "[d/dx[x²]: step 3]" in render(derivation)


def test_the_result_is_in_the_formula_language_and_check_agrees():
    for expr in ("x**2*sin(x)", "exp(sin(x**2))", "log(x**2 + 1)/x", "sqrt(1 - x**2)*atan(x)"):
        derivation = derive(expr)
        assert check(expr, derivation.result_text).verdict == "correct"


# ------------------------------------------------------------------ output

def test_max_steps_bounds_the_output_not_the_result():
    derivation = derive("sin(x)*cos(x)*exp(x)*log(x)")
    text = render(derivation, "text", max_steps=2)
    assert "more steps not shown (--max-steps 2); the result below is complete" in text
    assert text.count("\n  1. ") + text.count("\n  2. ") == 2 and "\n  3. " not in text
    assert document(derivation, 2)["truncated"] is True and len(document(derivation, 2)["steps"]) == 2
    assert document(derivation, 2)["result"] == derivation.result_text


def test_latex_lines_typeset():
    """Each line of the align* block is parsed by matplotlib's mathtext (a LaTeX subset)."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    for expr, wrt in (("3*x**3 - 5*x**2", "x"), ("exp(sin(x**2))/sqrt(x)", "x"), ("sigmoid(x)*abs(x)", "x"),
                      ("c = a + b; d = a*c", "a")):
        derivation = derive(expr, wrt)
        lines = render(derivation, "latex").splitlines()
        assert lines[0] == "\\begin{align*}" and "\\end{align*}" in lines
        for line in lines[1:lines.index("\\end{align*}")]:
            for part in line.rstrip("\\ ").replace("&=", "=").split("&&"):
                parser.parse(f"${part.replace('&', '').strip()}$")
    # A branch is an amsmath `cases` block, which mathtext does not know: the text is asserted instead.
    branch = render(derive("x**2 if x >= 1 else log(x)", "x"), "latex")
    assert ("\\begin{cases} \\frac{d}{d x}\\left[x^{2}\\right] & \\text{if } x \\geq 1 \\\\ "
            "\\frac{d}{d x}\\left[\\ln\\left(x\\right)\\right] & \\text{otherwise} \\end{cases}") in branch


def test_markdown_and_json():
    derivation = derive("sin(x**2)")
    markdown = render(derivation, "markdown")
    assert "1. $\\frac{d}{d x}\\left[\\sin\\left(x^{2}\\right)\\right] = " in markdown
    assert "**Result:** `2*x*cos(x**2)`" in markdown
    data = document(derivation)
    assert data["steps"][0] == {"rule": "chain", "from": "d/dx[sin(x**2)]", "to": "cos(x**2)*d/dx[x**2]",
                                "inner": "x**2", "outer": {"f": "sin(u)", "derivative": "cos(u)"}}
    assert data["result"] == "2*x*cos(x**2)" and data["verified"]["steps"] is True


# ------------------------------------------------------------------ bad input

@pytest.mark.parametrize("expr, wrt, message", [
    ("x*y", None, "choose one with --wrt"),
    ("sum([x, x])", "x", "no one-line rule"),
    ("[x, x**2]", "x", "one formula"),
    (" + ".join(f"sin({k}*x)" for k in range(500)), "x", "up to 400 operations"),
    ("x" + "**x" * 80, "x", "nested at most"),
    ("x**2", "z", "not a variable"),
])
def test_bad_input(expr, wrt, message):
    with pytest.raises(UsageError, match=message):
        derive(expr, wrt)


def test_the_command(cli):
    result = cli("steps", "3*x**3 - 5*x**2")
    assert result.exit_code == 0
    assert "d/dx[x³] = 3x²" in result.stdout and "= 9x² − 10x" in result.stdout
    assert "result: 9*x**2 - 10*x" in result.stdout
    data = json.loads(cli("steps", "c = a + b; d = a*c", "--wrt", "a", "--json").stdout)
    assert [s["rule"] for s in data["steps"]] == ["sum", "product"] and data["result"] == "2*a + b"
    assert data["steps"][0]["statement"] == "c = a + b"
    latex = cli("steps", "sin(x**2)", "--format", "latex")
    assert latex.exit_code == 0 and latex.stdout.startswith("\\begin{align*}")
    assert cli("steps", "x*y").exit_code == 2
    assert cli("steps", "x", "--format", "html").exit_code == 2
    assert cli("steps", "x", "--max-steps", "0").exit_code == 2
    at = json.loads(cli("steps", "x**3", "--at", "x=2", "--json").stdout)
    assert at["verified"]["at"] == {"x": 2.0}


# ------------------------------------------------------------------ random formulas

import functools  # noqa: E402

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402

from hypothesis import strategies as st  # noqa: E402


@functools.cache  # one strategy, not one per draw
def formulas(formula_strategy):
    return formula_strategy(["x", "y"], ["sin", "cos", "exp", "tanh", "atan", "abs", "sigmoid"], ["log", "sqrt"],
                            square=lambda t: f"{t}**2", powers=True, branches=True, max_leaves=6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_formulas_derive_and_agree_with_ad_and_sympy(formula_strategy, data):
    """Every step agrees with forward-mode AD (derive raises otherwise), and the result with
    reverse-mode AD at the sample and with SymPy (check's verdict)."""
    text = data.draw(formulas(formula_strategy), label="formula")
    assume("x" in parse(text).variables)
    derivation = derive(text, "x", let={"y": 0.7}, symbolic_timeout=2.0)
    assert derivation.verdict is None or derivation.verdict.verdict in ("correct", "undecided")
    assert derivation.verdict is None or derivation.verdict.symbolic != "different"
    assert parse(derivation.result_text).outputs  # the result reads back as a formula
