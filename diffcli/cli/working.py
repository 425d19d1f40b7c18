"""A status line on the terminal while SymPy works (it is where a default `grad` spends its time).

Shown on stderr only when stderr is a terminal, never with --json (a script reads
stdout, and a pipe gets no control characters), and only when SymPy is among the
methods; it disappears when the work is done.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterable, Iterator

MESSAGE = "SymPy is working… (Ctrl-C stops; --method forward,reverse,central leaves it out)"


def wanted(methods: Iterable[str] | None, json_output: bool) -> bool:
    """Whether to show the status line: a terminal, no --json, SymPy asked for (None: it always runs)."""
    return (not json_output and (methods is None or "symbolic" in methods)
            and sys.stderr is not None and sys.stderr.isatty())


@contextmanager
def sympy_status(methods: Iterable[str] | None, json_output: bool) -> Iterator[None]:
    if not wanted(methods, json_output):
        yield
        return
    from diffcli.cli.common import err

    with err().status(MESSAGE, spinner="dots"):
        yield
