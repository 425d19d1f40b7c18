"""Shapes and flattening: how diffcli holds a value, and the fixed order in which tensors
become flat vectors (the rows and columns of a Jacobian).

A value is a float64 scalar or a float64 array (`as_value`: a 0-d array becomes a
scalar). Variables are flattened in `wrt` order, each in C order; outputs in order.
`x[0], x[1], y` are the columns of a Jacobian of a function of a vector x and a scalar y.

>>> split_like(np.arange(3.0), [(2,), ()])
[array([0., 1.]), np.float64(2.0)]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from diffcli.ad.evaluate import Point
from diffcli.ad.graph import Graph


def as_value(value: Any, dtype: Any = np.float64) -> Any:
    """A value as diffcli holds it: a float64 scalar for 0-d, else a float64 array
    (complex128 for the complex step, object for SymPy's arrays of expressions).

    >>> as_value([1, 2]), as_value(np.array(3))
    (array([1., 2.]), np.float64(3.0))
    """
    array = np.asarray(value, dtype=dtype)
    return array[()] if array.ndim == 0 else array


def zeros_like(value: Any) -> Any:
    return as_value(np.zeros(np.shape(value)))


def ones_like(value: Any) -> Any:
    return as_value(np.ones(np.shape(value)))


def unit(shape: tuple[int, ...], flat_index: int) -> Any:
    """The value of this shape that is 1 at entry `flat_index` (C order) and 0 elsewhere."""
    seed = np.zeros(int(np.prod(shape)))
    seed[flat_index] = 1.0
    return as_value(seed.reshape(shape))


def entry_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    """['x'] for a scalar, ['x[0]', 'x[1]'] for a vector, ['A[0,0]', ...] for a matrix."""
    if not shape:
        return [name]
    return [f"{name}[{','.join(map(str, index))}]" for index in np.ndindex(shape)]


class EntryLabels(Sequence[str]):
    """'x[0]', 'x[1]', 'y', … — one label per entry of some named tensors, in C order, made on
    demand: a 10⁷-entry variable has 10⁷ labels, and building them all took 1.5 GB and a minute.

    >>> labels = EntryLabels([("x", (2,)), ("y", ()), ("A", (1, 2))])
    >>> len(labels), labels[0], labels[-1], list(labels)
    (5, 'x[0]', 'A[0,1]', ['x[0]', 'x[1]', 'y', 'A[0,0]', 'A[0,1]'])
    """

    def __init__(self, parts: list[tuple[str, tuple[int, ...]]]):
        self.parts = [(name, tuple(shape)) for name, shape in parts]
        self.sizes = [int(np.prod(shape)) if shape else 1 for _, shape in self.parts]

    def __len__(self) -> int:
        return sum(self.sizes)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        for (name, shape), size in zip(self.parts, self.sizes):
            if index < size:
                return name if not shape else f"{name}[{','.join(map(str, np.unravel_index(index, shape)))}]"
            index -= size
        raise IndexError(index)

    def __iter__(self) -> Iterator[str]:
        for name, shape in self.parts:
            for index in np.ndindex(shape):
                yield name if not shape else f"{name}[{','.join(map(str, index))}]"

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, tuple, EntryLabels)) else NotImplemented


def input_labels(point: Point, wrt: list[str]) -> EntryLabels:
    """'x[0]', 'x[1]', 'y' — one label per input entry, in Jacobian column order."""
    return EntryLabels([(name, np.shape(point[name])) for name in wrt])


def output_labels(graph: Graph, values: list[Any]) -> EntryLabels:
    """'f' for one scalar output, 'f[0]', … for a tensor, 'f1', 'f2', … for a list."""
    outputs = graph.outputs
    if len(outputs) == 1:
        return EntryLabels([("f", np.shape(values[outputs[0]]))])
    return EntryLabels([(f"f{k + 1}", np.shape(values[node])) for k, node in enumerate(outputs)])


def flatten(parts: list[Any]) -> np.ndarray:
    """Every entry of every part, in order, as one float64 vector."""
    arrays = [np.asarray(p, dtype=np.float64).ravel() for p in parts]
    return np.concatenate(arrays) if arrays else np.zeros(0)


def result_vector(result: Any, order: list[str] | None = None) -> np.ndarray:
    """Every number of a result ({name: array}, list or array) in one flat vector."""
    if isinstance(result, dict):
        return flatten([result[k] for k in (order if order is not None else list(result))])
    return flatten(list(result) if isinstance(result, (list, tuple)) else [result])


def flat_inputs(point: Point, wrt: list[str]) -> np.ndarray:
    return flatten([point[name] for name in wrt])


def flat_outputs(values: list[Any], outputs: list[int]) -> np.ndarray:
    return flatten([values[o] for o in outputs])


def split_like(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[Any]:
    """The flat vector cut into values of these shapes, in order (the inverse of `flatten`)."""
    parts, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        parts.append(as_value(flat[start:start + size].reshape(shape)))
        start += size
    return parts


def as_dict(flat: np.ndarray, point: Point, wrt: list[str]) -> dict[str, Any]:
    """{variable: value} from a flat vector ordered like `flat_inputs(point, wrt)`."""
    return dict(zip(wrt, split_like(flat, [np.shape(point[name]) for name in wrt])))


def with_flat_inputs(point: Point, wrt: list[str], z: np.ndarray) -> dict[str, Any]:
    """`point` with the variables in `wrt` replaced by the entries of the flat vector `z`."""
    return {**point, **as_dict(z, point, wrt)}
