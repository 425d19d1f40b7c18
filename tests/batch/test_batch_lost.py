"""`grad --at-file` says at how many points reverse mode lost a term to under- or overflow.

The batch evaluates the reverse-mode gradient graph chunk by chunk; the gradient's own nodes
run watched (NumPy's under/overflow flags, free when nothing happens), and only chunks where
the watch saw an event are looked at again, point by point (`ad.lost`).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from diffcli.ad.forward import gradient_forward
from diffcli.ad.parse import parse
from diffcli.batch.gradient import batch_gradient

ISSUE = "(x**2 + 1)**3 * sin(2*x) / exp(x)"
ADVICE = "forward mode forms no adjoints: try such a point with --at and --method forward"


def _wrong_rows(formula: str, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Rows where the batch's gradient is off from forward mode (exact here) by more than 1e-6."""
    graph = parse(formula)
    forward = np.array([float(gradient_forward(graph, {"x": np.float64(v)}, ["x"])[1]["x"]) for v in x])
    return np.abs(grad - forward) > 1e-6 * np.abs(forward)


@pytest.mark.parametrize("chunk", [7, 1 << 17])
def test_the_points_where_a_term_was_lost_are_counted(chunk):
    x = np.linspace(1.0, 700.0, 200)
    result = batch_gradient(ISSUE, {"x": x}, chunk=chunk)
    wrong = _wrong_rows(ISSUE, x, result.grad["x"])
    first = int(np.argmax(wrong))
    assert wrong.sum() > 50 and 370 < x[first] < 390  # the adjoint of exp(x) underflows from x ≈ 372 on
    assert result.warnings == [
        f"reverse mode: an intermediate adjoint underflowed at exp at column 28 at {wrong.sum()} of 200 points "
        f"(first at point {first + 1}); the gradient may be inaccurate (∂/∂x) — {ADVICE}"]


def test_harmless_underflows_give_no_warning():
    """exp(−x²)'s term underflows for x > 27 next to the 1 of x: nothing that matters is lost."""
    result = batch_gradient("x + exp(-x**2)", {"x": np.linspace(0.0, 40.0, 500)})
    assert result.warnings == []


def test_the_json_document_lists_it(cli, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x\n1.5\n468.6514555938195\n")
    result = cli("grad", ISSUE, "--at-file", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["warnings"] == [
        "reverse mode: an intermediate adjoint underflowed at exp at column 28 at 1 of 2 points (first at point 2); "
        f"the gradient may be inaccurate (∂/∂x) — {ADVICE}"]
