"""The filter query language of MLMD list options: text in, AST out (docs/mlmd-interface.md §3.3).

Knows nothing of SQL, the schema or protobuf: `parse` checks form only, and the planner in
`fastmlmd.engine` resolves names and meaning.

    >>> from fastmlmd.grammar import parse
    >>> parse("state = LIVE").right
    Path(parts=('LIVE',), quoted=(False,))

`ast` holds the node classes (the contract with the planner), `walk` visits a tree without recursion,
`FilterSyntaxError` (a ValueError) says what is malformed, where, and what would work, and
`quote_name` writes any name as a back-quoted path part the parser reads back.
"""
from __future__ import annotations

from . import ast
from .ast import Node, children, walk
from .errors import FilterSyntaxError
from .names import quote_name
from .parse import parse, parse_uncached

__all__ = ["FilterSyntaxError", "Node", "ast", "children", "parse", "parse_uncached", "quote_name", "walk"]
