"""Tables of points in and out: the pyarrow paths give exactly what the NumPy paths give."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from diffcli.batch import files
from diffcli.errors import UsageError

pytest.importorskip("pyarrow")

# Values whose shortest text is awkward: exponents, subnormals, negative zero, 17 digits.
AWKWARD = np.array([1.0, 0.1, -0.05360006926756178, 1e20, 1e-7, 1.2345678901234568e17, 5e-324, 1e16, 0.0, -0.0,
                    1.5, 2.0 / 3.0, -1e-300, 1.7976931348623157e308, 123456.789])


def _read_both(path):
    return [files.read_points(str(path), arrow=arrow) for arrow in (False, True)]


def test_both_csv_readers_give_the_same_bits(tmp_path):
    rng = np.random.default_rng(7)
    x = np.concatenate([AWKWARD, rng.standard_normal(500) * 10.0 ** rng.integers(-30, 30, 500)])
    path = tmp_path / "p.csv"
    path.write_text("x,y\n" + "\n".join(f"{a!r},{b!r}" for a, b in zip(x.tolist(), x[::-1].tolist())) + "\n")
    plain, arrow = _read_both(path)
    assert list(plain) == list(arrow) == ["x", "y"]
    for name in plain:
        assert plain[name].tobytes() == arrow[name].tobytes()
    assert plain["x"].tobytes() == x.tobytes()


@pytest.mark.parametrize("text", ["x,y\n1,2\n\n3,4", "x\n 1.5\n", "x\n1e5\n+1\n", "x\n#c\n1\n", "x,y\n1,2,3\n",
                                  "x,y\n1\n", "x\nabc\n", "x\n\"1\"\n", "x\nnan\n", "x\n-Infinity\n", "x\n\n",
                                  "x,y\n1,\n"])
def test_both_csv_readers_agree_on_odd_files(tmp_path, text):
    path = tmp_path / "odd.csv"
    path.write_text(text)
    outcomes = []
    for arrow in (False, True):
        try:
            outcomes.append({k: v.tolist() for k, v in files.read_points(str(path), arrow=arrow).items()})
        except UsageError as error:
            outcomes.append(error.message)
    assert outcomes[0] == outcomes[1]


def test_both_csv_writers_round_trip_exactly():
    rng = np.random.default_rng(3)
    x = np.concatenate([AWKWARD, [np.nan, np.inf, -np.inf], rng.standard_normal(300) * 10.0 ** rng.integers(-300, 300, 300)])
    texts = []
    for arrow in (False, True):
        stream = io.StringIO()
        files.write_csv(["x", "f"], [x, -x], stream, arrow=arrow)
        texts.append(stream.getvalue())
    for text in texts:
        lines = text.splitlines()
        assert lines[0] == "x,f" and len(lines) == len(x) + 1
        back = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
        # Bit for bit (negative zero included), NaN's sign aside: text has one nan.
        assert _bits(back[:, 0]) == _bits(x) and _bits(back[:, 1]) == _bits(-x)
    # Both print the shortest digits; they differ only in where the exponent form starts.
    assert [_digits(v) for v in re.split("[,\n]", texts[0])] == [_digits(v) for v in re.split("[,\n]", texts[1])]


def _bits(values: np.ndarray) -> bytes:
    return np.where(np.isnan(values), np.nan, values).tobytes()


def _digits(text: str) -> str:
    """The significant digits of a number's text: '-8.23e-06' and '-0.00000823' give '823'."""
    mantissa = text.lower().split("e")[0]
    return "".join(ch for ch in mantissa if ch.isdigit()).strip("0") or mantissa


@pytest.mark.parametrize("suffix", ["npy", "parquet"])
def test_binary_formats_round_trip(tmp_path, suffix):
    path = tmp_path / f"p.{suffix}"
    with path.open("wb") as sink:
        files.WRITERS[suffix](["x", "y"], [AWKWARD, AWKWARD[::-1].copy()], sink)
    back = files.read_points(str(path))
    assert list(back) == ["x", "y"]
    assert back["x"].tobytes() == AWKWARD.tobytes() and back["y"].tobytes() == AWKWARD[::-1].tobytes()


def test_a_plain_npy_array_is_refused(tmp_path):
    path = tmp_path / "plain.npy"
    np.save(path, np.ones((3, 2)))
    with pytest.raises(UsageError, match="structured array"):
        files.read_points(str(path))


def test_a_non_finite_value_in_a_binary_file_names_its_row(tmp_path):
    path = tmp_path / "p.npy"
    with path.open("wb") as sink:
        files.write_npy(["x"], [np.array([1.0, 2.0, np.nan])], sink)
    with pytest.raises(UsageError, match="row 3 holds a value that is not a finite number"):
        files.read_points(str(path))


@pytest.mark.parametrize("fmt", ["npy", "parquet"])
def test_binary_output_through_the_cli(cli, tmp_path, fmt):
    points = tmp_path / "points.csv"
    points.write_text("x,y\n1,3\n2,5\n-1,0.5\n")
    result = cli("grad", "x*y + x**2", "--at-file", str(points), "--format", fmt)
    assert result.exit_code == 0, result.output
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(result.stdout_bytes)
    if fmt == "npy":
        table = np.load(out)
        assert table.dtype.names == ("x", "y", "f", "df/dx", "df/dy")
        assert table["df/dx"].tolist() == [5.0, 9.0, -1.5]
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(out).column("f").to_pylist() == [4.0, 14.0, 0.5]


def test_a_large_csv_goes_through_pyarrow_with_the_same_output(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "ARROW_FROM_BYTES", 1000)
    monkeypatch.setattr(files, "ARROW_FROM_VALUES", 1000)
    monkeypatch.setattr(files, "_read_csv_numpy", None)  # so the plain paths would fail if taken
    monkeypatch.setattr(files, "shortest_text", None)
    x = np.linspace(-1, 1, 1001)
    path = tmp_path / "many.csv"
    path.write_text("x\n" + "\n".join(map(repr, x.tolist())) + "\n")
    result = cli("grad", "x**3", "--at-file", str(path), "--format", "csv")
    assert result.exit_code == 0
    data = np.array([[float(v) for v in line.split(",")] for line in result.stdout.splitlines()[1:]])
    assert data[:, 0].tobytes() == x.tobytes() and data[:, 2].tobytes() == (3 * x**2).tobytes()


def test_binary_output_is_refused_on_a_terminal(tmp_path, monkeypatch):
    from diffcli.cli import batch_view

    points = tmp_path / "points.csv"
    points.write_text("x\n1\n")
    monkeypatch.setattr(batch_view.sys.stdout, "isatty", lambda: True, raising=False)
    with pytest.raises(UsageError, match="writes binary data: send it to a file"):
        batch_view.run_batch("x*x", str(points), None, {}, None, ["reverse"], "npy", False)
