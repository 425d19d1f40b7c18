"""The ways to compute a derivative, one row each: what each computes and what it costs.

A row says how its method computes each kind of result — the gradient ∇f, J·v, uᵀJ,
the Jacobian J, the Hessian ∇²f — from a `Task` (the problem at its point, evaluated),
returning the result and extras (`passes`, central differences' `step` and `notes`).
A kind a row does not declare is derived from its Jacobian where that makes sense
(J·v = J @ v, uᵀJ = u @ J, ∇f = the one row of J) and is otherwise not available.
`passes` counts sweeps — the cost argument of forward against reverse mode: a full
Jacobian costs n forward passes (one per input entry) or m reverse passes (one per
output entry); J·v is one forward pass, uᵀJ one reverse pass. `limit` says when a
method is skipped unless asked for by name, `rank` which result is the reference (the
lowest rank that succeeded; SymPy only with finite numbers, since AD's infinities are
the truth, not noise).

Adding a method is adding a row: `compare.compare` runs any of them for any kind.

>>> [m.name for m in TABLE if m.selectable]
['forward', 'reverse', 'central', 'symbolic', 'complex']
>>> sorted(ways(METHOD["complex"]))
['gradient', 'jacobian', 'jvp', 'vjp']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from diffcli.ad.evaluate import MAX_TENSOR_ENTRIES
from diffcli.ad.flat import as_dict, flat_inputs, flatten, split_like
from diffcli.ad.problem import Problem

KINDS = ("gradient", "jvp", "vjp", "jacobian", "hessian")
DEFAULT = ("forward", "reverse", "central", "symbolic")  # complex is asked for by name (it refuses kinks)
MAX_DEFAULT_CENTRAL_GRADIENT = 200  # 4 evaluations per entry; beyond this, ask explicitly
MAX_DEFAULT_CENTRAL_ENTRIES = 2_000  # input entries × output entries differentiated by default
MAX_DEFAULT_SYMBOLIC_ENTRIES = 400
# Forward mode pushes one tangent direction per input entry (in blocks: about 3.5× reverse
# mode's time at 10,000 scalar variables, more with tensor ops).
MAX_DEFAULT_FORWARD_GRADIENT = 2_000
# SymPy differentiates once per entry: 1.4 s of CPU at 40 variables, 2.8 s at 60.
MAX_DEFAULT_SYMBOLIC_GRADIENT = 50
# Work in entry operations (passes × the entries one evaluation of the formula makes): a
# method is skipped by default past the first (about a second), and refused past the second
# even when named (minutes otherwise: 6,324 forward passes over a 10⁷-entry outer product).
MAX_DEFAULT_WORK = 200_000_000
MAX_WORK = 5_000_000_000
MAX_DEFAULT_SYMBOLIC_WORK = 100_000  # SymPy builds one expression per entry of every tensor
CENTRAL_ENTRY_WORK = 6_000  # one entry's step search, about 30 µs, in the operations above (5 ns each)

Result = tuple[Any, dict[str, Any]]


@dataclass
class Task:
    """One kind of result to compute at the problem's point, and everything the methods share."""

    kind: str
    problem: Problem
    values: list[Any]  # every node's value at the point
    inputs: list[str]  # a label per input entry (Jacobian columns)
    outputs: list[str]  # a label per output entry (Jacobian rows)
    direction: dict[str, Any] | None = None  # jvp: v, one tangent per variable in wrt
    cotangent: list[Any] | None = None  # vjp: u, one per output
    h: float | None = None
    richardson: bool = False
    symbolic_timeout: float | None = 5.0
    held: dict[str, Any] = field(default_factory=dict)  # by-products for diagnosis (reverse adjoints)

    @property
    def graph(self) -> Any:
        return self.problem.graph

    @property
    def point(self) -> dict[str, Any]:
        return self.problem.point

    @property
    def wrt(self) -> list[str]:
        return self.problem.wrt

    @property
    def entries(self) -> int:
        """How many numbers one evaluation of the formula makes (every node's value)."""
        return sum(int(np.size(v)) for v in self.values if v is not None)

    @property
    def n(self) -> int:
        return len(self.inputs)

    @property
    def m(self) -> int:
        return len(self.outputs)

    def output_parts(self, flat: np.ndarray) -> list[Any]:
        """A flat vector over the output entries, shaped like the outputs."""
        return split_like(flat, [np.shape(self.values[o]) for o in self.graph.outputs])

    def as_jvp(self, jacobian: np.ndarray) -> list[Any]:
        """J·v shaped like the outputs."""
        return self.output_parts(jacobian @ flat_inputs(self.direction, self.wrt))

    def as_vjp(self, jacobian: np.ndarray) -> dict[str, Any]:
        """uᵀJ shaped like the variables."""
        return as_dict(flatten(self.cotangent) @ jacobian, self.point, self.wrt)


@dataclass(frozen=True)
class Method:
    """One way of computing derivatives: a row of the table."""

    name: str
    rank: int  # the reference is the successful method of lowest rank
    gradient: Callable[[Task], Result] | None = None
    jvp: Callable[[Task], Result] | None = None
    vjp: Callable[[Task], Result] | None = None
    jacobian: Callable[[Task], Result] | None = None
    hessian: Callable[[Task], Result] | None = None
    passes: Callable[[Task], int] | None = None
    limit: Callable[[Task], str | None] | None = None  # why it is skipped by default, or None
    finite_reference: bool = False  # a reference only when every number is finite
    stands_for: tuple[str, ...] = ()  # the --method names it answers for (the Hessian's AD row)

    @property
    def selectable(self) -> bool:
        return not self.stands_for


def ways(method: Method) -> dict[str, Callable[[Task], Result]]:
    """How `method` computes each kind: its own rule, or derived from its Jacobian."""
    own = {kind: getattr(method, kind) for kind in KINDS if getattr(method, kind) is not None}
    full = method.jacobian
    if full is None:
        return own
    derived: dict[str, Callable[[Task], Result]] = {
        "gradient": lambda task: _apply(full, task, lambda J: as_dict(J[0], task.point, task.wrt)),
        "jvp": lambda task: _apply(full, task, task.as_jvp),
        "vjp": lambda task: _apply(full, task, task.as_vjp),
    }
    return {**derived, **own}


def _apply(full: Callable[[Task], Result], task: Task, reduce: Callable[[np.ndarray], Any]) -> Result:
    jacobian, extra = full(task)
    return reduce(jacobian), extra


def matrix_limit(method: Method, task: Task) -> str | None:
    """Why `method` cannot build the whole Jacobian a derived result needs, or None."""
    entries = task.n * task.m
    if task.kind in ("jvp", "vjp") and getattr(method, task.kind) is None and entries > MAX_TENSOR_ENTRIES:
        return f"needs the whole {entries:,}-entry Jacobian (at most {MAX_TENSOR_ENTRIES:,})"
    return None


def work_limit(method: Method, task: Task, explicit: bool) -> str | None:
    """Why `method` would take too long on this formula's tensors, or None (see MAX_WORK)."""
    entries = task.entries
    if method.name == "symbolic":
        if explicit or entries <= MAX_DEFAULT_SYMBOLIC_WORK:
            return None
        return (f"SymPy would build an expression for each of {entries:,} tensor entries; "
                "ask for it with --method symbolic")
    evaluations = _evaluations(method, task)
    work = evaluations * entries
    what = f"{evaluations:,} evaluations of a formula that makes {entries:,} numbers"
    if method.name == "central":
        # Each differenced entry then picks its own step in Python (numeric.differentiate): that
        # costs like CENTRAL_ENTRY_WORK operations, and dominates for a 10⁷-entry jvp of exp(x).
        differenced = {"jvp": task.m, "vjp": task.n, "gradient": task.n}.get(task.kind, task.m * task.n)
        work += CENTRAL_ENTRY_WORK * differenced
        what += f" and {differenced:,} entries each stepped on its own"
    if work <= MAX_DEFAULT_WORK or (explicit and work <= MAX_WORK):
        return None
    what += f" ({work:.1e} operations)"
    if work > MAX_WORK:
        return f"{what}: too slow (at most {MAX_WORK:.0e})"
    return f"{what}; ask for it with --method {method.stands_for[0] if method.stands_for else method.name}"


def _evaluations(method: Method, task: Task) -> int:
    """About how many evaluations (or sweeps) of the whole formula `method` needs for the task."""
    if method.name == "central":
        # Four evaluations per difference; a Hessian differences the gradient (about 3 evaluations).
        per_column = 4 * (3 if task.kind == "hessian" else 1)
        return per_column * (1 if task.kind == "jvp" else task.n)
    return 2 * (method.passes(task) if method.passes is not None else 1)  # a sweep costs about two evaluations


# ------------------------------------------------------------------------------ rows

def _forward_gradient(task: Task) -> Result:
    from diffcli.ad.forward import gradient_forward

    return gradient_forward(task.graph, task.point, task.wrt)[1], {}


def _forward_jvp(task: Task) -> Result:
    from diffcli.ad.forward import jvp

    return jvp(task.graph, task.point, task.direction, task.values)[1], {}


def _forward_jacobian(task: Task) -> Result:
    from diffcli.ad.transforms import jacobian_forward

    return jacobian_forward(task.graph, task.point, task.wrt, values=task.values), {}


def _reverse_gradient(task: Task) -> Result:
    from diffcli.ad.lost import Watch
    from diffcli.ad.reverse import adjoint_sweep, variable_adjoints
    from diffcli.checks.diagnose import DerivativeTrouble

    # The sweep shows each adjoint to the diagnosis, then drops it (only the variables' stay).
    seeds = {task.graph.outputs[0]: np.float64(1.0)}
    watch = Watch()
    trouble = DerivativeTrouble(task.graph, task.values, task.wrt)
    adjoints = adjoint_sweep(task.graph, task.values, seeds, task.wrt, watch, observe=trouble.observe,
                             keep=set(task.graph.variables.values()))
    task.held["trouble"] = trouble.messages
    gradient = variable_adjoints(task.graph, task.point, adjoints, task.wrt)
    _hold_losses(task, watch, seeds, gradient)
    return gradient, {}


def _reverse_vjp(task: Task) -> Result:
    from diffcli.ad.lost import Watch
    from diffcli.ad.reverse import cotangent_seeds, vjp

    watch = Watch()
    result = vjp(task.graph, task.point, task.cotangent, task.wrt, watch, task.values)[1]
    _hold_losses(task, watch, cotangent_seeds(task.graph, task.values, task.cotangent), result)
    return result, {}


def _hold_losses(task: Task, watch: Any, seeds: dict[int, Any], result: dict[str, Any]) -> None:
    """If the sweep under- or overflowed, whether that took a term of the derivative (`lost.losses`)."""
    if watch.events:
        from diffcli.ad.lost import losses

        task.held["lost"] = losses(task.graph, task.values, seeds, task.wrt, result)


def _reverse_jacobian(task: Task) -> Result:
    from diffcli.ad.transforms import jacobian_reverse

    return jacobian_reverse(task.graph, task.point, task.wrt, values=task.values), {}


def _ad_hessian(task: Task) -> Result:
    from diffcli.ad.transforms import hessian

    # The reverse sweep builds ∇f as a graph; n forward passes differentiate it.
    return hessian(task.graph, task.point, task.wrt), {}


def _central_gradient(task: Task) -> Result:
    from diffcli.checks.numeric import gradient_central

    return gradient_central(task.graph, task.point, task.wrt, h=task.h, richardson=task.richardson)


def _central_jvp(task: Task) -> Result:
    from diffcli.checks.numeric import central_jacobian, output_function

    # One directional difference: t ↦ f(x + t·v) at t = 0.
    along = output_function(task.graph, task.point, task.wrt, task.graph.outputs)
    z0, v = flat_inputs(task.point, task.wrt), flat_inputs(task.direction, task.wrt)
    column, details = central_jacobian(lambda t: along(z0 + t[0] * v), np.zeros(1), h=task.h,
                                       richardson=task.richardson)
    return task.output_parts(column[:, 0]), {"step": details["step"][0], "notes": details["notes"]}


def _central_vjp(task: Task) -> Result:
    from diffcli.checks.numeric import central_jacobian, output_function

    # The gradient of the one function u·f: n differences, whatever the number of outputs.
    along = output_function(task.graph, task.point, task.wrt, task.graph.outputs)
    u = flatten(task.cotangent)
    row, details = central_jacobian(lambda z: np.array([u @ along(z)]), flat_inputs(task.point, task.wrt),
                                    h=task.h, richardson=task.richardson)
    return as_dict(row[0], task.point, task.wrt), {"step": as_dict(details["step"], task.point, task.wrt),
                                                    "notes": details["notes"]}


def _central_jacobian(task: Task) -> Result:
    from diffcli.checks.numeric import central_jacobian, output_function

    return central_jacobian(output_function(task.graph, task.point, task.wrt, task.graph.outputs),
                            flat_inputs(task.point, task.wrt), h=task.h, richardson=task.richardson)


def _central_hessian(task: Task) -> Result:
    from diffcli.checks.numeric import central_jacobian, gradient_function

    # Differences of the reverse-mode gradient.
    return central_jacobian(gradient_function(task.graph, task.point, task.wrt), flat_inputs(task.point, task.wrt),
                            h=task.h, richardson=task.richardson)


def _forward_limit(task: Task) -> str | None:
    if task.kind == "gradient" and task.n > MAX_DEFAULT_FORWARD_GRADIENT:
        return f"{task.n} entries need {task.n} tangent directions; ask for it with --method forward"
    return None


# Node evaluations central differences may spend on a gradient by default: about 9 graph
# evaluations per entry (two step sizes, and f at the point); 1.17 M took 1.4 s of CPU
# (100 variables, 1,300 nodes), so this budget keeps the default under about 0.6 s.
MAX_DEFAULT_CENTRAL_WORK = 500_000
CENTRAL_EVALUATIONS_PER_ENTRY = 9


def _central_limit(task: Task) -> str | None:
    if task.kind == "gradient":
        nodes = len(task.graph)
        if task.n > MAX_DEFAULT_CENTRAL_GRADIENT or CENTRAL_EVALUATIONS_PER_ENTRY * task.n * nodes > MAX_DEFAULT_CENTRAL_WORK:
            return (f"{task.n} entries would need about {CENTRAL_EVALUATIONS_PER_ENTRY * task.n:,} evaluations of "
                    f"{nodes:,} nodes; ask for it with --method central")
        return None
    entries = {"jvp": 0, "vjp": task.n, "jacobian": task.n * task.m, "hessian": task.n * task.n}[task.kind]
    if entries > MAX_DEFAULT_CENTRAL_ENTRIES:
        return f"{entries} derivative entries by differences; ask for it with --method central"
    return None


def _symbolic_gradient(task: Task) -> Result:
    from diffcli.checks.symbolic import gradient_symbolic

    return gradient_symbolic(task.graph, task.point, task.wrt, timeout=task.symbolic_timeout)[1], {}


def _symbolic_jacobian(task: Task) -> Result:
    from diffcli.checks.symbolic import jacobian_symbolic

    return jacobian_symbolic(task.graph, task.point, task.wrt, timeout=task.symbolic_timeout), {}


def _symbolic_hessian(task: Task) -> Result:
    from diffcli.checks.symbolic import hessian_symbolic

    return hessian_symbolic(task.graph, task.point, task.wrt, timeout=task.symbolic_timeout), {}


def _symbolic_limit(task: Task) -> str | None:
    entries = task.n * task.n if task.kind == "hessian" else task.n * task.m
    if task.kind != "gradient" and entries > MAX_DEFAULT_SYMBOLIC_ENTRIES:
        return f"{entries} symbolic derivatives; ask for it with --method symbolic"
    if task.kind == "gradient" and task.n > MAX_DEFAULT_SYMBOLIC_GRADIENT:
        return (f"{task.n} entries: SymPy differentiates once per entry and would likely run out of time; "
                "ask for it with --method symbolic")
    return None


def _complex_jvp(task: Task) -> Result:
    from diffcli.checks.complex_step import directional

    return directional(task.graph, task.point, task.values, task.graph.outputs, task.wrt, task.direction), {}


def _complex_jacobian(task: Task) -> Result:
    from diffcli.checks.complex_step import jacobian

    return jacobian(task.graph, task.point, task.values, task.wrt), {}


TABLE = (
    Method("forward", rank=2, gradient=_forward_gradient, jvp=_forward_jvp, jacobian=_forward_jacobian,
           passes=lambda task: 1 if task.kind == "jvp" else task.n, limit=_forward_limit),
    Method("reverse", rank=1, gradient=_reverse_gradient, vjp=_reverse_vjp, jacobian=_reverse_jacobian,
           passes=lambda task: 1 if task.kind in ("gradient", "vjp") else task.m),
    Method("central", rank=4, gradient=_central_gradient, jvp=_central_jvp, vjp=_central_vjp,
           jacobian=_central_jacobian, hessian=_central_hessian, limit=_central_limit),
    Method("symbolic", rank=0, gradient=_symbolic_gradient, jacobian=_symbolic_jacobian, hessian=_symbolic_hessian,
           limit=_symbolic_limit, finite_reference=True),
    Method("complex", rank=3, jvp=_complex_jvp, jacobian=_complex_jacobian,
           passes=lambda task: 1 if task.kind == "jvp" else task.n),
    # The Hessian's AD: forward mode over the reverse-mode gradient graph, whichever mode is asked for.
    Method("forward-over-reverse", rank=1, hessian=_ad_hessian, passes=lambda task: task.n,
           stands_for=("forward", "reverse")),
)
METHOD = {method.name: method for method in TABLE}
NAMES = tuple(method.name for method in TABLE if method.selectable)


def method_for(name: str, kind: str) -> Method | None:
    """The row that computes `kind` when the user asks for method `name` (None: it cannot)."""
    for method in TABLE:
        if (method.name == name or name in method.stands_for) and kind in ways(method):
            return method
    return None
