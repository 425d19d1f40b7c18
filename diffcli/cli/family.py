"""What `jvp`, `vjp`, `jacobian` and `hessian` share: their options and how they finish."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from ..compare import METHODS
from ..errors import MathError, UsageError
from ..jacobians import Derivative
from .common import print_json, split_names, warn
from .tensor_view import derivative_document, render_derivative

MethodOption = Annotated[str, typer.Option(
    "--method", "-m", help="Comma-separated: forward, reverse, central, symbolic.")]
HOption = Annotated[Optional[float], typer.Option("--h", help="Step for central differences (default: chosen per entry).")]
RichardsonOption = Annotated[bool, typer.Option("--richardson", help="Richardson-extrapolate the central difference.")]
TimeoutOption = Annotated[float, typer.Option("--symbolic-timeout", help="Seconds SymPy may take.")]
CheckOption = Annotated[Optional[float], typer.Option(
    "--check", help="Exit 1 if any method is off by more than TOL·max(1, |reference|).", metavar="TOL")]
ALL_METHODS = ",".join(METHODS)


def read_methods(method: str, check: float | None, symbolic_timeout: float) -> tuple[list[str], bool]:
    """The methods asked for, and whether they were asked for explicitly (lifts size limits)."""
    if check is not None and not check >= 0:
        raise UsageError("--check: the tolerance must be a number >= 0")
    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    methods = split_names(method, "--method") or list(METHODS)
    explicit = any(arg in ("--method", "-m") or arg.startswith("--method=") for arg in sys.argv)
    return methods, explicit


def finish(expr: str, point: dict[str, Any], derivative: Derivative, json_output: bool, check: float | None,
           extra: dict[str, Any] | None = None) -> None:
    """Print the result (table or JSON), then the warnings, then apply --check."""
    if json_output:
        print_json(derivative_document(expr, point, derivative, extra))
    else:
        render_derivative(point, derivative)
    for message in derivative.comparison.warnings:
        warn(message)
    if check is not None:
        failure = derivative.comparison.check(check)
        if failure:
            raise MathError(f"check failed: {failure}")
