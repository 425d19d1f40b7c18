"""The gradient of a program's output with respect to its own intermediate names (`grad --retain`).

PyTorch's `retain_grad`: the program is run once to learn which names its top level
assigns, then again with a zero variable ε added where each name is assigned the last
time; ∂output/∂ε is that name's gradient, even where hash-consing merged the name with
an equal expression. Built on the parser (`parse.prepare`), the statement interpreter
(`program.run_program`) and reverse mode: it sits above all three.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from diffcli.ad.parse import prepare
from diffcli.ad.problem import scalar_output
from diffcli.ad.program import run_program
from diffcli.ad.reverse import gradient_reverse
from diffcli.errors import UsageError


def retained_gradients(text: str, point: Mapping[str, Any]) -> dict[str, Any]:
    """∂output/∂name for every name the program's top level assigns (at its last assignment),
    as PyTorch's `retain_grad` gives them. The output must be one number.

    >>> g = retained_gradients("y = x + 2; z = y*y*3; out = mean(z)", {"x": np.ones((2, 2))})
    >>> g["y"].tolist(), g["z"].tolist()
    ([[4.5, 4.5], [4.5, 4.5]], [[0.25, 0.25], [0.25, 0.25]])
    """
    source, module = prepare(text)
    first = run_program(source, module, text, point)
    if len(first.graph.outputs) != 1:
        raise UsageError("--retain needs a program with one output")
    last = {name: count - 1 for name, count in first.versions.items() if name != first.output_name}
    machine = run_program(source, module, text, point, frozenset(point), last)
    if not machine.retained:
        return {}
    zeros = {variable: machine.point[variable] for variable in machine.retained.values()}  # type: ignore[index]
    full_point = {**point, **zeros}
    graph = scalar_output(machine.graph, full_point, "--retain")
    _, gradient = gradient_reverse(graph, full_point, list(machine.retained.values()))
    return {name: gradient[variable] for name, variable in machine.retained.items()}
