"""The words of the planner's errors: MLMD's phrase first, then ours (what would work).

Code in the wild matches MLMD's messages, so each message starts with ml-metadata 1.17.1's phrase and its
names ("No matching signature for operator = for argument types: INT64, STRING"), then `; ` and our
explanation; `planner.invalid` appends the position and a caret. ZetaSQL's own continuations (its list of
supported signatures, the STRUCT it looked in) are left out: they describe its analyser, not the query.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Sequence

from ..grammar.names import identifier
from .sqlutil import ascii_lowered

if TYPE_CHECKING:
    from ..grammar import ast

# What a value of each kind is compared with, in words.
_KIND_WORDS = {"INT64": "a number", "DOUBLE": "a number", "STRING": "a string", "BOOL": "a condition, TRUE or FALSE"}


def _text(operand: Any) -> Optional[str]:
    """The column an operand reads, as written (`state`, `properties.span.int_value`), or None for a literal."""
    return operand.path.text if operand.path is not None else None


def no_signature(op: str, operands: Sequence[Any]) -> str:
    """ZetaSQL's type error for `op` over `operands` (typed values with `kind`, `path`, `enum`)."""
    kinds = ", ".join(o.kind for o in operands)
    return f"No matching signature for operator {op} for argument types: {kinds}; {_explain(op, operands)}"


def _explain(op: str, operands: Sequence[Any]) -> str:
    if op in ("AND", "OR"):
        return f"each operand of {op} must be a condition, such as name = 'x'"
    if op == "LIKE":
        return "LIKE matches a string against a string pattern, e.g. name LIKE 'ds%'"
    enum = next((o for o in operands if o.enum is not None and o.path is not None), None)
    if enum is not None:
        column = _text(enum)
        return f"{column} is an enum: write {column} = {enum.enum.example}, or {enum.enum.number_example(column)}"
    column = next((o for o in operands if o.path is not None), None)
    if column is not None:
        return f"{_text(column)} is {column.kind}: compare it with {_KIND_WORDS.get(column.kind, column.kind)}"
    return "compare values of one kind (numbers with numbers, strings with strings)"


def no_in_signature(operand: Any, items: Sequence[Any]) -> str:
    """ZetaSQL's type error for `operand IN (items)`: the operand's kind and the set of the items' kinds."""
    kinds = ", ".join(sorted({item.kind for item in items}))
    column = _text(operand) or "the value"
    return (f"No matching signature for operator IN for argument types {operand.kind} and {{{kinds}}}; every value "
            f"in the list must compare with {column} ({operand.kind})")


def no_fields(path: ast.Path, index: int, kind: str) -> str:
    """`name.x`: part `index` of `path` reaches into a value that has no fields."""
    holder = ".".join(path.parts[:index])
    return (f"Cannot access field {identifier(path.parts[index])} on a value with type {kind}; {holder} is a "
            f"{kind} value, not a record: end the path at {holder}")


def unsupported_enum_value(word: str, column: Any, after: Optional[str] = None, numbers: bool = False) -> str:
    """MLMD's rewrite read `word` as a name of `column`'s enum, and the enum has no such name."""
    name = _text(column) or "the column"
    names = ", ".join(column.enum.names)
    if after is not None:
        advice = f"after {name} {after} write one of {names}, or list numbers: {column.enum.number_example(name)}"
    elif numbers:
        advice = (f"{name} takes the numbers {column.enum.numbers.start} to {column.enum.numbers.stop - 1} or the "
                  f"names {names}")
    else:
        advice = f"{name} takes one of {names}"
        if word.upper() in column.enum.names:
            advice += f" (names are upper case: {word.upper()})"
    return f"Unsupported enum value specified in the query: {word}; {advice}"


def enum_name_not_read(name: str, column: Any) -> str:
    """An enum name where MLMD's rewrite does not read one (`STATE = LIVE`, `state > LIVE`)."""
    lower = ascii_lowered(_text(column) or "the column")
    return (f"Unrecognized name: {identifier(name)}; an enum name is read only right after {lower} = or {lower} != "
            f"(the column in lower case), e.g. {lower} = {column.enum.example}; elsewhere write its number, e.g. "
            f"{column.enum.number_example(lower)}")


def enum_list_not_read(name: str, column: Any, spaced: bool) -> str:
    """Enum names in a list MLMD's rewrite does not read: `state IN(LIVE)`, `STATE IN (LIVE)`, a mixed list."""
    text = _text(column) or "the column"
    lower = ascii_lowered(text)
    if not spaced:
        return (f"Unrecognized name: {identifier(name)}; enum names are read in a list only after {lower} IN "
                f"(the column in lower case, a space before \"(\"), e.g. {lower} IN ({column.enum.example})")
    return (f"Unrecognized name: {identifier(name)}; a list that mixes enum names with other values is not read "
            f"as names: list only names, {text} IN ({column.enum.example}), or only numbers, "
            f"{column.enum.number_example(text)}")
