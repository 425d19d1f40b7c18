"""`python -m diffcli` does what `diffcli` does."""

from diffcli.cli import main

if __name__ == "__main__":
    main()
