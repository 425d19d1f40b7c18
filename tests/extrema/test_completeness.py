"""Issue 12, defect by defect: every critical point, nothing spurious, at the default settings —
and a message that says so when there is nothing to find. Exact points and kinds throughout."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import diffcli
from diffcli.errors import MathError
from diffcli.extrema import kkt as kkt_module
from diffcli.extrema.kkt import KKTGraph
from diffcli.extrema.problem import build_problem
from diffcli.extrema.solver import NoCandidate, solve

S2 = math.sqrt(2.0)


def rows(result):
    """(x rounded to 9 digits, kind) per row, sorted."""
    return sorted((tuple(np.round(p.x, 9) + 0.0), p.kind) for p in result.points)


# --------------------------------------------------------------------------- 1. infeasible points


@pytest.mark.parametrize("seed", [0, 1])
def test_every_reported_point_satisfies_the_constraint(seed):
    result = solve("exp(x*y)", ["x**2 + y**2 = 10"], seed=seed)
    r = math.sqrt(5.0)
    assert rows(result) == sorted([((round(-r, 9), round(-r, 9)), "max"), ((round(r, 9), round(r, 9)), "max"),
                                   ((round(-r, 9), round(r, 9)), "min"), ((round(r, 9), round(-r, 9)), "min")])
    for p in result.points:
        assert p.x @ p.x == pytest.approx(10.0, rel=1e-14)
        assert p.f == pytest.approx(math.exp(5.0 if p.kind == "max" else -5.0), rel=1e-13)


# --------------------------------------------------------------------------- 2. degenerate points


@pytest.mark.parametrize("objective, constraint, point, kind", [
    ("(x - 1)**4 + (y + 1)**4", "x + y = 0", (1.0, -1.0), "min"),
    ("x**4 + y**4", "x + y", (0.0, 0.0), "min"),
    ("x**3 + y", "y = 0", (0.0, 0.0), "saddle"),
    ("x*y*z", "x + y + z = 0", (0.0, 0.0, 0.0), "saddle"),
])
def test_a_degenerate_point_is_one_row_classified_by_the_higher_order_test(objective, constraint, point, kind):
    result = solve(objective, [constraint])
    assert rows(result) == [(point, kind)]
    assert result.points[0].test == "higher order"
    assert result.points[0].found_by == sum(run.converged for run in result.runs)


def test_more_starts_do_not_split_a_degenerate_point():
    result = solve("(x - 1)**4 + (y + 1)**4", ["x + y = 0"], starts=200)
    assert rows(result) == [((1.0, -1.0), "min")]


# --------------------------------------------------------------------------- 3. bad scaling


def test_a_huge_circle_converges_from_a_start_on_it():
    result = solve("x + y", ["x**2 + y**2 = 1e12"], start=[{"x": 707000.0, "y": 707000.0}], starts=0,
                   saturate=False, certify=False)
    r = math.sqrt(0.5e12)
    assert [(p.kind, *p.x) for p in result.points] == [("max", pytest.approx(r, rel=1e-14), pytest.approx(r, rel=1e-14))]


def test_a_tiny_circle_keeps_its_points_apart():
    result = solve("x + y", ["x**2 + y**2 = 1e-12"])
    r = 1e-6 / S2
    assert [(p.kind, *np.round(p.x / r, 12)) for p in result.points] == [("min", -1.0, -1.0), ("max", 1.0, 1.0)]


def test_graded_curvature_is_not_called_degenerate():
    result = solve("1e6*x**2 + 1e-6*y**2", ["x**2 + y**2 + z**2 = 1"])
    assert rows(result) == sorted([((0.0, 0.0, 1.0), "min"), ((0.0, 0.0, -1.0), "min"),
                                   ((0.0, 1.0, 0.0), "saddle"), ((0.0, -1.0, 0.0), "saddle"),
                                   ((1.0, 0.0, 0.0), "max"), ((-1.0, 0.0, 0.0), "max")])
    saddle = next(p for p in result.points if p.kind == "saddle")
    assert sorted(saddle.eigenvalues) == pytest.approx([-2e-6, 2e6 - 2e-6], rel=1e-9)


@pytest.mark.parametrize("a, b", [(1e6, 1e-6), (1e-6, 1e6), (1e8, 1.0)])
def test_both_ends_of_a_long_ellipse_at_the_default_settings(a, b):
    # x + y on a·x² + b·y² = 1: ∇f ∥ ∇g gives a·x = b·y, so x = ±√(b/(a(a + b))), y = (a/b)·x.
    # Unscaled, the least-squares λ₀ at a start was decided by the steep side alone and Newton
    # stalled at every start (issue 12, item 3).
    result = solve("x + y", [f"{a!r}*x**2 + {b!r}*y**2 = 1"])
    x = math.sqrt(b / (a * (a + b)))
    y = a / b * x
    assert [(p.kind, *p.x) for p in result.points] == [
        ("min", pytest.approx(-x, rel=1e-12), pytest.approx(-y, rel=1e-12)),
        ("max", pytest.approx(x, rel=1e-12), pytest.approx(y, rel=1e-12))]
    for p in result.points:
        assert a * p.x[0] ** 2 + b * p.x[1] ** 2 == pytest.approx(1.0, rel=1e-14)
    assert result.completeness.certified


def test_the_starting_multiplier_is_measured_in_each_variables_own_length():
    from diffcli.extrema.newton import initial_multipliers
    from diffcli.extrema.scaling import variable_scales

    kkt = KKTGraph(build_problem("x + y", ["1e6*x**2 + 1e-6*y**2 = 1"]))
    X, bounds = np.array([[1e-3 * math.cos(0.5), 1e3 * math.sin(0.5)]]), np.ones((1, 1))
    batch = kkt.evaluate(np.concatenate([X, np.zeros((1, 1))], axis=1), bounds)
    assert list(variable_scales(kkt, X, bounds)[0]) == pytest.approx([1e-3, 1e3], rel=1e-12)
    # In u = x/1e-3, v = y/1e3: ∇f = (1e-3, 1e3), ∇g = 2(cos, sin), so λ₀ = (1e-3·cos + 1e3·sin)/2.
    scaled = initial_multipliers(batch, np.ones((1, 1), bool), variable_scales(kkt, X, bounds))
    assert scaled[0, 0] == pytest.approx((1e-3 * math.cos(0.5) + 1e3 * math.sin(0.5)) / 2, rel=1e-12)
    # Unscaled, the steep x side decides: λ₀ ≈ 1/(2e3·cos), a millionth of the answer's 500.
    assert initial_multipliers(batch, np.ones((1, 1), bool))[0, 0] < 1e-3


# --------------------------------------------------------------------------- 4. missing points


def _quartic_sphere_points():
    axes = [tuple(s * (i == k) + 0.0 for k in range(3)) for i in range(3) for s in (1.0, -1.0)]
    halves = [tuple(v) for i, j in ((0, 1), (0, 2), (1, 2)) for si in (1, -1) for sj in (1, -1)
              for v in [[0.0] * 3] if not v.__setitem__(i, round(si / S2, 9)) and not v.__setitem__(j, round(sj / S2, 9))]
    thirds = [(round(a / math.sqrt(3), 9), round(b / math.sqrt(3), 9), round(c / math.sqrt(3), 9))
              for a in (1, -1) for b in (1, -1) for c in (1, -1)]
    return sorted([(p, "max") for p in axes] + [(p, "saddle") for p in halves] + [(p, "min") for p in thirds])


def test_all_26_critical_points_of_the_quartic_on_the_sphere():
    result = solve("x**4 + y**4 + z**4", ["x**2 + y**2 + z**2 = 1"])
    assert rows(result) == _quartic_sphere_points()
    assert result.completeness.saturated and result.completeness.new_in_last >= 20


def test_all_24_critical_points_of_a_brockett_problem():
    result = solve("a1**2 + 2*a2**2 + 3*a3**2 + 2*(b1**2 + 2*b2**2 + 3*b3**2)",
                   ["a1**2 + a2**2 + a3**2 = 1", "b1**2 + b2**2 + b3**2 = 1", "a1*b1 + a2*b2 + a3*b3 = 0"])
    kinds = [p.kind for p in result.points]
    assert len(result.points) == 24 and kinds.count("max") == 4 and kinds.count("min") == 4
    assert sorted({round(p.f, 12) for p in result.points}) == [4.0, 5.0, 7.0, 8.0]
    assert result.problem.variables == ["a1", "a2", "a3", "b1", "b2", "b3"]


def test_the_quartic_on_the_circle_has_all_eight_points_counted_exactly():
    result = solve("x**4 + y**4", ["x**2 + y**2 = 1"])
    h = round(1 / S2, 9)
    assert rows(result) == sorted([((1.0, 0.0), "max"), ((-1.0, 0.0), "max"), ((0.0, 1.0), "max"),
                                   ((0.0, -1.0), "max"), ((h, h), "min"), ((h, -h), "min"), ((-h, h), "min"),
                                   ((-h, -h), "min")])
    assert result.completeness.certified is True and result.completeness.count == 8


def test_a_count_that_finds_more_points_than_newton_says_so():
    result = solve("x*y*z", ["x**2 + 2*y**2 + 3*z**2 = 6"], starts=1, max_starts=1)
    assert len(result.points) < 14
    assert result.completeness.count == 14 and result.completeness.certified is False


GAUSSIAN_PRODUCT = "x*y*exp(-(x**2+y**2)/2)"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_critical_point_of_a_function_that_fades_away(seed):
    # From most starts Newton runs off to where f vanishes; the starts near the origin must
    # still be drawn until the saddle and both maxima are found (seed 2 also once ended at a
    # subnormal f = 1e-321 near (38, 7), which is underflow, not a critical point).
    result = solve(GAUSSIAN_PRODUCT, [], seed=seed)
    assert rows(result) == [((-1.0, -1.0), "max"), ((-1.0, 1.0), "min"), ((0.0, 0.0), "saddle"),
                            ((1.0, -1.0), "min"), ((1.0, 1.0), "max")]
    for p in result.points:
        assert p.f == pytest.approx({"max": math.exp(-1.0), "min": -math.exp(-1.0), "saddle": 0.0}[p.kind],
                                    rel=1e-14, abs=1e-300)
    assert result.completeness.saturated


@pytest.mark.parametrize("round_number, landed, scale", [
    (1, [0, 0, 0], 1), (2, [0, 5, 0], 2),          # every scale is tried once first
    (3, [0, 5, 0], 1), (5, [0, 5, 0], 1),          # then a scale whose runs all faded is skipped
    (3, [2, 5, 0], 0), (5, [2, 5, 0], 0),
    (3, [0, 0, 0], 0), (4, [0, 0, 0], 1),          # nothing landed anywhere: the plain cycle
])
def test_rounds_skip_a_scale_whose_runs_all_faded(round_number, landed, scale):
    from diffcli.extrema.solver import _round_scale

    assert _round_scale(round_number, landed) == scale


# --------------------------------------------------------------------------- 5. the three outcomes


@pytest.mark.parametrize("objective, constraint", [("x**3 + y", "x - y = 0"), ("x**2 - 2*x*y + 2*y", "x = 3")])
def test_no_critical_point_on_a_nonempty_set_is_not_called_contradictory(objective, constraint):
    with pytest.raises(NoCandidate) as error:
        solve(objective, [constraint])
    message = str(error.value)
    assert message.startswith("f has no critical point on the constraint set, which is not empty (e.g. ")
    assert message.endswith("SymPy finds no real solution of ∇L = 0") and "contradictory" not in message


def test_without_a_count_the_message_says_none_was_found():
    with pytest.raises(NoCandidate, match=r"^no critical point found from \d+ starts on the constraint set, which "
                                          r"is not empty \(e\.g\. x=3, y=.*\); f may have none there$"):
        solve("x**2 - 2*x*y + 2*y", ["x = 3"], certify=False)


def test_an_empty_set_is_contradictory():
    with pytest.raises(NoCandidate, match=r"the constraints look contradictory \(.*\); not proved, since "):
        solve("x + y", ["x**2 + y**2 = -1"])


# --------------------------------------------------------------------------- 6. curves of critical points


def test_a_circle_of_minima_is_one_row_with_samples():
    result = solve("x*y + y*z + z*x", ["x**2 + y**2 + z**2 = 1"])
    t = round(1 / math.sqrt(3), 9)
    isolated = sorted((tuple(np.round(p.x, 9)), p.kind) for p in result.points if p.isolated)
    assert isolated == [((-t, -t, -t), "max"), ((t, t, t), "max")]
    curve = [p for p in result.points if not p.isolated]
    assert len(curve) == 1 and curve[0].dimension == 1 and curve[0].kind == "min" and curve[0].f == pytest.approx(-0.5)
    assert len(curve[0].samples) >= 3
    for x in curve[0].samples:   # on the great circle x + y + z = 0 of the sphere
        assert x @ x == pytest.approx(1.0, abs=1e-12) and x.sum() == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- 7. irregular points


def test_the_cusp_is_found_as_an_irregular_point():
    result = solve("x", ["y**2 = x**3"])
    assert [(p.x.tolist(), p.kind, p.f) for p in result.points] == [([0.0, 0.0], "irregular", 0.0)]
    assert np.isnan(result.points[0].multipliers).all()


# --------------------------------------------------------------------------- 8. --exact and --compare


def test_exact_warns_when_sympys_set_differs(cli):
    result = cli("lagrange", "x*y*z", "-s", "x**2 + 2*y**2 + 3*z**2 = 6", "--exact", "--starts", "1",
                 "--max-starts", "1", "--json")
    document = json.loads(result.stdout)
    assert len(document["exact"]["solutions"]) == 14
    assert any("SymPy finds a critical point Newton did not" in w for w in document["warnings"])


def test_exact_reports_a_family_as_partial():
    from diffcli.extrema.check import exact_solutions

    exact = exact_solutions(build_problem("x**2 + y**2", ["x**2 + y**2 = 1"]))
    assert exact.status == "partial" and "famil" in exact.message


def test_exact_and_compare_still_run_when_there_is_no_critical_point(cli):
    result = cli("lagrange", "x**3 + y", "-s", "x - y = 0", "--exact", "--compare", "--starts", "1")
    assert result.exit_code == 1
    assert "SymPy: 0 real solutions of ∇L = 0" in result.stdout and "SciPy SLSQP" in result.stdout
    assert result.stderr.startswith("diffcli: error: f has no critical point on the constraint set")


# --------------------------------------------------------------------------- 9. smaller ones


def test_ties_are_labelled_alike_and_there_is_no_negative_zero(cli):
    result = cli("lagrange", "x*y", "-s", "x**2 + y**2 = 1")
    rows = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert sum("min f" in row for row in rows) == 2 and sum("max f" in row for row in rows) == 2
    document = json.loads(cli("lagrange", "x*y*z", "-s", "x + y + z = 0", "--json").stdout)
    assert "-0" not in json.dumps(document["points"])
    assert document["ties"] == {"max": [0], "min": [0]}


def test_a_small_value_is_not_a_tie_with_zero_beside_a_huge_one(cli):
    # f = 1e6 at the maxima once made the saddles' f = 1e-6 a "tie" with the minima's 0
    # (1e-12 of the largest |f|): the table said "min f" and the summary listed (0, ±1, 0)
    # as places of the absolute minimum.
    result = cli("lagrange", "1e6*x**2 + 1e-6*y**2", "-s", "x**2 + y**2 + z**2 = 1", "--json")
    document = json.loads(result.stdout)
    where = {tuple(document["points"][i]["x"].values()) for i in document["ties"]["min"]}
    assert where == {(0.0, 0.0, 1.0), (0.0, 0.0, -1.0)}
    where = {tuple(document["points"][i]["x"].values()) for i in document["ties"]["max"]}
    assert where == {(1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)}


def test_variables_are_in_reading_order():
    assert build_problem("100*(y - x**2)**2 + (1 - x)**2", ["x**2 + y**2 = 2"]).variables == ["x", "y"]
    assert build_problem("x10 + x2 + x1", ["x10 = 1"]).variables == ["x1", "x2", "x10"]
    assert build_problem("z*y*x", []).variables == ["x", "y", "z"]


def test_one_start_is_grammatical(cli):
    result = cli("lagrange", "x*y", "-s", "x**2 + y**2 = 1", "--start", "x=1,y=0.2", "--starts", "0",
                 "--max-starts", "1", "--no-certify")
    assert "from 1 start " in result.stdout


def test_overflow_at_the_start_is_not_called_undefined():
    with pytest.raises(MathError, match="not finite at all 3 starts \\(outside the domain, or overflow"):
        solve("exp(exp(x)) + y", ["x - y = 0"], box={"x": (800.0, 900.0), "y": (0.0, 1.0)}, starts=3,
              saturate=False)


def test_the_unboundedness_probe_sees_an_indefinite_quadratic_on_a_plane():
    result = solve("x**2 + y**2 - z**2", ["x + y + z = 1"])
    assert rows(result) == [((1.0, 1.0, -1.0), "saddle")]
    assert any("unbounded above" in w for w in result.warnings)
    assert any("unbounded below" in w for w in result.warnings)


def test_let_binds_a_parameter():
    result = diffcli.lagrange("x + y", "x**2 + y**2 = r**2", let={"r": 2.0})
    assert result.problem.variables == ["x", "y"]
    s = round(S2, 12)
    assert [(p.kind, *np.round(p.x, 12)) for p in result.points] == [("min", -s, -s), ("max", s, s)]


def test_vector_variables_solve_the_eigenvalue_problem():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    result = diffcli.lagrange("x @ A @ x", "x @ x = 1", let={"A": A}, shape={"x": (2,)})
    values, vectors = np.linalg.eigh(A)
    assert [p.kind for p in result.points] == ["min", "min", "max", "max"]
    assert [p.f for p in result.points] == pytest.approx([values[0]] * 2 + [values[1]] * 2, abs=1e-13)
    for p in result.points:   # x is a unit eigenvector, λ its eigenvalue
        assert A @ p.x == pytest.approx(p.multipliers[0] * p.x, abs=1e-13)


def test_vector_shape_comes_from_start(cli):
    result = cli("lagrange", "sum(x)", "-s", "x @ x = 3", "--start", "x=[1,0.5,0.2]", "--json")
    document = json.loads(result.stdout)
    assert document["variables"] == ["x[0]", "x[1]", "x[2]"]
    assert [(p["x"]["x"], p["kind"]) for p in document["points"]] == [([-1, -1, -1], "min"), ([1, 1, 1], "max")]


# --------------------------------------------------------------------------- 10. one graph, one evaluation


def test_the_kkt_matrix_is_one_graph_evaluated_once_per_batch(monkeypatch):
    problem = build_problem("x**2*y + exp(x*y)", ["x**2 + y**2 = 1", "sin(x) - y**3 = 0"])
    kkt = KKTGraph(problem)
    calls = []
    original = kkt_module.evaluate
    monkeypatch.setattr(kkt_module, "evaluate", lambda *a, **k: calls.append(1) or original(*a, **k))
    batch = kkt.evaluate(np.random.default_rng(0).normal(size=(50, 4)), np.tile([1.0, 0.0], (50, 1)))
    assert len(calls) == 1 and batch.K.shape == (50, 4, 4)
    assert kkt.vectorized
