"""diffcli — derivatives four ways, and Lagrange multipliers, from the command line.

The Python API mirrors the commands:

>>> import diffcli
>>> float(diffcli.grad("3*x**3 - 5*x**2", at={"x": 1.5})["x"])
5.25
"""

from __future__ import annotations

from typing import Any, Mapping

__version__ = "0.1.0"

from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse, parse_at

# Each function imports its modules when called: every `diffcli` command imports this
# package first, and most need only a few of them (`--help` none).


def grad(expr: str | Graph, at: Mapping[str, Any], *, wrt: list[str] | None = None,
         let: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """∇f at a point by reverse-mode AD, as {variable: value}."""
    from diffcli.ad.problem import make_problem, scalar_output
    from diffcli.ad.reverse import gradient_reverse

    problem = make_problem(expr, at, let, wrt)
    return gradient_reverse(scalar_output(problem.graph, problem.point, "grad"), problem.point, problem.wrt)[1]


def jvp(expr: str | Graph, at: Mapping[str, Any], direction: Mapping[str, Any], *,
        let: Mapping[str, Any] | None = None) -> list[Any]:
    """J·v by forward-mode AD, one entry per output."""
    from diffcli.ad.forward import jvp as forward_jvp
    from diffcli.ad.problem import make_problem

    problem = make_problem(expr, at, let)
    return forward_jvp(problem.graph, problem.point, direction)[1]


def vjp(expr: str | Graph, at: Mapping[str, Any], cotangent: list[Any] | Any, *,
        wrt: list[str] | None = None, let: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """uᵀJ by reverse-mode AD, as {variable: value}; one cotangent per output."""
    from diffcli.ad.problem import make_problem
    from diffcli.ad.reverse import vjp as reverse_vjp

    problem = make_problem(expr, at, let, wrt)
    cotangents = cotangent if len(problem.graph.outputs) > 1 else [cotangent]
    return reverse_vjp(problem.graph, problem.point, cotangents, problem.wrt)[1]


def jacobian(expr: str | Graph, at: Mapping[str, Any], *, wrt: list[str] | None = None,
             let: Mapping[str, Any] | None = None, mode: str = "reverse") -> Any:
    """The Jacobian (rows: output entries, columns: input entries) by forward or reverse AD."""
    from diffcli.ad.problem import make_problem
    from diffcli.ad.transforms import jacobian_forward, jacobian_reverse

    problem = make_problem(expr, at, let, wrt)
    build = jacobian_forward if mode == "forward" else jacobian_reverse
    return build(problem.graph, problem.point, problem.wrt)


def hessian(expr: str | Graph, at: Mapping[str, Any], *, wrt: list[str] | None = None,
            let: Mapping[str, Any] | None = None) -> Any:
    """∇²f by forward mode over the reverse-mode gradient graph."""
    from diffcli.ad.problem import make_problem
    from diffcli.ad.transforms import hessian as forward_over_reverse

    problem = make_problem(expr, at, let, wrt)
    return forward_over_reverse(problem.graph, problem.point, problem.wrt)


def check(expr: str | Graph, claim: str | list[str], *, wrt: list[str] | None = None,
          let: Mapping[str, Any] | None = None, order: int = 1, kind: str = "derivative",
          at: list[Mapping[str, Any]] | None = None, samples: int | None = None, seed: int = 0,
          symbolic: bool = True, symbolic_timeout: float | None = 5.0) -> Any:
    """Is `claim` the derivative of `expr`? A `diffcli.checks.verdict.CheckResult`.

    `claim` is a formula (dF/dx, or the `order`-th derivative), 'x: EXPR' parts or a list
    for a gradient, or a list of lists with `kind="jacobian"`/`"hessian"`. It is compared
    with reverse-mode AD at seeded points of F's domain (or only at the points `at`), then
    confirmed by SymPy. `.verdict` is "correct", "wrong" (see `.counterexample`) or
    "undecided" (no point of the domain to check at).

    >>> result = check("sin(x)**2", "sin(2*x)")
    >>> result.verdict, result.symbolic
    ('correct', 'equivalent')
    >>> check("x**2", "2*x + 1").counterexample.at
    {'x': 0.0}
    """
    from diffcli.checks.domain import DEFAULT_SAMPLES
    from diffcli.checks.verdict import check as check_claim

    return check_claim(expr, claim, wrt=wrt, let=let, kind=kind, order=order, at=at,
                       samples=DEFAULT_SAMPLES if samples is None else samples, seed=seed, symbolic=symbolic,
                       symbolic_timeout=symbolic_timeout)


def steps(expr: str | Graph, wrt: str | None = None, *, let: Mapping[str, Any] | None = None,
          at: Mapping[str, Any] | None = None, verify: bool = True, symbolic_timeout: float | None = 5.0) -> Any:
    """d/d`wrt` of `expr` rule by rule: a `diffcli.views.steps.Derivation` (`.steps`, `.result_text`).

    Every step is checked against forward-mode AD, the result against AD and SymPy.

    >>> d = steps("3*x**3 - 5*x**2")
    >>> [s.rule for s in d.steps][:3], d.result_text
    (['difference', 'constant multiple', 'power'], '9*x**2 - 10*x')
    """
    from diffcli.views.steps import derive

    return derive(expr, wrt, let=let, at=at, verify=verify, symbolic_timeout=symbolic_timeout)


def lagrange(objective: str, subject_to: list[str] | str | None = None, *, sense: str | None = None,
             starts: int = 20, start: list[Mapping[str, Any]] | None = None, seed: int = 0,
             box: str | Mapping[str, tuple[float, float]] | None = None, tol: float = 1e-10,
             max_iter: int = 100, let: Mapping[str, Any] | None = None,
             shape: Mapping[str, tuple[int, ...]] | None = None, max_starts: int = 400,
             certify: bool = True) -> Any:
    """Every critical point of `objective` (on the constraint set), by multistart Newton on ∇L = 0.

    Returns a `diffcli.extrema.solver.LagrangeResult`: `.points` sorted by f (each with x,
    multipliers, f, kind, iterations, residual), `.warnings`, `.completeness`, `.failed`
    starts. `sense="min"`/`"max"` chooses which extreme `.min`/`.max` point at; `let`
    binds constants, `shape` gives vector variables their shape. Raises MathError (with a
    message that tells an empty constraint set from one without critical points) when
    there is no candidate at all.

    >>> r = lagrange("x + y", "x**2 + y**2 = 2")
    >>> [(round(p.f, 12), p.kind) for p in r.points]
    [(-2.0, 'min'), (2.0, 'max')]
    """
    from diffcli.extrema.solver import build_problem, read_box, solve

    constraints = [subject_to] if isinstance(subject_to, str) else list(subject_to or [])
    problem = build_problem(objective, constraints, shapes=shape, constants=let)
    bounds = read_box(box, problem.variables) if box is None or isinstance(box, str) else dict(box)
    return solve(problem, starts=starts, start=start or [], seed=seed, box=bounds, tol=tol, max_iter=max_iter,
                 sense=sense, max_starts=max_starts, certify=certify)


__all__ = ["Graph", "__version__", "check", "grad", "hessian", "jacobian", "jvp", "lagrange", "parse", "parse_at",
           "steps", "vjp"]
