"""The registry: what a row of the op table holds, and the table itself.

This module imports nothing from diffcli, so anything (the tape included) can read
the table without an import cycle; the rows are added by `scalar` and `tensor`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Rule = Callable[..., Any]

# Markers a partial derivative may return so the chain rule skips a multiplication.
ONE = "one"
MINUS_ONE = "minus_one"


@dataclass(frozen=True)
class Primitive:
    """One op: its NumPy evaluation, its derivative rule, and every fact about it.

    Derivative rule — one of:

    * `partials[k](ans, *args)`: ∂ans/∂args[k] of an elementwise op (None: zero);
      forward mode multiplies it by a tangent, reverse mode by the cotangent;
    * `linear`: the positions of the arguments in which the op is (jointly) linear, the
      others being fixed parameters; its JVP is the op itself applied to the tangent, so
      only the transpose `vjps[k](g, ans, *args, **attrs)` is written (JAX's `deflinear2`);
    * `bilinear`: linear in each of its two arguments (a @ b): the JVP is
      op(ȧ, b) + op(a, ḃ), and only the VJPs are written (JAX's `defbilinear`);
    * otherwise `jvps[k](t, ans, *args, **attrs)` and `vjps[k](g, ans, *args, **attrs)`,
      the linear maps of a structural op written by hand (None, or a rule returning
      None, is a structural zero);
    * `differentiable=False`: derivative zero wherever it exists (comparisons, `detach`).

    An elementwise op may also declare `tangent(tangents, ans, *args)`: its JVP written
    directly (`tangents[k]` is argument k's tangent, None where it is zero), which forward
    mode uses instead of Σ partialₖ·tangentₖ. It is there for ops whose partial can leave
    the range of doubles where its product with the tangent would not — the quotient
    rule's −(x/y)/y is ≈ 1e-390 for x/exp(470), but (ẋ − ans·ẏ)/y is an ordinary number.
    Reverse mode has no such way out (the adjoint itself is that small) and says so
    (`ad.lost`).

    A `variadic` op takes any number of arguments (`[a, b, c]` is `stack`; prod_others(x, t₁,
    …, t_k) is the k-th derivative of prod_others(x)): one rule serves every argument and is
    called with `position=k`, and `linear=(0,)` means linear in all of them together.

    Facts the rest of diffcli reads:

    * `kink(*args)`: where the op is not differentiable; `domain(ans, *args)`: why a
      result is not finite, in words;
    * `tags`: "elementwise" (acts entry by entry, broadcasting), "comparison" (a branch
      test), "out" (`impl` takes `out=` like a ufunc, so the batch evaluator reuses buffers);
    * `symbol`, `precedence` (binding strength as an infix or prefix operator), `prefix`
      (written before its operand: -x), `public` (the name a user knows, for ops only
      derivative rules make: smul is mul): how views write the op;
    * `rule`: the name a calculus course gives its derivative rule when every argument
      depends on x (sum, product, quotient, …; `steps` names the partial cases and the
      chain rule itself); None: the derivative of the function itself ("derivative of sin");
    * `commutative`: its two arguments may be swapped;
    * `complex_safe`: analytic where its real version is defined, with an `impl` that
      accepts complex input, so the complex step f(x + ih) is meaningful through it;
    * `truth_args`: the argument positions read as truth values (where's condition);
    * `identity[k]`: a constant that, as argument k, makes the result the other argument
      (x*1, x+0, x**1), `absorbing`: a constant that, as either argument, makes the
      result zero (the chain rule's strong product 0·∞ = 0), `involution`: op(op(x)) = x —
      the identities the tape folds;
    * `factorised`: computed through a matrix factorisation (LU, SVD), as are its derivative
      maps: each entry's rounding is relative to the whole result's size (and grows with the
      matrix's condition), not to the entry — det's Hessian has exact zeros that come out as
      ±u·‖A‖, and the size of a derivative's terms must say so (`ad.lost.term_sizes`);
    * `result_size(*args)`: for ops whose result can have far more entries than their
      inputs (broadcasting, outer, @), its number of entries, so evaluation can refuse a
      huge tensor before making it.
    """

    name: str
    impl: Callable[..., Any]
    partials: tuple[Rule | None, ...] | None = None
    tangent: Rule | None = None
    jvps: tuple[Rule | None, ...] | None = None
    vjps: tuple[Rule | None, ...] | None = None
    linear: tuple[int, ...] = ()
    bilinear: bool = False
    variadic: bool = False
    differentiable: bool = True
    kink: Callable[..., Any] | None = None
    domain: Callable[..., str | None] | None = None
    symbol: str | None = None
    precedence: int | None = None
    prefix: bool = False
    public: str | None = None
    to_sympy: Callable[..., Any] | None = None
    description: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)
    rule: str | None = None
    commutative: bool = False
    complex_safe: bool = False
    truth_args: tuple[int, ...] = ()
    identity: tuple[float | None, ...] = ()
    absorbing: float | None = None
    involution: bool = False
    result_size: Callable[..., int] | None = None
    factorised: bool = False

    def is_linear_in(self, k: int) -> bool:
        """Whether the op is linear in argument k (its JVP there is the op itself)."""
        return self.bilinear or (0 if self.variadic else k) in self.linear


PRIMITIVES: dict[str, Primitive] = {}


def register(primitive: Primitive) -> Primitive:
    """Add a row to the table (a name may be registered once)."""
    if primitive.name in PRIMITIVES:
        raise ValueError(f"op '{primitive.name}' is registered twice")
    PRIMITIVES[primitive.name] = primitive
    return primitive
