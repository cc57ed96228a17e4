"""Random filter queries from the filter grammar (grammar/filter.lark), over the names a bench store holds.

The filter_grammar_fuzz workload runs thousands of them to see the planner's latency spread, not one
shape's. A query is one to three predicates joined by AND / OR, at times parenthesised or negated;
predicates name a node's own fields, its declared and custom properties (with values the store holds, so
queries select something), enums, and the joins to contexts, events, member nodes and parent / child
contexts. About one in ten is invalid on purpose (a syntax error, an unknown field, a bad value column):
those measure how fast a filter is refused.

Valid queries keep to what fastmlmd and ml-metadata 1.17.1 answer alike (tests/differential/
known_differences.py lists where they part): no enum field twice in one query, no state through a
context's member join, no double that needs more than a few digits, and artifact states that 1.17.1's
filters know. Standard library only, like data.py: the worker runs it under the baseline too.
"""
from __future__ import annotations

import dataclasses
import random
from typing import Callable, Dict, List, Sequence, Tuple, Union

Value = Union[int, float, str]
ARTIFACT, EXECUTION, CONTEXT = "artifact", "execution", "context"
COMPARE = ("=", "!=", "<", ">", "<=", ">=")
# MLMD 1.17.1's filters refuse ABANDONED and REFERENCE ("Unsupported enum value"); so do ours.
ARTIFACT_STATES = ("UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION", "DELETED")
EXECUTION_STATES = ("UNKNOWN", "NEW", "RUNNING", "COMPLETE", "FAILED", "CACHED", "CANCELED")
EVENT_TYPES = ("INPUT", "OUTPUT", "DECLARED_INPUT", "DECLARED_OUTPUT", "INTERNAL_INPUT", "INTERNAL_OUTPUT")
# Broken forms of a valid query (each refused by both libraries), and whole queries that are invalid.
BREAKAGES: Tuple[Callable[[str], str], ...] = (
    lambda q: q + " AND",
    lambda q: "(" + q,
    lambda q: q.replace(" = ", " == ", 1) if " = " in q else q + " ==",
    lambda q: q + " id = 1",
    lambda q: "NOT " + q + " )",
)
INVALID = (
    "nope = 1",
    "name = ",
    "properties.span.bad_value = 1",
    "state = NOPE",
    "contexts_a.nope = 'x'",
    "events_a.nope = 1",
    "custom_properties.tag = 'x'",
    "type = 'Model' AND AND id = 1",
    "id IN ()",
)


@dataclasses.dataclass
class Vocabulary:
    """What a store holds, by node kind: the names, values and bounds a query may use."""

    type_names: Dict[str, List[str]]  # kind -> type names (some without nodes: they select nothing)
    properties: Dict[str, Dict[str, List[Value]]]  # kind -> declared property -> values stored
    custom_properties: Dict[str, Dict[str, List[Value]]]  # kind -> custom property -> values stored
    node_names: Dict[str, List[str]]  # kind -> a sample of node names
    uris: List[str]  # a sample of artifact uris
    like_patterns: Dict[str, List[str]]  # "name" / "uri" -> LIKE patterns that match some nodes
    max_ids: Dict[str, int]  # kind -> the highest node id (ids count from 1)
    max_type_id: int


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _literal(value: Value) -> str:
    return _quote(value) if isinstance(value, str) else repr(value)


def _column(value: Value) -> str:
    return "int_value" if isinstance(value, int) else "double_value" if isinstance(value, float) else "string_value"


class FilterMaker:
    """Draws queries with one `random.Random`; the same seed gives the same queries on every interpreter."""

    def __init__(self, vocab: Vocabulary, rng: random.Random) -> None:
        self.vocab = vocab
        self.rng = rng
        self._enums: List[str] = []  # enum fields the query being drawn already names

    def weighted(self, options: Sequence[Tuple[float, Callable[[], str]]]) -> str:
        """Calls one of the options, chosen by weight."""
        pick = self.rng.random() * sum(weight for weight, _ in options)
        for weight, make in options:
            pick -= weight
            if pick < 0:
                return make()
        return options[-1][1]()

    def _id(self, kind: str) -> int:
        return self.rng.randint(1, max(1, self.vocab.max_ids[kind]))

    def _enum(self, field: str, names: Sequence[str], instead: str) -> str:
        name = field.rsplit(".", 1)[-1]  # MLMD refuses an enum field twice, even through two aliases
        if name in self._enums:
            return instead
        self._enums.append(name)
        rng = self.rng
        if rng.random() < 0.35:
            chosen = ", ".join(rng.sample(list(names), rng.randint(1, 3)))
            return f"{field} {rng.choice(['IN', 'NOT IN'])} ({chosen})"
        return f"{field} {rng.choice(['=', '!='])} {rng.choice(names)}"

    def own(self, kind: str, prefix: str = "", member: bool = False) -> str:
        """A predicate on a node's own fields (`prefix` is a join's alias, e.g. `contexts_a.`).

        A context's member join (`artifacts_a.`) names no state: MLMD's SQL for it breaks (the known
        difference filter-member-enum-negation).
        """
        rng, vocab = self.rng, self.vocab
        names = vocab.node_names[kind]
        types = vocab.type_names[kind]
        options: List[Tuple[float, Callable[[], str]]] = [
            (3, lambda: f"{prefix}id {rng.choice(COMPARE)} {self._id(kind)}"),
            (1, lambda: f"{prefix}id IN ({', '.join(str(self._id(kind)) for _ in range(rng.randint(1, 4)))})"),
            (1, lambda: f"{prefix}id BETWEEN {self._id(kind) // 2} AND {self._id(kind)}"),
            (3, lambda: f"{prefix}name {rng.choice(['=', '!='])} {_quote(rng.choice(names))}"),
            (1, lambda: f"{prefix}name IN ({', '.join(_quote(n) for n in rng.sample(names, 2))})"),
            (1, lambda: f"{prefix}name {rng.choice(['LIKE', 'NOT LIKE'])} "
                        f"{_quote(rng.choice(vocab.like_patterns['name']))}"),
            (3, lambda: f"{prefix}type {rng.choice(['=', '!='])} {_quote(rng.choice(types))}"),
            (1, lambda: f"{prefix}type IN ({', '.join(_quote(t) for t in rng.sample(types, 2))})"),
            (0.5, lambda: f"{prefix}create_time_since_epoch > 0"),
            (0.5, lambda: f"{prefix}last_update_time_since_epoch >= {prefix}create_time_since_epoch"),
        ]
        if not prefix:  # MLMD's joins know neither field
            options += [(1, lambda: f"type_id = {rng.randint(1, vocab.max_type_id)}"),
                        (0.5, lambda: f"external_id IS {rng.choice(['NULL', 'NOT NULL'])}")]
        since = f"{prefix}create_time_since_epoch > 0"
        if kind == ARTIFACT:
            options += [
                (2, lambda: f"{prefix}uri = {_quote(rng.choice(vocab.uris))}"),
                (2, lambda: f"{prefix}uri LIKE {_quote(rng.choice(vocab.like_patterns['uri']))}"),
            ]
            if not member:
                options.append((1, lambda: self._enum(f"{prefix}state", ARTIFACT_STATES, since)))
        if kind == EXECUTION and not member:
            options.append((1, lambda: self._enum(f"{prefix}last_known_state", EXECUTION_STATES, since)))
        return self.weighted(options)

    def property(self, kind: str) -> str:
        """`properties.p.<column> ...` or `custom_properties.p.<column> ...`, mostly with a stored value."""
        rng = self.rng
        custom = rng.random() < 0.4 or not self.vocab.properties[kind]
        pool = self.vocab.custom_properties[kind] if custom else self.vocab.properties[kind]
        if not pool:  # contexts have no custom properties: a name nothing holds selects nothing
            pool = {"absent": [0, "x"]}
        name = rng.choice(sorted(pool))
        value = rng.choice(pool[name])
        field = f"{'custom_' if custom else ''}properties.{name}.{_column(value)}"
        draw = rng.random()
        if draw < 0.1:
            return f"{field} IS {rng.choice(['NULL', 'NOT NULL'])}"
        if isinstance(value, str):
            if draw < 0.4:
                return f"{field} LIKE {_quote(value[: rng.randint(1, max(1, len(value)))] + '%')}"
            return f"{field} {rng.choice(['=', '!=', '<', '>='])} {_quote(value)}"
        if draw < 0.25:
            return f"{field} BETWEEN {_literal(value)} AND {_literal(value + rng.choice([1, 10]))}"
        return f"{field} {rng.choice(COMPARE)} {_literal(value)}"

    def join(self, kind: str) -> str:
        """A predicate through a join: contexts and events of artifacts or executions, members of contexts."""
        rng = self.rng
        alias = rng.choice("ab")
        if kind in (ARTIFACT, EXECUTION):
            other = EXECUTION if kind == ARTIFACT else ARTIFACT
            return self.weighted([
                (4, lambda: self.own(CONTEXT, f"contexts_{alias}.")),
                (2, lambda: self._enum(f"events_{alias}.type", EVENT_TYPES, f"events_{alias}.{other}_id > 0")),
                (1, lambda: f"events_{alias}.{other}_id = {self._id(other)}"),
            ])
        member = rng.choice([ARTIFACT, EXECUTION])
        return self.weighted([
            (4, lambda: self.own(member, f"{member}s_{alias}.", member=True)),
            (1, lambda: f"{rng.choice(['parent', 'child'])}_contexts_{alias}.name = "
                        f"{_quote(rng.choice(self.vocab.node_names[CONTEXT]))}"),
        ])

    def predicate(self, kind: str) -> str:
        return self.weighted([(5, lambda: self.own(kind)), (3, lambda: self.property(kind)),
                              (3, lambda: self.join(kind))])

    def valid(self, kind: str) -> str:
        """A query over `kind` nodes that both libraries accept."""
        self._enums = []
        rng = self.rng
        parts = [self.predicate(kind) for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))]
        if len(parts) > 1 and rng.random() < 0.25:
            first = parts.pop(0)
            parts[0] = f"({first} {rng.choice(['AND', 'OR'])} {parts[0]})"
        query = parts[0]
        for part in parts[1:]:
            query = f"{query} {rng.choice(['AND', 'AND', 'OR'])} {part}"
        if rng.random() < 0.1:
            query = f"NOT ({query})"
        return query

    def query(self, kind: str) -> str:
        """A query over `kind` nodes; about one in ten is invalid."""
        draw = self.rng.random()
        if draw < 0.04:
            return self.rng.choice(INVALID)
        if draw < 0.1:
            return self.rng.choice(BREAKAGES)(self.valid(kind))
        return self.valid(kind)


def random_filters(vocab: Vocabulary, count: int, seed: str) -> List[Tuple[str, str]]:
    """`count` (node kind, filter query) pairs: half over artifacts, the rest over executions and contexts."""
    rng = random.Random(seed)
    maker = FilterMaker(vocab, rng)
    kinds = (ARTIFACT,) * 5 + (EXECUTION,) * 3 + (CONTEXT,) * 2
    return [(kind, maker.query(kind)) for kind in (rng.choice(kinds) for _ in range(count))]
