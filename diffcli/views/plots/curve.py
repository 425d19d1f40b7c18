"""A formula as a function of one or two of its variables, the others held at the point.

The pictures evaluate f on a line or a grid of values. The graph is evaluated once on
the whole array where that is possible (elementwise formulas); a formula whose ops mix
entries (sum, @, indexing) is evaluated point by point instead, so the picture is
right either way.

>>> from diffcli.ad.parse import parse
>>> import numpy as np
>>> [float(v) for v in values_along(parse("x**2 + y"), {"x": 1.0, "y": 10.0}, {"x": np.array([0.0, 2.0])})]
[10.0, 14.0]
"""

from __future__ import annotations

import itertools
from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.ad.graph import Graph
from diffcli.errors import DiffcliError

# What evaluating off the point may raise: a shape that does not broadcast, a domain error.
_OFF_POINT = (DiffcliError, ValueError, TypeError, ArithmeticError)


def values_along(graph: Graph, point: Mapping[str, Any], grids: Mapping[str, np.ndarray]) -> np.ndarray:
    """f at every entry of the (equally shaped) arrays `grids`, other variables from `point`; NaN where undefined."""
    shape = np.shape(next(iter(grids.values())))
    root = graph.outputs[0]
    try:
        whole = evaluate(graph, {**point, **grids}, upto=[root])[root]
        if np.shape(whole) == shape:
            return np.asarray(whole, dtype=np.float64)
    except _OFF_POINT:  # a formula that does not broadcast over the grid: go point by point
        pass
    result = np.full(shape, np.nan)
    for index in itertools.product(*(range(n) for n in shape)):
        at = {**point, **{name: np.float64(grid[index]) for name, grid in grids.items()}}
        try:
            result[index] = float(evaluate(graph, at, upto=[root])[root])
        except _OFF_POINT:  # undefined there: a gap in the picture, not a failure
            result[index] = np.nan
    return result


def value_at(graph: Graph, point: Mapping[str, Any], variable: str, x: float) -> float:
    """f with `variable` moved to x (NaN where f is undefined)."""
    return float(values_along(graph, point, {variable: np.array([x])})[0])
