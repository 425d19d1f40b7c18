"""diffcli — derivatives four ways, and Lagrange multipliers, from the command line.

The Python API mirrors the commands (`diffcli.api`, re-exported here):

>>> import diffcli
>>> float(diffcli.grad("3*x**3 - 5*x**2", at={"x": 1.5})["x"])
5.25
"""

from __future__ import annotations

__version__ = "0.1.0"

from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse, parse_at
from diffcli.api import (DerivativeResult, DiffResult, GradResult, GraphResult, Result, SweepResult, TaylorResult,
                         TraceResult, check, compare, diff, grad, graph, hessian, jacobian, jvp, lagrange, numeric,
                         steps, taylor, trace, vjp)
from diffcli.errors import DiffcliError, DiffcliWarning, MathError, UsageError

__all__ = ["DerivativeResult", "DiffResult", "DiffcliError", "DiffcliWarning", "GradResult", "Graph", "GraphResult",
           "MathError", "Result", "SweepResult", "TaylorResult", "TraceResult", "UsageError", "__version__",
           "check", "compare", "diff", "grad", "graph", "hessian", "jacobian", "jvp", "lagrange", "numeric", "parse",
           "parse_at", "steps", "taylor", "trace", "vjp"]
