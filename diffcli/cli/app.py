"""The Typer application: one-line errors, exit codes 0/1/2, and the commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from diffcli import __version__
from diffcli.errors import DiffcliError


def _click_class(name: str) -> type[BaseException]:
    """Click's exception class as Typer uses it (newer Typer vendors its own Click)."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_ClickUsageError = _click_class("UsageError")
_ClickException = _click_class("ClickException")


class _Group(TyperGroup):
    """Turns every failure into one line on stderr and the documented exit code."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            result = super().main(args=args, prog_name=prog_name or "diffcli", complete_var=complete_var,
                                  standalone_mode=False, **extra)
        except _ClickUsageError as error:
            message = error.format_message()
            option = getattr(error, "option_name", "") or ""
            if type(error).__name__ == "NoSuchOption" and option.startswith("-") and not option.startswith("--"):
                # A formula like "-x" looks like an option to the shell-style parser.
                message += f" (if it is a formula starting with '-', put a space before it: \" {option}\")"
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


def _fail(message: str, code: int) -> None:
    message = " ".join(message.splitlines())  # one line, even when it quotes user text with a newline
    sys.stderr.write(f"diffcli: error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


app = typer.Typer(
    cls=_Group,
    name="diffcli",
    help="Derivatives four ways — forward AD, reverse AD, central differences, SymPy — and Lagrange multipliers.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"diffcli {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """Derivatives four ways — forward AD, reverse AD, central differences, SymPy — and Lagrange multipliers."""


def _register() -> None:
    # Each command lives in its own module and adds itself to `app`.
    # The order here is the order of `diffcli --help`.
    from diffcli.cli.commands import grad, jvp, vjp, jacobian, hessian, diff, numeric, taylor, trace, graph, lagrange  # noqa: F401
    from diffcli.cli.commands import check, steps  # noqa: F401


_register()


def main(argv: list[str] | None = None) -> None:
    """The console entry point (with `argv`, a function call that ends in SystemExit)."""
    args = sys.argv[1:] if argv is None else list(argv)
    everything = app.registered_commands
    app.registered_commands = _invoked_commands(args)
    try:
        app(args=argv, prog_name="diffcli")
    except SystemExit as done:
        if argv is not None:
            raise
        _exit_now(done.code)
    finally:
        app.registered_commands = everything


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


def _invoked_commands(args: list[str]) -> list[Any]:
    """Only the command being run, when the first argument names one; otherwise all.

    Typer builds the Click parameters of every registered command on each start (tens
    of milliseconds for eleven commands, mostly evaluating annotations), and a script
    runs only one: building just that one keeps `diffcli grad ... --json` near the
    import floor. Help, a typo or root options still see every command.
    """
    if args and not args[0].startswith("-"):
        picked = [info for info in app.registered_commands
                  if (info.name or info.callback.__name__.lower().replace("_", "-")) == args[0]]
        if picked:
            return picked
    return app.registered_commands
