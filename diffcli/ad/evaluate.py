"""Evaluate a graph at a point, and explain where a non-finite value came from.

Evaluation runs every node under `np.errstate(all="ignore")`: a branch of `where`
that is not taken may well compute log(-1), and that must not stop anything. Only
when a value the user asked for is not finite do we walk back through the graph to
the node that first produced it and name the operation and its inputs.
"""

from __future__ import annotations

import math

import warnings
from typing import Any, Mapping

import numpy as np

from diffcli.errors import MathError, UsageError
from diffcli.ad.graph import ConstValue, Graph
from diffcli.ad.ops import PRIMITIVES, all_finite, domain_message

Point = Mapping[str, Any]

# 80 MB of float64 per tensor: far beyond a formula on the command line, and small enough
# that a typo like outer(x, x) on a long vector is refused, not left to exhaust memory.
MAX_TENSOR_ENTRIES = 10_000_000


def checked_value(name: str, value: Any) -> Any:
    """A user value as float64 (as `flat.as_value`), refusing what `--at` refuses: not a real
    number or tensor of them, not finite, too big.

    >>> checked_value("x", float("nan"))
    Traceback (most recent call last):
    ...
    diffcli.errors.UsageError: the value of 'x' is not finite
    """
    try:
        with np.errstate(all="ignore"):
            array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as error:
        raise UsageError(f"the value of '{name}' is not a real number or a tensor of them ({error})") from None
    if array.size > MAX_TENSOR_ENTRIES:
        raise UsageError(f"the value of '{name}' has {array.size:,} entries (at most {MAX_TENSOR_ENTRIES:,})")
    if not np.isfinite(array).all():
        raise UsageError(f"the value of '{name}' is not finite")
    return array[()] if array.ndim == 0 else array


def evaluate(graph: Graph, point: Point, *, upto: list[int] | None = None) -> list[Any]:
    """The value of every node (None for nodes the `upto` roots do not need).

    >>> from diffcli.ad.parse import parse
    >>> g = parse("3*x**3 - 5*x**2")
    >>> float(evaluate(g, {"x": 1.5})[g.outputs[0]])
    -1.125
    """
    needed = graph.ancestors(upto if upto is not None else graph.outputs)
    values: list[Any] = [None] * len(graph)
    ops, inputs, attrs = graph.ops, graph.inputs, graph.attrs
    # NumPy's warning for the mean of an empty slice is not for the user: the NaN result says it.
    # (Only that one: a caller may turn ComplexWarning, also a RuntimeWarning, into an error.)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Mean of empty slice", category=RuntimeWarning)
        for node in range(len(ops)):
            if not needed[node]:
                continue
            op = ops[node]
            if op == "var":
                name = attrs[node][0][1]
                if name not in point:
                    raise UsageError(f"no value given for the variable '{name}'")
                values[node] = point[name]
            elif op == "const":
                values[node] = attrs[node][0][1].value
            else:
                values[node] = evaluate_node(graph, node, [values[j] for j in inputs[node]])
    return values


def evaluate_node(graph: Graph, node: int, args: list[Any]) -> Any:
    """The value of one op node from its inputs' values (call under np.errstate(all="ignore")).

    Shapes that do not fit and tensors beyond MAX_TENSOR_ENTRIES are usage errors naming
    the node's line and column. (A program's interpreter computes its nodes one by one.)
    """
    op = graph.ops[node]
    attrs = graph.attrs[node]
    primitive = PRIMITIVES[op]
    if primitive.result_size is not None and type(args[0]) is np.ndarray and type(args[-1]) is np.ndarray:
        # Two tensors can make a far bigger one (x * x.T, outer(x, x)): check before computing.
        _check_size(graph, node, primitive.result_size(*args))
    try:
        value = primitive.impl(*args, **dict(attrs)) if attrs else primitive.impl(*args)
    except (ValueError, IndexError) as error:
        # Shapes that do not fit (broadcasting, @, indexing) are the user's to fix.
        raise UsageError(_shape_message(op, args, error), line=_line(graph, node),
                         column=_column(graph, node)) from None
    except MemoryError:
        _check_size(graph, node, None)
    if type(value) is np.ndarray and value.size > MAX_TENSOR_ENTRIES:
        _check_size(graph, node, value.size)
    return value


def hold_detached(graph: Graph, point: Point) -> Graph:
    """The graph with every `detach(u)` replaced by u's value at `point`, held fixed.

    What `detach` means to AD — its value is used, but it does not move with the inputs —
    is what finite differences must see too: a step in x must not move `detach(x)`.
    Node ids are kept, so anything that points into the graph stays valid. A graph
    without `detach` is returned as it is.

    >>> from diffcli.ad.parse import parse
    >>> g = hold_detached(parse("x*detach(x)"), {"x": 2.0})
    >>> float(evaluate(g, {"x": 3.0})[g.outputs[0]])
    6.0
    """
    detached = [node for node, op in enumerate(graph.ops) if op == "detach"]
    if not detached:
        return graph
    values = evaluate(graph, point, upto=detached)
    held = graph.copy()
    for node in detached:
        held.ops[node], held.inputs[node] = "const", ()
        held.attrs[node] = (("value", ConstValue(values[node])),)
    held._index = {}  # the merge table no longer matches the nodes; nothing is added to this graph
    return held


def _result_entries(op: str, args: list[Any]) -> int:
    """How many entries `op` will make (0 when its shapes do not fit: the op itself says so)."""
    a, b = args[0], args[-1]
    if op == "outer":
        return a.size * b.size
    if op == "matmul":
        rows = a.size // a.shape[-1] if a.ndim and a.shape[-1] else 0
        columns = b.size // b.shape[-2] if b.ndim > 1 and b.shape[-2] else 1
        return rows * columns
    try:
        return int(np.prod(np.broadcast_shapes(*(np.shape(x) for x in args)), dtype=np.float64))
    except ValueError:
        return 0


# Ops whose result can have many more entries than their inputs: broadcasting ones, outer, @.
_GROWING = frozenset({name for name, p in PRIMITIVES.items()
                      if "elementwise" in p.tags and name not in ("const", "var")} | {"outer", "matmul"})


def _check_size(graph: Graph, node: int, entries: int | None) -> None:
    """Refuse a tensor beyond MAX_TENSOR_ENTRIES (entries None: NumPy ran out of memory)."""
    if entries is not None and entries <= MAX_TENSOR_ENTRIES:
        return
    size = "more entries than memory holds" if entries is None else f"{entries:,.0f} entries"
    raise UsageError(f"{graph.ops[node]}: the result would have {size} (at most {MAX_TENSOR_ENTRIES:,} per tensor)",
                     line=_line(graph, node), column=_column(graph, node))


def _shape_message(op: str, args: list[Any], error: Exception) -> str:
    """'mul: shapes (3,) and (2, 2) do not broadcast' rather than NumPy's wording."""
    if "broadcast" in str(error):
        shapes = " and ".join(str(np.shape(a)) for a in args)
        return f"{op}: shapes {shapes} do not broadcast together"
    return f"{op}: {error}"


def _line(graph: Graph, node: int) -> int | None:
    where = graph.columns.get(node)
    return where[0] if where else None


def _column(graph: Graph, node: int) -> int | None:
    where = graph.columns.get(node)
    return where[1] if where else None


def is_finite(value: Any) -> bool:
    if type(value) is np.float64:  # the common case, 20× cheaper than through an array
        return math.isfinite(value)
    return value is None or all_finite(np.asarray(value, dtype=np.float64))


def origin_of_nonfinite(graph: Graph, values: list[Any], node: int) -> int:
    """Follow non-finite values back from `node` to the op that first produced one."""
    current = node
    while True:
        bad_inputs = [j for j in graph.inputs[current]
                      if graph.ops[j] != "const" and not is_finite(values[j])]
        if graph.ops[current] == "where" and bad_inputs:
            condition = values[graph.inputs[current][0]]
            taken = graph.inputs[current][1] if np.all(condition) else graph.inputs[current][2]
            bad_inputs = [j for j in bad_inputs if j == taken] or bad_inputs
        if not bad_inputs:
            return current
        current = bad_inputs[0]


def location(graph: Graph, node: int) -> str:
    """' at column 5' or ' at line 2, column 5' — where the user wrote `node` ('' if unknown)."""
    where = graph.columns.get(node)
    if where is None:
        return ""
    line, column = where
    return f" at line {line}, column {column}" if line > 1 else f" at column {column}"


def describe_node(graph: Graph, node: int) -> str:
    """'log at column 5' — an op (or the name it was assigned to) and where the user wrote it."""
    label = graph.name_of(node)
    return (f"'{label}'" if label else graph.ops[node]) + location(graph, node)


def nonfinite_reason(graph: Graph, values: list[Any], node: int) -> str:
    """A sentence saying why `values[node]` is not finite, naming the op and column."""
    origin = origin_of_nonfinite(graph, values, node)
    op = graph.ops[origin]
    if op == "var":
        return f"the value given for '{graph.name_of(origin)}' is not finite"
    if op == "const":
        return "a constant is not finite"
    args = tuple(values[j] for j in graph.inputs[origin])
    message = domain_message(op, values[origin], args)
    where = graph.columns.get(origin)
    if where is not None:
        line, column = where
        message += f" (line {line}, column {column})" if line > 1 else f" (column {column})"
    return message


def mixing_node(graph: Graph, roots: list[int]) -> int | None:
    """The first node `roots` need that mixes the entries of its inputs — a constant tensor, or
    an op that is not elementwise — or None: then the graph evaluated with each variable bound
    to a column of points gives, in entry i, its value at point i.

    >>> from diffcli.ad.parse import parse
    >>> graph = parse("x*y + sum(x)")
    >>> graph.ops[mixing_node(graph, graph.outputs)], mixing_node(graph, [graph.variables["x"]])
    ('sum', None)
    """
    needed = graph.ancestors(roots)
    for node, op in enumerate(graph.ops):
        if not needed[node] or op == "var":
            continue
        if (np.ndim(graph.attr(node, "value")) != 0 if op == "const"
                else "elementwise" not in PRIMITIVES[op].tags):
            return node
    return None


def check_outputs(graph: Graph, values: list[Any], roots: list[int] | None = None) -> None:
    """Raise `MathError` naming the culprit if an output is not finite, or if an undefined
    value inside the formula reaches an output (see `hidden_undefined`)."""
    roots = graph.outputs if roots is None else roots
    for output in roots:
        if not is_finite(values[output]):
            raise MathError(nonfinite_reason(graph, values, output))
    hidden = hidden_undefined(graph, values, roots)
    if hidden is not None:
        raise MathError(hidden)


def hidden_undefined(graph: Graph, values: list[Any], roots: list[int]) -> str | None:
    """Why the formula is undefined at the point although its outputs are finite, or None.

    A later op can absorb an undefined value: exp(log(0)) = exp(-inf) = 0, 1/(1/0) = 0,
    and `nan > 0` is simply false. The formula is still undefined there, as log(x) at 0
    is. An op makes an undefined value when its inputs are finite and its result is NaN,
    or infinite with a domain reason (log(0), 1/0) — an overflow (exp(1000)) is a large
    number, not an undefined one, and 1/(1 + exp(1000)) = 0 is right. Such a value
    counts only if it reaches an output: it is replaced by NaN and pushed forward, NaN
    forced through every elementwise op (comparisons and `where`'s condition included);
    the branch a `where` does not take, or entries that indexing drops, stop it.

    >>> from diffcli.ad.parse import parse
    >>> g = parse("exp(log(x))")
    >>> hidden_undefined(g, evaluate(g, {"x": 0.0}), g.outputs)
    'log of zero: log(0) is -infinity (column 5)'
    >>> g = parse("log(x) if x > 0 else 0")
    >>> hidden_undefined(g, evaluate(g, {"x": 0.0}), g.outputs) is None
    True
    """
    needed = graph.ancestors(roots)
    for node in range(len(graph)):
        if needed[node] and values[node] is not None and not is_finite(values[node]) \
                and _makes_undefined(graph, values, node) and _reaches(graph, values, node, roots, needed):
            return nonfinite_reason(graph, values, node)
    return None


def _makes_undefined(graph: Graph, values: list[Any], node: int) -> bool:
    """Whether `node` turns finite inputs into an undefined value (not a mere overflow)."""
    op = graph.ops[node]
    if op in ("var", "const"):
        return False
    args = [values[j] for j in graph.inputs[node]]
    if not all(is_finite(a) for a in args):
        return False
    value = np.asarray(values[node], dtype=np.float64)
    if np.isnan(value).any():
        return True
    primitive = PRIMITIVES[op]
    if primitive.domain is None:
        return False
    try:
        return bool(primitive.domain(values[node], *args))
    except (TypeError, ValueError, IndexError):
        return False


def _reaches(graph: Graph, values: list[Any], source: int, roots: list[int], needed: list[bool]) -> bool:
    """Whether NaN at the non-finite entries of `source`, pushed forward, reaches a root."""
    downstream = graph.descendants([source])
    poisoned: dict[int, Any] = {source: np.where(np.isfinite(values[source]), values[source], np.nan)[()]}
    with np.errstate(all="ignore"):
        for node in range(source + 1, len(graph)):
            if not (downstream[node] and needed[node]):
                continue
            parents = graph.inputs[node]
            if not any(j in poisoned for j in parents):
                continue
            op = graph.ops[node]
            args = [poisoned.get(j, values[j]) for j in parents]
            try:
                value = np.asarray(PRIMITIVES[op].impl(*args, **dict(graph.attrs[node])), dtype=np.float64)
            except Exception:  # a computation that cannot even run on NaN: it is reached
                return True
            if "elementwise" in PRIMITIVES[op].tags:
                # Force NaN wherever a poisoned input was: nan > 0 must not read as false.
                sources = [args[0]] if op == "where" else [a for j, a in zip(parents, args) if j in poisoned]
                mask = np.zeros(value.shape, dtype=bool)
                for arg in sources:
                    mask |= np.broadcast_to(np.isnan(np.asarray(arg, dtype=np.float64)), value.shape)
                value = np.where(mask, np.nan, value)
            if np.isnan(value).any():
                poisoned[node] = value[()]
    return any(root in poisoned for root in roots)
