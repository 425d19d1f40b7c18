"""`--output FILE`: a tensor result written for another program (.npy, .csv, .json).

The result written is the reference method's (the one the errors are measured
against), as one array:

* a gradient or uᵀJ of one variable has that variable's shape; of several, it is the
  entries of all of them in one vector, in `wrt` order (C order inside a tensor),
  labelled x, y, A[0,1], …;
* a Jacobian is outputs × inputs, a Hessian inputs × inputs, labelled the same way;
* J·v of one output has that output's shape; of a list of outputs, one entry each.

`.npy` holds the array alone (np.load gives it back bit for bit); `.csv` a header
row of column labels and, for a matrix, a first column of row labels (a vector is
one `entry,value` row per entry); `.json` the array as nested lists with its labels,
non-finite entries as null explained under "nonfinite" (`views.document`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from diffcli.ad.flat import flatten, input_labels
from diffcli.errors import MathError, UsageError
from diffcli.views.document import plain

SUFFIXES = (".npy", ".csv", ".json")


@dataclass
class Tensor:
    """One result as an array, with the labels of its rows (and columns, for a matrix)."""

    kind: str
    method: str
    array: np.ndarray
    rows: list[str]
    columns: list[str] | None = None


def check_path(path: Path, option: str = "--output") -> None:
    """Refuse a file type or a folder we cannot write to before any work (exit 2)."""
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"{option}: cannot write '{path.suffix or path.name}' files (use .npy, .csv or .json)")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{option}: cannot write {path}: the folder {folder} does not exist")


def _reference(comparison: Any) -> tuple[str, Any]:
    if comparison.reference is None:
        raise MathError("--output: no method produced a result to write")
    return comparison.reference, comparison.methods[comparison.reference].result


def gradient_tensor(point: dict[str, Any], comparison: Any, kind: str = "grad") -> Tensor:
    """∇f (or uᵀJ) as one array: the variable's shape for one variable, one vector for several."""
    method, result = _reference(comparison)
    wrt = comparison.wrt
    if len(wrt) == 1:
        array = np.asarray(result[wrt[0]], dtype=np.float64)
        return Tensor(kind, method, array, input_labels(point, wrt) if array.ndim <= 1 else [])
    return Tensor(kind, method, flatten([result[name] for name in wrt]), input_labels(point, wrt))


def derivative_tensor(point: dict[str, Any], derivative: Any) -> Tensor:
    """A jvp / vjp / jacobian / hessian result as one array."""
    comparison, kind = derivative.comparison, derivative.kind
    if kind == "vjp":
        return gradient_tensor(point, comparison, "vjp")
    method, result = _reference(comparison)
    if kind in ("jacobian", "hessian"):
        return Tensor(kind, method, np.asarray(result, dtype=np.float64), derivative.outputs, derivative.inputs)
    if not isinstance(comparison.value, list):  # one output: its J·v in its own shape
        array = np.asarray(result[0], dtype=np.float64)
        return Tensor(kind, method, array, derivative.outputs if array.ndim <= 1 else [])
    return Tensor(kind, method, flatten(list(result)), derivative.outputs)


def _csv_text(tensor: Tensor) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    array = tensor.array
    number = lambda v: repr(float(v))  # noqa: E731  (shortest text that reads back to the same float)
    if array.ndim == 0:
        writer.writerow(["value"])
        writer.writerow([number(array)])
    elif array.ndim == 1:
        writer.writerow(["entry", "value"])
        for label, value in zip(tensor.rows or [str(k) for k in range(array.size)], array):
            writer.writerow([label, number(value)])
    elif array.ndim == 2:
        columns = tensor.columns or [str(k) for k in range(array.shape[1])]
        writer.writerow(["", *columns])
        for label, row in zip(tensor.rows or [str(k) for k in range(array.shape[0])], array):
            writer.writerow([label, *[number(v) for v in row]])
    else:
        raise UsageError(f"--output: a {array.ndim}-dimensional result does not fit a CSV; use .npy or .json")
    return buffer.getvalue()


def write(tensor: Tensor, path: Path, option: str = "--output") -> None:
    """Write the tensor in the format of the suffix."""
    check_path(path, option)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            np.save(path, tensor.array, allow_pickle=False)
        elif suffix == ".csv":
            path.write_text(_csv_text(tensor))
        else:
            document: dict[str, Any] = {"kind": tensor.kind, "method": tensor.method, "shape": list(tensor.array.shape),
                                        "rows": tensor.rows}
            if tensor.columns is not None:
                document["columns"] = tensor.columns
            document["value"] = tensor.array
            path.write_text(json.dumps(plain(document), allow_nan=False) + "\n")
    except OSError as error:
        raise UsageError(f"{option}: cannot write {path}: {error.strerror or error}") from None
