"""Huge tensors in views: a summary, not 10⁷ numbers.

`trace` and `graph` show every intermediate value of a formula; for a 10⁷-entry tensor
writing each of them out (as JSON, 200 MB per value) says nothing a summary does not,
and takes minutes. Past MAX_SHOWN_ENTRIES a value is described by its shape, range and
first entries.

>>> summarised(np.arange(3.0))
array([0., 1., 2.])
>>> summarised(np.arange(20_000.0))["shape"], summarised(np.arange(20_000.0))["max"]
([20000], 19999.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_SHOWN_ENTRIES = 10_000


def summarised(value: Any) -> Any:
    """`value` itself when small; else {"shape", "entries", "min", "max", "mean", "first"}
    (min/max/mean over the finite entries, None when there are none)."""
    if value is None or np.size(value) <= MAX_SHOWN_ENTRIES:
        return value
    array = np.asarray(value, dtype=np.float64)
    finite = array[np.isfinite(array)]
    stats = (float(finite.min()), float(finite.max()), float(finite.mean())) if finite.size else (None, None, None)
    return {"shape": list(array.shape), "entries": int(array.size), "min": stats[0], "max": stats[1],
            "mean": stats[2], "finite": int(finite.size), "first": array.ravel()[:5]}
