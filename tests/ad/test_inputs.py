"""`--at` values: plain numbers and lists are read without the parser, with the parser's result;
values from files (`--at x=@file`): every unreadable file is one UsageError, read within bounds."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffcli.ad import inputs
from diffcli.ad.inputs import read_value
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


# ------------------------------------------------------------------------- files


def _npy_with_header(header: str, body: bytes = b"\0" * 24) -> bytes:
    text = header.encode("latin1")
    text += b" " * (118 - len(text)) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + body


def _saved(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


HOSTILE_FILES = {
    "negative-shape.npy": (_npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-5,), }"),
                           "negative shape"),
    "huge-shape.npy": (_npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (10**20,), }".replace(
        "10**20", "100000000000000000000")), "100,000,000,000,000,000,000 entries"),
    "overflowing-shape.npy": (_npy_with_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"), "entries"),
    "truncated-body.npy": (_npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000,), }"),
                           "shorter than its header"),
    "truncated-header.npy": (_saved(np.arange(3.0))[:20], "not a valid .npy file"),
    "zero-bytes.npy": (b"", "not a valid .npy file"),
    "text.npy": (b"hello world, not numpy", "not a valid .npy file"),
    "objects.npy": (_saved(np.array([1, "a"], dtype=object)), "finite real numbers"),
    "complex.npy": (_saved(np.array([1 + 2j])), "finite real numbers"),
    "strings.npy": (_saved(np.array(["a"])), "finite real numbers"),
    "booleans.npy": (_saved(np.array([True])), "finite real numbers"),
    "nan.npy": (_saved(np.array([1.0, np.nan])), "finite real numbers"),
    "empty.npy": (_saved(np.zeros(0)), "holds no numbers"),
    "empty.txt": (b"", "holds no numbers"),
    "blank.csv": (b"\n\n\n", "holds no numbers"),
    "ragged.csv": (b"1,2\n3\n", "number of columns changed"),
    "words.csv": (b"1,two\n", "cannot read"),
    "binary.txt": (bytes(range(256)), "cannot read"),
    "infinite.txt": (b"1 inf\n", "finite real numbers"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_a_bad_file_is_one_usage_error_and_no_warning(tmp_path, name):
    content, words = HOSTILE_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's warnings must not reach the user
        with pytest.raises(UsageError) as caught:
            read_value(f"@{path}", "--at", "x")
    assert words in caught.value.message
    assert caught.value.message.startswith("--at x=: ")
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("suffix, text", [(".csv", ",".join(["1.5"] * 500) + "\n"),
                                          (".txt", " ".join(["1.5"] * 500) + "\n")])
def test_a_wide_one_row_file_is_read_without_a_huge_allocation(tmp_path, suffix, text):
    # NumPy's reader allocates max_rows × columns up front: with max_rows at the tensor limit that
    # was 37 GiB for 500 columns.
    path = tmp_path / f"row{suffix}"
    path.write_text(text)
    tracemalloc.start()
    try:
        value = read_value(f"@{path}", "--at", "x")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert value.shape == (500,) and float(value.sum()) == 750.0
    assert peak < 10_000_000


def test_text_files_keep_their_shape(tmp_path):
    matrix = tmp_path / "m.csv"
    matrix.write_text("1,2\n3,4\n5,6\n")
    column = tmp_path / "c.txt"
    column.write_text("1\n2\n3\n")
    assert read_value(f"@{matrix}").tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert read_value(f"@{column}").tolist() == [1.0, 2.0, 3.0]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 200), flips=st.lists(st.tuples(st.integers(0, 199), st.integers(0, 255)), max_size=4),
       suffix=st.sampled_from([".npy", ".csv", ".txt"]))
def test_a_damaged_file_is_read_or_refused_as_a_usage_error(tmp_path, cut, flips, suffix):
    original = _saved(np.arange(12.0).reshape(3, 4)) if suffix == ".npy" else b"1,2,3\n4,5,6\n" * 8
    if suffix == ".txt":
        original = original.replace(b",", b" ")
    damaged = bytearray(original[:cut])
    for where, byte in flips:
        if where < len(damaged):
            damaged[where] = byte
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(bytes(damaged))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            value = read_value(f"@{path}", "--at", "x")
        except UsageError as error:
            assert error.message.startswith("--at x=: ") and "\n" not in error.message
        else:
            assert np.isfinite(value).all() and value.size > 0
