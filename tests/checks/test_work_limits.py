"""Bounded work on big tensors: a method that would run for minutes is skipped or refused with
its count, views summarise, and the costs grow with the input, not its square.

No timings here (they belong in bench/): each test checks the *count* that decides the cost.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from diffcli.ad.flat import EntryLabels
from diffcli.ad.parse import parse
from diffcli.ad.problem import make_problem
from diffcli.checks.compare import compare_gradient, compare_jacobian, compare_jvp, compare_vjp
from diffcli.checks.methods import MAX_WORK


def test_an_outer_product_within_the_tensor_limit_does_not_hang():
    # x: 700×1, y: 1×700 make tensors of 490,000 entries; forward mode would need 1,400
    # passes (7e9 operations), SymPy millions of expressions: both are skipped with the count.
    point = {"x": np.linspace(0, 1, 700).reshape(700, 1), "y": np.linspace(0, 1, 700).reshape(1, 700)}
    c = compare_gradient(make_problem("sum(exp(x*y)*sin(x + y))", point), ["forward", "reverse"],
                         explicit=True)
    assert c.methods["reverse"].status == "ok"
    forward = c.methods["forward"]
    assert forward.status == "skipped" and "2,800 evaluations" in forward.message and "too slow" in forward.message
    c = compare_gradient(make_problem("sum(exp(x*y)*sin(x + y))", point))
    assert c.methods["symbolic"].status == "skipped" and "tensor entries" in c.methods["symbolic"].message


@pytest.mark.parametrize("entries, explicit, outcome", [
    (100, False, "ok"),
    (500, False, "skipped"),                      # past the default 200 entries: ask for it
    (500, True, "ok"),
    (100_000, True, "skipped"),                   # 400,000 evaluations of 200,000 numbers: refused
])
def test_central_differences_are_refused_past_the_work_limit_even_when_named(entries, explicit, outcome):
    c = compare_gradient(make_problem("sum(x*x)", {"x": np.linspace(0.5, 1.5, entries)}), ["reverse", "central"],
                         explicit=explicit)
    central = c.methods["central"]
    assert central.status == outcome, central.message
    if entries * 4 * 2 * entries > MAX_WORK:
        assert "too slow" in central.message and f"{4 * entries:,} evaluations" in central.message


def test_kinks_of_many_outputs_cost_one_pass(monkeypatch):
    # A list of 300 outputs, no kink: the one-sided derivatives are never looked for.
    from diffcli.checks import diagnose

    calls = []
    monkeypatch.setattr(diagnose, "find_kinks", lambda *a, **k: calls.append(a) or [])
    formula = "[" + ", ".join(f"x*{k} + sin(x*{k})" for k in range(1, 301)) + "]"
    d = compare_vjp(make_problem(formula, {"x": 0.5}), [1.0] * 300, ["reverse"])
    assert d.comparison.methods["reverse"].status == "ok" and calls == []


def test_a_reverse_jacobian_sweeps_only_each_outputs_own_subgraph(monkeypatch):
    from diffcli.ad import reverse, transforms

    visited = []
    sweep = reverse.vjp_sweep

    def counting(*args, **kwargs):
        visited.append(len(kwargs["visit"]))
        return sweep(*args, **kwargs)

    monkeypatch.setattr(transforms, "vjp_sweep", counting)
    outputs = 200
    graph = parse("[" + ", ".join(f"x*{k} + sin(x*{k})" for k in range(1, outputs + 1)) + "]")
    d = compare_jacobian(make_problem(graph, {"x": 0.5}), ["reverse"])
    assert d.comparison.methods["reverse"].result[:, 0].tolist() == pytest.approx(
        [k + k * np.cos(0.5 * k) for k in range(1, outputs + 1)])
    assert len(visited) == outputs and sum(visited) < 10 * outputs  # not outputs × the graph's size


def test_entry_labels_are_made_on_demand():
    labels = EntryLabels([("x", (10_000_000,)), ("y", ())])
    assert len(labels) == 10_000_001 and labels[9_999_999] == "x[9999999]" and labels[-1] == "y"
    from diffcli.cli.common import jsonable

    assert jsonable(labels) == {"count": 10_000_001, "parts": [{"name": "x", "shape": [10_000_000]},
                                                              {"name": "y", "shape": []}]}
    assert jsonable(EntryLabels([("A", (1, 2))])) == ["A[0,0]", "A[0,1]"]


@pytest.mark.parametrize("command", ["trace", "graph"])
def test_views_summarise_big_tensors(cli, tmp_path, command):
    path = tmp_path / "x.npy"
    np.save(path, np.linspace(0.0, 1.0, 20_000))
    result = cli(command, "sum(exp(x))", "--at", f"x=@{path}", "--json")
    assert result.exit_code == 0
    assert len(result.stdout) < 20_000  # not 20,000 numbers per value
    document = json.loads(result.stdout)
    values = [s["value"] for s in document["steps"]] if command == "trace" else [n["value"] for n in document["nodes"]]
    summary = next(v for v in values if isinstance(v, dict))
    assert summary["shape"] == [20_000] and summary["entries"] == 20_000 and summary["first"][0] in (0.0, 1.0)


def test_json_of_a_big_result_is_the_same_text_written_in_blocks(monkeypatch, capsys):
    from diffcli.cli import common

    document = {"a": np.arange(70_000.0) / 3, "b": [np.float64(np.nan), np.array([[1.0, np.inf] * 35_000] * 2)]}
    common.print_json(document)
    assert capsys.readouterr().out == json.dumps(common.jsonable(document), allow_nan=False) + "\n"


def test_central_differences_of_a_big_jvp_count_the_entries_they_step():
    # One difference, but each of 1,000,000 outputs then picks its own step in Python (about 30 µs
    # each): half a minute, refused with the count; 1,000 outputs are stepped as usual.
    big = compare_jvp(make_problem("exp(x)", {"x": np.linspace(0, 1, 1_000_000)}), {"x": 1.0},
                      ["forward", "central"], explicit=True).comparison
    assert big.methods["forward"].status == "ok"
    central = big.methods["central"]
    assert central.status == "skipped" and "1,000,000 entries each stepped on its own" in central.message
    assert "too slow" in central.message
    small = compare_jvp(make_problem("exp(x)", {"x": np.linspace(0, 1, 1_000)}), {"x": 1.0},
                        ["forward", "central"], explicit=True).comparison
    assert small.methods["central"].status == "ok"
