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

import math
from typing import Any

import numpy as np


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _number_name(x: float) -> str:
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _plain(value: Any, path: str, nonfinite: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{path}/{_escape(str(k))}", nonfinite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{path}/{k}", nonfinite) for k, v in enumerate(value)]
    if isinstance(value, np.ndarray):
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
