"""An extremum problem as one graph: f, its constraints, and the Lagrangian.

`build_problem` reads f and each `--subject-to` text. A constraint is an equality
(`g = c`, `g == c`, or `g` meaning `g = 0`) or an inequality (`g <= c`, `g >= c`,
`a <= g <= b`; `<` and `>` read as closed). Each is kept as an expression e(x) with
its bounds, so `x**2 + y**2 <= 1` is e = x² + y² with upper bound 1: the bound is the
right-hand side c whose change the multiplier prices (`--sensitivity`).

Everything is merged into one graph holding

    L = μ₀·f − Σᵢ λᵢ·(eᵢ − bᵢ)

where the λᵢ, the active bounds bᵢ and μ₀ (1 for critical points, 0 when searching
for irregular points) are extra variables of the graph. One graph serves every active
set, every bound and both searches; `kkt` differentiates it once.

Variables are ordered as a person would read them (x, y, z; x1, x2, …, x10), and
`--let` names are constants, substituted into the graph.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse, parse_at
from diffcli.ad.paths import changed_decision
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.flat import as_value, entry_labels, split_like
from diffcli.errors import UsageError

MULTIPLIER_PREFIX = "__lambda"  # parse() refuses dunder names, so no clash with a user's variable
BOUND_PREFIX = "__bound"
OBJECTIVE_WEIGHT = "__mu0"

MAX_PATHS = 64  # paths of a program objective or constraint kept at once
RELATIONS = ("<=", ">=", "==", "!=", "<", ">", "=")  # longest first: '<=' before '<'
UPPER, LOWER, EQUAL = ("<=", "<"), (">=", ">"), ("=", "==")


class _Probe(Mapping[str, Any]):
    """Every name has the value 0.5 (in its shape) unless given: where a program is first run,
    before its variables are known."""

    def __init__(self, shapes: Mapping[str, tuple[int, ...]] | None, at: Mapping[str, Any] | None,
                 constants: Mapping[str, Any]):
        self.shapes, self.at = dict(shapes or {}), {**dict(at or {}), **dict(constants)}

    def __getitem__(self, name: str) -> Any:
        if name in self.at:
            return self.at[name]
        shape = tuple(self.shapes.get(name, ()))
        return np.full(shape, 0.5) if shape else np.float64(0.5)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and not name.startswith("__")

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass
class Constraint:
    """One `--subject-to`: lower ≤ e(x) ≤ upper (lower == upper for an equality).

    A missing side is None. `node` is e in the problem's graph; `shape` is e's shape
    (a vector equality such as `A @ x = b` has one multiplier per entry).
    """

    text: str
    node: int
    shape: tuple[int, ...] = ()
    lower: Any = None
    upper: Any = None
    expression: str = ""             # e as written, for labels ('x**2 + y**2'; 'y = x' when both sides vary)

    @property
    def is_equality(self) -> bool:
        return self.lower is not None and self.upper is not None and bool(np.all(self.lower == self.upper))

    @property
    def sides(self) -> list[str]:
        """The bounds the constraint can be active at: ['equal'], or 'lower'/'upper'."""
        if self.is_equality:
            return ["equal"]
        return [side for side, value in (("lower", self.lower), ("upper", self.upper)) if value is not None]

    def bound(self, side: str) -> Any:
        return self.upper if side == "upper" else self.lower

    def held(self, side: str) -> str:
        """The constraint held at a bound, as a person writes it: 'x = 3', 'x**2 + y**2 = 1'."""
        if " = " in self.expression:      # both sides had variables: 'y = x' as written
            return self.expression
        bound = self.bound("upper" if side == "equal" else side)
        value = f"{float(bound):g}" if not np.shape(bound) else "b"
        return f"{self.expression or self.text} = {value}"


@dataclass
class LagrangeProblem:
    """f and its constraints merged into one Lagrangian graph."""

    objective: str
    constraints: list[Constraint]
    graph: Graph                      # output: [L]
    objective_node: int
    variables: list[str]              # x, in reading order
    shapes: dict[str, tuple[int, ...]]
    multipliers: list[str]            # one graph variable λᵢ per constraint
    bounds: list[str]                 # one graph variable bᵢ per constraint
    constants: dict[str, Any] = field(default_factory=dict)   # --let values
    warnings: list[str] = field(default_factory=list)
    # f or a constraint that is a program: the graph is the path taken at one x, and other
    # x may take other paths (built on demand, kept here, shared by every path's problem).
    paths: list["LagrangeProblem"] = field(default_factory=list, repr=False)

    def on_path(self, x: Mapping[str, Any]) -> "LagrangeProblem":
        """The problem for the path the programs take at the point x (itself for formulas)."""
        if not self.graph.decisions:
            return self
        point = {**self.constants, **x}
        for candidate in [self, *self.paths]:
            values = evaluate(candidate.graph, point, upto=[d.node for d in candidate.graph.decisions])
            if changed_decision(candidate.graph, values) is None:
                return candidate
        other = build_problem(self.objective, self.texts, shapes=self.shapes, constants=self.constants,
                              at={name: x[name] for name in self.variables})
        other.paths = self.paths
        self.paths.append(other)
        if len(self.paths) > MAX_PATHS:
            del self.paths[0]
        return other

    @property
    def constraint_nodes(self) -> list[int]:
        return [c.node for c in self.constraints]

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.constraints]

    @property
    def n(self) -> int:
        return sum(entry_count(self.shapes[v]) for v in self.variables)

    @property
    def m(self) -> int:
        return sum(entry_count(c.shape) for c in self.constraints)

    @property
    def has_inequalities(self) -> bool:
        return any(not c.is_equality for c in self.constraints)

    @property
    def is_scalar(self) -> bool:
        return all(not self.shapes[v] for v in self.variables) and all(not c.shape for c in self.constraints)

    def labels(self) -> list[str]:
        """'x', 'y', 'v[0]', ... : one label per entry of x."""
        return [label for v in self.variables for label in entry_labels(v, self.shapes[v])]

    def x_dict(self, x: np.ndarray) -> dict[str, Any]:
        """{variable: value} from the flat x."""
        values = split_like(np.asarray(x, dtype=np.float64), [self.shapes[v] for v in self.variables])
        return dict(zip(self.variables, values))

    def multiplier_values(self, flat: np.ndarray) -> list[Any]:
        """One value per constraint (an array for a vector constraint) from the flat λ."""
        return [v if np.shape(v) else float(v)
                for v in split_like(np.asarray(flat, dtype=np.float64), [c.shape for c in self.constraints])]

    def constraint_of_entry(self) -> list[int]:
        """For each entry of the flat λ, the index of its constraint."""
        return [i for i, c in enumerate(self.constraints) for _ in range(entry_count(c.shape))]


def entry_count(shape: tuple[int, ...]) -> int:
    """How many numbers a value of this shape holds (1 for a scalar)."""
    return int(np.prod(shape)) if shape else 1


def reading_order(name: str) -> list[Any]:
    """Sort key: x, y, z by letter and x1, x2, …, x10 by number, as a person reads them.

    >>> sorted(["y", "x10", "x2", "x1", "x"], key=reading_order)
    ['x', 'x1', 'x2', 'x10', 'y']
    """
    parts = re.split(r"(\d+)", name)
    return [int(part) if k % 2 else part.lower() for k, part in enumerate(parts)]


# --------------------------------------------------------------------------- reading a constraint


def split_relation(text: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The sides of a constraint and the relations between them, at bracket depth 0.

    Sides come with their 0-based offset in `text`, relations with their 1-based column.

    >>> split_relation("0 <= x <= 3")
    ([('0 ', 0), (' x ', 4), (' 3', 9)], [('<=', 3), ('<=', 8)])
    >>> split_relation("where(x < 1, x, 1) = 2")[1]
    [('=', 20)]
    """
    sides: list[tuple[str, int]] = []
    relations: list[tuple[str, int]] = []
    depth, start, i = 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in "<>=!":
            op = next((r for r in RELATIONS if text.startswith(r, i)), None)
            if op is not None:
                sides.append((text[start:i], start))
                relations.append((op, i + 1))
                i += len(op)
                start = i
                continue
        i += 1
    sides.append((text[start:], start))
    return sides, relations


def _parse_side(text: str, constraint: str, offset: int, probe: Mapping[str, Any] | None = None) -> Graph:
    if not text.strip():
        raise UsageError(f"--subject-to {constraint!r}: a side of the relation is empty",
                         column=offset + 1)
    offset += len(text) - len(text.lstrip())  # the parser would take leading blanks for an indent
    try:
        graph = parse_at(text.strip(), probe, given=frozenset()) if probe is not None else parse(text.strip())
    except UsageError as error:
        column = None if error.column is None else error.column + (offset if (error.line or 1) == 1 else 0)
        raise UsageError(f"--subject-to {constraint!r}: {error.message}", column=column, line=error.line) from None
    if len(graph.outputs) != 1:
        raise UsageError(f"--subject-to {constraint!r}: a constraint is one relation; "
                         "give each with its own --subject-to", column=offset + 1)
    return graph


@dataclass
class _Relation:
    """A constraint as read: e(x) between `lower` and `upper` (graphs, or None)."""

    expression: Graph
    minus: Graph | None = None        # e = expression − minus (both sides have variables)
    lower: Graph | None = None
    upper: Graph | None = None
    label: str = ""                   # e as written


def read_constraint(text: str, constants: Mapping[str, Any], probe: Mapping[str, Any] | None = None) -> _Relation:
    """Parse one `--subject-to` text into e(x) and its constant bounds (graphs).

    A side is constant when it uses no variable other than `--let` names.
    """
    sides, relations = split_relation(text)
    parsed = [_parse_side(side, text, offset, probe) for side, offset in sides]

    def constant(graph: Graph) -> bool:
        return all(name in constants for name in graph.variables)

    if not relations:
        if constant(parsed[0]):
            raise UsageError(f"--subject-to {text!r}: the constraint has no variables")
        zero = parse("0")
        return _Relation(parsed[0], lower=zero, upper=zero, label=text.strip())
    ops = [op for op, _ in relations]
    texts = [side.strip() for side, _ in sides]
    for op, column in relations:
        if op == "!=":
            raise UsageError(f"--subject-to {text!r}: '!=' is not a constraint (use =, <= or >=)", column=column)
    if len(relations) > 2:
        raise UsageError(f"--subject-to {text!r}: at most two relations (a <= g <= b)", column=relations[2][1])
    if len(relations) == 2:
        if any(op in EQUAL for op in ops) or not (all(op in UPPER for op in ops) or all(op in LOWER for op in ops)):
            raise UsageError(f"--subject-to {text!r}: a chain reads a <= g <= b or b >= g >= a",
                             column=relations[1][1])
        low, middle, high = parsed if ops[0] in UPPER else parsed[::-1]
        for graph, (side, offset) in ((low, sides[0]), (high, sides[2])):
            if not constant(graph):
                raise UsageError(f"--subject-to {text!r}: the ends of a <= g <= b must be numbers",
                                 column=offset + len(side) - len(side.lstrip()) + 1)
        if constant(middle):
            raise UsageError(f"--subject-to {text!r}: the constraint has no variables")
        return _Relation(middle, lower=low, upper=high, label=texts[1])
    op = ops[0]
    left, right = parsed
    if constant(left) and constant(right):
        raise UsageError(f"--subject-to {text!r}: the constraint has no variables")
    left_text, right_text = texts
    if op in EQUAL:
        if constant(right):
            return _Relation(left, lower=right, upper=right, label=left_text)
        if constant(left):
            return _Relation(right, lower=left, upper=left, label=right_text)
        zero = parse("0")
        return _Relation(left, minus=right, lower=zero, upper=zero, label=f"{left_text} = {right_text}")
    if op in LOWER:  # a >= b is b <= a
        left, right, op = right, left, "<="
        left_text, right_text = right_text, left_text
    if constant(right):
        return _Relation(left, upper=right, label=left_text)
    if constant(left):
        return _Relation(right, lower=left, label=right_text)
    return _Relation(left, minus=right, upper=parse("0"), label=f"{left_text} = {right_text}")


# --------------------------------------------------------------------------- building the graph


def bind_constants(target: Graph, source: Graph, constants: Mapping[str, Any]) -> list[int]:
    """Import `source` into `target` with each `--let` variable replaced by its value."""
    mapping: list[int] = []
    for node, op in enumerate(source.ops):
        if op == "var":
            name = source.attr(node, "name")
            new = target.const(constants[name]) if name in constants else target.var(name)
        else:
            new = target.add(op, tuple(mapping[j] for j in source.inputs[node]), source.attrs[node])
        mapping.append(new)
        if node in source.columns:
            target.columns.setdefault(new, source.columns[node])
    target.decisions.extend(replace(d, node=mapping[d.node]) for d in source.decisions)
    return mapping


def _constant_value(graph: Graph, constants: Mapping[str, Any], text: str) -> Any:
    value = evaluate(graph, dict(constants))[graph.outputs[0]]
    value = as_value(value)
    if not np.all(np.isfinite(value)):
        raise UsageError(f"--subject-to {text!r}: the bound is not a finite number")
    return value


def build_problem(objective: str, constraints: Sequence[str] = (), *,
                  shapes: Mapping[str, tuple[int, ...]] | None = None,
                  constants: Mapping[str, Any] | None = None,
                  at: Mapping[str, Any] | None = None) -> LagrangeProblem:
    """Parse f and each constraint, and merge them into L = μ₀f − Σ λᵢ(eᵢ − bᵢ).

    >>> p = build_problem("x + y", ["x*y = 1", "0 <= y <= 3"])
    >>> p.variables, p.n, p.m, [c.sides for c in p.constraints]
    (['x', 'y'], 2, 2, [['equal'], ['lower', 'upper']])
    """
    constants = {name: as_value(value) for name, value in (constants or {}).items()}
    probe = _Probe(shapes, at, constants)   # a program (loops, branches) runs at a point: `at`, or 0.5 everywhere
    f_graph = parse_at(objective, probe, given=frozenset())
    if len(f_graph.outputs) != 1:
        raise UsageError("the objective must be one scalar formula, not a list")
    graph = Graph(source=objective)
    f_node = bind_constants(graph, f_graph, constants)[f_graph.outputs[0]]
    relations = [(text, read_constraint(text, constants, probe)) for text in constraints]
    nodes, bound_values = [], []
    for text, relation in relations:
        node = bind_constants(graph, relation.expression, constants)[relation.expression.outputs[0]]
        if relation.minus is not None:
            minus = bind_constants(graph, relation.minus, constants)[relation.minus.outputs[0]]
            node = graph.add("sub", (node, minus))
        nodes.append(node)
        bound_values.append(tuple(None if g is None else _constant_value(g, constants, text)
                                  for g in (relation.lower, relation.upper)))
    unused = [name for name in constants if name not in f_graph.variables
              and not any(name in g.variables for _, r in relations
                          for g in (r.expression, r.minus, r.lower, r.upper) if g is not None)]
    if unused:
        raise UsageError(f"--let: '{unused[0]}' does not appear in the objective or the constraints")
    variables = sorted((v for v in graph.variables), key=reading_order)
    if not variables:
        raise UsageError("the problem has no variables (every name is a --let constant)")
    shapes = {v: tuple((shapes or {}).get(v, ())) for v in variables}
    point = {v: probe[v] for v in variables}
    values = evaluate(graph, point, upto=[f_node, *nodes])
    if np.shape(values[f_node]):
        raise UsageError(f"the objective must be a scalar, but it has shape {np.shape(values[f_node])}; "
                         "wrap it in sum(...)")
    problem_constraints = []
    for (text, relation), node, (lower, upper) in zip(relations, nodes, bound_values):
        shape = np.shape(values[node])
        if shape and not (lower is not None and upper is not None and np.all(lower == upper)):
            raise UsageError(f"--subject-to {text!r}: an inequality must be one number (this one has shape "
                             f"{shape}); give one --subject-to per entry")
        for bound in (lower, upper):
            if bound is not None and np.shape(bound) not in ((), shape):
                raise UsageError(f"--subject-to {text!r}: the right-hand side has shape {np.shape(bound)}, "
                                 f"the left {shape}")
        if lower is not None and upper is not None and np.any(lower > upper):
            raise UsageError(f"--subject-to {text!r}: the lower bound is above the upper one")
        problem_constraints.append(Constraint(text, node, shape,
                                              None if lower is None else _broadcast(lower, shape),
                                              None if upper is None else _broadcast(upper, shape),
                                              relation.label))
    return _lagrangian(objective, graph, f_node, problem_constraints, variables, shapes, constants)


def _broadcast(value: Any, shape: tuple[int, ...]) -> Any:
    return np.broadcast_to(value, shape).copy() if shape else float(value)


def _lagrangian(objective: str, graph: Graph, f_node: int, constraints: list[Constraint], variables: list[str],
                shapes: dict[str, tuple[int, ...]], constants: dict[str, Any]) -> LagrangeProblem:
    lagrangian = graph.add("mul", (graph.var(OBJECTIVE_WEIGHT), f_node))
    multipliers, bounds = [], []
    for i, c in enumerate(constraints):
        lam, bound = f"{MULTIPLIER_PREFIX}{i}", f"{BOUND_PREFIX}{i}"
        term = graph.add("mul", (graph.var(lam), graph.add("sub", (c.node, graph.var(bound)))))
        if c.shape:
            term = graph.add("sum_to", (term,), (("shape", ()),))
        lagrangian = graph.add("sub", (lagrangian, term))
        multipliers.append(lam)
        bounds.append(bound)
    graph.outputs = [lagrangian]
    problem = LagrangeProblem(objective, constraints, graph, f_node, variables, shapes, multipliers, bounds,
                              dict(constants))
    problem.warnings.extend(_smoothness_warnings(problem))
    if graph.decisions:
        problem.warnings.append("f or a constraint is a program whose path depends on x: each point is found and "
                                "classified on the path the program takes there (a point on a branch boundary "
                                "may not be a true critical point)")
    equalities = sum(entry_count(c.shape) for c in constraints if c.is_equality)
    if equalities > problem.n:
        problem.warnings.append(f"more equations ({equalities}) than variables ({problem.n}): the feasible set "
                                "is generally empty, and at any point found LICQ fails")
    return problem


def _smoothness_warnings(problem: LagrangeProblem) -> list[str]:
    """Ops with kinks or branches: Newton assumes f and g are twice differentiable."""
    graph = problem.graph
    needed = graph.ancestors([problem.objective_node, *problem.constraint_nodes])
    found = []
    for node, op in enumerate(graph.ops):
        if needed[node] and op not in ("var", "const") and (PRIMITIVES[op].kink is not None or op == "where"):
            if op not in found:
                found.append(op)
    if not found:
        return []
    return [f"the problem is not smooth everywhere ({', '.join(found)}): Newton's method assumes f and g are "
            "twice differentiable and may fail or stop at a kink"]


def read_shapes(text: str | None, option: str = "--shape") -> dict[str, tuple[int, ...]]:
    """'x=3' or 'x=3,A=2x2' → {'x': (3,), 'A': (2, 2)}.

    >>> read_shapes("x=3, A=2x2")
    {'x': (3,), 'A': (2, 2)}
    """
    shapes: dict[str, tuple[int, ...]] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UsageError(f"{option}: expected NAME=N or NAME=NxM, got {part.strip()!r}")
        try:
            dims = tuple(int(d) for d in value.strip().lower().split("x"))
        except ValueError:
            raise UsageError(f"{option}: expected NAME=N or NAME=NxM, got {part.strip()!r}") from None
        if not dims or any(d < 1 for d in dims) or math.prod(dims) > 10_000:
            raise UsageError(f"{option} {name}: sizes must be positive, at most 10,000 entries in all")
        shapes[name] = dims
    return shapes
