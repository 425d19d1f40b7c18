"""For the fuzz and hostile-input tests: the contract every command keeps, and proof nothing ran."""

from __future__ import annotations

import ast
import builtins
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# CPU seconds (this process, every thread): a loaded machine stretches the wall clock, not this.
SECONDS_PER_RUN = 20.0  # generous: every budget the tests give a command is a few seconds at most


@pytest.fixture(scope="session")
def checked_cli(cli: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command in-process and assert the contract: exit 0, 1 or 2, never a traceback,
    an error as one line on stderr, only warnings beside a success, JSON that parses, and
    an answer within SECONDS_PER_RUN of CPU time."""

    def run(*args: str, input: str | None = None) -> Any:
        began = time.process_time()
        result = cli(*args, input=input)  # an unexpected exception propagates and fails the test
        elapsed = time.process_time() - began
        shown = [a if len(a) < 200 else a[:200] + "…" for a in args]
        assert result.exit_code in (0, 1, 2), (shown, result.exit_code, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, shown
        assert elapsed < SECONDS_PER_RUN, (shown, elapsed)
        if result.exit_code != 0:
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("diffcli: error: "), (shown, result.stderr)
            assert result.stdout == "", (shown, result.stdout)
        else:
            assert all(line.startswith("warning: ") for line in result.stderr.splitlines()), (shown, result.stderr)
            if "--json" in args:
                json.loads(result.stdout)  # exactly one JSON document, nothing else
        return result

    return run


@pytest.fixture
def nothing_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A marker path for a hostile formula to name; afterwards, assert nothing ran it.

    A formula that mentions the marker would create it if it were executed, and any
    text mentioning it that reaches eval, exec or compile (except compiling to a syntax
    tree, which is how formulas are read) is recorded: both must stay empty.
    """
    marker = tmp_path / "pwned"
    ran: list[str] = []

    def watch(real: Callable[..., Any], name: str) -> Callable[..., Any]:
        def watched(source: Any, *args: Any, **kwargs: Any) -> Any:
            flags = args[2] if name == "compile" and len(args) > 2 else kwargs.get("flags", 0)
            if str(marker) in str(source) and not (name == "compile" and flags & ast.PyCF_ONLY_AST):
                ran.append(f"{name}: {str(source)[:200]}")
            if name != "compile" and not args and "globals" not in kwargs:
                caller = sys._getframe(1)  # eval/exec default to the caller's namespaces, not ours
                return real(source, caller.f_globals, caller.f_locals)
            return real(source, *args, **kwargs)

        return watched

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, watch(getattr(builtins, name), name))
    yield marker
    monkeypatch.undo()
    assert not ran, ran
    assert not marker.exists()
