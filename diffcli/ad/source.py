"""The user's text as Python's parser sees it, and the way back to the user's columns.

`^` is rewritten to `**` before `ast.parse` (a math user's power), so every position the
parser reports is mapped back to the column the user typed; `ast` counts UTF-8 bytes,
the user counts characters. Parsing — and running a program, which recurses once per
nested call or block — happens on a thread with a large stack, so deep input fails with
a clear message instead of crashing the interpreter.

>>> source = Source("x^2 + y")
>>> source.text, source.column(1, 5)
('x**2 + y', 5)
"""

from __future__ import annotations

import ast
import bisect
import gc
import sys
import threading
import unicodedata
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from diffcli.errors import UsageError

_PARSER_STACK_BYTES = 512 * 1024 * 1024  # Python's C parser recurses once per chained operator
_PARSER_RECURSION_LIMIT = 250_000

T = TypeVar("T")


class Source:
    """The original text, with `^` rewritten to `**` and a map back to real columns."""

    def __init__(self, text: str, indent: int = 0):
        self.indent = indent  # characters stripped before the first line
        self.original_lines = text.split("\n")
        # For each line, where the extra '*' of each rewritten caret ends up (sorted).
        self.extra_stars: list[list[int]] = []
        lines = []
        for line in self.original_lines:
            carets = [i for i, ch in enumerate(line) if ch == "^"] if "^" in line else []
            self.extra_stars.append([p + k + 1 for k, p in enumerate(carets)])
            lines.append(line.replace("^", "**"))
        self.rewritten_lines = lines
        self.text = "\n".join(lines)
        self._char_starts: dict[int, list[int]] = {}

    def column(self, line: int, char_offset: int) -> int:
        """1-based column in the user's text of 0-based `char_offset` in the rewritten line."""
        stars = self.extra_stars[line - 1] if 0 < line <= len(self.extra_stars) else []
        return max(char_offset - bisect.bisect_right(stars, char_offset), 0) + 1 + (self.indent if line == 1 else 0)

    def _char_offset(self, line: int, byte_offset: int) -> int:
        """ast gives UTF-8 byte offsets; columns are characters."""
        text_line = self.rewritten_lines[line - 1] if 0 < line <= len(self.rewritten_lines) else ""
        if text_line.isascii():
            return byte_offset
        starts = self._char_starts.get(line)
        if starts is None:
            starts = [0]
            for ch in text_line:
                starts.append(starts[-1] + len(ch.encode("utf-8")))
            self._char_starts[line] = starts
        return bisect.bisect_right(starts, byte_offset) - 1

    def node_position(self, node: ast.AST) -> tuple[int, int]:
        """Where a node starts — for a binary operation or comparison, where its operator is."""
        # Not remembered: a cache keyed by node costs a wide formula more than it saves a loop.
        left = node.left if isinstance(node, (ast.BinOp, ast.Compare)) else None
        if left is not None and left.end_lineno is not None:
            line = left.end_lineno
            text_line = self.rewritten_lines[line - 1] if 0 < line <= len(self.rewritten_lines) else ""
            chars = self._char_offset(line, left.end_col_offset or 0)
            while chars < len(text_line) and text_line[chars] in " \t)":
                chars += 1
            if chars < len(text_line):
                return line, self.column(line, chars)
        return self.start(node)

    def start(self, node: ast.AST) -> tuple[int, int]:
        """Where a node's text starts (line, column)."""
        line = getattr(node, "lineno", 1)
        chars = self._char_offset(line, getattr(node, "col_offset", 0))
        return line, self.column(line, chars)

    def snippet(self, node: ast.AST, limit: int = 60) -> str:
        """The user's text of a node (one line, shortened), e.g. 'b.norm() < 1000'."""
        line, end_line = getattr(node, "lineno", 1), getattr(node, "end_lineno", None)
        if end_line != line or not 0 < line <= len(self.rewritten_lines):
            text = ast.unparse(node)
        else:
            text_line = self.rewritten_lines[line - 1]
            begin = self._char_offset(line, node.col_offset)
            end = self._char_offset(line, node.end_col_offset or len(text_line))
            text = self.original_lines[line - 1][self.column(line, begin) - 1 - (self.indent if line == 1 else 0):
                                                 self.column(line, end) - 1 - (self.indent if line == 1 else 0)]
        return text if len(text) <= limit else text[:limit - 1] + "…"

    def error(self, message: str, node: ast.AST) -> UsageError:
        line, column = self.node_position(node)
        return UsageError(message, line=line, column=column)


def check_characters(text: str) -> None:
    """Refuse control and format characters (NUL, ESC, U+200B, U+202E …), naming where."""
    for index, ch in enumerate(text):
        if ch in "\n\t\r ":
            continue
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            line = text.count("\n", 0, index) + 1
            column = index - (text.rfind("\n", 0, index) + 1) + 1
            raise UsageError(f"control character U+{ord(ch):04X} is not allowed", line=line, column=column)


def on_deep_stack(work: Callable[[], T]) -> T:
    """Run `work()` on a thread with a 512 MB stack and a high recursion limit; re-raise what it raises.

    Python's parser recurses once per chained operator, and a program's interpreter once
    per nested call or block: both must fail with a clear message, never crash.
    """
    result: dict[str, Any] = {}

    def run() -> None:
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, _PARSER_RECURSION_LIMIT))
        try:
            result["value"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the caller below
            result["error"] = error
        finally:
            sys.setrecursionlimit(old_limit)

    old_size = threading.stack_size()
    threading.stack_size(_PARSER_STACK_BYTES)
    try:
        worker = threading.Thread(target=run, name="diffcli-parse", daemon=True)
        worker.start()
    finally:
        threading.stack_size(old_size)
    worker.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a text is parsed and built into a graph.

    Parsing allocates a syntax node per token and a few tuples per graph node, and every
    700 allocations the collector runs; with the interpreter's modules loaded, its full
    passes over every live object took about a quarter of the time of a 6,000-term
    formula (bench/RESULTS.md, the parser). What the parser throws away holds no cycles,
    so reference counting frees it at once. Nested or concurrent uses leave the collector
    as the outermost found it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse_tree(source: Source) -> ast.Module:
    """ast.parse on a deep stack: deep operator chains must not crash; errors with their column."""
    def work() -> ast.Module:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "invalid decimal literal": not the user's concern
            return ast.parse(source.text, mode="exec")

    try:
        return on_deep_stack(work)
    except SyntaxError as error:
        line = error.lineno or 1
        offset = (error.offset or 1) - 1
        reason = error.msg
        if "too many nested parentheses" in reason:
            reason = "too many nested parentheses (at most 200 levels)"
        raise UsageError(f"syntax error: {reason}", line=line, column=source.column(line, offset)) from None
    except (RecursionError, MemoryError):
        raise UsageError("expression too deeply nested or too long to parse") from None
    except Exception as error:  # noqa: BLE001 - anything else the parser says is a usage error
        raise UsageError(f"cannot parse the expression: {error}") from None
