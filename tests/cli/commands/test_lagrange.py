"""`diffcli lagrange`: the table, the JSON document, --exact, --compare, --plot, bad input."""

from __future__ import annotations

import json
import math

import pytest

CIRCLE = ("lagrange", "x*y", "--subject-to", "x**2 + y**2 = 1")


def test_json_document_follows_the_design(cli_json):
    document = cli_json(*CIRCLE)
    assert set(document) >= {"objective", "constraints", "points", "max", "min", "warnings"}
    assert document["objective"] == "x*y" and document["constraints"] == ["x**2 + y**2 = 1"]
    assert len(document["points"]) == 4
    for point in document["points"]:
        assert set(point) >= {"x", "multipliers", "f", "kind", "iterations", "residual"}
        assert point["kind"] in ("min", "max")
        assert abs(point["x"]["x"]) == pytest.approx(1 / math.sqrt(2), abs=1e-14)
        assert point["multipliers"][0] == pytest.approx(point["f"], abs=1e-14)
    assert document["points"][document["max"]]["f"] == pytest.approx(0.5, abs=1e-15)
    assert document["points"][document["min"]]["f"] == pytest.approx(-0.5, abs=1e-15)
    assert document["starts"] >= 40 and document["completeness"]["summary"].startswith("all 4 real critical points")


def test_min_and_max_report_one_answer(cli_json):
    low = cli_json(*CIRCLE, "--min")
    high = cli_json(*CIRCLE, "--max")
    assert len(low["points"]) == 1 and low["min"] == 0 and low["max"] is None
    assert low["points"][0]["f"] == pytest.approx(-0.5, abs=1e-15) and low["points"][0]["kind"] == "min"
    assert len(high["points"]) == 1 and high["max"] == 0 and high["min"] is None
    assert high["points"][0]["f"] == pytest.approx(0.5, abs=1e-15) and high["points"][0]["kind"] == "max"


def test_table_marks_kinds_and_extremes(cli):
    result = cli(*CIRCLE)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("local max") == 2 and result.stdout.count("local min") == 2
    assert "max f" in result.stdout and "min f" in result.stdout
    assert "4 critical points; all 4 real critical points found (counted exactly by SymPy)" in result.stdout
    assert "absolute max f = 0.5 at (x=-0.707107, y=-0.707107) and (x=0.707107, y=0.707107)" in result.stdout
    assert "0.70710678" in result.stdout  # numbers are never truncated to '0.7…'


def test_verbose_prints_the_newton_log(cli, cli_json):
    result = cli(*CIRCLE, "--start", "x=1,y=0.2", "--starts", "0", "--verbose")
    assert result.exit_code == 0, result.stderr
    assert "Newton log, point 1" in result.stdout and "‖∇L‖∞" in result.stdout
    document = cli_json(*CIRCLE, "--start", "x=1,y=0.2", "--starts", "0", "--verbose")
    log = document["points"][0]["log"]
    assert log[0]["iteration"] == 0 and log[-1]["residual"] < 1e-15
    assert [entry["iteration"] for entry in log] == list(range(len(log)))


def test_exact_solutions_beside_the_numeric_ones(cli_json):
    document = cli_json("lagrange", "x*y*z", "-s", "x**2 + 2*y**2 + 3*z**2 = 6", "--exact", "--starts", "60",
                        "--box", "-3:3")
    assert document["exact"]["status"] == "ok" and len(document["exact"]["solutions"]) == 14
    assert len(document["points"]) == 14
    exact_f = {p["exact"]["f"] for p in document["points"]}
    assert exact_f == {"-2*sqrt(3)/3", "0", "2*sqrt(3)/3"}


def test_exact_reports_missed_points(cli):
    result = cli("lagrange", "x*y*z", "-s", "x**2 + 2*y**2 + 3*z**2 = 6", "--exact", "--starts", "1",
                 "--max-starts", "1")
    assert result.exit_code == 0, result.stderr
    assert "SymPy finds a critical point Newton did not" in result.stderr


def test_compare_runs_scipy_from_the_same_starts(cli, cli_json):
    document = cli_json(*CIRCLE, "--compare", "--starts", "6")
    compare = document["compare"]
    assert set(compare) == {"sense", "diffcli", "SLSQP", "trust-constr"}
    assert compare["diffcli"]["starts"] >= 6    # the first round's 6, then rounds until nothing new
    for name in ("diffcli", "SLSQP", "trust-constr"):
        assert compare[name]["starts"] == 6 or name == "diffcli"
        assert compare[name]["best"] == pytest.approx(-0.5, abs=1e-6)
        assert compare[name]["iterations"] > 0 and compare[name]["seconds"] > 0
    table = cli(*CIRCLE, "--compare", "--starts", "6")
    assert "SciPy SLSQP" in table.stdout and "SciPy trust-constr" in table.stdout


def test_plot_writes_a_png(cli, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "fig.png"
    result = cli(*CIRCLE, "--plot", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"figure written to {target}" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("lagrange", "x + y + z", "-s", "x + y + z = 1", "--plot", "f.png"), "--plot draws problems in two scalar"),
    ((*CIRCLE, "--start", "x"), "--start: expected NAME=VALUE"),
    ((*CIRCLE, "--start", "q=1"), "--start: 'q' is not a variable"),
    ((*CIRCLE, "--start", "x=[1,2]"), "the objective must be a scalar, but it has shape (2,)"),
    ((*CIRCLE, "--box", "1:0"), "--box: LO must be less than HI"),
    ((*CIRCLE, "--box", "x=1"), "--box x: expected LO:HI"),
    ((*CIRCLE, "--box", "lo:hi"), "--box"),
    ((*CIRCLE, "--min", "--max"), "--min and --max exclude each other"),
    (("lagrange", "x*y", "-s", "2 = 3"), "the constraint has no variables"),
    (("lagrange", "x*y", "-s", "x = = 1"), "a side of the relation is empty (column 4)"),
    (("lagrange", "x*y", "-s", "x +* y = 1"), "column 4"),
    ((*CIRCLE, "--starts", "0"), "--starts: give a positive number"),
    ((*CIRCLE, "--tol", "0"), "--tol must be a positive number"),
    ((*CIRCLE, "--max-iter", "0"), "--max-iter must be at least 1"),
    ((*CIRCLE, "--seed", "-1"), "--seed must be a number >= 0"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_contradictory_constraints_exit_1_with_the_best_residual(cli):
    result = cli("lagrange", "x + y", "-s", "x + y = 1", "-s", "x + y = 2", "--starts", "4")
    assert result.exit_code == 1
    assert "no feasible point found from" in result.stderr and "the feasible set is empty (proved: " in result.stderr


def test_non_smooth_objective_warns_on_stderr_only(cli):
    result = cli("lagrange", "abs(x) + y**2", "-s", "x + y = 1", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert any("not smooth" in w for w in document["warnings"])
    assert "warning: the problem is not smooth everywhere (abs)" in result.stderr


def test_more_constraints_than_variables_warns(cli):
    result = cli("lagrange", "x + y", "-s", "x = 1", "-s", "y = 2", "-s", "x + y = 3")
    assert result.exit_code == 0, result.stderr
    assert "more equations (3) than variables (2)" in result.stderr
    assert "LICQ fails at x=1, y=2" in result.stderr


def test_objective_from_stdin(cli):
    result = cli("lagrange", "-", "-s", "x + y = 2", "--json", input="x**2 + y**2")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["points"][0]["x"] == {"x": 1.0, "y": 1.0}


def test_help_has_examples(cli):
    result = cli("lagrange", "--help")
    assert result.exit_code == 0 and "Examples" in result.stdout and "--subject-to" in result.stdout
