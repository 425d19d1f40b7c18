"""The Python API: every command as a function, with the command's defaults and checks.

Each function returns a plain, typed result (a dataclass) that prints as a table in a
terminal, renders in Jupyter (`_repr_html_`, `_repr_markdown_`), and converts:
`to_dict()` is exactly the command's `--json` document, `to_markdown()` and
`to_latex()` the command's `--format markdown|latex`. The CLI commands call these
same functions, so a check the CLI makes, the API makes.

Errors: `UsageError` where the CLI exits 2 (a malformed formula, a bad option),
`MathError` where it exits 1 (undefined at the point, a failed `check`, a missing
plotting tool). Warnings the CLI prints are issued with `warnings.warn(…,
DiffcliWarning)` and kept in `result.warnings`.

The point is a mapping or the CLI's text: `at={"x": 1.5}` or `at="x=1.5"`.

>>> r = grad("3*x**3 - 5*x**2", at="x=1.5", method=["forward", "reverse"])
>>> r.grad, r.reference
({'x': 5.25}, 'reverse')
>>> r.to_dict()["methods"]["reverse"]["grad"]
{'x': 5.25}
>>> print(jacobian("[x*y, x+y]", at={"x": 1, "y": 2}, method=["forward"]).to_latex().splitlines()[4])
J = \\begin{bmatrix}
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from diffcli.errors import DiffcliWarning, UsageError

if TYPE_CHECKING:
    from diffcli.ad.graph import Graph
    from diffcli.ad.problem import Problem
    from diffcli.views.paste import Grid

Point = Mapping[str, Any] | str | Sequence[str] | None


# ----------------------------------------------------------------------------- results


@dataclass
class Result:
    """What every result shares: its document, its tables, and their renderings."""

    def _document(self) -> dict[str, Any]:
        raise NotImplementedError

    def _grids(self) -> list["Grid"]:
        return []

    def to_dict(self) -> dict[str, Any]:
        """The command's `--json` document: numbers and lists, non-finite numbers null and
        explained under "nonfinite" (JSON Pointer → "inf" | "-inf" | "nan")."""
        from diffcli.views.document import plain

        return plain(self._document())

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    def to_markdown(self) -> str:
        return "\n\n".join(grid.markdown() for grid in self._grids())

    def to_latex(self) -> str:
        return "\n\n".join(grid.latex() for grid in self._grids())

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        return "\n".join(grid.html() for grid in self._grids())

    def __str__(self) -> str:
        return "\n\n".join(grid.text() for grid in self._grids())


@dataclass
class GradResult(Result):
    """`grad` (and `compare`): ∇f by each method, the reference, errors and warnings.

    `grad` is the reference method's gradient {variable: value}; `rows()` the four-way
    table as data. `result["x"]` is `result.grad["x"]`.
    """

    expr: str
    at: dict[str, Any]
    wrt: list[str]
    value: Any
    grad: dict[str, Any]
    reference: str | None
    methods: dict[str, Any] = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    kinks: list[Any] = field(default_factory=list)
    comparison: Any = field(default=None, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.grad[name]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per method: method, status, grad, error, rel_error, seconds (the table as data)."""
        return [{"method": name, "status": m.status,
                 "grad": {k: _python(v) for k, v in m.result.items()} if m.status == "ok" else None,
                 "error": m.error, "rel_error": m.rel_error, "seconds": m.seconds,
                 "message": m.message, "reference": name == self.reference}
                for name, m in self.methods.items()]

    def _document(self) -> dict[str, Any]:
        from diffcli.views.reports import grad_document

        return grad_document(self.expr, self.at, self.comparison)

    def _grids(self) -> list["Grid"]:
        from diffcli.views.tables import gradient_grid

        return [gradient_grid(self.at, self.comparison)]


@dataclass
class DerivativeResult(Result):
    """`jvp`, `vjp`, `jacobian`, `hessian`: `result` is the reference method's, in the table's shape."""

    kind: str
    expr: str
    at: dict[str, Any]
    result: Any
    reference: str | None
    inputs: list[str]
    outputs: list[str]
    methods: dict[str, Any] = field(repr=False)
    warnings: list[str] = field(default_factory=list)
    derivative: Any = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __getitem__(self, key: Any) -> Any:
        """`result["x"]` for a vjp ({variable: value}), `result[i, j]` for a matrix: the reference's entry."""
        return self.result[key]

    def _document(self) -> dict[str, Any]:
        from diffcli.views.reports import derivative_document

        return derivative_document(self.expr, self.at, self.derivative, self.extra)

    def to_markdown(self) -> str:
        from diffcli.views.tables import derivative_text

        return derivative_text(self.at, self.derivative, "markdown")

    def to_latex(self) -> str:
        from diffcli.views.tables import derivative_text

        return derivative_text(self.at, self.derivative, "latex")

    def _grids(self) -> list["Grid"]:
        from diffcli.views.tables import matrix_grid, summary_grid

        grids = []
        if self.reference is not None and self.kind in ("jacobian", "hessian"):
            grids.append(matrix_grid(self.result, self.outputs, self.inputs, title=f"{self.kind}, from {self.reference}"))
        return grids + [summary_grid(self.derivative)]

    def __str__(self) -> str:
        from diffcli.views.tables import cell, result_lines

        lines = ([f"{label} = {cell(value, 10)}" for label, value in result_lines(self.derivative)]
                 if self.reference is not None and self.kind in ("jvp", "vjp") else [])
        return "\n".join([*lines, super().__str__()])

    def save(self, path: str | Path) -> None:
        """Write the result to .npy, .csv or .json (the CLI's `--output FILE`)."""
        from diffcli.views import export

        export.write(export.derivative_tensor(self.at, self.derivative), Path(path), "save")


@dataclass
class SweepResult(Result):
    """`numeric --sweep`: every scheme's error at h = 1e-1 … 1e-16 and its best h."""

    expr: str
    at: dict[str, Any]
    sweep: Any

    @property
    def warnings(self) -> list[str]:
        return list(self.sweep.notes)

    def _document(self) -> dict[str, Any]:
        from diffcli.views.reports import sweep_document

        return sweep_document(self.expr, self.at, self.sweep)

    def _grids(self) -> list["Grid"]:
        from diffcli.views.tables import sweep_grids

        return sweep_grids(self.sweep)


@dataclass
class TaylorResult(Result):
    """`taylor`: coefficients by repeated forward mode, SymPy's beside them."""

    expr: str
    at: dict[str, Any]
    variable: str
    coefficients: list[float]
    derivatives: list[float]
    order: int
    series: Any = field(repr=False)
    symbolic: Any = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    def _document(self) -> dict[str, Any]:
        from diffcli.views.reports import taylor_document

        return taylor_document(self.expr, self.at, self.series, self.symbolic, self.order)

    def _grids(self) -> list["Grid"]:
        from diffcli.views.tables import taylor_grid

        return [taylor_grid(self.series, self.symbolic, self.order, self.expr)]


@dataclass
class TraceResult(Result):
    """`trace`: the Wengert list with tangents (forward) or adjoints (reverse)."""

    expr: str
    at: dict[str, Any]
    mode: str
    steps: list[Any] = field(repr=False)
    trace: Any = field(default=None, repr=False)

    @property
    def warnings(self) -> list[str]:
        return list(self.trace.warnings)

    def _document(self) -> dict[str, Any]:
        from diffcli.views.reports import trace_document

        return trace_document(self.expr, self.at, self.trace)

    def _grids(self) -> list["Grid"]:
        from diffcli.views.tables import trace_grid

        return [trace_grid(self.trace)]


@dataclass
class DiffResult(Result):
    """`diff`: SymPy's derivative formulas beside the AD graph's size."""

    expr: str
    order: int
    wrt: list[str]
    derivatives: dict[str, str | None]
    formulas: list[Any] = field(repr=False)
    sizes: tuple[int, int | None] = field(repr=False)
    decisions: int = 0  # a program's if/while/range decisions at the point: its formula holds on that path

    @property
    def warnings(self) -> list[str]:
        from diffcli.views.reports import diff_warnings

        return diff_warnings(self.formulas, self.decisions)

    def _document(self) -> dict[str, Any]:
        from diffcli.views.reports import diff_document

        return diff_document(self.expr, self.order, self.wrt, self.formulas, *self.sizes, decisions=self.decisions)

    def _grids(self) -> list["Grid"]:
        from diffcli.views.paste import Grid

        return [Grid(["", "formula"], [[f"∂f/∂{f.variable}", f.text or f"— ({f.status})"] for f in self.formulas],
                     right=[False, False])]

    def to_latex(self) -> str:
        return "\n".join(f"\\[\n\\frac{{\\partial{'^' + str(self.order) if self.order > 1 else ''} f}}"
                         f"{{\\partial {f.variable}{'^' + str(self.order) if self.order > 1 else ''}}} = {f.latex}\n\\]"
                         for f in self.formulas if f.latex is not None)


@dataclass
class GraphResult(Result):
    """`graph`: the computation graph; `dot()`, `mermaid()`, `tree()` and `save(path)` draw it."""

    nodes: list[Any]
    edges: list[tuple[int, int, int | None, Any]]
    picture: Any = field(repr=False)

    @property
    def warnings(self) -> list[str]:
        return list(self.picture.notes)

    def _document(self) -> dict[str, Any]:
        from diffcli.views.draw import json_data

        return json_data(self.picture)

    def dot(self) -> str:
        from diffcli.views.draw import dot_text

        return dot_text(self.picture)

    def mermaid(self) -> str:
        from diffcli.views.draw import mermaid_text

        return mermaid_text(self.picture)

    def tree(self) -> str:
        from diffcli.views.draw import tree_text

        return tree_text(self.picture)

    def save(self, path: str | Path) -> str:
        """Draw to .svg/.png/.pdf/.jpg (Graphviz when installed, else matplotlib); returns the renderer."""
        from diffcli.views.plots import graph as graph_picture

        return graph_picture.render(self.picture, Path(path), "save")

    def _grids(self) -> list["Grid"]:
        from diffcli.views.paste import Grid

        return [Grid(["from", "to", "∂to/∂from"], [[self._name(s), self._name(t), p.label() if p else ""]
                                                    for s, t, _, p in self.edges], right=[False, False, False])]

    def _name(self, node_id: int) -> str:
        return next(n.name for n in self.nodes if n.id == node_id)

    def __str__(self) -> str:
        return self.tree()


# ----------------------------------------------------------------------------- helpers


def _assignments(values: Point, option: str) -> dict[str, Any]:
    """A mapping as given, or the CLI's 'x=1,y=[1,2]' text (or a list of such texts)."""
    from diffcli.ad.inputs import read_assignments

    if values is None:
        return {}
    if isinstance(values, (str, list, tuple)):
        return read_assignments(list(values) if not isinstance(values, str) else values, option)
    return dict(values)


def _problem(expr: "str | Graph | Problem", at: Point, let: Point, wrt: Sequence[str] | str | None) -> "Problem":
    """The formula at its point; a `Problem` already built (the CLI's, from its options) is used as it is."""
    from diffcli.ad.problem import Problem, make_problem

    if isinstance(expr, Problem):
        return expr
    names = [n.strip() for n in wrt.split(",") if n.strip()] if isinstance(wrt, str) else wrt
    if names is not None and not list(names):
        raise UsageError("--wrt: give at least one name")
    return make_problem(expr, _assignments(at, "--at"), _assignments(let, "--let"),
                        list(names) if names is not None else None)


def _structure(expr: "str | Graph", at: Point, let: Point, wrt: Sequence[str] | str | None) -> tuple["Problem", bool]:
    """For `diff` and `graph`: the point is optional (scalar placeholders stand in)."""
    from diffcli.ad.parse import parse

    constants = _assignments(let, "--let")
    if at is not None:
        return _problem(expr, at, constants, wrt), True
    # Scalar placeholders: the structure of a derivative graph does not depend on the point for
    # scalar variables; a program whose path depends on its values is refused by `parse` here.
    graph = parse(expr) if isinstance(expr, str) else expr
    return _problem(expr, {n: 1.0 for n in graph.variables if n not in constants}, constants, wrt), False


def _methods(method: Sequence[str] | str | None) -> list[str] | None:
    if isinstance(method, str):
        return [m.strip() for m in method.split(",") if m.strip()]
    return list(method) if method is not None else None


def _python(value: Any) -> Any:
    """A 0-d NumPy number as a Python float (it prints as 5.25, not np.float64(5.25)); tensors as they are."""
    import numpy as np

    return float(value) if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0) \
        else value


def _gradient_result(problem: "Problem", comparison: Any) -> GradResult:
    reference = comparison.methods[comparison.reference].result if comparison.reference else {}
    return GradResult(problem.expr, problem.point, comparison.wrt, _python(comparison.value),
                      {name: _python(v) for name, v in reference.items()}, comparison.reference, comparison.methods,
                      list(comparison.warnings), comparison.kinks, comparison)


def _warn(messages: list[str]) -> None:
    for message in messages:
        warnings.warn(message, DiffcliWarning, stacklevel=3)


# ----------------------------------------------------------------------------- the commands


def grad(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
         method: Sequence[str] | str | None = None, h: float | None = None, richardson: bool = False,
         symbolic_timeout: float = 5.0, check: float | None = None, quiet: bool = False) -> GradResult:
    """∇f four ways (forward AD, reverse AD, central differences, SymPy), compared — `diffcli grad`."""
    from diffcli.checks.compare import compare_gradient
    from diffcli.checks.options import apply_check, select_methods

    methods, explicit = select_methods(_methods(method), check, symbolic_timeout)
    problem = _problem(expr, at, let, wrt)
    comparison = compare_gradient(problem, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                                  explicit=explicit)
    result = _gradient_result(problem, comparison)
    if not quiet:
        _warn(result.warnings)
    apply_check(comparison, check)
    return result


def compare(expr: "str | Graph", at: Point = None, **options: Any) -> list[dict[str, Any]]:
    """The four-way table as data: one dict per method (see `GradResult.rows`)."""
    return grad(expr, at, **options).rows()


def _derivative_result(problem: "Problem", derivative: Any, extra: dict[str, Any] | None, check: float | None,
                       quiet: bool) -> DerivativeResult:
    from diffcli.checks.options import apply_check
    from diffcli.views.reports import shown_result

    comparison = derivative.comparison
    reference = comparison.methods[comparison.reference].result if comparison.reference else None
    result = DerivativeResult(derivative.kind, problem.expr, problem.point,
                              _python(shown_result(derivative, reference)) if reference is not None else None,
                              comparison.reference, derivative.inputs, derivative.outputs, comparison.methods,
                              list(comparison.warnings), derivative, dict(extra or {}))
    if not quiet:
        _warn(result.warnings)
    apply_check(comparison, check)
    return result


def jvp(expr: "str | Graph", at: Point = None, direction: Point = None, *, let: Point = None,
        wrt: Sequence[str] | str | None = None, method: Sequence[str] | str | None = None, h: float | None = None,
        richardson: bool = False, symbolic_timeout: float = 5.0, check: float | None = None,
        quiet: bool = False) -> DerivativeResult:
    """J·v, forward mode in one pass, checked by the other methods — `diffcli jvp --dir`.

    The document also gives ‖v‖, v/‖v‖ and J·v/‖v‖ (`dir_norm`, `unit_dir`, `unit_jvp`)."""
    from diffcli.checks.compare import compare_jvp
    from diffcli.checks.options import select_methods
    from diffcli.views.directional import directional
    from diffcli.views.reports import shown_result

    if not direction:
        raise UsageError("--dir is required: the direction v, e.g. --dir x=1,y=0")
    methods, explicit = select_methods(_methods(method), check, symbolic_timeout)
    problem = _problem(expr, at, let, wrt)
    v = _assignments(direction, "--dir")
    derivative = compare_jvp(problem, v, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                             explicit=explicit)
    extra: dict[str, Any] = {"dir": v}
    comparison = derivative.comparison
    if comparison.reference is not None:
        along = directional(v, problem.wrt, comparison.methods[comparison.reference].result)
        extra.update({"dir_norm": along.norm, "unit_dir": along.unit,
                      "unit_jvp": shown_result(derivative, along.along_unit)})
    return _derivative_result(problem, derivative, extra, check, quiet)


def vjp(expr: "str | Graph", at: Point = None, cotangent: Any = None, *, let: Point = None,
        wrt: Sequence[str] | str | None = None, method: Sequence[str] | str | None = None, h: float | None = None,
        richardson: bool = False, symbolic_timeout: float = 5.0, check: float | None = None,
        quiet: bool = False) -> DerivativeResult:
    """uᵀJ, reverse mode in one pass — `diffcli vjp --cotangent` (a number, list or the CLI's text)."""
    from diffcli.ad.inputs import read_value
    from diffcli.checks.compare import compare_vjp
    from diffcli.checks.options import select_methods

    if cotangent is None:
        raise UsageError("--cotangent is required: the vector u, e.g. --cotangent \"[1,0]\"")
    methods, explicit = select_methods(_methods(method), check, symbolic_timeout)
    problem = _problem(expr, at, let, wrt)
    u = read_value(cotangent, "--cotangent") if isinstance(cotangent, str) else cotangent
    derivative = compare_vjp(problem, u, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                             explicit=explicit)
    return _derivative_result(problem, derivative, {"cotangent": u}, check, quiet)


JACOBIAN_MODES = {"forward": ("forward",), "reverse": ("reverse",), "both": ("forward", "reverse")}


def jacobian(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
             mode: str = "both", method: Sequence[str] | str | None = None, h: float | None = None,
             richardson: bool = False, symbolic_timeout: float = 5.0, check: float | None = None,
             quiet: bool = False) -> DerivativeResult:
    """The Jacobian (rows: output entries, columns: input entries) — `diffcli jacobian`."""
    from diffcli.checks.compare import compare_jacobian
    from diffcli.checks.options import select_methods

    if mode not in JACOBIAN_MODES:
        raise UsageError(f"--mode: expected forward, reverse or both, got '{mode}'")
    methods, explicit = select_methods(_methods(method), check, symbolic_timeout)
    methods = [m for m in methods if m not in ("forward", "reverse") or m in JACOBIAN_MODES[mode]]
    problem = _problem(expr, at, let, wrt)
    derivative = compare_jacobian(problem, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                                  explicit=explicit)
    return _derivative_result(problem, derivative, {"mode": mode}, check, quiet)


def hessian(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
            method: Sequence[str] | str | None = None, h: float | None = None, richardson: bool = False,
            symbolic_timeout: float = 5.0, check: float | None = None, quiet: bool = False) -> DerivativeResult:
    """∇²f, forward mode over the reverse-mode gradient graph — `diffcli hessian`."""
    from diffcli.checks.compare import compare_hessian
    from diffcli.checks.options import select_methods

    methods, explicit = select_methods(_methods(method), check, symbolic_timeout)
    problem = _problem(expr, at, let, wrt)
    derivative = compare_hessian(problem, methods, h=h, richardson=richardson, symbolic_timeout=symbolic_timeout,
                                 explicit=explicit)
    return _derivative_result(problem, derivative, None, check, quiet)


def numeric(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
            sweep: bool = False, h: float | None = None, richardson: bool = False,
            quiet: bool = False) -> GradResult | SweepResult:
    """Central differences against reverse AD, or (sweep=True) every scheme's error over h — `diffcli numeric`."""
    from diffcli.ad.problem import require_scalar
    from diffcli.checks.compare import compare_gradient

    if sweep and (h is not None or richardson):
        raise UsageError(f"{'--h' if h is not None else '--richardson'}: the sweep already covers every step and scheme")
    problem = _problem(expr, at, let, wrt)
    if not sweep:
        comparison = compare_gradient(problem, ("central", "reverse"), h=h, richardson=richardson, explicit=True)
        result = _gradient_result(problem, comparison)
        if not quiet:
            _warn(result.warnings)
        return result
    from diffcli.views.sweep import sweep as run_sweep

    require_scalar(problem.graph, "numeric")
    if wrt is not None and len(problem.wrt) != 1:
        raise UsageError("--wrt: the sweep differentiates along one variable; name just one")
    if not problem.wrt:
        raise UsageError("the formula has no variable to differentiate")
    swept = SweepResult(problem.expr, problem.point, run_sweep(problem.graph, problem.point, problem.wrt[0]))
    if not quiet:
        _warn(swept.warnings)
    return swept


def taylor(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
           order: int = 4, symbolic: bool = True, symbolic_timeout: float = 10.0,
           quiet: bool = False) -> TaylorResult:
    """Taylor coefficients f⁽ᵏ⁾(a)/k! by forward mode applied n times, SymPy's beside them — `diffcli taylor`."""
    import math

    from diffcli.ad.problem import require_scalar
    from diffcli.views.taylor import symbolic_coefficients, taylor_coefficients

    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    problem = _problem(expr, at, let, wrt)
    require_scalar(problem.graph, "taylor")
    if len(problem.wrt) != 1 and wrt is not None:
        raise UsageError("--wrt: taylor expands in one variable; name just one")
    if not problem.wrt:
        raise UsageError("the formula has no variable to expand in")
    variable = problem.wrt[0]
    series = taylor_coefficients(problem.graph, problem.point, variable, order)
    reference = symbolic_coefficients(problem.graph, problem.point, variable, order,
                                      timeout=symbolic_timeout) if symbolic else None
    notes = []
    bad = [k for k, c in enumerate(series.coefficients) if not math.isfinite(c)]
    if bad:
        notes.append(f"coefficients from k = {bad[0]} on are not finite (the derivatives overflow or are undefined here)")
    notes.extend(series.warnings)  # a kink: AD follows one side, both one-sided values are named
    if reference is not None and reference.status != "ok":
        notes.append(f"SymPy series: {reference.status}" + (f" ({reference.message})" if reference.message else ""))
    result = TaylorResult(problem.expr, problem.point, variable, series.coefficients, series.derivatives, order,
                          series, reference, notes)
    if not quiet:
        _warn(notes)
    return result


def trace(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
          mode: str = "reverse", direction: Point = None, quiet: bool = False) -> TraceResult:
    """The evaluation trace (Wengert list) with tangents or adjoints — `diffcli trace`."""
    from diffcli.ad.problem import require_scalar
    from diffcli.views.trace import MODES, trace as run_trace

    if mode not in MODES:
        raise UsageError(f"--mode: unknown mode '{mode}' (choose forward or reverse)")
    if direction is not None and mode != "forward":
        raise UsageError("--dir: a direction is only used with --mode forward")
    problem = _problem(expr, at, let, wrt)
    require_scalar(problem.graph, "trace")
    seeds = _assignments(direction, "--dir") if direction is not None else None
    result = run_trace(problem.graph, problem.point, mode, problem.wrt, seeds)
    traced = TraceResult(problem.expr, problem.point, mode, result.steps, result)
    if not quiet:
        _warn(traced.warnings)
    return traced


def diff(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
         order: int = 1, simplify: bool = True, symbolic_timeout: float = 10.0, quiet: bool = False) -> DiffResult:
    """The derivative formula from SymPy beside the AD derivative graph's size — `diffcli diff`
    (`symbolic_timeout`: SymPy's time for the whole command)."""
    import time

    import numpy as np

    from diffcli.views.formula import MAX_ORDER, derivative_formulas, function_sizes

    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}")
    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    problem, _ = _structure(expr, at, let, wrt)
    graph = problem.graph
    if len(graph.outputs) != 1:
        raise UsageError("diff needs a single formula; differentiate one entry of the list at a time")
    tensors = [name for name in problem.point if np.ndim(problem.point[name]) != 0 and name in graph.variables]
    if tensors:
        raise UsageError(f"diff prints formulas for scalar variables, but '{tensors[0]}' is a tensor; use grad")
    if not problem.wrt:
        raise UsageError("the formula has no variable to differentiate")
    constants = {name: problem.point[name] for name in problem.constants}
    started = time.monotonic()  # one SymPy budget for the whole command
    formulas = derivative_formulas(graph, problem.point, problem.wrt, order, constants=constants,
                                   timeout=symbolic_timeout, simplify=simplify)
    sizes = function_sizes(graph, max(symbolic_timeout - (time.monotonic() - started), 1e-3))
    result = DiffResult(problem.expr, order, problem.wrt, {f.variable: f.text for f in formulas}, formulas, sizes,
                        len(graph.decisions))
    if not quiet:
        _warn(result.warnings)
    return result


def graph(expr: "str | Graph", at: Point = None, *, let: Point = None, wrt: Sequence[str] | str | None = None,
          gradient: bool = False, quiet: bool = False) -> GraphResult:
    """The computation graph (with values, adjoints and edge partials at a point) — `diffcli graph`."""
    from diffcli.ad.problem import require_scalar
    from diffcli.ad.reverse import gradient_graph
    from diffcli.views import draw

    problem, has_point = _structure(expr, at, let, wrt)
    point = problem.point if has_point else None
    if not gradient:
        picture = draw.describe(problem.graph, point, problem.wrt)
    else:
        require_scalar(problem.graph, "--grad")
        if not problem.wrt:
            raise UsageError("--grad: the formula has no variable to differentiate")
        grad_graph, outputs = gradient_graph(problem.graph, problem.point, problem.wrt)
        output_name = problem.graph.name_of(problem.graph.outputs[0]) or "f"
        for name, node in zip(problem.wrt, outputs):
            if grad_graph.ops[node] not in ("var", "const"):
                grad_graph.labels[node] = f"∂{output_name}/∂{name}"
        picture = draw.describe(grad_graph, point, problem.wrt, outputs, with_adjoints=False)
    result = GraphResult(picture.nodes, picture.edges_with_partials(), picture)
    if not quiet:
        _warn(result.warnings)
    return result


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


def check(expr: "str | Graph", claim: str | list[str], *, wrt: list[str] | None = None,
          let: Mapping[str, Any] | None = None, order: int = 1, kind: str = "derivative",
          at: list[Mapping[str, Any]] | None = None, samples: int | None = None, seed: int = 0,
          symbolic: bool = True, symbolic_timeout: float | None = 5.0) -> Any:
    """Is `claim` the derivative of `expr`? A `diffcli.checks.verdict.CheckResult` — `diffcli check`.

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


def steps(expr: "str | Graph", wrt: str | None = None, *, let: Mapping[str, Any] | None = None,
          at: Mapping[str, Any] | None = None, verify: bool = True, symbolic_timeout: float | None = 5.0) -> Any:
    """d/d`wrt` of `expr` rule by rule: a `diffcli.views.steps.Derivation` (`.steps`, `.result_text`) — `diffcli steps`.

    Every step is checked against forward-mode AD, the result against AD and SymPy.

    >>> d = steps("3*x**3 - 5*x**2")
    >>> [s.rule for s in d.steps][:3], d.result_text
    (['difference', 'constant multiple', 'power'], '9*x**2 - 10*x')
    """
    from diffcli.views.steps import derive

    return derive(expr, wrt, let=let, at=at, verify=verify, symbolic_timeout=symbolic_timeout)


__all__ = ["DiffResult", "DerivativeResult", "GradResult", "GraphResult", "Result", "SweepResult", "TaylorResult",
           "TraceResult", "check", "compare", "diff", "grad", "graph", "hessian", "jacobian", "jvp", "lagrange",
           "numeric", "steps", "taylor", "trace", "vjp"]
