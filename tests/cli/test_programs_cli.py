"""Every command accepts programs: the path taken at --at, in tables and JSON (in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest


# The course's two examples, as examples/programs.sh runs them: a while loop doubling y until its
# norm passes 1000, then y.backward(v); and a loop and a branch, where a.grad == d / a at every a.
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DOUBLING = (EXAMPLES / "programs" / "doubling.py").read_text()
LOOP_AND_BRANCH = (EXAMPLES / "programs" / "loop_and_branch.py").read_text()
BRANCHES = "if x > 1:\n    y = x * x\nelif x > 0:\n    y = 2 * x - 1\nelse:\n    y = 3 * x - 1\ny"
SEED_X = "x=[0.0475,-0.6505,-1.0864]"


def document(cli, *args, input=None):
    result = cli(*args, "--json", input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_vjp_of_the_while_loop_seed(cli):
    doc = document(cli, "vjp", "-", "--at", SEED_X, "--cotangent", "[0.1,1.0,0.0001]", input=DOUBLING)
    assert doc["methods"]["reverse"]["vjp"]["x"] == [102.4, 1024.0, 0.1024]
    assert doc["methods"]["forward"]["vjp"]["x"] == [102.4, 1024.0, 0.1024]


@pytest.mark.parametrize("a", [0.3, -0.3])
def test_grad_of_the_loop_and_branch_seed_is_d_over_a(cli, a):
    doc = document(cli, "grad", "-", "--at", f"a={a}", input=LOOP_AND_BRANCH)
    assert doc["reference"] == "symbolic"
    for method in ("forward", "reverse", "symbolic"):
        assert doc["methods"][method]["grad"]["a"] == doc["value"] / a
    assert doc["warnings"] == []


def test_grad_retain_in_json_and_in_the_table(cli):
    program = "y = x + 2; z = y*y*3; out = mean(z)"
    doc = document(cli, "grad", program, "--at", "x=[[1,1],[1,1]]", "--retain", "-m", "reverse")
    assert doc["retained"] == {"y": [[4.5, 4.5], [4.5, 4.5]], "z": [[0.25, 0.25], [0.25, 0.25]]}
    table = cli("grad", program, "--at", "x=[[1,1],[1,1]]", "--retain", "-m", "reverse")
    assert table.exit_code == 0 and "∂f/∂z = [[0.25, 0.25]," in table.stdout
    refused = cli("grad", program, "--at-file", "points.csv", "--retain")
    assert refused.exit_code == 2 and "--retain works at one point" in refused.stderr


def test_trace_labels_steps_by_iteration_and_shows_the_path(cli):
    doc = document(cli, "trace", "-", "--at", "x=1", "--mode", "forward", input=DOUBLING)
    steps = {s["name"]: s for s in doc["steps"]}
    assert steps["y₃"]["expr"] == "y₂ * 2" and steps["y₃"]["tangent"] == 16.0
    assert doc["path"] == [
        {"kind": "while", "line": 2, "column": 7, "condition": "y.norm() < 1000", "outcome": True, "times": 9},
        {"kind": "while", "line": 2, "column": 7, "condition": "y.norm() < 1000", "outcome": False, "times": 1}]
    table = cli("trace", "-", "--at", "a=-0.3", input=LOOP_AND_BRANCH)
    assert "line 5, column 8: if `b.sum() > 0` → false" in table.stdout


def test_a_point_on_a_branch_boundary_warns_of_the_kink(cli):
    doc = document(cli, "grad", BRANCHES, "--at", "x=0", "-m", "forward,reverse,central")
    assert doc["methods"]["reverse"]["grad"] == {"x": 3.0}
    [kink] = doc["kinks"]
    assert kink["left"]["x"] == pytest.approx(3.0) and kink["right"]["x"] == pytest.approx(2.0)


def test_numeric_reruns_the_program_and_flags_a_step_across_a_branch(cli):
    result = cli("numeric", BRANCHES, "--at", "x=1")
    assert result.exit_code == 0
    assert "a step crosses a branch boundary of the program (the if at line 1, column 4: `x > 1`" in result.stderr
    inside = cli("numeric", BRANCHES, "--at", "x=0.5")
    assert inside.exit_code == 0 and "branch boundary" not in inside.stderr


def test_diff_needs_a_point_for_a_program_that_branches_on_values(cli):
    refused = cli("diff", BRANCHES)
    assert refused.exit_code == 2
    assert "the condition `x > 1` depends on the value of 'x'" in refused.stderr and "--at x=" in refused.stderr
    doc = document(cli, "diff", BRANCHES, "--at", "x=2")
    assert doc["derivatives"] == {"x": "2*x"}
    assert "the program's path at this point (1 decision" in doc["warnings"][0]
    loop = document(cli, "diff", "s = 0\nfor i in range(3):\n    s = s + x**i\ns")  # constants decide: no point needed
    assert loop["derivatives"] == {"x": "2*x + 1"}


@pytest.mark.parametrize("command", [
    ("jvp", "-", "--at", "x=0.3", "--dir", "x=1"),
    ("jacobian", "-", "--at", "x=0.3"),
    ("hessian", "-", "--at", "x=0.3"),
    ("taylor", "-", "--at", "x=0.3", "--order", "2"),
    ("graph", "-", "--at", "x=0.3", "--format", "dot"),
])
def test_every_command_takes_a_program(cli, command):
    result = cli(*command, input=DOUBLING)
    assert result.exit_code == 0, result.output


def test_hessian_follows_the_path_taken(cli):
    doc = document(cli, "hessian", "y = x\nfor i in range(3):\n    y = y * x\nif y > 1:\n    z = y * y\nelse:\n    z = y\nz",
                   "--at", "x=2")
    assert doc["methods"]["forward-over-reverse"]["hessian"] == [[56.0 * 2**6]]  # z = x⁸ on this path


def test_at_file_each_point_follows_its_own_path(cli, tmp_path):
    points = tmp_path / "a.csv"
    values = [0.3, -0.3, 2.0, -5.0, 1e-3]
    points.write_text("a\n" + "\n".join(map(str, values)) + "\n")
    doc = document(cli, "grad", "-", "--at-file", str(points), input=LOOP_AND_BRANCH)
    for a, f, slope in zip(values, doc["value"], doc["grad"]["a"]):
        single = document(cli, "grad", "-", "--at", f"a={a}", "-m", "reverse", input=LOOP_AND_BRANCH)
        assert (f, slope) == (single["value"], single["methods"]["reverse"]["grad"]["a"])
        assert slope == f / a
    assert any("different paths" in w for w in doc["warnings"])


def test_at_file_groups_a_vectorisable_program_by_path(cli, tmp_path):
    x = np.linspace(-2, 2, 401)
    points = tmp_path / "x.csv"
    points.write_text("x\n" + "\n".join(map(repr, x.tolist())) + "\n")
    doc = document(cli, "grad", BRANCHES, "--at-file", str(points))
    expected = np.where(x > 1, 2 * x, np.where(x > 0, 2.0, 3.0))
    np.testing.assert_array_equal(doc["grad"]["x"], expected)


def test_lagrange_objective_may_be_a_program(cli):
    objective = "if x > 0:\n    f = x * y\nelse:\n    f = -x * y\nf"
    doc = document(cli, "lagrange", objective, "--subject-to", "x**2 + y**2 = 1")
    assert sorted(round(p["f"], 12) for p in doc["points"]) == [-0.5, -0.5, 0.5, 0.5]
    assert any("program whose path depends on x" in w for w in doc["warnings"])


@pytest.mark.parametrize("args, message", [
    (("grad", "x=1", "--at", "x=1"), "cannot assign to 'x': it is given in --at/--let"),
    (("grad", "y = 2\nx = y\nx", "--at", "x=1"), "(line 2, column 1)"),
    (("grad", "e*x", "--at", "e=2,x=1"), "--at: 'e' cannot be given a value: in a formula e is the constant 2.718"),
    (("grad", "pi*x", "--at", "x=1", "--let", "pi=3"), "--let: 'pi' cannot be given a value"),
    (("grad", "y = x\nwhile y < 0:\n    y = y + 1\n", "--at", "x=1"), "a program ends with its output"),
    (("graph", DOUBLING), "depends on the value of 'x'"),
])
def test_programs_refused_with_a_clear_line(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
