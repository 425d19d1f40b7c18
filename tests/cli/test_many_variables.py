"""Many variables: one row per variable, default methods that skip what would take too long."""

from __future__ import annotations

import json

import numpy as np



def _formula(n: int) -> tuple[str, str]:
    expr = " + ".join(f"x{i}*x{i + 1} + sin(x{i})" for i in range(n - 1))
    at = ",".join(f"x{i}={i / 10}" for i in range(n))
    return expr, at


def test_a_wide_gradient_is_one_row_per_variable_and_readable_through_a_pipe(cli):
    expr, at = _formula(60)
    result = cli("grad", expr, "--at", at, "--method", "forward,reverse")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    x = np.arange(60) / 10
    expected = np.concatenate([x[1:], [0]]) + np.concatenate([[0], x[:-1]]) + np.concatenate([np.cos(x[:-1]), [0]])
    for i in (0, 1, 49):
        row = next(line for line in lines if line.startswith(f"│ x{i} "))
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        assert cells[0] == f"x{i}" and float(cells[1]) == x[i]
        assert abs(float(cells[2]) - expected[i]) < 1e-14 and cells[2] == cells[3]  # forward, reverse
    assert "… 10 more variables (all of them with --json)" in result.stdout
    assert not any(line.startswith("│ x50 ") for line in lines)
    assert any(line.startswith("│ reverse * ") for line in lines)  # the per-method summary


def test_default_methods_skip_what_grows_with_the_entries_and_say_how_to_ask(cli):
    n = 51
    expr, at = _formula(n)
    document = json.loads(cli("grad", expr, "--at", at, "--json").stdout)
    symbolic = document["methods"]["symbolic"]
    assert symbolic["status"] == "skipped" and "--method symbolic" in symbolic["message"]
    assert document["methods"]["forward"]["status"] == "ok" and document["reference"] == "reverse"
    asked = json.loads(cli("grad", "x0*x1", "--at", "x0=1,x1=2", "--method", "symbolic", "--symbolic-timeout", "60",
                           "--json").stdout)
    assert asked["methods"]["symbolic"]["status"] == "ok"


def test_forward_mode_is_skipped_by_default_above_its_limit(monkeypatch):
    from diffcli.ad.problem import make_problem
    from diffcli.checks import compare, methods

    monkeypatch.setattr(methods, "MAX_DEFAULT_FORWARD_GRADIENT", 3)
    problem = make_problem("a*b*c*d", {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0})
    skipped = compare.compare_gradient(problem, ("forward", "reverse"))
    assert skipped.methods["forward"].status == "skipped"
    assert skipped.methods["forward"].message == "4 entries need 4 tangent directions; ask for it with --method forward"
    asked = compare.compare_gradient(problem, ("forward", "reverse"), explicit=True)
    assert asked.methods["forward"].result == {"a": 24.0, "b": 12.0, "c": 8.0, "d": 6.0}


def test_a_kink_is_shown_under_a_tensor_table(cli):
    result = cli("grad", "abs(x[0]) + x[1]", "--at", "x=[0,1]", "--method", "reverse")
    assert result.exit_code == 0
    assert "✗ not differentiable here: abs" in result.stdout and "warning" not in result.output.split("✗")[0]


def test_central_differences_by_default_only_while_the_graph_is_small():
    from diffcli.ad.problem import make_problem
    from diffcli.checks.compare import compare_gradient

    n = 80  # fewer than 200 entries, but 9 × 80 × 1,040 nodes is beyond the budget
    expr = " + ".join(f"x{i}*x{(i + 1) % n} + sin(x{i})*exp(-x{i}**2/2) + log(1 + x{i}**2)" for i in range(n))
    problem = make_problem(expr, {f"x{i}": 0.01 * i for i in range(n)})
    central = compare_gradient(problem, ("reverse", "central")).methods["central"]
    assert central.status == "skipped"
    assert central.message == (f"80 entries would need about 720 evaluations of {len(problem.graph):,} nodes; "
                               "ask for it with --method central")
    small = make_problem("x0*x1 + sin(x1)", {"x0": 1.0, "x1": 2.0})
    assert compare_gradient(small, ("reverse", "central")).methods["central"].status == "ok"
