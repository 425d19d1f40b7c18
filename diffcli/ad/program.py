"""Programs with control flow, run at a point into the graph of the path taken (define-by-run).

The statements are read from Python's syntax tree and interpreted here — nothing is
ever executed by Python. `if`/`while` conditions, `range` bounds and computed indices
are decided by the values at the point, exactly as PyTorch records a tape: the graph
holds only the operations the run performed, so every derivative (forward, reverse,
Hessian, SymPy's) is the derivative of the path taken. Each choice that depended on a
variable is kept as a `Decision`, so another point can tell whether it follows the same
path (`paths.py`), and `Graph.rerun` runs the program again where it does not.

The language: assignment and `+= -= *= /= **= @=`, `if/elif/else`, `while` (with
`else`), `for NAME in range(...)`, `break`, `continue`, `pass`, `def NAME(params): …
return EXPR` (read globals like Python, recurse, nest), `with no_grad():` (values
assigned inside carry no derivative, like detach), and every expression of a formula.
The output is the last statement: an expression, or the value a final assignment stores.

>>> from diffcli.ad.parse import parse_at
>>> graph = parse_at("y = x*2\\nwhile y < 10:\\n    y = y*2\\ny", {"x": 1.5})
>>> [d.outcome for d in graph.decisions], [graph.labels[n] for n in sorted(graph.labels)]
([True, True, False], ['y₀', 'y₁', 'y₂'])
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np

from diffcli.ad import expressions
from diffcli.ad.expressions import ExpressionBuilder
from diffcli.ad.graph import Graph
from diffcli.ad.language import BINARY, CONSTANTS, FUNCTIONS, SHAPE_FUNCTIONS, describe
from diffcli.ad.source import Source, on_deep_stack
from diffcli.errors import UsageError

# The limits of one run, tunable here (README, Limits). A program stops with one line
# naming the loop or call that ran away, never hangs: 50,000 steps of a small loop take
# about a second (bench/RESULTS.md, programs).
MAX_ITERATIONS = 50_000           # loop iterations and function calls, in total
MAX_CALL_DEPTH = 200              # nested calls of the program's own functions
MAX_PROGRAM_ENTRIES = 50_000_000  # numbers held by all the values one run computes (400 MB)

STATEMENTS = (ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.While, ast.For, ast.Break, ast.Continue,
              ast.Pass, ast.FunctionDef, ast.Return, ast.With)
SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
RETAIN_PREFIX = "__retain_"  # parse refuses dunder names, so no clash with a user's variable


@dataclass
class UserFunction:
    """A `def` of the program, with the scope it was defined in (its closure)."""

    definition: ast.FunctionDef
    params: list[str]
    local_names: frozenset[str]
    closure: "Frame"


@dataclass
class Frame:
    """One scope: the program's globals, or one call of a user function."""

    local_names: frozenset[str]
    parent: "Frame | None" = None
    function: UserFunction | None = None
    names: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Return:
    value: int


_BREAK, _CONTINUE = "break", "continue"


class Interpreter(ExpressionBuilder):
    """Runs a program's statements, building the graph of the path taken at the point."""

    program_mode = True

    def __init__(self, source: Source, text: str, point: Mapping[str, Any] | None = None,
                 retain: Mapping[str, int] | None = None):
        super().__init__(source, text, point)
        self.frame: Frame = Frame(frozenset())
        self.depth = 0
        self.steps = 0
        self.entries = 0
        self.no_grad = 0
        self.loops: list[ast.AST] = []
        self.assignments: list[tuple[int, str]] = []
        self.versions: dict[str, int] = {}  # top-level name -> how many times assigned
        self.retain = dict(retain or {})    # top-level name -> the version whose gradient is kept
        self.retained: dict[str, str] = {}  # name -> the variable ε added to that version
        self.function_names: set[str] = set()
        self.output_name: str | None = None
        self.local_sets: dict[int, frozenset[str]] = {}
        self.plans: dict[int, tuple[ast.AST, list[tuple[ast.AST, tuple[int, ...]]]]] = {}
        self.positions: dict[int, tuple[ast.AST, tuple[int, int]]] = {}

    # ------------------------------------------------------------------ the run

    def run(self, module: ast.Module) -> Graph:
        body = module.body
        if not body:
            raise UsageError("the expression is empty", column=1)
        self.function_names = {n.name for n in ast.walk(module) if isinstance(n, ast.FunctionDef)}
        self.validate(body, in_loop=False, in_function=False, top=True)
        last = body[-1]
        if not isinstance(last, (ast.Expr, ast.Assign)):
            raise self.fail(f"a program ends with its output: an expression or an assignment, not {describe(last)}; "
                            "add a last line naming the result (like `y`)", last)
        self.frame = Frame(assigned_names(body))
        # Every node is computed as it is made: one floating-point error state for the whole
        # run, not one entered per node.
        with np.errstate(all="ignore"):
            self.errors_ignored = True
            try:
                signal = self.block(body[:-1])
                if signal is not None:  # validate() keeps break, continue and return inside loops and functions
                    raise self.fail("this statement cannot end the program", last)
                if isinstance(last, ast.Expr):
                    self.final_expression(last.value)
                else:
                    self.output_name = last.targets[0].id  # type: ignore[attr-defined]
                    self.graph.outputs = [self.assign(last)]
            finally:
                self.errors_ignored = False
        self.label()
        return self.graph

    def label(self) -> None:
        """Names assigned once are labels as they are; names assigned again are y₀, y₁, … in run order."""
        counts: dict[str, int] = {}
        for _, name in self.assignments:
            counts[name] = counts.get(name, 0) + 1
        seen: dict[str, int] = {}
        for node, name in self.assignments:
            version = seen.get(name, 0)
            seen[name] = version + 1
            if self.graph.ops[node] in ("var", "const"):
                continue
            text = name if counts[name] == 1 else name + str(version).translate(SUBSCRIPT_DIGITS)
            self.graph.labels.setdefault(node, text)

    # ------------------------------------------------------------------ checks before running

    def validate(self, body: list[ast.stmt], in_loop: bool, in_function: bool, top: bool = False) -> None:
        """Every statement, also in branches the point will not take: the whitelist, and
        break/continue inside a loop, return inside a function."""
        for statement in body:
            if not isinstance(statement, STATEMENTS):
                raise self.fail(f"{describe(statement)} is not allowed in a program", statement)
            if isinstance(statement, (ast.Break, ast.Continue)) and not in_loop:
                raise self.fail(f"'{describe(statement)}' outside a loop", statement)
            if isinstance(statement, ast.Return) and not in_function:
                raise self.fail("'return' outside a function", statement)
            if isinstance(statement, ast.Expr) and not (top and statement is body[-1]):
                raise self.fail("a bare expression does nothing here: assign it (c = ...) or return it; only the "
                                "program's last line may be a bare expression (its output)", statement)
            self.validate_statement(statement, in_loop, in_function)

    def validate_statement(self, statement: ast.stmt, in_loop: bool, in_function: bool) -> None:  # noqa: C901
        for expression in statement_expressions(statement):
            self.validate_expression(expression)
        if isinstance(statement, ast.Assign):
            if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
                raise self.fail("assign to one plain name, like c = a + b", statement)
        elif isinstance(statement, ast.AugAssign):
            if not isinstance(statement.target, ast.Name):
                raise self.fail("assign to one plain name, like c += 1", statement)
            if type(statement.op) not in BINARY:
                raise self.fail(f"{describe(statement.op)} is not supported", statement)
        elif isinstance(statement, ast.For):
            if not isinstance(statement.target, ast.Name):
                raise self.fail("a for loop counts with one name: for i in range(n)", statement.target)
            iterator = statement.iter
            if not (isinstance(iterator, ast.Call) and isinstance(iterator.func, ast.Name)
                    and iterator.func.id == "range" and 1 <= len(iterator.args) <= 3 and not iterator.keywords):
                raise self.fail("a for loop runs over range(...) with 1 to 3 whole numbers, "
                                "like for i in range(n) or for i in range(len(x))", iterator)
            self.validate(statement.body, True, in_function)
            self.validate(statement.orelse, in_loop, in_function)
        elif isinstance(statement, ast.While):
            self.validate(statement.body, True, in_function)
            self.validate(statement.orelse, in_loop, in_function)
        elif isinstance(statement, ast.If):
            self.validate(statement.body, in_loop, in_function)
            self.validate(statement.orelse, in_loop, in_function)
        elif isinstance(statement, ast.With):
            item = statement.items[0]
            call = item.context_expr
            if len(statement.items) != 1 or item.optional_vars is not None or not (
                    isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "no_grad"
                    and not call.args and not call.keywords):
                raise self.fail("the only `with` is `with no_grad():`", statement)
            self.validate(statement.body, in_loop, in_function)
        elif isinstance(statement, ast.FunctionDef):
            arguments = statement.args
            if (statement.decorator_list or arguments.vararg or arguments.kwarg or arguments.kwonlyargs
                    or arguments.posonlyargs or arguments.defaults or getattr(statement, "type_params", None)):
                raise self.fail("a function takes plain parameters: def f(a, b):", statement)
            if statement.name in FUNCTIONS or statement.name in SHAPE_FUNCTIONS or statement.name in CONSTANTS \
                    or statement.name.startswith("__"):
                raise self.fail(f"cannot define '{statement.name}': the name is taken by the language", statement)
            params = [a.arg for a in arguments.args]
            repeated = [p for p in params if params.count(p) > 1]
            if repeated:
                raise self.fail(f"the parameter '{repeated[0]}' is named twice", statement)
            self.local_sets[id(statement)] = frozenset(params) | assigned_names(statement.body)
            self.validate(statement.body, False, True)
        elif isinstance(statement, ast.Return):
            if statement.value is None:
                raise self.fail("return needs a value: return EXPR", statement)

    def validate_expression(self, expression: ast.AST) -> None:
        """The expression whitelist, checked before the run (a branch not taken is checked too)."""
        callees = set()
        for node in ast.walk(expression):
            if id(node) in callees:
                continue  # a method's name (u.norm) is checked with its call
            if isinstance(node, ast.Call):
                callees.add(id(node.func))
            self.check_allowed(node)

    # ------------------------------------------------------------------ statements

    def block(self, body: list[ast.stmt]) -> Any:
        """Run statements in order; return None, or the break/continue/return that stopped them."""
        for statement in body:
            signal = self.statement(statement)
            if signal is not None:
                return signal
        return None

    def statement(self, statement: ast.stmt) -> Any:  # noqa: C901 - one case per statement
        if isinstance(statement, ast.Assign):
            self.assign(statement)
        elif isinstance(statement, ast.AugAssign):
            self.augmented(statement)
        elif isinstance(statement, ast.If):
            return self.block(statement.body if self.condition(statement.test, "if") else statement.orelse)
        elif isinstance(statement, ast.While):
            return self.while_loop(statement)
        elif isinstance(statement, ast.For):
            return self.for_loop(statement)
        elif isinstance(statement, ast.Break):
            return _BREAK
        elif isinstance(statement, ast.Continue):
            return _CONTINUE
        elif isinstance(statement, ast.Return):
            return _Return(self.store_value(self.expression(statement.value), statement))
        elif isinstance(statement, ast.FunctionDef):
            self.define(statement)
        elif isinstance(statement, ast.With):
            self.no_grad += 1
            try:
                return self.block(statement.body)
            finally:
                self.no_grad -= 1
        return None

    def assign(self, statement: ast.Assign) -> int:
        target = statement.targets[0]
        return self.bind(target, self.expression(statement.value), statement)  # type: ignore[arg-type]

    def augmented(self, statement: ast.AugAssign) -> int:
        target = statement.target
        current = self.name(target)  # type: ignore[arg-type] - reads the name's value, as y += 1 does
        right = self.expression(statement.value)
        self.current = statement
        node = self.emit(BINARY[type(statement.op)], (current, right), {})
        return self.bind(target, node, statement)  # type: ignore[arg-type]

    def store_value(self, node: int, statement: ast.stmt) -> int:
        """Under `with no_grad():`, what is stored carries no derivative."""
        if self.no_grad and self.graph.ops[node] != "const":
            self.current = statement
            return self.emit("detach", (node,), {})
        return node

    def bind(self, target: ast.Name, node: int, statement: ast.stmt, counter: bool = False) -> int:
        name = target.id
        self.check_target(target)
        node = self.store_value(node, statement)
        if self.frame.function is None and not counter:
            version = self.versions.get(name, 0)
            self.versions[name] = version + 1
            if self.retain.get(name) == version:
                node = self.retain_site(name, node, statement)
        self.frame.names[name] = node
        self.assignments.append((node, name))
        return node

    def check_target(self, target: ast.Name) -> None:
        name = target.id
        if name in self.function_names and isinstance(self.frame.names.get(name), UserFunction):
            raise self.fail(f"cannot assign to '{name}': it is a function of the program", target)
        if self.frame.function is not None:  # a function's names are its own locals, as in Python
            if name.startswith("__") or name in CONSTANTS or name in FUNCTIONS or name in SHAPE_FUNCTIONS:
                raise self.fail(f"cannot assign to '{name}'", target)
            return
        super().check_target(target)

    def retain_site(self, name: str, node: int, statement: ast.stmt) -> int:
        """y + ε_y with ε_y = 0: ∂out/∂ε_y is y's own gradient (PyTorch's retain_grad), even where
        hash-consing merged y with an equal expression."""
        variable = RETAIN_PREFIX + name
        shape = np.shape(self.value_of(node, statement, "'" + name.replace("{", "{{").replace("}", "}}") + "'"))
        self.point = {**(self.point or {}), variable: np.zeros(shape) if shape else np.float64(0.0)}
        self.retained[name] = variable
        self.current = statement
        return self.emit("add", (node, self.graph.var(variable)), {})

    # ------------------------------------------------------------------ conditions and loops

    def condition(self, test: ast.AST, kind: str) -> bool:
        """A condition's truth at the point; `and`/`or` short-circuit as in Python."""
        if isinstance(test, ast.BoolOp):
            is_and = isinstance(test.op, ast.And)
            for value in test.values:
                if self.condition(value, "and" if is_and else "or") != is_and:
                    return not is_and
            return is_and
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return not self.condition(test.operand, kind)
        return self.decide(self.expression(test), test, kind)

    def tick(self, where: ast.AST, what: str) -> None:
        self.steps += 1
        if self.steps > MAX_ITERATIONS:
            raise self.fail(f"{what} stopped after {MAX_ITERATIONS:,} loop iterations and calls in all "
                            "(the limit of one program run): a loop that never ends?", where)

    def loop(self, statement: ast.While | ast.For, passes: Iterator[None]) -> Any:
        """The body once per pass: `break` ends the loop, `return` leaves it, else its `else` block runs."""
        self.loops.append(statement)
        try:
            for _ in passes:
                signal = self.block(statement.body)
                if signal == _BREAK:
                    return None
                if isinstance(signal, _Return):
                    return signal
        finally:
            self.loops.pop()
        return self.block(statement.orelse)

    def while_loop(self, statement: ast.While) -> Any:
        def passes() -> Iterator[None]:
            while True:
                self.tick(statement, "the while loop")
                if not self.condition(statement.test, "while"):
                    return
                yield

        return self.loop(statement, passes())

    def for_loop(self, statement: ast.For) -> Any:
        bounds = [self.whole_number(self.expression(argument), argument, "the range() bound `{}`", "range")
                  for argument in statement.iter.args]  # type: ignore[attr-defined]
        if len(bounds) == 3 and bounds[2] == 0:
            raise self.fail("range() step must not be zero", statement.iter)

        def passes() -> Iterator[None]:
            for counter in range(*bounds):
                self.tick(statement, "the for loop")
                self.current = statement.target
                self.bind(statement.target, self.constant_node(float(counter)), statement,  # type: ignore[arg-type]
                          counter=True)
                yield

        return self.loop(statement, passes())

    # ------------------------------------------------------------------ functions

    def define(self, statement: ast.FunctionDef) -> None:
        function = UserFunction(statement, [a.arg for a in statement.args.args], self.local_sets[id(statement)],
                                self.frame)
        if self.frame.function is None and (statement.name in self.given or statement.name in self.graph.variables):
            raise self.fail(f"cannot define '{statement.name}': it is an input of the program", statement)
        self.frame.names[statement.name] = function

    def is_user_function(self, name: str) -> bool:
        return name in self.function_names

    def find(self, name: str) -> tuple[Any, Frame | None]:
        """What `name` holds, looking outwards from the current scope (None: not assigned anywhere)."""
        frame: Frame | None = self.frame
        while frame is not None:
            if name in frame.names:
                return frame.names[name], frame
            if name in frame.local_names and not (frame.parent is None and name in self.given):
                return None, frame  # a local of that scope, not assigned yet
            frame = frame.parent
        return None, None

    def lookup(self, name: str, node: ast.Name) -> int | None:
        found, frame = self.find(name)
        if isinstance(found, UserFunction):
            raise self.fail(f"'{name}' is a function: call it, as in {name}(x)", node)
        if found is None and frame is not None:
            raise self.fail(f"'{name}' is used before it is assigned", node)
        return found

    def call_children(self, node: ast.Call) -> list[ast.AST]:
        if isinstance(node.func, ast.Name) and node.func.id in self.function_names:
            return list(node.args)
        return super().call_children(node)

    def expression(self, root: ast.AST) -> int:
        """Like the formula walker, from a plan made once per expression: a loop runs it often."""
        plan = self.plans.get(id(root))
        if plan is None:
            plan = self.plans[id(root)] = (root, self.plan(root))
        outer = self.current
        results: list[int] = []
        for node, kids in plan[1]:
            self.current = node
            results.append(self.node(node, [results[k] for k in kids]))
        self.current = outer
        return results[-1]

    def plan(self, root: ast.AST) -> list[tuple[ast.AST, tuple[int, ...]]]:
        """The expression's nodes children first, each with the positions of its children's results
        (the syntax was checked before the run)."""
        order: list[tuple[ast.AST, tuple[int, ...]]] = []
        position: dict[int, int] = {}
        stack: list[tuple[ast.AST, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                position[id(node)] = len(order)
                order.append((node, tuple(position[id(c)] for c in self.children(node))))
                continue
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(self.children(node)))
        return order

    def call(self, node: ast.Call, kids: list[int]) -> int:
        if isinstance(node.func, ast.Name):
            function, _ = self.find(node.func.id)
            if isinstance(function, UserFunction):
                return self.call_user(function, node, kids)
            if node.func.id in self.function_names and node.func.id not in FUNCTIONS:
                raise self.fail(f"'{node.func.id}' is called before its def runs", node)
        return super().call(node, kids)

    def call_user(self, function: UserFunction, node: ast.Call, kids: list[int]) -> int:
        name = function.definition.name
        if node.keywords:
            raise self.fail(f"{name}() takes its arguments by position", node)
        if len(kids) != len(function.params):
            raise self.fail(f"{name}() takes {len(function.params)} argument"
                            f"{'s' if len(function.params) != 1 else ''}, got {len(kids)}", node)
        if self.depth >= MAX_CALL_DEPTH:
            raise self.fail(f"'{name}' called itself more than {MAX_CALL_DEPTH} levels deep "
                            "(the limit on nested calls): a recursion that never ends?", node)
        self.tick(node, f"the call of '{name}'")
        caller = self.frame
        self.frame = Frame(function.local_names, function.closure, function,
                           dict(zip(function.params, kids)))
        for param, kid in zip(function.params, kids):
            self.assignments.append((kid, param))
        self.depth += 1
        try:
            signal = self.block(function.definition.body)
        finally:
            self.depth -= 1
            self.frame = caller
        if not isinstance(signal, _Return):
            raise self.fail(f"'{name}' ended without `return`: a function gives its value with return EXPR", node)
        self.current = node
        return signal.value

    def position(self, node: ast.AST) -> tuple[int, int]:
        """A loop asks for the same syntax's position on every pass: remember it, keeping the
        syntax node alive so its id is never reused for another."""
        known = self.positions.get(id(node))
        if known is None:
            known = self.positions[id(node)] = (node, self.source.node_position(node))
        return known[1]

    # ------------------------------------------------------------------ limits

    def emit(self, op: str, inputs: tuple[int, ...], attrs: dict[str, Any]) -> int:
        """Each node is computed as soon as it is made, like PyTorch's eager ops: a shape error
        names its own line, and the memory a run takes is bounded as it grows."""
        node = super().emit(op, inputs, attrs)
        if self.point is not None and len(self.values) <= node:
            self.value_of(node, self.current if self.current is not None else ast.Pass(), "this value")
        return node

    def too_large(self) -> UsageError:
        if self.loops:
            return self.fail(f"the loop built more than {expressions.MAX_NODES:,} graph nodes (the graph-size limit)",
                             self.loops[-1])
        return super().too_large()

    def account(self, value: np.ndarray) -> None:
        self.entries += value.size
        if self.entries > MAX_PROGRAM_ENTRIES:
            where = self.loops[-1] if self.loops else self.current
            message = (f"the program's values hold more than {MAX_PROGRAM_ENTRIES:,} numbers in all "
                       "(the memory limit of one run)")
            raise self.fail(message, where) if where is not None else UsageError(message)


def assigned_names(body: list[ast.stmt]) -> frozenset[str]:
    """The names a block assigns (for loops, nested blocks and defs included, their bodies not):
    Python's rule for which names are local to a scope."""
    names: set[str] = set()
    stack = list(body)
    while stack:
        statement = stack.pop()
        if isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, (ast.AugAssign, ast.For)) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
        elif isinstance(statement, ast.FunctionDef):
            names.add(statement.name)
            continue
        for child in ("body", "orelse"):
            stack.extend(getattr(statement, child, []))
    return frozenset(names)


def statement_expressions(statement: ast.stmt) -> list[ast.AST]:
    """The expressions a statement evaluates (not those of the blocks inside it)."""
    if isinstance(statement, (ast.Assign, ast.Expr, ast.Return)):
        return [statement.value] if statement.value is not None else []
    if isinstance(statement, ast.AugAssign):
        return [statement.value]
    if isinstance(statement, (ast.If, ast.While)):
        return [statement.test]
    if isinstance(statement, ast.For) and isinstance(statement.iter, ast.Call):
        return list(statement.iter.args)
    return []


def run_program(source: Source, module: ast.Module, text: str, point: Mapping[str, Any] | None,
                given: frozenset[str] | None = None, retain: Mapping[str, int] | None = None) -> Interpreter:
    """Run a parsed program at `point` (None: no point; a decision then needs one); the
    interpreter afterwards holds the graph, the names it assigned and what it retained."""
    machine = Interpreter(source, text, point, retain)
    if given is not None:
        machine.given = given
    try:
        on_deep_stack(lambda: machine.run(module))
    except RecursionError:
        raise UsageError("the program nests too deeply to run") from None
    return machine
