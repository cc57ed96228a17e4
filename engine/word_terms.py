"""Which words a LIKE pattern names, and the words of a value: what every backend's word index shares.

A word is a run of ASCII letters and digits, lower-cased as LIKE folds them; every other character separates
words. A pattern names a whole word wherever such a run sits between two characters that separate words:
`%/run-000123/Trainer/%` names `run`, `000123` and `trainer`, and a value it matches holds them too. The
backends' indexes (backends/sqlite_words.py, backends/mysql_words.py) find the nodes holding the words; the
LIKE itself, tested on each, decides.
"""
from __future__ import annotations

import re
from typing import List, Optional, Set, Tuple

RUN = re.compile(r"[0-9A-Za-z]+")
_MIN_PREFIX = 3  # a shorter prefix starts too many words to narrow anything
_MAX_WORDS = 2
_WILDCARDS = "%_"

Term = Tuple[str, bool]  # (word, whole): a whole word, or the start of one


def _separates(char: str) -> bool:
    """Whether `char`, next to a run of letters and digits in a pattern, ends the word that holds the run.

    "" is an end of the value. Any other ASCII character but a wildcard separates words in the row as in the
    pattern; a non-ASCII one may be part of a word (SQLite's FTS5 decides by Unicode category), so it proves
    nothing.
    """
    return char == "" or (char < "\x80" and char not in _WILDCARDS)


def rarest_terms(pattern: str) -> Optional[List[Term]]:
    """At most two terms that every value matching `LIKE pattern` holds, the likeliest to be rare first; None
    when the pattern names none an index can look up.

    Only patterns that start with a wildcard are served: a prefix pattern has a B-tree index of its own. A run
    that the pattern bounds on both sides is a whole word; one bounded only on its left (`/run-0012%`) starts a
    word, and is taken if it holds a digit and three characters: an index gathers every word a prefix starts,
    which costs as much as the nodes they name, and an alphabetic prefix (`/Train%`) names many. Each term
    costs a walk of its list, and a common one a long walk, so at most two are named: those with digits (run
    numbers, ids, dates), whole words, then the longest.
    """
    pattern = pattern.split("\x00", 1)[0]  # SQLite reads a pattern up to its first NUL; elsewhere it only narrows less
    if not pattern.startswith(tuple(_WILDCARDS)):
        return None
    terms: dict = {}  # (word, whole): an ordered set
    for run in RUN.finditer(pattern):
        start, end = run.span()
        if not _separates(pattern[start - 1:start]):
            continue  # the run may end a longer word, which the index cannot look up
        word = run.group().lower()
        whole = _separates(pattern[end:end + 1])
        if whole or (end - start >= _MIN_PREFIX and _has_digit(word)):
            terms[(word, whole)] = None
    if not terms:
        return None
    return sorted(terms, key=lambda term: (not _has_digit(term[0]), not term[1], -len(term[0])))[:_MAX_WORDS]


def words_of(*texts: Optional[str]) -> Set[str]:
    """The words of these values (None holds none)."""
    return {run.lower() for text in texts if text for run in RUN.findall(text)}


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)
