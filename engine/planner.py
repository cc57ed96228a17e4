"""The filter-query planner: the grammar's AST -> one parameterised SQL condition over our schema.

It reproduces MLMD's semantics (spec 3.2): every distinct reference (the type, a property, a
neighbourhood alias) is one INNER JOIN, so each alias means "some linked row" and a node lacking a
referenced neighbour or property never matches, whatever the boolean position. Every value, property
name included, is a bound parameter; every identifier comes from the catalog below.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

from . import errors
from .catalog import ARTIFACT, CONTEXT, EXECUTION, NodeLayout, TypeKind
from .plan_cache import PlanCache
from ..grammar import FilterSyntaxError, ast, parse, walk
from ..grammar.errors import render_at

PREFIX = "Invalid `filter_query`: "
MAX_JOINS = 60  # SQLite joins at most 64 tables in one SELECT
INT64_MAX = 2**63 - 1


class Kind:
    """Value kinds of columns and literals (ZetaSQL's types, as far as filters see them)."""

    INT = "INT64"
    DOUBLE = "DOUBLE"
    STRING = "STRING"
    BOOL = "BOOL"
    NULL = "NULL"


NUMERIC = (Kind.INT, Kind.DOUBLE)

@dataclass(frozen=True)
class Enum:
    """An enum column's names a filter may use (spec 3.5), and the numbers its proto enum defines.

    MLMD's analyser types an enum column as INT64 and rewrites names to numbers before it (spec 3.2): so
    `state > 1` or `state IN (2, 3)` compare numbers, and only some names are accepted (ABANDONED, REFERENCE,
    UNKNOWN and PENDING_OUTPUT events are refused by MLMD, and so by us), while every number is a value.
    """

    names: Dict[str, int]
    numbers: range
    example: str  # a name for error messages

    def number_example(self, column: str) -> str:
        return f"{column} IN ({self.names[self.example]})"


ARTIFACT_STATES = Enum({"UNKNOWN": 0, "PENDING": 1, "LIVE": 2, "MARKED_FOR_DELETION": 3, "DELETED": 4},
                       range(0, 7), "LIVE")  # ... ABANDONED 5, REFERENCE 6
EXECUTION_STATES = Enum({"UNKNOWN": 0, "NEW": 1, "RUNNING": 2, "COMPLETE": 3, "FAILED": 4, "CACHED": 5,
                         "CANCELED": 6}, range(0, 7), "COMPLETE")
EVENT_TYPES = Enum({"DECLARED_OUTPUT": 1, "DECLARED_INPUT": 2, "INPUT": 3, "OUTPUT": 4, "INTERNAL_INPUT": 5,
                    "INTERNAL_OUTPUT": 6}, range(0, 8), "INPUT")  # UNKNOWN 0 ... PENDING_OUTPUT 7
KNOWN_BUT_UNSUPPORTED = {"ABANDONED", "REFERENCE", "PENDING_OUTPUT"}


@dataclass(frozen=True)
class Field:
    """A filterable field: its column in the joined table, its kind, and its enum if any."""

    column: str  # column of the table the reference joins ("" for `type`, which joins the type table)
    kind: str
    enum: Optional[Enum] = None


def _node_fields(extra: Dict[str, Field]) -> Dict[str, Field]:
    base = {
        "id": Field("id", Kind.INT),
        "type_id": Field("type_id", Kind.INT),
        "type": Field("", Kind.STRING),
        "name": Field("name", Kind.STRING),
        "external_id": Field("external_id", Kind.STRING),
        "create_time_since_epoch": Field("create_time", Kind.INT),
        "last_update_time_since_epoch": Field("update_time", Kind.INT),
    }
    return {**base, **extra}


NODE_FIELDS = {
    TypeKind.ARTIFACT: _node_fields({"uri": Field("uri", Kind.STRING),
                                     "state": Field("state", Kind.INT, ARTIFACT_STATES)}),
    TypeKind.EXECUTION: _node_fields({"last_known_state": Field("last_known_state", Kind.INT, EXECUTION_STATES)}),
    TypeKind.CONTEXT: _node_fields({}),
}
# MLMD offers no external_id (nor type_id) on context aliases.
_CONTEXT_ALIAS_FIELDS = {k: v for k, v in NODE_FIELDS[TypeKind.CONTEXT].items() if k not in ("type_id", "external_id")}
_EVENT_TIME = Field("milliseconds_since_epoch", Kind.INT)
_EVENT_TYPE = Field("type", Kind.INT, EVENT_TYPES)


@dataclass(frozen=True)
class Neighbourhood:
    """An alias prefix: which rows it joins to the node and which fields they offer."""

    prefix: str
    joins: Tuple[str, ...]  # JOIN clauses; {a} = this alias's row, {l} = its link row, {n} = the node
    fields: Dict[str, Field]
    type_kind: Optional[TypeKind] = None  # the kind of the joined nodes' types (None for events)
    id_column: str = ""  # the link column equal to the joined row's id: filtering on it skips a lookup
    other_node_field: str = ""  # events: the field naming the event's other node (see _pinned_events)


def _link(table: str, node_col: str, other_col: str, target: str) -> Tuple[str, ...]:
    return (f"JOIN {table} {{l}} ON {{l}}.{node_col} = {{n}}.id", f"JOIN {target} {{a}} ON {{a}}.id = {{l}}.{other_col}")


NEIGHBOURHOODS: Dict[TypeKind, Tuple[Neighbourhood, ...]] = {
    TypeKind.ARTIFACT: (
        Neighbourhood("contexts_", _link("attribution", "artifact_id", "context_id", "context"),
                      _CONTEXT_ALIAS_FIELDS, TypeKind.CONTEXT, "context_id"),
        Neighbourhood("events_", ("JOIN event {a} ON {a}.artifact_id = {n}.id",),
                      {"execution_id": Field("execution_id", Kind.INT), "type": _EVENT_TYPE,
                       "milliseconds_since_epoch": _EVENT_TIME}, other_node_field="execution_id"),
    ),
    TypeKind.EXECUTION: (
        Neighbourhood("contexts_", _link("association", "execution_id", "context_id", "context"),
                      _CONTEXT_ALIAS_FIELDS, TypeKind.CONTEXT, "context_id"),
        Neighbourhood("events_", ("JOIN event {a} ON {a}.execution_id = {n}.id",),
                      {"artifact_id": Field("artifact_id", Kind.INT), "type": _EVENT_TYPE,
                       "milliseconds_since_epoch": _EVENT_TIME}, other_node_field="artifact_id"),
    ),
    TypeKind.CONTEXT: (
        # `parent_contexts_` before `contexts_`-like prefixes: longest prefix first.
        Neighbourhood("parent_contexts_", _link("parent_context", "child_id", "parent_id", "context"),
                      _CONTEXT_ALIAS_FIELDS, TypeKind.CONTEXT, "parent_id"),
        Neighbourhood("child_contexts_", _link("parent_context", "parent_id", "child_id", "context"),
                      _CONTEXT_ALIAS_FIELDS, TypeKind.CONTEXT, "child_id"),
        Neighbourhood("artifacts_", _link("attribution", "context_id", "artifact_id", "artifact"),
                      {k: v for k, v in NODE_FIELDS[TypeKind.ARTIFACT].items() if k != "type_id"},
                      TypeKind.ARTIFACT, "artifact_id"),
        Neighbourhood("executions_", _link("association", "context_id", "execution_id", "execution"),
                      {k: v for k, v in NODE_FIELDS[TypeKind.EXECUTION].items() if k != "type_id"},
                      TypeKind.EXECUTION, "execution_id"),
    ),
}
VALUE_KINDS = {"int_value": Kind.INT, "double_value": Kind.DOUBLE, "string_value": Kind.STRING,
               "bool_value": Kind.BOOL}


class PlanError(Exception):
    """A query that parses but means nothing for this node kind; carries the node for the caret."""

    def __init__(self, detail: str, node: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.line = getattr(node, "line", 0) or 1
        self.column = getattr(node, "column", 0) or 1


class TooManyJoins(PlanError):
    """One SELECT of the plan would join more tables than SQLite allows."""


@dataclass
class _Typed:
    sql: str
    kind: str
    params: List[object] = field(default_factory=list)
    enum: Optional[Enum] = None
    enum_rewrite: bool = False  # an enum column written in lower case: MLMD's name rewrite reads what follows
    path: Optional[ast.Path] = None


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WORD = re.compile(r"\w+", re.ASCII)  # RE2's [[:word:]], as MLMD's rewrite regexes read the query


def _needs_join(layout: NodeLayout, path: ast.Path) -> bool:
    head = path.parts[0]
    if head in ("properties", "custom_properties") or head.lower() == "type":
        return True
    return _alias_of(layout, path) is not None


class _Compiler:
    """Compiles one query for one node kind; collects the joins its references need."""

    def __init__(self, layout: NodeLayout, tree: ast.Node, query: str,
                 spellings: Optional[Dict[Tuple[object, ...], str]] = None) -> None:
        self.layout = layout
        self.query = query
        # MLMD declares one column per spelling; names that differ only in case then clash.
        self.spellings: Dict[Tuple[object, ...], str] = {} if spellings is None else spellings
        self.fields = NODE_FIELDS[layout.kind]
        self.joined = any(_needs_join(layout, n) for n in walk(tree) if isinstance(n, ast.Path))
        self.base = "n0" if self.joined else "n"
        self.joins: List[str] = []
        self.join_params: List[object] = []
        self.aliases: Dict[Tuple[object, ...], str] = {}
        self.join_sizes: Dict[Tuple[object, ...], int] = {}  # JOIN clauses per reference
        self.lines: Optional[List[str]] = None  # the query's lines, split on first use (_line_of)
        self.pinned_events = _pinned_events(layout, tree)

    def _new_alias(self) -> str:
        return f"j{len(self.joins)}"

    def _join(self, key: Tuple[object, ...], clauses: Sequence[str], params: Sequence[object] = ()) -> str:
        alias = self.aliases.get(key)
        if alias is not None:
            return alias
        alias, link = self._new_alias(), f"j{len(self.joins)}l"
        for clause in clauses:
            self.joins.append(clause.format(a=alias, l=link, n=self.base))
        self.join_params.extend(params)
        self.aliases[key] = alias
        self.join_sizes[key] = len(clauses)
        if len(self.joins) > MAX_JOINS:
            raise TooManyJoins(f"one condition of the query joins more than {MAX_JOINS} properties and "
                               "neighbours (SQLite joins at most 64 tables in one SELECT): an OR, a NOT or "
                               "parentheses hold too many of them; split it into several queries", None)
        return alias

    def _type_name(self, owner: str, owner_key: Tuple[object, ...], kind: TypeKind) -> str:
        # The kind is implied by the join, but stating it lets `type = 'x'` seek the (kind, name) index.
        alias = self._join(("type", *owner_key),
                           (f"JOIN type {{a}} ON {{a}}.id = {owner}.type_id AND {{a}}.kind = {int(kind)}",))
        return f"{alias}.name"

    # Names ---------------------------------------------------------------------------------------------------
    def _one_spelling(self, key: Tuple[object, ...], spelling: str, path: ast.Path) -> None:
        known = self.spellings.setdefault(key, spelling)
        if known != spelling:
            raise PlanError(f"Column name {spelling} is ambiguous: the query also writes it {known}; spell it the "
                            "same way each time", path)

    def column(self, path: ast.Path) -> _Typed:
        parts = path.parts
        head = parts[0]
        if head in ("properties", "custom_properties") and not path.quoted[0]:
            return self._property(path)
        if "" in parts:
            raise PlanError(f"Invalid empty identifier in {path.text}; only a property name may be empty "
                            "(custom_properties.``.string_value)", path)
        for hood in NEIGHBOURHOODS[self.layout.kind]:
            if head.startswith(hood.prefix) and len(head) > len(hood.prefix) and not path.quoted[0]:
                return self._neighbour(path, hood)
        if len(parts) != 1:
            raise PlanError(self._unknown(path), path)
        spec = self.fields.get(head.lower())
        if spec is None:
            raise PlanError(self._unknown(path), path)
        sql = (self._type_name(self.base, (), self.layout.kind) if head.lower() == "type"
               else f"{self.base}.{spec.column}")
        return _Typed(sql, spec.kind, enum=spec.enum, enum_rewrite=spec.enum is not None and head == head.lower(),
                      path=path)

    def _unknown(self, path: ast.Path) -> str:
        prefixes = ", ".join(f"{h.prefix}<alias>.<field>" for h in NEIGHBOURHOODS[self.layout.kind])
        return (f"Unrecognized name: {path.text}; {self.layout.noun} fields are "
                f"{', '.join(sorted(self.fields))}, properties.<name>.<kind>_value, "
                f"custom_properties.<name>.<kind>_value and {prefixes}")

    def _property(self, path: ast.Path) -> _Typed:
        parts = path.parts
        if len(parts) != 3 or parts[2] not in VALUE_KINDS or path.quoted[2] or not path.tight:
            raise PlanError(
                f"Unrecognized name: {parts[0]} (in {path.text}); write {parts[0]}.<name>.<kind>_value with kind "
                "int, double, string or bool and no spaces", path)
        is_custom = parts[0] == "custom_properties"
        # MLMD lower-cases (ASCII) the property name of a query: `properties.SPAN` is `span`. It does so
        # to back-quoted names too, which leaves stored mixed-case names unreachable; we take a back-quoted
        # name literally instead, so `properties.`Span`` finds "Span". Its escapes are decoded (MLMD fails on
        # any backslash there), and it may be empty: every name a store can hold is reachable.
        name = parts[1] if path.quoted[1] else parts[1].translate(_ASCII_LOWER)
        self._one_spelling(("property", is_custom, name), parts[1], path)
        alias = self._join(
            ("property", is_custom, name),
            (f"JOIN {self.layout.property_table} {{a}} ON {{a}}.node_id = {{n}}.id AND {{a}}.is_custom = "
             f"{int(is_custom)} AND {{a}}.name = ?",),
            (name,),
        )
        return _Typed(f"{alias}.{parts[2]}", VALUE_KINDS[parts[2]], path=path)

    def _neighbour(self, path: ast.Path, hood: Neighbourhood) -> _Typed:
        if len(path.parts) != 2:
            raise PlanError(f"Unrecognized name: {path.text}; write {hood.prefix}<alias>.<field> with a field of "
                            f"{', '.join(sorted(hood.fields))}", path)
        alias_name, field_name = path.parts[0].lower(), path.parts[1]
        self._one_spelling(("alias", alias_name), path.parts[0], path)
        spec = hood.fields.get(field_name.lower())
        if spec is None:
            raise PlanError(f"Field name {field_name} does not exist in {path.parts[0]}; its fields are "
                            f"{', '.join(sorted(hood.fields))}", path)
        alias = self._join(("alias", alias_name), hood.joins)
        if field_name.lower() == "type" and not spec.column:
            assert hood.type_kind is not None
            sql = self._type_name(alias, ("alias", alias_name), hood.type_kind)
        elif spec.column == "id" and hood.id_column:
            sql = f"{alias}l.{hood.id_column}"  # the link row holds the same id, and its key is indexed
        elif spec.enum is not None and hood.other_node_field and alias_name in self.pinned_events:
            # The event's other node is fixed by id: its index (event_execution, event_identity) finds the
            # few events of that node, while one event type can hold half the table. An un-analysed store
            # (we never run ANALYZE) lets SQLite pick event_type here, so a unary + keeps this column out
            # of index choice; the value compared is the same.
            sql = f"+{alias}.{spec.column}"
        else:
            sql = f"{alias}.{spec.column}"
        return _Typed(sql, spec.kind, enum=spec.enum,
                      enum_rewrite=spec.enum is not None and field_name == field_name.lower(), path=path)

    # Expressions ---------------------------------------------------------------------------------------------
    def compile(self, tree: ast.Node) -> _Typed:
        """Compiles bottom-up with an explicit stack, so deep queries cost no recursion."""
        done: Dict[int, _Typed] = {}
        stack: List[Tuple[ast.Node, bool]] = [(tree, False)]
        while stack:
            node, expanded = stack.pop()
            kids = ast.children(node) if not isinstance(node, (ast.Compare, ast.InList)) else ()
            if isinstance(node, ast.Compare):
                kids = (node.left,) + (() if self._is_enum_name_slot(node.left, node.right) else (node.right,))
            elif isinstance(node, ast.InList):
                kids = (node.operand,) + tuple(i for i in node.items if not self._bare_name(i))
            if not expanded and kids:
                stack.append((node, True))
                stack.extend((kid, False) for kid in reversed(kids))
                continue
            typed = self._node(node, done)
            if isinstance(node, (ast.Not, ast.Compare, ast.Like, ast.InList, ast.Between, ast.IsNull, ast.IsBool)):
                typed.sql = f"({typed.sql})"  # an operand of a comparison keeps its own precedence
            done[id(node)] = typed
        return done[id(tree)]

    @staticmethod
    def _bare_name(node: ast.Node) -> bool:
        return isinstance(node, ast.Path) and len(node.parts) == 1 and not node.quoted[0]

    def _is_enum_name_slot(self, left: ast.Node, right: ast.Node) -> bool:
        # A bare name on the right of an enum column is resolved against the enum, not as a column.
        return self._bare_name(right) and isinstance(left, ast.Path) and right.parts[0].upper() == right.parts[0] \
            and self._is_enum_path(left)

    def _is_enum_path(self, path: ast.Path) -> bool:
        try:
            return self.column(path).enum is not None
        except PlanError:
            return False

    def _node(self, node: ast.Node, done: Dict[int, _Typed]) -> _Typed:
        if isinstance(node, ast.Path):
            return self.column(node)
        if isinstance(node, ast.String):
            return _Typed("?", Kind.STRING, [node.value])
        if isinstance(node, ast.Int):
            # Past INT64 SQLite cannot bind the integer; as a double it still compares right.
            return _Typed("?", Kind.INT, [node.value if node.value <= INT64_MAX else float(node.value)])
        if isinstance(node, ast.Float):
            return _Typed("?", Kind.DOUBLE, [node.value])
        if isinstance(node, ast.Bool):
            return _Typed("1" if node.value else "0", Kind.BOOL)
        if isinstance(node, ast.Null):
            return _Typed("NULL", Kind.NULL)
        if isinstance(node, (ast.And, ast.Or)):
            items = [self._predicate(done[id(item)], item) for item in node.items]
            return _Typed(_balanced("AND" if isinstance(node, ast.And) else "OR", [i.sql for i in items]), Kind.BOOL,
                          [p for i in items for p in i.params])
        if isinstance(node, ast.Not):
            inner = self._predicate(done[id(node.operand)], node.operand)
            return _Typed(f"NOT ({inner.sql})", Kind.BOOL, inner.params)
        if isinstance(node, ast.Compare):
            return self._compare(node, done)
        if isinstance(node, ast.InList):
            return self._in_list(node, done)
        if isinstance(node, ast.Like):
            operand, pattern = done[id(node.operand)], done[id(node.pattern)]
            for side, src in ((operand, node.operand), (pattern, node.pattern)):
                if side.kind != Kind.STRING:
                    raise PlanError(f"No matching signature for operator LIKE for argument types: "
                                    f"{operand.kind}, {pattern.kind} (LIKE compares strings)", src)
            op = "NOT LIKE" if node.negated else "LIKE"
            return _Typed(f"{operand.sql} {op} {pattern.sql}", Kind.BOOL, operand.params + pattern.params)
        if isinstance(node, ast.Between):
            operand, low, high = (done[id(node.operand)], done[id(node.low)], done[id(node.high)])
            for bound, src in ((low, node.low), (high, node.high)):
                self._check_comparable("BETWEEN", operand, bound, src)
            op = "NOT BETWEEN" if node.negated else "BETWEEN"
            return _Typed(f"{operand.sql} {op} {low.sql} AND {high.sql}", Kind.BOOL,
                          operand.params + low.params + high.params)
        if isinstance(node, ast.IsNull):
            operand = done[id(node.operand)]
            return _Typed(f"{operand.sql} IS {'NOT ' if node.negated else ''}NULL", Kind.BOOL, operand.params)
        if isinstance(node, ast.IsBool):
            operand = done[id(node.operand)]
            if operand.kind not in (Kind.BOOL, Kind.NULL):
                raise PlanError(f"IS {'TRUE' if node.value else 'FALSE'} needs a boolean, got {operand.kind}",
                                node.operand)
            # `x IS 1` is true or false, never NULL, as IS TRUE must be.
            return _Typed(f"({operand.sql}) IS {'NOT ' if node.negated else ''}{int(node.value)}", Kind.BOOL,
                          operand.params)
        raise PlanError(f"unsupported expression {type(node).__name__}", node)

    def _predicate(self, typed: _Typed, node: ast.Node) -> _Typed:
        if typed.kind != Kind.BOOL:
            raise PlanError(f"Given query string is not a valid boolean expression: "
                            f"{_describe(node)} is {typed.kind}, not a condition", node)
        return typed

    def _enum_value(self, column: _Typed, name_node: ast.Node) -> int:
        assert isinstance(name_node, ast.Path) and column.enum is not None
        name = name_node.parts[0]
        names = column.enum.names
        if name in names:
            return names[name]
        if name in KNOWN_BUT_UNSUPPORTED or name == "UNKNOWN":
            raise PlanError(f"Unsupported enum value specified in the query: {name}; use one of "
                            f"{', '.join(names)}", name_node)
        raise PlanError(f"Unrecognized name: {name}; {_column_text(column)} takes one of {', '.join(names)}",
                        name_node)

    # MLMD's enum rewrite (spec 3.2) reads the query text: after `state =` or `state !=` it takes the next
    # word (`[[:word:]]+`) as an enum name, and in `state IN (...)` (spaced so) it takes the listed words. A
    # number it takes that way is refused; a number it does not take (`state = -2`, `STATE = 2`, `state > 2`)
    # compares as the INT64 the column is. We take numbers in lists of any length, as MLMD 1.21 does (TFX
    # 1.21's resolvers write `state IN (2, 3, 5)`).
    def _word_after_operator(self, right: ast.Node) -> Optional[str]:
        """The word MLMD's rewrite takes after `=` / `!=` when `right` starts right after the operator."""
        line, col = self._line_of(right)
        before = line[:col - 1].rstrip(" \t\r\f\v")
        word = _WORD.match(line, col - 1) if before.endswith("=") else None
        return word.group() if word else None

    def _compare(self, node: ast.Compare, done: Dict[int, _Typed]) -> _Typed:
        left = done[id(node.left)]
        op = "!=" if node.op in (ast.CompareOp.NE, ast.CompareOp.LTGT) else node.op.value
        if id(node.right) not in done:  # an enum name slot
            if not left.enum_rewrite or node.op not in (ast.CompareOp.EQ, ast.CompareOp.NE):
                raise PlanError(f"Unrecognized name: {node.right.parts[0]}", node.right)  # type: ignore[union-attr]
            value = self._enum_value(left, node.right)
            if node.op == ast.CompareOp.EQ:
                return _Typed(f"{left.sql} = ?", Kind.BOOL, left.params + [value])
            # MLMD's rewrite makes `!=` also match unset values.
            return _Typed(f"({left.sql} != ? OR {left.sql} IS NULL)", Kind.BOOL, left.params + [value] + left.params)
        right = done[id(node.right)]
        if left.enum_rewrite and node.op in (ast.CompareOp.EQ, ast.CompareOp.NE):
            word = self._word_after_operator(node.right)
            if word is not None:  # `state = 2`, `state = id`: MLMD's rewrite takes it for a name it lacks
                assert left.enum is not None
                column = _column_text(left)
                raise PlanError(f"Unsupported enum value specified in the query: {word}; after {column} "
                                f"{node.op.value} write one of {', '.join(left.enum.names)}, or list numbers: "
                                f"{left.enum.number_example(column)}", node.right)
        if Kind.NULL in (left.kind, right.kind):
            raise PlanError(f"Operands of {node.op.value} cannot be literal NULL; use IS NULL or IS NOT NULL", node)
        self._check_comparable(node.op.value, left, right, node)
        return _Typed(f"{left.sql} {op} {right.sql}", Kind.BOOL, left.params + right.params)

    def _in_list(self, node: ast.InList, done: Dict[int, _Typed]) -> _Typed:
        operand = done[id(node.operand)]
        names = [item for item in node.items if id(item) not in done]
        rewritten = operand.enum_rewrite and self._space_before_paren(node.items[0])
        if names:
            # MLMD rewrites enum names only in `IN (`, with a space: `state IN(LIVE)` leaves LIVE unknown.
            if not rewritten:
                raise PlanError(f"Unrecognized name: {names[0].parts[0]}", names[0])  # type: ignore[union-attr]
            if len(names) != len(node.items):
                other = next(item for item in node.items if id(item) in done)
                assert operand.enum is not None
                column = _column_text(operand)
                raise PlanError(f"Unsupported enum value specified in the query: the list mixes names and other "
                                f"values; list only names, {column} IN ({operand.enum.example}), or only numbers, "
                                f"{operand.enum.number_example(column)}", other)
            values = [self._enum_value(operand, item) for item in names]
            marks = ", ".join("?" * len(values))
            if not node.negated:
                return _Typed(f"{operand.sql} IN ({marks})", Kind.BOOL, operand.params + values)
            return _Typed(f"({operand.sql} NOT IN ({marks}) OR {operand.sql} IS NULL)", Kind.BOOL,
                          operand.params + values + operand.params)
        items = [done[id(item)] for item in node.items]
        for item, src in zip(items, node.items):
            if item.kind == Kind.NULL:
                continue
            if rewritten and len(items) == 1 and isinstance(src, ast.Int):
                self._check_enum_number(operand, src)
            self._check_comparable("IN", operand, item, src)
        # Numbers compare as numbers: `state NOT IN (2)` leaves out unset states, as in MLMD, which only adds
        # "OR state IS NULL" for the names it rewrites.
        op = "NOT IN" if node.negated else "IN"
        return _Typed(f"{operand.sql} {op} ({', '.join(i.sql for i in items)})", Kind.BOOL,
                      operand.params + [p for i in items for p in i.params])

    def _check_enum_number(self, operand: _Typed, number: ast.Int) -> None:
        # In a one-item list, MLMD's rewrite reads a run of two or more word characters as an enum name: a
        # number written so (`22`, `02`, `0x2`) names no value, every enum value being one digit, and is
        # refused, as in MLMD. A one-digit or signed number it leaves alone, and that compares as a plain
        # number (`state IN (7)` finds nothing). (Longer lists it reads or not by accident of its regex;
        # we answer every list of numbers.) Refusing by how a number is written, not by its value, keeps
        # MLMD's answers, at a cost: such texts do not share a plan by shape (see plan_cache.py).
        line, col = self._line_of(number)
        word = _WORD.match(line, col - 1)
        if word is not None and len(word.group()) > 1:
            assert operand.enum is not None
            numbers = operand.enum.numbers
            raise PlanError(f"Unsupported enum value specified in the query: {word.group()}; "
                            f"{_column_text(operand)} takes the numbers {numbers.start} to {numbers.stop - 1} "
                            f"or the names {', '.join(operand.enum.names)}", number)

    def _line_of(self, node: ast.Node) -> Tuple[str, int]:
        """The query line `node` starts on, and its 1-based column there."""
        if self.lines is None:
            self.lines = self.query.split("\n")  # once per compile: a long query may ask many times
        lines = self.lines
        line_no, col = getattr(node, "line", 0), getattr(node, "column", 0)
        if not 1 <= line_no <= len(lines):
            return "", 1
        return lines[line_no - 1], max(col, 1)

    def _space_before_paren(self, first_item: ast.Node) -> bool:
        line, col = self._line_of(first_item)
        before = line[:col - 1].rstrip(" \t")
        return not before.endswith("(") or before[:-1][-1:] in (" ", "\t")

    @staticmethod
    def _check_comparable(op: str, left: _Typed, right: _Typed, node: object) -> None:
        ok = left.kind == right.kind or (left.kind in NUMERIC and right.kind in NUMERIC)
        if not ok:
            enum_column = left if left.enum is not None else right if right.enum is not None else None
            hint = ""
            if enum_column is not None and enum_column.enum is not None:
                column = _column_text(enum_column)
                enum = enum_column.enum
                hint = f" (write {column} = {enum.example}, or {enum.number_example(column)})"
            raise PlanError(f"No matching signature for operator {op} for argument types: {left.kind}, "
                            f"{right.kind}{hint}", node)


def _column_text(column: _Typed) -> str:
    return column.path.text if column.path is not None else "the column"


def _balanced(op: str, parts: List[str]) -> str:
    # A long flat chain nests as deep as it is long in SQLite's parser; halving keeps it logarithmic.
    if len(parts) <= 8:
        return "(" + f" {op} ".join(parts) + ")"
    middle = len(parts) // 2
    return f"({_balanced(op, parts[:middle])} {op} {_balanced(op, parts[middle:])})"


def _describe(node: ast.Node) -> str:
    if isinstance(node, ast.Path):
        return node.text
    return type(node).__name__.lower()


def invalid(detail: str, query: str, line: int = 1, column: int = 1) -> errors.InvalidArgumentError:
    """The InvalidArgumentError MLMD callers expect, with where the problem is and a caret under it."""
    return errors.InvalidArgumentError(f"{PREFIX}{detail} [at {line}:{column}]\n{render_at(query, line, column)}")


def _alias_of(layout: NodeLayout, path: ast.Path) -> Optional[str]:
    head = path.parts[0]
    if path.quoted[0]:
        return None
    for hood in NEIGHBOURHOODS[layout.kind]:
        if head.startswith(hood.prefix) and len(head) > len(hood.prefix):
            return head.lower()
    return None


_PINNABLE = {kind: tuple(h for h in hoods if h.other_node_field) for kind, hoods in NEIGHBOURHOODS.items()}


def _pinned_events(layout: NodeLayout, tree: ast.Node) -> Set[str]:
    """Event aliases whose other node a conjunct of `tree` fixes by id: `events_e.execution_id = 3`, `IN (3, 4)`."""
    hoods = _PINNABLE[layout.kind]
    pinned: Set[str] = set()
    if not hoods:
        return pinned
    for conjunct in (tree.items if isinstance(tree, ast.And) else (tree,)):
        if isinstance(conjunct, ast.Compare) and conjunct.op == ast.CompareOp.EQ:
            path, values = conjunct.left, (conjunct.right,)
        elif isinstance(conjunct, ast.InList) and not conjunct.negated:
            path, values = conjunct.operand, conjunct.items
        else:
            continue
        if not isinstance(path, ast.Path) or len(path.parts) != 2 or not all(isinstance(v, ast.Int) for v in values):
            continue
        alias = _alias_of(layout, path)
        hood = next((h for h in hoods if alias and alias.startswith(h.prefix)), None)
        if alias and hood is not None and path.parts[1].lower() == hood.other_node_field:
            pinned.add(alias)
    return pinned


def conjunct_groups(layout: NodeLayout, tree: ast.Node) -> Tuple[List[List[ast.Node]], List[ast.Node]]:
    """Splits a top-level AND into groups that share no neighbourhood alias, and the conjuncts with none.

    Each alias means "some linked row", and the rows of different aliases are independent, so
    `exists a, b: P(a) AND Q(b)` is `(exists a: P(a)) AND (exists b: Q(b))`: each group can run as its
    own join, and a node's neighbours are never multiplied across aliases. Conjuncts that share an
    alias stay together (the same alias is the same row). Conjuncts without an alias (the second list)
    join at most one row per node (its type, one property), so they may go into any group or stand alone.
    """
    conjuncts = list(tree.items) if isinstance(tree, ast.And) else [tree]
    parent: Dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    owners = []
    for index, conjunct in enumerate(conjuncts):
        aliases = {_alias_of(layout, n) for n in walk(conjunct) if isinstance(n, ast.Path)} - {None}
        owner = f"#{index}" if aliases else "#base"
        for alias in aliases:
            parent[find(alias)] = find(owner)  # type: ignore[arg-type]
        owners.append(owner)
    groups: Dict[str, List[ast.Node]] = {}
    for conjunct, owner in zip(conjuncts, owners):
        groups.setdefault(find(owner), []).append(conjunct)  # roots are final once every union is done
    base = groups.pop("#base", [])
    return list(groups.values()), base


def _pack(layout: NodeLayout, query: str, conjuncts: List[ast.Node]) -> List[List[ast.Node]]:
    """Alias-free conjuncts in as few groups as keep each group's joins within MAX_JOINS.

    Raises:
        TooManyJoins: one conjunct alone joins more than that.
    """
    bins: List[List[ast.Node]] = []
    sizes: Dict[Tuple[object, ...], int] = {}
    for conjunct in conjuncts:
        compiler = _Compiler(layout, conjunct, query)
        compiler.compile(conjunct)
        merged = {**sizes, **compiler.join_sizes}
        if not bins or sum(merged.values()) > MAX_JOINS:
            bins.append([])
            merged = dict(compiler.join_sizes)
        bins[-1].append(conjunct)
        sizes = merged
    return bins


def _compile_groups(layout: NodeLayout, query: str, groups: List[List[ast.Node]]) -> Tuple[str, List[object]]:
    spellings: Dict[Tuple[object, ...], str] = {}
    parts: List[str] = []
    params: List[object] = []
    for group in groups:
        subtree = group[0] if len(group) == 1 else ast.And(tuple(group))
        compiler = _Compiler(layout, subtree, query, spellings)
        typed = compiler._predicate(compiler.compile(subtree), subtree)
        if not compiler.joined:
            parts.append(typed.sql)
            params += typed.params
        else:
            parts.append(f"n.id IN (SELECT n0.id FROM {layout.table} n0 {' '.join(compiler.joins)} "
                         f"WHERE {typed.sql})")
            params += compiler.join_params + typed.params
    return (parts[0] if len(parts) == 1 else _balanced("AND", parts)), params


def _compile_text(kind: TypeKind, query: str) -> Tuple[str, Tuple[object, ...]]:
    layout = {TypeKind.ARTIFACT: ARTIFACT, TypeKind.EXECUTION: EXECUTION, TypeKind.CONTEXT: CONTEXT}[kind]
    try:
        tree = parse(query)
    except FilterSyntaxError as exc:
        raise errors.InvalidArgumentError(PREFIX + exc.rendered) from exc
    alias_groups, base = conjunct_groups(layout, tree)
    try:
        try:
            # The alias-free conjuncts go into every group: each group's join then starts from its most
            # selective condition, wherever it is.
            sql, params = _compile_groups(layout, query, [g + base for g in alias_groups] or [base])
        except TooManyJoins:
            if len(base) < 2 and not alias_groups:
                raise
            # SQLite's 64 tables are a limit per SELECT, and each group is a SELECT of its own: spread
            # the alias-free conjuncts over groups of their own instead.
            sql, params = _compile_groups(layout, query, alias_groups + _pack(layout, query, base))
    except PlanError as exc:
        raise invalid(exc.detail, query, exc.line, exc.column) from exc
    return sql, tuple(params)


def compile_filter(layout: NodeLayout, query: str) -> Tuple[str, List[object]]:
    """Returns `(sql, params)`: a condition on the node alias `n` that holds for the nodes `query` selects.

    Raises:
        InvalidArgumentError: the query is malformed or means nothing for this node kind; the message
            starts with ``Invalid `filter_query`: `` and says where.
    """
    sql, params = PLANS.plan(layout.kind, query)
    return sql, list(params)


# Every store in the process shares the plans: they depend on the query and the node kind only.
PLANS = PlanCache(_compile_text)  # type: ignore[arg-type]
