"""Hostile and random input: never a traceback, never execution, always exit 0, 1 or 2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from diffcli.errors import DiffcliError, UsageError
from diffcli.ad.parse import parse
from diffcli.ad.reverse import gradient_reverse

TOKENS = ["x", "y", "1", "2.5", "-", "+", "*", "/", "**", "^", "(", ")", "[", "]", ",", "sin", "log", "sqrt",
          "if", "else", ">", "==", "and", "not", ";", "=", "a", "abs", "max", "where", ".", "T", "__class__",
          "lambda", ":", "'s'", "e", "pi", "1e308", "0", " ", "\n", "detach", "min", "@", "x[0]", "%", "~"]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map("".join),
       st.floats(-5, 5, allow_nan=False), st.floats(-5, 5, allow_nan=False))
def test_random_token_soup_only_raises_diffcli_errors(text, x, y):
    try:
        graph = parse(text)
    except UsageError:
        return
    point = {name: np.float64(x if k % 2 == 0 else y) for k, name in enumerate(graph.variables)}
    try:
        gradient_reverse(graph, point, list(graph.variables))
    except DiffcliError:
        pass


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_arbitrary_unicode_only_raises_usage_errors(text):
    try:
        parse(text)
    except UsageError as error:
        assert error.message


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])  # the runner is stateless
@given(st.text(alphabet="xy=,[]()0123456789.-+e*pi@ ", max_size=20))
def test_random_at_values_exit_cleanly(cli, at):
    result = cli("grad", "x*y", "--at", at, "-m", "reverse", "--json")
    assert result.exit_code in (0, 1, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("formula", [
    "__import__('os').system('touch /tmp/diffcli-pwned')",
    "eval('1+1')", "exec('x=1')", "open('/etc/passwd')", "x.__class__.__bases__", "(lambda: 1)()",
    "[c for c in x]", "f'{x}'", "(y := x) + 1", "globals()", "x.real", "getattr(x, 'real')", "x if True else 1",
    "'a' * 3", "b'x'", "None", "...", "x[None]", "import os", "del x", "async def f(): pass",
])
def test_injection_attempts_are_refused_and_nothing_runs(formula, tmp_path):
    result = run_cli("grad", formula, "--at", "x=1")
    assert result.returncode == 2, (formula, result.stderr)
    assert result.stderr.startswith("diffcli: error: ")
    assert "Traceback" not in result.stderr
    import os

    assert not os.path.exists("/tmp/diffcli-pwned")


@pytest.mark.parametrize("formula, code, message", [
    ("9**9**9", 1, "overflowed to infinity"),
    ("x + 1e309", 2, "number too large"),
    ("(" * 10_000 + "x" + ")" * 10_000, 2, "too many nested parentheses"),
    ("x +\x07 1", 2, "control character U+0007"),
    ("x + \u200by", 2, "control character U+200B"),
])
def test_awkward_inputs(formula, code, message):
    result = run_cli("grad", formula, "--at", "x=1,y=1", "-m", "reverse")
    assert result.returncode == code, result.stderr
    assert message in result.stderr


def test_hundred_kilobyte_expression_works():
    formula = " + ".join(f"sin(x*{k})" for k in range(1, 9000))
    assert len(formula) > 100_000
    result = run_cli("grad", formula, "--at", "x=0", "-m", "forward,reverse", "--json")
    assert result.returncode == 0, result.stderr
    import json

    doc = json.loads(result.stdout)
    assert doc["methods"]["reverse"]["grad"]["x"] == sum(range(1, 9000))


def test_fullwidth_letters_are_the_same_variable():
    # Python folds identifiers with NFKC: 'ｘ' is 'x'. diffcli says so by treating them alike.
    graph = parse("ｘ*x")
    assert list(graph.variables) == ["x"]
    assert math.isclose(float(gradient_reverse(graph, {"x": np.float64(3.0)}, ["x"])[1]["x"]), 6.0)
