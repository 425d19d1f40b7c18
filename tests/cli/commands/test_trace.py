"""`diffcli trace`: the JSON steps, the table, --mode/--dir, bad input."""

from __future__ import annotations

import pytest

PROGRAM = "c = a + b; d = a*c"


def by_name(document: dict, key: str) -> dict:
    return {step["name"]: step[key] for step in document["steps"]}


def test_reverse_trace_of_the_slide_example(cli_json):
    document = cli_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "reverse")
    assert [s["name"] for s in document["steps"]] == ["d", "c", "b", "a"]  # the sweep's order
    assert by_name(document, "adjoint") == {"d": 1.0, "c": 2.0, "b": 2.0, "a": 7.0}
    assert by_name(document, "value") == {"d": 10.0, "c": 5.0, "b": 3.0, "a": 2.0}
    step = document["steps"][0]
    assert step["op"] == "mul" and step["inputs"] == ["a", "c"] and step["expr"] == "a * c"


def test_forward_trace_defaults_to_the_first_variable(cli_json):
    document = cli_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward")
    assert [s["name"] for s in document["steps"]] == ["a", "b", "c", "d"]
    assert by_name(document, "tangent") == {"a": 1.0, "b": 0.0, "c": 1.0, "d": 7.0}
    assert document["direction"] == {"a": 1.0}


def test_forward_trace_along_a_given_direction(cli_json):
    document = cli_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward", "--dir", "b=1")
    assert by_name(document, "tangent")["d"] == 2.0  # ∂d/∂b = a
    mixed = cli_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward", "--dir", "a=1,b=-1")
    assert by_name(mixed, "tangent")["d"] == 5.0  # 7 - 2


def test_unnamed_nodes_are_v1_v2_and_constants_are_inline(cli_json):
    document = cli_json("trace", "3*sin(x) + x", "--at", "x=0", "--mode", "forward")
    steps = document["steps"]
    assert [s["name"] for s in steps] == ["x", "v1", "v2", "v3"]
    assert steps[2]["inputs"] == ["3", "v1"] and steps[2]["expr"] == "3 * v1"
    assert steps[-1]["tangent"] == 4.0  # 3cos(0) + 1


def test_text_table_shows_the_rows(cli):
    result = cli("trace", PROGRAM, "--at", "a=2,b=3")
    assert result.exit_code == 0, result.stderr
    assert "d = a * c" in result.stdout and "adjoint" in result.stdout
    assert result.stdout.index("d = a * c") < result.stdout.index("c = a + b")


def test_tensor_variables_trace_entrywise(cli_json):
    document = cli_json("trace", "x[0]*x[1]", "--at", "x=[2,5]")
    assert by_name(document, "adjoint")["x"] == [5.0, 2.0]


def test_a_non_finite_value_is_traced_and_explained(cli):
    result = cli("trace", "y = log(x); z = 2*y", "--at", "x=-1", "--json")
    assert result.exit_code == 0
    assert "log of a negative number" in result.stderr
    import json

    document = json.loads(result.stdout)
    assert by_name(document, "value")["y"] is None


@pytest.mark.parametrize("args, message", [
    (["--mode", "sideways"], "--mode"),
    (["--dir", "a=1"], "--dir"),                       # a direction in reverse mode
    (["--mode", "forward", "--dir", "z=1"], "'z'"),
    (["--mode", "forward", "--dir", "a=[1,2]"], "shape"),
    (["--mode", "forward", "--dir", "a"], "NAME=VALUE"),
])
def test_bad_options_exit_2(cli, args, message):
    result = cli("trace", PROGRAM, "--at", "a=2,b=3", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_bad_formulas_exit_2(cli):
    for args in (["[x, y]", "--at", "x=1,y=2"], ["x +* y", "--at", "x=1,y=2"], ["x*y", "--at", "x=1"]):
        result = cli("trace", *args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("diffcli: error:") and "Traceback" not in result.stderr
    assert "column" in cli("trace", "x +* y", "--at", "x=1,y=2").stderr


def test_constant_formulas(cli, cli_json):
    assert cli("trace", "2").exit_code == 2
    document = cli_json("trace", "y = x; 2", "--at", "x=1")
    assert document["output"] == "f" and document["steps"] == []  # the output depends on nothing


def test_each_step_shows_the_rule_applied(cli_json):
    import unicodedata

    def nfc(text: str) -> str:
        return unicodedata.normalize("NFC", text)

    reverse = by_name(cli_json("trace", PROGRAM, "--at", "a=2,b=3"), "rule")
    assert reverse == {"d": nfc("ā += d̄·c; c̄ += d̄·a"), "c": nfc("ā += c̄; b̄ += c̄"), "b": None, "a": None}
    forward = by_name(cli_json("trace", PROGRAM, "--at", "a=2,b=3", "--mode", "forward"), "rule")
    assert forward["d"] == nfc("ḋ = c·ȧ + a·ċ") and forward["c"] == nfc("ċ = ȧ + ḃ")
    rules = by_name(cli_json("trace", "y = x**3/z; w = detach(y)*y", "--at", "x=2,z=4", "--mode", "forward"), "rule")
    assert rules["v1"] == nfc("v̇1 = (3 * x ** 2)·ẋ")
    assert rules["y"] == nfc("ẏ = (1 / z)·v̇1 - (y / z)·ż")
    assert rules["v2"] == nfc("v̇2 = 0")  # detach


def test_a_relabelled_variable_gets_a_prime(cli_json):
    document = cli_json("trace", "u = x*2; u = u*3; y = u + 1", "--at", "x=1", "--mode", "forward")
    assert [s["name"] for s in document["steps"]] == ["x", "u", "u′", "y"]
    assert by_name(document, "tangent") == {"x": 1.0, "u": 2.0, "u′": 6.0, "y": 6.0}
