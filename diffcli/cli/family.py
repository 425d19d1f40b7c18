"""What `jvp`, `vjp`, `jacobian` and `hessian` share: how they start and finish (their --json document is
`views.reports.derivative_document`, which the API shares)."""

from __future__ import annotations

from typing import Any

from diffcli.checks.compare import Derivative
from diffcli.cli.common import apply_check, print_json, warn
from diffcli.cli.options import MethodOptions
from diffcli.cli.paste import check_format
from diffcli.views.reports import derivative_document


def start(options: MethodOptions, fmt: str) -> tuple[list[str], bool]:
    """What is checked before the formula is read: --format beside --json, the --output path, the
    methods (returned, with whether they were named)."""
    check_format(fmt, options.json_output)
    if options.output is not None:
        from diffcli.views.export import check_path

        check_path(options.output)
    return options.methods()


def finish(expr: str, point: dict[str, Any], derivative: Derivative, options: MethodOptions,
           extra: dict[str, Any] | None = None, fmt: str = "table", note: str | None = None) -> None:
    """Print the result (table, Markdown, LaTeX or JSON), write --output, then the warnings, then apply --check."""
    if options.output is not None:
        from diffcli.views import export

        export.write(export.derivative_tensor(point, derivative), options.output)
    if options.json_output:
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
    apply_check(derivative.comparison, options.check)
