"""Is a claimed formula the same function as the true derivative? SymPy's opinion, honestly put.

`simplify(a − b) == 0` proves equivalence; its failure proves nothing (that is the bug
of answer checkers that mark sin(2x) wrong against 2 sin x cos x). So the answer is
one of: "equivalent" (SymPy reduced the difference to 0), "different" (SymPy reduced it
to a nonzero *number*: the claim is off by a constant, however small), or "not shown"
(SymPy could not decide; the numeric check stands alone). Decimals are compared as the
decimals they spell (0.1 is 1/10), so 0.1*3 and 0.3 agree, as they do on paper.

Both sides come from graphs through `symbolic.to_sympy`; user text never reaches SymPy.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> compare(sp.sin(2*x), 2*sp.sin(x)*sp.cos(x)), compare(sp.sin(x)**2, 1 - sp.cos(x)**2 + sp.Rational(1, 10**20))
('equivalent', 'different')
"""

from __future__ import annotations

from typing import Any

from diffcli.checks.symbolic import exact_number

EQUIVALENT, DIFFERENT, NOT_SHOWN, TIMED_OUT, UNSUPPORTED, NOT_RUN = (
    "equivalent", "different", "not shown", "timed out", "unsupported", "not run")


def exact(expr: Any) -> Any:
    """`expr` with every float replaced by the decimal it spells, as an exact rational."""
    import sympy as sp

    floats = expr.atoms(sp.Float) if hasattr(expr, "atoms") else set()
    return expr.xreplace({f: exact_number(sp, f) for f in floats}) if floats else expr


def compare(claimed: Any, actual: Any) -> str:
    """EQUIVALENT, DIFFERENT or NOT_SHOWN (run it under `symbolic.time_limit`)."""
    import sympy as sp

    difference = sp.Add(exact(claimed), sp.Mul(sp.Integer(-1), exact(actual)))
    if difference == 0:
        return EQUIVALENT
    for attempt in (lambda d: d, lambda d: d.rewrite(sp.exp), lambda d: sp.expand_trig(d)):
        reduced = sp.simplify(attempt(difference))
        if reduced == 0:
            return EQUIVALENT
        if reduced.is_number and not reduced.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            value = complex(sp.N(reduced, 30))
            if value != 0:
                return DIFFERENT
    return NOT_SHOWN
