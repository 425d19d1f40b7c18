"""What `jvp`, `vjp`, `jacobian` and `hessian` share: how they finish (their --json document is
`views.reports.derivative_document`, which the API shares)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from diffcli.checks.compare import Derivative
from diffcli.cli.common import apply_check, print_json, warn
from diffcli.views.reports import derivative_document


def finish(expr: str, point: dict[str, Any], derivative: Derivative, json_output: bool, check: float | None,
           extra: dict[str, Any] | None = None, fmt: str = "table", output: Path | None = None,
           note: str | None = None) -> None:
    """Print the result (table, Markdown, LaTeX or JSON), write --output, then the warnings, then apply --check."""
    if output is not None:
        from diffcli.views import export

        export.write(export.derivative_tensor(point, derivative), output)
    if json_output:
        print_json(derivative_document(expr, point, derivative, extra))
    elif fmt != "table":
        from diffcli.cli.paste import write
        from diffcli.views.tables import derivative_text

        write(derivative_text(point, derivative, fmt))
    else:
        from diffcli.cli.tensor_view import render_derivative  # Rich's tables stay off the --json path

        render_derivative(point, derivative)
        if note:
            from diffcli.cli.common import out

            out().print(note, markup=False)
    for message in derivative.comparison.warnings:
        warn(message)
    apply_check(derivative.comparison, check)
