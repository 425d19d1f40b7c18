"""The Typer application: the table of commands, one-line errors, exit codes 0/1/2.

Each command is a plain function in its own module of `diffcli.cli.commands`; this
module registers them. Only the command being run is imported and built (see
`app_for`), so `diffcli grad ... --json` pays for grad alone.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from diffcli import __version__
from diffcli.cli import common
from diffcli.errors import DiffcliError

# name → the function in diffcli.cli.commands.<name>, in the order of `diffcli --help`.
COMMANDS: dict[str, str] = {
    "grad": "grad",
    "jvp": "jvp",
    "vjp": "vjp",
    "jacobian": "jacobian",
    "hessian": "hessian",
    "diff": "diff_command",
    "numeric": "numeric_command",
    "taylor": "taylor_command",
    "trace": "trace_command",
    "graph": "graph_command",
    "lagrange": "lagrange",
    "check": "check_command",
    "steps": "steps_command",
}

HELP = "Derivatives four ways — forward AD, reverse AD, central differences, SymPy — and Lagrange multipliers."


def _click_class(name: str) -> type[BaseException]:
    """Click's exception class as Typer uses it (newer Typer vendors its own Click)."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_ClickUsageError = _click_class("UsageError")
_ClickException = _click_class("ClickException")

# Characters that never follow '-' in an option but often in a formula ("-sin(x)", "-x**2").
_FORMULA_CHARACTERS = frozenset("()[]*+-/^<>=!&|%@., ")


class _Group(TyperGroup):
    """Turns every failure into one line on stderr and the documented exit code."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        common.reset_consoles()  # each run prints to the streams it is given (in-process runs too)
        try:
            result = super().main(args=args, prog_name=prog_name or "diffcli", complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except _ClickUsageError as error:
            message = error.format_message()
            if error.ctx is not None and error.ctx.command.name and error.ctx.command.name != "diffcli":
                message = f"{error.ctx.command.name}: {message}"
            _fail(message, 2)
        except DiffcliError as error:
            _fail(str(error), error.exit_code)
        except typer.Abort:
            _fail("aborted", 130)
        except _ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        sys.exit(result if isinstance(result, int) else 0)


class _Command(TyperCommand):
    """A command whose formula may start with '-': `grad "-x**2" --at x=1` (max f is min −f)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        options = {name: not (param.is_flag or param.count) for param in self.get_params(ctx)
                   if param.param_type_name == "option" for name in (*param.opts, *param.secondary_opts)}
        return super().parse_args(ctx, formula_as_argument(args, options))


def formula_as_argument(args: list[str], options: dict[str, bool]) -> list[str]:
    """`args` with a formula that looks like an option moved behind '--', where Click reads it as EXPR.

    `options` maps each option name of the command to whether it takes a value. A word
    starting with a single '-' is the formula when it stands in the formula's place (it
    is the only positional argument) and is no option: not one of the names, and not a
    short option with its value attached ('-mreverse'). '-' alone stays standard input;
    '--word' stays an option, so a misspelt one is still an error.

    >>> formula_as_argument(["-x**2", "--at", "x=1"], {"--at": True})
    ['--at', 'x=1', '--', '-x**2']
    >>> formula_as_argument(["-mreverse", "-sin(x)"], {"-m": True})
    ['-mreverse', '--', '-sin(x)']
    >>> formula_as_argument(["x", "-y"], {})  # the formula is x: -y is an (unknown) option
    ['x', '-y']
    """
    positional: list[int] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            return args  # the user has already said where the options end
        if word.startswith("--") or word in options:
            takes_value = options.get(word.split("=", 1)[0], False) and "=" not in word
            index += 2 if takes_value else 1
            continue
        attached = word[:2] in options and options[word[:2]] and not _FORMULA_CHARACTERS & set(word[2:])
        if not attached:
            positional.append(index)
        index += 1
    if len(positional) != 1 or not args[positional[0]].startswith("-") or args[positional[0]] == "-":
        return args
    formula = positional[0]
    return args[:formula] + args[formula + 1:] + ["--", args[formula]]


def _fail(message: str, code: int) -> None:
    message = " ".join(message.splitlines())  # one line, even when it quotes user text with a newline
    sys.stderr.write(f"diffcli: error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"diffcli {__version__}\n")
        raise typer.Exit()


def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """Derivatives four ways — forward AD, reverse AD, central differences, SymPy — and Lagrange multipliers."""


@functools.cache
def build(names: tuple[str, ...] = tuple(COMMANDS)) -> typer.Typer:
    """The application with these commands (default: all), each imported only now."""
    application = typer.Typer(
        cls=_Group,
        name="diffcli",
        help=HELP,
        no_args_is_help=True,
        add_completion=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    application.callback()(_root)
    for name in names:
        module = importlib.import_module(f"diffcli.cli.commands.{name}")
        application.command(name, cls=_Command, epilog=module.EXAMPLES)(getattr(module, COMMANDS[name]))
    return application


def app_for(args: list[str]) -> typer.Typer:
    """Only the command being run, when the first argument names one; otherwise all.

    Typer builds the Click parameters of every registered command on each start (tens
    of milliseconds for eleven commands, mostly evaluating annotations), and a script
    runs only one: importing and building just that one keeps `diffcli grad ... --json`
    near the import floor. Help, a typo or root options still see every command.
    """
    if args and args[0] in COMMANDS:
        return build((args[0],))
    return build()


def __getattr__(name: str) -> Any:
    """`app`: the application with every command, built when first asked for."""
    if name == "app":
        return build()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """The console entry point (with `argv`, a function call that ends in SystemExit)."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        app_for(args)(args=args, prog_name="diffcli")
    except SystemExit as done:
        if argv is not None:
            raise
        _exit_now(done.code)


def _exit_now(code: Any) -> None:
    """End the process without the interpreter's teardown, output flushed first.

    Freeing every NumPy, Typer and Rich object at exit takes about 30 ms, a tenth of a
    start, and a script calling diffcli in a loop waits for it. Nothing here needs the
    teardown: files are closed where they are written and no atexit hook is ours.
    """
    status = code if isinstance(code, int) else (0 if code is None else 1)
    if not isinstance(code, (int, type(None))):
        sys.stderr.write(f"{code}\n")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        status = 0  # the reader went away, as `_Group.main` treats it
    os._exit(status)
