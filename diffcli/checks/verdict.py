"""Is a claimed derivative right? Reverse-mode AD at many points of F's domain, then SymPy.

The claim is right when it equals the derivative wherever F is differentiable on its
real domain. So:

1. `prepare`: sample points inside F's domain (`domain.sample_domain`: seeded, across
   scales and signs, near edges and kinks), build each derivative the claim could list
   as a graph by the reverse sweep in graph mode (so one evaluation gives F, its
   intermediates and every derivative at all points), and set aside the points where F
   is not differentiable — on a kink or branch boundary, or where the derivative is not
   finite — listing them with the reason. This part depends only on F, so a grader
   checking a class's answers does it once.
2. `judge`: evaluate the claim at the same points. A point where the claim is undefined
   but F is differentiable is a counterexample; so is one where claim and derivative
   differ by more than TOLERANCE_FACTOR·u·(E_claim + E_derivative), E being each side's
   rounding-error scale (`roundoff`) — relative to the size of the terms, so a derivative
   that cancels to nearly zero is not held to an impossible absolute standard, and one
   with huge terms is not excused a real difference.
3. If no point disagrees, SymPy confirms within its time limit (`equivalence`): an exact
   nonzero constant difference makes the claim wrong; "not shown" or "timed out" leave
   the numeric verdict standing, and say so.

>>> result = check("x**2*sin(x)", "2*x*sin(x) + x**2*cos(x)", symbolic=False)
>>> result.verdict, result.checked_points > 300
('correct', True)
>>> wrong = check("sin(x**2)", "cos(x**2)", symbolic=False)
>>> wrong.verdict, wrong.counterexample.component
('wrong', 'df/dx')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from diffcli.ad.evaluate import evaluate, nonfinite_reason
from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse
from diffcli.ad.problem import make_problem
from diffcli.ad.reverse import gradient_graph
from diffcli.ad.transforms import derivative_graph
from diffcli.checks import equivalence
from diffcli.checks.claims import KINDS, Claim, Layout, claimed_variables, read_claim
from diffcli.checks.domain import DEFAULT_SAMPLES, Sample, kink_points, measure, sample_domain
from diffcli.checks.roundoff import UNIT_ROUNDOFF
from diffcli.errors import UsageError

# Rounding errors stay well inside u·E (a first-order *bound*, with every op's error taken
# at its worst); 64 leaves room for second-order terms and library functions a few ulps off.
TOLERANCE_FACTOR = 64.0
MAX_SAMPLES = 100_000
MAX_NODES = 10_000  # F and each claim: a formula a person checks by hand is far smaller; ~8 s at this size
MAX_ORDER = 6
NEAR_OVERFLOW = 1e150  # |values| beyond which a derivative's overflow is the float format's, not f's
MAX_REASONS = 20
MAX_UNDEFINED_TRIES = 200  # failing points examined for a counterexample that is not a rounding artefact  # kink explanations computed (each costs a few evaluations); the rest get a short reason


@dataclass
class Skipped:
    """A point not used for the verdict, and why."""

    at: dict[str, float]
    reason: str


@dataclass
class Counterexample:
    """Where the claim and the derivative differ: the point, both values, which component."""

    at: dict[str, float]
    claimed: float
    actual: float
    component: str
    source: str = "AD"  # AD, or SymPy (30 digits) for a difference too small for double precision


@dataclass
class CheckResult:
    """The verdict on one claim."""

    expr: str
    claim: str
    kind: str
    order: int
    wrt: list[str]
    components: list[str]
    parts: list[str] | None  # each component's claimed formula, when written part by part
    verdict: str  # correct | wrong | undecided
    counterexample: Counterexample | None
    checked_points: int
    skipped: list[Skipped]
    symbolic: str
    message: str = ""

    def document(self) -> dict[str, Any]:
        """The JSON form: verdict, counterexample (or null), checked_points, skipped, symbolic."""
        example = self.counterexample
        return {
            "expr": self.expr, "claim": self.claim, "kind": self.kind, "order": self.order, "wrt": self.wrt,
            "components": self.components, "verdict": self.verdict,
            "counterexample": None if example is None else {
                "at": example.at, "claimed": example.claimed, "actual": example.actual,
                "component": example.component, "source": example.source},
            "checked_points": self.checked_points,
            "skipped": [{"at": s.at, "reason": s.reason} for s in self.skipped],
            "symbolic": self.symbolic, "message": self.message,
        }


@dataclass
class Points:
    """Points where f is differentiable, with each derivative component and its error scale there."""

    columns: dict[str, np.ndarray]
    origin: list[str]
    actual: dict[tuple, np.ndarray]
    scales: dict[tuple, np.ndarray]

    def __len__(self) -> int:
        return len(self.origin)

    def __add__(self, other: "Points") -> "Points":
        join = lambda a, b: {k: np.concatenate([a[k], b[k]]) for k in a}  # noqa: E731
        return Points(join(self.columns, other.columns), self.origin + other.origin,
                      join(self.actual, other.actual), join(self.scales, other.scales))


@dataclass
class Reference:
    """F, every derivative a claim may list, and the points they are known at."""

    expr: str
    function: Graph
    kind: str
    order: int
    wrt: list[str]
    constants: dict[str, Any]
    variables: list[str]
    graph: Graph                 # F and all the derivative graphs, merged
    nodes: dict[tuple, int]      # component key -> node of `graph`
    points: Points
    skipped: list[Skipped]
    restricted: bool
    base_point: dict[str, Any]
    symbolic_cache: dict[str, Any] = field(default_factory=dict)

    @property
    def checked_points(self) -> int:
        return len(self.points)

    def evaluate(self, sample: Sample) -> tuple[Points, Any, np.ndarray, np.ndarray]:
        """The derivatives at `sample`: the usable points, and (measured, finite, bounded) per point."""
        keys = list(self.nodes)
        roots = [self.nodes[k] for k in keys]
        measured = measure(self.graph, sample.columns, self.constants, self.graph.outputs, self.wrt, roots, roots,
                           rounding=True)
        finite = np.ones(len(sample), dtype=bool)
        bounded = np.ones(len(sample), dtype=bool)
        for root in roots:
            finite &= np.isfinite(measured.values[root])
            bounded &= np.isfinite(measured.scales[root])
        # A derivative that overflows next to huge values of f is not a point where f fails to be
        # differentiable: such points are dropped like those where f itself overflows.
        near_overflow = measured.magnitude > NEAR_OVERFLOW
        bounded &= finite | ~near_overflow
        finite |= near_overflow
        use = measured.inside & ~measured.on_kink & ~measured.near_kink & finite & bounded
        points = Points({name: column[use] for name, column in sample.columns.items()},
                        [o for o, keep in zip(sample.origin, use) if keep],
                        {k: measured.values[self.nodes[k]][use] for k in keys},
                        {k: measured.scales[self.nodes[k]][use] for k in keys})
        return points, measured, finite, bounded

    def layout(self, texts: Sequence[str], explicit_wrt: bool) -> Layout:
        wrt = self.wrt
        named = claimed_variables(list(texts)) if self.kind == "derivative" else None
        if named and not explicit_wrt:
            wrt = [name for name in self.wrt if name in named] or named
        return Layout(self.kind, wrt, len(self.function.outputs), self.order)

    def key(self, layout: Layout, position: tuple[int, ...]) -> tuple:
        if self.kind == "jacobian":
            return (position[0], layout.wrt[position[1]])
        return tuple(layout.wrt[k] for k in position)


def _components(graph: Graph, point: Mapping[str, Any], kind: str, order: int,
                wrt: list[str]) -> tuple[Graph, dict[tuple, int]]:
    """Every derivative of the kind, as nodes of one graph (F's nodes included, shared)."""
    merged = Graph(source=graph.source)
    mapping = merged.import_graph(graph)
    merged.outputs = [mapping[o] for o in graph.outputs]
    nodes: dict[tuple, int] = {}

    def add(part: Graph, node: int) -> int:
        return merged.import_graph(part)[node]

    if kind == "derivative":
        for name in wrt:
            part, node = derivative_graph(graph, point, name, order)
            nodes[(name,)] = add(part, node)
    elif kind == "jacobian":
        for output in range(len(graph.outputs)):
            part, gradient = gradient_graph(graph, point, wrt, output)
            mapped = merged.import_graph(part)
            for name, node in zip(wrt, gradient):
                nodes[(output, name)] = mapped[node]
    else:
        first, gradient = gradient_graph(graph, point, wrt)
        for row, node in zip(wrt, gradient):
            source = first.copy()
            source.outputs = [node]
            part, second = gradient_graph(source, point, wrt)
            mapped = merged.import_graph(part)
            for column, entry in zip(wrt, second):
                nodes[(row, column)] = mapped[entry]
    return merged, nodes


def _validate(graph: Graph, point: Mapping[str, Any], kind: str, order: int, wrt: list[str]) -> None:
    if kind not in KINDS:
        raise UsageError(f"unknown kind of claim '{kind}' (choose {', '.join(KINDS)})")
    if not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order must be between 1 and {MAX_ORDER}")
    if order != 1 and kind != "derivative":
        raise UsageError(f"--order is for derivatives of one variable; a {kind} claim has its own order")
    tensors = [name for name in graph.variables if np.ndim(point.get(name, 0.0)) != 0]
    if tensors:
        raise UsageError(f"check works with scalar variables, but '{tensors[0]}' is a tensor; "
                         "check one entry at a time, or use grad --check")
    if not wrt:
        raise UsageError("f has no variable to differentiate")
    if len(graph.outputs) > 1 and kind != "jacobian":
        raise UsageError(f"f has {len(graph.outputs)} outputs: check its Jacobian (--jacobian)")
    values = evaluate(graph, point)
    shaped = [k + 1 for k, o in enumerate(graph.outputs) if np.ndim(values[o]) != 0]
    if shaped:
        raise UsageError(f"output {shaped[0]} of f is a tensor; check works with scalar outputs "
                         "(write the entries as a list [f1, f2] and use --jacobian)")


def _point_list(at: Sequence[Mapping[str, Any]], wrt: list[str], variables: list[str]) -> dict[str, np.ndarray]:
    columns: dict[str, list[float]] = {name: [] for name in variables}
    for number, point in enumerate(at, start=1):
        for name in variables:
            if name not in point:
                raise UsageError(f"--at point {number}: no value for '{name}' (each --at is one whole point)")
            value = np.asarray(point[name], dtype=np.float64)
            if value.ndim:
                raise UsageError(f"--at point {number}: '{name}' must be a number")
            columns[name].append(float(value))
        extra = [name for name in point if name not in variables]
        if extra:
            raise UsageError(f"--at point {number}: '{extra[0]}' is not a variable of f")
    return {name: np.array(values) for name, values in columns.items()}


def prepare(expr: str | Graph, *, wrt: list[str] | None = None, let: Mapping[str, Any] | None = None,
            kind: str = "derivative", order: int = 1, at: Sequence[Mapping[str, Any]] | None = None,
            samples: int = DEFAULT_SAMPLES, seed: int = 0) -> Reference:
    """Sample F's domain and compute the derivatives there (see the module docstring)."""
    graph = expr if isinstance(expr, Graph) else parse(expr)
    let = dict(let or {})
    if len(graph) > MAX_NODES:
        raise UsageError(f"check works on formulas of up to {MAX_NODES:,} graph nodes; this one has {len(graph):,}")
    if not 1 <= samples <= MAX_SAMPLES:
        raise UsageError(f"--samples must be between 1 and {MAX_SAMPLES:,}")
    placeholder = {name: 1.0 for name in graph.variables if name not in let}
    problem = make_problem(graph, placeholder, let, wrt)
    constants = {name: problem.point[name] for name in problem.constants}
    variables = [name for name in graph.variables if name not in let]
    _validate(graph, problem.point, kind, order, problem.wrt)
    if at:
        columns = _point_list(at, problem.wrt, variables)
        origin = ["given"] * len(at)
        sample = Sample(columns, origin)
    else:
        sample = sample_domain(graph, variables, constants, samples, seed)
    base = {**(sample.point(0) if len(sample) else placeholder), **constants}
    merged, nodes = _components(graph, base, kind, order, problem.wrt)
    reference = Reference(problem.expr, graph, kind, order, problem.wrt, constants, variables, merged, nodes,
                          Points({}, [], {}, {}), [], bool(at), base)
    reference.points, measured, finite, bounded = reference.evaluate(sample)
    reference.skipped = _skipped_points(graph, sample, measured, finite, bounded, constants, problem.wrt, bool(at))
    return reference


def _skipped_points(graph: Graph, sample: Sample, measured: Any, finite: np.ndarray, bounded: np.ndarray,
                    constants: dict[str, Any], wrt: list[str], restricted: bool) -> list[Skipped]:
    from diffcli.checks.diagnose import find_kinks

    skipped: list[Skipped] = []
    explained = 0
    for index in range(len(sample)):
        point = sample.point(index)
        full = {**{k: np.float64(v) for k, v in point.items()}, **constants}
        if not measured.inside[index]:
            if restricted:  # a sampled point outside the domain is simply not a point of the domain
                values = evaluate(graph, full)
                bad = next(o for o in graph.outputs if not np.isfinite(values[o]).all()) \
                    if any(not np.isfinite(values[o]).all() for o in graph.outputs) else None
                reason = nonfinite_reason(graph, values, bad) if bad is not None else \
                    "an intermediate value of f is undefined here"
                skipped.append(Skipped(point, f"outside the domain of f: {reason}"))
            continue
        if measured.on_kink[index]:
            reason = "f is on a kink or branch boundary here, where AD's value is only a convention"
            if explained < MAX_REASONS:
                explained += 1
                kinks = [k for output in range(len(graph.outputs)) for k in find_kinks(graph, full, wrt, output)]
                if kinks:
                    reason = kinks[0].message()
                else:
                    reason = ("on a branch boundary where the one-sided derivatives agree, but AD's value "
                              "there is only a convention")
            skipped.append(Skipped(point, reason))
        elif not finite[index]:
            skipped.append(Skipped(point, "the derivative is infinite or undefined here: f is not differentiable "
                                          "at this point (or its derivative overflows)"))
        elif measured.near_kink[index] and restricted:
            skipped.append(Skipped(point, "within rounding error of a kink or branch boundary of f"))
        elif not bounded[index] and restricted:
            # Near overflow the rounding error cannot be bounded; a sampled point there is just dropped.
            skipped.append(Skipped(point, "values too close to overflow to bound the rounding error"))
    return skipped


def _claim_points(reference: Reference, claim: Claim) -> Points:
    """The reference's points, plus points on both sides of the claim's own branch boundaries:
    a claim wrong only on a sliver (`0 if 0.299 < x < 0.301 else 2*x`) is wrong right there."""
    nodes = [c.node for c in claim.components]
    extra = kink_points(claim.graph, reference.constants, nodes, reference.variables, reference.points.columns)
    count = len(next(iter(extra.values()))) if extra else 0
    if not count:
        return reference.points
    more, _, _, _ = reference.evaluate(Sample(extra, ["claim's branch boundary"] * count))
    return reference.points + more


def _simplicity(points: Points) -> np.ndarray:
    """How plain each point looks (smaller is plainer): special values first, then |x| near 1."""
    rank = np.array([0.0 if origin in ("special", "given") else 1.0 for origin in points.origin])
    size = np.zeros(len(points))
    for column in points.columns.values():
        with np.errstate(divide="ignore"):
            size = np.maximum(size, np.where(column == 0, 0.0, np.abs(np.log10(np.abs(column)))))
    return rank * 1e6 + size


def _numeric_counterexample(reference: Reference, claim: Claim, layout: Layout) -> Counterexample | None:
    points = _claim_points(reference, claim)
    nodes = [c.node for c in claim.components]
    first = {name: np.float64(column[0]) for name, column in points.columns.items()}
    values = evaluate(claim.graph, {**first, **reference.constants}, upto=nodes)
    for component in claim.components:
        if np.ndim(values[component.node]) != 0:
            raise UsageError(f"the claim's {component.label} is a tensor of shape "
                             f"{np.shape(values[component.node])}, not a number")
    measured = measure(claim.graph, points.columns, reference.constants, nodes, layout.wrt, nodes, nodes,
                       rounding=True)
    overflowing = measured.magnitude > NEAR_OVERFLOW
    ratios = []
    for component in claim.components:
        key = reference.key(layout, component.position)
        claimed, actual = measured.values[component.node], points.actual[key]
        with np.errstate(all="ignore"):
            tolerance = TOLERANCE_FACTOR * UNIT_ROUNDOFF * (measured.scales[component.node] + points.scales[key])
            ratio = np.abs(claimed - actual) / np.maximum(tolerance, np.finfo(float).tiny)
        # A claim undefined where f is differentiable is wrong there, whatever the tolerance;
        # one whose own intermediate values overflow (exp(-x)/(1 + exp(-x))**2 at x = -400) is
        # not undefined, only beyond double precision there, and that point says nothing.
        ratio = np.where(np.isfinite(claimed), np.nan_to_num(ratio, nan=np.inf), np.inf)
        # Where the claim's own rounding error has no first-order bound (sqrt(1 - 2*x)**2 at
        # x = 1/2: sqrt's slope is infinite at 0), a finite claim cannot be judged either.
        unbounded = np.isfinite(claimed) & ~np.isfinite(measured.scales[component.node])
        # Nor where the claim sits within rounding error of one of its own kinks (its branch
        # there depends on rounding, as sign(cos(u)) at u ≈ 5π/2 does).
        ratios.append(np.where((overflowing & ~np.isfinite(ratio)) | unbounded | measured.near_kink, 0.0, ratio))
    worst = np.max(ratios, axis=0)
    failing = np.flatnonzero(worst > 1.0)
    clear = failing[worst[failing] > 100.0]  # show a point where the difference is plain to see
    simplicity = _simplicity(points)
    ordered = [*clear[np.argsort(simplicity[clear], kind="stable")],
               *failing[np.argsort(simplicity[failing], kind="stable")]]
    for tries, index in enumerate(dict.fromkeys(int(i) for i in ordered)):
        if tries >= MAX_UNDEFINED_TRIES:
            break
        at = {name: float(column[index]) for name, column in points.columns.items()}
        for component, ratio in zip(claim.components, ratios):
            if ratio[index] <= 1.0:
                continue
            claimed = float(measured.values[component.node][index])
            if not np.isfinite(claimed) and _undefined_by_rounding(claim.graph, component.node,
                                                                  {**at, **reference.constants}):
                continue  # undefined only because of rounding at an edge of its domain: no verdict here
            key = reference.key(layout, component.position)
            return Counterexample(at, claimed, float(points.actual[key][index]), component.label)
    return None


def _undefined_by_rounding(graph: Graph, node: int, point: Mapping[str, Any]) -> bool:
    """The claim is undefined at `point` only because of rounding: the op where its value
    first fails (sqrt of −2e-13 whose exact argument is +2e-13) gives a finite value once
    its arguments move by their rounding-error bound."""
    from diffcli.ad.evaluate import origin_of_nonfinite
    from diffcli.ad.ops import PRIMITIVES
    from diffcli.checks.roundoff import error_scales

    values = evaluate(graph, {k: np.float64(v) for k, v in point.items()}, upto=[node])
    origin = origin_of_nonfinite(graph, values, node)
    primitive = PRIMITIVES.get(graph.ops[origin])
    args = [values[j] for j in graph.inputs[origin]]
    if primitive is None or "elementwise" not in primitive.tags or any(np.ndim(a) for a in args):
        return False
    errors = error_scales(graph, values, [origin])
    with np.errstate(all="ignore"):
        for k, parent in enumerate(graph.inputs[origin]):
            step = TOLERANCE_FACTOR * UNIT_ROUNDOFF * float(errors[parent])
            for moved in (args[k] - step, args[k] + step):
                trial = [moved if j == k else a for j, a in enumerate(args)]
                if step > 0 and np.isfinite(primitive.impl(*trial)):
                    return True
    return False


def _symbolic(reference: Reference, claim: Claim, layout: Layout, timeout: float | None) -> tuple[str, Counterexample | None]:
    """SymPy's view of claim − derivative, within `timeout` seconds in all."""
    import sympy as sp

    from diffcli.checks.symbolic import (SymbolicTimeout, SymbolicUnsupported, exact_number, point_substitutions,
                                         time_limit, to_sympy, value_at)

    cache = reference.symbolic_cache
    if cache.get("failed"):
        return cache["failed"], None
    try:
        with time_limit(timeout):
            if "function" not in cache:
                exprs, symbols = to_sympy(reference.function, reference.function.outputs, reference.base_point,
                                          exact=True)
                constants = {symbols[name]: exact_number(sp, value) for name, value in reference.constants.items()
                             if name in symbols}
                cache["function"] = [equivalence.exact(e).xreplace(constants) for e in exprs]
                cache["symbols"] = {name: sp.Symbol(name, real=True) for name in reference.function.variables}
                cache["constants"] = constants
                cache["derivatives"] = {}
            symbols, derivatives = cache["symbols"], cache["derivatives"]
            claimed_exprs, _ = to_sympy(claim.graph, [c.node for c in claim.components], exact=True)
            statuses = []
            for component, claimed in zip(claim.components, claimed_exprs):
                key = reference.key(layout, component.position)
                if key not in derivatives:
                    if reference.kind == "jacobian":
                        derivatives[key] = sp.diff(cache["function"][key[0]], symbols[key[1]])
                    else:
                        variables = [symbols[name] for name in key] * (reference.order if len(key) == 1 else 1)
                        derivatives[key] = sp.diff(cache["function"][0], *variables)
                claimed = sp.Integer(0) + claimed  # a plain number becomes a SymPy number
                claimed = equivalence.exact(claimed).xreplace(cache["constants"])
                status = equivalence.compare(claimed, derivatives[key])
                statuses.append(status)
                if status == equivalence.DIFFERENT:
                    example = None
                    if reference.checked_points:
                        at = reference.points.columns and {
                            name: float(column[0]) for name, column in reference.points.columns.items()}
                        substitutions = point_substitutions(sp, {n: symbols[n] for n in at}, at)
                        example = Counterexample(at, value_at(sp, claimed, substitutions),
                                                 value_at(sp, derivatives[key], substitutions), component.label,
                                                 "SymPy")
                    return equivalence.DIFFERENT, example
    except SymbolicTimeout:
        return equivalence.TIMED_OUT, None
    except Exception:  # noqa: BLE001 - SymPy fails in its own ways (KeyError inside logcombine, ...)
        return equivalence.UNSUPPORTED, None
    if all(s == equivalence.EQUIVALENT for s in statuses):
        return equivalence.EQUIVALENT, None
    return equivalence.NOT_SHOWN, None


def judge(reference: Reference, claim: str | Sequence[str], *, explicit_wrt: bool = False, symbolic: bool = True,
          symbolic_timeout: float | None = 5.0) -> CheckResult:
    """The verdict on one claim against a prepared reference."""
    texts = [claim] if isinstance(claim, str) else list(claim)
    layout = reference.layout(texts, explicit_wrt)
    parsed = read_claim(texts, layout, reference.function, list(reference.constants))
    if len(parsed.graph) > MAX_NODES:
        raise UsageError(f"the claim has {len(parsed.graph):,} graph nodes; check takes claims of up to {MAX_NODES:,}")
    labels = [c.label for c in parsed.components]

    def result(verdict: str, example: Counterexample | None, status: str, message: str) -> CheckResult:
        return CheckResult(reference.expr, parsed.text, reference.kind, reference.order, layout.wrt, labels,
                           parsed.parts, verdict, example, reference.checked_points, reference.skipped, status, message)

    if not reference.checked_points:
        where = "at the given points" if reference.restricted else "in the sample"
        return result("undecided", None, equivalence.NOT_RUN,
                      f"no point {where} where f is defined and differentiable, so nothing could be checked")
    example = _numeric_counterexample(reference, parsed, layout)
    if example is not None:
        return result("wrong", example, equivalence.NOT_RUN, "")
    if not symbolic or reference.restricted:
        return result("correct", None, equivalence.NOT_RUN, "")
    status, example = _symbolic(reference, parsed, layout, symbolic_timeout)
    if status == equivalence.DIFFERENT:
        return result("wrong", example, status, "SymPy finds a constant difference too small for double precision")
    return result("correct", None, status, "")


def check(expr: str | Graph, claim: str | Sequence[str], *, wrt: list[str] | None = None,
          let: Mapping[str, Any] | None = None, kind: str = "derivative", order: int = 1,
          at: Sequence[Mapping[str, Any]] | None = None, samples: int = DEFAULT_SAMPLES, seed: int = 0,
          symbolic: bool = True, symbolic_timeout: float | None = 5.0) -> CheckResult:
    """Check one claimed derivative of `expr` (see the module docstring)."""
    reference = prepare(expr, wrt=wrt, let=let, kind=kind, order=order, at=at, samples=samples, seed=seed)
    return judge(reference, claim, explicit_wrt=wrt is not None, symbolic=symbolic, symbolic_timeout=symbolic_timeout)
