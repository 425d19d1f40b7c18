"""`diffcli numeric` and its --sweep: truncation against round-off, measured against AD."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROOT, _env, run_cli, run_json
from diffcli.checks.numeric import CENTRAL_STEP, ONE_SIDED_STEP
from diffcli.ad.evaluate import evaluate
from diffcli.ad.parse import parse
from diffcli.checks.complex_step import blocker as complex_step_blocker
from diffcli.views.sweep import STEPS, sweep

CUBIC = "3*x**3 - 5*x**2"


@pytest.fixture(scope="module")
def cubic_document():
    return run_json("numeric", CUBIC, "--at", "x=1.5", "--sweep")


def test_rows_cover_h_from_1e_1_to_1e_16(cubic_document):
    hs = [row["h"] for row in cubic_document["rows"]]
    assert hs == [10.0 ** -k for k in range(1, 17)]
    assert cubic_document["reference"] == 5.25 and cubic_document["reference_method"] == "reverse"
    row = cubic_document["rows"][0]
    for scheme in ("forward", "backward", "central", "richardson", "complex_step"):
        assert math.isclose(row[f"{scheme}_error"], abs(row[scheme] - 5.25), rel_tol=1e-12, abs_tol=1e-15)


def test_truncation_errors_follow_the_textbook_terms(cubic_document):
    # f'' = 18x - 10 = 17 and f''' = 18: forward errs by h·f''/2, central by h²·f'''/6.
    rows = {row["h"]: row for row in cubic_document["rows"]}
    assert rows[1e-3]["forward_error"] == pytest.approx(8.5e-3, rel=1e-2)
    assert rows[1e-3]["backward_error"] == pytest.approx(8.5e-3, rel=1e-2)
    assert rows[1e-2]["central_error"] == pytest.approx(3e-4, rel=1e-6)
    # Central differences of a cubic err by exactly h²; Richardson removes that term.
    assert rows[1e-1]["richardson_error"] < 1e-13


def test_best_steps_sit_near_the_textbook_optimum(cubic_document):
    best = cubic_document["best"]
    assert 1e-9 <= best["forward"]["h"] <= 1e-7 and best["forward"]["textbook_h"] == pytest.approx(ONE_SIDED_STEP * 1.5)
    assert 1e-7 <= best["central"]["h"] <= 1e-4 and best["central"]["textbook_h"] == pytest.approx(CENTRAL_STEP * 1.5)
    assert best["central"]["error"] < best["forward"]["error"] / 100
    assert best["complex_step"]["error"] < 1e-14 and best["complex_step"]["textbook_h"] is None
    # Round-off: at h = 1e-16 the one-sided quotient has lost every digit.
    assert cubic_document["rows"][-1]["forward_error"] > 1.0


def test_complex_step_survives_tiny_steps():
    s = sweep(parse("exp(x)/sqrt(sin(x)**3 + cos(x)**3)"), {"x": 1.5}, "x")
    assert max(s.errors["complex step"][7:]) < 1e-14 * abs(s.reference)
    assert s.errors["central"][-1] > 1e-3


def test_complex_step_is_refused_for_non_analytic_formulas():
    g = parse("abs(x)*x")
    assert "'abs'" in complex_step_blocker(g, evaluate(g, {"x": 0.3}), [2], ["x"])
    result = run_cli("numeric", "abs(x)*x + x", "--at", "x=0.3", "--sweep", "--json")
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert all(row["complex_step"] is None for row in document["rows"])
    assert "complex_step" not in document["best"]
    assert "complex step not available" in result.stderr


def test_steps_leaving_the_domain_are_undefined_not_fatal():
    document = run_json("numeric", "log(x)", "--at", "x=0.001", "--sweep")
    rows = {row["h"]: row for row in document["rows"]}
    assert rows[0.1]["central"] is None and rows[0.1]["forward"] is not None
    assert document["best"]["central"]["error"] < 1e-5


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["exp(x)", "x**4 - x", "log(1 + x)", "1/x", "sqrt(x)"]), st.floats(0.2, 3.0))
def test_central_beats_forward_at_their_best_steps(formula, x):
    # Away from inflection points (f'' = 0 makes the forward quotient second order too).
    s = sweep(parse(formula), {"x": x}, "x")
    assert s.best["central"].error <= s.best["forward"].error
    assert s.best["complex step"].error <= 1e-13 * max(1.0, abs(s.reference))


def test_table_marks_the_best_steps():
    result = run_cli("numeric", CUBIC, "--at", "x=1.5", "--sweep")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("★") >= 5 + 1  # one per scheme, plus the legend
    assert "textbook h" in result.stdout and "5.25" in result.stdout


def test_plot_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    png, svg = tmp_path / "err.png", tmp_path / "err.svg"
    for path in (png, svg):
        result = run_cli("numeric", CUBIC, "--at", "x=1.5", "--sweep", "--plot", str(path))
        assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "<svg" in svg.read_text()[:1000]


def test_plot_without_matplotlib_says_how_to_install_it(tmp_path):
    blocker = tmp_path / "matplotlib"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('matplotlib is hidden for this test')\n")
    env = _env()
    env["PYTHONPATH"] = str(tmp_path) + ":" + env["PYTHONPATH"]
    result = subprocess.run([sys.executable, "-m", "diffcli", "numeric", CUBIC, "--at", "x=1.5", "--sweep",
                             "--plot", str(tmp_path / "e.png")], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 1
    assert "pip install 'diffcli[plot]'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "e.png").exists()


def test_without_sweep_central_is_compared_with_reverse():
    document = run_json("numeric", CUBIC, "--at", "x=1.5")
    assert set(document["methods"]) == {"central", "reverse"} and document["reference"] == "reverse"
    assert document["methods"]["central"]["grad"]["x"] == pytest.approx(5.25, abs=1e-8)


def test_sweep_along_a_chosen_variable():
    document = run_json("numeric", "x*y**2", "--at", "x=3,y=2", "--sweep", "--wrt", "y")
    assert document["variable"] == "y" and document["reference"] == 12.0


@pytest.mark.parametrize("args, message", [
    (["--plot", "e.png"], "--sweep"),
    (["--sweep", "--plot", "e.gif"], "--plot"),
    (["--sweep", "--h", "0.1"], "--h"),
    (["--sweep", "--wrt", "x,y"], "--wrt"),
])
def test_bad_options_exit_2(args, message):
    result = run_cli("numeric", "x*y", "--at", "x=1,y=2", *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_tensors_and_lists_are_refused():
    result = run_cli("numeric", "x[0]*x[1]", "--at", "x=[1,2]", "--sweep")
    assert result.returncode == 2 and "scalar variable" in result.stderr
    result = run_cli("numeric", "[x, x*x]", "--at", "x=1", "--sweep")
    assert result.returncode == 2 and "single output" in result.stderr


def test_an_undefined_value_is_a_math_error():
    result = run_cli("numeric", "log(x)", "--at", "x=-1", "--sweep")
    assert result.returncode == 1 and "log of a negative number" in result.stderr


def test_default_grid():
    assert STEPS[0] == 0.1 and STEPS[-1] == 1e-16 and len(STEPS) == 16


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
