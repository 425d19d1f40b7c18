"""Feasibility at rounding level: far out, where x + y at |x| ≈ 1e14 is off by 0.1, round-off
must not pass for a constraint that holds (x + y ≤ 1 and x + y ≥ 1.5 were "met" there)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from diffcli.extrema.feasibility import FEASIBLE, LOST, ROUNDING, lost, natural_size, rounding_bound, violation
from diffcli.extrema.problem import build_problem
from diffcli.extrema.solver import NoCandidate, solve

EPS = float(np.finfo(np.float64).eps)
PROVED = (r"diffcli: error: no feasible point found from 160 starts: the feasible set is empty \(proved: the "
          r"constraints are convex and a positive combination of them is violated everywhere; smallest relative "
          r"violation 0\.0\d+ at x=\S+, y=\S+\)\n")


@pytest.mark.parametrize("objective, constraints", [
    # x + y ≤ 1 and x + y ≥ 1.5: empty; Newton used to end at x ≈ −y ≈ 6e13 with 23 "degenerate" points
    ("x + y", ["(x+y)**2 <= 1", "x + y >= 1.5"]),
    ("x - y", ["(x-y)**2 <= 1", "x - y >= 1.5"]),
])
def test_a_set_emptied_by_two_parallel_bounds_is_proved_empty_not_found_far_out(cli, objective, constraints):
    result = cli("lagrange", objective, *(part for c in constraints for part in ("-s", c)))
    assert result.exit_code == 1 and result.stdout == ""
    assert re.fullmatch(PROVED, result.stderr)
    with pytest.raises(NoCandidate) as caught:
        solve(objective, constraints)
    runs = caught.value.result.runs
    assert len(runs) == 160 and not any(run.converged for run in runs)
    # the runs that ran off toward |x| ≈ 1e13 end as failed runs, not points
    assert any(run.reason.startswith("diverged: |x| grew beyond 1e+08 times the start") for run in runs)


def test_a_non_empty_strip_loses_nothing_true():
    # 1.5 ≤ x + y on the disk of radius 2: max 2√2 at (√2, √2), min 1.5 on the chord x + y = 1.5
    result = solve("x + y", ["x**2 + y**2 <= 4", "x + y >= 1.5"])
    high = result.points[result.max]
    assert high.kind == "max"
    assert high.f == pytest.approx(2 * math.sqrt(2), abs=1e-14)
    np.testing.assert_allclose(high.x, [math.sqrt(2), math.sqrt(2)], atol=1e-14)
    lows = [p for p in result.points if p.f == pytest.approx(1.5, abs=1e-14)]
    assert len(lows) == len(result.points) - 1 and all(sum(p.x) == pytest.approx(1.5, abs=1e-14) for p in lows)
    assert all(p.x @ p.x <= 4 + 1e-14 for p in result.points)


def test_the_rounding_bound_is_32_unit_roundoffs_of_the_terms():
    assert ROUNDING == 16 * EPS
    J = np.array([[[1.0, 1.0], [3.0, 3.0]]])               # x + y and (x+y)² at x + y = 1.5
    X = np.array([[-6e13, 6e13]])
    assert rounding_bound(J, X).tolist() == [[16 * EPS * 1.2e14, 16 * EPS * 3.6e14]]


@pytest.mark.parametrize("x, J, bound, length, expected", [
    # x + y ≥ 1.5 with terms 1.3e14: 32u of them is 0.45, above 1.5/100 — no correct digit left
    ((-6.3642282e13, 6.3642282e13), (1.0, 1.0), 1.5, 2.0, True),
    ((-1e6, 1e6), (1.0, 1.0), 1.5, 2.0, False),                                 # 1.4e-8: nine digits left
    # x² + y² = 1e12 at its solution (the "huge circle"): the right-hand side is the natural size
    ((7.0710678e5, 7.0710678e5), (1.4142136e6, 1.4142136e6), 1e12, 1.0, False),
])
def test_a_constraint_is_lost_when_rounding_reaches_a_hundredth_of_its_natural_size(x, J, bound, length, expected):
    X, J, bounds = np.array([x]), np.array([[J]]), np.array([[bound]])
    assert bool(lost(bounds, J, X, length)[0]) is expected
    assert bool(rounding_bound(J, X)[0, 0] > LOST * natural_size(bounds, J, length)[0, 0]) is expected


def test_a_point_far_out_is_no_feasible_point_however_small_its_violation_looks_against_its_terms():
    problem = build_problem("x + y", ["(x+y)**2 <= 1", "x + y >= 1.5"])
    x = np.array([[-6.3642282e13, 6.3642282e13 + 1.25]])   # x + y computes to 1.25 (±0.02): both violated
    s = float(x.sum())
    e = np.array([[s * s, s]])
    J = np.array([[[2 * s, 2 * s], [1.0, 1.0]]])
    assert violation(problem, e, J, x, 2.0)[0] >= 1.0                      # lost to rounding
    near = np.array([[0.25, 0.75]])                                          # x + y = 1: feasible for the first
    assert violation(problem, np.array([[1.0, 1.0]]), np.array([[[2.0, 2.0], [1.0, 1.0]]]), near, 2.0)[0] \
        == pytest.approx(0.5 / 4.0)                                          # 1.5 − 1 against max(1.5, 2·2)
    assert FEASIBLE < 0.5 / 4.0


def test_f_that_levels_off_far_out_is_not_called_unbounded():
    # On the strip 1.5 <= x + y <= 2, x + y far out is 2 give or take an ulp: no "still growing".
    result = solve("x + y", ["(x+y)**2 <= 4", "x + y >= 1.5"])
    assert max(p.f for p in result.points) == pytest.approx(2, abs=1e-12)
    assert not [w for w in result.warnings if "unbounded" in w], result.warnings
    # ... while a truly unbounded f on a plane still says so, both ways
    warnings = solve("x**2 + y**2 - z**2", ["x + y + z = 1"]).warnings
    assert any("unbounded above" in w for w in warnings) and any("unbounded below" in w for w in warnings)
