"""One module per command, each named after the command it implements."""
