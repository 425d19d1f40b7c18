"""Formula text → `Graph`, through the standard library's `ast` and a whitelist.

Nothing in the text is ever executed: `ast.parse` only builds a syntax tree, and this
module walks that tree (iteratively, so a 100,000-term sum is fine), accepting only
the node types of the expression language (DESIGN §2) and turning each into graph
nodes. Anything else is a `UsageError` naming the column where it starts.

>>> g = parse("a*(a+b)")
>>> [g.ops[n] for n in range(len(g))]
['var', 'var', 'add', 'mul']
"""

from __future__ import annotations

import ast
import bisect
import math
import sys
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any, Callable

from diffcli.errors import UsageError
from diffcli.ad.graph import Graph

MAX_SOURCE_CHARS = 5_000_000
MAX_NODES = 3_000_000
_PARSER_STACK_BYTES = 512 * 1024 * 1024  # Python's C parser recurses once per chained operator
_PARSER_RECURSION_LIMIT = 250_000

CONSTANTS = {"pi": math.pi, "e": math.e}

# --------------------------------------------------------------------------- functions

Emit = Callable[[str, tuple[int, ...], dict[str, Any]], int]


@dataclass(frozen=True)
class Function:
    """A function the language knows: how many arguments, and how to build it."""

    build: Callable[[Emit, list[int], dict[str, Any]], int]
    min_args: int
    max_args: int
    keywords: frozenset[str] = frozenset()
    help: str = ""


def _unary(op: str) -> Function:
    return Function(lambda emit, a, kw: emit(op, (a[0],), {}), 1, 1)


def _binary(op: str) -> Function:
    return Function(lambda emit, a, kw: emit(op, (a[0], a[1]), {}), 2, 2)


def _log(emit: Emit, args: list[int], kw: dict[str, Any]) -> int:
    if len(args) == 1:
        return emit("log", (args[0],), {})
    return emit("div", (emit("log", (args[0],), {}), emit("log", (args[1],), {})), {})


def _extremum(pairwise: str, reduction: str) -> Function:
    def build(emit: Emit, args: list[int], kw: dict[str, Any]) -> int:
        if len(args) == 2:
            if kw:
                raise UsageError(f"{pairwise[:3]}(a, b) takes no keyword arguments")
            return emit(pairwise, (args[0], args[1]), {})
        return emit(reduction, (args[0],), kw)

    return Function(build, 1, 2, frozenset({"axis"}))


FUNCTIONS: dict[str, Function] = {
    name: _unary(op)
    for name, op in {
        "sin": "sin", "cos": "cos", "tan": "tan",
        "asin": "asin", "acos": "acos", "atan": "atan",
        "arcsin": "asin", "arccos": "acos", "arctan": "atan",
        "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
        "asinh": "asinh", "acosh": "acosh", "atanh": "atanh",
        "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
        "exp": "exp", "expm1": "expm1", "log2": "log2", "log10": "log10", "log1p": "log1p",
        "ln": "log", "sqrt": "sqrt", "cbrt": "cbrt", "abs": "abs", "sign": "sign",
        "sigmoid": "sigmoid", "relu": "relu", "softplus": "softplus",
        "detach": "detach", "stop_gradient": "detach",
    }.items()
}
FUNCTIONS.update({
    "log": Function(_log, 1, 2, help="log(x) natural, log(x, b) base b"),
    "atan2": _binary("atan2"), "arctan2": _binary("atan2"),
    "min": _extremum("minimum", "min"), "max": _extremum("maximum", "max"),
    "minimum": _binary("minimum"), "maximum": _binary("maximum"),
    "where": Function(lambda emit, a, kw: emit("where", (a[0], a[1], a[2]), {}), 3, 3),
})
FUNCTIONS.update({
    # Tensors: reductions take axis=, the rest act on whole vectors and matrices.
    **{name: Function((lambda op: lambda emit, a, kw: emit(op, (a[0],), kw))(name), 1, 1, frozenset({"axis"}))
       for name in ("sum", "mean", "prod")},
    **{name: _unary(name) for name in ("norm", "trace", "det", "logdet", "inv")},
    "dot": _binary("matmul"), "matmul": _binary("matmul"), "outer": _binary("outer"),
    "transpose": _unary("transpose"),
})

_BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
           ast.MatMult: "matmul"}
_COMPARE = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
_ALLOWED = (ast.Module, ast.Expr, ast.Assign, ast.Name, ast.Load, ast.Store, ast.Constant,
            ast.BinOp, ast.UnaryOp, ast.Call, ast.IfExp, ast.Compare, ast.BoolOp, ast.List,
            ast.Tuple, ast.Subscript, ast.Slice, ast.Attribute, ast.keyword,
            ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, *_BINARY, *_COMPARE)
_DESCRIBE = {ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator",
             ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.JoinedStr: "an f-string",
             ast.NamedExpr: "the walrus operator :=", ast.Dict: "a dict", ast.Set: "a set",
             ast.Starred: "a starred argument", ast.Await: "await", ast.Yield: "yield",
             ast.BitXor: None, ast.Mod: "the % operator", ast.FloorDiv: "the // operator",
             ast.BitAnd: "the & operator", ast.BitOr: "the | operator", ast.LShift: "<<",
             ast.RShift: ">>", ast.Invert: "the ~ operator", ast.Is: "is", ast.IsNot: "is not",
             ast.In: "in", ast.NotIn: "not in", ast.Import: "import", ast.ImportFrom: "import",
             ast.FunctionDef: "def", ast.ClassDef: "class", ast.For: "a for loop",
             ast.While: "a while loop", ast.If: "an if statement (use `a if cond else b`)",
             ast.With: "with", ast.AugAssign: "augmented assignment (write x = x + 1)",
             ast.Delete: "del", ast.Return: "return", ast.Global: "global"}


# --------------------------------------------------------------------------- columns


class _Source:
    """The original text, with `^` rewritten to `**` and a map back to real columns."""

    def __init__(self, text: str, indent: int = 0):
        self.indent = indent  # characters stripped before the first line
        self.original_lines = text.split("\n")
        # For each line, where the extra '*' of each rewritten caret ends up (sorted).
        self.extra_stars: list[list[int]] = []
        lines = []
        for line in self.original_lines:
            carets = [i for i, ch in enumerate(line) if ch == "^"] if "^" in line else []
            self.extra_stars.append([p + k + 1 for k, p in enumerate(carets)])
            lines.append(line.replace("^", "**"))
        self.rewritten_lines = lines
        self.text = "\n".join(lines)
        self._char_starts: dict[int, list[int]] = {}

    def column(self, line: int, char_offset: int) -> int:
        """1-based column in the user's text of 0-based `char_offset` in the rewritten line."""
        stars = self.extra_stars[line - 1] if 0 < line <= len(self.extra_stars) else []
        return max(char_offset - bisect.bisect_right(stars, char_offset), 0) + 1 + (self.indent if line == 1 else 0)

    def _char_offset(self, line: int, byte_offset: int) -> int:
        """ast gives UTF-8 byte offsets; columns are characters."""
        text_line = self.rewritten_lines[line - 1] if 0 < line <= len(self.rewritten_lines) else ""
        if text_line.isascii():
            return byte_offset
        starts = self._char_starts.get(line)
        if starts is None:
            starts = [0]
            for ch in text_line:
                starts.append(starts[-1] + len(ch.encode("utf-8")))
            self._char_starts[line] = starts
        return bisect.bisect_right(starts, byte_offset) - 1

    def node_position(self, node: ast.AST) -> tuple[int, int]:
        """Where a node starts — for a binary operation or comparison, where its operator is."""
        left = node.left if isinstance(node, (ast.BinOp, ast.Compare)) else None
        if left is not None and left.end_lineno is not None:
            line = left.end_lineno
            text_line = self.rewritten_lines[line - 1] if 0 < line <= len(self.rewritten_lines) else ""
            chars = self._char_offset(line, left.end_col_offset or 0)
            while chars < len(text_line) and text_line[chars] in " \t)":
                chars += 1
            if chars < len(text_line):
                return line, self.column(line, chars)
        line = getattr(node, "lineno", 1)
        chars = self._char_offset(line, getattr(node, "col_offset", 0))
        return line, self.column(line, chars)

    def error(self, message: str, node: ast.AST) -> UsageError:
        line, column = self.node_position(node)
        return UsageError(message, line=line, column=column)


def _check_characters(text: str) -> None:
    for index, ch in enumerate(text):
        if ch in "\n\t\r ":
            continue
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            line = text.count("\n", 0, index) + 1
            column = index - (text.rfind("\n", 0, index) + 1) + 1
            raise UsageError(f"control character U+{ord(ch):04X} is not allowed", line=line, column=column)


def _parse_tree(source: _Source) -> ast.Module:
    """ast.parse in a thread with a large stack: deep operator chains must not crash."""
    result: dict[str, Any] = {}

    def work() -> None:
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, _PARSER_RECURSION_LIMIT))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. "invalid decimal literal": not the user's concern
                result["tree"] = ast.parse(source.text, mode="exec")
        except BaseException as error:  # noqa: BLE001 - reported below, never re-raised raw
            result["error"] = error
        finally:
            sys.setrecursionlimit(old_limit)

    old_size = threading.stack_size()
    threading.stack_size(_PARSER_STACK_BYTES)
    try:
        worker = threading.Thread(target=work, name="diffcli-parse")
        worker.start()
    finally:
        threading.stack_size(old_size)
    worker.join()
    error = result.get("error")
    if error is None:
        return result["tree"]
    if isinstance(error, SyntaxError):
        line = error.lineno or 1
        offset = (error.offset or 1) - 1
        reason = error.msg
        if "too many nested parentheses" in reason:
            reason = "too many nested parentheses (at most 200 levels)"
        return_error = UsageError(f"syntax error: {reason}", line=line, column=source.column(line, offset))
        raise return_error from None
    if isinstance(error, (RecursionError, MemoryError)):
        raise UsageError("expression too deeply nested or too long to parse") from None
    raise UsageError(f"cannot parse the expression: {error}") from None


# --------------------------------------------------------------------------- the walker


class _Builder:
    def __init__(self, source: _Source, text: str):
        self.source = source
        self.graph = Graph(source=text)
        self.names: dict[str, int] = {}
        self.current: ast.AST | None = None
        self.list_is_tensor = False

    def emit(self, op: str, inputs: tuple[int, ...], attrs: dict[str, Any]) -> int:
        node = self.graph.add(op, inputs, tuple(sorted(attrs.items())))
        if len(self.graph) > MAX_NODES:
            raise UsageError(f"expression too large: more than {MAX_NODES:,} graph nodes")
        if node not in self.graph.columns and self.current is not None:
            self.graph.columns[node] = self.source.node_position(self.current)
        return node

    def fail(self, message: str, node: ast.AST) -> UsageError:
        return self.source.error(message, node)

    # Children that are expressions, in evaluation order.
    @staticmethod
    def children(node: ast.AST) -> list[ast.AST]:
        if isinstance(node, ast.BinOp):
            return [node.left, node.right]
        if isinstance(node, ast.UnaryOp):
            return [node.operand]
        if isinstance(node, ast.Call):
            return [*node.args, *(k.value for k in node.keywords if k.arg != "axis")]
        if isinstance(node, ast.IfExp):
            return [node.test, node.body, node.orelse]
        if isinstance(node, ast.Compare):
            return [node.left, *node.comparators]
        if isinstance(node, ast.BoolOp):
            return list(node.values)
        if isinstance(node, (ast.List, ast.Tuple)):
            return list(node.elts)
        if isinstance(node, (ast.Subscript, ast.Attribute)):
            return [node.value]
        return []

    def expression(self, root: ast.AST) -> int:
        """Build the graph of one expression tree, children before parents, no recursion."""
        done: dict[int, int] = {}
        stack: list[tuple[ast.AST, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                self.current = node
                done[id(node)] = self.node(node, [done[id(c)] for c in self.children(node)])
                continue
            self.check_allowed(node)
            stack.append((node, True))
            for child in reversed(self.children(node)):
                stack.append((child, False))
        return done[id(root)]

    def check_allowed(self, node: ast.AST) -> None:
        """Reject forbidden syntax on the way down, so the outermost problem is reported."""
        if isinstance(node, ast.Call):
            self.check_callee(node)
        elif isinstance(node, ast.Name) and node.id.startswith("__"):
            raise self.fail(f"the name '{node.id}' is not allowed", node)
        elif isinstance(node, ast.Attribute) and node.attr != "T":
            raise self.fail(f"attribute '.{node.attr}' is not allowed (only .T, the transpose)", node)
        if isinstance(node, _ALLOWED) and not isinstance(node, (ast.Module, ast.Expr, ast.Assign)):
            return
        kind = _DESCRIBE.get(type(node)) or type(node).__name__
        raise self.fail(f"{kind} is not allowed in a formula", node)

    def node(self, node: ast.AST, kids: list[int]) -> int:  # noqa: C901 - one case per syntax
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                kind = _DESCRIBE.get(type(node.op)) or type(node.op).__name__
                raise self.fail(f"{kind} is not supported", node)
            return self.emit(op, (kids[0], kids[1]), {})
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return self.emit("neg", (kids[0],), {})
            if isinstance(node.op, ast.UAdd):
                return kids[0]
            if isinstance(node.op, ast.Not):
                return self.emit("logical_not", (kids[0],), {})
            raise self.fail(f"{_DESCRIBE.get(type(node.op), 'this operator')} is not supported", node)
        if isinstance(node, ast.IfExp):
            return self.emit("where", (kids[0], kids[1], kids[2]), {})
        if isinstance(node, ast.Compare):
            result = None
            for k, operator in enumerate(node.ops):
                op = _COMPARE.get(type(operator))
                if op is None:
                    raise self.fail(f"the comparison '{_DESCRIBE.get(type(operator), '?')}' is not supported", node)
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
            if node.attr != "T":
                raise self.fail(f"attribute '.{node.attr}' is not allowed (only .T, the transpose)", node)
            return self.emit("transpose", (kids[0],), {})
        if isinstance(node, ast.Subscript):
            return self.emit("index", (kids[0],), {"index": self.static_index(node.slice)})
        raise self.fail(f"{type(node).__name__} is not allowed in a formula", node)

    def constant(self, node: ast.Constant) -> int:
        value = node.value
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
        return self.emit("const", (), {"value": _const_value(number)})

    def name(self, node: ast.Name) -> int:
        name = node.id
        if name.startswith("__"):
            raise self.fail(f"the name '{name}' is not allowed", node)
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return self.emit("const", (), {"value": _const_value(CONSTANTS[name])})
        if name in FUNCTIONS:
            raise self.fail(f"'{name}' is a function: call it, as in {name}(x)", node)
        node_id = self.graph.var(name)
        self.graph.columns.setdefault(node_id, self.source.node_position(node))
        return node_id

    def check_callee(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only named functions can be called, like sin(x)", node)
        name = node.func.id
        if name not in FUNCTIONS:
            if name in ("eval", "exec", "open", "__import__", "compile", "getattr", "globals", "input"):
                raise self.fail(f"'{name}' is not allowed: formulas are never executed", node)
            raise self.fail(f"unknown function '{name}'", node)

    def call(self, node: ast.Call, kids: list[int]) -> int:
        name = node.func.id  # type: ignore[attr-defined] - checked in check_callee
        spec = FUNCTIONS[name]
        count = len(node.args)
        if not spec.min_args <= count <= spec.max_args:
            wanted = str(spec.min_args) if spec.min_args == spec.max_args else f"{spec.min_args} to {spec.max_args}"
            raise self.fail(f"{name}() takes {wanted} argument{'s' if spec.max_args > 1 else ''}, got {count}", node)
        keywords: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg not in spec.keywords:
                raise self.fail(f"{name}() has no keyword argument '{keyword.arg}'", node)
            keywords[keyword.arg] = self.static_int(keyword.value, f"{name}(..., {keyword.arg}=)")
        try:
            return spec.build(self.emit, kids[:count], keywords)
        except UsageError as error:
            raise self.fail(error.message, node) from None

    def static_int(self, node: ast.AST, what: str) -> int | tuple[int, ...]:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.static_int(node.operand, what)
            if isinstance(inner, int):
                return -inner
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Tuple):
            return tuple(self.static_int(e, what) for e in node.elts)  # type: ignore[misc]
        if isinstance(node, ast.Constant) and node.value is None:
            return None  # type: ignore[return-value]
        raise self.fail(f"{what} needs a whole number written out", node)

    def static_index(self, node: ast.AST) -> tuple:
        """An index like `x[0]`, `x[1:]`, `A[:, 0]` as a hashable description."""
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

    def program(self, module: ast.Module) -> Graph:
        body = module.body
        if not body:
            raise UsageError("the expression is empty", column=1)
        for position, statement in enumerate(body):
            last = position == len(body) - 1
            if isinstance(statement, ast.Assign):
                self.assignment(statement, last)
            elif isinstance(statement, ast.Expr):
                if not last:
                    raise self.fail("only the last statement may be a bare expression; name the others (c = ...)", statement)
                self.final_expression(statement.value)
            else:
                kind = _DESCRIBE.get(type(statement)) or type(statement).__name__
                raise self.fail(f"{kind} is not allowed in a formula", statement)
        return self.graph

    def assignment(self, statement: ast.Assign, last: bool) -> None:
        if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
            raise self.fail("assign to one plain name, like c = a + b", statement)
        name = statement.targets[0].id
        if name.startswith("__") or name in CONSTANTS or name in FUNCTIONS:
            raise self.fail(f"cannot assign to '{name}'", statement.targets[0])
        node = self.expression(statement.value)
        self.names[name] = node
        if self.graph.ops[node] != "var":
            self.graph.labels.setdefault(node, name)
        if last:
            self.graph.outputs = [node]

    def final_expression(self, value: ast.AST) -> None:
        if isinstance(value, ast.List) and not self.list_is_tensor:
            if not value.elts:
                raise self.fail("an empty list has nothing to differentiate", value)
            self.graph.outputs = [self.expression(element) for element in value.elts]
        else:
            self.graph.outputs = [self.expression(value)]


def _const_value(number: float):
    from diffcli.ad.graph import ConstValue

    return ConstValue(number)


def parse(text: str, *, list_is_tensor: bool = False) -> Graph:
    """Parse a formula or program into a graph; raise `UsageError` with the column.

    A top-level list `[f1, f2]` is a vector-valued function (one output per entry)
    unless `list_is_tensor`, when it is a single stacked tensor.

    >>> g = parse("c = a + b; d = a*c")
    >>> g.labels[g.outputs[0]], sorted(g.variables)
    ('d', ['a', 'b'])
    """
    if not isinstance(text, str):
        raise UsageError("the expression must be text")
    if len(text) > MAX_SOURCE_CHARS:
        raise UsageError(f"expression too long: {len(text):,} characters (at most {MAX_SOURCE_CHARS:,})")
    if not text.strip():
        raise UsageError("the expression is empty")
    _check_characters(text)
    body = text.strip("\n").rstrip()
    stripped = body.lstrip(" \t")
    # " -x" is how a formula starting with '-' gets past the option parser: allow the indent.
    source = _Source(stripped, indent=len(body) - len(stripped))
    builder = _Builder(source, text)
    builder.list_is_tensor = list_is_tensor  # a value like [[1,2],[3,4]] is one matrix
    return builder.program(_parse_tree(source))
