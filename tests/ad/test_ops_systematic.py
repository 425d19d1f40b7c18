"""Every op of the table, at sample points inside its domain: forward ≡ reverse ≡ graph mode ≡
central differences ≡ SymPy, for values, gradients and (for differentiable ops) Hessians.

Like HIPS/autograd's tests/test_systematic.py, this iterates over the table itself, so a new
op cannot land untested: `test_every_op_has_samples` fails until SAMPLES has an entry for it.
Each op is tested through f = Σ W ⊙ op(args) with fixed weights W, so a tensor-valued op's
whole Jacobian is exercised through one vector-Jacobian product and every JVP.
"""

from __future__ import annotations

import numpy as np
import pytest

from diffcli.ad.evaluate import evaluate
from diffcli.ad.forward import gradient_forward
from diffcli.ad.graph import Graph
from diffcli.ad.ops import PRIMITIVES
from diffcli.ad.reverse import gradient_graph, gradient_reverse
from diffcli.ad.transforms import hessian
from diffcli.checks.numeric import gradient_central
from diffcli.checks.symbolic import gradient_symbolic, point_substitutions, to_sympy, value_at


def case(*args, **attrs):
    return tuple(np.asarray(a, dtype=np.float64)[()] for a in args), attrs


V2 = [0.4, -1.3]
V3 = [0.3, -0.7, 1.1]
M23 = [[0.5, -1.2, 0.8], [1.5, 0.3, -0.6]]
M32 = [[0.7, -0.2], [0.4, 1.1], [-0.9, 0.6]]
M33 = [[2.0, -1.0, 0.5], [0.3, 1.5, -0.7], [0.8, 0.2, 1.2]]
M22 = [[2.0, -1.0], [0.3, 1.5]]  # inv and logdet: SymPy's second derivatives of a 3×3 inverse take a minute
SPD = [[2.0, 0.3], [0.3, 1.5]]
UNIT = [0.3, -0.45, 0.8]  # inside (-1, 1)

SAMPLES: dict[str, list] = {
    # Arithmetic, with a broadcasting case for each binary op.
    "add": [case(0.3, -1.2), case(V3, 0.5)], "sub": [case(0.3, -1.2), case(0.5, M23)],
    "mul": [case(0.3, -1.2), case(V3, M23)], "smul": [case(0.3, -1.2), case(V3, 2.5)],
    "div": [case(0.3, -1.2), case(V3, 1.7)], "pow": [case(0.7, 1.3), case([0.5, 2.0, 3.0], 2.5)],
    "neg": [case(0.3), case(V3)],
    # Elementary functions.
    "sin": [case(0.3), case(V3)], "cos": [case(-2.5)], "tan": [case(0.3), case(-1.2)],
    "asin": [case(UNIT)], "acos": [case(UNIT)], "atan": [case(V3), case(-4.0)],
    "sinh": [case(V3)], "cosh": [case(V3)], "tanh": [case(V3), case(3.0)],
    "asinh": [case(V3)], "acosh": [case([1.3, 4.0, 20.0])], "atanh": [case(UNIT)],
    "exp": [case(V3)], "expm1": [case(V3), case(-3.0)], "log": [case([0.3, 7.0])],
    "log2": [case([0.3, 7.0])], "log10": [case([0.3, 7.0])], "log1p": [case([0.3, -0.5, 7.0])],
    "sqrt": [case([0.3, 9.0])], "cbrt": [case([0.3, -8.0])],
    "sigmoid": [case(V3), case(4.0)], "softplus": [case(V3)],
    "atan2": [case(0.3, -1.2), case(V3, 0.5)], "hypot": [case(0.3, -1.2), case(V3, 0.5)],
    # Piecewise, away from their kinks.
    "abs": [case(V3)], "sign": [case(V3)], "relu": [case(V3)],
    "maximum": [case(0.3, -1.2), case(V3, 0.0)], "minimum": [case(0.3, -1.2), case(V3, 0.0)],
    # Zero derivative.
    "step": [case(V3)], "tie_weight": [case(V3, 0.0)], "detach": [case(V3)],
    "lt": [case(V3, 0.0)], "le": [case(V3, 0.0)], "gt": [case(V3, 0.0)], "ge": [case(V3, 0.0)],
    "eq": [case(V3, 0.3)], "ne": [case(V3, 0.3)],
    "logical_and": [case([1.0, 0.0, 2.0], [1.0, 1.0, 0.0])], "logical_or": [case([1.0, 0.0, 0.0], [0.0, 0.0, 3.0])],
    "logical_not": [case([1.0, 0.0])],
    # Structural ops.
    "where": [case([1.0, 0.0, 2.0], V3, 0.5), case(1.0, 0.3, -1.2), case(0.0, V3, M23)],
    "sum_to": [case(M23, shape=(3,)), case(M23, shape=(2, 1))],
    "broadcast_to": [case(V3, shape=(2, 3)), case(0.7, shape=(2,))],
    "stack": [case(0.3, -1.2, 2.0), case(V3, [1.0, 2.0, -0.5])],
    "index": [case(V3, index=(("at", 1),)), case(M23, index=(("slice", 0, None, None), ("at", 2)))],
    "index_add": [case(V2, V3, index=(("slice", 0, 2, None),)), case(0.7, M23, index=(("at", 1), ("at", 0)))],
    "matmul": [case(M23, V3), case(V2, M23), case(M23, M32), case(V3, V3)],
    "outer": [case(V2, V3)],
    "transpose": [case(M23)], "reshape": [case(M23, shape=(3, 2))],
    "sum": [case(M23), case(M23, axis=0), case(M23, axis=1)],
    "mean": [case(M23), case(M23, axis=0)],
    "prod": [case(V3), case(M23, axis=1), case([0.0, 2.0, 3.0]), case([0.0, 0.0, 3.0, 2.0])],
    "prod_others": [case(V3), case(M23, axis=0), case([0.0, 2.0, 3.0]), case(V3, [0.5, 1.0, -2.0]),
                    case(M23, M23, axis=1), case([0.0, 2.0, 0.0], [0.5, 1.0, -2.0], V3)],
    "max": [case(V3), case(M23, axis=1)], "min": [case(V3), case(M23, axis=0)],
    "extremum_share": [case(V3, kind="max"), case(M23, axis=1, kind="min")],
    "trace": [case(M33)], "norm": [case(V3), case(M23)],
    "det": [case(M33), case([[1.5]])], "adjugate": [case(M33)],
    "adjugate_derivative": [case(M33, M33[::-1])],
    "logdet": [case(SPD)], "inv": [case(M22)],
}
CASES = [(op, k) for op, cases in SAMPLES.items() for k in range(len(cases))]
NAMES = "abcdefgh"


def test_every_op_has_samples():
    missing = sorted(set(PRIMITIVES) - set(SAMPLES))
    assert not missing, f"ops without sample points in SAMPLES: {missing}"
    assert not set(SAMPLES) - set(PRIMITIVES)


def build(op: str, args: tuple, attrs: dict) -> tuple[Graph, dict, list[str]]:
    """f = Σ W ⊙ op(a, b, …) as a graph, its point, and the arguments to differentiate."""
    graph = Graph()
    nodes = tuple(graph.var(NAMES[k]) for k in range(len(args)))
    out = graph.add(op, nodes, tuple(sorted(attrs.items())))
    shape = np.shape(evaluate(graph, dict(zip(NAMES, args)), upto=[out])[out])
    if shape:
        weights = np.linspace(0.6, -0.9, int(np.prod(shape))).reshape(shape)
        out = graph.add("sum", (graph.add("mul", (out, graph.const(weights))),))
    graph.outputs = [out]
    primitive = PRIMITIVES[op]
    # Truth values are read as 0 or 1: no derivative to compare (a step of h may flip them).
    wrt = [NAMES[k] for k in range(len(args)) if k not in primitive.truth_args]
    return graph, dict(zip(NAMES, args)), wrt


def close(a, b, rel, abs_=1e-13):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rel, atol=abs_)


@pytest.mark.parametrize("op, k", CASES, ids=[f"{op}-{k}" for op, k in CASES])
def test_forward_reverse_graph_central_and_sympy_agree(op, k):
    args, attrs = SAMPLES[op][k]
    graph, point, wrt = build(op, args, attrs)
    value_r, reverse = gradient_reverse(graph, point, wrt)
    value_f, forward = gradient_forward(graph, point, wrt)
    built, outputs = gradient_graph(graph, point, wrt)
    from_graph = evaluate(built, point, upto=outputs)
    central, _ = gradient_central(graph, point, wrt)
    assert float(value_r) == float(value_f)
    for j, name in enumerate(wrt):
        close(forward[name], reverse[name], 1e-14)
        close(from_graph[outputs[j]], reverse[name], 1e-14)
        if op != "detach":  # whose whole point is a derivative of zero where the value moves
            close(central[name], reverse[name], 1e-6, 1e-8)
        if not PRIMITIVES[op].differentiable:
            assert not np.any(reverse[name])
    if PRIMITIVES[op].to_sympy is None:
        assert not PRIMITIVES[op].differentiable, f"{op}: a differentiable op needs a symbolic form"
        return
    value_s, exact = gradient_symbolic(graph, point, wrt, timeout=None)
    assert float(value_r) == pytest.approx(value_s, rel=1e-14, abs=1e-15)
    for name in wrt:
        close(reverse[name], exact[name], 1e-13)


SECOND_ORDER = [(op, k) for op, k in CASES if PRIMITIVES[op].differentiable and PRIMITIVES[op].to_sympy is not None]


@pytest.mark.parametrize("op, k", SECOND_ORDER, ids=[f"{op}-{k}" for op, k in SECOND_ORDER])
def test_hessian_forward_over_reverse_matches_sympy(op, k):
    """The rules run on graph references (derived JVPs of linear ops included) differentiate again."""
    import sympy as sp

    args, attrs = SAMPLES[op][k]
    graph, point, wrt = build(op, args, attrs)
    computed = hessian(graph, point, wrt)
    (expr,), symbols = to_sympy(graph, graph.outputs, point)
    flat = [s for name in wrt for s in np.asarray(symbols[name], dtype=object).ravel()]
    substitutions = point_substitutions(sp, symbols, point)
    exact = [[value_at(sp, sp.diff(expr, a, b), substitutions) for b in flat] for a in flat]
    close(computed, exact, 1e-12, 1e-12)
