"""Shared fixtures: diffcli in this process (fast, the default), or as a real process.

Test modules never import each other or this file: everything shared is a fixture.

* `cli(*args, input=None)` runs a command in-process through Typer's `CliRunner`, the
  way the shell would (exit code, stdout and stderr apart), and returns the runner's
  `Result` (`.exit_code`, `.stdout`, `.stderr`). An exception that the CLI would show
  as a traceback is raised in the test instead of being turned into exit code 1.
* `cli_json(*args, input=None)` adds `--json`, asserts exit 0 and returns the document.
* `run_process(*args, input=None, env=None)` runs `python -m diffcli` in a subprocess:
  only for what needs a real process (the entry point, exit codes, stdin, scripts).
* `read_dot(text)` reads DOT as Graphviz does (pydot's parser): nodes and edges.
* `formula_strategy(...)` builds a hypothesis strategy of random formulas; a property
  draws from it with `data.draw(...)` (a strategy in a decorator cannot be a fixture).
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# CI (CI=true) draws the same examples on every run, so a red run is reproducible and a
# landing never depends on the luck of the draw; local runs explore new examples, and what
# they find is kept as an @example. No deadline there: the CI machine is shared and loaded.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# What a user's terminal would give a pipe: no colour, a fixed width for Rich's tables.
CLI_ENVIRONMENT = {"NO_COLOR": "1", "COLUMNS": "160"}


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout: README.md, examples/, .ci/."""
    return ROOT


@pytest.fixture(scope="session")
def cli() -> Iterator[Callable[..., Any]]:
    """Run diffcli in this process: `cli("grad", "x**2", "--at", "x=3")`."""
    import typer.testing

    from diffcli.cli.app import app_for

    runner = typer.testing.CliRunner(env=CLI_ENVIRONMENT)

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Any:
        return runner.invoke(app_for(list(args)), list(args), input=input, env=env, catch_exceptions=False,
                             prog_name="diffcli")

    with pytest.MonkeyPatch.context() as patch:
        # The runner builds the app's Click command on every call (20-40 ms, most of a
        # small test); the apps never change, so each is built once for the session.
        if hasattr(typer.testing, "_get_command"):
            patch.setattr(typer.testing, "_get_command", functools.cache(typer.testing._get_command))
        yield invoke


@pytest.fixture(scope="session")
def cli_json(cli: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command with --json in this process; assert exit 0 and nothing but JSON on stdout."""

    def invoke(*args: str, input: str | None = None) -> Any:
        result = cli(*args, "--json", input=input)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return invoke


def process_environment(**changes: str) -> dict[str, str]:
    """The environment of a real diffcli process: this checkout importable, no colour."""
    env = dict(os.environ)
    # The checkout's package wins over any installed copy, so tests test this tree.
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(CLI_ENVIRONMENT)
    env.update(changes)
    return env


@pytest.fixture(scope="session")
def run_process() -> Callable[..., subprocess.CompletedProcess]:
    """`python -m diffcli ARGS` in a subprocess, as a user runs it; `env` adds variables."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "diffcli", *args], input=input, capture_output=True, text=True,
                              timeout=timeout, env=process_environment(**(env or {})), cwd=ROOT,
                              stdin=None if input is not None else subprocess.DEVNULL)

    return run


@pytest.fixture(scope="session")
def process_env() -> Callable[..., dict[str, str]]:
    """The environment for any other real process that runs diffcli (scripts, shells)."""
    return process_environment


def _dot_unquote(text: str | None) -> str | None:
    """A DOT string as Graphviz reads it: quotes off, \\" \\\\ \\n decoded."""
    if text is None or not text.startswith('"'):
        return text
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), text[1:-1])


@pytest.fixture(scope="session")
def read_dot() -> Callable[[str], tuple[dict[str, str], list[tuple[str, str, str | None]]]]:
    """Parse DOT text: ({node: label}, [(from, to, label)]); fails if it is not valid DOT."""
    pydot = pytest.importorskip("pydot")  # in the `test` extra

    def read(text: str) -> tuple[dict[str, str], list[tuple[str, str, str | None]]]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydot's parser uses deprecated pyparsing names
            graphs = pydot.graph_from_dot_data(text)
        assert graphs, "pydot could not parse the DOT text"
        nodes = {node.get_name(): _dot_unquote(node.get_label()) for node in graphs[0].get_nodes()
                 if node.get_name() not in ("node", "edge", "graph")}
        edges = [(edge.get_source(), edge.get_destination(), _dot_unquote(edge.get_label()))
                 for edge in graphs[0].get_edges()]
        return nodes, edges

    return read


def _formula_strategy(variables: list[str], unary: list[str], positive: list[str], *, square: Any,
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


@pytest.fixture(scope="session")
def formula_strategy() -> Callable[..., Any]:
    """The random-formula strategy builder shared by the property tests (see `_formula_strategy`)."""
    return _formula_strategy
