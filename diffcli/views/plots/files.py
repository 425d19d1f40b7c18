"""What every picture shares: its file types, its missing-dependency message, saving.

Every `--plot FILE` (and `numeric --plot-secants`, `graph --output`) checks FILE with
`check_path` before any work, so a typo in the suffix costs nothing, and asks for
matplotlib with `require_matplotlib`, which fails the same way everywhere: one line
naming the option and the extra to install, exit code 1 (the input was fine; the
machine lacks a tool).

>>> from pathlib import Path
>>> check_path(Path("fig.png"), "--plot")
>>> check_path(Path("fig.gif"), "--plot")
Traceback (most recent call last):
...
diffcli.errors.UsageError: --plot: cannot write '.gif' pictures here (use .png, .svg, .pdf or .jpg)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from diffcli.errors import MathError, UsageError

STILL_SUFFIXES = (".png", ".svg", ".pdf", ".jpg", ".jpeg")
ANIMATED_SUFFIXES = (".gif",)
DPI = 120
MATPLOTLIB_INSTALL = "pip install 'diffcli[plot]' (or pip install matplotlib)"


class MissingTool(MathError):
    """An optional program or package a picture needs is not installed (exit code 1, like every
    failure that is not the user's input; the API raises one exception type per exit code)."""


def _suffix_list(animated: bool) -> str:
    names = [s for s in STILL_SUFFIXES if s != ".jpeg"] + (list(ANIMATED_SUFFIXES) if animated else [])
    return ", ".join(names[:-1]) + " or " + names[-1]


def check_path(path: Path, option: str, animated: bool = False) -> None:
    """Refuse (UsageError, exit 2) a file type the picture cannot be, or a folder that does not exist."""
    suffix = path.suffix.lower()
    allowed = STILL_SUFFIXES + (ANIMATED_SUFFIXES if animated else ())
    if suffix not in allowed:
        raise UsageError(f"{option}: cannot write '{path.suffix or path.name}' pictures here "
                         f"(use {_suffix_list(animated)})")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{option}: cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a folder")


def is_animated(path: Path) -> bool:
    return path.suffix.lower() in ANIMATED_SUFFIXES


def require_matplotlib(option: str) -> None:
    """Fail (MissingTool, exit 1) with the install line when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingTool(f"{option} needs matplotlib, an optional extra: {MATPLOTLIB_INSTALL}") from None


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend (no window, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure: Any, path: Path, option: str) -> None:
    """Write a still figure (type from the suffix) and close it; an unwritable path is exit 2."""
    plt = pyplot()
    try:
        # Fixed metadata: the same picture gives the same file (SVG ids and dates otherwise vary).
        metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(path.suffix.lower()[1:])
        # SVG text stays text (searchable, and the labels can be read back), with stable ids.
        with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "diffcli"}):
            figure.savefig(path, dpi=DPI, metadata=metadata)
    except OSError as error:
        raise UsageError(f"{option}: cannot write {path}: {error.strerror or error}") from None
    finally:
        plt.close(figure)


def save_animation(animation: Any, figure: Any, path: Path, option: str, fps: int, dpi: int = DPI) -> None:
    """Write an animated GIF with matplotlib's Pillow writer, then close the figure."""
    from matplotlib.animation import PillowWriter

    plt = pyplot()
    try:
        animation.save(os.fspath(path), writer=PillowWriter(fps=fps), dpi=dpi)
    except OSError as error:
        raise UsageError(f"{option}: cannot write {path}: {error.strerror or error}") from None
    finally:
        plt.close(figure)
