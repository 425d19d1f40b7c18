"""The fast paths added for speed (bench/) compute what the slow paths computed."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from diffcli.ad.ops.kernels import power as _power
from diffcli.ad.ops.kernels import strong_multiply as _strong_multiply

SPECIAL = [0.0, -0.0, 1.0, -1.0, 1e-200, 1e200, -1e200, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("k", [1.0, 2.0])
def test_power_by_multiplication_is_bitwise_np_power_for_1_and_2(k):
    x = np.array(SPECIAL + list(np.random.default_rng(1).uniform(-50, 50, 200)))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(_power(x, np.float64(k)), np.power(x, k))


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e60, max_value=1e60),
       st.sampled_from([3.0, 4.0]))
def test_power_by_multiplication_within_two_ulps_for_3_and_4(x, k):
    fast, slow = _power(np.float64(x), np.float64(k)), np.power(np.float64(x), k)
    if slow == 0 or not np.isfinite(slow):
        assert fast == slow
    else:
        assert abs(fast - slow) <= 2 * np.spacing(abs(slow))


def test_power_keeps_special_values_and_other_exponents():
    x = np.array(SPECIAL)
    with np.errstate(all="ignore"):
        for k in (3.0, 4.0):
            np.testing.assert_array_equal(_power(x, np.float64(k)), np.power(x, k))
        assert _power(np.float64(2.0), np.float64(0.5)) == np.sqrt(2.0)
        assert _power(np.array([8.0]), np.float64(-1.0))[0] == 0.125


def test_strong_multiply_scalar_shortcut_keeps_the_strong_zero_rule():
    g = np.array([1.0, np.inf, np.nan, 0.0])
    with np.errstate(all="ignore"):
        # A finite nonzero scalar: no 0·∞ is possible, the product is plain.
        np.testing.assert_array_equal(_strong_multiply(np.float64(2.0), g), [2.0, np.inf, np.nan, 0.0])
        # A zero scalar still zeroes the non-finite entries: 0·∞ = 0 on a branch not taken.
        np.testing.assert_array_equal(_strong_multiply(g, np.float64(0.0)), [0.0, 0.0, 0.0, 0.0])
        # An infinite scalar against zeros: 0·∞ = 0 as before.
        np.testing.assert_array_equal(_strong_multiply(np.float64(np.inf), np.array([0.0, 1.0])), [0.0, np.inf])


def test_only_the_invoked_command_is_built_and_help_sees_all():
    from diffcli.cli import app as typer_app  # noqa: F401  (registers every command)

    app_module = sys.modules["diffcli.cli.app"]
    everything = app_module.app.registered_commands
    assert len(everything) == 13
    picked = app_module._invoked_commands(["grad", "x", "--at", "x=1"])
    assert [info.callback.__name__ for info in picked] == ["grad"]
    assert [info.name for info in app_module._invoked_commands(["taylor"])] == ["taylor"]
    for args in ([], ["--help"], ["gard", "x"], ["--version"]):
        assert app_module._invoked_commands(args) is everything


def test_cli_help_and_unknown_command_still_list_every_command():
    listing = run_cli("--help")
    assert listing.returncode == 0
    for name in ("grad", "jvp", "vjp", "jacobian", "hessian", "diff", "numeric", "taylor", "trace", "graph",
                 "lagrange", "check", "steps"):
        assert name in listing.stdout
    typo = run_cli("gard", "x")
    assert typo.returncode == 2 and "gard" in typo.stderr
    assert run_cli("grad", "3*x**3 - 5*x**2", "--at", "x=1.5", "--method", "reverse", "--json").returncode == 0


def test_finiteness_check_is_exact_and_silent_for_huge_entries():
    import warnings

    from diffcli.ad.ops import all_finite

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the sum overflows here; no warning may escape
        assert all_finite(np.array([1e200, -1e300, 2.0]))
        assert all_finite(np.array([1.7e308, 1.7e308]))
        assert not all_finite(np.array([np.inf, -np.inf]))  # the sum is NaN (an invalid operation)
        assert not all_finite(np.array([np.nan, 1.0, 2.0, 3.0])[::2]) and all_finite(np.array([np.nan, 1.0, 2.0])[1::1])
        assert not all_finite(np.array([1e200, np.inf]))
        assert not all_finite(np.array([[0.0, np.nan]]))
        assert all_finite(np.array([], dtype=np.float64))
