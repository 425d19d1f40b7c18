"""Reading values from the command line: `x=1.5,y=2`, `x=[[1,1],[1,1]]`, `x=pi/4`.

A value is itself a small formula without variables, parsed by `parse` and evaluated by
`evaluate` — so `pi/4`, `-2`, `sqrt(2)` and nested lists all work and nothing is
executed. `@file` reads a tensor from `.npy`, `.csv` or `.txt`.

Most values are plain numbers or lists of them (`--at x0=0.1,x1=0.2,…` with thousands of
variables); those are read directly (`float`, `json`), 1,000× faster than a parse in
the parser's thread, with the same result bit for bit.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import MAX_TENSOR_ENTRIES, evaluate
from diffcli.ad.flat import as_value
from diffcli.ad.parse import parse


def split_assignments(text: str) -> list[str]:
    """Split 'x=1,y=[1,2]' at the commas that are not inside brackets or parentheses."""
    parts, depth, start = [], 0, 0
    for index, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def read_value(text: str, option: str = "--at", name: str = "") -> Any:
    """A number or tensor from a constant formula or `@file`."""
    text = text.strip()
    label = f"{option} {name}=" if name else option
    if not text:
        raise UsageError(f"{label}: missing value")
    if text.startswith("@"):
        return _read_file(text[1:], label)
    value = _plain_value(text)
    if value is not None:
        return value
    try:
        graph = parse(text, list_is_tensor=True)
    except UsageError as error:
        raise UsageError(f"{label}: cannot read the value {_shown(text)}: {error}") from None
    if graph.variables:
        raise UsageError(f"{label}: the value {_shown(text)} uses the unknown name '{next(iter(graph.variables))}'")
    if len(graph.outputs) != 1:
        raise UsageError(f"{label}: the value {_shown(text)} must be one number or one nested list")
    try:
        value = evaluate(graph, {})[graph.outputs[0]]
    except UsageError as error:
        raise UsageError(f"{label}: cannot read the value {_shown(text)}: {error.message}") from None
    value = as_value(value)
    if not np.isfinite(value).all():
        raise UsageError(f"{label}: the value {_shown(text)} is not finite")
    return value


_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PLAIN_LIST = re.compile(r"\[[\[\]0-9eE+\-.,\s]*")


def _plain_value(text: str) -> Any:
    """A plain number or a nested list of plain numbers, read without the formula parser,
    exactly as `parse` and `evaluate` read it; None for anything else (the parser decides).

    >>> _plain_value("-0"), _plain_value("[[1, 2e3], [3, 0.5]]").tolist(), _plain_value("pi/4")
    (np.float64(-0.0), [[1.0, 2000.0], [3.0, 0.5]], None)
    """
    if _NUMBER.fullmatch(text):
        value = np.float64(text)
        return value if np.isfinite(value) else None  # the parser explains the overflow
    if not _PLAIN_LIST.fullmatch(text):
        return None
    try:
        data = json.loads(text, parse_int=float)  # float: JSON reads -0 as the integer 0
        array = np.array(data, dtype=np.float64)
    except (ValueError, TypeError, OverflowError, RecursionError):
        return None  # '.5', '+1', ragged or too deep: the parser reads it or explains why not
    return array if array.ndim and array.size and np.isfinite(array).all() else None


def _shown(text: str, limit: int = 60) -> str:
    """The value as quoted in a message: long ones shortened, so the message stays one line."""
    return repr(text if len(text) <= limit else f"{text[:limit // 2]}…{text[-limit // 4:]}")


def _read_file(path_text: str, label: str) -> Any:
    """A tensor from `.npy` (header checked before reading), `.csv` or `.txt` (whitespace)."""
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"{label}: no such file: {path_text}")
    if path.suffix == ".npy":
        data = _read_npy(path, path_text, label)
    else:
        data = read_table(path, label, delimiter="," if path.suffix == ".csv" else None,
                          max_entries=MAX_TENSOR_ENTRIES)
        data = data.reshape(-1) if 1 in data.shape else data  # one row or one column: a vector
    if data.size == 0:
        raise UsageError(f"{label}: {path_text} holds no numbers")
    if not np.isfinite(data).all():
        raise UsageError(f"{label}: {path_text} must hold finite real numbers")
    return as_value(data)


def _read_npy(path: Path, path_text: str, label: str) -> np.ndarray:
    """A .npy file, its header read and checked first: a hostile or huge one is refused unread."""
    try:
        with path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(handle)
            offset = handle.tell()
    except Exception as error:  # NumPy raises ValueError, EOFError, OSError, SyntaxError … on a bad header
        raise UsageError(f"{label}: cannot read {path_text}: not a valid .npy file ({_reason(error)})") from None
    if dtype.kind not in "iuf" or dtype.hasobject:
        raise UsageError(f"{label}: {path_text} must hold finite real numbers (it holds {dtype})")
    if any(n < 0 for n in shape):
        raise UsageError(f"{label}: cannot read {path_text}: not a valid .npy file (negative shape {shape})")
    entries = math.prod(shape)  # Python integers: a forged shape cannot overflow
    if entries > MAX_TENSOR_ENTRIES:
        raise UsageError(f"{label}: {path_text} has {entries:,} entries (at most {MAX_TENSOR_ENTRIES:,})")
    if path.stat().st_size < offset + entries * dtype.itemsize:
        raise UsageError(f"{label}: cannot read {path_text}: the file is shorter than its header says")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.array(np.load(path, allow_pickle=False), dtype=np.float64)
    except Exception as error:
        raise UsageError(f"{label}: cannot read {path_text}: {_reason(error)}") from None


def read_table(path: Path, label: str, *, delimiter: str | None, max_entries: int, skip_rows: int = 0,
               max_rows: int | None = None, rows_are: str = "rows") -> np.ndarray:
    """The numbers of a text file as a 2-D array (rows × columns), bounded before reading.

    NumPy's reader allocates `max_rows` × columns up front, so the row cap is derived from
    the columns of the first row and `max_entries` (and from the lines the file has): a
    one-row CSV of 500 columns costs 4 kB, not 37 GiB. NumPy's warnings are silenced;
    what goes wrong becomes one `UsageError` naming `label` (the option) and the file.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data", deprecations: reported our way
            first = np.loadtxt(path, delimiter=delimiter, dtype=np.float64, ndmin=2, skiprows=skip_rows, max_rows=1)
            if first.size == 0:
                return np.zeros((0, 0))
            columns = first.shape[1]
            cap = min(max_entries // columns + 1, _line_count(path) + 1)
            if max_rows is not None:
                cap = min(cap, max_rows + 1)
            data = np.loadtxt(path, delimiter=delimiter, dtype=np.float64, ndmin=2, skiprows=skip_rows,
                              max_rows=cap)
    except Exception as error:  # ValueError, UnicodeDecodeError, OSError, MemoryError …
        raise UsageError(f"{label}: cannot read {path}: {_reason(error)}") from None
    if max_rows is not None and data.shape[0] > max_rows:
        raise UsageError(f"{label}: {path} has more than {max_rows:,} {rows_are}")
    if data.size > max_entries:
        raise UsageError(f"{label}: {path} has more than {max_entries:,} entries")
    return data


def _line_count(path: Path) -> int:
    """Newlines in the file (an upper bound on its rows), read in 1 MB blocks."""
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def _reason(error: BaseException) -> str:
    """An exception as one short clause (NumPy's messages can span lines)."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = text.split("; use `usecols`")[0]  # NumPy's advice is about its own API
    return text if len(text) <= 200 else text[:200] + "…"


def read_assignments(texts: list[str] | str | None, option: str = "--at") -> dict[str, Any]:
    """{'x': 1.5, 'y': array([...])} from one or more 'x=..,y=..' option values."""
    if texts is None:
        return {}
    if isinstance(texts, str):
        texts = [texts]
    result: dict[str, Any] = {}
    for text in texts:
        for part in split_assignments(text):
            name, sep, value = part.partition("=")
            # Python reads identifiers in NFKC form, so the formula's 'ｘ' is 'x': names here too.
            name = unicodedata.normalize("NFKC", name.strip())
            if not sep:
                raise UsageError(f"{option}: expected NAME=VALUE, got {part!r}")
            if not name.isidentifier():
                raise UsageError(f"{option}: {name!r} is not a variable name")
            if name in result:
                raise UsageError(f"{option}: '{name}' is given twice")
            result[name] = read_value(value, option, name)
    return result
