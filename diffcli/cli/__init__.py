"""The command-line interface: thin commands over the core, rendering with Rich."""

from typing import Any

from diffcli.cli.app import main

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    """`app`, the Typer application with every command, is built only when asked for."""
    if name == "app":
        from diffcli.cli.app import build

        return build()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
