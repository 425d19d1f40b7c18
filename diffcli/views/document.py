"""JSON documents: plain numbers and lists, and what a `null` stands for.

JSON has no infinity and no NaN, so a non-finite number is written as `null` — valid
JSON every parser reads — and the document says what each `null` was in one top-level
object, `"nonfinite"`, keyed by the JSON Pointer (RFC 6901) of the value:

    {"methods": {"reverse": {"grad": {"x": null}}},
     "nonfinite": {"/methods/reverse/grad/x": "-inf"}}

Values are "inf", "-inf" or "nan"; an entry of a tensor has its index in the pointer
(`/methods/forward/jvp/2`). A document with only finite numbers has no "nonfinite" key.
Every command's `--json`, `graph --json`, `--output FILE.json` and the API's
`to_dict()` go through `plain`, so the scheme is the same everywhere.

>>> import math
>>> plain({"grad": {"x": -math.inf, "y": [1.0, math.nan]}, "name": "f"})
{'grad': {'x': None, 'y': [1.0, None]}, 'name': 'f', 'nonfinite': {'/grad/x': '-inf', '/grad/y/1': 'nan'}}
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable

import numpy as np

from diffcli.ad.flat import EntryLabels

# Entry labels beyond this are described ({"count", "parts": [{"name", "shape"}]}), not listed.
MAX_JSON_LABELS = 100_000
_BLOCK = 65_536  # entries of a big float array written at a time


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _number_name(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _plain(value: Any, path: str, nonfinite: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{path}/{_escape(str(k))}", nonfinite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{path}/{k}", nonfinite) for k, v in enumerate(value)]
    if isinstance(value, EntryLabels):
        if len(value) <= MAX_JSON_LABELS:
            return list(value)
        return {"count": len(value), "parts": [{"name": name, "shape": list(shape)} for name, shape in value.parts]}
    if isinstance(value, np.ndarray):
        if value.dtype == np.float64 and np.isfinite(value).all():
            return value.tolist()  # the common case, without a call per entry
        return _plain(value.tolist(), path, nonfinite)
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        if math.isfinite(number):
            return number
        nonfinite[path] = _number_name(number)
        return None
    return value


def plain(document: dict[str, Any]) -> dict[str, Any]:
    """The document with NumPy values as numbers and lists, non-finite numbers as null and
    explained under "nonfinite" (JSON Pointer → "inf" | "-inf" | "nan")."""
    nonfinite: dict[str, str] = {}
    result = _plain(document, "", nonfinite)
    if nonfinite:
        result["nonfinite"] = nonfinite
    return result


def plain_value(value: Any) -> Any:
    """One value (not a document) as numbers and lists, non-finite numbers as null."""
    return _plain(value, "", {})


def write_json(document: dict[str, Any], write: Callable[[str], Any]) -> None:
    """`json.dumps(plain(document), allow_nan=False)`, the same text, written as it goes: a
    10⁷-entry tensor is written in blocks, never held as 10⁷ Python floats and one 200 MB string.

    >>> parts = []
    >>> write_json({"x": np.array([1.0, np.inf])}, parts.append)
    >>> "".join(parts)
    '{"x": [1.0, null], "nonfinite": {"/x/1": "inf"}}'
    """
    nonfinite: dict[str, str] = {}
    write("{")
    for k, (key, item) in enumerate(document.items()):
        write(("" if k == 0 else ", ") + json.dumps(str(key)) + ": ")
        _write(item, f"/{_escape(str(key))}", nonfinite, write)
    if nonfinite:
        write(("" if not document else ", ") + '"nonfinite": ' + json.dumps(nonfinite))
    write("}")


def _write(value: Any, path: str, nonfinite: dict[str, str], write: Callable[[str], Any]) -> None:
    if isinstance(value, dict):
        write("{")
        for k, (key, item) in enumerate(value.items()):
            write(("" if k == 0 else ", ") + json.dumps(str(key)) + ": ")
            _write(item, f"{path}/{_escape(str(key))}", nonfinite, write)
        write("}")
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 1
                                              and value.size > _BLOCK):
        write("[")
        for k, item in enumerate(value):
            write("" if k == 0 else ", ")
            _write(item, f"{path}/{k}", nonfinite, write)
        write("]")
    elif isinstance(value, np.ndarray) and value.dtype == np.float64 and value.ndim == 1 and value.size > _BLOCK:
        write("[")
        for start in range(0, value.size, _BLOCK):
            block = value[start:start + _BLOCK].tolist()
            write(("" if start == 0 else ", ") + ", ".join(
                repr(v) if math.isfinite(v) else _null(f"{path}/{start + i}", v, nonfinite)
                for i, v in enumerate(block)))
        write("]")
    else:
        write(json.dumps(_plain(value, path, nonfinite), allow_nan=False))


def _null(path: str, x: float, nonfinite: dict[str, str]) -> str:
    nonfinite[path] = _number_name(x)
    return "null"
