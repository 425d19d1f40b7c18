"""Tables of points in and out: CSV (NumPy, or pyarrow when it pays), .npy and Parquet.

A batch of a million points spends most of its time reading and writing text, not
computing. Two CSV paths exist and give the same numbers:

* the plain one (`np.loadtxt` in, `repr` of each value out) needs nothing beyond NumPy;
* pyarrow's multithreaded parser and its shortest round-trip formatter (the
  `arrow` extra: `pip install "diffcli[arrow]"`), 3–5× less CPU per value, used for
  files above `ARROW_FROM_BYTES` / `ARROW_FROM_VALUES` when pyarrow is installed (below
  that its import, about 0.1 s of CPU, costs more than it saves).

Both writers print the shortest text that reads back as the same double (`1`, `0.1`,
`nan`; pyarrow writes `1e-7` where Python writes `1e-07`), so numbers survive a round
trip bit for bit. `.npy` (a structured array, one named field per column) and
`.parquet` (needs pyarrow) skip text altogether.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO, Callable, TextIO

import numpy as np

from diffcli.ad.text import shortest_text
from diffcli.errors import UsageError
from diffcli.ad.inputs import read_table

MAX_ROWS = 50_000_000
# pyarrow's import costs about 0.1 s of CPU; it saves about 0.15 µs per value read and
# 0.5 µs per value written (bench/batch_files.py), so it pays from about these sizes.
ARROW_FROM_BYTES = 8 << 20
ARROW_FROM_VALUES = 200_000
FORMATS = ("csv", "npy", "parquet")


def _arrow() -> Any | None:
    """pyarrow, or None when it is not installed."""
    try:
        import pyarrow
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return None
    return pyarrow


def _needs_arrow(what: str) -> Any:
    pa = _arrow()
    if pa is None:
        raise UsageError(f"{what} needs pyarrow: pip install \"diffcli[arrow]\"")
    return pa


def read_points(path_text: str, *, arrow: bool | None = None) -> dict[str, np.ndarray]:
    """Columns of a table of points, by the file's suffix: .csv (header line of names), .npy, .parquet.

    `arrow` forces (True) or forbids (False) the pyarrow CSV parser; None picks by size.
    """
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"--at-file: no such file: {path_text}")
    if path.suffix == ".npy":
        columns = _read_npy(path, path_text)
    elif path.suffix == ".parquet":
        columns = _read_parquet(path, path_text)
    else:
        names = _header(path, path_text)
        use_arrow = path.stat().st_size >= ARROW_FROM_BYTES if arrow is None else arrow
        columns = (_read_csv_arrow(path, names) if use_arrow and _arrow() is not None else None) \
            or _read_csv_numpy(path, path_text, names)
    return _checked(columns, path_text)


def _check_names(names: list[str], path_text: str) -> None:
    for name in names:
        if not name.isidentifier() or name.startswith("__"):
            raise UsageError(f"--at-file: the header of {path_text} has {name!r}, which is not a variable name")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise UsageError(f"--at-file: the header of {path_text} names '{duplicated[0]}' twice")


def _header(path: Path, path_text: str) -> list[str]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    names = [name.strip() for name in header.strip().split(",")]
    if not header.strip() or not all(names):
        raise UsageError(f"--at-file: {path_text} must start with a header line naming the variables, like x,y")
    _check_names(names, path_text)
    return names


def _read_csv_numpy(path: Path, path_text: str, names: list[str]) -> dict[str, np.ndarray]:
    # Rows are capped by the lines the file has, so NumPy's up-front allocation is the data's own size.
    data = read_table(path, "--at-file", delimiter=",", skip_rows=1, max_rows=MAX_ROWS,
                      max_entries=(MAX_ROWS + 1) * len(names), rows_are="points")
    if data.shape[0] == 0:
        return {name: np.empty(0) for name in names}
    if data.shape[1] != len(names):
        raise UsageError(f"--at-file: {path_text} has {data.shape[1]} columns but its header names {len(names)}")
    return {name: np.ascontiguousarray(data[:, k]) for k, name in enumerate(names)}


def _read_csv_arrow(path: Path, names: list[str]) -> dict[str, np.ndarray] | None:
    """The columns by pyarrow, or None when it cannot read the file (then NumPy reads it and
    explains what is wrong in its own words, the same for either path)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    options = pacsv.ConvertOptions(column_types={name: pa.float64() for name in names}, null_values=[],
                                   quoted_strings_can_be_null=False)
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(skip_rows=1, column_names=names),
                                parse_options=pacsv.ParseOptions(quote_char=False), convert_options=options)
        batches, rows = [], 0
        for batch in reader:
            rows += batch.num_rows
            if rows > MAX_ROWS:
                break  # enough to refuse the file; the rest is never read
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=reader.schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError):
        return None
    if rows > MAX_ROWS:
        return {name: np.empty(rows) for name in names}  # only its length is looked at
    return {name: table.column(name).to_numpy() for name in names}


def _read_npy(path: Path, path_text: str) -> dict[str, np.ndarray]:
    """A structured array whose field names are the variables (what `--format npy` writes)."""
    try:
        data = np.load(path, allow_pickle=False, mmap_mode="r")
    except Exception as error:  # a forged header: ValueError, OverflowError (a negative map length), OSError …
        raise UsageError(f"--at-file: cannot read {path_text}: {error}") from None
    if data.dtype.names is None or data.ndim != 1:
        raise UsageError(f"--at-file: {path_text} must hold a one-dimensional structured array whose field names "
                         "are the variables (as --format npy writes)")
    names = list(data.dtype.names)
    _check_names(names, path_text)
    if len(data) > MAX_ROWS:
        raise UsageError(f"--at-file: {path_text} has more than {MAX_ROWS:,} points")
    for name in names:
        if data.dtype[name].kind not in "iuf" or data.dtype[name].shape:
            raise UsageError(f"--at-file: the column '{name}' of {path_text} does not hold real numbers")
    return {name: np.ascontiguousarray(data[name], dtype=np.float64) for name in names}


def _read_parquet(path: Path, path_text: str) -> dict[str, np.ndarray]:
    pa = _needs_arrow("--at-file with a .parquet file")
    import pyarrow.parquet as pq

    try:
        rows = pq.ParquetFile(path).metadata.num_rows
        if rows > MAX_ROWS:
            raise UsageError(f"--at-file: {path_text} has more than {MAX_ROWS:,} points")
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise UsageError(f"--at-file: cannot read {path_text}: {error}") from None
    names = list(table.column_names)
    _check_names(names, path_text)
    columns = {}
    for name in names:
        column = table.column(name)
        if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)) or column.null_count:
            raise UsageError(f"--at-file: the column '{name}' of {path_text} does not hold real numbers")
        columns[name] = np.ascontiguousarray(column.to_numpy(), dtype=np.float64)
    return columns


def _checked(columns: dict[str, np.ndarray], path_text: str) -> dict[str, np.ndarray]:
    """The same checks whichever reader read the file."""
    rows = len(next(iter(columns.values()))) if columns else 0
    if rows == 0:
        raise UsageError(f"--at-file: {path_text} has a header but no points")
    if rows > MAX_ROWS:
        raise UsageError(f"--at-file: {path_text} has more than {MAX_ROWS:,} points")
    for column in columns.values():
        if not np.isfinite(column).all():
            bad = np.zeros(rows, dtype=bool)
            for other in columns.values():
                bad |= ~np.isfinite(other)
            where = int(np.argmax(bad))
            place = f"line {where + 2}" if Path(path_text).suffix not in (".npy", ".parquet") else f"row {where + 1}"
            raise UsageError(f"--at-file: {path_text} {place} holds a value that is not a finite number")
    return columns


# ----------------------------------------------------------------------------- writing


def write_csv(names: list[str], columns: list[np.ndarray], stream: TextIO, *, arrow: bool | None = None) -> None:
    """A header line, then one line per row (exact round trip; nan, inf as such)."""
    rows = len(columns[0]) if columns else 0
    use_arrow = rows * len(columns) >= ARROW_FROM_VALUES if arrow is None else arrow
    if use_arrow and _arrow() is not None:
        return _write_csv_arrow(names, columns, stream)
    lists = [column.tolist() for column in columns]
    write = stream.write
    write(",".join(names) + "\n")
    for begin in range(0, rows, 100_000):
        chunk = zip(*(values[begin:begin + 100_000] for values in lists))
        write("\n".join(",".join(map(shortest_text, row)) for row in chunk) + "\n")


def _write_csv_arrow(names: list[str], columns: list[np.ndarray], stream: TextIO) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    stream.write(",".join(names) + "\n")
    stream.flush()
    sink = _binary(stream)
    table = pa.table({str(k): np.asarray(c, dtype=np.float64) for k, c in enumerate(columns)})
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=65_536)
    if sink is not None:
        pacsv.write_csv(table, sink, options)
        sink.flush()
    else:  # a text-only stream (a test's StringIO): format to memory, then hand over the text
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, options)
        stream.write(buffer.getvalue().decode("ascii"))


def _binary(stream: Any) -> BinaryIO | None:
    """The byte stream under a text stream (stdout's buffer), or None."""
    return getattr(stream, "buffer", None)


def write_npy(names: list[str], columns: list[np.ndarray], sink: BinaryIO) -> None:
    """A structured array, one float64 field per column (read back by `read_points`)."""
    rows = len(columns[0]) if columns else 0
    table = np.empty(rows, dtype=[(name, np.float64) for name in names])
    for name, column in zip(names, columns):
        table[name] = column
    np.save(sink, table, allow_pickle=False)


def write_parquet(names: list[str], columns: list[np.ndarray], sink: BinaryIO) -> None:
    pa = _needs_arrow("--format parquet")
    import pyarrow.parquet as pq

    pq.write_table(pa.table(dict(zip(names, columns))), pa.PythonFile(sink, mode="w"))


WRITERS: dict[str, Callable[[list[str], list[np.ndarray], BinaryIO], None]] = {
    "npy": write_npy, "parquet": write_parquet}
