"""Where an interrupted copy goes on from: what its target holds of the source's records.

A copy with ids kept writes the source's records in their stream's order (records.py), a batch of one kind
per transaction, so whatever stopped it, the target holds a prefix of that stream, batch by batch. The prefix
is read back from the target with a few calls: the types it has, the last node of each kind, the events of the
first pages of executions, and the last context holding links of each kind (a link written twice changes
nothing, so that context's links go again). Before going on, the target's last node of each kind must equal the
source's node of that id, and its types the source's: a target that is another store is refused.
"""
from __future__ import annotations

from typing import Dict, List, Set, Tuple

from fastmlmd.cli.records import EventKey, Start, to_line
from fastmlmd.cli.stores import NODE_KINDS, CliError, last_node, nodes_by_id, types_of
from ml_metadata import metadata_store

# The filter that selects contexts holding links of each kind, in the stream's order of those kinds.
_LINK_FILTERS = (("attribution", "artifacts_a.id > 0"), ("association", "executions_a.id > 0"),
                 ("parent_context", "parent_contexts_a.id > 0"))


def _differs(what: str) -> CliError:
    return CliError(f"the target's {what} differs from the source's: it is not a part copy of this source "
                    "(resume only a copy into the same target)")


def resume_start(source: metadata_store.MetadataStore, target: metadata_store.MetadataStore) -> Start:
    """The point of the source's stream the copy into `target` stopped at."""
    held_types = set()
    for kind in NODE_KINDS:
        theirs = {found.id: found for found in types_of(source, kind)}
        for found in types_of(target, kind):
            if theirs.get(found.id) != found:
                raise _differs(f"{kind} type {found.name!r} (id {found.id})")
            held_types.add(found.id)
    after: Dict[str, int] = {}
    for kind in NODE_KINDS:
        last = last_node(target, kind)
        if last is None:
            continue
        if [to_line(kind, last)] != [to_line(kind, node) for node in nodes_by_id(source, kind, [last.id])]:
            raise _differs(f"{kind} {last.id}")
        after[kind] = last.id
    links_from: Dict[str, int] = {}
    later_held = False  # a later kind of link is held: this kind was written in full
    for kind, filter_query in reversed(_LINK_FILTERS):
        last = last_node(target, "context", filter_query)
        if later_held:
            links_from[kind] = after.get("context", 0) + 1  # past every context the target holds
        elif last is not None:
            links_from[kind] = last.id
        later_held = later_held or last is not None
    held_parents: Set[Tuple[int, int]] = set()
    first_child = links_from.get("parent_context")
    if first_child is not None:
        held_parents = {(first_child, parent.id) for parent in target.get_parent_contexts_by_context(first_child)}

    def held_events(execution_ids: List[int]) -> Set[EventKey]:
        return {(e.artifact_id, e.execution_id, e.type) for e in target.get_events_by_execution_ids(execution_ids)}

    return Start(held_types=frozenset(held_types), after=after, held_events=held_events, links_from=links_from,
                 held_parents=frozenset(held_parents))
