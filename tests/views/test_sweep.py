"""The step sweep: truncation against round-off, each quotient measured against AD."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.ad.parse import parse
from diffcli.views.sweep import sweep


def test_complex_step_survives_tiny_steps():
    s = sweep(parse("exp(x)/sqrt(sin(x)**3 + cos(x)**3)"), {"x": 1.5}, "x")
    assert max(s.errors["complex step"][7:]) < 1e-14 * abs(s.reference)
    assert s.errors["central"][-1] > 1e-3


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["exp(x)", "x**4 - x", "log(1 + x)", "1/x", "sqrt(x)"]), st.floats(0.2, 3.0))
def test_central_beats_forward_at_their_best_steps(formula, x):
    # Away from inflection points (f'' = 0 makes the forward quotient second order too).
    s = sweep(parse(formula), {"x": x}, "x")
    assert s.best["central"].error <= s.best["forward"].error
    assert s.best["complex step"].error <= 1e-13 * max(1.0, abs(s.reference))


def test_every_scheme_at_every_power_of_ten_scored_against_ad():
    # exp'(1) = e: every quotient at h = 1e-1 … 1e-16 (the grid the help promises), each error |quotient − e|.
    s = sweep(parse("exp(x)"), {"x": 1.0}, "x")
    assert s.steps == [10.0 ** -k for k in range(1, 17)] and s.reference == math.e
    assert set(s.values) == set(s.errors) == {"forward", "backward", "central", "richardson", "complex step"}
    for scheme, values in s.values.items():
        assert [abs(v - math.e) for v in values] == s.errors[scheme]
    assert s.values["forward"][0] == (math.exp(1.1) - math.e) / 0.1
    assert s.best["complex step"].error < 1e-15 and 1e-9 <= s.best["forward"].h <= 1e-7


def test_complex_step_is_refused_across_the_logarithms_branch_cut():
    # NumPy's (−1.5 + ih)**100 goes through the complex log: its derivative would be wrong.
    s = sweep(parse("x**100"), {"x": -1.5}, "x")
    assert "complex step" not in s.best and "branch cut" in s.notes[0]
    assert s.best["central"].error < 1e-6 * abs(s.reference)
    assert "complex step" in sweep(parse("x**100"), {"x": 1.5}, "x").best


def test_complex_step_is_refused_when_an_op_drops_the_imaginary_part(monkeypatch):
    import dataclasses

    import numpy as np

    from diffcli.ad.ops import PRIMITIVES

    # An implementation that casts to float (as a reduction might) must not yield a silent 0.
    real_only = dataclasses.replace(PRIMITIVES["sin"], impl=lambda x: np.float64(np.sin(x)))
    monkeypatch.setitem(PRIMITIVES, "sin", real_only)
    s = sweep(parse("sin(x)*x"), {"x": 1.0}, "x")
    assert "complex step" not in s.best and "real numbers only" in s.notes[0]
