"""The Lagrange solver: the KKT matrix against SymPy, Newton's convergence, classification,
multistart bookkeeping, the warnings, and SciPy / SymPy agreeing with the answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diffcli
from diffcli.errors import MathError, UsageError
from diffcli.extrema.check import exact_solutions, scipy_compare
from diffcli.extrema.classify import curvature
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.newton import Accuracy, solve_rows
from diffcli.extrema.problem import build_problem, read_constraint, split_relation
from diffcli.extrema.solver import read_box, read_starts, solve


def evaluate_at(problem, z, bounds=None):
    """F, K, e at one z = (x, λ) with the constraints' own bounds."""
    kkt = KKTGraph(problem)
    b = np.array([c.upper if c.upper is not None else c.lower for c in problem.constraints], dtype=float)
    return kkt.evaluate(np.asarray(z, dtype=float)[None, :], (b if bounds is None else bounds)[None, :])


def newton(problem, x0):
    kkt = KKTGraph(problem)
    b = np.array([c.upper for c in problem.constraints], dtype=float)[None, :]
    return solve_rows(kkt, np.asarray(x0, dtype=float)[None, :], b, np.ones((1, problem.m), bool),
                      accuracy=Accuracy(1e-10), max_iter=100)

SQRT2 = math.sqrt(2.0)


def xs(result):
    return sorted(tuple(np.round(p.x, 9)) for p in result.points)


# --------------------------------------------------------------------------- parsing


def test_split_relation_finds_relations_outside_brackets_only():
    assert split_relation("x**2 + y**2 = 1") == ([("x**2 + y**2 ", 0), (" 1", 13)], [("=", 13)])
    assert split_relation("x*y") == ([("x*y", 0)], [])
    assert split_relation("where(x < 1, x, 0) <= 2")[1] == [("<=", 20)]
    assert [op for op, _ in split_relation("0 <= x <= 3")[1]] == ["<=", "<="]


@pytest.mark.parametrize("text, lower, upper", [
    ("x**2 + y**2 = 1", 1.0, 1.0), ("x**2 + y**2 == 1", 1.0, 1.0), ("x*y", 0.0, 0.0),
    ("x <= 3", None, 3.0), ("x < 3", None, 3.0), ("x >= 1", 1.0, None), ("1 <= x", 1.0, None),
    ("3 >= x", None, 3.0), ("0 <= x <= 3", 0.0, 3.0), ("3 >= x >= 0", 0.0, 3.0), ("2 = x + y", 2.0, 2.0),
])
def test_constraints_are_read_as_bounds_on_an_expression(text, lower, upper):
    c = build_problem("x + y", [text]).constraints[0]
    assert (c.lower, c.upper) == (lower, upper)


def test_a_relation_between_two_formulas_subtracts_them():
    problem = build_problem("x", ["x*y <= y + 1"])
    c = problem.constraints[0]
    assert (c.lower, c.upper) == (None, 0.0)
    assert evaluate_at(problem, [2.0, 3.0, 0.0], np.array([0.0])).e[0].tolist() == [2.0]  # 6 - (3 + 1)


@pytest.mark.parametrize("text, message, column", [
    ("x = = 1", "a side of the relation is empty", 4),
    ("x != 1", "'!=' is not a constraint", 3),
    ("0 <= x = 3", "a chain reads a <= g <= b", 8),
    ("0 <= x >= 3", "a chain reads a <= g <= b", 8),
    ("y <= x <= 3", "the ends of a <= g <= b must be numbers", 1),
    ("1 < x < 2 < 3", "at most two relations", 11),
])
def test_malformed_relations_name_the_column(text, message, column):
    with pytest.raises(UsageError, match=message) as error:
        build_problem("x + y", [text])
    assert error.value.column == column
def test_build_problem_merges_variables_of_f_and_g():
    problem = build_problem("x + y", ["x*z = 1", "y = z"])
    assert problem.variables == ["x", "y", "z"]
    assert (problem.n, problem.m) == (3, 2)
    # the bound is subtracted: F_λ = -(e - b) with e = x*z, b = 1 and e = y - z, b = 0
    batch = evaluate_at(problem, [2.0, 0.0, 3.0, 0.0, 0.0])
    assert batch.F[0, 3:].tolist() == [-5.0, 3.0]


@pytest.mark.parametrize("constraints, message", [
    (["1 = 2"], "has no variables"),
    (["3"], "has no variables"),
    (["x ="], "a side of the relation is empty"),
    (["[x, y] = 1"], "one relation"),
])
def test_bad_constraints_are_usage_errors(constraints, message):
    with pytest.raises(UsageError, match=message):
        build_problem("x + y", constraints)


def test_parse_error_on_the_right_side_points_at_the_users_column():
    with pytest.raises(UsageError) as error:
        build_problem("x", ["x = y +* 2"])
    assert "--subject-to 'x = y +* 2'" in error.value.message
    assert error.value.column == 8  # the '*' of '+*' in the constraint as written


def test_objective_must_be_scalar():
    with pytest.raises(UsageError, match="one scalar formula"):
        build_problem("[x, y]", ["x = 1"])


# --------------------------------------------------------------------------- the KKT matrix


def _sympy_kkt(f_text, g_texts, values):
    import sympy as sp

    x, y = sp.symbols("x y")
    lams = sp.symbols(f"l0:{len(g_texts)}")
    f = sp.sympify(f_text)  # trusted test text, not user input
    gs = [sp.sympify(g) for g in g_texts]
    lagrangian = f - sum(lam * g for lam, g in zip(lams, gs))
    unknowns = [x, y, *lams]
    gradient = [sp.diff(lagrangian, u) for u in unknowns]
    kkt = sp.Matrix([[sp.diff(component, u) for u in unknowns] for component in gradient])
    substitution = dict(zip(unknowns, values))
    return (np.array([float(c.subs(substitution)) for c in gradient]),
            np.array(kkt.subs(substitution).tolist(), dtype=float))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=4, max_size=4))
def test_residual_and_kkt_matrix_equal_sympys(values):
    f, gs = "x**2*y + exp(x*y)", ["x**2 + y**2 - 1", "sin(x) - y**3"]
    problem = build_problem(f, [g.replace(" - 1", " = 1") for g in gs])
    evaluation = evaluate_at(problem, values)
    residual, kkt = _sympy_kkt(f, gs, values)
    np.testing.assert_allclose(evaluation.F[0], residual, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(evaluation.K[0], kkt, rtol=1e-12, atol=1e-12)
    # the issue's [[∇²L, -Jᵀ], [J, 0]] with its last rows negated: symmetric, zero corner
    n = 2
    np.testing.assert_allclose(evaluation.K[0], evaluation.K[0].T, rtol=1e-13, atol=1e-13)
    assert np.all(evaluation.K[0, n:, n:] == 0)


# --------------------------------------------------------------------------- Newton


def test_newton_converges_quadratically():
    run = newton(build_problem("x*y", ["x**2 + y**2 = 1"]), [1.0, 0.2])
    assert run.converged[0]
    residuals = [step.residual for step in run.logs[0]]
    assert residuals[-1] <= 1e-15
    # ‖F_{k+1}‖ ≤ C ‖F_k‖² on the last steps: quadratic, not linear convergence
    tail = [(b, a) for a, b in zip(residuals, residuals[1:]) if 1e-14 < a < 1e-1 and b > 0]
    assert len(tail) >= 2 and all(b <= 10 * a * a for b, a in tail)


def test_one_newton_step_solves_a_quadratic_problem():
    run = newton(build_problem("x**2 + y**2", ["2*x + y = 5"]), [7.0, -3.0])
    assert run.converged[0] and run.iterations[0] == 1
    np.testing.assert_allclose(run.z[0], [2.0, 1.0, 2.0], atol=1e-14)


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize("hessian, jacobian, kind", [
    (np.diag([2.0, -1.0]), np.array([[0.0, 1.0]]), "min"),
    (np.diag([2.0, -1.0]), np.array([[1.0, 0.0]]), "max"),
    (np.diag([1.0, -1.0, 0.5]), np.array([[0.0, 0.0, 1.0]]), "saddle"),
    (np.diag([0.0, 1.0]), np.array([[0.0, 1.0]]), "degenerate"),
    (np.diag([2e6, 2e-6, 0.0]), np.array([[0.0, 0.0, 1.0]]), "min"),   # graded: 2e-6 is not round-off
])
def test_classification_uses_the_tangent_space_only(hessian, jacobian, kind):
    assert curvature(hessian, jacobian).kind == kind


def test_zero_curvature_is_judged_against_the_terms_that_cancel():
    # x² + y² on the circle: ∇²L = 2I − 1·2I, zero up to round-off, with terms of size 2
    hessian = np.diag([3e-16, -2e-16])
    assert curvature(hessian, np.array([[1.0, 1.0]]), terms=np.full((2, 2), 4.0)).kind == "degenerate"
    assert curvature(hessian, np.array([[1.0, 1.0]])).kind != "degenerate"


def test_curvature_reports_dependent_constraint_gradients():
    assert curvature(np.eye(3), np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0]])).licq is False
    assert curvature(np.eye(3), np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0]])).licq is True


# --------------------------------------------------------------------------- multistart


def test_circle_product_has_four_classified_points():
    result = solve("x*y", ["x**2 + y**2 = 1"], seed=1)
    kinds = sorted((round(p.f, 12), p.kind) for p in result.points)
    assert kinds == [(-0.5, "min"), (-0.5, "min"), (0.5, "max"), (0.5, "max")]
    for p in result.points:
        assert abs(p.x[0]) == pytest.approx(1 / SQRT2, abs=1e-14)
        assert p.multipliers[0] == pytest.approx(p.f, abs=1e-14)  # λ = xy here
    assert result.points[result.min].f == -0.5 + 0.0 or result.points[result.min].f == pytest.approx(-0.5)
    assert result.points[result.max].f == pytest.approx(0.5)
    assert sum(p.found_by for p in result.points) == result.starts - result.failed


def test_failed_starts_are_counted_with_reasons():
    result = solve("x**2 + y**2", ["x*y = 1"], seed=0)
    assert sum(result.failures.values()) == result.failed == sum(not run.converged for run in result.runs)
    assert xs(result) == [(-1.0, -1.0), (1.0, 1.0)]


def test_same_seed_same_answer_and_given_starts_come_first():
    first = solve("x*y*z", ["x**2 + 2*y**2 + 3*z**2 = 6"], seed=7, starts=10)
    second = solve("x*y*z", ["x**2 + 2*y**2 + 3*z**2 = 6"], seed=7, starts=10)
    assert xs(first) == xs(second)
    result = solve("x*y", ["x**2 + y**2 = 1"], starts=0, start=[{"x": 1.0, "y": 0.2}], saturate=False)
    assert result.starts == 1 and result.runs[0].start.tolist() == [1.0, 0.2]


def test_every_exact_solution_is_found_numerically():
    for f, gs in [("x*y*z", ["x**2 + 2*y**2 + 3*z**2 = 6"]), ("x + y + z", ["x**2 + y**2 = 2", "x + z = 1"]),
                  ("x**2 - y**2", ["x**2 + 4*y**2 = 4"])]:
        problem = build_problem(f, gs)
        exact = exact_solutions(problem)
        assert exact.status == "ok"
        result = solve(problem, starts=80, seed=0, box=read_box("-3:3", problem.variables))
        found = {tuple(np.round(p.x, 8) + 0.0) for p in result.points}
        expected = {tuple(np.round([s["x"][v] for v in problem.variables], 8) + 0.0) for s in exact.solutions}
        assert found == expected, f
        for p in result.points:
            match = [s for s in exact.solutions if np.allclose([s["x"][v] for v in problem.variables], p.x)]
            assert p.f == pytest.approx(match[0]["f"], abs=1e-12)


def test_saddle_points_are_saddles():
    result = solve("x*y*z", ["x**2 + y**2 + z**2 = 3"], starts=80, seed=0)
    saddles = [p for p in result.points if p.kind == "saddle"]
    assert len(saddles) == 6
    for p in saddles:
        assert sorted(np.abs(p.x)) == pytest.approx([0, 0, math.sqrt(3)], abs=1e-12)
        assert p.eigenvalues.min() < 0 < p.eigenvalues.max()


def test_fifty_variables_two_constraints():
    names = [f"x{i}" for i in range(1, 51)]
    result = solve(" + ".join(names), [" + ".join(f"{n}**2" for n in names) + " = 50", "x1 - x2 = 0"],
                   starts=4, seed=0, sense="min")
    best = result.points[result.min]
    assert best.f == pytest.approx(-50, abs=1e-10) and best.kind == "min"
    np.testing.assert_allclose(best.x, -np.ones(50), atol=1e-12)


# --------------------------------------------------------------------------- trouble


def test_contradictory_constraints_exit_with_the_smallest_violation():
    with pytest.raises(MathError, match=r"no feasible point found from \d+ starts: the feasible set is empty \(proved: "):
        solve("x + y", ["x + y = 1", "x + y = 2"], starts=5)


def test_the_cusp_is_an_irregular_point_beside_the_regular_maximum():
    result = solve("x - y", ["y**2 = x**3"])
    assert sorted((p.kind, round(p.f, 12)) for p in result.points) == [("irregular", 0.0), ("max", round(4 / 27, 12))]
    assert next(p for p in result.points if p.kind == "irregular").x.tolist() == [0.0, 0.0]
    assert any(w.startswith("irregular point at x=0, y=0") for w in result.warnings)


def test_licq_failure_at_a_found_point_is_flagged():
    # both constraints say x = 0, y = 0 in dependent ways: J = [[1, 0], [2x, 0]] at x = 0
    result = solve("x**2 + y**2", ["x = 0", "x**2 + x = 0", "y = 0"], starts=3)
    assert any("more equations (3) than variables (2)" in w for w in result.warnings)
    assert any(not p.licq for p in result.points)
    assert any(w.startswith("LICQ fails at x=0, y=0") for w in result.warnings)


def test_unbounded_objective_warns_both_ways():
    result = solve("x + y", ["x*y = 1"], seed=3)
    assert sorted((round(p.f, 12), p.kind) for p in result.points) == [(-2.0, "max"), (2.0, "min")]
    assert any("unbounded above" in w for w in result.warnings)
    assert any("unbounded below" in w for w in result.warnings)


def test_bounded_objective_does_not_warn():
    result = solve("x*y", ["x**2 + y**2 = 1"])
    assert not any("unbounded" in w for w in result.warnings)


def test_non_smooth_objective_warns():
    result = solve("abs(x) + y**2", ["x + y = 1"], seed=0)
    assert any("not smooth" in w and "abs" in w for w in result.warnings)


def test_undefined_everywhere_is_a_math_error():
    with pytest.raises(MathError, match="not finite at all 3 starts"):
        solve("log(x) + y", ["x + y = 1"], box={"x": (-5.0, -1.0), "y": (0.0, 1.0)}, starts=3, saturate=False)


def test_later_rounds_look_beyond_the_box():
    # every first-round start is outside log's domain; a wider round finds x = 1
    result = solve("log(x) + y", ["x + y = 1"], box={"x": (-5.0, -1.0), "y": (0.0, 1.0)}, starts=3)
    assert [(p.x.tolist(), p.kind) for p in result.points] == [([1.0, 0.0], "max")]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("text, message", [
    ("1", "expected LO:HI"), ("2:1", "LO must be less than HI"), ("a:b", "unknown name"),
    ("z=0:1", "'z' is not a variable"), ("x=1", "expected LO:HI"), ("x:", "expected LO:HI"),
    ("x 0:1", "cannot read the value"),
])
def test_malformed_box_names_the_option(text, message):
    with pytest.raises(UsageError, match=message) as error:
        read_box(text, ["x", "y"])
    assert "--box" in str(error.value)


def test_box_reads_formulas_and_per_variable_bounds():
    assert read_box("-pi:pi", ["x"]) == {"x": (-math.pi, math.pi)}
    assert read_box("y=0:1", ["x", "y"]) == {"x": (-10.0, 10.0), "y": (0.0, 1.0)}


@pytest.mark.parametrize("text, message", [("x", "expected NAME=VALUE"), ("q=1", "'q' is not a variable"),
                                           ("x=", "missing value"), ("x=1,x=2", "given twice")])
def test_malformed_start_names_the_option(text, message):
    with pytest.raises(UsageError, match=message) as error:
        read_starts([text], ["x", "y"])
    assert "--start" in str(error.value)


def test_public_api():
    result = diffcli.lagrange("x + y", "x**2 + y**2 = 2", box="-3:3")
    assert [(round(p.f, 12), p.kind) for p in result.points] == [(-2.0, "min"), (2.0, "max")]
    assert callable(diffcli.lagrange)  # the solver module must not shadow the function


# --------------------------------------------------------------------------- other solvers agree


def test_scipy_agrees_on_the_minimum():
    problem = build_problem("x*y*z", ["x**2 + 2*y**2 + 3*z**2 = 6"])
    result = solve(problem, starts=6, seed=0)
    summaries = scipy_compare(problem, result.first_starts, "min")
    for summary in summaries.values():
        assert summary.succeeded >= 4
        assert summary.best == pytest.approx(result.points[result.min].f, abs=1e-6)


def test_exact_is_skipped_for_non_polynomial_systems():
    assert exact_solutions(build_problem("exp(x) + y", ["x + y = 1"])).status == "skipped"


def test_progress_is_reported_after_each_round():
    calls = []
    result = solve("x*y", ["x**2 + y**2 = 1"], starts=5, start=[{"x": 1.0}],
                   progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (6, 400) and calls[-1] == (result.starts, 400)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})


def test_isolated_feasible_points_are_degenerate_with_a_note():
    # HS8: a constant objective on two curves that meet in four points
    result = solve("-1", ["x1**2 + x2**2 - 25 = 0", "x1*x2 - 9 = 0"], starts=30)
    assert len(result.points) == 4 and all(p.kind == "degenerate" and p.f == -1 for p in result.points)
    assert any("leave no freedom at 4 points" in w for w in result.warnings)
    for p in result.points:
        assert p.x[0] ** 2 + p.x[1] ** 2 == pytest.approx(25, abs=1e-12) and p.x[0] * p.x[1] == pytest.approx(9)
