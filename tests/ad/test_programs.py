"""Programs: loops, branches and functions run at a point into the graph of the path taken.

The specification of issue 14, in order: the course's seed examples exactly; statements;
define-by-run semantics; method syntax; one-element outputs; retained gradients; limits;
errors that name their line and column; the rule that a program never overwrites its inputs.
"""

from __future__ import annotations

from pathlib import Path
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import diffcli
from diffcli.ad import program
from diffcli.ad.evaluate import evaluate
from diffcli.ad.parse import parse, parse_at
from diffcli.ad.problem import make_problem
from diffcli.ad.retain import retained_gradients
from diffcli.ad.reverse import gradient_reverse
from diffcli.checks.compare import compare_gradient
from diffcli.errors import MathError, UsageError

# The course's two examples, as examples/programs.sh runs them: a while loop doubling y until its
# norm passes 1000, then y.backward(v); and a loop and a branch, where a.grad == d / a at every a.
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DOUBLING = (EXAMPLES / "programs" / "doubling.py").read_text()
LOOP_AND_BRANCH = (EXAMPLES / "programs" / "loop_and_branch.py").read_text()


def value(text: str, **point):
    graph = parse_at(text, point)
    return evaluate(graph, point)[graph.outputs[0]]


def grad(text: str, wrt: str = "x", **point):
    return diffcli.grad(text, at=point)[wrt]


# ----------------------------------------------------------------------------- the seeds


def test_seed_while_loop_vjp_is_exact():
    x = np.array([0.0475, -0.6505, -1.0864])
    result = diffcli.vjp(DOUBLING, at={"x": x}, cotangent=np.array([0.1, 1.0, 0.0001]))
    assert result["x"].tolist() == [102.4, 1024.0, 0.1024]  # 2**10 times the cotangent, exactly


@pytest.mark.parametrize("a", [0.3, -0.3, 0.001, -7.0, np.array([0.1, -0.2, 0.3]), np.array([-1.0, 0.5])])
def test_seed_loop_and_branch_gradient_is_d_over_a(a):
    a = np.asarray(a, dtype=np.float64)[()]
    d = value(LOOP_AND_BRANCH, a=a)
    # d = k·a on the path taken (k a power of two, times 100 for a negative sum): a.grad is exactly d/a.
    if np.ndim(a):
        gradient = diffcli.vjp(LOOP_AND_BRANCH, at={"a": a}, cotangent=np.ones_like(a))["a"]
    else:
        gradient = grad(LOOP_AND_BRANCH, "a", a=a)
    np.testing.assert_array_equal(gradient, d / a)


def test_seed_retained_gradients():
    retained = retained_gradients("y = x + 2; z = y*y*3; out = mean(z)", {"x": np.ones((2, 2))})
    assert set(retained) == {"y", "z"}  # out is the output itself
    assert retained["y"].tolist() == [[4.5, 4.5], [4.5, 4.5]]
    assert retained["z"].tolist() == [[0.25, 0.25], [0.25, 0.25]]


def test_retained_gradient_is_that_name_s_own_even_when_expressions_merge():
    # y and z are the same expression (hash-consing merges them); PyTorch's y.grad is z = 3, not 2·3.
    retained = retained_gradients("y = x + 2; z = x + 2; out = y * z", {"x": np.float64(1.0)})
    assert retained == {"y": 3.0, "z": 3.0}


def test_retained_gradient_of_the_last_assignment_in_a_loop():
    retained = retained_gradients("y = x\nfor i in range(3):\n    y = y * 2\nout = y * y", {"x": np.float64(1.0)})
    assert retained == {"y": 16.0}  # ∂(y²)/∂y at the last y = 8


# ----------------------------------------------------------------------------- statements


def test_newton_iteration_for_the_square_root_differentiates_to_one_over_two_root_a():
    newton = "y = a\nfor i in range(40):\n    y = (y + a / y) / 2\ny"
    for a in (0.5, 2.0, 9.0, 1e4):
        assert value(newton, a=np.float64(a)) == pytest.approx(math.sqrt(a), rel=1e-15)
        # both AD modes (SymPy would only time out on 40 nested quotients: 5 s a point)
        result = diffcli.grad(newton, at={"a": np.float64(a)}, method="forward,reverse")
        for mode in ("forward", "reverse"):
            derivative = result.methods[mode].result["a"]
            assert abs(derivative - 1 / (2 * math.sqrt(a))) <= 1e-12 / math.sqrt(a), (mode, a)


def test_horner_rule_over_coefficients_from_let():
    horner = "p = 0\nfor i in range(len(c)):\n    p = p * x + c[i]\np"
    c = np.array([2.0, -3.0, 0.5, 4.0])  # 2x³ − 3x² + x/2 + 4
    problem = make_problem(horner, {"x": 1.5}, {"c": c})
    assert problem.wrt == ["x"]
    _, gradient = gradient_reverse(problem.graph, problem.point, ["x"])
    assert float(evaluate(problem.graph, problem.point)[problem.graph.outputs[0]]) == 2 * 1.5**3 - 3 * 1.5**2 + 0.75 + 4
    assert gradient["x"] == 6 * 1.5**2 - 6 * 1.5 + 0.5


BRANCHES = "if x > 1:\n    y = x * x\nelif x > 0:\n    y = 2 * x - 1\nelse:\n    y = 3 * x - 1\ny"


@pytest.mark.parametrize("x, f, slope", [(2.0, 4.0, 4.0), (0.5, 0.0, 2.0), (-1.0, -4.0, 3.0)])
def test_if_elif_else_takes_the_branch_of_the_point(x, f, slope):
    assert value(BRANCHES, x=np.float64(x)) == f
    assert grad(BRANCHES, x=np.float64(x)) == slope


def test_a_point_on_a_branch_boundary_is_reported_as_a_kink():
    comparison = compare_gradient(make_problem(BRANCHES, {"x": 0.0}), ("forward", "reverse", "central"))
    assert comparison.methods["reverse"].result == {"x": 3.0}  # the else branch: the path taken at 0
    [kink] = comparison.kinks
    assert kink.left["x"] == pytest.approx(3.0) and kink.right["x"] == pytest.approx(2.0)
    assert any("branch boundary of the program" in w for w in comparison.warnings)
    # Where both branches meet smoothly (x = 1: slopes 2 and 2) there is no kink, only the flagged step.
    smooth = compare_gradient(make_problem(BRANCHES, {"x": 1.0}), ("reverse", "central"))
    assert smooth.kinks == [] and any("crosses a branch boundary" in w for w in smooth.warnings)


def test_break_and_continue():
    program_text = """s = 0
for i in range(10):
    if i == 2:
        continue
    if i == 5:
        break
    s = s + x ** i
s"""
    assert value(program_text, x=np.float64(2.0)) == 1 + 2 + 8 + 16
    assert grad(program_text, x=np.float64(2.0)) == 0 + 1 + 3 * 4 + 4 * 8


def test_while_else_runs_only_without_break():
    text = "n = 0\nwhile n < 3:\n    n = n + 1\nelse:\n    n = n * x\nn"
    assert value(text, x=np.float64(5.0)) == 15.0


def test_augmented_assignment_of_every_kind():
    text = "y = x\ny += 1\ny -= 0.5\ny *= x\ny /= 2\ny **= 2\ny"
    f = lambda x: ((x + 0.5) * x / 2) ** 2  # noqa: E731
    assert value(text, x=np.float64(3.0)) == f(3.0)
    assert grad(text, x=np.float64(3.0)) == pytest.approx(2 * ((3.5 * 3) / 2) * (2 * 3 + 0.5) / 2, rel=1e-15)


def test_functions_call_earlier_functions_nest_read_globals_and_recurse():
    text = """k = 3
def square(u):
    return u * u
def wrap(v):
    def inner(w):
        return square(w) * k + v
    return inner(v + 1)
def power(u, n):
    return 1 if n == 0 else u * power(u, n - 1)
wrap(x) + power(x, 5)"""
    x = 2.0
    assert value(text, x=np.float64(x)) == 3 * (x + 1) ** 2 + x + x**5
    assert grad(text, x=np.float64(x)) == 6 * (x + 1) + 1 + 5 * x**4


def test_return_from_inside_a_loop():
    text = ("def first_above(u, t):\n    for i in range(100):\n        if u * i > t:\n            return u * i\n"
            "    return 0 * u\nfirst_above(x, 10)")
    assert value(text, x=np.float64(3.0)) == 12.0 and grad(text, x=np.float64(3.0)) == 4.0


def test_no_grad_like_detach():
    text = "with no_grad():\n    w = x * x\ny = w * x\ny"
    assert value(text, x=np.float64(3.0)) == 27.0
    assert grad(text, x=np.float64(3.0)) == 9.0  # w carries no derivative: ∂(w·x)/∂x = w
    assert grad("y = detach(x * x) * x\ny", x=np.float64(3.0)) == 9.0


def test_indexing_with_the_loop_variable_and_range_from_values():
    text = "s = 0\nfor i in range(1, len(x), 2):\n    s = s + x[i] * i\ns"
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert value(text, x=x) == 2 * 1 + 4 * 3
    np.testing.assert_array_equal(diffcli.grad(text, at={"x": x})["x"], [0, 1, 0, 3, 0])
    counted = make_problem("s = 0\nfor i in range(n):\n    s = s + x\ns", {"x": 2.0}, {"n": 4.0})
    assert float(evaluate(counted.graph, counted.point)[counted.graph.outputs[0]]) == 8.0


def test_conditional_expression_is_lazy_in_a_program_and_entrywise_for_tensors():
    # Only the branch taken runs: the recursion above needs it; a tensor condition selects entries.
    text = "def f(u):\n    return u if u > 0 else log(u)\ny = f(x)\ny"
    assert value(text, x=np.float64(2.0)) == 2.0
    entrywise = "y = x * 1\nz = x if x > 0 else -x\nz"
    assert value(entrywise, x=np.array([-1.0, 2.0])).tolist() == [1.0, 2.0]


def test_a_formula_parses_to_the_same_graph_with_or_without_a_point():
    for text in ("a*(a+b)", "c = a + b; d = a*c", "x if x > 0 else -x", "[x*y, sin(x)]", "sum(x) / len(x)"):
        point = {"a": np.float64(1.0), "b": np.float64(2.0), "x": np.array([1.0, 2.0]), "y": np.float64(3.0)}
        at = parse_at(text, point)
        if "len" not in text:
            plain = parse(text)
            assert (plain.ops, plain.inputs, plain.attrs, plain.outputs) == (at.ops, at.inputs, at.attrs, at.outputs)
        assert at.decisions == [] and at.rerun is None


def test_the_path_is_recorded_and_rerun_elsewhere():
    graph = parse_at(DOUBLING, {"x": np.float64(1.0)})
    assert [d.outcome for d in graph.decisions] == [True] * 9 + [False]
    assert {d.kind for d in graph.decisions} == {"while"}
    other = graph.rerun({"x": np.float64(100.0)})
    assert [d.outcome for d in other.decisions] == [True, True, True, False]


# ----------------------------------------------------------------------------- method syntax


METHODS = [("u.norm()", "norm(u)"), ("u.sum()", "sum(u)"), ("u.sum(axis=0)", "sum(u, axis=0)"),
           ("u.mean()", "mean(u)"), ("u.exp()", "exp(u)"), ("u.detach() * u", "detach(u) * u"), ("u.T", "transpose(u)"),
           ("u.reshape(3, 2)", "reshape(u, (3, 2))"), ("u.reshape((6,))", "reshape(u, 6)"), ("u.max()", "max(u)"),
           ("u.sin().sum(axis=1)", "sum(sin(u), axis=1)"), ("u.dot(u.T)", "dot(u, transpose(u))")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=6, max_size=6), st.sampled_from(METHODS))
def test_method_syntax_is_the_same_op_as_the_function(entries, pair):
    method, function = pair
    u = np.array(entries).reshape(2, 3)
    as_method, as_function = parse(f"y = {method}\nsum(y)"), parse(f"y = {function}\nsum(y)")
    assert (as_method.ops, as_method.inputs, as_method.attrs) == (as_function.ops, as_function.inputs, as_function.attrs)
    gradient = gradient_reverse(as_method, {"u": u}, ["u"])[1]["u"]
    np.testing.assert_array_equal(gradient, gradient_reverse(as_function, {"u": u}, ["u"])[1]["u"])


def test_one_element_outputs_are_scalars_for_grad():
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    np.testing.assert_array_equal(diffcli.grad("2 * x.T @ x", at={"x": x})["x"], 4 * x)
    assert diffcli.grad("y = x * 3\ny", at={"x": np.array([2.0])})["x"].tolist() == [3.0]
    with pytest.raises(UsageError, match=r"has shape \(2,\)"):
        diffcli.grad("x * 3", at={"x": np.array([1.0, 2.0])})


# ----------------------------------------------------------------------------- generated programs

_BODIES = ["y = y * x + {c}", "y = sin(y) + x * {c}", "y = y * y / ({c} + 4) + x", "y = exp(-y * y) * x + y / 2",
           "y = y - {c} * x"]
_TESTS = ["y > {c}", "y * x < {c}", "not y > {c}", "y > {c} and x > 0", "y < {c} or x < -1"]


@st.composite
def programs(draw):
    lines = ["y = x"]
    for _ in range(draw(st.integers(1, 2))):
        c = draw(st.sampled_from([-1, 0.5, 1, 2]))
        kind = draw(st.sampled_from(["if", "for", "while", "plain"]))
        body = draw(st.sampled_from(_BODIES)).format(c=c)
        other = draw(st.sampled_from(_BODIES)).format(c=-c)
        test = draw(st.sampled_from(_TESTS)).format(c=c)
        if kind == "if":
            lines += [f"if {test}:", f"    {body}", "else:", f"    {other}"]
        elif kind == "for":
            lines += [f"for i in range({draw(st.integers(0, 4))}):", f"    {body}"]
        elif kind == "while":
            lines += ["n = 0", f"while ({test}) and n < 5:", f"    {body}", "    n += 1"]
        else:
            lines.append(body)
    lines.append("y")
    return "\n".join(lines)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.floats(-2, 2, allow_nan=False))
def test_forward_reverse_central_and_sympy_agree_on_the_path_taken(text, x):
    problem = make_problem(text, {"x": x})
    comparison = compare_gradient(problem, ("forward", "reverse", "central", "symbolic"), symbolic_timeout=5)
    assume(all(m.status == "ok" for m in comparison.methods.values()))
    reference = comparison.methods["symbolic"].result["x"]
    assume(math.isfinite(reference) and abs(reference) < 1e6)
    assert comparison.methods["forward"].result["x"] == pytest.approx(reference, rel=1e-12, abs=1e-12)
    assert comparison.methods["reverse"].result["x"] == pytest.approx(reference, rel=1e-12, abs=1e-12)
    # Central differences re-run the program: away from a branch boundary they agree, and a step
    # that crossed one is flagged (never silently averaged over two paths).
    crossed = any("branch boundary" in w for w in comparison.warnings)
    assume(not crossed)
    assert comparison.methods["central"].result["x"] == pytest.approx(reference, rel=1e-5, abs=1e-6)


# ----------------------------------------------------------------------------- limits


def test_a_runaway_loop_stops_at_the_iteration_limit_naming_the_loop(monkeypatch):
    monkeypatch.setattr(program, "MAX_ITERATIONS", 2000)  # the real limit's timing is in bench/programs.py
    with pytest.raises(UsageError) as caught:
        parse_at("y = x\nwhile y > 0:\n    y = y + 1\ny", {"x": np.float64(1.0)})
    assert f"{program.MAX_ITERATIONS:,} loop iterations" in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 1)


def test_runaway_recursion_stops_at_the_depth_limit(monkeypatch):
    with pytest.raises(UsageError) as caught:
        parse_at("def f(u):\n    return f(u * 2)\nf(x)", {"x": np.float64(1.0)})
    assert f"more than {program.MAX_CALL_DEPTH} levels deep" in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 12)
    # Wide recursion (2^n calls) meets the iteration limit instead.
    monkeypatch.setattr(program, "MAX_ITERATIONS", 1000)
    with pytest.raises(UsageError, match="1,000 loop iterations and calls"):
        parse_at("def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nfib(30) * x", {"x": 1.0})


def test_a_loop_growing_the_graph_stops_at_the_node_limit(monkeypatch):
    from diffcli.ad import expressions

    monkeypatch.setattr(expressions, "MAX_NODES", 5000)
    with pytest.raises(UsageError) as caught:
        parse_at("y = x\nfor i in range(10**9):\n    y = sin(y) + i\ny", {"x": 1.0})
    assert "graph nodes" in caught.value.message and (caught.value.line, caught.value.column) == (2, 1)


def test_a_loop_of_tensors_stops_at_the_memory_limit(monkeypatch):
    monkeypatch.setattr(program, "MAX_PROGRAM_ENTRIES", 100_000)
    with pytest.raises(UsageError, match="100,000 numbers"):
        parse_at("y = x\nfor i in range(1000):\n    y = y + i\ny", {"x": np.zeros(1000)})


# ----------------------------------------------------------------------------- errors


ERRORS = [
    ("y = z + 1\nz = 2\ny * x", "'z' is used before it is assigned", 1, 5),
    ("def f(u):\n    v = v + u\n    return v\nf(x)", "'v' is used before it is assigned", 2, 9),
    ("y = x\nreturn y", "'return' outside a function", 2, 1),
    ("y = x\nbreak\ny", "'break' outside a loop", 2, 1),
    ("def f(u):\n    continue\n    return u\nf(x)", "'continue' outside a loop", 2, 5),
    ("s = 0\nfor i in range(x):\n    s = s + i\ns", "must be a whole number, got 2.5", 2, 16),
    ("for i in x:\n    y = i\ny", "a for loop runs over range(...)", 1, 10),
    ("y = x\nwhile v:\n    y = y * 2\ny", "the truth of a tensor with several entries is ambiguous", 2, 7),
    ("y = x\nif y > 0:\n    y = 1\n", "a program ends with its output", 2, 1),
    ("def f(u):\n    u = u * 2\nf(x)", "'f' ended without `return`", 3, 1),
    ("y = g(x)\ndef g(u):\n    return u\ny", "'g' is called before its def runs", 1, 5),
    ("def f(u):\n    return u\nf(x, x)", "f() takes 1 argument, got 2", 3, 1),
    ("with open('f'):\n    y = x\ny", "the only `with` is `with no_grad():`", 1, 1),
    ("y = x\ntry:\n    y = 1\nexcept:\n    y = 2\ny", "try is not allowed", 2, 1),
    ("y = x\nif y > 0:\n    y\ny", "a bare expression does nothing here", 3, 5),
    ("def sin(u):\n    return u\nsin(x)", "cannot define 'sin'", 1, 1),
    ("y = x\nif y > 0:\n    z = lambda: 1\ny", "a lambda is not allowed", 3, 9),
    ("x = 1\nx", "cannot assign to 'x': it is given in --at", 1, 1),
    ("y = x\nfor x in range(3):\n    y = y + x\ny", "cannot assign to 'x'", 2, 5),
    ("y = x\ny += q\ny", "no value given for the variable 'q'", 2, 6),
]


@pytest.mark.parametrize("text, message, line, column", ERRORS)
def test_every_error_names_its_line_and_column(text, message, line, column):
    with pytest.raises(UsageError) as caught:
        parse_at(text, {"x": np.float64(2.5), "v": np.array([1.0, 2.0])})
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)


def test_a_condition_that_is_not_a_number_is_a_math_error():
    with pytest.raises(MathError, match="is not a number"):
        parse_at("y = x\nif log(y):\n    y = 1 * x\ny", {"x": np.float64(-1.0)})


def test_without_a_point_a_value_dependent_program_asks_for_one():
    with pytest.raises(UsageError, match=r"depends on the value of 'x'.*--at x="):
        parse(DOUBLING)
    graph = parse("s = 0\nfor i in range(3):\n    s = s + x * i\ns")  # decided by constants only: no point needed
    assert graph.decisions == [] and float(evaluate(graph, {"x": 1.0})[graph.outputs[0]]) == 3.0


# ----------------------------------------------------------------------------- inputs are never overwritten (issue 11.5)


@pytest.mark.parametrize("text", ["x = 1", "x = x * 2\nx", "y = 1\nx = y\nx", "def f(u):\n    return u\nx = f(2)\nx"])
def test_assigning_to_a_given_input_is_refused(text):
    with pytest.raises(UsageError, match="cannot assign to 'x': it is given in --at/--let"):
        make_problem(text, {"x": 1.0})
    with pytest.raises(UsageError, match="cannot assign to 'x'"):
        make_problem(text, {}, {"x": 1.0})


def test_a_function_may_use_an_input_s_name_for_its_own_local():
    # Inside a function a name is local, as in Python: it shadows, it never overwrites the input.
    assert grad("def f(u):\n    x = u * 2\n    return x\nf(x) * x", x=np.float64(3.0)) == 12.0


@pytest.mark.parametrize("name", ["e", "pi"])
def test_a_value_for_a_constant_name_is_refused(name):
    # issue 11.4: `e` in a formula is Euler's number; a value given for it must never be ignored.
    with pytest.raises(UsageError, match=f"'{name}' cannot be given a value"):
        make_problem(f"{name}*x", {name: 2.0, "x": 1.0})
    with pytest.raises(UsageError, match=f"--let: '{name}' cannot be given a value"):
        make_problem("x", {"x": 1.0}, {name: 2.0})


# ----------------------------------------------------------------------------- hostile programs

STATEMENT_TOKENS = ["y = ", "x", "y", "1", "2", "+", "*", "-", "(", ")", "[", "]", ",", ":", "\n", "\n    ",
                    "\n        ", "if ", "elif ", "else", "while ", "for i in ", "range(", "len(", "def f(u)",
                    "return ", "f(", "break", "continue", "pass", "with no_grad()", " > ", " < ", " and ",
                    "not ", ".norm()", ".sum()", ".T", "i", "u", "+=", "x[i]", "lambda", "@", "sin("]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(STATEMENT_TOKENS), min_size=1, max_size=30).map("".join),
       st.sampled_from([np.float64(1.5), np.float64(-0.5), np.array([1.0, -2.0])]))
def test_random_programs_only_raise_diffcli_errors(monkeypatch, text, x):
    monkeypatch.setattr(program, "MAX_ITERATIONS", 500)  # the same for every example: a fast stop
    try:
        graph = parse_at(text, {"x": x, "y0": x})
        gradient_reverse(graph, {"x": x}, ["x"])
    except (UsageError, MathError):
        pass
