"""Fixtures for the AD core's tests."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from diffcli.ad.graph import Graph
from diffcli.checks.symbolic import to_sympy


def _reference_partials(graph: Graph, names: list[str]) -> list[Callable[..., Any]]:
    import sympy as sp

    (expr,), symbols = to_sympy(graph, graph.outputs, {n: 0.5 for n in names})
    syms = [symbols[n] for n in names]
    derivatives = [sp.diff(expr, s).replace(sp.DiracDelta, lambda *a: sp.S.Zero) for s in syms]
    return [sp.lambdify(syms, d, "mpmath") for d in derivatives]


@pytest.fixture(scope="session")
def reference_partials() -> Callable[[Graph, list[str]], list[Callable[..., Any]]]:
    """`reference_partials(graph, names)`: ∂f/∂name of the graph's output as mpmath functions
    (SymPy's derivative of the rows' own `to_sympy`; a kink's DiracDelta taken as 0), for
    references to any precision (`mpmath.mp.dps`)."""
    return _reference_partials
