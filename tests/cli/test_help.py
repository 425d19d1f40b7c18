"""Every command's options as `--help` lists them, and one wording for an option several commands share."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import typer

from diffcli.cli.app import COMMANDS, build

# Each command's options, in the order its --help lists them (the order of its parameters;
# an option group such as MethodOptions stands where the command names it).
COMPARING = ["--method", "--h", "--richardson", "--symbolic-timeout", "--check", "--json", "--output"]
OPTIONS = {
    "grad": ["--at", "--let", "--wrt", *COMPARING, "--at-file", "--backend", "--format", "--retain", "--plot"],
    "jvp": ["--at", "--dir", "--let", "--wrt", *COMPARING, "--format", "--plot"],
    "vjp": ["--at", "--cotangent", "--let", "--wrt", *COMPARING, "--format"],
    "jacobian": ["--at", "--let", "--wrt", "--mode", *COMPARING, "--format"],
    "hessian": ["--at", "--let", "--wrt", *COMPARING, "--format"],
    "diff": ["--at", "--let", "--wrt", "--order", "--latex", "--simplify", "--show-ad", "--full", "--symbolic-timeout",
             "--json"],
    "numeric": ["--at", "--let", "--wrt", "--sweep", "--plot", "--plot-secants", "--h", "--richardson", "--json",
                "--format"],
    "taylor": ["--at", "--let", "--wrt", "--order", "--symbolic", "--symbolic-timeout", "--json", "--format"],
    "trace": ["--at", "--let", "--wrt", "--mode", "--dir", "--json", "--format"],
    "graph": ["--at", "--let", "--wrt", "--format", "--output", "--grad", "--json"],
    "lagrange": ["--subject-to", "--let", "--shape", "--min", "--max", "--start", "--starts", "--max-starts", "--seed",
                 "--box", "--tol", "--max-iter", "--certify", "--certify-timeout", "--verbose", "--exact",
                 "--exact-timeout", "--compare", "--plot", "--sensitivity", "--json"],
    "check": ["--claim", "--claims-file", "--order", "--jacobian", "--hessian", "--wrt", "--let", "--at", "--samples",
              "--seed", "--symbolic", "--symbolic-timeout", "--format", "--json"],
    "steps": ["--wrt", "--let", "--at", "--format", "--max-steps", "--symbolic-timeout", "--json"],
}

# Options whose meaning depends on the command, so their help (or default) differs by design.
# Any other option a second command takes must read exactly as in the first: declare it once
# (cli/common.py, cli/options.py) and name the alias.
DIFFERS_BY_DESIGN = {
    "--at": "check: points to check at, repeatable; elsewhere the one point",
    "--dir": "jvp: the tangent v of J·v; trace: forward mode's seed ẋ",
    "--mode": "jacobian: forward/reverse/both; trace: tangents or adjoints",
    "--order": "which derivative, the degree of a Taylor polynomial, the order of a claim",
    "--symbolic": "taylor compares with SymPy's series; check confirms a claim",
    "--symbolic-timeout": "what SymPy's time covers (one run, per variable, per claim, the result) and its default",
    "--seed": "check seeds its sample of points; lagrange its random starts",
    "--format": "each command has its own formats",
    "--output": "graph writes the picture; the comparing commands the reference result",
    "--plot": "each command draws its own picture",
}


def _commands() -> dict[str, typer.core.TyperCommand]:
    return typer.main.get_command(build()).commands  # type: ignore[attr-defined]


def _options(command) -> dict[str, object]:
    return {param.opts[0]: param for param in command.params if param.param_type_name == "option"}


def test_the_table_names_every_command_and_exactly_its_options():
    commands = _commands()
    assert set(OPTIONS) == set(COMMANDS)
    for name, command in commands.items():
        assert list(_options(command)) == OPTIONS[name], name


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_help_lists_every_option_in_order(cli, command):
    result = cli(command, "--help")
    assert result.exit_code == 0
    panel = result.stdout[result.stdout.index("─ Options "):]   # not the description above it
    listed = re.findall(r"^│ (?:\* +)?(--[\w-]+)", panel[:panel.index("╰")], flags=re.MULTILINE)
    assert listed == [*OPTIONS[command], "--help"]


def test_an_option_several_commands_share_reads_the_same_in_each():
    descriptions: dict[str, dict[tuple, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, command in _commands().items():
        for option, param in _options(command).items():
            text = (tuple(param.opts), tuple(param.secondary_opts), param.help, param.default, param.metavar,
                    type(param.type).__name__, param.multiple)
            descriptions[option][text].append(name)
    shared = {option: forms for option, forms in descriptions.items() if sum(map(len, forms.values())) > 1}
    assert {"--method", "--output", "--json", "--let", "--h", "--richardson"} <= set(shared)
    differing = {option: list(forms.values()) for option, forms in shared.items()
                 if len(forms) > 1 and option not in DIFFERS_BY_DESIGN}
    assert differing == {}
    for option in COMPARING:  # the MethodOptions group: one declaration, the same in all five commands
        forms = [commands for commands in descriptions[option].values()
                 if set(commands) >= {"grad", "jvp", "vjp", "jacobian", "hessian"}]
        assert len(forms) == 1, option
