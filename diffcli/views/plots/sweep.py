"""The step-size sweep as a log-log picture: error against h for every scheme.

matplotlib is an optional extra (`pip install diffcli[plot]`), loaded through
`plots.files` only when a plot is asked for.
"""

from __future__ import annotations

import math
from pathlib import Path

from diffcli.views.plots import files
from diffcli.views.sweep import Sweep

# Exact zeros cannot sit on a log axis; they are drawn at this floor and said to be exact.
ZERO_FLOOR = 1e-17


def plot_sweep(sweep: Sweep, path: Path) -> None:
    """Draw |error| against h on log-log axes, with each scheme's best h and textbook h."""
    files.check_path(path, "--plot")
    files.require_matplotlib("--plot")
    plt = files.pyplot()
    figure, axes = plt.subplots(figsize=(7.5, 5.0))
    try:
        for scheme, errors in sweep.errors.items():
            if all(not math.isfinite(e) for e in errors):
                continue
            shown = [max(e, ZERO_FLOOR) if math.isfinite(e) else math.nan for e in errors]
            (line,) = axes.loglog(sweep.steps, shown, marker="o", markersize=3, label=scheme)
            best = sweep.best.get(scheme)
            if best is not None:
                axes.plot([best.h], [max(best.error, ZERO_FLOOR)], marker="*", markersize=14,
                          color=line.get_color(), linestyle="none")
                if best.textbook_h is not None:
                    axes.axvline(best.textbook_h, color=line.get_color(), linestyle=":", linewidth=1)
        axes.invert_xaxis()
        axes.set_xlabel("step h")
        axes.set_ylabel(f"|error| against AD (zero drawn at {ZERO_FLOOR:g})")
        axes.set_title(f"d/d{sweep.variable} at {sweep.variable} = {sweep.x:.6g}: truncation vs round-off\n"
                       "★ best h measured, dotted line: textbook h")
        axes.grid(True, which="major", alpha=0.3)
        axes.legend()
        figure.tight_layout()
        files.save(figure, path, "--plot")
    finally:
        plt.close(figure)
