"""`Ref`: a value in graph mode — node `node` of a tape — instead of a number.

The op functions (`diffcli.ad.ops`) compute numbers from NumPy values and record a
node when any argument is a `Ref`; a `Ref`'s operators do the same, so one derivative
rule written `g * cos(x)` serves both (see `tape`). This module needs nothing else
from diffcli: a `Ref` only asks its tape to `add` a node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from diffcli.ad.tape import Tape


class Ref:
    """A symbolic value: node `node` of `tape`. Supports arithmetic operators."""

    __slots__ = ("tape", "node")
    __array_priority__ = 1000  # make `ndarray * Ref` defer to Ref.__rmul__

    def __init__(self, tape: "Tape", node: int):
        self.tape = tape
        self.node = node

    @property
    def value(self) -> Any:
        return self.tape.values[self.node]

    @property
    def shape(self) -> tuple[int, ...]:
        value = self.tape.values[self.node]
        # NumPy scalars and arrays carry their shape; np.shape() is for everything else.
        return value.shape if isinstance(value, (np.ndarray, np.generic)) else np.shape(value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"Ref({self.tape.graph.ops[self.node]}#{self.node})"

    def _op(self, name: str, *args: Any) -> "Ref":
        return self.tape.add(name, args)

    def __add__(self, other): return self._op("add", self, other)
    def __radd__(self, other): return self._op("add", other, self)
    def __sub__(self, other): return self._op("sub", self, other)
    def __rsub__(self, other): return self._op("sub", other, self)
    def __mul__(self, other): return self._op("mul", self, other)
    def __rmul__(self, other): return self._op("mul", other, self)
    def __truediv__(self, other): return self._op("div", self, other)
    def __rtruediv__(self, other): return self._op("div", other, self)
    def __pow__(self, other): return self._op("pow", self, other)
    def __rpow__(self, other): return self._op("pow", other, self)
    def __matmul__(self, other): return self._op("matmul", self, other)
    def __rmatmul__(self, other): return self._op("matmul", other, self)
    def __neg__(self): return self._op("neg", self)
    def __gt__(self, other): return self._op("gt", self, other)
    def __lt__(self, other): return self._op("lt", self, other)
    def __ge__(self, other): return self._op("ge", self, other)
    def __le__(self, other): return self._op("le", self, other)

    @property
    def T(self) -> "Ref":
        return self._op("transpose", self)
