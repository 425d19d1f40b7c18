"""A derivation the way a calculus course writes it: one named rule per line.

Each line rewrites one pending derivative d/dx[u] by the rule of u's operation. The
rule is not a second copy of calculus: the right-hand side is the op's partial
derivatives from the op table (the ones forward and reverse mode run), computed in
graph mode on a scratch tape whose inputs stand for u's arguments, times the pending
derivatives of those arguments — so for sin(x²) the table's ∂sin(a)/∂a = cos(a) gives
cos(x²)·d/dx[x²]. The rule's *name* is a fact in the op's row too (`rule`: sum, product,
quotient, …); this module names the cases where only some arguments depend on x
(constant multiple, power, exponential) and the chain rule.

Every line is checked against forward-mode AD at a point inside the domain (one
tangent sweep gives d/dx of every node at once), and the final result against AD at
many points and against SymPy (`checks.verdict.check`). A subexpression derived once is
referred to by its step number, and a program (`c = a + b; d = a*c`) is derived
statement by statement, each statement's derivative feeding the next by the chain rule.

>>> d = derive(parse("3*x**3 - 5*x**2"), "x")
>>> [s.rule for s in d.steps], show(d.result, "text")
(['difference', 'constant multiple', 'power', 'constant multiple', 'power'], '9x² − 10x')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import evaluate
from diffcli.ad.forward import jvp_sweep
from diffcli.ad.graph import Graph
from diffcli.ad.parse import parse
from diffcli.ad.ops import MINUS_ONE, ONE, PRIMITIVES
from diffcli.ad.ref import Ref
from diffcli.ad.tape import Tape
from diffcli.errors import MathError, UsageError
from diffcli.views.algebra import ONE_TREE, Tree, number, pending, show, size, substitute, tidy, transform
from diffcli.views.naming import node_names

MAX_OPERATIONS = 400   # a derivation longer than this is not read line by line: use `diff`
MAX_DEPTH = 60         # nesting; keeps every tree walk far from Python's recursion limit
MAX_INLINE_SIZE = 4000  # a program's result is written with its statements inlined up to this size

RULE_TEXT = {
    "sum": "sum rule", "difference": "difference rule", "constant multiple": "constant multiple rule",
    "product": "product rule", "quotient": "quotient rule", "power": "power rule",
    "exponential": "exponential rule", "general power": "general power rule",
    "chain": "chain rule", "variable": "derivative of the variable", "constant": "constant rule",
    "branch": "the branch taken", "detach": "detach: no derivative flows", "simplify": "simplify",
}


@dataclass
class Step:
    """One rewrite: d/dx[u] = target, by `rule`."""

    rule: str
    source: Tree
    target: Tree
    node: int
    inner: Tree | None = None
    outer: tuple[Tree, Tree] | None = None   # the elementary rule in u: (d/du f(u), f'(u))
    definition: tuple[str, Tree] | None = None  # a program statement: (name, its right-hand side)
    refers: dict[Tree, int] = field(default_factory=dict)  # pending derivatives derived in earlier steps


@dataclass
class Derivation:
    """All steps of d/dx of a formula, the result, and how it was verified."""

    expr: str
    wrt: str
    variables: int
    steps: list[Step]
    source: Tree
    assembled: Tree
    result: Tree
    result_text: str
    point: dict[str, float] = field(default_factory=dict)
    steps_verified: bool = False
    verdict: Any = None
    notes: list[str] = field(default_factory=list)

    def rule_text(self, step: Step) -> str:
        if step.rule in RULE_TEXT:
            return RULE_TEXT[step.rule]
        return f"derivative of {step.rule}"


# --------------------------------------------------------------------------- trees from graphs


def _graph_tree(graph: Graph, root: int, leaves: Mapping[int, Tree]) -> Tree:
    """The tree of `root`, with `leaves` standing for the nodes they map; sums and products
    written left to right as the formula is (a - b - c stays so; a*b*c is one product)."""
    trees: dict[int, Tree] = {}
    needed = graph.ancestors([root])
    for node in range(root + 1):
        if not needed[node]:
            continue
        if node in leaves:
            trees[node] = leaves[node]
            continue
        op = graph.ops[node]
        args = [trees[j] for j in graph.inputs[node]]
        if op == "var":
            trees[node] = ("var", graph.attr(node, "name"))
        elif op == "const":
            value = graph.attr(node, "value")
            if np.ndim(value):
                raise UsageError("steps works on scalar formulas; this one has a constant tensor")
            trees[node] = number(value)
        elif op in ("add", "mul", "smul"):
            kind = "add" if op == "add" else "mul"
            left = args[0][1] if args[0][0] == kind and graph.inputs[node][0] not in leaves else (args[0],)
            trees[node] = (kind, (*left, args[1]))
        elif op in ("sub", "div", "pow"):
            trees[node] = (op, args[0], args[1])
        elif op == "neg":
            inner = args[0]
            trees[node] = ("num", -inner[1]) if inner[0] == "num" else ("neg", inner)
        else:
            trees[node] = ("call", op, tuple(args))
    return trees[root]


def _partials(graph: Graph, node: int, values: list[Any], argument_trees: list[Tree],
              answer: Tree) -> list[Tree | None]:
    """∂node/∂(argument k) as trees over `argument_trees`, from the op table run in graph mode."""
    primitive = PRIMITIVES[graph.ops[node]]
    scratch = Graph()
    leaves = []
    for k, parent in enumerate(graph.inputs[node]):
        leaves.append(scratch.var(f"__argument{k}"))
    answer_leaf = scratch.var("__answer")
    tape = Tape(scratch, [values[p] for p in graph.inputs[node]] + [values[node]])
    mapping = {leaf: tree for leaf, tree in zip(leaves, argument_trees)}
    mapping[answer_leaf] = answer
    trees: list[Tree | None] = []
    with np.errstate(all="ignore"):
        for rule in primitive.partials or ():
            partial = None if rule is None else rule(tape.ref(answer_leaf), *[tape.ref(n) for n in leaves])
            if partial is None:
                trees.append(None)
            elif partial is ONE:
                trees.append(ONE_TREE)
            elif partial is MINUS_ONE:
                trees.append(("num", Fraction(-1)))
            elif isinstance(partial, Ref):
                trees.append(_graph_tree(scratch, partial.node, mapping))
            else:
                trees.append(number(partial))
    return trees


# --------------------------------------------------------------------------- the derivation


class _Deriver:
    def __init__(self, graph: Graph, wrt: str, point: Mapping[str, Any]):
        self.graph = graph
        self.wrt = wrt
        self.variable = graph.variables[wrt]
        self.values = evaluate(graph, point)
        self.root = graph.outputs[0]
        self.depends = graph.descendants([self.variable], blocked=frozenset({"detach"}))
        names = node_names(graph, [self.root])
        self.labels = {n: names[n] for n in graph.labels if graph.ops[n] != "var" and graph.ancestors([self.root])[n]}
        self.display: dict[int, Tree] = {}
        self.inline: dict[int, Tree] = {}
        self.steps: list[Step] = []
        self.derived: dict[int, int] = {}  # node -> index of its step

    def tree(self, node: int) -> Tree:
        """How `node` is written inside other expressions: by its program name, else in full."""
        if node in self.labels:
            return ("var", self.labels[node])
        return self.definition(node)

    def definition(self, node: int) -> Tree:
        if node not in self.display:
            leaves = {n: ("var", name) for n, name in self.labels.items() if n != node}
            self.display[node] = _graph_tree(self.graph, node, leaves)
        return self.display[node]

    def pending(self, node: int) -> Tree:
        return ("D", node, self.wrt, self.tree(node))

    def relevant(self, node: int) -> bool:
        return self.depends[node]

    def run(self) -> None:
        statements = sorted(n for n in self.labels if self.relevant(n) and n != self.root)
        for start in [*statements, self.root]:
            stack = [start]
            while stack:
                node = stack.pop()
                if node in self.derived:
                    continue
                step = self.step(node)
                self.derived[node] = len(self.steps)
                self.steps.append(step)
                later = [d[1] for d in pending(step.target) if d[1] not in self.derived]
                stack.extend(reversed(later))
        for step in self.steps:
            step.refers = {d: self.derived[d[1]] for d in pending(step.target)
                           if d[1] in self.derived and self.derived[d[1]] < self.derived[step.node]}

    def step(self, node: int) -> Step:
        graph = self.graph
        op = graph.ops[node]
        source = self.pending(node)
        definition = (self.labels[node], self.definition(node)) if node in self.labels else None
        if node == self.variable:
            return Step("variable", source, ONE_TREE, node, definition=definition)
        if op == "detach":
            return Step("detach", source, ("num", Fraction(0)), node, definition=definition)
        if not self.relevant(node) or op == "const" or op == "var":
            return Step("constant", source, ("num", Fraction(0)), node, definition=definition)
        primitive = PRIMITIVES[op]
        parents = graph.inputs[node]
        if op == "where":
            condition, a, b = parents
            branches = [self.derivative_of(p) for p in (a, b)]
            target = ("call", "where", (self.tree(condition), *branches))
            return Step("branch", source, tidy(target), node, definition=definition)
        if primitive.partials is None:
            raise UsageError(f"steps covers formulas of numbers; '{op}' acts on tensors and has no one-line rule")
        if not primitive.differentiable:
            return Step("constant", source, ("num", Fraction(0)), node, definition=definition)
        arguments = [self.tree(p) for p in parents]
        partials = _partials(graph, node, self.values, arguments, self.tree(node) if node in self.labels
                             else self.definition(node))
        terms = []
        for parent, partial in zip(parents, partials):
            if partial is None or not self.relevant(parent):
                continue
            terms.append(("mul", (partial, self.derivative_of(parent))))
        target = tidy(("add", tuple(terms))) if terms else ("num", Fraction(0))
        rule, inner, outer = self.rule(node, op, parents)
        return Step(rule, source, target, node, inner, outer, definition)

    def derivative_of(self, node: int) -> Tree:
        """d/dx[node] inside a rule: 1 for x itself, 0 for what does not depend on x, else pending."""
        if node == self.variable:
            return ONE_TREE
        if not self.relevant(node):
            return ("num", Fraction(0))
        return self.pending(node)

    def rule(self, node: int, op: str, parents: tuple[int, ...]) -> tuple[str, Tree | None, tuple | None]:
        moving = [k for k, p in enumerate(parents) if self.relevant(p)]
        direct = all(parents[k] == self.variable for k in moving)
        if op in ("add", "sub"):
            return PRIMITIVES[op].rule, None, None
        if op == "neg" or (op in ("mul", "smul") and len(moving) == 1) or (op == "div" and moving == [0]):
            return "constant multiple", None, None
        if op in ("mul", "smul"):
            return "product", None, None
        if op == "div":
            return "quotient", None, None
        if op == "pow" and len(moving) == 2:
            return "general power", None, None
        name = op if op != "pow" else ("power" if moving == [0] else "exponential")
        if direct:
            return name, None, None
        # The chain rule: the outer function's rule in a fresh variable u, and the inner function named.
        k = moving[0] if len(moving) == 1 else None
        if k is None:
            return "chain", None, None
        u = ("var", "u")
        arguments = [u if j == k else self.tree(p) for j, p in enumerate(parents)]
        outer_tree = ("call", op, tuple(arguments)) if op != "pow" else ("pow", arguments[0], arguments[1])
        partial = _partials(self.graph, node, self.values, arguments, outer_tree)[k]
        return "chain", self.tree(parents[k]), (outer_tree, tidy(partial) if partial is not None else ("num", Fraction(0)))

    def assemble(self) -> tuple[Tree, Tree]:
        """d/dx of the root with every pending derivative replaced: as assembled, and tidied."""
        assembled: dict[int, Tree] = {}
        tidied: dict[int, Tree] = {}
        for node in sorted(self.derived):
            target = self.steps[self.derived[node]].target
            assembled[node] = substitute(target, lambda t: assembled[t[1]] if t[0] == "D" else None)
            tidied[node] = tidy(substitute(target, lambda t: tidied[t[1]] if t[0] == "D" else None))
        return assembled[self.root], tidied[self.root]

    def without_names(self, tree: Tree) -> Tree | None:
        """`tree` with the program's names replaced by what they stand for (None if too large)."""
        if not self.labels:
            return tree
        full: dict[str, Tree] = {}
        for node in sorted(self.labels):
            full[self.labels[node]] = tidy(substitute(self.definition(node),
                                                      lambda t: full.get(t[1]) if t[0] == "var" else None))
            if size(full[self.labels[node]]) > MAX_INLINE_SIZE:
                return None
        result = tidy(substitute(tree, lambda t: full.get(t[1]) if t[0] == "var" else None))
        return result if size(result) <= MAX_INLINE_SIZE else None

    def program_form(self, tree: Tree) -> str:
        lines = [f"{self.labels[n]} = {show(self.definition(n))}" for n in sorted(self.labels)]
        return "; ".join(lines + [show(tree)])


def _depth(graph: Graph, root: int) -> int:
    depth = [0] * len(graph)
    needed = graph.ancestors([root])
    for node in range(root + 1):
        if needed[node]:
            depth[node] = 1 + max((depth[p] for p in graph.inputs[node]), default=0)
    return depth[root]


def _check_size(graph: Graph) -> None:
    if len(graph.outputs) != 1:
        raise UsageError("steps derives one formula; give one entry of the list at a time")
    root = graph.outputs[0]
    operations = sum(1 for n, keep in enumerate(graph.ancestors([root])) if keep and graph.ops[n] not in ("var", "const"))
    if operations > MAX_OPERATIONS:
        raise UsageError(f"steps shows derivations of up to {MAX_OPERATIONS} operations; this formula has "
                         f"{operations} (diffcli diff shows its derivative)")
    if _depth(graph, root) > MAX_DEPTH:
        raise UsageError(f"steps shows formulas nested at most {MAX_DEPTH} deep; diffcli diff shows this one's derivative")


def _verification_point(graph: Graph, wrt: str, constants: Mapping[str, Any], seed: int) -> dict[str, float] | None:
    """A generic point inside the domain, off every kink (a random one, not 0 or 1, where
    terms vanish and a wrong rule could still give the right number)."""
    from diffcli.checks.domain import measure, sample_domain

    variables = [name for name in graph.variables if name not in constants]
    sample = sample_domain(graph, variables, constants, samples=64, seed=seed)
    if not len(sample):
        return None
    measured = measure(graph, sample.columns, constants, graph.outputs, [wrt])
    order = sorted(range(len(sample)), key=lambda i: (sample.origin[i] != "random", max(
        (abs(np.log10(max(abs(sample.columns[v][i]), 1e-300))) for v in variables), default=0.0)))
    for index in order:
        if measured.inside[index] and not measured.on_kink[index]:
            return sample.point(index)
    return None


def _evaluate_tree(tree: Tree, env: Mapping[str, Any], derivatives: Mapping[int, Any],
                   magnitude: bool = False) -> Any:
    """The value of `tree` at a point, pending derivatives d/dx[u] taking the values AD gives.

    With `magnitude`, sums add the sizes of their terms instead: the scale that rounding
    errors in the value are measured against.
    """
    size = np.abs if magnitude else (lambda v: v)

    def leaf(t: Tree) -> Any:
        if t[0] == "num":
            return size(np.float64(float(t[1])))
        if t[0] == "sym":
            return np.float64(t[2])
        return size(env[t[1]] if t[0] == "var" else derivatives[t[1]])

    def node(t: Tree, kids: list[Any]) -> Any:
        if t[0] == "add":
            return sum(kids, np.float64(0.0))
        if t[0] == "sub" and magnitude:
            return kids[0] + kids[1]
        if t[0] == "mul":
            return np.prod(kids, dtype=np.float64)
        if t[0] == "neg":
            return size(-kids[0])
        return size(PRIMITIVES[t[1] if t[0] == "call" else t[0]].impl(*kids))

    with np.errstate(all="ignore"):
        return transform(tree, leaf, node)


def _verify_steps(deriver: _Deriver, point: Mapping[str, Any], constants: Mapping[str, Any]) -> None:
    """Each step's two sides at `point`: d/dx[u] by forward-mode AD, the right-hand side with
    its pending derivatives by AD too. A mismatch is a bug, reported as such."""
    graph = deriver.graph
    full = {**{k: np.float64(v) for k, v in point.items()}, **constants}
    values = evaluate(graph, full)
    with np.errstate(all="ignore"):
        tangents = jvp_sweep(graph, values, {deriver.variable: np.float64(1.0)})
    derivatives = {n: np.float64(0.0) if tangents[n] is None else tangents[n] for n in range(len(graph))}
    env = dict(full)
    env.update({name: values[node] for node, name in deriver.labels.items()})
    for number_, step in enumerate(deriver.steps, start=1):
        left = derivatives[step.node]
        right = _evaluate_tree(step.target, env, derivatives)
        scale = _evaluate_tree(step.target, env, derivatives, magnitude=True)
        if not (np.isfinite(left) and np.isfinite(right) and np.isfinite(scale)):
            continue
        if abs(left - right) > 1e-9 * (abs(left) + scale) + 1e-300:
            raise MathError(f"steps: step {number_} ({step.rule}) gives {right!r} at {point} but AD gives {left!r}; "
                            "this is a bug in diffcli, please report it")


def derive(expr: str | Graph, wrt: str | None = None, *, let: Mapping[str, Any] | None = None,
           at: Mapping[str, Any] | None = None, verify: bool = True, symbolic_timeout: float | None = 5.0,
           seed: int = 0) -> Derivation:
    """Derive d/d`wrt` of `expr` step by step, and verify it (see the module docstring).

    `at` chooses the point the steps are verified at (default: a random point of the domain).
    """
    from diffcli.ad.problem import make_problem

    graph = expr if isinstance(expr, Graph) else parse(expr)
    constants_given = dict(let or {})
    variables = [name for name in graph.variables if name not in constants_given]
    if wrt is None:
        if len(variables) != 1:
            listed = ", ".join(variables) or "none"
            raise UsageError(f"f has {len(variables)} variables ({listed}): choose one with --wrt")
        wrt = variables[0]
    problem = make_problem(graph, {name: 1.0 for name in variables}, constants_given, [wrt])
    constants = {name: problem.point[name] for name in problem.constants}
    _check_size(graph)
    if at is not None:
        given = make_problem(graph, at, constants_given, [wrt])
        tensors = [name for name in variables if np.ndim(given.point[name]) != 0]
        if tensors:
            raise UsageError(f"--at: steps derives formulas in scalar variables, but '{tensors[0]}' is a tensor")
        point = {name: float(given.point[name]) for name in variables}
    else:
        point = _verification_point(graph, wrt, constants, seed) if verify else None
    deriver = _Deriver(graph, wrt, {**(point or {name: 1.0 for name in variables}), **constants})
    deriver.run()
    assembled, result = deriver.assemble()
    inlined = deriver.without_names(result)
    notes = []
    if inlined is None:
        result_text = deriver.program_form(result)
        notes.append("the result keeps the program's statements: written out in full it would be too long")
        inlined = result
    else:
        result_text = show(inlined)
    derivation = Derivation(problem.expr, wrt, len(variables), deriver.steps,
                            ("D", graph.outputs[0], wrt, deriver.tree(graph.outputs[0])), assembled, inlined,
                            result_text, notes=notes)
    if not verify:
        return derivation
    if point is None:
        derivation.notes.append("no point of the domain was found, so the steps are not verified")
        return derivation
    derivation.point = point
    _verify_steps(deriver, point, constants)
    derivation.steps_verified = True
    from diffcli.checks.verdict import check

    verdict = check(graph, result_text, wrt=[wrt], let=constants_given, symbolic=symbolic_timeout is not None,
                    symbolic_timeout=symbolic_timeout, seed=seed)
    derivation.verdict = verdict
    if verdict.verdict == "wrong":
        raise MathError(f"steps: the result {result_text} disagrees with AD ({verdict.counterexample}); "
                        "this is a bug in diffcli, please report it")
    return derivation
