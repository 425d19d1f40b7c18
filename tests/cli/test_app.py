"""The application: the entry point, exit codes, the command table and its fast path."""

from __future__ import annotations

import json
import subprocess
import sys



def test_only_the_invoked_command_is_built_and_help_sees_all():
    from diffcli.cli.app import COMMANDS, app_for, build

    everything = build()
    assert [info.name for info in everything.registered_commands] == list(COMMANDS)
    assert len(COMMANDS) == 13
    picked = app_for(["grad", "x", "--at", "x=1"])
    assert [info.name for info in picked.registered_commands] == ["grad"]
    assert [info.callback.__name__ for info in picked.registered_commands] == ["grad"]
    assert [info.name for info in app_for(["taylor"]).registered_commands] == ["taylor"]
    for args in ([], ["--help"], ["gard", "x"], ["--version"]):
        assert app_for(args) is everything


def test_the_scripting_path_imports_one_command_and_nothing_heavy(process_env):
    # A fresh interpreter: which modules does `grad --method reverse --json` load?
    probe = ("import sys\nfrom diffcli.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print(' '.join(sorted(sys.modules)), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe, "grad", "x**2", "--at", "x=3", "--method", "reverse",
                             "--json"], capture_output=True, text=True, env=process_env(), timeout=60)
    assert json.loads(result.stdout)["methods"]["reverse"]["grad"] == {"x": 6.0}
    loaded = set(result.stderr.split())
    assert [m for m in loaded if m.startswith("diffcli.cli.commands.")] == ["diffcli.cli.commands.grad"]
    assert not loaded & {"sympy", "scipy", "matplotlib", "rich.table", "rich.console"}


def test_cli_help_and_unknown_command_still_list_every_command(cli):
    listing = cli("--help")
    assert listing.exit_code == 0
    for name in ("grad", "jvp", "vjp", "jacobian", "hessian", "diff", "numeric", "taylor", "trace", "graph",
                 "lagrange", "check", "steps"):
        assert name in listing.stdout
    typo = cli("gard", "x")
    assert typo.exit_code == 2 and "gard" in typo.stderr
    assert cli("grad", "3*x**3 - 5*x**2", "--at", "x=1.5", "--method", "reverse", "--json").exit_code == 0


def test_version_and_python_dash_m(run_process, cli):
    result = run_process("--version")
    assert result.returncode == 0 and result.stdout == "diffcli 0.1.0\n"
    help_text = cli("grad", "--help")
    assert help_text.exit_code == 0 and "Examples" in help_text.stdout


def test_in_process_runner(cli):
    result = cli("grad", "a*(a+b)", "--at", "a=2,b=3", "-m", "reverse", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["methods"]["reverse"]["grad"] == {"a": 7.0, "b": 2.0}


def test_readme_test_command_is_what_ci_runs(repo_root):
    readme = (repo_root / "README.md").read_text().splitlines()
    ci = (repo_root / ".ci" / "run").read_text()
    test_command = next(line for line in readme[:8] if "pytest" in line)
    assert readme.index(test_command) == 4  # the second of the two set-up commands
    assert "pytest" in test_command
    assert test_command.strip() in ci
