"""Tensors as flat vectors: the fixed order in which a Jacobian lists its inputs and outputs.

Variables in `wrt` order, each in C order; outputs in order. `x[0], x[1], y` are the
columns of a Jacobian of a function of a vector x and a scalar y.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from diffcli.ad.evaluate import Point
from diffcli.ad.graph import Graph
from diffcli.ad.transforms import entry_labels


def input_labels(point: Point, wrt: list[str]) -> list[str]:
    """'x[0]', 'x[1]', 'y' — one label per input entry, in Jacobian column order."""
    return [label for name in wrt for label in entry_labels(name, np.shape(point[name]))]


def output_labels(graph: Graph, values: list[Any]) -> list[str]:
    """'f' for one scalar output, 'f[0]', … for a tensor, 'f1', 'f2', … for a list."""
    outputs = graph.outputs
    if len(outputs) == 1:
        return entry_labels("f", np.shape(values[outputs[0]]))
    return [label for k, node in enumerate(outputs) for label in entry_labels(f"f{k + 1}", np.shape(values[node]))]


def flat_inputs(point: Point, wrt: list[str]) -> np.ndarray:
    parts = [np.asarray(point[name], dtype=np.float64).ravel() for name in wrt]
    return np.concatenate(parts) if parts else np.zeros(0)


def with_flat_inputs(point: Point, wrt: list[str], z: np.ndarray) -> dict[str, Any]:
    """`point` with the variables in `wrt` replaced by the entries of the flat vector `z`."""
    moved = dict(point)
    start = 0
    for name in wrt:
        shape = np.shape(point[name])
        size = int(np.prod(shape)) if shape else 1
        chunk = z[start:start + size]
        moved[name] = chunk.reshape(shape) if shape else np.float64(chunk[0])
        start += size
    return moved


def flat_outputs(values: list[Any], outputs: list[int]) -> np.ndarray:
    return np.concatenate([np.asarray(values[o], dtype=np.float64).ravel() for o in outputs])


def split_like(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[Any]:
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape)) if shape else 1
        chunk = flat[start:start + size]
        parts.append(chunk.reshape(shape) if shape else np.float64(chunk[0]))
        start += size
    return parts


def as_dict(flat: np.ndarray, point: Point, wrt: list[str]) -> dict[str, Any]:
    return {name: value for name, value in zip(wrt, split_like(flat, [np.shape(point[n]) for n in wrt]))}
