"""Random filter queries (`ListOptions.filter_query`, lineage starting / ending nodes) of the kind users write.

A query is one to three predicates joined by AND / OR, now and then negated or parenthesised. The
predicates name attributes of the node kind, its declared and custom properties (mostly with the
value column of their declared kind, sometimes another: a property some nodes hold under another
kind), enums, and the joins to contexts, events, artifacts, executions and parent / child contexts.
Values come from the same small pools as the stored nodes, so queries select something. A few
queries are malformed on purpose.
"""
from __future__ import annotations

from typing import List

from fuzz_world import (
    ARTIFACT_STATES,
    CUSTOM_NAMES,
    DOUBLES,
    EVENT_TYPES,
    EXECUTION_STATES,
    EXTERNAL_IDS,
    INTS,
    NODE_NAMES,
    STRINGS,
    TYPE_PLANS,
    URIS,
    VALUE_COLUMN,
    Draw,
    World,
)

MALFORMED = [
    "name = ",
    "nope = 1",
    "name = 'a1' AND",
    "(name = 'a1'",
    "properties.n.bad_value = 1",
    "state = NOPE",
    "contexts_a.nope = 'x'",
    "name == 'a1'",
    "id = 1 id = 2",
]
LIKE_PATTERNS = ["a%", "%1", "_2", "gs://%", "%", "A%", "a\\_b"]
COMPARE = ["=", "!=", "<", ">", "<=", ">="]
NUMBERS = {"int_value": INTS, "double_value": DOUBLES}


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _id_list(draw: Draw, ids: List[int]) -> str:
    return "(" + ", ".join(str(draw.pick(ids)) for _ in range(draw.count(1, 3))) + ")"


def _value_for(draw: Draw, column: str) -> str:
    if column in NUMBERS:
        return str(draw.pick(NUMBERS[column]))
    if column == "bool_value":
        return draw.pick(["true", "false", "TRUE"])
    return _quote(draw.pick(STRINGS))


def _property(draw: Draw, world: World, kind: str, prefix: str) -> str:
    """`properties.p.<column> ...` or `custom_properties.p.<column> ...`."""
    declared = world.declared(kind)
    plan = {p: k for props in TYPE_PLANS[kind].values() for p, k in props.items()}
    if draw.chance(50) and (declared or plan):
        name = draw.pick(sorted(declared or plan))
        value_kind = draw.pick(sorted(declared.get(name) or {plan.get(name, "INT")}))
        column = VALUE_COLUMN.get(value_kind, "string_value")
        holder = f"{prefix}properties.{name}"
    else:
        name = draw.pick(CUSTOM_NAMES)
        column = draw.pick(sorted(VALUE_COLUMN.values()))
        holder = f"{prefix}custom_properties.{name}"
    if draw.chance(15):  # the value column of another kind
        column = draw.pick(sorted(VALUE_COLUMN.values()))
    field = f"{holder}.{column}"
    if draw.chance(15):
        return f"{field} IS {draw.pick(['NULL', 'NOT NULL'])}"
    if column == "string_value" and draw.chance(30):
        return f"{field} LIKE {_quote(draw.pick(LIKE_PATTERNS))}"
    op = draw.pick(["=", "!="]) if column == "bool_value" else draw.pick(COMPARE)
    return f"{field} {op} {_value_for(draw, column)}"


def _enum(draw: Draw, field: str, names: List[str]) -> str:
    if draw.chance(35):
        chosen = draw.sample(names, draw.count(1, 3))
        return f"{field} {draw.pick(['IN', 'NOT IN'])} ({', '.join(chosen)})"
    return f"{field} {draw.pick(['=', '!='])} {draw.pick(names)}"


def _own_attribute(draw: Draw, world: World, kind: str, prefix: str = "") -> str:
    """A predicate on a node's own fields (`prefix` is an alias such as `contexts_a.`)."""
    ids = sorted(world.nodes[kind]) or [1]
    type_names = sorted(TYPE_PLANS[kind])
    options = [
        (3, lambda: f"{prefix}id {draw.pick(COMPARE)} {draw.pick(ids)}"),
        (1, lambda: f"{prefix}id IN {_id_list(draw, ids)}"),
        (3, lambda: f"{prefix}name {draw.pick(['=', '!='])} {_quote(draw.pick(NODE_NAMES[kind]))}"),
        (1, lambda: f"{prefix}name LIKE {_quote(draw.pick(LIKE_PATTERNS))}"),
        (2, lambda: f"{prefix}type {draw.pick(['=', '!='])} {_quote(draw.pick(type_names))}"),
        (1, lambda: f"{prefix}type IN ({', '.join(_quote(t) for t in draw.sample(type_names, 2))})"),
        (1, lambda: f"{prefix}type_id = {draw.pick(world.all_type_ids() or [10])}"),
        (1, lambda: f"{prefix}external_id = {_quote(draw.pick(EXTERNAL_IDS))}"),
        (1, lambda: f"{prefix}{draw.pick(['name', 'external_id'])} IS {draw.pick(['NULL', 'NOT NULL'])}"),
        (1, lambda: f"{prefix}create_time_since_epoch > 0"),
        (1, lambda: f"{prefix}last_update_time_since_epoch >= {prefix}create_time_since_epoch"),
    ]
    if kind == "artifact":
        options += [
            (2, lambda: f"{prefix}uri = {_quote(draw.pick(URIS))}"),
            (1, lambda: f"{prefix}uri LIKE {_quote(draw.pick(LIKE_PATTERNS))}"),
            (2, lambda: _enum(draw, f"{prefix}state", ARTIFACT_STATES[:5])),
        ]
    if kind == "execution":
        options.append((2, lambda: _enum(draw, f"{prefix}last_known_state", EXECUTION_STATES)))
    return draw.weighted(options)()


def _join(draw: Draw, world: World, kind: str) -> str:
    """A predicate through a join: contexts, events, member nodes, parent or child contexts."""
    alias = draw.pick(["a", "b"])
    if kind in ("artifact", "execution"):
        options = [
            (3, lambda: _own_attribute(draw, world, "context", f"contexts_{alias}.")),
            (0.3, lambda: _property(draw, world, "context", f"contexts_{alias}.")),  # invalid in MLMD too
            (2, lambda: _enum(draw, f"events_{alias}.type", EVENT_TYPES[:6])),
        ]
        other = "execution" if kind == "artifact" else "artifact"
        ids = sorted(world.nodes[other]) or [1]
        options.append((1, lambda: f"events_{alias}.{other}_id = {draw.pick(ids)}"))
        return draw.weighted(options)()
    member = draw.pick(["artifact", "execution"])
    options = [
        (3, lambda: _own_attribute(draw, world, member, f"{member}s_{alias}.")),
        (0.3, lambda: _property(draw, world, member, f"{member}s_{alias}.")),
        (2, lambda: f"{draw.pick(['parent', 'child'])}_contexts_{alias}.name = "
                    f"{_quote(draw.pick(NODE_NAMES['context']))}"),
        (1, lambda: f"{draw.pick(['parent', 'child'])}_contexts_{alias}.id = "
                    f"{draw.pick(sorted(world.nodes['context']) or [1])}"),
    ]
    return draw.weighted(options)()


def _predicate(draw: Draw, world: World, kind: str) -> str:
    return draw.weighted([
        (5, lambda: _own_attribute(draw, world, kind)),
        (3, lambda: _property(draw, world, kind, "")),
        (3, lambda: _join(draw, world, kind)),
    ])()


def random_filter(draw: Draw, world: World, kind: str) -> str:
    """A filter query over `kind` nodes; about one in twenty is malformed."""
    if draw.chance(5):
        return draw.pick(MALFORMED)
    parts = [_predicate(draw, world, kind) for _ in range(draw.weighted([(6, 1), (3, 2), (1, 3)]))]
    if len(parts) > 1 and draw.chance(25):
        parts[0] = f"({parts[0]} {draw.pick(['AND', 'OR'])} {parts.pop(1)})"
    query = parts[0]
    for part in parts[1:]:
        query = f"{query} {draw.pick(['AND', 'AND', 'OR'])} {part}"
    if draw.chance(10):
        query = f"NOT ({query})"
    return query


def lineage_filter(draw: Draw, world: World, kind: str) -> str:
    """A starting- or ending-node filter for get_lineage_subgraph: mostly a single simple predicate."""
    if draw.chance(6):
        return draw.pick(MALFORMED + [""])
    if draw.chance(75):
        return _own_attribute(draw, world, kind)
    return random_filter(draw, world, kind)
