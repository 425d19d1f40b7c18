"""A derivation written out: plain text, LaTeX (align*), Markdown, or a JSON document.

>>> from diffcli.views.steps import derive
>>> print(render(derive("sin(x**2)", verify=False), "text"))
d/dx[sin(x²)]
  1. d/dx[sin(x²)] = cos(x²)·d/dx[x²]    chain rule: u = x², d/du sin(u) = cos(u)
  2. d/dx[x²] = 2x                       power rule
  so d/dx[sin(x²)] = cos(x²)·(2x)
                   = 2x·cos(x²)          simplify
result: 2*x*cos(x**2)
"""

from __future__ import annotations

from typing import Any

from diffcli.views.algebra import show
from diffcli.views.steps import Derivation, Step

FORMATS = ("text", "latex", "markdown")
DEFAULT_MAX_STEPS = 100
_WIDTH = 48  # the rule column starts here, unless an equation is longer


def _show(derivation: Derivation, tree: Any, style: str) -> str:
    return show(tree, style, derivation.variables)


def _note(derivation: Derivation, step: Step, style: str, numbers: dict[int, int]) -> str:
    """'chain rule: u = x², d/du sin(u) = cos(u)', 'product rule (d = a·c)', '… [d/dx[x²]: step 3]'.

    In LaTeX the words are \\text{…} and the formulas mathematics, so it compiles as it stands.
    """
    if style == "latex":
        words, math = (lambda t: f"\\text{{{t}}}"), (lambda t: _show(derivation, t, "latex"))
    elif style == "markdown":
        words, math = (lambda t: t), (lambda t: f"${_show(derivation, t, 'latex')}$")
    else:
        words, math = (lambda t: t), (lambda t: _show(derivation, t, "text"))
    text = words(derivation.rule_text(step))
    if step.rule == "chain" and step.inner is not None and step.outer is not None:
        outer, partial = step.outer
        if style == "latex":
            text += f"{words(': ')} u = {math(step.inner)},\\ \\frac{{d}}{{du}} {math(outer)} = {math(partial)}"
        else:
            text += f": u = {math(step.inner)}, d/du {math(outer)} = {math(partial)}"
    if step.definition is not None:
        name, definition = step.definition
        text += f"{words(' (')}{words(name) if style == 'latex' else name} = {math(definition)}{words(')')}"
    if step.refers:
        shown = ", ".join(f"{math(d)}{words(f': step {numbers[i]}')}" for d, i in step.refers.items())
        text += f"{words(' [')}{shown}{words(']')}"
    return text


def _verified(derivation: Derivation) -> str | None:
    if not derivation.steps_verified:
        return None
    point = ", ".join(f"{k} = {v:.6g}" for k, v in derivation.point.items())
    text = f"verified: every step against forward-mode AD at {point}"
    verdict = derivation.verdict
    if verdict is not None and verdict.verdict == "correct":
        text += (f"; the result against reverse-mode AD at {verdict.checked_points} points"
                 f" and SymPy's diff ({verdict.symbolic})")
    elif verdict is not None:
        text += f"; the result could not be checked further ({verdict.message})"
    return text


def render(derivation: Derivation, style: str = "text", max_steps: int = DEFAULT_MAX_STEPS) -> str:
    """The derivation as text, LaTeX or Markdown, at most `max_steps` steps shown."""
    shown = derivation.steps[:max_steps]
    hidden = len(derivation.steps) - len(shown)
    numbers = {k: k + 1 for k in range(len(derivation.steps))}
    cut = (f"… {hidden} more step{'s' if hidden != 1 else ''} not shown (--max-steps {max_steps}); "
           "the result below is complete") if hidden else None
    lines: list[str] = []
    tex = lambda tree: _show(derivation, tree, "latex")  # noqa: E731
    plain = lambda tree: _show(derivation, tree, "text")  # noqa: E731
    if style == "latex":
        lines.append("\\begin{align*}")
        for step in shown:
            lines.append(f"{tex(step.source)} &= {tex(step.target)} && {_note(derivation, step, 'latex', numbers)} \\\\")
        if cut:
            lines.append(f"&\\text{{{cut}}} \\\\")
        lines.append(f"{tex(derivation.source)} &= {tex(derivation.assembled)} \\\\")
        lines.append(f"&= {tex(derivation.result)} && \\text{{simplify}}")
        lines.append("\\end{align*}")
    elif style == "markdown":
        lines.append(f"**{plain(derivation.source)}**")
        lines.append("")
        for number, step in enumerate(shown, start=1):
            lines.append(f"{number}. ${tex(step.source)} = {tex(step.target)}$ — {_note(derivation, step, 'markdown', numbers)}")
        if cut:
            lines.append(f"\n*{cut}*")
        lines.append("")
        lines.append(f"So ${tex(derivation.source)} = {tex(derivation.assembled)} = {tex(derivation.result)}$")
        lines.append("")
        lines.append(f"**Result:** `{derivation.result_text}`")
    else:
        lines.append(plain(derivation.source))
        rows = [(f"  {n}. {plain(s.source)} = {plain(s.target)}", _note(derivation, s, "text", numbers))
                for n, s in enumerate(shown, start=1)]
        head = f"  so {plain(derivation.source)} = "
        assembled, result = plain(derivation.assembled), plain(derivation.result)
        rows.append((head + assembled, ""))
        if result != assembled:
            rows.append((" " * (len(head) - 2) + "= " + result, "simplify"))
        width = min(max(len(left) for left, _ in rows), _WIDTH) + 4
        for k, (left, note) in enumerate(rows):
            if cut and k == len(shown):
                lines.append(f"  {cut}")
            padded = left.ljust(width) if len(left) < width else left + "    "
            lines.append(f"{padded}{note}".rstrip() if note else left)
        lines.append(f"result: {derivation.result_text}")
    extra = [_verified(derivation), *derivation.notes]
    lines.extend(f"% {line}" if style == "latex" else f"\n{line}" if style == "markdown" else line
                 for line in extra if line)
    return "\n".join(lines)


def document(derivation: Derivation, max_steps: int = DEFAULT_MAX_STEPS) -> dict[str, Any]:
    """The JSON form: {"expr", "wrt", "steps": [{"rule", "from", "to", ...}], "result", ...}."""
    numbers = {k: k + 1 for k in range(len(derivation.steps))}
    steps = []
    for step in derivation.steps[:max_steps]:
        entry: dict[str, Any] = {"rule": step.rule, "from": _show(derivation, step.source, "formula"),
                                 "to": _show(derivation, step.target, "formula")}
        if step.inner is not None:
            entry["inner"] = _show(derivation, step.inner, "formula")
        if step.outer is not None:
            entry["outer"] = {"f": _show(derivation, step.outer[0], "formula"),
                              "derivative": _show(derivation, step.outer[1], "formula")}
        if step.definition is not None:
            entry["statement"] = f"{step.definition[0]} = {_show(derivation, step.definition[1], 'formula')}"
        if step.refers:
            entry["refers_to"] = {_show(derivation, d, "formula"): numbers[i] for d, i in step.refers.items()}
        steps.append(entry)
    verdict = derivation.verdict
    return {
        "expr": derivation.expr, "wrt": derivation.wrt, "steps": steps,
        "assembled": _show(derivation, derivation.assembled, "formula"),
        "result": derivation.result_text, "result_latex": _show(derivation, derivation.result, "latex"),
        "truncated": len(derivation.steps) > max_steps, "total_steps": len(derivation.steps),
        "verified": {"at": derivation.point or None, "steps": derivation.steps_verified,
                     "checked_points": verdict.checked_points if verdict else 0,
                     "result": verdict.verdict if verdict else None,
                     "symbolic": verdict.symbolic if verdict else None},
        "notes": derivation.notes,
    }
