"""For the fuzz and hostile-input tests: the contract every command keeps, and proof nothing ran."""

from __future__ import annotations

import ast
import builtins
import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SECONDS_PER_RUN = 20.0  # CPU seconds, generous: every budget the tests give a command is a few seconds at most
MEMORY_PER_RUN = 400 << 20  # bytes a run may add to the process's peak (small inputs: a blow-up, not a size)


def _peak_memory() -> int:
    """The process's peak resident memory so far, in bytes (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.fixture(scope="session")
def checked_cli(cli: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command in-process and assert the contract: exit 0, 1 or 2, never a traceback;
    on stderr only warnings and at most one error line, last; JSON that parses under --json
    (and a document whenever the run succeeds); an answer within SECONDS_PER_RUN of CPU
    time and MEMORY_PER_RUN of added peak memory."""

    def run(*args: str, input: str | None = None) -> Any:
        peak = _peak_memory()
        began = time.process_time()  # CPU time: a loaded machine must not fail the bound, a runaway must
        result = cli(*args, input=input)  # an unexpected exception propagates and fails the test
        elapsed = time.process_time() - began
        shown = [a if len(a) < 200 else a[:200] + "…" for a in args]
        assert result.exit_code in (0, 1, 2), (shown, result.exit_code, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr, shown
        assert elapsed < SECONDS_PER_RUN, (shown, elapsed)
        assert _peak_memory() - peak < MEMORY_PER_RUN, (shown, (_peak_memory() - peak) >> 20, "MB")
        # stderr: warnings, then at most one error line — there exactly when a run fails without a
        # result (a run that fails *with* one, like `check`'s wrong verdict or --check, says so in it).
        lines = result.stderr.splitlines()
        errors = [line for line in lines if line.startswith("diffcli: error: ")]
        assert all(line.startswith("warning: ") for line in lines if line not in errors), (shown, result.stderr)
        assert len(errors) <= 1 and (not errors or lines[-1] == errors[0]), (shown, result.stderr)
        if errors:
            assert result.exit_code != 0 and result.stdout == "", (shown, result.exit_code, result.stdout)
        else:
            assert result.exit_code == 0 or result.stdout, (shown, result.exit_code, result.stderr)
        if "--json" in args and result.stdout:
            json.loads(result.stdout)  # exactly one JSON document, nothing else
        elif "--json" in args:
            assert result.exit_code != 0, shown  # --json prints its document whenever a run succeeds
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
