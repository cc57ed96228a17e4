"""A store as a stream of MLMD records, and JSON lines of them.

The stream's order is the order an import needs: types, contexts, artifacts, executions, then the events
(by execution, in each execution's order), attributions, associations and parent contexts. Nodes come by
ascending id, read through the public API a page at a time, so memory holds one page whatever the store.

A line is one record: `{"artifact": {...}}`, the message as protobuf's JSON mapping writes it (field names as
in the .proto). A message the JSON mapping cannot write (a `proto_value` whose type this process does not
know) is written as its wire bytes: `{"artifact": null, "binary": "<base64>"}`.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Set, TextIO, Tuple

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from fastmlmd.cli.stores import CliError, iter_nodes, types_of
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

Record = Tuple[str, Message]  # (record kind, message)
EventKey = Tuple[int, int, int]  # (artifact_id, execution_id, type): one event of a store at most
HEADER_KEY = "fastmlmd_export"
FORMAT_VERSION = 1
MESSAGES: Dict[str, Any] = {
    "artifact_type": pb.ArtifactType, "execution_type": pb.ExecutionType, "context_type": pb.ContextType,
    "context": pb.Context, "artifact": pb.Artifact, "execution": pb.Execution, "event": pb.Event,
    "attribution": pb.Attribution, "association": pb.Association, "parent_context": pb.ParentContext,
}
PAGE = 1000


@dataclass
class Start:
    """Where a stream of records begins: all of it by default; a resumed copy leaves out what its target holds."""

    held_types: FrozenSet[int] = frozenset()  # ids of the types to leave out
    after: Dict[str, int] = field(default_factory=dict)  # per node kind: the last id held
    # The keys (artifact_id, execution_id, type) of the events held of these executions; asked page by page until
    # a page holds less than all its events (the target holds a prefix of the stream: nothing further on).
    held_events: Optional[Callable[[List[int]], Set[EventKey]]] = None
    # Per link kind (attribution, association, parent_context): the first context whose links go, all of them
    # (writing a link again changes nothing); parent contexts of that first context only when not held.
    links_from: Dict[str, int] = field(default_factory=dict)
    held_parents: FrozenSet[Tuple[int, int]] = frozenset()


def store_records(store: metadata_store.MetadataStore, page: int = PAGE, start: Start = Start()) -> Iterator[Record]:
    """Every record of the store (from `start`), in import order."""
    for kind in ("artifact", "execution", "context"):
        for found in types_of(store, kind):
            if found.id not in start.held_types:
                yield f"{kind}_type", found
    for kind in ("context", "artifact", "execution"):
        for node in iter_nodes(store, kind, batch=page, after=start.after.get(kind, 0)):
            yield kind, node
    held_events = start.held_events
    for executions in _pages(iter_nodes(store, "execution", batch=page), page):
        events = store.get_events_by_execution_ids([e.id for e in executions])
        held = held_events([e.id for e in executions]) if held_events is not None else set()
        if len(held) < len(events):
            held_events = None  # the target's events end in this page
        for event in events:
            if (event.artifact_id, event.execution_id, event.type) not in held:
                yield "event", event
    for kind, linked_kind in (("attribution", "artifact"), ("association", "execution")):
        for context in iter_nodes(store, "context", batch=page, after=start.links_from.get(kind, 1) - 1):
            for node_id in _linked(store, linked_kind, context.id, page):
                yield kind, (pb.Attribution(context_id=context.id, artifact_id=node_id) if kind == "attribution"
                             else pb.Association(context_id=context.id, execution_id=node_id))
    for context in iter_nodes(store, "context", batch=page, after=start.links_from.get("parent_context", 1) - 1):
        for parent in store.get_parent_contexts_by_context(context.id):
            if (context.id, parent.id) not in start.held_parents:
                yield "parent_context", pb.ParentContext(child_id=context.id, parent_id=parent.id)


def _pages(items: Iterator[Any], size: int) -> Iterator[List[Any]]:
    batch: List[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _linked(store: metadata_store.MetadataStore, kind: str, context_id: int, page: int) -> Iterator[int]:
    """The ids of a context's artifacts or executions, ascending, a page at a time."""
    getter = store.get_artifacts_by_context if kind == "artifact" else store.get_executions_by_context
    last = 0
    while True:
        found = getter(context_id, list_options=metadata_store.ListOptions(
            limit=page, order_by=metadata_store.OrderByField.ID, is_asc=True, filter_query=f"id > {last}"))
        yield from (node.id for node in found)
        if len(found) < page:
            return
        last = found[-1].id


def to_line(kind: str, message: Message) -> str:
    try:
        body: Dict[str, Any] = {kind: json_format.MessageToDict(message, preserving_proto_field_name=True)}
    except (TypeError, json_format.Error):
        body = {kind: None, "binary": base64.b64encode(message.SerializeToString(deterministic=True)).decode()}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n"


def header_line() -> str:
    return json.dumps({HEADER_KEY: FORMAT_VERSION}) + "\n"


def read_lines(handle: TextIO, source: str) -> Iterator[Record]:
    """The records of an export, checked line by line; a bad line stops the import with its number."""
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise CliError(f"{source}:{number}: not a JSON line: {exc}") from exc
        if not isinstance(data, dict):
            raise CliError(f"{source}:{number}: a record is a JSON object, got {type(data).__name__}")
        if HEADER_KEY in data:
            if data[HEADER_KEY] != FORMAT_VERSION:
                raise CliError(f"{source}:{number}: export format {data[HEADER_KEY]!r}; this fastmlmd reads "
                               f"format {FORMAT_VERSION}")
            continue
        kinds = [key for key in data if key in MESSAGES]
        if len(kinds) != 1:
            raise CliError(f"{source}:{number}: a record names one of {', '.join(MESSAGES)}; got keys "
                           f"{sorted(data)}")
        kind = kinds[0]
        message = MESSAGES[kind]()
        try:
            if data[kind] is None and "binary" in data:
                message.ParseFromString(base64.b64decode(data["binary"]))
            else:
                json_format.ParseDict(data[kind], message)
        except (json_format.ParseError, DecodeError, ValueError, TypeError) as exc:
            raise CliError(f"{source}:{number}: not a valid {MESSAGES[kind].__name__}: {exc}") from exc
        yield kind, message
