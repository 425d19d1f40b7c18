"""Expressions → graph nodes: the walker under both formulas and programs.

The walker visits an expression tree iteratively (a 100,000-term sum is fine), accepts
only the syntax of the language (`language.ALLOWED`) and turns each piece into graph
nodes. Values are computed only when the text asks a question of them — a condition,
a loop bound, an index, `len(x)` — and then lazily, node by node, as the graph grows:
define-by-run, like PyTorch. A question about a value that depends on a variable is a
`Decision` of the graph; without a point it cannot be answered (`needs_point`).

>>> from diffcli.ad.source import Source, parse_tree
>>> source = Source("a*(a+b)")
>>> builder = ExpressionBuilder(source, "a*(a+b)")
>>> builder.straight_line(parse_tree(source)).ops
['var', 'var', 'add', 'mul']
"""

from __future__ import annotations

import ast
import math
from typing import Any, Mapping

import numpy as np

from diffcli.ad.evaluate import evaluate_node
from diffcli.ad.graph import ConstValue, Decision, Graph
from diffcli.ad.language import (BINARY, COMPARE, CONSTANTS, FORBIDDEN_CALLS, FUNCTIONS, SHAPE_FUNCTIONS, ALLOWED,
                                 describe)
from diffcli.ad.source import Source
from diffcli.errors import MathError, UsageError

MAX_NODES = 3_000_000

_UNKNOWN = object()
# Allowed syntax with nothing more to check (a call, a name, an attribute, a statement have).
_PLAIN = frozenset(ALLOWED) - {ast.Module, ast.Expr, ast.Assign, ast.Call, ast.Name, ast.Attribute}  # the value of a node that depends on a variable with no value at hand


class ExpressionBuilder:
    """Builds the graph of expressions (and of straight-line programs: assignments, then an output).

    `point` (None: no point) supplies values when the text asks a question of one;
    `given` are the names the point binds, which a program may not assign to.
    """

    program_mode = False  # set by the statement interpreter: conditional expressions are lazy there
    errors_ignored = False  # True while the whole run is under np.errstate(all="ignore")

    def __init__(self, source: Source, text: str, point: Mapping[str, Any] | None = None):
        self.source = source
        self.graph = Graph(source=text)
        self.names: dict[str, Any] = {}
        self.current: ast.AST | None = None
        self.list_is_tensor = False
        self.point = point
        self.given = frozenset(point or ())
        self.values: list[Any] = []
        self.varying: list[bool] = []  # does the node's value depend on a variable?
        self.incomplete = False  # has a variable without a value been met?
        self.first_read: dict[str, ast.AST] = {}  # where each input variable is first read
        self.constants: dict[tuple[float, float], int] = {}
        self.assigned_later: frozenset[str] = frozenset()  # a formula's assigned names: not inputs
        self.places: dict[int, tuple[ast.AST, int, int, str]] = {}  # a decision's line, column and text

    # ------------------------------------------------------------------ graph nodes

    def constant_node(self, number: Any) -> int:
        """A constant node; numbers written in a loop are looked up, not rebuilt, on each pass."""
        key = (number, math.copysign(1.0, number)) if type(number) is float else None
        found = self.constants.get(key) if key is not None else None
        if found is None:
            found = self.emit("const", (), {"value": ConstValue(number)})
            if key is not None:
                self.constants[key] = found
        return found

    def emit(self, op: str, inputs: tuple[int, ...], attrs: dict[str, Any]) -> int:
        graph = self.graph
        node = graph.add(op, inputs, tuple(sorted(attrs.items())) if attrs else ())
        if len(graph.ops) > MAX_NODES:
            raise self.too_large()
        columns = graph.columns
        if node not in columns and self.current is not None:
            columns[node] = self.position(self.current)
        return node

    def position(self, node: ast.AST) -> tuple[int, int]:
        """The (line, column) of graph nodes built from the syntax `node` (see `Source.node_position`)."""
        return self.source.node_position(node)

    def too_large(self) -> UsageError:
        return UsageError(f"expression too large: more than {MAX_NODES:,} graph nodes")

    def fail(self, message: str, node: ast.AST) -> UsageError:
        return self.source.error(message, node)

    # ------------------------------------------------------------------ values, lazily

    def value_of(self, node: int, where: ast.AST, purpose: str) -> Any:
        """The value of `node` at the point, computing the graph up to it on first need.

        `purpose` says what needs it, for the error without a point; `{}` there stands for
        the text of `where` (filled in only then: a loop asks on every pass)."""
        values = self.values
        if len(values) <= node:
            if self.errors_ignored:
                self.compute(node, where)
            else:
                with np.errstate(all="ignore"):
                    self.compute(node, where)
        value = values[node]
        if value is _UNKNOWN:
            raise self.needs_point(node, where, purpose)
        return value

    def compute(self, node: int, where: ast.AST) -> None:
        """The values of the graph's nodes up to `node` (call under np.errstate(all="ignore"))."""
        values, varying, graph = self.values, self.varying, self.graph
        ops, inputs, attrs = graph.ops, graph.inputs, graph.attrs
        for k in range(len(values), node + 1):
            op = ops[k]
            if op == "const":
                values.append(attrs[k][0][1].value)
                varying.append(False)
                continue
            if op == "var":
                name = attrs[k][0][1]
                known = self.point is not None and name in self.point
                if not known and self.point is not None:
                    raise self.fail(f"no value given for the variable '{name}' (add it to --at, "
                                    f"e.g. --at {name}=1)", self.first_read.get(name, where))
                values.append(self.point[name] if known else _UNKNOWN)  # type: ignore[index]
                varying.append(True)
                self.incomplete = self.incomplete or not known
                continue
            parents = inputs[k]
            varying.append(True in [varying[j] for j in parents])
            args = [values[j] for j in parents]
            if self.incomplete and any(a is _UNKNOWN for a in args):
                values.append(_UNKNOWN)
                continue
            value = evaluate_node(graph, k, args)
            values.append(value)
            if type(value) is np.ndarray:
                self.account(value)

    def account(self, value: np.ndarray) -> None:
        """Hook for the interpreter, which bounds the memory a program's values take."""

    def needs_point(self, node: int, where: ast.AST, purpose: str) -> UsageError:
        needed = self.graph.ancestors([node])
        names = [self.graph.attr(n, "name") for n in range(node + 1) if needed[n] and self.graph.ops[n] == "var"
                 and (self.point is None or self.graph.attr(n, "name") not in self.point)]
        name = names[0] if names else "?"
        if self.point is not None:
            return self.fail(f"no value given for the variable '{name}' (add it to --at, e.g. --at {name}=1)", where)
        return self.fail(f"{purpose.format(self.source.snippet(where))} depends on the value of '{name}': "
                         f"a program runs at a point, so give "
                         f"one (--at {name}=...)", where)

    def decide(self, node: int, where: ast.AST, kind: str) -> bool:
        """The truth of a condition, by NumPy's rules for one-element tensors; recorded if it varies."""
        what = "the condition" if kind != "if-expression" else "the condition of `a if c else b`"
        value = self.value_of(node, where, what + " `{}`")
        if type(value) is np.float64 and value == value:  # the common case: a number, not NaN
            outcome = bool(value != 0)
            self.record(node, outcome, kind, where)
            return outcome
        value = np.asarray(value, dtype=np.float64)
        line, column = self.source.start(where)  # a condition is named where it starts
        if value.size != 1:
            raise UsageError(f"{what} `{self.source.snippet(where)}` has shape {value.shape}: the truth of a tensor "
                             "with several entries is ambiguous; ask all(...) or any(...), or compare a number "
                             "such as sum(...) or norm(...)", line=line, column=column)
        number = float(value.reshape(()))
        if math.isnan(number):
            raise MathError(f"{what} `{self.source.snippet(where)}` is not a number (NaN) at this point",
                            line=line, column=column)
        outcome = number != 0
        self.record(node, outcome, kind, where)
        return outcome

    def whole_number(self, node: int, where: ast.AST, what: str, kind: str) -> int:
        """A whole number from a value (a range bound, an index); recorded if it varies."""
        value = np.asarray(self.value_of(node, where, what), dtype=np.float64)
        if value.size != 1:
            raise self.fail(f"{what.format(self.source.snippet(where))} must be one whole number, "
                            f"not a tensor of shape {value.shape}", where)
        number = float(value.reshape(()))
        if not (math.isfinite(number) and number.is_integer()):
            raise self.fail(f"{what.format(self.source.snippet(where))} must be a whole number, "
                            f"got {number:.15g}", where)
        outcome = int(number)
        self.record(node, outcome, kind, where)
        return outcome

    def record(self, node: int, outcome: bool | int, kind: str, where: ast.AST) -> None:
        if self.varying[node]:  # value_of computed it: a decision on constants is the same everywhere
            known = self.places.get(id(where))
            if known is None:
                known = self.places[id(where)] = (where, *self.source.start(where), self.source.snippet(where))
            _, line, column, text = known
            self.graph.decisions.append(Decision(node, outcome, kind, line, column, text))

    # ------------------------------------------------------------------ the walker

    def children(self, node: ast.AST) -> list[ast.AST]:
        """Children that are values, in evaluation order (static arguments are read apart)."""
        # By exact type, the commonest first: `ast.parse` makes no subclasses, and a wide
        # formula asks this once per piece of syntax.
        kind = type(node)
        if kind is ast.Name or kind is ast.Constant:
            return []
        if kind is ast.BinOp:
            return [node.left, node.right]  # type: ignore[attr-defined]
        if kind is ast.Call:
            return self.call_children(node)  # type: ignore[arg-type]
        if kind is ast.UnaryOp:
            return [node.operand]  # type: ignore[attr-defined]
        if kind is ast.IfExp:
            return [] if self.program_mode else [node.test, node.body, node.orelse]  # type: ignore[attr-defined]
        if kind is ast.Compare:
            return [node.left, *node.comparators]  # type: ignore[attr-defined]
        if kind is ast.BoolOp:
            return list(node.values)  # type: ignore[attr-defined]
        if kind is ast.List or kind is ast.Tuple:
            return list(node.elts)  # type: ignore[attr-defined]
        if kind is ast.Subscript or kind is ast.Attribute:
            return [node.value]  # type: ignore[attr-defined]
        return []

    def call_children(self, node: ast.Call) -> list[ast.AST]:
        name, receiver = self.callee(node)
        if name in SHAPE_FUNCTIONS:
            return []
        args = ([receiver] if receiver is not None else []) + list(node.args)
        spec = FUNCTIONS.get(name)
        if spec is not None and spec.static:
            args = args[:min(spec.static)]
        return [*args, *(k.value for k in node.keywords if k.arg not in ("axis",))]

    def expression(self, root: ast.AST) -> int:
        """Build the graph of one expression tree, children before parents, no recursion.

        A node is checked on the way down (`check_allowed`) and built once its children
        are: their graph nodes are then the last entries of `results`."""
        outer = self.current
        results: list[int] = []
        stack: list[tuple[ast.AST, list[ast.AST] | None]] = [(root, None)]
        while stack:
            node, kids = stack.pop()
            if kids is not None:
                self.current = node
                if kids:
                    count = len(kids)
                    built = results[-count:]
                    del results[-count:]
                else:
                    built = []
                results.append(self.node(node, built))
                continue
            self.check_allowed(node)
            kids = self.children(node)
            stack.append((node, kids))
            stack.extend((child, None) for child in reversed(kids))
        self.current = outer
        return results[-1]

    def check_allowed(self, node: ast.AST) -> None:
        """Reject forbidden syntax on the way down, so the outermost problem is reported."""
        if type(node) in _PLAIN:
            return
        if isinstance(node, ast.Call):
            self.check_callee(node)
        elif isinstance(node, ast.Name) and node.id.startswith("__"):
            raise self.fail(f"the name '{node.id}' is not allowed", node)
        elif isinstance(node, ast.Attribute) and node.attr != "T":
            raise self.fail(f"attribute '.{node.attr}' is not allowed (only .T, the transpose, "
                            "and calls of the language's functions, like u.norm())", node)
        if isinstance(node, ALLOWED) and not isinstance(node, (ast.Module, ast.Expr, ast.Assign)):
            return
        raise self.fail(f"{describe(node)} is not allowed in a formula", node)

    def node(self, node: ast.AST, kids: list[int]) -> int:  # noqa: C901 - one case per syntax
        kind = type(node)
        if kind is ast.Name:
            return self.name(node)  # type: ignore[arg-type]
        if kind is ast.Constant:
            return self.constant(node)  # type: ignore[arg-type]
        if kind is ast.BinOp:
            op = BINARY.get(type(node.op))
            if op is None:
                raise self.fail(f"{describe(node.op)} is not supported", node)
            return self.emit(op, (kids[0], kids[1]), {})
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.emit("neg", (kids[0],), {})
            if isinstance(node.op, ast.UAdd):
                return kids[0]
            if isinstance(node.op, ast.Not):
                return self.emit("logical_not", (kids[0],), {})
            raise self.fail(f"{describe(node.op)} is not supported", node)
        if isinstance(node, ast.IfExp):
            if self.program_mode:
                return self.lazy_conditional(node)
            return self.emit("where", (kids[0], kids[1], kids[2]), {})
        if isinstance(node, ast.Compare):
            result = None
            for k, operator in enumerate(node.ops):
                op = COMPARE.get(type(operator))
                if op is None:
                    raise self.fail(f"the comparison '{describe(operator)}' is not supported", node)
                term = self.emit(op, (kids[k], kids[k + 1]), {})
                result = term if result is None else self.emit("logical_and", (result, term), {})
            return result
        if isinstance(node, ast.BoolOp):
            op = "logical_and" if isinstance(node.op, ast.And) else "logical_or"
            result = kids[0]
            for kid in kids[1:]:
                result = self.emit(op, (result, kid), {})
            return result
        if isinstance(node, ast.Call):
            return self.call(node, kids)
        if isinstance(node, (ast.List, ast.Tuple)):
            if not kids:
                raise self.fail("an empty list is not a value", node)
            return self.emit("stack", tuple(kids), {})
        if isinstance(node, ast.Attribute):
            return self.emit("transpose", (kids[0],), {})
        if isinstance(node, ast.Subscript):
            return self.emit("index", (kids[0],), {"index": self.static_index(node.slice)})
        raise self.fail(f"{type(node).__name__} is not allowed in a formula", node)

    def lazy_conditional(self, node: ast.IfExp) -> int:
        """`a if c else b` in a program: like Python, only the branch taken is computed
        (a recursive function needs this for its base case); a tensor condition selects
        entry by entry, as where(c, a, b)."""
        test = self.expression(node.test)
        condition = np.asarray(self.value_of(test, node.test, "the condition `{}`"))
        if condition.size != 1:
            body, orelse = self.expression(node.body), self.expression(node.orelse)
            self.current = node
            return self.emit("where", (test, body, orelse), {})
        return self.expression(node.body if self.decide(test, node.test, "if-expression") else node.orelse)

    def constant(self, node: ast.Constant) -> int:
        value = node.value
        if type(value) is float and math.isfinite(value) or type(value) is int and abs(value) < 2 ** 53:
            return self.constant_node(float(value))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "a string" if isinstance(value, (str, bytes)) else repr(value)
            if isinstance(value, complex):
                kind = "a complex number"
            raise self.fail(f"{kind} is not allowed: only real numbers", node)
        try:
            number = float(value)
        except OverflowError:
            raise self.fail("number too large for a double-precision float", node) from None
        if not math.isfinite(number):
            raise self.fail(f"number too large for a double-precision float: {value!r}", node)
        return self.constant_node(number)

    def name(self, node: ast.Name) -> int:
        name = node.id
        if name.startswith("__"):
            raise self.fail(f"the name '{name}' is not allowed", node)
        bound = self.lookup(name, node)
        if bound is not None:
            return bound
        if name in CONSTANTS:
            return self.constant_node(CONSTANTS[name])
        if name in FUNCTIONS or name in SHAPE_FUNCTIONS:
            raise self.fail(f"'{name}' is a function: call it, as in {name}(x)", node)
        return self.input_variable(name, node)

    def lookup(self, name: str, node: ast.Name) -> int | None:
        """The node a program name holds, or None if the name is not assigned (an input)."""
        found = self.names.get(name)
        if found is None and name in self.assigned_later and name not in self.given:
            raise self.fail(f"'{name}' is used before it is assigned", node)
        return found

    def input_variable(self, name: str, node: ast.AST) -> int:
        node_id = self.graph.var(name)
        if node_id not in self.graph.columns:  # where the variable is first read
            self.graph.columns[node_id] = self.position(node)
        self.first_read.setdefault(name, node)
        return node_id

    # ------------------------------------------------------------------ calls

    def callee(self, node: ast.Call) -> tuple[str, ast.AST | None]:
        """('norm', None) for norm(u); ('norm', u) for the method call u.norm()."""
        func = node.func
        if isinstance(func, ast.Name):
            return func.id, None
        if isinstance(func, ast.Attribute) and func.attr in FUNCTIONS and func.attr != "where":
            return func.attr, func.value
        if isinstance(func, ast.Attribute):
            raise self.fail(f"only named functions can be called, like sin(x), and the language's functions as "
                            f"methods, like u.norm() or u.sum(axis=0): '.{func.attr}()' is not one", node)
        raise self.fail("only named functions can be called, like sin(x)", node)

    def check_callee(self, node: ast.Call) -> None:
        name, _ = self.callee(node)
        if name not in FUNCTIONS and name not in SHAPE_FUNCTIONS and not self.is_user_function(name):
            if name in FORBIDDEN_CALLS:
                raise self.fail(f"'{name}' is not allowed: formulas are never executed", node)
            raise self.fail(f"unknown function '{name}'", node)

    def is_user_function(self, name: str) -> bool:
        return False

    def call(self, node: ast.Call, kids: list[int]) -> int:
        name, receiver = self.callee(node)
        if name in SHAPE_FUNCTIONS:
            return self.length(node)
        spec = FUNCTIONS[name]
        positional = ([receiver] if receiver is not None else []) + list(node.args)
        count = len(positional)
        if not spec.min_args <= count <= spec.max_args and not (spec.static and receiver is not None and count > 1):
            wanted = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args} to {spec.max_args}"
            raise self.fail(f"{name}() takes {wanted} argument{'s' if spec.max_args > 1 else ''}, got {count}", node)
        keywords: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg not in spec.keywords:
                raise self.fail(f"{name}() has no keyword argument '{keyword.arg}'", node)
            keywords[keyword.arg] = self.static_int(keyword.value, f"{name}(..., {keyword.arg}=)")
        if spec.static:
            first = min(spec.static)
            shape = [self.static_int(arg, f"the shape in {name}()") for arg in positional[first:]]
            keywords["shape"] = shape[0] if len(shape) == 1 else tuple(shape)
        try:
            return spec.build(self.emit, kids, keywords)
        except UsageError as error:
            raise self.fail(error.message, node) from None

    def length(self, node: ast.Call) -> int:
        """len(x): the length of x's first axis, a whole number known from the point."""
        if len(node.args) != 1 or node.keywords:
            raise self.fail("len() takes 1 argument", node)
        argument = self.expression(node.args[0])
        value = self.value_of(argument, node.args[0], "len({})")
        if np.ndim(value) == 0:
            raise self.fail("len() of a number: it has no length (give a vector or a matrix)", node)
        self.current = node
        return self.constant_node(float(np.shape(value)[0]))

    def static_int(self, node: ast.AST, what: str) -> Any:
        """A whole number the text fixes: written out (x[0], axis=1) or, in a program, computed (x[i])."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.static_int(node.operand, what)
            if isinstance(inner, int):
                return -inner
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Tuple):
            return tuple(self.static_int(e, what) for e in node.elts)
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, ast.Constant) or not self.program_mode and not isinstance(node, ast.Name):
            raise self.fail(f"{what} needs a whole number written out", node)
        return self.whole_number(self.expression(node), node, what + " `{}`", "index")

    def static_index(self, node: ast.AST) -> tuple:
        """An index like `x[0]`, `x[1:]`, `A[:, 0]`, `x[i]` as a hashable description."""
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        out: list[Any] = []
        for part in parts:
            if isinstance(part, ast.Slice):
                bounds = []
                for bound in (part.lower, part.upper, part.step):
                    bounds.append(None if bound is None else self.static_int(bound, "a slice bound"))
                out.append(("slice", *bounds))
            else:
                position = self.static_int(part, "an index")
                if not isinstance(position, int):
                    raise self.fail("an index must be a whole number, like x[0] or x[-1]", part)
                out.append(("at", position))
        return tuple(out)

    # ------------------------------------------------------------------ straight-line programs

    def straight_line(self, module: ast.Module) -> Graph:
        """Assignments, then the output: the program of a formula (`c = a + b; d = a*c`)."""
        body = module.body
        if not body:
            raise UsageError("the expression is empty", column=1)
        self.assigned_later = frozenset(t.id for s in body if isinstance(s, ast.Assign)
                                        for t in s.targets if isinstance(t, ast.Name))
        for position, statement in enumerate(body):
            last = position == len(body) - 1
            if isinstance(statement, ast.Assign):
                self.assignment(statement, last)
            elif isinstance(statement, ast.Expr):
                if not last:
                    raise self.fail("only the last statement may be a bare expression; name the others (c = ...)",
                                    statement)
                self.final_expression(statement.value)
            else:
                raise self.fail(f"{describe(statement)} is not allowed in a formula", statement)
        return self.graph

    def assignment(self, statement: ast.Assign, last: bool) -> None:
        if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
            raise self.fail("assign to one plain name, like c = a + b", statement)
        target = statement.targets[0]
        node = self.expression(statement.value)
        self.check_target(target)
        self.names[target.id] = node
        if self.graph.ops[node] != "var":
            self.graph.labels.setdefault(node, target.id)
        if last:
            self.graph.outputs = [node]

    def check_target(self, target: ast.Name) -> None:
        """A name a program may assign: not a constant or function, and never one of its inputs."""
        name = target.id
        if name.startswith("__") or name in CONSTANTS or name in FUNCTIONS or name in SHAPE_FUNCTIONS:
            raise self.fail(f"cannot assign to '{name}'", target)
        if name in self.given or name in self.graph.variables:
            why = "it is given in --at/--let" if name in self.given else "it is an input, read before this line"
            raise self.fail(f"cannot assign to '{name}': {why}, and a program may not overwrite its inputs "
                            f"(derivatives are taken with respect to the value given); use a new name, "
                            f"like {name}2 = ...", target)

    def final_expression(self, value: ast.AST) -> None:
        if isinstance(value, ast.List) and not self.list_is_tensor:
            if not value.elts:
                raise self.fail("an empty list has nothing to differentiate", value)
            self.graph.outputs = [self.expression(element) for element in value.elts]
        else:
            self.graph.outputs = [self.expression(value)]
