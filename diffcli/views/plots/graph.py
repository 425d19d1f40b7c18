"""The computation graph as an image: the reverse-mode lesson's picture.

Each node shows its value and adjoint, each edge its local derivative ∂to/∂from at the
point, so reading the picture from the output down is the backward pass: the adjoint
of a node is the sum over its outgoing edges of (edge label) × (adjoint of the node
the edge enters). Graphviz lays the graph out when its `dot` program is installed;
otherwise matplotlib draws it in layers (inputs on top, the output at the bottom).

>>> from diffcli.ad.parse import parse
>>> from diffcli.views.draw import describe
>>> layers = layered(describe(parse("c = a + b; d = a*c"), {"a": 2.0, "b": 3.0}))
>>> [[node.name for node in layer] for layer in layers]
[['a', 'b'], ['c'], ['d']]
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from diffcli.views.draw import Node, Picture, dot_text
from diffcli.views.plots import files

IMAGE_SUFFIXES = (".svg", ".png", ".pdf", ".jpg", ".jpeg")
GRAPHVIZ_INSTALL = "apt install graphviz, brew install graphviz or conda install graphviz"


def layered(picture: Picture) -> list[list[Node]]:
    """Nodes in layers by longest path from the inputs; each layer ordered to keep edges short.

    Variables sit on the top layer; a constant sits just above the first node that uses it.
    Within a layer, nodes are sorted by the mean position of their inputs (the
    barycentre heuristic), which untangles most small graphs.
    """
    by_id = {node.id: node for node in picture.nodes}
    depth: dict[int, int] = {}
    for node in picture.nodes:  # evaluation order: inputs come first
        inputs = [depth[p] for p in node.inputs if by_id[p].op != "const"]
        depth[node.id] = 1 + max(inputs) if inputs else 0
    for node in picture.nodes:
        if node.op != "const":
            continue
        users = [depth[n.id] for n in picture.nodes if node.id in n.inputs]
        depth[node.id] = max(0, min(users, default=1) - 1)
    layers: list[list[Node]] = [[] for _ in range(max(depth.values(), default=0) + 1)]
    for node in picture.nodes:
        layers[depth[node.id]].append(node)
    position = {node.id: float(k) for layer in layers for k, node in enumerate(layer)}
    for layer in layers[1:]:
        layer.sort(key=lambda n: sum(position[p] for p in n.inputs) / len(n.inputs) if n.inputs else 0.0)
        position.update({node.id: float(k) for k, node in enumerate(layer)})
    return layers


def check_path(path: Path, option: str) -> None:
    """The file types an image of the graph can be."""
    files.check_path(path, option)


# Graphviz lays out a 2,000-node graph in minutes and gigabytes; past this, write DOT instead.
MAX_IMAGE_NODES = 1_000


def render(picture: Picture, path: Path, option: str = "--output") -> str:
    """Write the picture to `path`; returns which renderer drew it ('graphviz' or 'matplotlib').
    A graph of more than MAX_IMAGE_NODES nodes is refused (`UsageError`)."""
    from diffcli.errors import UsageError

    files.check_path(path, option)
    if len(picture.nodes) > MAX_IMAGE_NODES:
        raise UsageError(f"{option} {path.name}: the graph has {len(picture.nodes):,} nodes; images are drawn for "
                         f"at most {MAX_IMAGE_NODES:,} (write .dot, .mmd or .txt instead)")
    program = shutil.which("dot")
    if program is not None and path.suffix.lower() != ".jpeg":
        _graphviz(program, dot_text(picture), path)
        return "graphviz"
    try:
        files.require_matplotlib(option)
    except files.MissingTool:
        raise files.MissingTool(f"{option} needs matplotlib, an optional extra: {files.MATPLOTLIB_INSTALL}; "
                                f"or Graphviz ({GRAPHVIZ_INSTALL}); or write the DOT text with --format dot") from None
    _matplotlib(picture, path, option)
    return "matplotlib"


def image_bytes(picture: Picture, suffix: str) -> bytes:
    """The image as bytes (for `--format svg|png|pdf` on standard output)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"graph{suffix}"
        render(picture, path, "--format")
        return path.read_bytes()


def _graphviz(program: str, dot: str, path: Path) -> None:
    from diffcli.errors import DiffcliError

    kind = "jpg" if path.suffix.lower() in (".jpg", ".jpeg") else path.suffix.lower()[1:]
    try:
        completed = subprocess.run([program, f"-T{kind}", "-o", str(path)], input=dot, text=True,
                                   capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DiffcliError(f"Graphviz failed to run: {error}") from None
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["no message"])[0]
        raise DiffcliError(f"Graphviz could not render {path}: {reason}")


def node_text(node: Node, picture: Picture) -> str:
    """The lines in a node's box: 'c = +', 'value 5', 'adjoint 2' (a constant is just its number)."""
    from diffcli.views.draw import _annotations, _title

    return _title(node) if node.op == "const" else "\n".join([_title(node), *_annotations(node, picture)])


SPACING, ROW = 3.4, 2.4  # data units between nodes of a layer, between layers
INCH = 0.95  # data units per inch of figure
CHAR = 0.6 / 72  # a character's width in inches per point of font size


def positions(layers: list[list[Node]]) -> dict[int, tuple[float, float]]:
    """x, y of every node: the top layer evenly spaced, each lower node under the mean of its inputs
    (pushed apart to keep `SPACING`), so an edge skipping a layer rarely runs through a box."""
    xy: dict[int, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        if row == 0:
            wanted = [(k - (len(layer) - 1) / 2) * SPACING for k in range(len(layer))]
        else:
            wanted = [sum(xy[p][0] for p in n.inputs if p in xy) / max(1, sum(p in xy for p in n.inputs))
                      for n in layer]
        order = sorted(range(len(layer)), key=lambda k: wanted[k])
        placed = [wanted[order[0]]]
        for k in order[1:]:
            placed.append(max(wanted[k], placed[-1] + SPACING))
        shift = sum(wanted) / len(wanted) - sum(placed) / len(placed)  # keep the layer where it wants to be
        layer[:] = [layer[k] for k in order]
        for node, x in zip(layer, placed):
            xy[node.id] = (x + shift, -row * ROW)
    return xy


def _extent(text: str, centre: tuple[float, float], points: float, pad: float) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) of a text box in data units, estimated from its characters."""
    lines = text.split("\n")
    width = max(len(line) for line in lines) * points * CHAR * INCH + 2 * pad
    height = len(lines) * points * 1.25 / 72 * INCH + 2 * pad
    return centre[0] - width / 2, centre[0] + width / 2, centre[1] - height / 2, centre[1] + height / 2


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def edge_labels(picture: Picture, xy: dict[int, tuple[float, float]]) -> list[tuple[str, tuple[float, float]]]:
    """Each edge's label and where it goes: along the edge, at the first spot (from the middle
    outwards) that covers no node and no label placed before it."""
    taken = [_extent(node_text(n, picture), xy[n.id], 10, 0.3) for n in picture.nodes]
    result = []
    for source, target, argument, partial in picture.edges_with_partials():
        texts = ([f"({argument})"] if argument is not None else []) + ([partial.label()] if partial else [])
        if not texts:
            continue
        text = " ".join(texts)
        (x0, y0), (x1, y1) = xy[source], xy[target]
        spot = None
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.45, 0.55, 0.35, 0.65):
            centre = (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
            box = _extent(text, centre, 9, 0.08)
            if not any(_overlaps(box, other) for other in taken):
                spot = (centre, box)
                break
        if spot is None:  # crowded: the middle, as readable as it gets
            centre = ((x0 + x1) / 2, (y0 + y1) / 2)
            spot = (centre, _extent(text, centre, 9, 0.08))
        taken.append(spot[1])
        result.append((text, spot[0]))
    return result


def _matplotlib(picture: Picture, path: Path, option: str) -> None:
    from matplotlib.patches import FancyArrowPatch

    plt = files.pyplot()
    xy = positions(layered(picture))
    labels = edge_labels(picture, xy)
    boxes = [_extent(node_text(n, picture), xy[n.id], 10, 0.3) for n in picture.nodes]
    boxes += [_extent(text, centre, 9, 0.08) for text, centre in labels]
    left, right = min(b[0] for b in boxes) - 0.3, max(b[1] for b in boxes) + 0.3
    bottom, top = min(b[2] for b in boxes) - 0.3, max(b[3] for b in boxes) + 0.3
    titled = picture.at_point and any(node.adjoint is not None for node in picture.nodes)
    figure = plt.figure(figsize=((right - left) / INCH, (top - bottom) / INCH + (0.6 if titled else 0.0)))
    axes = figure.add_axes((0.0, 0.0, 1.0, (top - bottom) / (top - bottom + (0.6 * INCH if titled else 0.0))))
    axes.set_axis_off()
    axes.set_xlim(left, right)
    axes.set_ylim(bottom, top)
    drawn = {}
    for node in picture.nodes:
        style = {"var": "round,pad=0.45", "const": "square,pad=0.3"}.get(node.op, "square,pad=0.45")
        drawn[node.id] = axes.text(
            *xy[node.id], node_text(node, picture), ha="center", va="center", fontsize=10, zorder=3,
            bbox={"boxstyle": style, "facecolor": "#fdf6e3" if node.op == "var" else "white",
                  "edgecolor": "none" if node.op == "const" else "black", "linewidth": 2.2 if node.output else 1.0})
    for source, target, _, _ in picture.edges_with_partials():
        axes.add_patch(FancyArrowPatch(xy[source], xy[target], patchA=drawn[source], patchB=drawn[target],
                                       arrowstyle="-|>", mutation_scale=16, color="#555555", linewidth=1.2,
                                       shrinkA=2, shrinkB=2, zorder=3.5))
    for text, centre in labels:
        axes.text(*centre, text, ha="center", va="center", fontsize=9, color="darkred", zorder=4,
                  bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.9})
    if titled:
        figure.suptitle("value and adjoint ∂f/∂v at each node; ∂(to)/∂(from) on each edge\n"
                        "adjoint of a node = Σ over its out-edges of (edge label × adjoint of the node below)",
                        fontsize=9, y=0.995, va="top")
    files.save(figure, path, option)
