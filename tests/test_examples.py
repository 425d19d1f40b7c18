"""The example scripts in examples/ run as a user runs them and check their own answers.

Each script calls diffcli as `$DIFFCLI` (here `python -m diffcli` on this checkout) and
compares the answers with jq; a wrong answer prints FAILED and exits non-zero.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LAGRANGE = sorted((EXAMPLES / "lagrange").glob("[0-9]*.sh"))
needs_jq = pytest.mark.skipif(shutil.which("jq") is None or shutil.which("bash") is None,
                              reason="the example scripts check their answers with bash and jq")


def run_script(shell: str, script: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([shell, str(script)], capture_output=True, text=True, env=env, timeout=300)


@needs_jq
@pytest.mark.parametrize("script", ["matrix_calculus.sh", "batch_gradient.sh"])
def test_example_scripts_run_and_check_their_identities(script, process_env):
    result = run_script("bash", EXAMPLES / script, process_env(DIFFCLI=f"{sys.executable} -m diffcli"))
    assert result.returncode == 0, result.stderr
    assert "FAILED" not in result.stdout + result.stderr


@needs_jq
@pytest.mark.parametrize("script", LAGRANGE, ids=[s.name for s in LAGRANGE])
def test_lagrange_example_script_checks_its_own_answers(script: Path, process_env):
    result = run_script("sh", script, process_env(DIFFCLI=f"{sys.executable} -m diffcli"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: " in result.stdout and "FAILED" not in result.stdout + result.stderr


def test_there_are_at_least_ten_lagrange_examples():
    assert len(LAGRANGE) >= 10


@needs_jq
def test_the_programs_example_script_checks_its_answers(process_env):
    result = run_script("bash", EXAMPLES / "programs.sh", process_env(DIFFCLI=f"{sys.executable} -m diffcli"))
    assert result.returncode == 0, result.stderr
    assert "all program checks passed" in result.stdout


def test_the_grading_example_checks_its_own_verdicts(process_env):
    """examples/grading/grade.sh: a class's answers graded, each verdict compared with the expected one."""
    result = run_script("sh", EXAMPLES / "grading" / "grade.sh", process_env(DIFFCLI=f"{sys.executable} -m diffcli"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout and result.stdout.strip().endswith("all verdicts as expected")
    assert "chloe wrong    df/dx" in result.stdout and "gus   invalid" in result.stdout
