"""The directional derivative: J·v for the direction as given, and along the unit direction v/‖v‖.

`jvp --dir` takes v as given (J·v is linear in v, so a longer v gives a larger number);
the directional derivative of the calculus course is along a unit vector. When v is
not a unit vector, both are reported.

>>> d = directional({"x": 3.0, "y": 4.0}, ["x", "y"], 10.0)
>>> d.norm, d.unit, d.along_unit, d.is_unit
(5.0, {'x': 0.6, 'y': 0.8}, 2.0, False)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

UNIT_TOLERANCE = 1e-12


@dataclass
class Directional:
    norm: float  # ‖v‖ over every entry of every variable
    unit: dict[str, Any]  # v/‖v‖ (v itself when ‖v‖ is 0)
    along_v: Any  # J·v
    along_unit: Any  # J·v/‖v‖ (None when ‖v‖ is 0)

    @property
    def is_unit(self) -> bool:
        return abs(self.norm - 1.0) <= UNIT_TOLERANCE


def directional(direction: Mapping[str, Any], wrt: list[str], jvp: Any) -> Directional:
    """‖v‖, v/‖v‖ and J·v/‖v‖ from J·v (the same list-or-array shape as `jvp`)."""
    entries = [np.ravel(np.asarray(direction.get(name, 0.0), dtype=np.float64)) for name in wrt]
    norm = float(np.linalg.norm(np.concatenate(entries))) if entries else 0.0
    if norm == 0 or not math.isfinite(norm):
        return Directional(norm, dict(direction), jvp, None)
    unit = {name: _plain(np.asarray(value, dtype=np.float64) / norm) for name, value in direction.items()}
    scaled = [_plain(np.asarray(t, dtype=np.float64) / norm) for t in jvp] if isinstance(jvp, list) else \
        _plain(np.asarray(jvp, dtype=np.float64) / norm)
    return Directional(norm, unit, jvp, scaled)


def _plain(array: np.ndarray) -> Any:
    return float(array) if array.ndim == 0 else array
