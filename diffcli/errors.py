"""The two kinds of failure diffcli reports, and the exit code each maps to.

A `UsageError` is the user's mistake (a malformed formula, an unknown option value):
exit code 2. A `MathError` is mathematical trouble at a legitimate input (log of a
negative number, a singular matrix, no convergence): exit code 1. Both carry a
one-line message meant to be printed as is; neither should ever surface as a traceback.
"""

from __future__ import annotations


class DiffcliError(Exception):
    """Base class: a message for the user and the process exit code."""

    exit_code = 1

    def __init__(self, message: str, *, column: int | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.column = column
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.line is not None and self.line > 1:
            where = f" (line {self.line}, column {self.column})"
        elif self.column is not None:
            where = f" (column {self.column})"
        return f"{self.message}{where}"


class UsageError(DiffcliError):
    """The input is malformed: a parse error, a bad option value. Exit code 2."""

    exit_code = 2


class MathError(DiffcliError):
    """The input is well formed but the mathematics fails at it. Exit code 1."""

    exit_code = 1


class DiffcliWarning(UserWarning):
    """A warning the CLI prints on stderr (a kink, a non-finite value, a timed-out method),
    issued by the Python API with `warnings.warn`, so it can be filtered or made an error."""
