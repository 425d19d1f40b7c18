"""`diffcli numeric` and its --sweep: the JSON rows, the table, --plot, bad input."""

from __future__ import annotations

import json
import math
import sys

import pytest

from diffcli.ad.evaluate import evaluate
from diffcli.ad.parse import parse
from diffcli.checks.numeric import CENTRAL_STEP, ONE_SIDED_STEP
from diffcli.checks.complex_step import blocker as complex_step_blocker

CUBIC = "3*x**3 - 5*x**2"


@pytest.fixture(scope="module")
def cubic_document(cli_json):
    return cli_json("numeric", CUBIC, "--at", "x=1.5", "--sweep")


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


def test_complex_step_is_refused_for_non_analytic_formulas(cli):
    g = parse("abs(x)*x")
    assert "'abs'" in complex_step_blocker(g, evaluate(g, {"x": 0.3}), [2], ["x"])
    result = cli("numeric", "abs(x)*x + x", "--at", "x=0.3", "--sweep", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert all(row["complex_step"] is None for row in document["rows"])
    assert "complex_step" not in document["best"]
    assert "complex step not available" in result.stderr


def test_steps_leaving_the_domain_are_undefined_not_fatal(cli_json):
    document = cli_json("numeric", "log(x)", "--at", "x=0.001", "--sweep")
    rows = {row["h"]: row for row in document["rows"]}
    assert rows[0.1]["central"] is None and rows[0.1]["forward"] is not None
    assert document["best"]["central"]["error"] < 1e-5


def test_table_marks_the_best_steps(cli):
    result = cli("numeric", CUBIC, "--at", "x=1.5", "--sweep")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("★") >= 5 + 1  # one per scheme, plus the legend
    assert "textbook h" in result.stdout and "5.25" in result.stdout


def test_plot_png_and_svg(cli, tmp_path):
    pytest.importorskip("matplotlib")
    png, svg = tmp_path / "err.png", tmp_path / "err.svg"
    for path in (png, svg):
        result = cli("numeric", CUBIC, "--at", "x=1.5", "--sweep", "--plot", str(path))
        assert result.exit_code == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "<svg" in svg.read_text()[:1000]


def test_plot_without_matplotlib_says_how_to_install_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails, as without the extra
    result = cli("numeric", CUBIC, "--at", "x=1.5", "--sweep", "--plot", str(tmp_path / "e.png"))
    assert result.exit_code == 1
    assert result.stderr == ("diffcli: error: --plot needs matplotlib, an optional extra: pip install 'diffcli[plot]' "
                             "(or pip install matplotlib)\n")  # the same line for every picture
    assert not (tmp_path / "e.png").exists()


def test_without_sweep_central_is_compared_with_reverse(cli_json):
    document = cli_json("numeric", CUBIC, "--at", "x=1.5")
    assert set(document["methods"]) == {"central", "reverse"} and document["reference"] == "reverse"
    assert document["methods"]["central"]["grad"]["x"] == pytest.approx(5.25, abs=1e-8)


def test_sweep_along_a_chosen_variable(cli_json):
    document = cli_json("numeric", "x*y**2", "--at", "x=3,y=2", "--sweep", "--wrt", "y")
    assert document["variable"] == "y" and document["reference"] == 12.0


@pytest.mark.parametrize("args, message", [
    (["--plot", "e.png"], "--sweep"),
    (["--sweep", "--plot", "e.gif"], "--plot"),
    (["--sweep", "--h", "0.1"], "--h"),
    (["--sweep", "--wrt", "x,y"], "--wrt"),
])
def test_bad_options_exit_2(cli, args, message):
    result = cli("numeric", "x*y", "--at", "x=1,y=2", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_tensors_and_lists_are_refused(cli):
    result = cli("numeric", "x[0]*x[1]", "--at", "x=[1,2]", "--sweep")
    assert result.exit_code == 2 and "scalar variable" in result.stderr
    result = cli("numeric", "[x, x*x]", "--at", "x=1", "--sweep")
    assert result.exit_code == 2 and "single output" in result.stderr


def test_an_undefined_value_is_a_math_error(cli):
    result = cli("numeric", "log(x)", "--at", "x=-1", "--sweep")
    assert result.exit_code == 1 and "log of a negative number" in result.stderr
