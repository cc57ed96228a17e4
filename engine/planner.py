"""The filter-query planner: the grammar's AST -> one parameterised SQL condition over our schema.

It reproduces MLMD's semantics (docs/mlmd-interface.md §3.2): every distinct reference (the type, a property, a
neighbourhood alias) is one INNER JOIN, so each alias means "some linked row" and a node lacking a
referenced neighbour or property never matches, whatever the boolean position. Every value, property
name included, is a bound parameter; every identifier comes from the catalog below.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

from . import errors
from . import filter_messages as messages
from .backends.base import Backend
from .catalog import ARTIFACT, CONTEXT, EXECUTION, NodeLayout, TypeKind
from .plan_cache import PlanCache
from .query_text import QueryText
from .sqlutil import ascii_lowered
from ..grammar import FilterSyntaxError, ast, parse, walk
from ..grammar.errors import render_at
from ..grammar.names import identifier

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
    """An enum column's names a filter may use (docs/mlmd-interface.md §3.5), and the numbers its proto enum defines.

    MLMD's analyser types an enum column as INT64 and rewrites names to numbers before it (docs/mlmd-interface.md §3.2): so
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
    """A query that parses but means nothing for this node kind; carries where to put the caret.

    `at` (line, column) overrides the node's own start, for a part of a path or a keyword.
    """

    def __init__(self, detail: str, node: object, at: Optional[Tuple[int, int]] = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.line, self.column = at or (getattr(node, "line", 0) or 1, getattr(node, "column", 0) or 1)


class TooManyJoins(PlanError):
    """One SELECT of the plan would join more tables than SQLite allows."""


class NotACondition(PlanError):
    """The query, or a conjunct of its top-level AND, is a value rather than a condition.

    The planner splits a top-level AND into groups, so only `_compile_text`, which holds the whole query,
    words the message (`_not_a_condition`).
    """


@dataclass
class _Typed:
    sql: str
    kind: str
    params: List[object] = field(default_factory=list)
    enum: Optional[Enum] = None
    enum_rewrite: bool = False  # an enum column written in lower case: MLMD's name rewrite reads what follows
    path: Optional[ast.Path] = None
    searchable: bool = False  # a node's own uri or name column, which LIKE reads through Backend.search_like


_SEARCHABLE = ("uri", "name")  # the node columns that Backend.search_like may find through an index


def _needs_join(layout: NodeLayout, path: ast.Path, inline_type: bool = False) -> bool:
    head = path.parts[0]
    if head.lower() == "type" and len(path.parts) == 1:
        return not inline_type
    if head in ("properties", "custom_properties"):
        return True
    return _alias_of(layout, path) is not None


_LITERALS = (ast.String, ast.Int, ast.Float, ast.Bool, ast.Null)
_PREDICATES = (ast.Compare, ast.InList, ast.Like, ast.Between, ast.IsNull)


def _is_own_type(path: object) -> bool:
    return isinstance(path, ast.Path) and len(path.parts) == 1 and path.parts[0].lower() == "type"


def _type_predicates(tree: ast.Node) -> Optional[Set[int]]:
    """The predicates that compare the node's own `type` with literals only, if every use of it is one of them.

    Each such predicate becomes a test of the node's own type_id against the type ids whose name passes it:
    no join, and a condition on the node's row that its (type_id, name) index can answer.
    """
    found: Set[int] = set()
    uses = 0
    for node in walk(tree):
        if _is_own_type(node):
            uses += 1
        elif isinstance(node, _PREDICATES):
            operands = ast.children(node)
            if any(_is_own_type(o) for o in operands) and all(_is_own_type(o) or isinstance(o, _LITERALS)
                                                              for o in operands):
                found.add(id(node))
                uses -= sum(1 for o in operands if _is_own_type(o))
    return found if uses == 0 else None


def _joins_rows(layout: NodeLayout, tree: ast.Node) -> bool:
    """Whether `tree` references rows other than the node's own (once its type tests are inlined)."""
    inline = _type_predicates(tree) is not None
    return any(_needs_join(layout, n, inline) for n in walk(tree) if isinstance(n, ast.Path))


class _Compiler:
    """Compiles one query for one node kind; collects the joins its references need."""

    def __init__(self, layout: NodeLayout, backend: Backend, tree: ast.Node, text: QueryText,
                 group: Optional[ast.And] = None, base: Optional[str] = None) -> None:
        self.layout = layout
        self.backend = backend  # renders the planner's hints in its dialect
        self.text = text
        self.group = group  # the AND that `_compile_text` made of a group's conjuncts, if it made one
        self.fields = NODE_FIELDS[layout.kind]
        self.type_predicates = _type_predicates(tree)
        self.joined = _joins_rows(layout, tree)
        self.base = base or ("n0" if self.joined else "n")
        self.joins: List[str] = []
        self.join_params: List[object] = []
        self.first_join_params = 0  # parameters of the first JOIN clause (a property join binds its name)
        self.aliases: Dict[Tuple[object, ...], str] = {}
        self.join_sizes: Dict[Tuple[object, ...], int] = {}  # JOIN clauses per reference
        self.pinned_events = _pinned_events(layout, tree)

    def _new_alias(self) -> str:
        return f"j{len(self.joins)}"

    def _join(self, key: Tuple[object, ...], clauses: Sequence[str], params: Sequence[object] = ()) -> str:
        alias = self.aliases.get(key)
        if alias is not None:
            return alias
        alias, link = self._new_alias(), f"j{len(self.joins)}l"
        if not self.joins and len(clauses) == 1:
            self.first_join_params = len(params)  # a join's parameters are in its last clause
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
    def column(self, path: ast.Path) -> _Typed:
        parts = path.parts
        head = parts[0]
        if head in ("properties", "custom_properties") and not path.quoted[0]:
            return self._property(path)
        if "" in parts:
            raise PlanError("Syntax error: Invalid empty identifier; only a property name may be empty, as in "
                            "custom_properties.``.string_value", path, _part_at(path, parts.index("")))
        for hood in NEIGHBOURHOODS[self.layout.kind]:
            if head.startswith(hood.prefix) and len(head) > len(hood.prefix) and not path.quoted[0]:
                return self._neighbour(path, hood)
        spec = self.fields.get(head.lower())
        if spec is None:
            raise PlanError(self._unknown(head), path)
        if len(parts) != 1:
            raise PlanError(messages.no_fields(path, 1, spec.kind), path, _part_at(path, 1))
        if head.lower() != "type":
            sql = f"{self.base}.{spec.column}"
        elif self.type_predicates is not None:
            sql = "t.name"  # inside the type test `compile` wraps around the predicate
        else:
            sql = self._type_name(self.base, (), self.layout.kind)
        return _Typed(sql, spec.kind, enum=spec.enum, enum_rewrite=spec.enum is not None and head == head.lower(),
                      path=path, searchable=head.lower() != "type" and spec.column in _SEARCHABLE)

    def _unknown(self, name: str) -> str:
        prefixes = ", ".join(f"{h.prefix}<alias>.<field>" for h in NEIGHBOURHOODS[self.layout.kind])
        return (f"Unrecognized name: {identifier(name)}; {self.layout.noun} fields are "
                f"{', '.join(sorted(self.fields))}, properties.<name>.<kind>_value, "
                f"custom_properties.<name>.<kind>_value and {prefixes}")

    def _property(self, path: ast.Path) -> _Typed:
        parts = path.parts
        if not _is_property(path):
            raise PlanError(
                f"Unrecognized name: {parts[0]}; {path.text} is not a property value: write "
                f"{parts[0]}.<name>.<kind>_value with kind int, double, string or bool and no spaces", path)
        is_custom = parts[0] == "custom_properties"
        # MLMD lower-cases (ASCII) the property name of a query: `properties.SPAN` is `span`. It does so
        # to back-quoted names too, which leaves stored mixed-case names unreachable; we take a back-quoted
        # name literally instead, so `properties.`Span`` finds "Span". Its escapes are decoded (MLMD fails on
        # any backslash there), and it may be empty: every name a store can hold is reachable.
        name = _property_name(path)
        alias = self._join(
            ("property", is_custom, name),
            (f"JOIN {self.layout.property_table} {{a}} ON {{a}}.node_id = {{n}}.id AND {{a}}.is_custom = "
             f"{int(is_custom)} AND {{a}}.name = ?",),
            (name,),
        )
        kind = VALUE_KINDS[parts[2]]
        sql = f"{alias}.{parts[2]}"
        return _Typed(self.backend.truth(sql) if kind == Kind.BOOL else sql, kind, path=path)

    def _neighbour(self, path: ast.Path, hood: Neighbourhood) -> _Typed:
        fields = ", ".join(sorted(hood.fields))
        if len(path.parts) == 1:
            raise PlanError(f"Unrecognized name: {path.parts[0]}; write {path.parts[0]}.<field> with a field of "
                            f"{fields}", path)
        alias_name, field_name = path.parts[0].lower(), path.parts[1]
        spec = hood.fields.get(field_name.lower())
        if spec is None:
            # MLMD's rewrite turns `contexts_a.properties.p.int_value` into the field `properties_p`; ours
            # names the field as written.
            why = "an alias offers no properties: " if field_name in ("properties", "custom_properties") else ""
            raise PlanError(f"Field name {identifier(field_name)} does not exist in {path.parts[0]}; {why}its "
                            f"fields are {fields}", path, _part_at(path, 1))
        if len(path.parts) > 2:
            raise PlanError(messages.no_fields(path, 2, spec.kind), path, _part_at(path, 2))
        alias = self._join(("alias", alias_name), hood.joins)
        if field_name.lower() == "type" and not spec.column:
            assert hood.type_kind is not None
            sql = self._type_name(alias, ("alias", alias_name), hood.type_kind)
        elif spec.column == "id" and hood.id_column:
            sql = f"{alias}l.{hood.id_column}"  # the link row holds the same id, and its key is indexed
        elif spec.enum is not None and hood.other_node_field and alias_name in self.pinned_events:
            # The event's other node is fixed by id: its index (event_execution, or the events' own key by
            # artifact) finds the few events of that node, while one event type can hold half the table. An
            # un-analysed store (we never run ANALYZE) lets SQLite pick event_type here, so a unary + keeps
            # this column out of index choice; the value compared is the same.
            sql = self.backend.no_index(f"{alias}.{spec.column}")
        else:
            sql = f"{alias}.{spec.column}"
        searchable = field_name.lower() != "type" and spec.column in _SEARCHABLE  # a context's, or a node's
        return _Typed(sql, spec.kind, enum=spec.enum,
                      enum_rewrite=spec.enum is not None and field_name == field_name.lower(), path=path,
                      searchable=searchable)

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
            if self.type_predicates and id(node) in self.type_predicates:
                typed.sql = (f"{self.base}.type_id IN (SELECT t.id FROM type t WHERE t.kind = {int(self.layout.kind)}"
                             f" AND {typed.sql})")
            if isinstance(node, (ast.Not, ast.Compare, ast.Like, ast.InList, ast.Between, ast.IsNull, ast.IsBool)):
                typed.sql = f"({typed.sql})"  # an operand of a comparison keeps its own precedence
            done[id(node)] = typed
        return done[id(tree)]

    @staticmethod
    def _bare_name(node: ast.Node) -> bool:
        return isinstance(node, ast.Path) and len(node.parts) == 1 and not node.quoted[0]

    def _is_enum_name_slot(self, left: ast.Node, right: ast.Node) -> bool:
        # A bare name on the right of an enum column is resolved against the enum, not as a column: an
        # upper-case one always, any other where MLMD's rewrite reads it (after the column in lower case).
        if not (isinstance(right, ast.Path) and self._bare_name(right) and isinstance(left, ast.Path)):
            return False
        column = self._enum_column(left)
        return column is not None and (right.parts[0].upper() == right.parts[0] or column.enum_rewrite)

    def _enum_column(self, path: ast.Path) -> Optional[_Typed]:
        try:
            column = self.column(path)
        except PlanError:
            return None
        return column if column.enum is not None else None

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
            return _Typed(self.backend.bool_literal(node.value), Kind.BOOL)
        if isinstance(node, ast.Null):
            return _Typed("NULL", Kind.NULL)
        if isinstance(node, (ast.And, ast.Or)):
            return self._and_or(node, [done[id(item)] for item in node.items])
        if isinstance(node, ast.Not):
            inner = done[id(node.operand)]
            if inner.kind == Kind.NULL:
                raise PlanError("Operands of NOT cannot be literal NULL; NOT takes a condition", node.operand)
            if inner.kind != Kind.BOOL:
                raise PlanError(f"No matching signature for operator NOT for argument types: {inner.kind}; NOT "
                                "takes a condition, e.g. NOT name = 'x'", node)
            return _Typed(f"NOT ({inner.sql})", Kind.BOOL, inner.params)
        if isinstance(node, ast.Compare):
            return self._compare(node, done)
        if isinstance(node, ast.InList):
            return self._in_list(node, done)
        if isinstance(node, ast.Like):
            return self._like(node, done[id(node.operand)], done[id(node.pattern)])
        if isinstance(node, ast.Between):
            operand, low, high = (done[id(node.operand)], done[id(node.low)], done[id(node.high)])
            if not all(_comparable(operand, bound) for bound in (low, high)):
                raise PlanError(messages.no_signature("BETWEEN", [operand, low, high]), node,
                                self.text.keyword_before(node.low, "BETWEEN"))
            op = "NOT BETWEEN" if node.negated else "BETWEEN"
            return _Typed(f"{operand.sql} {op} {low.sql} AND {high.sql}", Kind.BOOL,
                          operand.params + low.params + high.params)
        if isinstance(node, ast.IsNull):
            operand = done[id(node.operand)]
            return _Typed(f"{operand.sql} IS {'NOT ' if node.negated else ''}NULL", Kind.BOOL, operand.params)
        if isinstance(node, ast.IsBool):
            operand = done[id(node.operand)]
            if operand.kind not in (Kind.BOOL, Kind.NULL):
                test = f"IS {'TRUE' if node.value else 'FALSE'}"
                raise PlanError(f"No matching signature for operator {test} for argument types: {operand.kind}; "
                                f"{test} tests a condition, e.g. (id = 1) {test}", node)
            # `x IS TRUE` is true or false, never NULL.
            return _Typed(f"({operand.sql}) IS {'NOT ' if node.negated else ''}{'TRUE' if node.value else 'FALSE'}",
                          Kind.BOOL,
                          operand.params)
        raise PlanError(f"unsupported expression {type(node).__name__}", node)

    def _and_or(self, node: ast.Node, items: List[_Typed]) -> _Typed:
        # A literal NULL is a condition here (unknown), as in ZetaSQL.
        op = "AND" if isinstance(node, ast.And) else "OR"
        if any(item.kind not in (Kind.BOOL, Kind.NULL) for item in items):
            if node is self.group:  # not the query's own AND: `_compile_text` words it for the whole query
                raise NotACondition("", node)
            raise PlanError(messages.no_signature(op, items), node)
        return _Typed(_balanced(op, [i.sql for i in items]), Kind.BOOL, [p for i in items for p in i.params])

    def _like(self, node: ast.Like, operand: _Typed, pattern: _Typed) -> _Typed:
        for side, src in ((operand, node.operand), (pattern, node.pattern)):
            if side.kind == Kind.NULL:
                raise PlanError("Operands of LIKE cannot be literal NULL; to find unset values, write IS NULL", src)
        if operand.kind != Kind.STRING or pattern.kind != Kind.STRING:
            raise PlanError(messages.no_signature("LIKE", [operand, pattern]), node)
        if operand.searchable:
            sql, reads = self.backend.search_like(operand.sql, pattern.sql, node.negated)
        else:
            sql, reads = self.backend.like(operand.sql, pattern.sql, node.negated), 1
        return _Typed(sql, Kind.BOOL, operand.params + pattern.params * reads)

    def predicate(self, typed: _Typed, node: ast.Node) -> _Typed:
        """`typed`, the compiled query (or group): NotACondition unless it is a condition."""
        if typed.kind != Kind.BOOL:
            raise NotACondition("", node)
        return typed

    def _enum_value(self, column: _Typed, name_node: ast.Node) -> int:
        """The number of the enum name MLMD's rewrite read at `name_node` (any word it takes as a name)."""
        assert column.enum is not None
        word = name_node.parts[0] if isinstance(name_node, ast.Path) else self.text.word_at(name_node)
        names = column.enum.names
        if word in names:
            return names[word]
        raise PlanError(messages.unsupported_enum_value(word or "", column), name_node)

    # MLMD's enum rewrite (docs/mlmd-interface.md §3.2) reads the query text: after `state =` or `state !=` it takes the next
    # word (`[[:word:]]+`) as an enum name, and in `state IN (...)` (spaced so) it takes the listed words. A
    # number it takes that way is refused; a number it does not take (`state = -2`, `STATE = 2`, `state > 2`)
    # compares as the INT64 the column is. We take numbers in lists of any length, as MLMD 1.21 does (TFX
    # 1.21's resolvers write `state IN (2, 3, 5)`).
    def _compare(self, node: ast.Compare, done: Dict[int, _Typed]) -> _Typed:
        left = done[id(node.left)]
        op = "!=" if node.op in (ast.CompareOp.NE, ast.CompareOp.LTGT) else node.op.value
        right = done.get(id(node.right))
        if right is None:  # a bare name after an enum column
            if left.enum_rewrite and node.op in (ast.CompareOp.EQ, ast.CompareOp.NE):
                value = self._enum_value(left, node.right)
                if node.op == ast.CompareOp.EQ:
                    return _Typed(f"{left.sql} = ?", Kind.BOOL, left.params + [value])
                # MLMD's rewrite makes `!=` also match unset values.
                return _Typed(f"({left.sql} != ? OR {left.sql} IS NULL)", Kind.BOOL,
                              left.params + [value] + left.params)
            name = node.right.parts[0]  # type: ignore[union-attr]
            right = self._name_not_read(node.right, messages.enum_name_not_read(name, left))
        if left.enum_rewrite and node.op in (ast.CompareOp.EQ, ast.CompareOp.NE):
            word = self.text.word_after_operator(node.right)
            if word is not None:  # `state = 2`, `state = NULL`: MLMD's rewrite takes it for a name it lacks
                raise PlanError(messages.unsupported_enum_value(word, left, after=node.op.value), node.right)
        for side, src in ((left, node.left), (right, node.right)):
            if side.kind == Kind.NULL:
                raise PlanError(f"Operands of {node.op.value} cannot be literal NULL; use IS NULL or IS NOT NULL", src)
        if not _comparable(left, right):
            raise PlanError(messages.no_signature(op, [left, right]), node)
        return _Typed(f"{left.sql} {op} {right.sql}", Kind.BOOL, left.params + right.params)

    def _in_list(self, node: ast.InList, done: Dict[int, _Typed]) -> _Typed:
        operand = done[id(node.operand)]
        names = [item for item in node.items if id(item) not in done]
        rewritten = operand.enum_rewrite and self.text.space_before_paren(node.items[0])
        if names and rewritten and all(self.text.is_list_word(item, i == 0) for i, item in enumerate(node.items)):
            return self._enum_list(node, operand)
        for name in names:
            # MLMD reads the names only in `IN (`, with a space, and only in a list of words: `state IN(LIVE)`
            # and `state IN (LIVE, 'x')` leave LIVE a column, which does not exist.
            detail = (None if operand.enum is None
                      else messages.enum_list_not_read(name.parts[0], operand, rewritten))  # type: ignore[union-attr]
            done[id(name)] = self._name_not_read(name, detail)
        items = [done[id(item)] for item in node.items]
        if rewritten and len(items) == 1:
            self._check_enum_word(operand, node.items[0])
        if not all(_comparable(operand, item) for item in items):
            raise PlanError(messages.no_in_signature(operand, items), node,
                            self.text.keyword_before(node.items[0], "IN"))
        # Numbers compare as numbers: `state NOT IN (2)` leaves out unset states, as in MLMD, which only adds
        # "OR state IS NULL" for the names it rewrites.
        op = "NOT IN" if node.negated else "IN"
        return _Typed(f"{operand.sql} {op} ({', '.join(i.sql for i in items)})", Kind.BOOL,
                      operand.params + [p for i in items for p in i.params])

    def _name_not_read(self, name: ast.Node, detail: Optional[str]) -> _Typed:
        """A bare name where MLMD reads no enum name: a column (`STATE = ID`), or `detail` if there is none."""
        try:
            return self.column(name)  # type: ignore[arg-type]
        except PlanError:
            if detail is None:
                raise
            raise PlanError(detail, name) from None

    def _enum_list(self, node: ast.InList, operand: _Typed) -> _Typed:
        """`state IN (LIVE, PENDING)`: a list of words after an enum column, read as MLMD's rewrite reads it.

        It refuses the first word that is not one of the names: a number, NULL, a lower-case name, a column.
        """
        values = [self._enum_value(operand, item) for item in node.items]
        marks = ", ".join("?" * len(values))
        if not node.negated:
            return _Typed(f"{operand.sql} IN ({marks})", Kind.BOOL, operand.params + values)
        return _Typed(f"({operand.sql} NOT IN ({marks}) OR {operand.sql} IS NULL)", Kind.BOOL,
                      operand.params + values + operand.params)

    def _check_enum_word(self, operand: _Typed, item: ast.Node) -> None:
        # In a one-item list, MLMD's rewrite reads NULL, TRUE, FALSE and a run of two or more word characters
        # as an enum name: such a number (`22`, `02`, `0x2`) names no value, every enum value being one digit,
        # and is refused, as in MLMD. A one-digit or signed number it leaves alone, and that compares as a
        # plain number (`state IN (7)` finds nothing). (Longer lists it reads or not by accident of its regex;
        # we answer every list of numbers.) Refusing by how a number is written, not by its value, keeps
        # MLMD's answers, at a cost: such texts do not share a plan by shape (see plan_cache.py).
        word = self.text.word_at(item) if isinstance(item, (ast.Int, ast.Null, ast.Bool)) else None
        if word is not None and (len(word) > 1 or not isinstance(item, ast.Int)):
            raise PlanError(messages.unsupported_enum_value(word, operand, numbers=True), item)


def _comparable(left: _Typed, right: _Typed) -> bool:
    """ZetaSQL's rule for =, <, IN and BETWEEN operands: one kind, both numbers, or a literal NULL."""
    return (left.kind == right.kind or (left.kind in NUMERIC and right.kind in NUMERIC)
            or Kind.NULL in (left.kind, right.kind))


def _part_at(path: ast.Path, index: int) -> Tuple[int, int]:
    """(line, column) of part `index` of `path`, where MLMD points for a problem with that part."""
    return path.line or 1, path.columns[index] if index < len(path.columns) else path.column or 1


def _is_property(path: ast.Path) -> bool:
    """`properties.<name>.<kind>_value` (or custom_properties), as MLMD's rewrite reads one: no spaces."""
    parts = path.parts
    return (parts[0] in ("properties", "custom_properties") and not path.quoted[0] and len(parts) == 3
            and parts[2] in VALUE_KINDS and not path.quoted[2] and path.tight)


def _property_name(path: ast.Path) -> str:
    """The property a `_is_property` path names: ASCII lower-cased unless back-quoted (see `_property`)."""
    return path.parts[1] if path.quoted[1] else ascii_lowered(path.parts[1])


def _check_spellings(layout: NodeLayout, tree: ast.Node) -> None:
    """Refuses a query that writes one property or alias in two spellings, as MLMD does before it parses.

    MLMD's rewrite declares one column per spelling (`custom_properties_tag` for `custom_properties.tag`
    and `.TAG`); two of them clash, whatever else the query says.
    """
    seen: Dict[Tuple[object, ...], ast.Path] = {}
    for path in (n for n in walk(tree) if isinstance(n, ast.Path)):
        alias = _alias_of(layout, path) if len(path.parts) == 2 else None
        if _is_property(path):
            name = _property_name(path)
            key: Tuple[object, ...] = ("property", path.parts[0], name)
            spelling, column, at = path.parts[1], f"{path.parts[0]}_{name}", _part_at(path, 1)
        elif alias is not None:
            key, spelling, column, at = ("alias", alias), path.parts[0], alias, _part_at(path, 0)
        else:
            continue
        first = seen.setdefault(key, path)
        known = first.parts[1] if key[0] == "property" else first.parts[0]
        if known != spelling:
            raise PlanError(f"Duplicate expression column name {column}; the query writes both {first.text} and "
                            f"{path.text}, which name the same {key[0]}: spell it the same way each time", path, at)


def _not_a_condition(layout: NodeLayout, backend: Backend, text: QueryText, tree: ast.Node) -> PlanError:
    """The error for a query that is, or whose top-level AND holds, a value rather than a condition."""
    if isinstance(tree, ast.And):  # split into groups for planning: MLMD names the kinds of all its items
        kinds = [_Compiler(layout, backend, item, text).compile(item) for item in tree.items]
        return PlanError(messages.no_signature("AND", kinds), tree)
    kind = _Compiler(layout, backend, tree, text).compile(tree).kind
    return PlanError(f"Given query string is not a valid boolean expression: {text.query}; it is {kind}, not a "
                     "condition such as name = 'x'", tree)


def _balanced(op: str, parts: List[str]) -> str:
    # A long flat chain nests as deep as it is long in SQLite's parser; halving keeps it logarithmic.
    if len(parts) <= 8:
        return "(" + f" {op} ".join(parts) + ")"
    middle = len(parts) // 2
    return f"({_balanced(op, parts[:middle])} {op} {_balanced(op, parts[middle:])})"


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
        values: Tuple[ast.Node, ...]
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


def _pack(layout: NodeLayout, backend: Backend, text: QueryText, conjuncts: List[ast.Node]) -> List[List[ast.Node]]:
    """Alias-free conjuncts in as few groups as keep each group's joins within MAX_JOINS.

    Raises:
        TooManyJoins: one conjunct alone joins more than that.
    """
    bins: List[List[ast.Node]] = []
    sizes: Dict[Tuple[object, ...], int] = {}
    for conjunct in conjuncts:
        compiler = _Compiler(layout, backend, conjunct, text)
        compiler.compile(conjunct)
        merged = {**sizes, **compiler.join_sizes}
        if not bins or sum(merged.values()) > MAX_JOINS:
            bins.append([])
            merged = dict(compiler.join_sizes)
        bins[-1].append(conjunct)
        sizes = merged
    return bins


@dataclass(frozen=True)
class GroupSql:
    """One group of conjuncts that joins other rows, in the two forms the access planner (access.py) uses.

    `driver` selects the ids (named `id`) of the nodes the group holds for (`SELECT n0.id AS id ...`, or a
    UNION of one such SELECT per item of an OR, so that each item can seek its own index); `probe` tests one node `n`
    (`EXISTS (...)`). Each takes its own run of the plan's parameters: `driver_params`, then `probe_params`.
    """

    label: str  # what the group refers to, for EXPLAIN: "contexts_a", "type", "properties.span"
    driver: str
    probe: str
    driver_params: int
    probe_params: int
    union: bool = False
    # A union's SELECTs one by one, each with its number of parameters (the driver's, in order): a dive can
    # count them apart where the database would build the whole union first (Backend.dives_union_by_branch).
    branches: Tuple[Tuple[str, int], ...] = ()


@dataclass(frozen=True)
class FilterSql:
    """A compiled filter: conditions on the node's own columns (`plain`, on alias `n`) and groups that join.

    A node matches when `plain` holds and every group holds for it. The parameters come as one flat tuple:
    `plain`'s first, then each group's driver and probe parameters in order (see `access.py`).
    """

    table: str
    plain: str
    plain_params: int
    groups: Tuple[GroupSql, ...]
    # (column, index of its pattern among the parameters) of each conjunct `uri LIKE '...'` or `name LIKE '...'`
    # the word index may narrow; `compile_filter` adds its group once the pattern's value is known.
    word_likes: Tuple[Tuple[str, int], ...] = ()
    # `plain` with those LIKEs written as the word index's like_test does, for when each pattern starts with a
    # wildcard.
    plain_worded: str = ""
    # Whether a store's history may settle this filter's access path (access.History). Not with a word group:
    # one shape names a run (a few nodes) or a component (a tenth of them), and driving from the wrong one
    # costs a page every node holding the word.
    settles: bool = True


MAX_UNION_BRANCHES = 16  # an OR of more items is probed as a whole: a UNION that long costs more than it saves
MAX_OWN_GROUPS = 4  # alias-free conjuncts that join get groups of their own up to this many, then share them


def _label(layout: NodeLayout, conjuncts: Sequence[ast.Node]) -> str:
    names: Dict[str, None] = {}
    for path in (n for c in conjuncts for n in walk(c) if isinstance(n, ast.Path)):
        alias = _alias_of(layout, path)
        if alias is not None:
            names[alias] = None
        elif _is_property(path):
            names[f"{path.parts[0]}.{_property_name(path)}"] = None
        elif path.parts[0].lower() == "type" and len(path.parts) == 1:
            names["type"] = None
    return ", ".join(names) or "joins"


def _from_first_join(compiler: "_Compiler", condition: str, correlated: bool = True) -> Tuple[str, str, List[object]]:
    """A compiler's joins and `condition` without its base node: its first join becomes the FROM, and that
    join's ON (which starts `<column> = <base>.id`) the WHERE, that first term left out unless `correlated`.
    Returns the FROM ... WHERE ... text, the column that holds the node's id, and the parameters, in order
    (those of `condition` are the caller's)."""
    first, on = compiler.joins[0][len("JOIN "):].split(" ON ", 1)
    node_id, _, rest_of_on = on.partition(f" = {compiler.base}.id")
    if not correlated:
        on = rest_of_on[len(" AND "):]
    where = " AND ".join(term for term in (on, condition) if term)
    moved = compiler.first_join_params  # the first ON's parameters now come after the other joins'
    return (f"FROM {' '.join([first, *compiler.joins[1:]])} WHERE {where}", node_id,
            compiler.join_params[moved:] + compiler.join_params[:moved])


def _exists_form(compiler: "_Compiler", condition: str) -> Tuple[str, List[object]]:
    """`EXISTS (...)` of a compiler's joins and `condition`, from its base node (see _from_first_join)."""
    rest, _, params = _from_first_join(compiler, condition)
    return compiler.backend.probe(rest), params


def _ids_select(layout: NodeLayout, compiler: "_Compiler", condition: str) -> Tuple[str, List[object]]:
    """`SELECT <node ids>` of the nodes with joined rows that meet `condition`, and its join parameters.

    When nothing but the first join reads the node row, the ids come from that join's table (a link's or
    property's own column): one seek less for every id the driver yields.
    """
    base = f"{compiler.base}."
    if condition and base not in condition and not any(base in join for join in compiler.joins[1:]):
        rest, node_id, params = _from_first_join(compiler, condition, correlated=False)
        return f"SELECT {node_id} AS id {rest}", params
    return (f"SELECT {base}id AS id FROM {layout.table} {compiler.base} {' '.join(compiler.joins)} "
            f"WHERE {condition}",
            list(compiler.join_params))


def _reference(layout: NodeLayout, path: ast.Path) -> Optional[Tuple[str, ...]]:
    """The joined row a path reads (a property, an alias's linked row), None for the node's own columns."""
    if _is_property(path):
        return ("property", path.parts[0], _property_name(path))
    alias = _alias_of(layout, path)
    return ("alias", alias) if alias is not None else None


def _references(layout: NodeLayout, tree: ast.Node) -> Dict[Tuple[str, ...], ast.Path]:
    found: Dict[Tuple[str, ...], ast.Path] = {}
    for path in (n for n in walk(tree) if isinstance(n, ast.Path)):
        key = _reference(layout, path)
        if key is not None:
            found.setdefault(key, path)
    return found


def _others_exist(layout: NodeLayout, backend: Backend, text: QueryText, item: ast.Node,
                  required: Dict[Tuple[str, ...], ast.Path], base: str) -> Tuple[List[str], List[object]]:
    """An EXISTS test from node `base` for each row the OR reads (`required`) that `item` does not: each
    reference is an INNER JOIN in MLMD's semantics, so those rows must exist for the item to select the node."""
    own = _references(layout, item)
    terms: List[str] = []
    params: List[object] = []
    for key, path in required.items():
        if key not in own:
            probe_tree = ast.IsNull(path, True)  # compiled only for the joins that reach the row
            exists = _Compiler(layout, backend, probe_tree, text, None, base=base)
            exists.compile(probe_tree)
            sql, exists_params = _exists_form(exists, "")
            terms.append(sql)
            params += exists_params
    return terms, params


def _union_branch(layout: NodeLayout, backend: Backend, text: QueryText, item: ast.Node,
                  required: Dict[Tuple[str, ...], ast.Path]) -> Tuple[str, List[object]]:
    """One item of an OR as a SELECT of node ids that joins only the rows the item reads.

    Every other row the OR reads must still exist (each reference is an INNER JOIN in MLMD's semantics): an
    EXISTS test each, so the rows of other aliases are never multiplied with this item's.
    """
    compiler = _Compiler(layout, backend, item, text, None, base="n0")
    typed = compiler.compile(item)
    terms, params = [f"({typed.sql})"], list(typed.params)
    others, others_params = _others_exist(layout, backend, text, item, required, "n0")
    terms, params = terms + others, params + others_params
    select, join_params = _ids_select(layout, compiler, " AND ".join(terms))
    return select, join_params + params


def _union_probe(layout: NodeLayout, backend: Backend, text: QueryText, items: Sequence[ast.Node],
                 required: Dict[Tuple[str, ...], ast.Path]) -> Tuple[str, List[object]]:
    """An OR's probe of node `n` as an OR of one test per item, each as its union branch tests it.

    One EXISTS over the whole OR would join every row the OR reads with every other (a context's executions
    times its artifacts) before testing any item: PostgreSQL took 45 ms a node for an OR across two aliases.
    """
    tests, params = [], []  # type: List[str], List[object]
    for item in items:
        terms, term_params = [], []  # type: List[str], List[object]
        for part, made in _independent_parts(layout, item):
            compiler = _Compiler(layout, backend, part, text, made, base="n")
            typed = compiler.compile(part)
            if compiler.joins:
                sql, part_params = _exists_form(compiler, typed.sql)
                terms.append(sql)
                term_params += part_params + list(typed.params)
            else:  # the part reads the node's own columns only
                terms.append(f"({typed.sql})")
                term_params += typed.params
        others, others_params = _others_exist(layout, backend, text, item, required, "n")
        terms, term_params = terms + others, term_params + others_params
        tests.append(f"({' AND '.join(terms)})")
        params += term_params
    return f"({' OR '.join(tests)})", params


def _independent_parts(layout: NodeLayout, item: ast.Node) -> List[Tuple[ast.Node, Optional[ast.And]]]:
    """An OR item's conjuncts grouped by the joined rows they read, each group with the AND made of it (None
    where the group is one conjunct, or the item itself): conjuncts that share no row are tested apart.

    Rows of different aliases are independent, so "some row of each meets its conjuncts" is "some pair of
    rows meets them all": apart, each group is an EXISTS of its own, where together the probe joins every
    row of one alias with every row of the other (a context's 800 artifacts each tested against the
    context's own property: 87 ms a page on PostgreSQL). Conjuncts that share a row stay together, so that
    one row meets them all; conjuncts on the node's own columns form one group.
    """
    if not isinstance(item, ast.And):
        return [(item, None)]
    groups: List[List[ast.Node]] = []
    keys_of: List[set] = []
    for conjunct in item.items:
        keys = set(_references(layout, conjunct))
        joined = [i for i, group_keys in enumerate(keys_of) if group_keys & keys or (not keys and not group_keys)]
        if not joined:
            groups.append([conjunct])
            keys_of.append(keys)
            continue
        first = joined[0]
        for i in reversed(joined[1:]):  # a conjunct that reads rows of two groups joins them into one
            groups[first] += groups.pop(i)
            keys_of[first] |= keys_of.pop(i)
        groups[first].append(conjunct)
        keys_of[first] |= keys
    if len(groups) == 1:
        return [(item, None)]
    parts: List[Tuple[ast.Node, Optional[ast.And]]] = []
    for group in groups:
        made = ast.And(tuple(group)) if len(group) > 1 else None
        parts.append((made or group[0], made))
    return parts


def _group_sql(layout: NodeLayout, backend: Backend, text: QueryText,
               group: List[ast.Node]) -> Tuple[GroupSql, List[object]]:
    made = None if len(group) == 1 else ast.And(tuple(group))
    subtree = made or group[0]
    compiler = _Compiler(layout, backend, subtree, text, made)
    typed = compiler.predicate(compiler.compile(subtree), subtree)
    driver, driver_params = _ids_select(layout, compiler, typed.sql)
    driver_params += typed.params
    union = False
    or_items: Sequence[ast.Node] = group[0].items if len(group) == 1 and isinstance(group[0], ast.Or) else ()
    required: Dict[Tuple[str, ...], ast.Path] = {}
    if or_items and len(or_items) <= MAX_UNION_BRANCHES:
        # Each item of the OR is a SELECT that can start from that item's own index; their union is the group.
        required = _references(layout, group[0])
        branches = [_union_branch(layout, backend, text, item, required) for item in or_items]
        # UNION ALL: the IN list that takes the driver drops repeats anyway, and a dive's LIMIT can stop it early.
        driver = backend.union_all([sql for sql, _ in branches])
        driver_params = [p for _, params in branches for p in params]
        union = True
    if union:
        probe, probe_params = _union_probe(layout, backend, text, or_items, required)
    else:
        # The probe joins from the listed node `n` itself.
        on_node = _Compiler(layout, backend, subtree, text, made, base="n")
        tested = on_node.compile(subtree)
        probe, probe_params = _exists_form(on_node, tested.sql)
        probe_params += tested.params
    group_sql = GroupSql(_label(layout, group), driver, probe, len(driver_params), len(probe_params), union,
                         tuple((sql, len(params)) for sql, params in branches) if union else ())
    return group_sql, driver_params + probe_params


def _negated(node: ast.Node) -> ast.Node:
    """NOT `node`, pushed through its ANDs and ORs (De Morgan's laws hold in SQL's three-valued logic too)."""
    if isinstance(node, ast.Not):
        return node.operand  # NOT NOT x is x, unknown included
    if isinstance(node, (ast.And, ast.Or)):
        flip = ast.Or if isinstance(node, ast.And) else ast.And
        items: List[ast.Node] = []
        for item in (_negated(i) for i in node.items):
            items.extend(item.items if isinstance(item, flip) else (item,))  # n-ary and flat, as the AST keeps them
        return flip(tuple(items))
    return ast.Not(node, getattr(node, "line", 0), getattr(node, "column", 0))


def _spread_negations(layout: NodeLayout, backend: Backend, text: QueryText, tree: ast.Node) -> ast.Node:
    """The query with each top-level `NOT (a OR b)` as `NOT a AND NOT b`, so its parts can be separate groups.

    `NOT (artifacts_a.x OR executions_b.y)` joins both aliases in one SELECT (every pair of their rows);
    `NOT artifacts_a.x AND NOT executions_b.y` is two groups of one alias each. A conjunct that does not
    compile is left as written: planning it reports its error as the user wrote it.
    """
    conjuncts = list(tree.items) if isinstance(tree, ast.And) else [tree]
    spread: List[ast.Node] = []
    for conjunct in conjuncts:
        if isinstance(conjunct, ast.Not) and isinstance(conjunct.operand, ast.Or):
            try:
                _Compiler(layout, backend, conjunct, text).predicate(
                    _Compiler(layout, backend, conjunct, text).compile(conjunct), conjunct)
            except PlanError:
                spread.append(conjunct)
                continue
            negated = _negated(conjunct.operand)
            spread.extend(negated.items if isinstance(negated, ast.And) else (negated,))
        else:
            spread.append(conjunct)
    return spread[0] if len(spread) == 1 else ast.And(tuple(spread))


def _word_like(layout: NodeLayout, conjunct: ast.Node) -> Optional[Tuple[str, str]]:
    """(column, pattern) of a conjunct `uri LIKE '<pattern>'` on one of the node's columns the word index holds."""
    if not (isinstance(conjunct, ast.Like) and not conjunct.negated and isinstance(conjunct.pattern, ast.String)
            and isinstance(conjunct.operand, ast.Path) and len(conjunct.operand.parts) == 1):
        return None
    column = conjunct.operand.parts[0].lower()
    return (column, conjunct.pattern.value) if column in layout.word_columns else None


def _word_likes(layout: NodeLayout, compiler: _Compiler, plain: List[ast.Node],
                params: Sequence[object]) -> Tuple[Tuple[Tuple[str, int], ...], str]:
    """`FilterSql.word_likes` and `plain_worded` of the plain conjuncts, which `compiler` compiled (as an AND, in
    order) to `params`. `plain_worded` tests each such LIKE as the word index's like_test writes it (30 µs less a
    listing: SQLite keeps its prepared statement).
    """
    words = compiler.backend.words
    if words is None:
        return (), ""
    likes = [_word_like(layout, c) for c in plain]
    if not any(likes):
        return (), ""
    found, parts = [], []
    at = 0  # the conjunct's first parameter: an AND lists its items' parameters in order
    for conjunct, like in zip(plain, likes):
        typed = compiler.compile(conjunct)
        if like is None:
            parts.append(typed.sql)
        else:
            column, pattern = like
            assert params[at] == pattern  # the pattern is the LIKE's only parameter
            found.append((column, at))
            parts.append(f"({words.like_test(f'{compiler.base}.{column}')})")
        at += len(typed.params)
    return tuple(found), parts[0] if len(parts) == 1 else _balanced("AND", parts)


def _with_word_groups(layout: NodeLayout, backend: Backend, filter_sql: FilterSql,
                      params: Tuple[object, ...]) -> Tuple[FilterSql, Tuple[object, ...]]:
    """`filter_sql` with a group for each of its `word_likes` whose pattern the word index can narrow.

    The group's driver asks the index for the nodes holding the pattern's words (backends/sqlite_words.py). The LIKE
    stays in the plain condition and is tested on every node, so the answer is SQLite's LIKE exactly: the
    index only narrows the nodes to test. The LIKE implies the group (a value that matches holds the words),
    so as a probe the group tests nothing (`1`), and a page that walks its order tests the LIKE alone. The
    words depend on the pattern's value, so they are found here, per call; the plan they make depends only
    on which patterns have words, and is kept, so that the access planner knows it again (access.prepared).
    """
    index = backend.words
    if index is None or not index.available():
        return filter_sql, params
    found = [index.driver_params(pattern) if isinstance(pattern, str) else None
             for pattern in (params[at] for _, at in filter_sql.word_likes)]
    served = tuple(driver_params is not None for driver_params in found)
    if not any(served):
        return filter_sql, params
    extra = tuple(value for driver_params in found if driver_params is not None for value in driver_params)
    if all(served):  # the plain condition is then `plain_worded`: its LIKEs take the index's own parameters
        plain = list(params)
        for _, at in filter_sql.word_likes:
            values = index.like_params(plain[at])
            plain[at:at + len(values)] = values
        params = tuple(plain)
    return _worded(layout, backend, filter_sql, served), params + extra


_WORDED: Dict[Tuple[int, Tuple[bool, ...]], Tuple[FilterSql, FilterSql]] = {}  # by id(): see access.prepared


def _word_group(backend: Backend, column: str, branches: Tuple[Tuple[str, int], ...]) -> GroupSql:
    # The LIKE implies the group, so its probe tests nothing; the branches let a dive count them apart.
    return GroupSql(f"words of {column}", backend.union_all([select for select, _ in branches]), "1",
                    sum(count for _, count in branches), 0, branches=branches)


def _worded(layout: NodeLayout, backend: Backend, filter_sql: FilterSql, served: Tuple[bool, ...]) -> FilterSql:
    """`filter_sql` with the word groups of the `word_likes` marked in `served` (the same object each time)."""
    key = (id(filter_sql), served)
    found = _WORDED.get(key)
    if found is not None and found[0] is filter_sql:  # holding the plan keeps its id from reuse
        return found[1]
    groups = filter_sql.groups + tuple(
        _word_group(backend, column, backend.words.driver_branches(layout, column))
        for (column, _), serves in zip(filter_sql.word_likes, served) if serves)
    # The patterns the index serves start with a wildcard; when every one does, none can use a B-tree index.
    plain = filter_sql.plain_worded if all(served) else filter_sql.plain
    worded = FilterSql(filter_sql.table, plain, filter_sql.plain_params, groups, filter_sql.word_likes, settles=False)
    if len(_WORDED) >= 4096:
        _WORDED.clear()
    _WORDED[key] = (filter_sql, worded)
    return worded


def _compile_text(backend: Backend, kind: TypeKind, query: str) -> Tuple[FilterSql, Tuple[object, ...]]:
    layout = {TypeKind.ARTIFACT: ARTIFACT, TypeKind.EXECUTION: EXECUTION, TypeKind.CONTEXT: CONTEXT}[kind]
    try:
        tree = parse(query)
    except FilterSyntaxError as exc:
        raise errors.InvalidArgumentError(PREFIX + exc.rendered) from exc
    text = QueryText(query)
    try:
        _check_spellings(layout, tree)
        alias_groups, base = conjunct_groups(layout, _spread_negations(layout, backend, text, tree))
        # Conjuncts on the node's own columns stay one condition on `n`; each of the others joins rows of
        # its own (its type, a property: one row a node), so it can be a group of its own, and the access
        # planner can drive from whichever group selects fewest nodes.
        plain = [c for c in base if not _joins_rows(layout, c)]
        joined = [c for c in base if not any(c is p for p in plain)]
        groups = alias_groups + ([[c] for c in joined] if len(joined) <= MAX_OWN_GROUPS
                                 else _pack(layout, backend, text, joined))
        plain_sql, params = "", []  # type: Tuple[str, List[object]]
        word_likes: Tuple[Tuple[str, int], ...] = ()
        plain_worded = ""
        try:
            if plain:
                made = None if len(plain) == 1 else ast.And(tuple(plain))
                compiler = _Compiler(layout, backend, made or plain[0], text, made)
                typed = compiler.predicate(compiler.compile(made or plain[0]), made or plain[0])
                plain_sql, params = typed.sql, list(typed.params)
                word_likes, plain_worded = _word_likes(layout, compiler, plain, params)
            compiled = [_group_sql(layout, backend, text, group) for group in groups]
        except NotACondition:
            raise _not_a_condition(layout, backend, text, tree) from None
    except PlanError as exc:
        raise invalid(exc.detail, query, exc.line, exc.column) from exc
    plain_count = len(params)
    for _, group_params in compiled:
        params += group_params
    groups_sql = tuple(g for g, _ in compiled)
    return FilterSql(layout.table, plain_sql, plain_count, groups_sql, word_likes, plain_worded), tuple(params)


def compile_filter(layout: NodeLayout, query: str, backend: Backend) -> Tuple[FilterSql, Tuple[object, ...]]:
    """Returns `(filter_sql, params)`: the compiled filter for `backend`'s database, for access.py to run with
    one access path or another.

    Raises:
        InvalidArgumentError: the query is malformed or means nothing for this node kind; the message
            starts with ``Invalid `filter_query`: `` and says where.
    """
    plans = _PLANS.get(backend)
    if plans is None:
        plans = _plans_for(backend)
    filter_sql, params = plans.plan(layout.kind, query)
    assert isinstance(filter_sql, FilterSql)
    return _with_word_groups(layout, backend, filter_sql, params) if filter_sql.word_likes else (filter_sql, params)


# Every store in the process shares the plans: they depend on the query, the node kind and the backend only.
# One cache per backend, so that a plan's key stays the node kind and the text.
_PLANS: Dict[Backend, PlanCache] = {}
_PLANS_LOCK = threading.Lock()


def _plans_for(backend: Backend) -> PlanCache:
    with _PLANS_LOCK:
        return _PLANS.setdefault(backend, PlanCache(functools.partial(_compile_text, backend)))


def forget_plans() -> None:
    """Empties every backend's plan cache: the planner's benchmark times planning from cold."""
    with _PLANS_LOCK:
        _PLANS.clear()
