"""Tables people can paste: Markdown, and LaTeX (tabular, or a bmatrix for a matrix).

A `Grid` is a table as plain text cells — what the terminal table shows, and what
`--format markdown|latex` and the API's `to_markdown()`/`to_latex()` write. LaTeX
cells get their Unicode math (∂, ∇, ², ᵀ, ·, ‖ …) as LaTeX commands, numbers in
scientific notation as `2.7 \\times 10^{-10}`, and ±inf as `\\infty`.

>>> g = Grid(["method", "∂f/∂x"], [["forward", "5.25"], ["central", "5.25000000027"]], title="f(x=1.5) = -1.125")
>>> print(g.markdown())
f(x=1.5) = -1.125
<BLANKLINE>
| method | ∂f/∂x |
|:---|---:|
| forward | 5.25 |
| central | 5.25000000027 |
>>> print(latex_matrix([[1.0, 2.0], [3.0, 4.5e-10]]))
\\begin{bmatrix}
1 & 2 \\\\
3 & 4.5 \\times 10^{-10}
\\end{bmatrix}
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMATS = ("table", "markdown", "latex")

_LATEX_SYMBOLS = {
    "∂": r"\partial ", "∇": r"\nabla ", "·": r"\cdot ", "‖": r"\|", "∞": r"\infty", "λ": r"\lambda ",
    "ε": r"\varepsilon ", "≈": r"\approx ", "→": r"\to ", "★": r"\star", "—": "--", "…": r"\ldots ",
    "²": "^{2}", "³": "^{3}", "ᵀ": "^{T}", "⁻": "^{-}", "⁽ᵏ⁾": "^{(k)}", "ₖ": "_{k}", "ᵢ": "_{i}", "ⱼ": "_{j}",
    "⁴": "^{4}", "⁻¹": "^{-1}", "√": r"\sqrt ", "×": r"\times ", "−": "-",
}
_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}",
            "^": r"\^{}", "\\": r"\textbackslash{}"}
_SCIENTIFIC = re.compile(r"^(-?\d+(?:\.\d+)?)e([+-]?)0*(\d+)$")
_COMBINING = {"\u0307": r"\dot", "\u0304": r"\bar"}


def latex_number(text: str) -> str:
    """'2.7e-10' → '2.7 \\times 10^{-10}', 'inf' → '\\infty', 'undefined' stays text."""
    text = text.strip()
    match = _SCIENTIFIC.match(text)
    if match:
        mantissa, sign, exponent = match.groups()
        power = f"10^{{{'-' if sign == '-' else ''}{int(exponent)}}}"
        return power if mantissa == "1" else f"{mantissa} \\times {power}"
    return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}.get(text, text)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def latex_text(text: str) -> str:
    """A cell as LaTeX: a number in math mode, text escaped with its math symbols in $…$."""
    if _is_number(text.strip()):
        return f"${latex_number(text)}$"
    text = unicodedata.normalize("NFD", text)  # ā → a + combining macron, read as \bar{a}
    out, math_run = [], []
    position = 0

    def flush() -> None:
        if math_run:
            out.append("$" + "".join(math_run).strip() + "$")
            math_run.clear()

    while position < len(text):
        two = text[position:position + 3]
        if two in _LATEX_SYMBOLS:
            math_run.append(_LATEX_SYMBOLS[two])
            position += 3
            continue
        ch = text[position]
        following = text[position + 1] if position + 1 < len(text) else ""
        if following in _COMBINING:  # ȧ written as a + combining dot: \dot{a}
            math_run.append(f"{_COMBINING[following]}{{{ch}}}")
            position += 2
            continue
        if ch in _LATEX_SYMBOLS:
            math_run.append(_LATEX_SYMBOLS[ch])
        elif math_run and (ch.isalnum() or ch in "/()+-=,."):
            math_run.append(ch)
        else:
            flush()
            out.append(_SPECIAL.get(ch, ch))
        position += 1
    flush()
    return "".join(out)


@dataclass
class Grid:
    """A table as text cells: a header row, rows, and optionally a title above and a caption below."""

    headers: list[str]
    rows: list[list[str]]
    title: str | None = None
    caption: str | None = None
    right: list[bool] = field(default_factory=list)  # right-align column k (default: all but the first)

    def _right(self, k: int) -> bool:
        return self.right[k] if k < len(self.right) else k > 0

    def markdown(self) -> str:
        """A GitHub/pandoc pipe table, the title above and the caption below as plain lines."""
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", "<br>")

        lines = [f"{self.title}", ""] if self.title else []
        lines.append("| " + " | ".join(cell(h) for h in self.headers) + " |")
        lines.append("|" + "|".join("---:" if self._right(k) else ":---" for k in range(len(self.headers))) + "|")
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in self.rows]
        if self.caption:
            lines += ["", self.caption]
        return "\n".join(lines)

    def latex(self) -> str:
        """A `table` with a `tabular` (booktabs rules), the title as its caption."""
        columns = "".join("r" if self._right(k) else "l" for k in range(len(self.headers)))
        lines = [r"\begin{table}[h]", r"\centering"]
        if self.title:
            lines.append(f"\\caption{{{latex_text(self.title)}}}")
        lines += [f"\\begin{{tabular}}{{{columns}}}", r"\toprule",
                  " & ".join(latex_text(h) for h in self.headers) + r" \\", r"\midrule"]
        lines += [" & ".join(latex_text(c) for c in row) + r" \\" for row in self.rows]
        lines += [r"\bottomrule", r"\end{tabular}"]
        if self.caption:
            lines.append(f"\\par\\smallskip {latex_text(self.caption)}")
        lines.append(r"\end{table}")
        return "\n".join(lines)

    def text(self) -> str:
        """Aligned plain text (what `print(result)` shows in a terminal or a notebook)."""
        widths = [max(len(row[k]) if k < len(row) else 0 for row in [self.headers, *self.rows])
                  for k in range(len(self.headers))]

        def line(cells: list[str]) -> str:
            return "  ".join(c.rjust(w) if self._right(k) else c.ljust(w)
                             for k, (c, w) in enumerate(zip(cells, widths))).rstrip()

        lines = [self.title, ""] if self.title else []
        lines += [line(self.headers), "  ".join("─" * w for w in widths)]
        lines += [line(row) for row in self.rows]
        if self.caption:
            lines += [self.caption]
        return "\n".join(lines)

    def html(self) -> str:
        """An HTML table (Jupyter's rich display), cells escaped."""
        from html import escape

        def row(cells: list[str], tag: str) -> str:
            return "<tr>" + "".join(
                f'<{tag} style="text-align:{"right" if self._right(k) else "left"}">{escape(c)}</{tag}>'
                for k, c in enumerate(cells)) + "</tr>"

        parts = [f"<p>{escape(self.title)}</p>"] if self.title else []
        parts.append("<table><thead>" + row(self.headers, "th") + "</thead><tbody>"
                     + "".join(row(r, "td") for r in self.rows) + "</tbody></table>")
        if self.caption:
            parts.append(f"<p><small>{escape(self.caption)}</small></p>")
        return "\n".join(parts)

    def render(self, fmt: str) -> str:
        return self.latex() if fmt == "latex" else self.markdown()


def _entry(value: Any, digits: int) -> str:
    from diffcli.ad.text import number_text

    return latex_number(number_text(value, digits))


def latex_matrix(matrix: Any, digits: int = 10) -> str:
    """A matrix (or a vector, as a column) as a LaTeX bmatrix (amsmath)."""
    array = np.asarray(matrix, dtype=np.float64)
    if array.ndim == 0:
        return _entry(array, digits)
    if array.ndim == 1:
        array = array[:, None]
    rows = [" & ".join(_entry(v, digits) for v in row) for row in array.reshape(array.shape[0], -1)]
    return "\\begin{bmatrix}\n" + " \\\\\n".join(rows) + "\n\\end{bmatrix}"
