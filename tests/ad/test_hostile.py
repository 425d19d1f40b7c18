"""Hostile and random input to the parser: only diffcli's own errors, whatever the text."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def test_fullwidth_letters_are_the_same_variable():
    # Python folds identifiers with NFKC: 'ｘ' is 'x'. diffcli says so by treating them alike.
    graph = parse("ｘ*x")
    assert list(graph.variables) == ["x"]
    assert math.isclose(float(gradient_reverse(graph, {"x": np.float64(3.0)}, ["x"])[1]["x"]), 6.0)
