"""The method table: every method × every kind it computes, against mpmath references."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from diffcli.ad.problem import make_problem
from diffcli.checks.compare import compare
from diffcli.checks.methods import KINDS, METHOD, NAMES, TABLE, method_for, ways

# (formula, the same function for mpmath, point). Analytic at the point, so every method applies.
FORMULAS = [
    ("x*y + sin(x)", lambda x, y: [x * y + mp.sin(x)], {"x": 0.7, "y": 1.3}),
    ("exp(x - y) / (1 + x*x)", lambda x, y: [mp.exp(x - y) / (1 + x * x)], {"x": -0.4, "y": 0.9}),
    ("[x*y, log(x + y), sqrt(x) * cos(y)]", lambda x, y: [x * y, mp.log(x + y), mp.sqrt(x) * mp.cos(y)],
     {"x": 1.5, "y": 0.25}),
    ("[tanh(x*y) + atan(y), x**3 / y]", lambda x, y: [mp.tanh(x * y) + mp.atan(y), x ** 3 / y], {"x": 0.6, "y": 2.0}),
]
TOLERANCE = {"forward": 1e-14, "reverse": 1e-14, "forward-over-reverse": 1e-13, "symbolic": 1e-14,
             "complex": 1e-14, "central": 1e-6}
DIRECTION = {"x": 0.5, "y": -2.0}


def _reference(function, point):
    """J (outputs × inputs) and, for a scalar function, H, by mpmath at 30 digits."""
    mp.mp.dps = 30
    x, y = mp.mpf(point["x"]), mp.mpf(point["y"])
    m = len(function(x, y))
    J = np.array([[float(mp.diff(lambda a, b: function(a, b)[i], (x, y), order)) for order in ((1, 0), (0, 1))]
                  for i in range(m)])
    H = np.array([[float(mp.diff(lambda a, b: function(a, b)[0], (x, y), tuple(int(k == i) + int(k == j)
                                                                                   for k in range(2))))
                   for j in range(2)] for i in range(2)]) if m == 1 else None
    return J, H


def _expected(kind, J, H):
    u = np.arange(1.0, J.shape[0] + 1)
    v = np.array([DIRECTION["x"], DIRECTION["y"]])
    return {"gradient": J[0], "jvp": J @ v, "vjp": u @ J, "jacobian": J, "hessian": H}[kind], u


def _as_vector(kind, result):
    if kind in ("gradient", "vjp"):
        return np.array([float(result["x"]), float(result["y"])])
    if kind == "jvp":
        return np.array([float(t) for t in result])
    return np.asarray(result, dtype=float)


SCALAR_ONLY = ("gradient", "hessian")
CASES = [(method.name, kind, k) for method in TABLE for kind in KINDS if kind in ways(method)
         for k, (_, function, _) in enumerate(FORMULAS) if kind not in SCALAR_ONLY or len(function(1, 1)) == 1]


@pytest.mark.parametrize(("name", "kind", "k"), CASES, ids=[f"{n}-{kind}-{k}" for n, kind, k in CASES])
def test_every_method_computes_every_kind_it_declares(name, kind, k):
    text, function, point = FORMULAS[k]
    J, H = _reference(function, point)
    expected, u = _expected(kind, J, H)
    asked = METHOD[name].stands_for[0] if METHOD[name].stands_for else name
    d = compare(kind, make_problem(text, point), [asked], direction=DIRECTION, cotangent=u, explicit=True)
    result = d.comparison.methods[name]
    assert result.status == "ok", result.message
    got = _as_vector(kind, result.result)
    np.testing.assert_allclose(got, expected, rtol=TOLERANCE[name], atol=TOLERANCE[name])
    assert d.comparison.reference == name  # the only method run is its own reference


def test_passes_are_the_cost_argument_for_every_kind():
    # n = 2 inputs, m = 3 outputs.
    text, _, point = FORMULAS[2]
    expected = {("forward", "jvp"): 1, ("forward", "vjp"): 2, ("forward", "jacobian"): 2,
                ("reverse", "jvp"): 3, ("reverse", "vjp"): 1, ("reverse", "jacobian"): 3,
                ("complex", "jvp"): 1, ("complex", "vjp"): 2, ("complex", "jacobian"): 2}
    for (name, kind), passes in expected.items():
        d = compare(kind, make_problem(text, point), [name], direction=DIRECTION, cotangent=1.0)
        assert d.comparison.methods[name].extra["passes"] == passes, (name, kind)
    for name in ("central", "symbolic"):
        d = compare("jacobian", make_problem(text, point), [name])
        assert "passes" not in d.comparison.methods[name].extra


def test_every_kind_has_a_method_for_every_default_name_and_the_hessian_ad_row_stands_in():
    for kind in KINDS:
        for name in ("forward", "reverse", "central", "symbolic"):
            assert method_for(name, kind) is not None, (name, kind)
    assert method_for("forward", "hessian").name == method_for("reverse", "hessian").name == "forward-over-reverse"
    assert method_for("complex", "hessian") is None
    assert "forward-over-reverse" not in NAMES


def test_the_reference_is_the_lowest_rank_that_succeeded():
    text, _, point = FORMULAS[0]
    order = {name: compare("gradient", make_problem(text, point), [name, "central"]).comparison.reference
             for name in ("symbolic", "reverse", "forward", "complex")}
    assert order == {"symbolic": "symbolic", "reverse": "reverse", "forward": "forward", "complex": "complex"}
    both = compare("gradient", make_problem(text, point), ["central", "complex", "forward"]).comparison
    assert both.reference == "forward"


def test_a_method_that_cannot_compute_a_kind_is_a_usage_error():
    from diffcli.errors import UsageError

    with pytest.raises(UsageError, match="complex does not compute the Hessian"):
        compare("hessian", make_problem("x*y", {"x": 1.0, "y": 2.0}), ["complex"])
    with pytest.raises(UsageError, match="unknown method 'forward-over-reverse'"):
        compare("hessian", make_problem("x*y", {"x": 1.0, "y": 2.0}), ["forward-over-reverse"])
