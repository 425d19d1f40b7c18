"""Small expression trees for showing a derivation: built from graphs, tidied, printed three ways.

A derivation is shown as a person writes it, so its expressions are trees (a graph's
shared nodes written out where they occur), with *pending derivatives* d/dx[u] as
leaves that the next steps rewrite. `tidy` does what a person does without thinking —
fold numbers, merge x·x into x², collect 3x² + 6x² — and nothing clever: no expansion,
no trigonometric identities. Each printed expression is checked elsewhere against AD,
so tidying cannot silently change a value.

Trees are tuples (hashable, so equal subtrees compare equal):
("num", Fraction | float), ("sym", text, value) for π, e, log(2), log(10),
("var", name), ("D", node, variable, tree), ("add", terms), ("sub", a, b), ("neg", a),
("mul", factors), ("div", a, b), ("pow", base, exponent), ("call", op, args).

>>> x = ("var", "x")
>>> messy = ("sub", ("mul", (number(3), ("mul", (number(3), ("pow", x, number(2)))))),
...          ("mul", (number(5), ("mul", (number(2), x)))))
>>> [show(tidy(messy), style) for style in ("formula", "text", "latex")]
['9*x**2 - 10*x', '9x² − 10x', '9 x^{2} - 10 x']
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

Tree = tuple

ONE_TREE: Tree = ("num", Fraction(1))
ZERO_TREE: Tree = ("num", Fraction(0))
# Irrational constants that derivative rules and formulas use, shown by name.
NAMED_CONSTANTS = {math.pi: "pi", math.e: "e", math.log(2.0): "log(2)", math.log(10.0): "log(10)"}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_LETTER_POWER = re.compile(r"^[A-Za-zα-ω][⁰¹²³⁴⁵⁶⁷⁸⁹⁻]*$")


def number(value: Any) -> Tree:
    """A number as a tree: exact when it is a short decimal (0.5 -> 1/2), else by name or as a float."""
    if isinstance(value, Fraction):
        return ("num", value)
    value = float(value)
    if value in NAMED_CONSTANTS:
        return ("sym", NAMED_CONSTANTS[value], value)
    if value != 0 and 1.0 / value in NAMED_CONSTANTS:  # 1/ln 2, as derivative rules write it
        return ("pow", number(1.0 / value), ("num", Fraction(-1)))
    if math.isfinite(value):
        text = repr(value)
        if len(text.replace("-", "").replace(".", "").lstrip("0")) <= 8 and "e" not in text:
            return ("num", Fraction(text))
    return ("num", value)


def value_of(tree: Tree) -> Any:
    return tree[1] if tree[0] == "num" else None


# --------------------------------------------------------------------------- tidying


def _split(tree: Tree) -> tuple[Any, list[tuple[Tree, Any]]]:
    """A tidy product as (coefficient, [(base, exponent), ...]); exponent a number or a tree."""
    if tree[0] == "num":
        return tree[1], []
    if tree[0] == "mul":
        coefficient, factors = Fraction(1), []
        for factor in tree[1]:
            if factor[0] == "num":
                coefficient = coefficient * factor[1]
            else:
                factors.append(_base_exponent(factor))
        return coefficient, factors
    return Fraction(1), [_base_exponent(tree)]


def _base_exponent(tree: Tree) -> tuple[Tree, Any]:
    if tree[0] == "pow" and tree[2][0] == "num":
        return tree[1], tree[2][1]
    return tree, Fraction(1)


def _category(base: Tree) -> int:
    """Order of factors: named constants, variables, other factors, then pending derivatives."""
    return {"sym": 0, "var": 1, "D": 3}.get(base[0], 2)


def _product(coefficient: Any, factors: list[tuple[Tree, Any]]) -> Tree:
    merged: dict[Tree, Any] = {}
    for base, exponent in factors:
        merged[base] = merged.get(base, 0) + exponent if base in merged else exponent
    kept = []
    for base, exponent in merged.items():
        if exponent == 0:
            continue
        kept.append(base if exponent == 1 else ("pow", base, ("num", exponent)))
    if coefficient == 0:
        return ZERO_TREE
    kept.sort(key=lambda f: _category(_base_exponent(f)[0]))  # stable: otherwise as they came
    if not kept:
        return ("num", coefficient)
    if coefficient == 1 and len(kept) == 1:
        return kept[0]
    return ("mul", tuple(([("num", coefficient)] if coefficient != 1 else []) + kept))


def _multiply(trees: list[Tree]) -> Tree:
    coefficient: Any = Fraction(1)
    factors: list[tuple[Tree, Any]] = []
    for tree in trees:
        c, f = _split(tree)
        coefficient = coefficient * c
        factors.extend(f)
    return _product(coefficient, factors)


def _power(base: Tree, exponent: Tree) -> Tree:
    if exponent[0] == "num":
        e = exponent[1]
        if e == 0:
            return ONE_TREE
        if e == 1:
            return base
        if base[0] == "num" and isinstance(base[1], Fraction) and isinstance(e, Fraction) and e.denominator == 1 \
                and (base[1] != 0 or e > 0) and abs(e) <= 64:
            return ("num", base[1] ** int(e))
        if base[0] == "mul" and isinstance(e, Fraction) and e.denominator == 1:
            # (3x)² = 9x²: a whole power of a product is the product of the powers.
            coefficient, factors = _split(base)
            scaled = coefficient ** int(e) if isinstance(coefficient, Fraction) and coefficient != 0 else None
            if scaled is not None:
                return _product(scaled, [(b, x * e) for b, x in factors])
        if base[0] == "pow" and base[2][0] == "num" and isinstance(e, Fraction) and e.denominator == 1:
            return _power(base[1], ("num", base[2][1] * e))
        if base[0] == "call" and base[1] == "hypot" and isinstance(e, Fraction) and e.denominator == 1 and e % 2 == 0:
            # hypot(a, b)² = a² + b² exactly (derivative rules use hypot to avoid overflow)
            squares = _sum([_power(a, ("num", Fraction(2))) for a in base[2]])
            return _power(squares, ("num", e / 2))
    return ("pow", base, exponent)


def _sum(trees: list[Tree]) -> Tree:
    coefficients: dict[Tree, Any] = {}
    shown: dict[Tree, Tree] = {}  # how each term is written: as it first came
    for tree in trees:
        for term in _terms(tree):
            coefficient, factors = _split(term)
            # Like terms are found whatever the order of their factors (x·y and y·x).
            key = tuple(sorted((show(b), show(("num", e)) if not isinstance(e, tuple) else show(e)) for b, e in factors))
            if key not in coefficients:
                coefficients[key] = coefficient
                shown[key] = _product(Fraction(1), factors)
            else:
                coefficients[key] = coefficients[key] + coefficient
    kept = [_multiply([("num", coefficients[key]), shown[key]]) for key in shown if coefficients[key] != 0]
    if len(kept) > 1 and _leading_sign(kept[0]) < 0:
        # 1 − x² rather than −x² + 1: a sum starts with a positive term when it has one.
        positive = next((k for k, t in enumerate(kept) if _leading_sign(t) > 0), None)
        if positive is not None:
            kept.insert(0, kept.pop(positive))
    if not kept:
        return ZERO_TREE
    return kept[0] if len(kept) == 1 else ("add", tuple(kept))


def _terms(tree: Tree) -> list[Tree]:
    """The terms a tidy tree adds up: a sum's terms, and c·(a + b) opened up into c·a + c·b."""
    if tree[0] == "add":
        return list(tree[1])
    coefficient, factors = _split(tree)
    if len(factors) == 1 and factors[0][1] == 1 and factors[0][0][0] == "add":
        return [_multiply([("num", coefficient), term]) for term in factors[0][0][1]]
    return [tree]


def _leading_sign(term: Tree) -> int:
    coefficient, _ = _split(term)
    return -1 if coefficient < 0 else 1


_LEAVES = ("num", "sym", "var", "D")


def children(tree: Tree) -> tuple:
    """The subtrees of `tree`, left to right."""
    kind = tree[0]
    if kind in _LEAVES:
        return ()
    if kind in ("add", "mul"):
        return tree[1]
    if kind in ("sub", "div", "pow"):
        return tree[1], tree[2]
    if kind == "neg":
        return (tree[1],)
    return tree[2]


def rebuild(tree: Tree, kids: list[Tree]) -> Tree:
    """`tree` with its subtrees replaced by `kids`."""
    kind = tree[0]
    if kind in ("add", "mul"):
        return kind, tuple(kids)
    if kind in ("sub", "div", "pow"):
        return kind, kids[0], kids[1]
    if kind == "neg":
        return kind, kids[0]
    return "call", tree[1], tuple(kids)


def transform(tree: Tree, leaf: Any, node: Any) -> Any:
    """Bottom-up: `leaf(t)` for each leaf, `node(t, results of its subtrees)` for the rest;
    each distinct subtree once. (Trees are at most steps.MAX_DEPTH deep.)"""
    memo: dict[Tree, Any] = {}

    def walk(t: Tree) -> Any:
        if t not in memo:
            memo[t] = leaf(t) if t[0] in _LEAVES else node(t, [walk(c) for c in children(t)])
        return memo[t]

    return walk(tree)


def _tidy_node(t: Tree, kids: list[Tree]) -> Tree:
    kind = t[0]
    if kind == "add":
        return _sum(kids)
    if kind == "sub":
        return _sum([kids[0], _multiply([("num", Fraction(-1)), kids[1]])])
    if kind == "neg":
        return _multiply([("num", Fraction(-1)), kids[0]])
    if kind == "mul":
        return _multiply(kids)
    if kind == "div":
        numerator, denominator = kids
        if denominator[0] == "num" and denominator[1] != 0:
            inverse = Fraction(1) / denominator[1] if isinstance(denominator[1], Fraction) else 1.0 / denominator[1]
            return _multiply([numerator, ("num", inverse)])
        return _multiply([numerator, _power(denominator, ("num", Fraction(-1)))])
    if kind == "pow":
        return _power(kids[0], kids[1])
    return rebuild(t, kids)


def tidy(tree: Tree) -> Tree:
    """The tree with numbers folded, products and sums flattened, like terms and powers merged."""
    return transform(tree, lambda t: t, _tidy_node)


def substitute(tree: Tree, replace: Any) -> Tree:
    """The tree with every leaf `replace` maps (a function returning a tree or None) replaced."""
    return transform(tree, lambda t: replace(t) or t, rebuild)


def pending(tree: Tree) -> list[Tree]:
    """The pending derivatives in `tree`, left to right, each once."""
    found: list[Tree] = []
    stack = [tree]
    while stack:
        t = stack.pop()
        if t[0] == "D":
            if t not in found:
                found.append(t)
        else:
            stack.extend(reversed(children(t)))
    return found


def size(tree: Tree) -> int:
    """Nodes of the tree written out."""
    total, stack = 0, [tree]
    while stack:
        t = stack.pop()
        total += 1
        stack.extend(children(t))
    return total


# --------------------------------------------------------------------------- printing

_LEVEL = {"add": 1, "sub": 1, "neg": 2, "mul": 2, "div": 2, "pow": 4}
_COMPARISON = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_LATEX_COMPARISON = {"lt": "<", "le": "\\leq", "gt": ">", "ge": "\\geq", "eq": "=", "ne": "\\neq"}
_LATEX_FUNCTIONS = {"sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "arcsin", "arccos", "arctan"}
_LATEX_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "log": "ln"}


def show(tree: Tree, style: str = "formula", variables: int = 1) -> str:
    """`tree` as text: "formula" (the language diffcli reads), "text" (Unicode) or "latex".

    `variables` > 1 writes pending derivatives as partials (∂/∂x).
    """
    return _Printer(style, variables).text(tree)[0]


class _Printer:
    def __init__(self, style: str, variables: int):
        self.style = style
        self.partial = variables > 1

    def text(self, tree: Tree) -> tuple[str, int]:
        """(text, binding level): 9 for atoms, _LEVEL for operators."""
        kind = tree[0]
        if kind == "num":
            return self.number(tree[1])
        if kind == "sym":
            return self.symbol(tree[1]), 9
        if kind == "var":
            return self.variable(tree[1]), 9
        if kind == "D":
            return self.derivative(tree), 9
        if kind == "add":
            return self.sum(tree[1]), 1
        if kind == "sub":
            left = self.text(tree[1])[0]
            right, level = self.text(tree[2])
            return f"{left}{self.minus()}{self.wrap(right, level <= 1)}", 1
        if kind == "neg":
            inner, level = self.text(tree[1])
            return f"{self.minus().strip()}{self.wrap(inner, level <= 2)}", 2
        if kind in ("mul", "div", "pow"):
            return self.product(tree)
        return self.call(tree[1], tree[2]), 9

    # -- atoms
    def number(self, value: Any) -> tuple[str, int]:
        if isinstance(value, Fraction) and value.denominator != 1:
            if self.style == "latex":
                sign = "-" if value < 0 else ""
                return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}", 2
            return f"{value.numerator}/{value.denominator}", 2
        if isinstance(value, Fraction):
            text = str(value.numerator)
        else:
            text = repr(float(value)) if math.isfinite(value) else ("inf" if value > 0 else "nan")
        if text.startswith("-"):
            return (self.minus().strip() + text[1:] if self.style == "text" else text), 2
        return text, 9

    def symbol(self, name: str) -> str:
        if self.style == "latex":
            return {"pi": "\\pi", "e": "e", "log(2)": "\\ln 2", "log(10)": "\\ln 10"}[name]
        if self.style == "text":
            return {"pi": "π", "e": "e", "log(2)": "ln(2)", "log(10)": "ln(10)"}[name]
        return name

    def variable(self, name: str) -> str:
        if self.style == "latex" and len(name) > 1:
            return f"\\mathrm{{{name}}}" if "_" not in name else name
        return name

    def minus(self) -> str:
        return " − " if self.style == "text" else " - "

    def wrap(self, text: str, needed: bool) -> str:
        if not needed:
            return text
        return f"\\left({text}\\right)" if self.style == "latex" else f"({text})"

    def derivative(self, tree: Tree) -> str:
        _, _, variable, inner = tree
        body = self.text(inner)[0]
        if self.style == "latex":
            d = "\\partial" if self.partial else "d"
            return f"\\frac{{{d}}}{{{d} {self.variable(variable)}}}\\left[{body}\\right]"
        d = "∂" if self.partial and self.style == "text" else "d"
        return f"{d}/{d}{variable}[{body}]"

    # -- sums and products
    def sum(self, terms: tuple) -> str:
        pieces = []
        for k, term in enumerate(terms):
            coefficient, _ = _split(term) if term[0] in ("mul", "num") else (1, None)
            negative = not isinstance(coefficient, str) and coefficient < 0
            if negative:
                positive = _multiply([("num", Fraction(-1) if isinstance(coefficient, Fraction) else -1.0), term])
                text, level = self.text(positive)
                text = self.wrap(text, level <= 1)  # a − (b + c), never a − b + c
                pieces.append(f"{self.minus().strip()}{text}" if k == 0 else f"{self.minus()}{text}")
            else:
                pieces.append(self.text(term)[0] if k == 0 else f" + {self.text(term)[0]}")
        return "".join(pieces)

    def product(self, tree: Tree) -> tuple[str, int]:
        if tree[0] == "div":
            left, left_level = self.text(tree[1])
            right, right_level = self.text(tree[2])
            if self.style == "latex":
                return f"\\frac{{{left}}}{{{right}}}", 9
            return f"{self.wrap(left, left_level < 2)}/{self.wrap(right, right_level < 4 and right_level != 9)}", 2
        if tree[0] == "pow" and not (tree[2][0] == "num" and _negative(tree[2][1])):
            return self.power(tree[1], tree[2]), 4
        coefficient, factors = _split(tree)
        upper = [self.power(b, ("num", e)) if e != 1 else self.factor(b) for b, e in factors if not _negative(e)]
        lower = [self.power(b, ("num", -e)) if e != -1 else self.factor(b) for b, e in factors if _negative(e)]
        sign = ""
        if not isinstance(coefficient, Fraction):
            upper.insert(0, self.number(coefficient)[0] if coefficient >= 0 else self.number(-coefficient)[0])
            sign = "-" if coefficient < 0 else ""
        else:
            sign = "-" if coefficient < 0 else ""
            numerator, denominator = abs(coefficient.numerator), coefficient.denominator
            if numerator != 1 or not upper:
                upper.insert(0, str(numerator))
            if denominator != 1:
                lower.insert(0, str(denominator))
        if self.style == "text" and sign:
            sign = "−"
        top = self.join(upper)
        if not lower:
            return f"{sign}{top}", 2
        bottom = self.join(lower)
        if self.style == "latex":
            return f"{sign}\\frac{{{top}}}{{{bottom}}}", 9
        bottom = bottom if len(lower) == 1 and not lower[0].startswith("-") and _atomic(lower[0]) else f"({bottom})"
        return f"{sign}{top}/{bottom}", 2

    def join(self, parts: list[str]) -> str:
        if self.style == "formula":
            return "*".join(parts)
        if self.style == "latex":
            return " ".join(parts) if len(parts) < 2 or all(not p[:1].isdigit() for p in parts[1:]) \
                else " \\cdot ".join(parts)
        out = parts[0]
        for previous, part in zip(parts, parts[1:]):
            # 9x², 2x·cos(x): a number runs into a one-letter variable or its power; all else gets a dot.
            glue = "" if previous.isdigit() and _LETTER_POWER.match(part) else "·"
            out += glue + part
        return out

    def factor(self, tree: Tree) -> str:
        text, level = self.text(tree)
        return self.wrap(text, level < 4 and level != 9)

    def power(self, base: Tree, exponent: Tree) -> str:
        base_text, level = self.text(base)
        base_text = self.wrap(base_text, level < 9)
        if exponent[0] == "num" and isinstance(exponent[1], Fraction) and exponent[1].denominator == 1:
            e = str(exponent[1].numerator)
            if self.style == "text":
                return base_text + e.translate(_SUPERSCRIPT)
            if self.style == "latex":
                return f"{base_text}^{{{e}}}"
            return f"{base_text}**{e}" if not e.startswith("-") else f"{base_text}**({e})"
        exp_text, exp_level = self.text(exponent)
        if self.style == "latex":
            return f"{base_text}^{{{exp_text}}}"
        if self.style == "text":
            return f"{base_text}^{self.wrap(exp_text, exp_level < 9)}"
        return f"{base_text}**{self.wrap(exp_text, exp_level < 9)}"

    # -- function calls
    def call(self, op: str, args: tuple) -> str:
        texts = [self.text(a) for a in args]
        plain = [t for t, _ in texts]
        if op == "where":
            if args[0][0] == "call" and args[0][1] in _COMPARISON and self.style != "latex":
                plain[0] = plain[0][1:-1]  # the condition of `a if x > 0 else b` needs no parentheses
            if self.style == "latex":
                return (f"\\begin{{cases}} {plain[1]} & \\text{{if }} {plain[0]} \\\\ "
                        f"{plain[2]} & \\text{{otherwise}} \\end{{cases}}")
            return f"({plain[1]} if {plain[0]} else {plain[2]})"
        if op in _COMPARISON:
            symbol = _LATEX_COMPARISON[op] if self.style == "latex" else _COMPARISON[op]
            return f"({plain[0]} {symbol} {plain[1]})" if self.style != "latex" else f"{plain[0]} {symbol} {plain[1]}"
        if op in ("logical_and", "logical_or"):
            word = "and" if op == "logical_and" else "or"
            return f"({plain[0]} {word} {plain[1]})" if self.style != "latex" else f"{plain[0]} \\text{{ {word} }} {plain[1]}"
        if op == "logical_not":
            return f"(not {plain[0]})"
        if op == "hypot":  # √(a² + b²), which derivative rules compute without overflow
            return self.call("sqrt", (tidy(("add", tuple(("pow", a, ("num", Fraction(2))) for a in args))),))
        if op == "step":  # the derivative of relu: 1 where u > 0
            return self.call("gt", (args[0], ZERO_TREE))
        if op == "tie_weight":  # max(a, b)'s share for a: 1, ½ at a tie, 0
            half = ("mul", (("num", Fraction(1, 2)), ("add", (("call", "sign", (("sub", args[0], args[1]),)), ONE_TREE))))
            return self.wrap(self.text(half)[0], True)
        if self.style == "latex":
            name = _LATEX_NAMES.get(op, op)
            if op == "sqrt":
                return f"\\sqrt{{{plain[0]}}}"
            if op == "abs":
                return f"\\left|{plain[0]}\\right|"
            head = f"\\{name}" if name in _LATEX_FUNCTIONS or name == "ln" else f"\\operatorname{{{name}}}"
            return f"{head}\\left({', '.join(plain)}\\right)"
        name = "ln" if op == "log" and self.style == "text" else op
        return f"{name}({', '.join(plain)})"


def _negative(value: Any) -> bool:
    return not isinstance(value, tuple) and value < 0


def _atomic(text: str) -> bool:
    depth = 0
    for ch in text.replace("**", "^"):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and ch in " */+-·−":
            return False
    return True
