"""`diffcli graph`: the computation graph as a tree, DOT, Mermaid or JSON, or an image."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from diffcli.errors import UsageError
from diffcli.ad.problem import require_scalar
from diffcli.ad.reverse import gradient_graph
from diffcli.cli.common import AtOption, ExprArgument, JsonOption, LetOption, WrtOption, json_text, print_json, warn
from diffcli.cli.structure import load_structure
from diffcli.views import draw

EXAMPLES = """
[bold]Examples[/bold]

  diffcli graph "a*(a+b)"

  diffcli graph "c = a + b; d = a*c" --at a=2,b=3 --format dot > g.dot

  diffcli graph "c = a + b; d = a*c" --at a=2,b=3 --output g.png   # the backward pass, drawn

  diffcli graph "x*y + sin(x)" --at x=1,y=2 --format svg > g.svg

  diffcli graph "x**2*y" --grad --format mermaid               # the gradient is a graph too
"""

_SUFFIX_FORMAT = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".json": "json", ".txt": "tree"}
IMAGE_FORMATS = ("svg", "png", "pdf", "jpg")


def graph_command(
    expr: ExprArgument,
    at: AtOption = None,
    let: LetOption = None,
    wrt: WrtOption = None,
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f", help="tree, dot, mermaid, json, or an image: svg, png, pdf, jpg "
                               "(default: tree, or from --output's suffix).")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write to FILE: .svg/.png/.pdf/.jpg draw the picture (Graphviz when installed, "
                               "else matplotlib); .dot/.gv/.mmd/.json/.txt write text.", dir_okay=False)] = None,
    gradient: Annotated[bool, typer.Option(
        "--grad", help="Draw the reverse-mode gradient graph (its outputs are ∂f/∂x for each variable).")] = False,
    json_output: JsonOption = False,
) -> None:
    """The computation graph of a formula, each shared subexpression drawn once.

    With --at every node shows its value and its adjoint ∂f/∂vᵢ, and every edge its local
    derivative ∂(to)/∂(from): the picture is the backward pass (the grad_fn chain).
    """
    chosen, image = _choose_format(fmt, output, json_output)
    picture = _picture(expr, at, let, wrt, gradient)
    for note in picture.notes:
        warn(note)
    if chosen == "json" and output is None:
        print_json(draw.json_data(picture))
        return
    if image:
        from diffcli.views.plots import graph as graph_picture

        if output is None:  # --format png|svg|…: the image on stdout (never with --json)
            sys.stdout.flush()
            sys.stdout.buffer.write(graph_picture.image_bytes(picture, f".{chosen}"))
            return
        graph_picture.render(picture, output)
    elif output is not None:
        text = _text(picture, chosen)
        try:
            output.write_text(text)
        except OSError as error:
            raise UsageError(f"--output: cannot write {output}: {error.strerror}") from None
    else:
        sys.stdout.write(_text(picture, chosen))
    if json_output:  # --json always prints its document; the file holds what --output asked for
        print_json({**draw.json_data(picture), "output": str(output), "format": "image" if image else chosen})


def _choose_format(fmt: Optional[str], output: Optional[Path], json_output: bool) -> tuple[str, bool]:
    """The text format to produce, and whether it is then rendered to an image."""
    if json_output and fmt not in (None, "json") and output is None:
        raise UsageError(f"--json and --format {fmt} ask for two different outputs; choose one (or add --output)")
    if fmt is not None and fmt not in draw.FORMATS + IMAGE_FORMATS:
        raise UsageError(f"--format: unknown format '{fmt}' (choose from {', '.join(draw.FORMATS + IMAGE_FORMATS)})")
    suffix = output.suffix.lower() if output is not None else ""
    image = suffix in (".svg", ".png", ".pdf", ".jpg", ".jpeg")
    if output is not None and not image and suffix not in _SUFFIX_FORMAT:
        raise UsageError(f"--output: unknown file type '{output.suffix or output.name}' "
                         "(use .svg, .png, .pdf, .jpg, .dot, .gv, .mmd, .json or .txt)")
    if image:
        if fmt not in (None, suffix.lstrip(".").replace("jpeg", "jpg")):
            raise UsageError(f"--output {output.name}: draws the picture; leave out --format "
                             "(or use --format dot with a .dot file)")
        return suffix.lstrip("."), True
    if fmt in IMAGE_FORMATS:
        if output is not None:
            raise UsageError(f"--format {fmt}: write it to a .{fmt} file (--output g.{fmt})")
        if fmt != "svg" and sys.stdout.isatty():
            raise UsageError(f"--format {fmt} is binary: add --output FILE.{fmt} or redirect to a file")
        return fmt, True
    if output is not None:  # the file holds what --output asks for; --json then prints the document
        return fmt or _SUFFIX_FORMAT.get(suffix, "tree"), False
    chosen = "json" if json_output else fmt or "tree"
    return chosen, False


def _text(picture, chosen: str) -> str:
    if chosen == "json":
        return json_text(draw.json_data(picture), indent=1)
    text = {"tree": draw.tree_text, "dot": draw.dot_text, "mermaid": draw.mermaid_text}[chosen](picture)
    return text if text.endswith("\n") else text + "\n"


def _picture(expr: str, at: Optional[list[str]], let: Optional[list[str]], wrt: Optional[str], gradient: bool):
    """The picture to draw: the formula's graph or its gradient graph, at the point if given."""
    problem, has_point = load_structure(expr, at, let, wrt)
    point = problem.point if has_point else None
    graph = problem.graph
    if not gradient:
        return draw.describe(graph, point, problem.wrt)
    require_scalar(graph, "--grad")
    if not problem.wrt:
        raise UsageError("--grad: the formula has no variable to differentiate")
    grad_graph, outputs = gradient_graph(graph, problem.point, problem.wrt)
    output_name = graph.name_of(graph.outputs[0]) or "f"
    for name, node in zip(problem.wrt, outputs):
        if grad_graph.ops[node] not in ("var", "const"):
            grad_graph.labels[node] = f"∂{output_name}/∂{name}"
    return draw.describe(grad_graph, point, problem.wrt, outputs, with_adjoints=False)
