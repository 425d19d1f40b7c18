"""The command-line interface: thin commands over the core, rendering with Rich."""

from diffcli.cli.app import app, main

__all__ = ["app", "main"]
