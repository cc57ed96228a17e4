"""The filter query AST: the only contract between `fastmlmd.grammar` and the planner.

Every node is a frozen dataclass named like the grammar rule that builds it (`compare` -> `Compare`).
Names are not resolved here: `state = LIVE` is `Compare(Path(state), EQ, Path(LIVE))`, and the planner
decides what `state` and `LIVE` mean for a node kind. Parentheses leave no node behind.

Shape guarantees that let consumers loop instead of recurse:

* `Or` and `And` are n-ary and flat: no item of an `Or` is an `Or`, no item of an `And` is an `And`.
* `Not` never wraps a `Not` (`NOT NOT x` is `x` under SQL's three-valued logic).

`line` and `column` are 1-based and point at where the node's text starts (for a parenthesised left
operand, at its "("), like the `[at line:column]` of MLMD's messages. They take no part in `==` or
`hash`: two nodes are equal when they mean the same.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterator, Tuple, Union

from .names import quote_name


class CompareOp(str, enum.Enum):
    """A comparison operator, as written; `<>` stays apart from `!=` because MLMD's enum rewrite only knows `!=`."""

    EQ = "="
    NE = "!="
    LTGT = "<>"
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


def _pos() -> int:
    return field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Or:
    """`a OR b OR ...`: two or more items, none of them an `Or`."""

    items: Tuple[Node, ...]
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class And:
    """`a AND b AND ...`: two or more items, none of them an `And`."""

    items: Tuple[Node, ...]
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Not:
    """`NOT operand`, where the operand is never a `Not`."""

    operand: Node
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Compare:
    """`left op right`, e.g. `properties.acc.double_value > 0.9` or `state = LIVE`."""

    left: Node
    op: CompareOp
    right: Node
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Like:
    """`operand [NOT] LIKE pattern`; there is no ESCAPE clause."""

    operand: Node
    pattern: Node
    negated: bool
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class InList:
    """`operand [NOT] IN (item, ...)` with at least one item, e.g. `state IN (LIVE, PENDING)`."""

    operand: Node
    items: Tuple[Node, ...]
    negated: bool
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Between:
    """`operand [NOT] BETWEEN low AND high`."""

    operand: Node
    low: Node
    high: Node
    negated: bool
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class IsNull:
    """`operand IS [NOT] NULL`."""

    operand: Node
    negated: bool
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class IsBool:
    """`operand IS [NOT] TRUE` or `operand IS [NOT] FALSE`; `value` is the TRUE or FALSE."""

    operand: Node
    value: bool
    negated: bool
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Path:
    """A dotted name as written: `name`, `contexts_a.type`, ``custom_properties.`my key`.string_value``.

    `parts` hold the name of each part, never case-folded; a back-quoted part is given without its
    backquotes and with its escapes decoded (``custom_properties.`a\\`b`.int_value`` has the part ``a`b``),
    and may be empty. `quoted[i]` says whether part i was back-quoted; `columns[i]` is where part i starts
    (its backquote, if quoted); `tight` says that no space or tab follows any dot. All parts are on `line`.
    """

    parts: Tuple[str, ...]
    quoted: Tuple[bool, ...]
    line: int = _pos()
    column: int = _pos()
    columns: Tuple[int, ...] = field(default=(), compare=False, repr=False)
    tight: bool = field(default=True, compare=False, repr=False)

    @property
    def text(self) -> str:
        """The path without spaces after its dots, back-quoted parts re-quoted by `quote_name`, e.g.
        ``custom_properties.`my key`.string_value``: it reads back as the same path."""
        return ".".join(quote_name(p) if q else p for p, q in zip(self.parts, self.quoted))


@dataclass(frozen=True)
class String:
    """A string literal, with its escapes decoded: `'it\\'s'` has the value `it's`."""

    value: str
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Int:
    """An integer literal with its signs folded in (`- 1` is -1); between -2**63 and 2**64 - 1."""

    value: int
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Float:
    """A floating-point literal with its signs folded in (`1.`, `.5`, `1e3`); `1e400` is inf."""

    value: float
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Bool:
    """`TRUE` or `FALSE` used as a value (not after IS, which is `IsBool`)."""

    value: bool
    line: int = _pos()
    column: int = _pos()


@dataclass(frozen=True)
class Null:
    """`NULL` used as a value (`id IN (1, NULL)`); MLMD rejects it as an operand of `=`, the planner decides."""

    line: int = _pos()
    column: int = _pos()


Literal = Union[String, Int, Float, Bool, Null]
Node = Union[Or, And, Not, Compare, Like, InList, Between, IsNull, IsBool, Path, String, Int, Float, Bool, Null]


def children(node: Node) -> Tuple[Node, ...]:
    """The direct sub-nodes of `node`, left to right (empty for paths and literals)."""
    if isinstance(node, (Or, And)):
        return node.items
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, InList):
        return (node.operand, *node.items)
    if isinstance(node, Like):
        return (node.operand, node.pattern)
    if isinstance(node, Between):
        return (node.operand, node.low, node.high)
    if isinstance(node, (Not, IsNull, IsBool)):
        return (node.operand,)
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Yield `node` and every node below it, depth-first and left to right, without recursion.

    Example: `[n.text for n in walk(tree) if isinstance(n, Path)]` lists every path in source order.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
