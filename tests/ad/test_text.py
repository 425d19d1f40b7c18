"""Numbers as text: one function, each place's way of showing numbers a parameter."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diffcli.ad.text import number_text, value_text

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("value, digits, whole, expected", [
    (5.25, 15, False, "5.25"),
    (3.0, 15, False, "3"),
    (1 / 3, 15, False, "0.333333333333333"),
    (1 / 3, 6, False, "0.333333"),
    (-0.0, 6, False, "-0"),
    (-0.0, 6, True, "0"),               # a whole number: -0 is 0
    (1234567.0, 6, False, "1.23457e+06"),
    (1234567.0, 6, True, "1234567"),     # whole numbers in full
    (1e15, 6, True, "1e+15"),            # … below 1e15, where a double still holds every integer
    (-3.0, 6, True, "-3"),
    (2.5, 6, True, "2.5"),
    (INF, 6, True, "inf"),
    (-INF, 15, False, "-inf"),
    (NAN, 15, False, "nan"),
    (1e-320, 15, False, "9.99988867182683e-321"),
    (0.1 + 0.2, None, False, "0.30000000000000004"),  # shortest text that reads back the same
    (1.0, None, False, "1"),
    (-0.05360006926756178, None, False, "-0.05360006926756178"),
    (NAN, None, False, "nan"),
    (np.float64(2.0), 15, False, "2"),
    (np.array(7.5), 3, False, "7.5"),
])
def test_number_text(value, digits, whole, expected):
    assert number_text(value, digits, whole=whole) == expected


def test_shortest_text_reads_back_as_the_same_double():
    rng = np.random.default_rng(0)
    for x in np.concatenate([rng.standard_normal(500) * 10.0 ** rng.integers(-300, 300, 500), [0.1, 1e22, 5e-324]]):
        assert float(number_text(x, None)) == x


def test_an_undefined_value_can_read_as_a_word():
    assert number_text(NAN, 6, nan="undefined") == "undefined"
    assert number_text(1.5, 6, nan="undefined") == "1.5"


@pytest.mark.parametrize("value, kwargs, expected", [
    (2.0, {}, "2"),
    ([1, 2.5], {}, "[1, 2.5]"),
    ([[1 / 3, 2], [3, 4]], {"entry_digits": 4}, "[[0.3333, 2], [3, 4]]"),
    ([[1, 2, 3], [4, 5, 6]], {}, "[[1, 2, 3], [4, 5, 6]]"),            # six entries: shown
    ([[1, 2, 3, 4], [5, 6, 7, 8]], {}, "<2×4 array>"),                 # more: named by shape
    (np.zeros((3, 3)), {"too_many": "constant"}, "<3×3 constant>"),
    ([True, False], {"whole": True}, "[1, 0]"),
    ([], {}, "[]"),
    ([NAN, -INF], {}, "[nan, -inf]"),
])
def test_value_text(value, kwargs, expected):
    assert value_text(value, 15, **kwargs) == expected


def test_messages_views_and_tables_show_numbers_through_it():
    # The ways numbers are shown across diffcli, each a call of the two functions.
    from diffcli.ad.ops.domains import format_number
    from diffcli.cli.common import number
    from diffcli.views.naming import constant_text

    assert constant_text(3.0) == "3" and constant_text(math.pi) == "3.14159265358979"
    assert constant_text(np.ones((3, 3))) == "<3×3 constant>"
    assert format_number(-2.0) == "-2" and format_number(1e20) == "1e+20" and format_number([1, 2]) == \
        "array of shape (2,)"
    assert number(NAN) == "undefined" and number(5.25) == "5.25" and number(1 / 3, 3) == "0.333"
    assert number([1.5, 2.0]) == "[1.5, 2. ]"
