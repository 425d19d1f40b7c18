"""`diffcli graph`: tree, DOT (checked with pydot's parser), Mermaid, JSON, files and images."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

def test_tree_of_the_slide_example(cli):
    result = cli("graph", "a*(a+b)")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "v2 = *\n├── a\n└── v1 = +\n    ├── a\n    └── b\n"


def test_a_shared_node_is_drawn_once(cli, cli_json):
    expr = "c = a + b; d = c*c + sin(c)"
    document = cli_json("graph", expr)
    names = [n["name"] for n in document["nodes"]]
    assert names.count("c") == 1 and names.count("a") == 1
    c = next(n["id"] for n in document["nodes"] if n["name"] == "c")
    assert sum(1 for e in document["edges"] if e["from"] == c) == 3  # c*c uses it twice, sin once
    tree = cli("graph", expr).stdout
    assert tree.count("c = +") == 1 and "↑ c" in tree


def test_values_and_adjoints_at_a_point(cli, cli_json):
    document = cli_json("graph", "c = a + b; d = a*c", "--at", "a=2,b=3")
    nodes = {n["name"]: n for n in document["nodes"]}
    assert {k: nodes[k]["adjoint"] for k in "abcd"} == {"a": 7.0, "b": 2.0, "c": 2.0, "d": 1.0}
    assert nodes["d"]["value"] == 10.0 and nodes["d"]["output"] is True
    tree = cli("graph", "c = a + b; d = a*c", "--at", "a=2,b=3").stdout
    assert "c = +   [value 5, adjoint 2]" in tree


def test_dot_is_valid_and_matches_the_json(cli, cli_json, read_dot):
    expr = "c = x - y; d = c/sin(c) + c**2"
    document = cli_json("graph", expr, "--at", "x=2,y=0.5")
    result = cli("graph", expr, "--at", "x=2,y=0.5", "--format", "dot")
    assert result.exit_code == 0, result.stderr
    nodes, edges = read_dot(result.stdout)
    assert len(nodes) == len(document["nodes"])
    assert len(edges) == len(document["edges"])
    # Non-commutative ops (x - y, c / sin(c), c**2) number their arguments; at a point every
    # edge from a non-constant also carries its local derivative, as the JSON gives it.
    labels = {(source, target): label or "" for source, target, label in edges}
    for edge in document["edges"]:
        label = labels[(f"n{edge['from']}", f"n{edge['to']}")]
        assert label.startswith(f"({edge['arg']})") if edge["arg"] else not label.startswith("(")
        if edge["partial"] is not None:
            assert label.endswith(f"= {edge['partial']:.6g}"), (label, edge)
    assert "∂v1/∂c = cos(c) = 0.0707372" in labels.values()


def test_mermaid_has_every_node_and_edge(cli):
    result = cli("graph", "c = a + b; d = a*c - c", "--format", "mermaid")
    lines = result.stdout.splitlines()
    assert lines[0] == "flowchart TB"
    assert sum("-->" in line for line in lines) == 6
    assert '  n0(["a"])' in lines and any(line.strip().startswith("n4[[") for line in lines)
    assert "-->|1|" in result.stdout  # d = v1 - c: the order matters


def test_gradient_graph_outputs_are_the_gradient(cli_json):
    document = cli_json("graph", "x**2*y", "--grad", "--at", "x=3,y=2")
    outputs = {n["name"]: n["value"] for n in document["nodes"] if n["output"]}
    assert outputs == {"∂f/∂x": 12.0, "∂f/∂y": 9.0}
    assert all(n["op"] != "smul" for n in document["nodes"])


def test_output_text_files(cli, tmp_path, read_dot):
    for suffix in (".dot", ".mmd", ".json", ".txt"):
        path = tmp_path / f"g{suffix}"
        result = cli("graph", "a*(a+b)", "--output", str(path))
        assert result.exit_code == 0 and result.stdout == "", result.stderr
    assert len(read_dot((tmp_path / "g.dot").read_text())[0]) == 4
    assert (tmp_path / "g.mmd").read_text().startswith("flowchart")
    assert len(json.loads((tmp_path / "g.json").read_text())["nodes"]) == 4
    assert (tmp_path / "g.txt").read_text().startswith("v2 = *")


def test_svg_without_graphviz_is_drawn_by_matplotlib(cli, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    target = tmp_path / "g.svg"
    result = cli("graph", "c = a + b; d = a*c", "--at", "a=2,b=3", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    svg = target.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "∂d/∂c = a = 2" in svg and "adjoint 7" in svg  # the labels are text in the SVG


def test_svg_through_a_dot_program(cli, tmp_path, monkeypatch):
    # A stand-in for Graphviz that records its arguments and checks its input parses.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(f"#!{sys.executable}\n"
                    "import sys, warnings, pydot\n"
                    "warnings.simplefilter('ignore')\n"
                    "text = sys.stdin.read()\n"
                    "assert pydot.graph_from_dot_data(text)\n"
                    "out = sys.argv[sys.argv.index('-o') + 1]\n"
                    "open(out, 'w').write('<svg>' + sys.argv[1] + '</svg>')\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    target = tmp_path / "g.svg"
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ["PATH"])
    result = cli("graph", "a*(a+b)", "--at", "a=1,b=2", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_text() == "<svg>-Tsvg</svg>"


@pytest.mark.parametrize("args, message", [
    (["--format", "png", "--output", "g.svg"], "--format"),
    (["--output", "g.xyz"], "--output"),
    (["--json", "--format", "dot"], "--json"),
    (["--output", "g.svg", "--format", "tree"], "--format"),
    (["--at", "a=1"], "'b'"),
])
def test_bad_options_exit_2(cli, args, message, tmp_path):
    result = cli("graph", "a*(a+b)", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_grad_of_a_list_is_refused(cli):
    result = cli("graph", "[x, x*y]", "--grad")
    assert result.exit_code == 2 and "scalar" in result.stderr


def test_non_finite_values_are_null_and_explained(cli):
    result = cli("graph", "y = sqrt(x); z = y + 1", "--at", "x=-4", "--json")
    assert result.exit_code == 0
    nodes = {n["name"]: n for n in json.loads(result.stdout)["nodes"]}
    assert nodes["y"]["value"] is None and nodes["x"]["value"] == -4.0
    assert "sqrt of a negative number" in result.stderr


def test_indexes_are_shown_and_matrices_nested(cli):
    result = cli("graph", "A[0,1]*x[1]", "--at", "x=[1,2],A=[[1,2],[3,4]]")
    assert result.exit_code == 0, result.stderr
    assert "v1 = A[0, 1]" in result.stdout
    assert "A   [value [[1, 2], [3, 4]], adjoint [[0, 2], [0, 0]]]" in result.stdout


@pytest.mark.parametrize("name, first_line", [("g.gv", "digraph diffcli {"), ("g.dot", "digraph diffcli {"),
                                              ("g.mmd", "flowchart"), ("g.txt", "v1 = *"), ("g.json", "{")])
def test_json_with_an_output_file_still_prints_one_document(cli, tmp_path, name, first_line):
    target = tmp_path / name
    result = cli("graph", "x*y", "--output", str(target), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["output"] == str(target) and [n["name"] for n in document["nodes"]][:2] == ["x", "y"]
    assert target.read_text().startswith(first_line)


def _chain(n: int) -> str:
    return "\n".join(["c0 = x", *(f"c{i} = sin(c{i - 1}) + c{i - 1}*y" for i in range(1, n + 1)), f"c{n}"])


def test_the_tree_of_a_long_program_grows_linearly(cli):
    # Indenting every line by its depth made the text grow with the square of the length.
    sizes = {}
    for n in (200, 2000):
        result = cli("graph", "-", input=_chain(n))
        assert result.exit_code == 0
        sizes[n] = len(result.stdout)
    assert sizes[2000] < 12 * sizes[200]
    assert max(len(line) for line in cli("graph", "-", input=_chain(2000)).stdout.splitlines()) < 200


def test_a_deep_subtree_is_drawn_below_and_nothing_is_lost(cli):
    text = cli("graph", "-", input=_chain(60)).stdout
    assert "(drawn below)" in text
    # Every statement is drawn expanded exactly once.
    for i in range(1, 61):
        assert sum(line.strip(" │├└─").startswith(f"c{i} = +") for line in text.splitlines()) == 1, i


def test_an_image_of_a_huge_graph_is_refused(cli, tmp_path):
    result = cli("graph", "-", "--output", str(tmp_path / "g.svg"), input=_chain(600))
    assert result.exit_code == 2
    assert "images are drawn for at most 1,000" in result.stderr
