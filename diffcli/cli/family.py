"""What `jvp`, `vjp`, `jacobian` and `hessian` share: their --json document and how they finish."""

from __future__ import annotations

from typing import Any

from diffcli.checks.compare import Derivative
from diffcli.cli.common import apply_check, method_entries, print_json, warn


def finish(expr: str, point: dict[str, Any], derivative: Derivative, json_output: bool, check: float | None,
           extra: dict[str, Any] | None = None) -> None:
    """Print the result (table or JSON), then the warnings, then apply --check."""
    if json_output:
        print_json(derivative_document(expr, point, derivative, extra))
    else:
        from diffcli.cli.tensor_view import render_derivative  # Rich's tables stay off the --json path

        render_derivative(point, derivative)
    for message in derivative.comparison.warnings:
        warn(message)
    apply_check(derivative.comparison, check)


def derivative_document(expr: str, point: dict[str, Any], derivative: Derivative,
                        extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `--json` document of DESIGN §4, the result under the command's name."""
    comparison, kind = derivative.comparison, derivative.kind
    methods, nonfinite = method_entries(comparison, kind, ("passes", "step"))
    document: dict[str, Any] = {"expr": expr, "at": point, "wrt": comparison.wrt, **(extra or {}),
                                "value": comparison.value, "inputs": derivative.inputs}
    if kind != "hessian":
        document["outputs"] = derivative.outputs
    document.update({"methods": methods, "reference": comparison.reference,
                     "warnings": comparison.warnings + nonfinite})
    return document
