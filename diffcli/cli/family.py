"""What `jvp`, `vjp`, `jacobian` and `hessian` share: their options and how they finish."""

from __future__ import annotations

from typing import Any

from diffcli.checks.compare import Derivative
from diffcli.cli.common import apply_check, print_json, warn
from diffcli.cli.tensor_view import derivative_document, render_derivative

def finish(expr: str, point: dict[str, Any], derivative: Derivative, json_output: bool, check: float | None,
           extra: dict[str, Any] | None = None) -> None:
    """Print the result (table or JSON), then the warnings, then apply --check."""
    if json_output:
        print_json(derivative_document(expr, point, derivative, extra))
    else:
        render_derivative(point, derivative)
    for message in derivative.comparison.warnings:
        warn(message)
    apply_check(derivative.comparison, check)
