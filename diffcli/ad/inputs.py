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
import re
import unicodedata
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
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"{label}: no such file: {path_text}")
    try:
        if path.suffix == ".npy":
            data = np.load(path, allow_pickle=False, mmap_mode="r")  # the header first: refuse before reading
            if data.size <= MAX_TENSOR_ENTRIES:
                data = np.array(data)
        elif path.suffix == ".csv":
            data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=1, max_rows=MAX_TENSOR_ENTRIES + 1)
        else:
            data = np.loadtxt(path, dtype=np.float64, ndmin=1, max_rows=MAX_TENSOR_ENTRIES + 1)
    except (ValueError, OSError) as error:
        raise UsageError(f"{label}: cannot read {path_text}: {error}") from None
    if data.size > MAX_TENSOR_ENTRIES:
        raise UsageError(f"{label}: {path_text} has {data.size:,} entries (at most {MAX_TENSOR_ENTRIES:,})")
    if data.dtype.kind not in "iuf" or not np.isfinite(data).all():
        raise UsageError(f"{label}: {path_text} must hold finite real numbers")
    return as_value(data)


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
