"""An undefined value inside a formula is reported even when a later op hides it.

exp(log(0)) = exp(-inf) = 0 and 1/(1/0) = 0 look finite; `nan > 0` is simply false. The
formula is undefined there all the same, and every command says so as it does for log(0)
itself: exit 1 naming the op and its column. The branch a point does not take, and
overflow (a large number, not an undefined one), are not reported.
"""

from __future__ import annotations

import itertools

import pytest

from diffcli.ad.evaluate import check_outputs, evaluate, hidden_undefined
from diffcli.ad.parse import parse
from diffcli.errors import MathError

# Each producer is undefined at x = 0 (with the message the command gives for it alone) …
PRODUCERS = {
    "log(x)": "log of zero: log(0) is -infinity",
    "1/x": "division by zero: 1/0",
    "x**-1": "zero to a negative power: 0**-1 is infinite (division by zero)",
    "sqrt(x - 1)": "sqrt of a negative number: sqrt(-1) is undefined",
    "acosh(x)": "acosh(0) is undefined: acosh needs an argument >= 1",
    "log(x - 1)": "log of a negative number: log(-1) is undefined",
}
# … and each absorber turns an infinite or NaN argument into a finite value.
ABSORBERS = [
    "exp(-({u})**2)",
    "1/(1 + ({u})**2)",
    "atan({u})",
    "tanh({u}) + x",
    "sigmoid({u})",
    "1 if {u} > 0 else x",
    "({u} > 0) + x",
    "1**({u})",
    "({u})**0",
    "c = {u}; d = exp(-abs(c)); d*x",
]


@pytest.mark.parametrize("producer, absorber", list(itertools.product(PRODUCERS, ABSORBERS)))
def test_a_hidden_undefined_value_is_reported(producer, absorber):
    formula = absorber.format(u=producer)
    graph = parse(formula)
    values = evaluate(graph, {"x": 0.0})
    output = values[graph.outputs[0]]
    if output != output or abs(output) == float("inf"):  # not hidden: the output itself is undefined
        with pytest.raises(MathError):
            check_outputs(graph, values)
        return
    message = hidden_undefined(graph, values, graph.outputs)
    assert message is not None and message.startswith(PRODUCERS[producer]), (formula, message)


@pytest.mark.parametrize("producer, absorber", list(itertools.product(PRODUCERS, ABSORBERS)))
def test_the_branch_not_taken_hides_nothing(producer, absorber):
    *statements, last = absorber.format(u=producer).split("; ")
    formula = "; ".join([*statements, f"({last}) if x > 1 else x"])
    graph = parse(formula)
    assert hidden_undefined(graph, evaluate(graph, {"x": 0.0}), graph.outputs) is None


@pytest.mark.parametrize("formula, point", [
    ("1/(1 + exp(-x))", {"x": -1000.0}),          # exp(1000) overflows; the value 0 is right
    ("exp(-exp(x))", {"x": 1000.0}),
    ("sum(where(x > 0, exp(log(x)), 0))", {"x": [0.0, 1.0]}),  # the entry not taken
    ("log(x)[1]", {"x": [-1.0, 1.0]}),                          # the entry not used
    ("x**y", {"x": 0.0, "y": 0.0}),                             # 0**0 = 1 by convention
])
def test_what_is_not_reported(formula, point):
    graph = parse(formula)
    assert hidden_undefined(graph, evaluate(graph, point), graph.outputs) is None


COMMANDS = {
    "grad": ["grad", "{f}", "--at", "x=0"],
    "jacobian": ["jacobian", "[x, {f}]", "--at", "x=0"],
    "jvp": ["jvp", "{f}", "--at", "x=0", "--dir", "x=1"],
    "vjp": ["vjp", "{f}", "--at", "x=0", "--cotangent", "1"],
    "hessian": ["hessian", "{f}", "--at", "x=0"],
    "numeric": ["numeric", "{f}", "--at", "x=0"],
    "sweep": ["numeric", "{f}", "--at", "x=0", "--sweep"],
    "taylor": ["taylor", "{f}", "--at", "x=0", "--no-symbolic"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("formula, message, column", [
    ("exp(log(x))", "log of zero: log(0) is -infinity", 5),
    ("1/(1/x)", "division by zero: 1/0", 5),
    ("arctan(1/x)", "division by zero: 1/0", 9),
])
def test_every_command_reports_it_like_the_undefined_value_itself(cli, command, formula, message, column):
    args = [a.format(f=formula) for a in COMMANDS[command]]
    column += 4 if command == "jacobian" else 0  # after "[x, "
    result = cli(*args, "-m", "reverse") if command not in ("numeric", "sweep", "taylor") else cli(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"diffcli: error: {message} (column {column})\n"


@pytest.mark.parametrize("command", ["trace", "graph"])
def test_trace_and_graph_show_the_values_and_warn(cli, command):
    result = cli(command, "exp(log(x))", "--at", "x=0")
    assert result.exit_code == 0
    assert result.stderr == ("warning: undefined inside the formula (a later operation hides it): "
                             "log of zero: log(0) is -infinity (column 5)\n")
