"""Shared test helpers: run the real entry point in a subprocess, or in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The checkout's package wins over any installed copy, so tests test this tree.
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["NO_COLOR"] = "1"
    env.setdefault("COLUMNS", "160")
    return env


def run_cli(*args: str, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m diffcli ARGS` in a subprocess, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "diffcli", *args], input=input, capture_output=True,
                          text=True, timeout=timeout, env=_env(), stdin=None if input is not None else subprocess.DEVNULL)


def run_json(*args: str, input: str | None = None) -> Any:
    """Run a command with --json; assert exit 0 and nothing but JSON on stdout."""
    result = run_cli(*args, "--json", input=input)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def cli():
    """In-process runner through the Typer app (faster than a subprocess)."""
    from typer.testing import CliRunner

    from diffcli.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    return invoke


def formula_strategy(variables: list[str], unary: list[str], positive: list[str], *, square: Any,
                     powers: bool, branches: bool, max_leaves: int = 12) -> Any:
    """Hypothesis: random formulas over `variables` from sums, products, quotients by 1 + t²,
    `unary` functions, `positive` ones (on 1 + t², inside their domain), and optionally
    integer powers and branches. `square(t)` spells t² (t*t keeps the base off `pow`)."""
    from hypothesis import strategies as st

    leaves = st.one_of(st.sampled_from(variables), st.sampled_from(["2", "0.5", "3", "pi"]))

    def extend(inner: Any) -> Any:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]} / (1 + {square(t[1])}))"),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(positive), inner).map(lambda t: f"{t[0]}(1 + {square(t[1])})"),
            *([st.tuples(inner, st.sampled_from(["2", "3"])).map(lambda t: f"({t[0]})**{t[1]}")] if powers else []),
            *([st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} > 0.1 else {t[2]})")]
              if branches else []),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)
