"""Commands that look at a formula's structure (graph, diff) work with or without --at."""

from __future__ import annotations

from typing import Optional

from diffcli.ad.problem import Problem, make_problem
from diffcli.ad.inputs import read_assignments
from diffcli.cli.common import read_expression, split_names

PLACEHOLDER = 1.0


def load_structure(expr: str, at: Optional[list[str]], let: Optional[list[str]],
                   wrt: Optional[str]) -> tuple[Problem, bool]:
    """The problem, and whether the user gave a point.

    Variables without a value get a scalar placeholder: the structure of a derivative
    graph does not depend on the point for scalar variables (branches stay symbolic as
    `where` nodes), but its construction needs values to know shapes. A program whose
    path depends on its values has no structure apart from a point: without --at,
    `parse` refuses it, naming the decision that needs one.
    """
    from diffcli.ad.parse import parse

    text = read_expression(expr)
    constants = read_assignments(let, "--let")
    if at is not None:
        return make_problem(text, read_assignments(at, "--at"), constants, split_names(wrt, "--wrt")), True
    given = {name: PLACEHOLDER for name in parse(text).variables if name not in constants}
    return make_problem(text, given, constants, split_names(wrt, "--wrt")), False
