"""An equality-constrained problem as one graph: the Lagrangian L = f − Σ λᵢ gᵢ and F = ∇L.

f and each constraint `g(x) = c` are parsed separately and merged into one graph (the
λᵢ are extra variables), so f and g share their variables and subexpressions. F is the
reverse-mode gradient graph of L with respect to (x, λ), built once; at any point,
`evaluate_residual` gives F, f and the KKT matrix ∂F/∂(x, λ) by forward mode over it:

    F = [∇f − J_gᵀλ ; −g],   K = [[∇²ₓL, −J_gᵀ], [−J_g, 0]]

— the textbook [[∇²ₓL, −J_gᵀ], [J_g, 0]] with its last rows negated, which keeps K
symmetric. No finite differences anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from diffcli.errors import UsageError
from diffcli.ad.evaluate import evaluate
from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse_at
from diffcli.ad.paths import changed_decision
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.reverse import gradient_graph
from diffcli.ad.flat import entry_labels, split_like
from diffcli.ad.transforms import jacobian_forward

MULTIPLIER_PREFIX = "__lambda"  # parse() refuses dunder names, so no clash with a user's variable
MAX_PATHS = 64  # paths of a program objective or constraint kept at once


class _Probe(Mapping[str, Any]):
    """Every name has the value 0.5 (in its shape): where a program is first run, before its
    variables are known."""

    def __init__(self, shapes: Mapping[str, tuple[int, ...]] | None, at: Mapping[str, Any] | None):
        self.shapes, self.at = dict(shapes or {}), dict(at or {})

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

# --------------------------------------------------------------------------- the problem


@dataclass
class LagrangeProblem:
    """f and the constraints merged into the Lagrangian graph, and its gradient graph F."""

    objective: str
    constraints: list[str]
    graph: Graph                     # outputs: [L]
    objective_node: int
    constraint_nodes: list[int]      # gᵢ = lhs − rhs
    variables: list[str]             # x, in order of appearance
    shapes: dict[str, tuple[int, ...]]
    multipliers: list[str]           # one internal variable per constraint
    multiplier_shapes: list[tuple[int, ...]]
    residual_graph: Graph            # F = ∇_{x,λ} L
    residual_nodes: list[int]
    warnings: list[str] = field(default_factory=list)
    # f or a constraint that is a program: the graph is the path taken at one x, and other
    # x may take other paths (built on demand, kept here, shared by every path's problem).
    paths: list["LagrangeProblem"] = field(default_factory=list, repr=False)

    def on_path(self, point: Mapping[str, Any]) -> "LagrangeProblem":
        """The problem for the path the programs take at `point` (itself for formulas)."""
        if not self.graph.decisions:
            return self
        for candidate in [self, *self.paths]:
            values = evaluate(candidate.graph, point, upto=[d.node for d in candidate.graph.decisions])
            if changed_decision(candidate.graph, values) is None:
                return candidate
        other = build_problem(self.objective, self.constraints, self.shapes,
                              at={name: point[name] for name in self.variables})
        other.paths = self.paths
        self.paths.append(other)
        if len(self.paths) > MAX_PATHS:
            del self.paths[0]
        return other

    @property
    def n(self) -> int:
        return sum(entry_count(self.shapes[v]) for v in self.variables)

    @property
    def m(self) -> int:
        return sum(entry_count(s) for s in self.multiplier_shapes)

    @property
    def unknowns(self) -> list[str]:
        return self.variables + self.multipliers

    def labels(self) -> list[str]:
        """'x', 'y', 'v[0]', ... : one label per entry of x."""
        return [label for v in self.variables for label in entry_labels(v, self.shapes[v])]

    def point(self, z: np.ndarray) -> dict[str, Any]:
        """{name: value} for every variable and multiplier, from the flat vector z = (x, λ)."""
        shapes = [self.shapes[v] for v in self.variables] + self.multiplier_shapes
        return dict(zip(self.unknowns, split_like(z, shapes)))

    def x_dict(self, x: np.ndarray) -> dict[str, Any]:
        return {name: value for name, value in self.point(np.concatenate([x, np.zeros(self.m)])).items()
                if name in self.shapes}


def entry_count(shape: tuple[int, ...]) -> int:
    """How many numbers a value of this shape holds (1 for a scalar)."""
    return int(np.prod(shape)) if shape else 1


def split_constraint(text: str) -> tuple[str, str | None, int]:
    """'g(x) = c' → ('g(x) ', ' c', offset of c); 'g(x)' → ('g(x)', None, 0).

    Only a lone '=' separates the sides; '==', '<=', '>=' and '!=' are comparisons.
    """
    positions = [i for i, ch in enumerate(text) if ch == "="
                 and (i == 0 or text[i - 1] not in "=<>!") and (i + 1 == len(text) or text[i + 1] != "=")]
    if not positions:
        return text, None, 0
    if len(positions) > 1:
        raise UsageError(f"--subject-to {text!r}: write one '=' (g(x) = c), not {len(positions)}",
                         column=positions[1] + 1)
    at = positions[0]
    return text[:at], text[at + 1:], at + 1


def _parse_side(text: str, constraint: str, offset: int, probe: _Probe) -> Graph:
    if not text.strip():
        raise UsageError(f"--subject-to {constraint!r}: one side of '=' is empty")
    offset += len(text) - len(text.lstrip())  # the parser would take leading blanks for an indent
    try:
        graph = parse_at(text.strip(), probe, given=frozenset())
    except UsageError as error:
        column = None if error.column is None else error.column + (offset if (error.line or 1) == 1 else 0)
        raise UsageError(f"--subject-to {constraint!r}: {error.message}", column=column, line=error.line) from None
    if len(graph.outputs) != 1:
        raise UsageError(f"--subject-to {constraint!r}: a constraint is one equation; "
                         "give each with its own --subject-to")
    return graph


def build_problem(objective: str, constraints: Sequence[str],
                  shapes: Mapping[str, tuple[int, ...]] | None = None,
                  at: Mapping[str, Any] | None = None) -> LagrangeProblem:
    """Parse f and each constraint, merge them into L = f − Σ λᵢ gᵢ, and differentiate L.

    >>> p = build_problem("x + y", ["x*y = 1"])
    >>> p.variables, p.n, p.m
    (['x', 'y'], 2, 1)
    """
    if not constraints:
        raise UsageError("give at least one constraint with --subject-to (for no constraint, use grad)")
    probe = _Probe(shapes, at)  # a program (loops, branches) runs at a point: here, or 0.5 everywhere
    f_graph = parse_at(objective, probe, given=frozenset())
    if len(f_graph.outputs) != 1:
        raise UsageError("the objective must be one scalar formula, not a list")
    graph = Graph(source=objective)
    f_node = graph.import_graph(f_graph)[f_graph.outputs[0]]
    g_nodes = []
    for text in constraints:
        lhs, rhs, offset = split_constraint(text)
        left = _parse_side(lhs, text, 0, probe)
        if not left.variables and (rhs is None or not _parse_side(rhs, text, offset, probe).variables):
            raise UsageError(f"--subject-to {text!r}: the constraint has no variables")
        node = graph.import_graph(left)[left.outputs[0]]
        if rhs is not None:
            right = _parse_side(rhs, text, offset, probe)
            node = graph.add("sub", (node, graph.import_graph(right)[right.outputs[0]]))
        g_nodes.append(node)
    variables = list(graph.variables)
    shapes = {v: tuple((shapes or {}).get(v, ())) for v in variables}
    probe = {v: probe[v] for v in variables}
    g_values = evaluate(graph, probe, upto=[f_node, *g_nodes])
    if np.shape(g_values[f_node]):
        raise UsageError(f"the objective must be a scalar, but it has shape {np.shape(g_values[f_node])}; "
                         "wrap it in sum(...)")
    multipliers, multiplier_shapes = [], []
    lagrangian = f_node
    for i, node in enumerate(g_nodes):
        name = f"{MULTIPLIER_PREFIX}{i}"
        shape = np.shape(g_values[node])
        term = graph.add("mul", (graph.var(name), node))
        if shape:
            term = graph.add("sum_to", (term,), (("shape", ()),))
        lagrangian = graph.add("sub", (lagrangian, term))
        multipliers.append(name)
        multiplier_shapes.append(shape)
    graph.outputs = [lagrangian]
    point = {**probe, **{name: np.ones(s) if s else np.float64(1.0) for name, s in zip(multipliers, multiplier_shapes)}}
    residual_graph, residual_nodes = gradient_graph(graph, point, variables + multipliers)
    problem = LagrangeProblem(objective, list(constraints), graph, f_node, g_nodes, variables, shapes,
                              multipliers, multiplier_shapes, residual_graph, residual_nodes)
    problem.warnings.extend(_smoothness_warnings(problem))
    if graph.decisions:
        problem.warnings.append("f or a constraint is a program whose path depends on x: each point is found and "
                                "classified on the path the program takes there (a point on a branch boundary "
                                "may not be a true critical point)")
    if problem.m > problem.n:
        problem.warnings.append(f"more constraints ({problem.m}) than variables ({problem.n}): the feasible set "
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


# ---------------------------------------------------------------------- F and its Jacobian


@dataclass
class Evaluation:
    """F(z), the objective value, and (when asked) the KKT matrix at one z = (x, λ)."""

    residual: np.ndarray
    f: float
    kkt: np.ndarray | None = None


def evaluate_residual(problem: LagrangeProblem, z: np.ndarray, with_kkt: bool = True) -> Evaluation:
    """F = ∇_{x,λ}L at z, f(x), and the KKT matrix ∂F/∂(x,λ) by forward mode over the gradient graph."""
    problem = problem.on_path(problem.point(z))
    graph, nodes = problem.residual_graph, problem.residual_nodes
    point = problem.point(z)
    values = evaluate(graph, point, upto=[*nodes, problem.objective_node])
    parts = [np.broadcast_to(values[node], np.shape(point[name])).ravel() for node, name in zip(nodes, problem.unknowns)]
    residual = np.concatenate(parts).astype(np.float64)
    f = float(values[problem.objective_node])
    kkt = jacobian_forward(graph, point, problem.unknowns, outputs=nodes, values=values) if with_kkt else None
    return Evaluation(residual, f, kkt)


def kkt_blocks(problem: LagrangeProblem, kkt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∇²ₓL and J_g from the KKT matrix."""
    n = problem.n
    hessian = kkt[:n, :n]
    return (hessian + hessian.T) / 2, -kkt[n:, :n]


def is_defined(evaluation: Evaluation) -> bool:
    """F, f (and K when computed) are finite: the point is inside the problem's domain.

    f itself counts: log(x) at x < 0 has a finite derivative 1/x but no value."""
    return (bool(np.isfinite(evaluation.residual).all()) and math.isfinite(evaluation.f)
            and (evaluation.kkt is None or bool(np.isfinite(evaluation.kkt).all())))


def objective_gradient(problem: LagrangeProblem, z: np.ndarray, evaluation: Evaluation) -> np.ndarray:
    """∇f = ∇ₓL + J_gᵀλ (F's first block plus the constraint forces)."""
    _, jacobian = kkt_blocks(problem, evaluation.kkt)
    return evaluation.residual[:problem.n] + jacobian.T @ z[problem.n:]
