"""F = ∇L and the KKT matrix K = ∂F/∂(x, λ) as one graph, built once, evaluated at many points at once.

With L = μ₀f − Σᵢ λᵢ(eᵢ − bᵢ) (see `problem`), the unknowns are z = (x, λ) and

    F = [μ₀∇f − J_eᵀλ ; −(e − b)],   K = [[∇²ₓL, −J_eᵀ], [−J_e, 0]]

— the textbook [[∇²ₓL, −Jᵀ], [J, 0]] with its last rows negated, which keeps K
symmetric. F is the reverse-mode gradient graph of L; the columns of ∇²ₓL and J_e are
forward-mode tangents of that graph, also built as graph nodes, once per input entry.
So one evaluation of one graph per Newton iteration gives f, e, F and K — no sweeps at
run time, no finite differences anywhere.

When every variable and constraint is a scalar and every op is elementwise, the graph
is evaluated for a whole batch of points at once (each variable holds one value per
point): the Python cost of walking the graph is paid once for all the starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.ad.flat import split_like
from diffcli.ad.forward import jvp_sweep
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.reverse import gradient_graph
from diffcli.ad.tape import Tape
from diffcli.extrema.problem import OBJECTIVE_WEIGHT, LagrangeProblem, entry_count

PROBE = 0.5  # where the graph is built: only shapes are read there (branches stay symbolic)


@dataclass
class Batch:
    """Everything at S points z = (x, λ): row s belongs to point s.

    f (S,), e (S, m) constraint values, F (S, N), K (S, N, N) with N = n + m,
    gradient ∇f (S, n) and J = ∂e/∂x (S, m, n).
    """

    f: np.ndarray
    e: np.ndarray
    F: np.ndarray
    K: np.ndarray
    gradient: np.ndarray
    jacobian: np.ndarray

    @property
    def defined(self) -> np.ndarray:
        """Rows where f, F and K are all finite: the point is inside the problem's domain."""
        flat = self.K.reshape(len(self.K), -1)
        return np.isfinite(self.f) & np.isfinite(self.F).all(axis=1) & np.isfinite(flat).all(axis=1)


class KKTGraph:
    """The graph of f, e, F and the columns of K for a problem."""

    def __init__(self, problem: LagrangeProblem, follow_paths: bool = True):
        self.problem = problem
        # A program's graph is the path taken at one x: each row is evaluated on its own path.
        self.follow_paths = follow_paths and bool(problem.graph.decisions)
        self._path_graphs: dict[int, KKTGraph] = {}
        n, m = problem.n, problem.m
        self.n, self.m = n, m
        unknowns = problem.variables + problem.multipliers
        self.unknown_shapes = [problem.shapes[v] for v in problem.variables] + [c.shape for c in problem.constraints]
        probe = self.point_of(np.full((1, n + m), PROBE), np.full((1, m), PROBE), 1.0, batch=False, row=0)
        graph, residual_nodes = gradient_graph(problem.graph, probe, unknowns)
        values = evaluate(graph, probe, upto=residual_nodes)
        tape = Tape(graph.copy(), values)
        refs = tape.refs()
        needed = graph.ancestors(residual_nodes)
        columns: list[list[int | None]] = []
        with np.errstate(all="ignore"):
            for name in problem.variables:
                shape = problem.shapes[name]
                for k in range(entry_count(shape)):
                    seed = np.zeros(entry_count(shape))
                    seed[k] = 1.0
                    tangents = jvp_sweep(graph, refs, {graph.variables[name]: tape.constant(
                        seed.reshape(shape) if shape else seed[0])}, needed)
                    columns.append([None if tangents[node] is None else tangents[node].node
                                    for node in residual_nodes])
        self.graph = tape.graph
        self.residual_nodes = residual_nodes
        self.columns = columns
        self.roots = sorted({problem.objective_node, *problem.constraint_nodes, *residual_nodes,
                             *(node for column in columns for node in column if node is not None)})
        ops = {self.graph.ops[node] for node, used in enumerate(self.graph.ancestors(self.roots)) if used}
        self.vectorized = problem.is_scalar and not problem.graph.decisions and all(
            op in ("var", "const") or "elementwise" in PRIMITIVES[op].tags for op in ops)

    @property
    def size(self) -> int:
        return sum(self.graph.ancestors(self.roots))

    def point_of(self, Z: np.ndarray, B: np.ndarray, mu0: float, *, batch: bool, row: int = 0) -> dict[str, Any]:
        """The evaluation point for rows of Z (batch: each variable holds a column) or for one row."""
        problem = self.problem
        names = problem.variables + problem.multipliers
        point: dict[str, Any] = {OBJECTIVE_WEIGHT: np.float64(mu0)}
        if batch:   # scalar problems only: unknown k is column k
            point.update({name: Z[:, k] for k, name in enumerate(names)})
            point.update({name: B[:, k] for k, name in enumerate(problem.bounds)})
            return point
        point.update(zip(names, split_like(Z[row], self.unknown_shapes)))
        point.update(zip(problem.bounds, split_like(B[row], [c.shape for c in problem.constraints])))
        return point

    def evaluate(self, Z: np.ndarray, B: np.ndarray, mu0: float = 1.0) -> Batch:
        """f, e, F, K, ∇f and J at the rows of Z = (x, λ), with bounds B (S, m)."""
        if not self.follow_paths:
            return self._evaluate(Z, B, mu0)
        parts = []
        for row in range(len(Z)):
            on_path = self.problem.on_path(self.problem.x_dict(Z[row, :self.n]))
            graph = self if on_path is self.problem else self._path_graphs.get(id(on_path))
            if graph is None:
                graph = self._path_graphs[id(on_path)] = KKTGraph(on_path, follow_paths=False)
            parts.append(graph._evaluate(Z[row:row + 1], B[row:row + 1], mu0))
        return Batch(*(np.concatenate([getattr(p, name) for p in parts]) for name in
                       ("f", "e", "F", "K", "gradient", "jacobian")))

    def _evaluate(self, Z: np.ndarray, B: np.ndarray, mu0: float) -> Batch:
        S = len(Z)
        n, m = self.n, self.m
        N = n + m
        f = np.empty(S)
        e = np.empty((S, m))
        F = np.empty((S, N))
        K = np.zeros((S, N, N))
        with np.errstate(all="ignore"):
            if self.vectorized:
                # Every node holds one value per row (or one number for all): assigning a
                # column broadcasts it, with no per-node reshaping.
                values = evaluate(self.graph, self.point_of(Z, B, mu0, batch=True), upto=self.roots)
                f[:] = values[self.problem.objective_node]
                for k, node in enumerate(self.problem.constraint_nodes):
                    e[:, k] = values[node]
                for i, node in enumerate(self.residual_nodes):
                    F[:, i] = values[node]
                for j, column in enumerate(self.columns):
                    for i, node in enumerate(column):
                        if node is not None:
                            K[:, i, j] = values[node]
            else:
                for row in range(S):
                    values = evaluate(self.graph, self.point_of(Z, B, mu0, batch=False, row=row), upto=self.roots)
                    f[row] = float(values[self.problem.objective_node])
                    if m:
                        e[row] = np.concatenate([np.ravel(values[node]) for node in self.problem.constraint_nodes])
                    F[row] = np.concatenate([self._flat(values[node], shape)
                                             for node, shape in zip(self.residual_nodes, self.unknown_shapes)])
                    for j, column in enumerate(self.columns):
                        K[row, :, j] = np.concatenate([self._flat(None if node is None else values[node], shape)
                                                       for node, shape in zip(column, self.unknown_shapes)])
        hessian = K[:, :n, :n]
        K[:, :n, :n] = (hessian + hessian.transpose(0, 2, 1)) / 2
        jacobian = -K[:, n:, :n]
        K[:, :n, n:] = K[:, n:, :n].transpose(0, 2, 1)
        gradient = (F[:, :n] + np.einsum("smn,sm->sn", jacobian, Z[:, n:])) / (mu0 if mu0 else 1.0)
        return Batch(f, e, F, K, gradient, jacobian)

    @staticmethod
    def _flat(value: Any, shape: tuple[int, ...]) -> np.ndarray:
        """A node's value at one point as a flat vector of the unknown's entries (zeros for None)."""
        size = entry_count(shape)
        if value is None:
            return np.zeros(size)
        return np.broadcast_to(np.asarray(value, dtype=np.float64), shape).reshape(size)
