"""`diffcli grad --at-file`: the CSV, JSON and table outputs, and their usage errors."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def points(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,3\n2,5\n-1,0.5\n")
    return str(path)


def test_csv_output(cli, points):
    result = cli("grad", "x*y + x**2", "--at-file", points, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["x,y,f,df/dx,df/dy", "1,3,4,5,1", "2,5,14,9,2", "-1,0.5,0.5,-1.5,-1"]


def test_json_output(cli_json, points):
    document = cli_json("grad", "x*y + log(x)", "--at-file", points)
    assert document["points"] == 3 and document["method"] == "reverse"
    assert document["value"][:2] == [3.0, 2 * 5 + np.log(2)] and document["value"][2] is None
    assert document["grad"] == {"x": [4.0, 5.5, None], "y": [1.0, 2.0, None]}
    assert len(document["warnings"]) == 1


def test_table_output_and_warning_on_stderr(cli, points):
    result = cli("grad", "x*y + log(x)", "--at-file", points)
    assert result.exit_code == 0
    assert result.stdout.startswith("3 points, f and ∇f by reverse mode (∇f traced once, evaluated in vectorised chunks)")
    assert "undefined" in result.stdout
    assert result.stderr.startswith("warning: f is not finite at 1 of 3 points")


def test_let_constants_and_wrt(cli_json, points):
    document = cli_json("grad", "c*x*y", "--at-file", points, "--let", "c=2", "--wrt", "y")
    assert document["wrt"] == ["y"] and document["grad"] == {"y": [2.0, 4.0, -2.0]}


def test_large_batch_through_the_cli_in_one_pass(cli, tmp_path):
    x = np.linspace(-1, 1, 200_001)
    path = tmp_path / "many.csv"
    np.savetxt(path, x, header="x", comments="", fmt="%.17g")
    result = cli("grad", "x**2", "--at-file", str(path), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    data = np.loadtxt(result.stdout.splitlines()[1:], delimiter=",")
    assert data.shape == (200_001, 3)
    assert np.array_equal(data[:, 2], 2 * x)
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


@pytest.mark.parametrize("extra", [
    ("--at", "x=1"),
    ("--format", "xml"),
    ("--format", "csv", "--json"),
    ("--method", "symbolic"),
    ("--let", "c=[1,2]"),
])
def test_batch_usage_errors(cli, points, extra):
    expr = "c*x*y" if "c=[1,2]" in extra else "x*y"
    result = cli("grad", expr, "--at-file", points, *extra)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("diffcli: error: ") and result.stderr.count("\n") == 1


def test_format_csv_without_a_file_is_a_usage_error(cli):
    result = cli("grad", "x", "--at", "x=1", "--format", "csv")
    assert result.exit_code == 2 and "--at-file" in result.stderr


def test_missing_variable_in_the_file(cli, points):
    result = cli("grad", "x*z", "--at-file", points)
    assert result.exit_code == 2 and "'z'" in result.stderr


def test_refused_formula_through_the_cli(cli, points):
    result = cli("grad", "sum(x)*y", "--at-file", points)
    assert result.exit_code == 2
    assert "sum at column 1 combines entries" in result.stderr


def test_progress_bar_appears_only_on_a_terminal_after_a_moment(monkeypatch):
    from diffcli.cli import batch_view as cli_batch

    monkeypatch.setattr(cli_batch.sys.stderr, "isatty", lambda: False, raising=False)
    quiet = cli_batch._LazyProgress()
    quiet.start -= 10
    quiet(1, 10)
    assert quiet.bar is None
    monkeypatch.setattr(cli_batch.sys.stderr, "isatty", lambda: True, raising=False)
    fresh = cli_batch._LazyProgress()
    fresh(1, 10)                                   # too soon: nothing shown yet
    assert fresh.bar is None
    fresh.start -= 10
    fresh(5, 10)
    assert fresh.bar is not None and fresh.bar.tasks[0].completed == 5
    fresh.close()
