"""Drawing the computation graph: DOT text that Graphviz (here pydot's parser) reads back exactly."""

from __future__ import annotations

from diffcli.ad.parse import parse
from diffcli.views.draw import describe, dot_text


def test_dot_escapes_quotes_and_newlines_in_labels(read_dot):
    g = parse("x*2")
    picture = describe(g, {"x": 1.0})
    picture.nodes[0].name = 'we"ird\\name\nline two'
    nodes, edges = read_dot(dot_text(picture))
    assert nodes == {"n0": 'we"ird\\name\nline two\nvalue 1\nadjoint 2', "n1": "2\nvalue 2",
                     "n2": "v1 = *\nvalue 2\nadjoint 1"}
    # The edge from x carries its local derivative; nothing flows back into the number 2.
    assert edges == [("n0", "n2", "∂v1/∂x = 2"), ("n1", "n2", None)]
