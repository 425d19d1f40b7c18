"""The choices every comparing command checks the same way, on the command line and in the API.

>>> select_methods(None, None, 5.0)
(['forward', 'reverse', 'central', 'symbolic'], False)
>>> select_methods(["reverse", "central"], 1e-6, 5.0)
(['reverse', 'central'], True)
"""

from __future__ import annotations

from typing import Sequence

from diffcli.checks.methods import DEFAULT
from diffcli.errors import MathError, UsageError


def select_methods(methods: Sequence[str] | None, check: float | None, symbolic_timeout: float,
                   option: str = "--method") -> tuple[list[str], bool]:
    """The methods asked for, and whether they were asked for explicitly (which lifts size limits).

    Unknown method names are refused by the comparison driver, which knows the table.
    """
    if check is not None and not check >= 0:
        raise UsageError("--check: the tolerance must be a number >= 0")
    if not symbolic_timeout > 0:
        raise UsageError("--symbolic-timeout must be a positive number of seconds")
    if methods is not None and not list(methods):
        raise UsageError(f"{option}: give at least one name")
    return (list(methods) if methods is not None else list(DEFAULT)), methods is not None


def apply_check(comparison: object, check: float | None) -> None:
    """--check TOL: MathError (exit 1) when the methods disagree beyond the tolerance."""
    if check is not None:
        failure = comparison.check(check)  # type: ignore[attr-defined]
        if failure:
            raise MathError(f"check failed: {failure}")
