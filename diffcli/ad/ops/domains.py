"""Why an op's result is not finite, in one sentence: the `domain` facts of the rows.

`domain_message(op, ans, args)` is what evaluation reports when a value the user asked
for is not finite: "log of a negative number: log(-2) is undefined".
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from diffcli.ad.ops.registry import PRIMITIVES
from diffcli.ad.text import number_text

Message = Callable[..., str | None]


def format_number(value: Any) -> str:
    """A number as a message shows it: 3, -0.5, 1.23457e+20; an array by its shape."""
    array = np.asarray(value)
    if array.ndim == 0:
        return number_text(array, 6, whole=True)
    return f"array of shape {array.shape}"


def first_bad(ans: Any, *args: Any) -> tuple[Any, ...]:
    """The arguments at the first entry where `ans` is not finite (scalars as they are)."""
    ans_array = np.asarray(ans)
    if ans_array.ndim == 0:
        return args
    index = tuple(np.argwhere(~np.isfinite(ans_array))[0])
    return tuple(np.broadcast_to(np.asarray(arg), ans_array.shape)[index] for arg in args)


def log_domain(label: str) -> Message:
    def message(ans: Any, x: Any) -> str | None:
        (x,) = first_bad(ans, x)
        if x < 0:
            return f"{label} of a negative number: {label}({format_number(x)}) is undefined"
        if x == 0:
            return f"{label} of zero: {label}(0) is -infinity"
        return None

    return message


def sqrt_domain(ans: Any, x: Any) -> str | None:
    (x,) = first_bad(ans, x)
    return f"sqrt of a negative number: sqrt({format_number(x)}) is undefined" if x < 0 else None


def div_domain(ans: Any, x: Any, y: Any) -> str | None:
    x, y = first_bad(ans, x, y)
    return f"division by zero: {format_number(x)}/{format_number(y)}" if y == 0 else None


def pow_domain(ans: Any, x: Any, y: Any) -> str | None:
    x, y = first_bad(ans, x, y)
    if x < 0 and not float(y).is_integer():
        return f"a negative number to a non-integer power: ({format_number(x)})**{format_number(y)} is not real"
    if x == 0 and y < 0:
        return f"zero to a negative power: 0**{format_number(y)} is infinite (division by zero)"
    return None


def interval_domain(label: str, low: float, high: float, closed: bool = True) -> Message:
    def message(ans: Any, x: Any) -> str | None:
        (x,) = first_bad(ans, x)
        inside = low <= x <= high if closed else low < x < high
        if not inside:
            ends = f"{format_number(low)}, {format_number(high)}"
            bracket = f"[{ends}]" if closed else f"({ends})"
            return f"{label}({format_number(x)}) is undefined: {label} needs its argument in {bracket}"
        return None

    return message


def acosh_domain(ans: Any, x: Any) -> str | None:
    (x,) = first_bad(ans, x)
    return f"acosh({format_number(x)}) is undefined: acosh needs an argument >= 1" if x < 1 else None


def linalg_domain(label: str) -> Message:
    def message(ans: Any, a: Any) -> str | None:
        if label == "logdet":
            d = float(np.linalg.det(a))
            if d == 0:
                return "logdet of a singular matrix: det = 0, so logdet is -infinity"
            if d < 0:
                return f"logdet of a matrix with negative determinant ({format_number(d)}): the log is undefined"
        return f"{label} of a singular matrix (determinant 0)"

    return message


def domain_message(op: str, ans: Any, args: tuple[Any, ...]) -> str:
    """Why `op(*args)` produced a non-finite value, in one sentence."""
    primitive = PRIMITIVES[op]
    if primitive.domain is not None:
        try:
            message = primitive.domain(ans, *args)
        except (TypeError, ValueError, IndexError):
            message = None
        if message:
            return message
    # Entry by entry for elementwise ops; a structural op's arguments (A @ w) are shown whole.
    picked = first_bad(ans, *args) if "elementwise" in primitive.tags else args
    shown = ", ".join(format_number(a) for a in picked)
    if np.isinf(np.asarray(ans)).any():
        return f"{op}({shown}) overflowed to infinity"
    return f"{op}({shown}) is undefined"
