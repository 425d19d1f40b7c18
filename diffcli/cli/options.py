"""The options of the commands that compare methods, each declared once, and the group they form.

`grad`, `jvp`, `vjp`, `jacobian` and `hessian` take the same run of options: which methods
(--method), the central difference's step (--h, --richardson), SymPy's time
(--symbolic-timeout), the agreement check (--check) and the outputs (--json, --output).
`MethodOptions` declares that run once. A command names it as one parameter,

    def hessian(expr: ExprArgument, ..., options: MethodOptions = METHOD_OPTIONS) -> None: ...

and `with_option_groups` spreads its fields into the signature Typer reads, where that
parameter stands, so `--help` lists them as plain options in that place; the command is
called with one `MethodOptions` holding what was given.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, TypeVar

import typer

from diffcli.cli.common import JsonOption, split_names

MethodOption = Annotated[Optional[str], typer.Option(
    "--method", "-m", help="Comma-separated: forward, reverse, central, symbolic, complex "
                           "\\[default: the first four; complex (the complex step) when named].")]
HOption = Annotated[Optional[float], typer.Option("--h", help="Step for central differences (default: chosen per entry).")]
RichardsonOption = Annotated[bool, typer.Option("--richardson", help="Richardson-extrapolate the central difference.")]
TimeoutOption = Annotated[float, typer.Option("--symbolic-timeout", help="Seconds SymPy may take.")]
CheckOption = Annotated[Optional[float], typer.Option(
    "--check", help="Exit 1 if any method is off by more than TOL·max(1, |reference|).", metavar="TOL")]
OutputOption = Annotated[Optional[Path], typer.Option(
    "--output", "-o", metavar="FILE", dir_okay=False,
    help="Also write the result (the reference method's) to FILE.npy, FILE.csv or FILE.json.")]


@dataclasses.dataclass(frozen=True)
class MethodOptions:
    """What a comparing command was asked: the methods and their settings, the check, the outputs."""

    method: MethodOption = None
    h: HOption = None
    richardson: RichardsonOption = False
    symbolic_timeout: TimeoutOption = 5.0
    check: CheckOption = None
    json_output: JsonOption = False
    output: OutputOption = None

    def methods(self) -> tuple[list[str], bool]:
        """The methods asked for, and whether they were asked for explicitly (which lifts size limits)."""
        from diffcli.checks.options import select_methods  # the API checks the same way

        return select_methods(split_names(self.method, "--method"), self.check, self.symbolic_timeout)

    def settings(self, methods: list[str], explicit: bool) -> dict[str, Any]:
        """The keyword arguments of the API call (`api.grad`, `api.jvp`, ...) that these options set."""
        return dict(method=methods if explicit else None, h=self.h, richardson=self.richardson,
                    symbolic_timeout=self.symbolic_timeout, quiet=True)


METHOD_OPTIONS = MethodOptions()

Command = TypeVar("Command", bound=Callable[..., None])


def with_option_groups(command: Command) -> Command:
    """`command` as Typer should see it: each parameter typed by an option group (a dataclass
    whose fields are Annotated options) replaced by the group's fields, in their order.

    The function returned takes those fields by name, builds the group and calls `command`
    with it; its signature (which Typer reads for the options and `--help`) lists the fields
    in the group's place.
    """
    signature = inspect.signature(command)
    hints = typing.get_type_hints(command, include_extras=True)
    spread: list[inspect.Parameter] = []
    groups: dict[str, tuple[type, list[str]]] = {}
    for parameter in signature.parameters.values():
        kind = hints.get(parameter.name, parameter.annotation)
        if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
            spread.append(parameter.replace(annotation=kind))
            continue
        fields = typing.get_type_hints(kind, include_extras=True)
        groups[parameter.name] = (kind, list(fields))
        spread += [inspect.Parameter(field.name, parameter.kind, annotation=fields[field.name], default=field.default)
                   for field in dataclasses.fields(kind)]

    @functools.wraps(command)
    def run(**given: Any) -> None:
        for name, (group, fields) in groups.items():
            given[name] = group(**{field: given.pop(field) for field in fields})
        command(**given)

    run.__signature__ = signature.replace(parameters=spread)  # type: ignore[attr-defined]
    run.__annotations__ = {parameter.name: parameter.annotation for parameter in spread}
    return typing.cast(Command, run)
