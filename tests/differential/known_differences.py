"""The divergences from ml-metadata 1.17.1 that the random differential run expects, in two tables.

KNOWN: the differences we keep on purpose, each pinned by a row elsewhere (`oracle=False` or
`ours_why`), and those issue 9 lists as still to be decided. OPEN: divergences this run found that
nobody has decided yet; test_fuzz_against_oracle.py marks each one xfail (strict), so an entry goes
when its divergence does: fixed, or moved to KNOWN with a row that pins the choice.

Each entry: a predicate over the divergence (difference_predicates.py), a one-line reason, where it
is pinned, and `repro`, a short sequence whose last call shows it, which the test replays on both
sides. Entries with a `normalise` function describe a difference in how a value reads; a divergence
that several of them together explain (two at once in one lineage graph) is explained too.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, List, Optional, Sequence

import difference_predicates as p
from fuzz_calls import call, msg
from fuzz_compare import Divergence
from fuzz_world import NODE_MSG, TYPE_MSG

Call = Dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Difference:
    """One expected divergence: what it is, why, where it is pinned, how to see it."""

    name: str
    reason: str
    source: str  # the rows that pin it, or "issue 9 ...", or "found by the random run"
    matches: Callable[[Divergence], bool]
    repro: Sequence[Call]
    # A difference in how a read presents or selects data, never in what is stored: comparing the
    # rest of the sequence stays meaningful.
    leaves_stores_alike: bool = False
    normalise: Optional[p.Normaliser] = None
    table: str = ""


def _type(kind: str, name: str, properties: Optional[Dict[str, str]] = None, **fields: Any) -> Call:
    return call(f"put_{kind}_type", msg(TYPE_MSG[kind], {"name": name, "properties": properties or {}, **fields}))


def _nodes(kind: str, *nodes: Dict[str, Any], **kwargs: Any) -> Call:
    return call(f"put_{kind}s", [msg(NODE_MSG[kind], n) for n in nodes], **kwargs)


def _listing(op: str, query: str, *args: Any) -> Call:
    return call(op, *args, {"@list_options": {"filter_query": query}})


FOUND = "found by the random run (tests/differential), not decided yet"

KNOWN = [
    Difference(
        "filter-on-struct-as-string-value",
        "a filter on a property's string_value (compare, IS [NOT] NULL) where some nodes hold that property "
        "as a struct: MLMD keeps structs in its string_value column and sees them, ours does not",
        "issue 9, 'Differences from MLMD nobody chose', second item (to be decided; its int / string "
        "cases agree on main)",
        p.filter_on_struct_as_string,
        [_type("context", "Run"), _nodes("context", {"type_id": 10, "name": "c1",
                                                     "custom_properties": {"s": {"struct_value": {}}}}),
         _listing("get_contexts", "custom_properties.s.string_value >= 'a'")],
        leaves_stores_alike=True),
    Difference(
        "by-context-filter-not-parsed-by-mlmd",
        "get_*_by_context with a filter MLMD would refuse: on a context with no such nodes (or none at all) "
        "MLMD never parses the filter and answers [], ours refuses it",
        "issue 9, 'Differences from MLMD nobody chose', third item (to be decided)",
        p.by_context_filter_refused,
        [_listing("get_artifacts_by_context", "nope = 1", 1)],
        leaves_stores_alike=True),
    Difference(
        "filter-member-external-id",
        "a context filter on artifacts_X.external_id / executions_X.external_id: MLMD's SQL has no such "
        "column (InternalError); we answer it (or refuse it)",
        "tests/filters/scenarios_filters.py rows gap-artifacts-external_id, gap-artifacts-external_id-null, "
        "gap-executions-external_id (oracle=False)",
        p.member_external_id_gap,
        [_listing("get_contexts", "executions_a.external_id IS NOT NULL")],
        leaves_stores_alike=True),
    Difference(
        "filter-member-enum-negation",
        "a context filter with != / NOT IN on artifacts_X.state or executions_X.last_known_state: MLMD's "
        "enum rewrite breaks its SQL (InvalidArgumentError); we answer it",
        "tests/filters/scenarios_filters.py rows bug-c-artifacts-state-ne, bug-c-artifacts-state-not-in, "
        "bug-c-executions-state-ne, bug-c-executions-state-not-in, bug-c-executions-state-ne-null (oracle=False)",
        p.member_enum_negation,
        [_listing("get_contexts", "artifacts_a.state != LIVE")],
        leaves_stores_alike=True),
    Difference(
        "filter-repeats-enum-predicate",
        "a filter that repeats an enum predicate's field (events_a.type = INPUT OR events_a.type != INPUT): "
        "MLMD refuses it ('Query cannot be rewritten successfully'); we answer it",
        "tests/filters/scenarios_filters.py rows bug-duplicate-enum-or, bug-duplicate-enum-ne-and-eq, "
        "bug-duplicate-enum-not, bug-duplicate-enum-events, bug-duplicate-enum-events-not, "
        "bug-duplicate-enum-ne (oracle=False)",
        p.repeated_enum_predicate,
        [_listing("get_artifacts", "state = LIVE OR state = LIVE")],
        leaves_stores_alike=True),
    Difference(
        "mlmd-loses-property-sharing-a-name",
        "a node that holds one name both as a declared and as a custom property: MLMD's puts drop or "
        "overwrite one of the two values (it keeps property rows by name alone); ours keeps both",
        "tests/api/scenarios_fidelity.py row property-name-both-declared-and-custom (ours_why)",
        lambda d: p.normalised_away(p.without_shared_property_names)(d) or p.filter_on_shared_property_name(d),
        [_type("artifact", "Data", {"s": "STRING"}),
         _nodes("artifact", {"type_id": 10, "custom_properties": {"s": {"int_value": 1}}}),
         _nodes("artifact", {"id": 1, "type_id": 10, "properties": {"s": {"string_value": "x"}}}),
         call("get_artifacts_by_id", [1])],
        normalise=p.without_shared_property_names),
    Difference(
        "lineage-subgraph-event-names-missing-node",
        "put_lineage_subgraph with an event whose artifact_id / execution_id names no node: MLMD stores the "
        "dangling event (and may then refuse a later event of the call as already stored), ours refuses it, "
        "as put_events does in both",
        "tests/api/scenarios_compound.py row subgraph-event-names-missing-node (ours_why)",
        p.lineage_event_to_missing_node,
        [_type("execution", "Train"),
         call("put_lineage_subgraph", [msg("Execution", {"type_id": 10})], [], [],
              [[0, None, msg("Event", {"artifact_id": 1, "type": "INPUT"})]])]),
    Difference(
        "reuse-context-external-id-taken",
        "put_execution / put_lineage_subgraph (reuse_context_if_already_exist=True) with a new context whose "
        "external_id is taken: MLMD takes it for a race and answers AbortedError (its client retries it for "
        "about 10 s), ours AlreadyExistsError",
        "tests/api/scenarios_compound.py row reuse-context-external-id-taken (oracle=False)",
        p.reuse_context_external_id_taken,
        [_type("execution", "Train"), _type("context", "Run"),
         _nodes("context", {"type_id": 11, "name": "c1", "external_id": "x1"}),
         call("put_execution", msg("Execution", {"type_id": 10}), [],
              [msg("Context", {"type_id": 11, "name": "c2", "external_id": "x1"})],
              reuse_context_if_already_exist=True)]),
]

# Divergences found by the random run and not decided yet (none at the moment): each new one goes here, with
# `source=FOUND`, until it is fixed or moved to KNOWN with a row that pins the choice.
OPEN: List[Difference] = []

for _table, _entries in (("KNOWN", KNOWN), ("OPEN", OPEN)):
    for _i, _entry in enumerate(_entries):
        _entries[_i] = dataclasses.replace(_entry, table=_table)
ENTRIES = OPEN + KNOWN  # an open bug's predicate is the narrower one: it is tried first


def classify(divergence: Divergence) -> Optional[Difference]:
    """The entry that explains `divergence`, or None.

    A divergence no single entry explains may still be explained by the normalisers together (a
    lineage graph showing two presentation differences at once): the first entry whose normaliser
    changed something is returned then.
    """
    for entry in ENTRIES:
        if entry.matches(divergence):
            return entry
    if not (p.answered(divergence.ours) and p.answered(divergence.theirs)):
        return None
    ours, theirs, used = divergence.ours["value"], divergence.theirs["value"], []
    for entry in ENTRIES:
        if entry.normalise is not None:
            normalised = entry.normalise(divergence, ours), entry.normalise(divergence, theirs)
            if normalised != (ours, theirs):
                used.append(entry)
                ours, theirs = normalised
    return used[0] if used and ours == theirs else None
