"""Scanning a payoff expression before :mod:`ast` sees it: length, brackets, backtick names, refused characters.

The scanner turns the user's text into text :func:`ast.parse` accepts (backtick names become
placeholder identifiers of the same length, so positions still match) and maps positions back
for messages. Refusals that must happen before parsing live here: unbalanced or too deeply nested
brackets (``ast.parse`` recurses in C), comments, line continuations, ``;`` and control characters.
"""

from __future__ import annotations

import ast
import re

from roistudio.core.errors import PayoffError

__all__ = ["MAX_LENGTH", "MAX_NESTING", "Source", "at"]

MAX_LENGTH = 1000
MAX_NESTING = 50  # brackets, checked by scanning before ast.parse (which recurses in C)

_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def at(message: str, where: str) -> str:
    """Put the position into a message template's last ``{pos}`` (any earlier one is user text)."""
    head, found, tail = message.rpartition("{pos}")
    return head + where + tail if found else message


class Source:
    """The original text, its translation for :func:`ast.parse`, and position mapping between them.

    The translation is ``"(" + body + newline + ")"`` where ``body`` is the original text with every backtick
    name replaced by an identifier of exactly the same length, so character positions in the body are
    those of the original text. The wrapping parentheses allow leading spaces and several lines; the
    scanner has already checked that brackets balance, so they cannot change the meaning.
    """

    def __init__(self, text: str):
        self.text = text
        self.placeholders: dict[str, str] = {}  # placeholder identifier -> column name
        self.translated = "(" + self._scan(text) + "\n)"
        self._line_starts = [0]
        for i, ch in enumerate(self.translated):
            if ch == "\n":
                self._line_starts.append(i + 1)
        self._lines = self.translated.split("\n")

    # positions -------------------------------------------------------------------------------
    def pos_of_index(self, index: int) -> tuple[int, int]:
        """1-based (line, column) of a character index into the original text."""
        index = max(0, min(index, len(self.text)))
        line = self.text.count("\n", 0, index) + 1
        column = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return line, column

    def index_of(self, lineno: int, char_col: int) -> int:
        """Index into the original text of a 1-based line and 0-based character column of the translation."""
        lineno = max(1, min(lineno, len(self._line_starts)))
        return max(0, min(self._line_starts[lineno - 1] + char_col - 1, len(self.text)))

    def _char_col(self, lineno: int, byte_col: int) -> int:
        lineno = max(1, min(lineno, len(self._lines)))
        return len(self._lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def node_pos(self, node: ast.AST) -> tuple[int, int]:
        """1-based (line, column) in the original text of where a syntax-tree node starts."""
        assert isinstance(node, ast.expr | ast.keyword)  # the only nodes with positions we meet
        return self.pos_of_index(self.index_of(node.lineno, self._char_col(node.lineno, node.col_offset)))

    def segment(self, node: ast.AST, limit: int = 60) -> str:
        """The original text of a node on one line, shortened to ``limit`` characters."""
        assert isinstance(node, ast.expr | ast.keyword)
        end_line, end_col = node.end_lineno or node.lineno, node.end_col_offset or node.col_offset
        start = self.index_of(node.lineno, self._char_col(node.lineno, node.col_offset))
        end = self.index_of(end_line, self._char_col(end_line, end_col))
        piece = " ".join(self.text[start:end].split())
        return piece if len(piece) <= limit else piece[: limit - 3] + "..."

    # scanning --------------------------------------------------------------------------------
    def _fail(self, message: str, index: int) -> PayoffError:
        line, column = self.pos_of_index(index)
        return PayoffError(at(message, f"{line}:{column}"), position=(line, column))

    def _scan(self, text: str) -> str:
        identifiers = set(re.findall(r"[^\W\d]\w*", text))
        pieces: list[str] = []
        brackets: list[tuple[str, int]] = []
        counter = 0
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch in "'\"":
                j = self._string_end(text, i)
            elif ch == "`":
                j, name = self._backtick_end(text, i)
                before = text[i - 1] if i > 0 else " "
                after = text[j] if j < n else " "
                if before.isalnum() or before == "_" or after.isalnum() or after == "_":
                    raise self._fail("syntax error at {pos}: missing operator next to a `name`", i)
                while True:
                    placeholder = self._placeholder(counter, j - i)
                    counter += 1
                    if placeholder not in identifiers:
                        break
                self.placeholders[placeholder] = name
                pieces.append(placeholder)
                i = j
                continue
            elif ch.isalnum() or ch == "_":
                j = i
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
            else:
                j = i + 1
                if ch in "([{":
                    brackets.append((ch, i))
                    if len(brackets) > MAX_NESTING:
                        raise self._fail(f"expression nests deeper than {MAX_NESTING} levels at {{pos}}", i)
                elif ch in ")]}":
                    if not brackets:
                        raise self._fail(f"syntax error at {{pos}}: unmatched '{ch}'", i)
                    brackets.pop()
                elif ch == "#":
                    # A comment would vanish from the one-line form shown in reports; refuse it.
                    raise self._fail("'#' comments are not allowed at {pos}", i)
                elif ch == "\\":
                    raise self._fail(
                        "'\\' is not allowed at {pos}; an expression may simply go on over several lines", i
                    )
                elif ch == ";":
                    raise self._fail("';' is not allowed at {pos}; write a single expression", i)
                elif ch == "-" and text.startswith("--", i):
                    raise self._fail("'--' is not allowed; write -(-x) if you mean a double negative", i)
                elif (ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127:
                    raise self._fail(f"character {ch!r} is not allowed at {{pos}}", i)
            pieces.append(text[i:j])
            i = j
        if brackets:
            ch, index = brackets[-1]
            raise self._fail(f"syntax error at {{pos}}: '{ch}' was never closed", index)
        return "".join(pieces)

    def _string_end(self, text: str, i: int) -> int:
        quote = text[i]
        delimiter = quote * 3 if text.startswith(quote * 3, i) else quote
        j = i + len(delimiter)
        while j < len(text):
            if text[j] == "\\":
                j += 2
            elif text.startswith(delimiter, j):
                return j + len(delimiter)
            elif text[j] == "\n" and len(delimiter) == 1:
                break
            else:
                j += 1
        raise self._fail("syntax error at {pos}: unterminated text literal", i)

    def _backtick_end(self, text: str, i: int) -> tuple[int, str]:
        j = i + 1
        name: list[str] = []
        while j < len(text):
            if text[j] == "`":
                if text.startswith("``", j):
                    name.append("`")
                    j += 2
                    continue
                if not name:
                    raise self._fail("empty column name in backticks at {pos}", i)
                return j + 1, "".join(name)
            if text[j] == "\n":
                break
            name.append(text[j])
            j += 1
        raise self._fail("syntax error at {pos}: the backtick name is not closed", i)

    @staticmethod
    def _placeholder(counter: int, length: int) -> str:
        digits = ""
        while True:
            counter, rest = divmod(counter, 62)
            digits = _BASE62[rest] + digits
            if counter == 0:
                break
        name = "_" + digits
        if len(name) > length:  # cannot happen within the length limit; refuse rather than misplace
            raise PayoffError("too many backtick names")
        return name.ljust(length, "_")
