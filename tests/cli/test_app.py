"""The application: the entry point, exit codes, the command table and its fast path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest


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


def test_a_real_process_reads_stdin_and_exits_0_1_or_2(run_process):
    ok = run_process("grad", "-", "--at", "x=2", "-m", "reverse", "--json", input="x**3")
    assert ok.returncode == 0 and json.loads(ok.stdout)["methods"]["reverse"]["grad"] == {"x": 12.0}
    assert ok.stderr == ""
    math_error = run_process("grad", "log(x)", "--at", "x=-1")
    assert math_error.returncode == 1 and math_error.stdout == ""
    assert math_error.stderr == "diffcli: error: log of a negative number: log(-1) is undefined (column 1)\n"
    usage = run_process("grad", "x", "--at", "x=1", "--bogus")
    assert usage.returncode == 2 and usage.stderr == "diffcli: error: grad: No such option: --bogus\n"


def test_the_console_script(process_env):
    script = shutil.which("diffcli", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("diffcli is not installed beside this Python")
    result = subprocess.run([script, "grad", "x*y", "--at", "x=2,y=3", "-m", "reverse", "--json"],
                            capture_output=True, text=True, env=process_env(), timeout=60)
    assert result.returncode == 0 and json.loads(result.stdout)["methods"]["reverse"]["grad"] == {"x": 3.0, "y": 2.0}


def test_main_called_from_python_ends_in_system_exit(capsys):
    # The console entry point ends the process at once (os._exit); a call with arguments
    # raises SystemExit instead, so a script or notebook calling main() goes on.
    from diffcli.cli import main

    with pytest.raises(SystemExit) as done:
        main(["grad", "x**2", "--at", "x=3", "-m", "reverse", "--json"])
    assert done.value.code == 0
    assert json.loads(capsys.readouterr().out)["methods"]["reverse"]["grad"] == {"x": 6.0}
    with pytest.raises(SystemExit) as failed:
        main(["grad", "log(x)", "--at", "x=-1"])
    assert failed.value.code == 1


def test_in_process_runner(cli):
    result = cli("grad", "a*(a+b)", "--at", "a=2,b=3", "-m", "reverse", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["methods"]["reverse"]["grad"] == {"a": 7.0, "b": 2.0}


def test_readme_test_command_is_what_ci_runs(repo_root):
    readme = (repo_root / "README.md").read_text().splitlines()
    ci = (repo_root / ".ci" / "run").read_text()
    block = readme.index("```")  # the first code block holds the two set-up commands, and nothing else
    assert readme[block + 3] == "```"
    test_command = readme[block + 2]  # the second of the two set-up commands
    assert "pytest" in test_command
    assert test_command.strip() in ci


# A formula may start with '-' (max f is min −f): read as the formula wherever one is expected.
MINUS_FORMULA = {
    "grad": (["--at", "x=3", "-m", "reverse"], lambda d: d["methods"]["reverse"]["grad"] == {"x": -6.0}),
    "jvp": (["--at", "x=3", "--dir", "x=1", "-m", "forward"], lambda d: d["methods"]["forward"]["jvp"] == -6.0),
    "vjp": (["--at", "x=3", "-u", "1", "-m", "reverse"], lambda d: d["methods"]["reverse"]["vjp"] == {"x": -6.0}),
    "jacobian": (["--at", "x=3", "-m", "reverse"], lambda d: d["methods"]["reverse"]["jacobian"] == [[-6.0]]),
    "hessian": (["--at", "x=3", "-m", "forward"], lambda d: d["methods"]["forward-over-reverse"]["hessian"] == [[-2.0]]),
    "diff": ([], lambda d: d["derivatives"] == {"x": "-2*x"}),
    "numeric": (["--at", "x=3"], lambda d: abs(d["methods"]["central"]["grad"]["x"] + 6) < 1e-8),
    "taylor": (["--at", "x=3", "--order", "2", "--no-symbolic"], lambda d: d["coefficients"] == [-9.0, -6.0, -1.0]),
    "trace": (["--at", "x=3"], lambda d: {s["name"]: s["adjoint"] for s in d["steps"]}["x"] == -6.0),
    "graph": (["--at", "x=3"], lambda d: [n["value"] for n in d["nodes"] if n["output"]] == [-9.0]),
    "lagrange": (["-s", "x**2 + y**2 = 2", "--starts", "8"], lambda d: {round(p["f"], 9) for p in d["points"]} == {-1, 1}),
    "check": (["--claim", "-2*x"], lambda d: d["verdict"] == "correct" and d["symbolic"] == "equivalent"),
    "steps": ([], lambda d: d["result"] == "-2*x" and d["verified"]["result"] == "correct"),
}


def test_every_command_is_tried_with_a_formula_starting_with_minus():
    from diffcli.cli.app import COMMANDS

    assert sorted(MINUS_FORMULA) == sorted(COMMANDS)


@pytest.mark.parametrize("command", sorted(MINUS_FORMULA))
def test_a_formula_starting_with_minus_is_the_formula(cli_json, command):
    options, check = MINUS_FORMULA[command]
    formula = "-x*y" if command == "lagrange" else "-x**2"
    document = cli_json(command, formula, *options)
    if command != "graph":  # (graph's document is the nodes and edges only)
        assert document["objective" if command == "lagrange" else "expr"] == formula
    assert check(document), document
    before = cli_json(command, *options, formula)  # after the options too
    assert check(before), before


@pytest.mark.parametrize("args, message", [
    (["grad", "x", "-y", "--at", "x=1"], "grad: No such option: -y"),  # the formula is x: -y is an option
    (["grad", "-x", "--bogus", "--at", "x=1"], "grad: No such option: --bogus"),
    (["grad", "--x", "--at", "x=1"], "grad: No such option: --x"),  # '--' words stay options
    (["grad", "-x", "-y", "--at", "x=1,y=2"], "grad: No such option: -x"),  # two candidates: neither is taken
    (["lagrange", "-s", "x = 1"], "lagrange: Missing argument 'objective'."),
])
def test_real_options_and_missing_formulas_still_fail(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2 and result.stderr.startswith(f"diffcli: error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_minus_alone_is_still_standard_input(cli_json):
    document = cli_json("grad", "-", "--at", "x=3", "-m", "reverse", input="-x**2")
    assert document["expr"] == "-x**2" and document["methods"]["reverse"]["grad"] == {"x": -6.0}


def test_a_short_option_with_its_value_attached_stays_an_option(cli_json):
    document = cli_json("grad", "-mreverse", "-sin(x)", "--at", "x=0")
    assert list(document["methods"]) == ["reverse"] and document["methods"]["reverse"]["grad"] == {"x": -1.0}
    # '-sin(x)' is no -s option of lagrange with the value 'in(x)': '(' never follows an option
    lagrange = cli_json("lagrange", "-sin(x) - y", "-s", "x**2 + y**2 = 1", "--starts", "8")
    assert lagrange["objective"] == "-sin(x) - y"
