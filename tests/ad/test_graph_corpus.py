"""The parser's output is frozen: a corpus of formulas and programs parses into exactly the
graphs (node ids, ops, inputs, attributes, labels, columns, decisions) and the errors
(message, line, column) recorded in tests/ad/data/graph_corpus.json.

The corpus is every string literal of the test suite and the examples (but the runaway
loops, which only meet the iteration limit), with a few large and awkward texts added (a 1,000-term sum, deep parentheses, carets and non-ASCII
characters before an error), each parsed without a point and run at three points (two
numbers, one vector per variable; the point is found by giving each variable the program
asks for a value). A speed-up of the front end must not change a single entry. To record
a deliberate change of the language, freeze again and read the diff:

    python tests/ad/test_graph_corpus.py --freeze
"""

from __future__ import annotations

import ast
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from diffcli.ad.graph import ConstValue, Graph
from diffcli.ad.parse import parse, parse_at

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "data" / "graph_corpus.json"
MAX_TEXT = 3000
POINTS = {"0.7": lambda: np.float64(0.7), "-1.3": lambda: np.float64(-1.3), "3": lambda: np.float64(3.0),
          "vector": lambda: np.array([0.5, -1.0, 1.5])}
# A runaway loop only reaches the iteration limit (tests/ad/test_programs.py pins that), and
# takes seconds: not a graph to freeze.
RUNAWAY = "loop iterations and calls in all"
MISSING = re.compile(r"no value given for the variable '([^']+)'")


def plain(value: Any) -> Any:
    """An attribute value as JSON: a constant by its dtype, shape and bits."""
    if isinstance(value, ConstValue):
        array = np.asarray(value.value)
        return {"const": [array.dtype.str, list(array.shape), array.tobytes().hex()]}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def record(graph: Graph) -> dict[str, Any]:
    return {"ops": graph.ops, "inputs": [list(i) for i in graph.inputs],
            "attrs": [[[k, plain(v)] for k, v in a] for a in graph.attrs],
            "outputs": graph.outputs, "labels": sorted(graph.labels.items()),
            "columns": sorted([k, list(v)] for k, v in graph.columns.items()),
            "variables": list(graph.variables.items()),
            "decisions": [[d.node, d.outcome, d.kind, d.line, d.column, d.text] for d in graph.decisions],
            "rerun": graph.rerun is not None}


def outcome(text: str, point: dict[str, Any] | None) -> dict[str, Any]:
    """The graph or the error, as JSON reads it back (tuples as lists)."""
    try:
        found = record(parse(text) if point is None else parse_at(text, point))
    except Exception as error:  # noqa: BLE001 - the error is part of what is frozen
        found = {"error": type(error).__name__, "message": getattr(error, "message", str(error)),
                 "line": getattr(error, "line", None), "column": getattr(error, "column", None)}
    return json.loads(json.dumps(found, ensure_ascii=False))


def run(text: str, kind: str | None) -> tuple[dict[str, Any], list[str]]:
    """The outcome at a point of `kind` (None: no point), giving a value to each variable asked for."""
    if kind is None:
        return outcome(text, None), []
    names: list[str] = []
    while True:
        result = outcome(text, {name: POINTS[kind]() for name in names})
        missing = MISSING.search(result.get("message", ""))
        if result.get("error") is None or missing is None or missing.group(1) in names or len(names) >= 20:
            return result, names
        names.append(missing.group(1))


# Programs written for the corpus: every statement, in the combinations a speed-up might get wrong.
PROGRAMS = [
    "y = x\nfor i in range(2, 11, 3):\n    y = y * x + i\ny",
    "y = x\nfor i in range(5, 0, -2):\n    y = y - i * x\ny",
    "s = 0\nfor i in range(4):\n    for j in range(i):\n        s = s + x^j * i\ns",
    "s = 0\nfor i in range(10):\n    if i > 6:\n        break\n    if i % 2 == 0:\n        continue\n    s += x\ns",
    "s = 0\nfor i in range(10):\n    if i > 6:\n        break\n    s += x * i\ns",
    "n = 0\ny = x\nwhile n < 4:\n    n += 1\n    if y > 2:\n        break\n    y = y * 2\nelse:\n    y = -y\ny",
    "y = x\nif y > 1:\n    y = y * 2\nelif y > 0:\n    y = y * 3\nelif y > -1:\n    y = y * 4\nelse:\n    y = 0 * y\ny",
    "y = x\nif x > 0 and x < 1 or x > 2:\n    y = sin(y)\nif not x > 0:\n    y = cos(y)\ny",
    "with no_grad():\n    c = x * x\n    d = c + 1\ny = c * x + d\ny",
    "def f(u, v):\n    w = u * v\n    return w + u\ny = f(x, 2)\nz = f(y, x)\nz",
    "def fact(n):\n    return 1 if n < 1 else n * fact(n - 1)\nfact(5) * x",
    "def g(u):\n    if u > 1:\n        return u\n    return g(u * 2)\ng(x * x + 0.1)",
    "k = 2\ndef scale(u):\n    return u * k\ny = scale(x)\nk2 = 3\ny + scale(y)",
    "def wrap(u):\n    def inner(v):\n        return v * u\n    return inner(u + 1)\nwrap(x)",
    "y = x\ny += x\ny -= 1\ny *= x\ny /= 3\ny **= 2\ny",
    "y = x * 1.5\nn = 0\nwhile y < 10 and n < 20:\n    y = y * 1.5 + x\n    n += 1\ny",
    "y = x\nwhile y.norm() < 100:\n    y = y * 2\ny.sum()",
    "s = 0\nfor i in range(len(x)):\n    s = s + x[i] * x[len(x) - 1 - i]\ns",
    "m = x[0]\nfor i in range(1, len(x)):\n    m = x[i] if x[i] > m else m\nm",
    "y = x + 0\nfor i in range(3):\n    y = where(y > 0, y * 2, -y)\nsum(y)",
    "A = [[x, 1], [2, x]]\nfor i in range(3):\n    A = A @ A / 2\ntrace(A)",
    "y = x\nfor i in range(3):\n    y = y * x\nif y > 1:\n    z = y * y\nelse:\n    z = y\nz",
    "y = 2 * x\nz = y if y > 1 else -y\nw = z if z > 0.5 else z * z\nw + y",
    "t = 0\nfor i in range(3):\n    u = x * i\n    t = t + u\nu + t",
    "y = x\nfor i in range(20):\n    y = y - (y * y - 2) / (2 * y)\ny",
    "é = x^2\nü = é^3\nfor i in range(2):\n    ü = ü + é^i\nü",
    "y = x\nfor i in range(3):\n    y = y + q\ny",
    "y = x\nfor i in range(3):\n    y = y + 1\n    x2 = y\nx = 1\ny",
]


def random_programs(count: int, seed: int = 14) -> list[str]:
    """Small programs drawn at random, as tests/ad/test_programs.py draws them, but fixed."""
    rng = random.Random(seed)
    bodies = ["y = y * x + {c}", "y = sin(y) + x * {c}", "y = y * y / ({c} + 4) + x", "y += x * {c}",
              "y = exp(-y * y) * x + y / 2", "y = y - {c} * x", "y = y^2 / ({c}^2 + y^2)"]
    tests = ["y > {c}", "y * x < {c}", "not y > {c}", "y > {c} and x > 0", "y < {c} or x < -1", "{c} < y < 2"]
    texts = []
    for _ in range(count):
        lines = ["y = x"]
        for _ in range(rng.randint(1, 3)):
            c = rng.choice([-1, 0.5, 1, 2])
            body, other = rng.choice(bodies).format(c=c), rng.choice(bodies).format(c=-c)
            test = rng.choice(tests).format(c=c)
            kind = rng.choice(["if", "for", "while", "def", "plain"])
            if kind == "if":
                lines += [f"if {test}:", f"    {body}", "else:", f"    {other}"]
            elif kind == "for":
                lines += [f"for i in range({rng.randint(0, 4)}):", f"    {body}"]
            elif kind == "while":
                lines += ["n = 0", f"while ({test}) and n < 5:", f"    {body}", "    n += 1"]
            elif kind == "def":
                lines += ["def h(y):", f"    {body}", f"    return y if {test} else -y", "y = h(y)"]
            else:
                lines.append(body)
        lines.append("y")
        texts.append("\n".join(lines))
    return texts


def harvest() -> list[str]:
    """The corpus: string literals of tests/ and examples/, and a few texts made to be awkward."""
    texts: set[str] = set()
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name != Path(__file__).name:
            texts.update(n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                         if isinstance(n, ast.Constant) and isinstance(n.value, str))
    texts.update(path.read_text(encoding="utf-8") for path in sorted((ROOT / "examples" / "programs").glob("*.py")))
    for path in sorted((ROOT / "examples").rglob("*.sh")):
        texts.update(re.findall(r'"([^"\n]+)"', path.read_text(encoding="utf-8")))
    texts.update([
        " + ".join(f"x{i}*x{i + 1} + sin(x{i})" for i in range(1000)),
        "(" * 150 + "x" + ")" * 150, "-" * 300 + "x", "x" + "^2" * 200,
        "é^2 + ü*x^3 + sin(α)^2 + 1/", "é^2 + ü*x^3 +\nα^2 + q % 2", "  x^2 + é^3 $ 1",
        "y = x^2\nif y > 1:\n    z = α^2 * y\nelse:\n    z = -y^3\nwhile z < 100:\n    z = z * 2^1 + é\nz",
        "def f(u):\n    return u^2 if u > 0 else -u\ns = 0\nfor i in range(5):\n    s += f(x - i) * i^2\ns",
        "s = 0\nfor i in range(300):\n    s = s + x^i / (i + 1)\ns",
        "y = x\nwhile y > 0:\n    y = y + 1\ny", "def f(u):\n    return f(u * 2)\nf(x)",
        "A = [[x, y], [y, x]]\nB = A @ A.T\nB[0, 1] + det(B) + B[:, 0].sum()",
    ])
    texts.update(PROGRAMS + random_programs(200))
    return sorted(t for t in texts if len(t) <= MAX_TEXT or t.startswith("x0*x1"))


def freeze() -> None:
    entries = []
    for text in harvest():
        entry: dict[str, Any] = {"text": text, "parse": run(text, None)[0]}
        for kind in POINTS:
            result, names = run(text, kind)
            entry[kind] = {"names": names, "result": result}
        if not any(RUNAWAY in entry[kind]["result"].get("message", "") for kind in POINTS):
            entries.append(entry)
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(entries, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    graphs = sum("error" not in e["parse"] for e in entries)
    print(f"froze {len(entries)} texts ({graphs} parse into a graph) to {FIXTURE}")


def load() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_the_corpus_is_broad():
    entries = load()
    parsed = [e for e in entries if "error" not in e["parse"]]
    decided = [e for e in entries if any(e[kind]["result"].get("decisions") for kind in POINTS)]
    assert len(entries) > 1500 and len(parsed) > 800 and len(decided) > 150
    errors = {e["parse"]["message"] for e in entries if "error" in e["parse"]}
    assert any("column" in e["parse"] and e["parse"]["column"] for e in entries if "error" in e["parse"])
    assert len(errors) > 100  # many different error messages are pinned, with their columns


@pytest.mark.parametrize("chunk", range(8))
def test_every_text_parses_into_the_frozen_graph(chunk):
    entries = load()[chunk::8]
    changed = []
    for entry in entries:
        text = entry["text"]
        if outcome(text, None) != entry["parse"]:
            changed.append((text[:80], "no point"))
        for kind in POINTS:
            frozen = entry[kind]
            point = {name: POINTS[kind]() for name in frozen["names"]}
            if outcome(text, point) != frozen["result"]:
                changed.append((text[:80], kind))
    assert changed == []


if __name__ == "__main__":
    if sys.argv[1:] != ["--freeze"]:
        sys.exit(__doc__)
    freeze()
