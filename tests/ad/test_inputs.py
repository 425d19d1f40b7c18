"""`--at` values: plain numbers and lists are read without the parser, with the parser's result."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffcli.ad import inputs
from diffcli.errors import UsageError


def _slow(text: str, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patched:
        patched.setattr(inputs, "_plain_value", lambda text: None)
        return _outcome(text)


def _outcome(text: str):
    """What reading `text` gives: (type, dtype, shape, bytes) or the error message."""
    try:
        value = inputs.read_value(text, "--at", "x")
    except UsageError as error:
        return error.message
    return type(value), value.dtype, np.shape(value), np.asarray(value).tobytes()


TEXTS = ["1", "-0", "+2.5", "1e-5", "5.", ".5", "1E3", "1e400", "-1e400", "1e-400", "0.1", "123456789012345678901",
         "[1,2]", "[[1, 2], [3, 4]]", "[-0, 1.0]", "[1e400]", "[1, +2]", "[]", "[[1], [2, 3]]", "[[]]",
         "[ 1 ,2 ]", "[1,2,]", "[1 2]", "[[[[0.5]]]]", "[" * 50 + "1" + "]" * 50, "1_000", "nan", "inf",
         "0x10", "１", "[１]", "pi/4", "- 1", "--1", "1e", "e5"]


@pytest.mark.parametrize("text", TEXTS)
def test_the_fast_path_reads_what_the_parser_reads(text, monkeypatch):
    assert _outcome(text) == _slow(text, monkeypatch)


def test_the_fast_path_takes_plain_numbers_and_lists():
    assert inputs._plain_value("2.5") == 2.5 and inputs._plain_value("[[1, 2]]").shape == (1, 2)
    assert inputs._plain_value("sqrt(2)") is None and inputs._plain_value("[1, +2]") is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, width=64), min_size=0, max_size=4), st.booleans())
def test_numbers_as_python_prints_them(values, nested):
    with pytest.MonkeyPatch.context() as monkeypatch:
        texts = [repr(v) for v in values]
        text = f"[{', '.join(texts)}]" if values else "0"
        if nested:
            text = f"[{text}, {text}]"
        assert _outcome(text) == _slow(text, monkeypatch)
        for single in texts:
            assert _outcome(single) == _slow(single, monkeypatch)
