"""The lesson's pictures: the files are what was asked for, and the numbers they show are right.

Pixels are not compared; what each picture shows is checked as data (the slopes of
the secants, the labels of the graph's edges, the gradient and direction) and the
files by their format, size and the text matplotlib wrote into SVGs.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from diffcli.ad.parse import parse  # noqa: E402
from diffcli.views.draw import describe  # noqa: E402
from diffcli.views.plots import graph as graph_picture  # noqa: E402
from diffcli.views.plots import secants  # noqa: E402
from diffcli.views.plots.gradient import gradient_data  # noqa: E402

SIGNATURES = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF", ".jpg": b"\xff\xd8\xff", ".gif": b"GIF89a"}


def assert_picture(path, suffix: str, minimum: int = 5_000) -> None:
    data = path.read_bytes()
    assert len(data) >= minimum, f"{path.name}: only {len(data)} bytes"
    if suffix == ".svg":
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:1000]
    else:
        assert data.startswith(SIGNATURES[suffix])


# ------------------------------------------------------------------ the limit picture


def test_secant_slopes_converge_to_the_derivative_as_the_lesson_says():
    # For a cubic the central quotient is exact up to f'''·h²/6: here 5.25 + 3h².
    data = secants.limit_data(parse("3*x**3 - 5*x**2"), {"x": 1.5}, "x")
    assert data.slope == 5.25 and data.f0 == -1.125
    assert [s.h for s in data.secants] == pytest.approx([0.9, 0.45, 0.225, 0.075])
    for s in data.secants:
        assert s.slope == pytest.approx(5.25 + 3 * s.h**2, rel=1e-12)
    errors = [abs(s.slope - data.slope) for s in data.secants]
    assert errors == sorted(errors, reverse=True)


def test_secants_shrink_to_stay_inside_the_domain():
    data = secants.limit_data(parse("sqrt(x)"), {"x": 0.3}, "x")
    assert all(s.h <= 0.3 for s in data.secants) and "shrunk to h = 0.3" in data.notes[0]
    assert data.slope == pytest.approx(0.5 / np.sqrt(0.3))


@pytest.mark.parametrize("suffix", [".png", ".svg", ".jpg"])
def test_plot_secants_writes_every_still_format(cli, tmp_path, suffix):
    target = tmp_path / f"limit{suffix}"
    result = cli("numeric", "3*x**3 - 5*x**2", "--at", "x=1.5", "--plot-secants", str(target))
    assert result.exit_code == 0, result.output
    assert_picture(target, suffix)
    if suffix == ".svg":
        text = target.read_text()
        assert "f′(1.5) = 5.25" in text and "h = 0.9: slope 7.68" in text


def test_plot_secants_gif_animates_h_shrinking(cli, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(secants, "FRAMES", 8)  # the frames differ only in h; eight show it, fast
    target = tmp_path / "limit.gif"
    result = cli("numeric", "exp(x)", "--at", "x=0", "--plot-secants", str(target), "--json")
    assert result.exit_code == 0, result.output
    assert_picture(target, ".gif")
    with Image.open(target) as image:
        assert image.n_frames >= 8 and image.size == (576, 432)
    steps = secants.animation_steps(secants.limit_data(parse("exp(x)"), {"x": 0.0}, "x"))
    assert steps[0] / steps[-1] == pytest.approx(300) and steps == sorted(steps, reverse=True)


@pytest.mark.parametrize("args, message", [
    (["x*y", "--at", "x=1,y=2"], "--wrt"),
    (["x", "--at", "x=1", "--plot-secants", "fig.gif", "--sweep", "--plot", "err.gif"], "'.gif'"),
])
def test_limit_picture_refuses_what_it_cannot_draw(cli, tmp_path, args, message):
    args = [a if not a.endswith((".png", ".gif")) else str(tmp_path / a) for a in args]
    if "--plot-secants" not in args:
        args += ["--plot-secants", str(tmp_path / "fig.png")]
    result = cli("numeric", *args)
    assert result.exit_code == 2 and message in result.output


# ------------------------------------------------------------------ the computation graph


def slide_picture():
    return describe(parse("c = a + b; d = a*c"), {"a": 2.0, "b": 3.0})


def test_graph_edges_carry_the_local_partials_of_the_backward_pass():
    picture = slide_picture()
    names = {node.id: node.name for node in picture.nodes}
    labels = {(names[s], names[t]): p.label() for s, t, _, p in picture.edges_with_partials()}
    assert labels == {("a", "c"): "∂c/∂a = 1", ("b", "c"): "∂c/∂b = 1",
                      ("a", "d"): "∂d/∂a = c = 5", ("c", "d"): "∂d/∂c = a = 2"}
    # The picture is the backward pass: each adjoint is Σ (edge partial × adjoint of the edge's end).
    adjoint = {node.id: float(node.adjoint) for node in picture.nodes}
    for node in picture.nodes:
        out = [(t, p) for s, t, _, p in picture.edges_with_partials() if s == node.id]
        if out:
            assert adjoint[node.id] == sum(float(p.value) * adjoint[t] for t, p in out)


def test_graph_partials_of_structural_and_elementwise_ops():
    picture = describe(parse("y = x[0] * sin(x[1]); z = y / 2"), {"x": np.array([2.0, 0.5])})
    by_name = {node.name: node for node in picture.nodes}
    assert [p for s, t, _, p in picture.edges_with_partials() if s == by_name["x"].id] == [None, None]
    partials = {(p.of, p.by): p for _, _, _, p in picture.edges_with_partials() if p is not None}
    assert {key: float(p.value) for key, p in partials.items()} == {
        ("v3", "v2"): pytest.approx(np.cos(0.5)), ("y", "v1"): pytest.approx(np.sin(0.5)), ("y", "v3"): 2.0,
        ("z", "y"): 0.5}
    assert partials[("v3", "v2")].label() == "∂v3/∂v2 = cos(v2) = 0.877583"
    assert by_name["x"].partials == []  # an input has no in-edges; x → x[0] is a Jacobian: no label
    assert all(p.by != "2" for p in partials.values())  # no label on an edge from a number


def test_layers_put_inputs_on_top_and_the_output_last():
    layers = graph_picture.layered(describe(parse("c = x - y; d = c/sin(c) + c**2"), {"x": 2.0, "y": 0.5}))
    assert {n.name for n in layers[0]} == {"x", "y"}
    assert [n.name for n in layers[-1]] == ["d"]


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_graph_image_through_matplotlib_when_graphviz_is_missing(cli, tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(graph_picture.shutil, "which", lambda name: None)
    target = tmp_path / f"g{suffix}"
    result = cli("graph", "c = a + b; d = a*c", "--at", "a=2,b=3", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert_picture(target, suffix)
    if suffix == ".svg":
        text = target.read_text()
        for label in ("∂d/∂c = a = 2", "∂d/∂a = c = 5", "∂c/∂a = 1", "adjoint 7", "value 10"):
            assert label in text


def test_graph_format_svg_on_standard_output(cli, monkeypatch):
    monkeypatch.setattr(graph_picture.shutil, "which", lambda name: None)
    result = cli("graph", "a*(a+b)", "--at", "a=2,b=3", "--format", "svg")
    assert result.exit_code == 0 and "<svg" in result.stdout and "∂v2/∂v1 = a = 2" in result.stdout


# ------------------------------------------------------------------ gradient and direction


def test_gradient_picture_data():
    data = gradient_data(parse("x**2 + 3*y**2"), {"x": 1.0, "y": 0.5}, ["x", "y"], "--plot",
                         direction={"x": 3.0, "y": 4.0})
    assert data.gradient == (2.0, 3.0) and data.slope == pytest.approx(np.sqrt(13))
    assert data.direction == (0.6, 0.8) and data.along == pytest.approx(2.0 * 0.6 + 3.0 * 0.8)


def test_grad_and_jvp_plots(cli, tmp_path):
    result = cli("grad", "x**2 + 3*y**2", "--at", "x=1,y=0.5", "-m", "reverse", "--plot", str(tmp_path / "g.svg"))
    assert result.exit_code == 0, result.output
    assert "∇f = (2, 3): the steepest ascent, slope ‖∇f‖ = 3.60555" in (tmp_path / "g.svg").read_text()
    result = cli("jvp", "x**2 + 3*y**2", "--at", "x=1,y=0.5", "--dir", "x=3,y=4", "-m", "forward",
                 "--plot", str(tmp_path / "j.png"))
    assert result.exit_code == 0, result.output
    assert_picture(tmp_path / "j.png", ".png")
    result = cli("grad", "x**2", "--at", "x=1", "-m", "reverse", "--plot", str(tmp_path / "one.png"))
    assert result.exit_code == 0 and (tmp_path / "one.png").stat().st_size > 5_000  # f and its tangent


@pytest.mark.parametrize("command", [
    ["grad", "x*y*z", "--at", "x=1,y=2,z=3"],
    ["jvp", "x", "--at", "x=1", "--dir", "x=1"],
    ["jvp", "[x, y]", "--at", "x=1,y=2", "--dir", "x=1"],
])
def test_plots_refuse_what_they_cannot_draw(cli, tmp_path, command):
    result = cli(*command, "--plot", str(tmp_path / "p.png"))
    assert result.exit_code == 2 and "--plot" in result.output
    assert not (tmp_path / "p.png").exists()


# ------------------------------------------------------------------ the same handling everywhere

EVERY_PICTURE = [
    ["numeric", "x**2", "--at", "x=1", "--plot-secants"],
    ["numeric", "x**2", "--at", "x=1", "--sweep", "--plot"],
    ["grad", "x*y", "--at", "x=1,y=2", "--plot"],
    ["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1", "--plot"],
    ["graph", "a*b", "--at", "a=1,b=2", "--output"],
]


@pytest.mark.parametrize("command", EVERY_PICTURE)
def test_a_wrong_suffix_is_a_usage_error_everywhere(cli, tmp_path, command):
    result = cli(*command, str(tmp_path / "fig.bmp"))
    assert result.exit_code == 2 and "'.bmp'" in result.output


@pytest.mark.parametrize("command", EVERY_PICTURE)
def test_missing_matplotlib_is_the_same_message_and_exit_1_everywhere(cli, tmp_path, monkeypatch, command):
    from diffcli.views.plots import graph as graph_module

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    result = cli(*command, str(tmp_path / "fig.png"))
    assert result.exit_code == 1
    assert "needs matplotlib, an optional extra: pip install 'diffcli[plot]'" in result.output
    if command[0] == "graph":
        assert "Graphviz (apt install graphviz" in result.output
    assert not (tmp_path / "fig.png").exists()
