"""Numbers as text, for every place diffcli shows one: messages, graph pictures, tables, files.

One function for a number and one for a value that may be a tensor; each way a place
shows numbers differently is a parameter here, not a copy there.

>>> number_text(5.25), number_text(1 / 3, 6), number_text(float("nan"), nan="undefined")
('5.25', '0.333333', 'undefined')
>>> number_text(1234567.0, 6), number_text(1234567.0, 6, whole=True), number_text(0.1 + 0.2, None)
('1.23457e+06', '1234567', '0.30000000000000004')
>>> value_text([[1, 2.5], [3, 4]], 6), value_text(list(range(7)), 6, too_many="constant")
('[[1, 2.5], [3, 4]]', '<7 constant>')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# Whole numbers below this are written out in full with `whole=True`; above it a double
# no longer holds every integer, and the digits would claim more than the value knows.
WHOLE_LIMIT = 1e15


def number_text(value: Any, digits: int | None = 15, *, whole: bool = False, nan: str = "nan") -> str:
    """One number: `digits` significant digits, no trailing zeros (5.25, not 5.250000).

    digits=None gives the shortest text that reads back as the same double (1, 0.1024,
    -0.05360006926756178): for files that other programs read. whole=True writes a whole
    number in full whatever `digits` (1234567, and -0 as 0). `nan` is what an undefined
    value reads as ("undefined" in tables). Infinities read inf and -inf.
    """
    x = float(value)
    if math.isnan(x):
        return nan
    if whole and x.is_integer() and abs(x) < WHOLE_LIMIT:
        return str(int(x))
    if digits is None:
        return shortest_text(x)
    return f"{x:.{digits}g}"


def shortest_text(x: float) -> str:
    """A Python float as the shortest text that reads back as the same double: 1, 0.1, -0, nan, 1e-07.

    `number_text(value, None)` for a value already known to be a float: the batch CSV writer
    calls this once per entry, where number_text's conversion and NaN test would cost about
    a tenth more CPU for the whole run (`grad --at-file` writing 300,000 rows as CSV: 1.37 s
    against 1.24 s, medians of 5 processes in turns).

    >>> [shortest_text(v) for v in (1.0, 0.1, -0.0, float("nan"), 1e-07)]
    ['1', '0.1', '-0', 'nan', '1e-07']
    """
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def value_text(value: Any, digits: int = 15, *, entry_digits: int | None = None, whole: bool = False,
               most_entries: int = 6, too_many: str = "array") -> str:
    """A number as `number_text`; a tensor of at most `most_entries` entries as nested lists.

    The entries get `entry_digits` significant digits (default `digits`); a larger tensor
    is named by its shape, '<2×3 array>', with `too_many` as the noun.
    """
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return number_text(array, digits, whole=whole)
    if array.size > most_entries:
        return f"<{'×'.join(map(str, array.shape))} {too_many}>"
    shown = digits if entry_digits is None else entry_digits

    def nested(entries: Any) -> str:
        if isinstance(entries, list):
            return "[" + ", ".join(nested(entry) for entry in entries) + "]"
        return number_text(entries, shown, whole=whole)

    return nested(array.tolist())
