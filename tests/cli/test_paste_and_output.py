"""Output people can paste (`--format markdown|latex`), tensor files (`--output`), JSON's
non-finite scheme, and the SymPy status line (terminal only)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

FAST = ["-m", "forward,reverse"]


@pytest.mark.parametrize("command", [
    ["grad", "x*y", "--at", "x=1,y=2", *FAST],
    ["jacobian", "[x*y, x+y]", "--at", "x=1,y=2", *FAST],
    ["hessian", "x**2*y", "--at", "x=1,y=2", "-m", "forward"],
    ["jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "x=1", "-m", "forward"],
    ["vjp", "[x*y, x+y]", "--at", "x=1,y=2", "--cotangent", "[1,0]", "-m", "reverse"],
    ["trace", "c = a + b; d = a*c", "--at", "a=2,b=3"],
    ["numeric", "x**2", "--at", "x=1", "--sweep"],
    ["numeric", "x**2", "--at", "x=1"],
    ["taylor", "exp(x)", "--at", "x=0", "--order", "3", "--no-symbolic"],
])
@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_every_table_pastes_as_markdown_and_latex(cli, command, fmt):
    result = cli(*command, "--format", fmt)
    assert result.exit_code == 0, result.output
    text = result.stdout
    if fmt == "markdown":
        assert "|:---|" in text and "┃" not in text
    else:
        assert ("\\begin{tabular}" in text or "\\begin{bmatrix}" in text) and "┃" not in text
        assert text.count("\\begin{") == text.count("\\end{")


def test_the_slides_tables_in_latex(cli):
    jacobian = cli("jacobian", "[x*y, x+y]", "--at", "x=1,y=2", *FAST, "--format", "latex").stdout
    assert "J = \\begin{bmatrix}\n2 & 1 \\\\\n1 & 1\n\\end{bmatrix}" in jacobian
    trace = cli("trace", "c = a + b; d = a*c", "--at", "a=2,b=3", "--format", "latex").stdout
    assert "c & c = a + b & $5$ & $2$ & $\\bar{a}$ += $\\bar{c}$; $\\bar{b}$ += $\\bar{c}$ \\\\" in trace
    grad = cli("grad", "x**2", "--at", "x=1e5", "-m", "reverse,central", "--format", "latex").stdout
    assert "$2 \\times 10^{5}$" in grad or "$200000$" in grad


def test_markdown_grad_table(cli):
    result = cli("grad", "x*y", "--at", "x=1,y=2", "-m", "reverse", "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[0] == "f(x=1, y=2) = 2"
    assert lines[2:4] == ["| method | ∂f/∂x | ∂f/∂y | abs error | rel error | time |", "|:---|---:|---:|---:|---:|---:|"]
    assert lines[4].startswith("| reverse * | 2 | 1 | 0 | 0 | ")


@pytest.mark.parametrize("args, message", [
    (["grad", "x", "--at", "x=1", "--format", "html"], "--format"),
    (["trace", "x", "--at", "x=1", "--format", "latex", "--json"], "--json"),
    (["grad", "x", "--at", "x=1", "--output", "g.xlsx"], "'.xlsx'"),
])
def test_bad_format_or_output_is_exit_2(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2 and message in result.output


def test_output_files(cli, tmp_path):
    result = cli("grad", "x.T @ A @ x", "--at", "x=[1,2]", "--let", "A=[[1,2],[3,4]]", "-m", "reverse",
                 "--output", str(tmp_path / "g.npy"))
    assert result.exit_code == 0, result.output
    assert np.load(tmp_path / "g.npy").tolist() == [12.0, 21.0]
    cli("jacobian", "A @ x", "--at", "x=[1,-1]", "--let", "A=[[1,2],[3,4],[5,6]]", *FAST,
        "--output", str(tmp_path / "j.csv"))
    rows = list(csv.reader((tmp_path / "j.csv").open()))
    assert rows == [["", "x[0]", "x[1]"], ["f[0]", "1.0", "2.0"], ["f[1]", "3.0", "4.0"], ["f[2]", "5.0", "6.0"]]
    cli("grad", "x*y", "--at", "x=1,y=2", "-m", "reverse", "--output", str(tmp_path / "g.json"))
    assert json.loads((tmp_path / "g.json").read_text()) == {
        "kind": "grad", "method": "reverse", "shape": [2], "rows": ["x", "y"], "value": [2.0, 1.0]}
    cli("vjp", "x*1024", "--at", "x=[1,2,3]", "-u", "[0.1,1,0.0001]", "-m", "reverse", "-o", str(tmp_path / "v.npy"))
    assert np.load(tmp_path / "v.npy").tolist() == [102.4, 1024.0, 0.1024]
    cli("jvp", "x**2", "--at", "x=[1,2,3]", "--dir", "x=[1,1,1]", "-m", "forward", "-o", str(tmp_path / "t.json"))
    assert json.loads((tmp_path / "t.json").read_text())["value"] == [2.0, 4.0, 6.0]
    cli("hessian", "x**2*y", "--at", "x=1,y=2", "-m", "forward", "-o", str(tmp_path / "h.csv"))
    assert (tmp_path / "h.csv").read_text() == ",x,y\nx,4.0,2.0\ny,2.0,0.0\n"


def test_nonfinite_json_says_what_each_null_was(cli):
    result = cli("grad", "x**y", "--at", "x=0,y=0", *FAST, "--json")
    document = json.loads(result.stdout)
    assert document["methods"]["reverse"]["grad"]["y"] is None
    assert document["nonfinite"]["/methods/reverse/grad/y"] == "-inf"
    result = cli("graph", "y = sqrt(x); z = y + 1", "--at", "x=-4", "--json")
    document = json.loads(result.stdout)
    assert set(document["nonfinite"].values()) == {"nan"}


def test_jvp_json_has_the_tables_shape(cli):
    scalar = json.loads(cli("jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1", "-m", "forward", "--json").stdout)
    assert scalar["methods"]["forward"]["jvp"] == 2.0
    vector = json.loads(cli("jvp", "x**2", "--at", "x=[1,2,3]", "--dir", "x=[1,1,1]", "-m", "forward",
                            "--json").stdout)
    assert vector["methods"]["forward"]["jvp"] == [2.0, 4.0, 6.0]
    several = json.loads(cli("jvp", "[x*y, x+y]", "--at", "x=1,y=2", "--dir", "x=1", "-m", "forward", "--json").stdout)
    assert several["methods"]["forward"]["jvp"] == [2.0, 1.0]


def test_jvp_says_when_the_direction_is_not_a_unit_vector(cli):
    result = cli("jvp", "x**2 + 3*y**2", "--at", "x=1,y=0.5", "--dir", "x=3,y=4", "-m", "forward")
    assert "J·v = 18" in result.stdout
    assert "--dir is not a unit vector (‖v‖ = 5)" in result.stdout
    assert "directional derivative is 3.6" in result.stdout
    unit = cli("jvp", "x**2 + 3*y**2", "--at", "x=1,y=0.5", "--dir", "x=0.6,y=0.8", "-m", "forward")
    assert "not a unit vector" not in unit.stdout
    document = json.loads(cli("jvp", "x**2 + 3*y**2", "--at", "x=1,y=0.5", "--dir", "x=3,y=4", "-m", "forward",
                              "--json").stdout)
    assert document["dir_norm"] == 5.0 and document["unit_dir"] == {"x": 0.6, "y": 0.8}
    assert document["unit_jvp"] == pytest.approx(3.6)


def test_status_line_only_on_a_terminal_without_json(monkeypatch):
    from diffcli.cli import working

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr(working.sys, "stderr", Terminal())
    assert working.wanted(["forward", "symbolic"], json_output=False)
    assert not working.wanted(["forward", "symbolic"], json_output=True)
    assert not working.wanted(["forward", "reverse"], json_output=False)
    monkeypatch.undo()
    assert not working.wanted(["symbolic"], json_output=False)  # tests run with stderr captured, not a terminal
