"""The language's vocabulary: its functions, operators, constants, and the syntax it refuses.

Each function is a spelling and a way to build graph nodes from the op table
(`primitives`); the same function is reachable as a method of its first argument
(`u.norm()` is `norm(u)`, `u.sum(axis=0)` is `sum(u, axis=0)`), as in PyTorch and NumPy.

>>> sorted(n for n in FUNCTIONS if n.startswith("log"))
['log', 'log10', 'log1p', 'log2', 'logdet']
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any, Callable

from diffcli.errors import UsageError

CONSTANTS = {"pi": math.pi, "e": math.e}

Emit = Callable[[str, tuple[int, ...], dict[str, Any]], int]


@dataclass(frozen=True)
class Function:
    """A function the language knows: how many arguments, and how to build it."""

    build: Callable[[Emit, list[int], dict[str, Any]], int]
    min_args: int
    max_args: int
    keywords: frozenset[str] = frozenset()
    help: str = ""
    static: tuple[int, ...] = ()  # positions of arguments that are whole numbers (shapes), not values


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


def _truth_reduction(reduction: str) -> Function:
    """all(c) / any(c): is every (some) entry nonzero — the NumPy way to ask a tensor a question."""
    def build(emit: Emit, args: list[int], kw: dict[str, Any]) -> int:
        zero = emit("const", (), {"value": _zero()})
        return emit(reduction, (emit("ne", (args[0], zero), {}),), kw)

    return Function(build, 1, 1, frozenset({"axis"}))


def _zero() -> Any:
    from diffcli.ad.graph import ConstValue

    return ConstValue(0.0)


def _reshape(emit: Emit, args: list[int], kw: dict[str, Any]) -> int:
    shape = kw["shape"]
    return emit("reshape", (args[0],), {"shape": shape if isinstance(shape, tuple) else (shape,)})


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
    "all": _truth_reduction("min"), "any": _truth_reduction("max"),
    # reshape(x, (2, 3)) and x.reshape(2, 3): the shape is whole numbers, read when the text is.
    "reshape": Function(_reshape, 2, 2, static=(1,)),
})

# Functions that read a value's shape, not build nodes: they need the point (or constants).
SHAPE_FUNCTIONS = frozenset({"len"})

BINARY = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
          ast.MatMult: "matmul"}
COMPARE = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
ALLOWED = (ast.Module, ast.Expr, ast.Assign, ast.Name, ast.Load, ast.Store, ast.Constant,
           ast.BinOp, ast.UnaryOp, ast.Call, ast.IfExp, ast.Compare, ast.BoolOp, ast.List,
           ast.Tuple, ast.Subscript, ast.Slice, ast.Attribute, ast.keyword,
           ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, *BINARY, *COMPARE)
DESCRIBE = {ast.Lambda: "a lambda", ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator",
            ast.SetComp: "a comprehension", ast.DictComp: "a comprehension", ast.JoinedStr: "an f-string",
            ast.NamedExpr: "the walrus operator :=", ast.Dict: "a dict", ast.Set: "a set",
            ast.Starred: "a starred argument", ast.Await: "await", ast.Yield: "yield",
            ast.YieldFrom: "yield", ast.BitXor: None, ast.Mod: "the % operator",
            ast.FloorDiv: "the // operator", ast.BitAnd: "the & operator", ast.BitOr: "the | operator",
            ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "the ~ operator", ast.Is: "is",
            ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in", ast.Import: "import",
            ast.ImportFrom: "import", ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def",
            ast.ClassDef: "class", ast.For: "a for loop", ast.AsyncFor: "async for",
            ast.While: "a while loop", ast.If: "an if statement", ast.With: "with",
            ast.AsyncWith: "async with", ast.AugAssign: "augmented assignment", ast.Delete: "del",
            ast.Return: "return", ast.Global: "global", ast.Nonlocal: "nonlocal",
            ast.Try: "try", ast.Raise: "raise", ast.Assert: "assert", ast.AnnAssign: "an annotated assignment",
            ast.Match: "match", ast.Break: "break", ast.Continue: "continue", ast.Pass: "pass"}
if hasattr(ast, "TryStar"):
    DESCRIBE[ast.TryStar] = "try"

# Built-in names a formula might reach for to escape: a pointed message, not "unknown function".
FORBIDDEN_CALLS = frozenset({"eval", "exec", "open", "__import__", "compile", "getattr", "globals", "input"})


def describe(node: ast.AST) -> str:
    """'a while loop', 'the % operator': how an error names a piece of syntax."""
    return DESCRIBE.get(type(node)) or type(node).__name__
