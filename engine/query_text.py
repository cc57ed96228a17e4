"""The text of a filter query, read where the planner needs more than the AST keeps.

MLMD rewrites enum names with regexes over the query text before ZetaSQL parses it (docs/mlmd-interface.md
§3.2): after `state =` it takes the next word as a name, and in `state IN (`
(spaced so) the listed words. And ZetaSQL's messages point at keywords the AST drops (the IN of an IN list,
the BETWEEN of a range). `QueryText` answers both kinds of question from the text and a node's 1-based
(line, column).
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ..grammar import ast

_WORD = re.compile(r"\w+", re.ASCII)  # RE2's [[:word:]], as MLMD's rewrite regexes read the query
_LINE_BREAK = re.compile("\n")
_WHITESPACE = " \t\r\n\f\v"  # the grammar's: Unicode spaces are not whitespace in a query
# An item of an IN list that MLMD's rewrite can read as a word (a name, an unsigned number, NULL, TRUE).
_WORDISH = (ast.Path, ast.Int, ast.Null, ast.Bool)


class QueryText:
    """One query's text; the line table is built on first use, once per compile."""

    def __init__(self, query: str) -> None:
        self.query = query
        self._lines: Optional[List[str]] = None
        self._starts: Optional[List[int]] = None

    def line_of(self, node: ast.Node) -> Tuple[str, int]:
        """The query line `node` starts on, and its 1-based column there."""
        if self._lines is None:
            self._lines = self.query.split("\n")  # once per compile: a long query may ask many times
        lines = self._lines
        line_no, col = getattr(node, "line", 0), getattr(node, "column", 0)
        if not 1 <= line_no <= len(lines):
            return "", 1
        return lines[line_no - 1], max(col, 1)

    def word_at(self, node: ast.Node) -> Optional[str]:
        """The run of word characters `node`'s text starts with (`2` of `2`, `0x2` of `0x2`), if any."""
        line, col = self.line_of(node)
        word = _WORD.match(line, col - 1)
        return word.group() if word else None

    def word_after_operator(self, right: ast.Node) -> Optional[str]:
        """The word MLMD's rewrite takes after `=` / `!=` when `right` starts right after the operator."""
        line, col = self.line_of(right)
        before = line[:col - 1].rstrip(" \t\r\f\v")
        return self.word_at(right) if before.endswith("=") else None

    def space_before_paren(self, first_item: ast.Node) -> bool:
        """False when the list's "(" stands right after IN (`IN(LIVE)`), which MLMD's rewrite does not read."""
        line, col = self.line_of(first_item)
        before = line[:col - 1].rstrip(" \t")
        return not before.endswith("(") or before[:-1][-1:] in (" ", "\t")

    def is_list_word(self, item: ast.Node, first: bool) -> bool:
        """Whether MLMD's rewrite reads this IN-list item as a word: written as one, and not parenthesised."""
        if not isinstance(item, _WORDISH) or (isinstance(item, ast.Path) and (len(item.parts) != 1 or item.quoted[0])):
            return False
        if self.word_at(item) is None:  # a signed number
            return False
        before = self.query[:self._offset(item)].rstrip(_WHITESPACE)
        if not first:
            return before.endswith(",")
        return before.endswith("(") and _ends_with_word(before[:-1].rstrip(_WHITESPACE), "IN")

    def keyword_before(self, node: ast.Node, keyword: str) -> Tuple[int, int]:
        """Where `keyword` stands before `node` (past "(" and whitespace), as (line, column); else `node`'s."""
        at = (getattr(node, "line", 0) or 1, getattr(node, "column", 0) or 1)
        before = self.query[:self._offset(node)].rstrip(_WHITESPACE + "(")
        if not _ends_with_word(before, keyword):
            return at
        start = len(before) - len(keyword)
        line = self.query.count("\n", 0, start) + 1
        return line, start - (self.query.rfind("\n", 0, start) + 1) + 1

    def _offset(self, node: ast.Node) -> int:
        if self._starts is None:
            self._starts = [0] + [found.end() for found in _LINE_BREAK.finditer(self.query)]
        line_no, col = getattr(node, "line", 0), getattr(node, "column", 0)
        if not 1 <= line_no <= len(self._starts):
            return 0
        return self._starts[line_no - 1] + max(col, 1) - 1


def _ends_with_word(text: str, word: str) -> bool:
    """`text` ends with `word` (ASCII case-insensitive) and no word character stands right before it."""
    tail = text[-len(word):]
    return tail.upper() == word and not _WORD.match(text[-len(word) - 1:-len(word)] if len(text) > len(word) else "")
