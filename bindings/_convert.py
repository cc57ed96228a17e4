"""Protos <-> engine records. The only place that knows both the message classes and the engine's records."""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Type, TypeVar

from google.protobuf.message import Message

from fastmlmd.engine import lineage, rowcore
from fastmlmd.engine.bulk_import import ImportedNode
from fastmlmd.engine.catalog import BUILTIN_TYPES, LAYOUTS, TypeKind
from fastmlmd.engine.nodes import wire_fields
from fastmlmd.engine.reads import PageAfter
from fastmlmd.engine.records import EventRecord, NodeRecord, TypeRecord
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

M = TypeVar("M", bound=Message)
# An ArtifactType, ExecutionType or ContextType: the three share their fields but no base class, so code that
# serves all three reads them as Any.
TypeMessage = Any

_NODE_DESCRIPTORS = {TypeKind.ARTIFACT: pb.Artifact.DESCRIPTOR, TypeKind.EXECUTION: pb.Execution.DESCRIPTOR,
                     TypeKind.CONTEXT: pb.Context.DESCRIPTOR}
_NODE_FIELDS = {kind: wire_fields(LAYOUTS[kind]) for kind in _NODE_DESCRIPTORS}


def node_record(kind: TypeKind, msg: Message) -> NodeRecord:
    """An Artifact / Execution / Context message as a record; output-only fields are kept only for no-op checks.

    One serialization and one decode by the row kernel, instead of reading every field through the protobuf
    API. Deterministic serialization keeps struct / Any values canonical, so equal values compare equal in
    no-op detection.

    Raises:
      TypeError: `msg` is not a message of `kind` (MLMD's own wrapper fails the same way in CopyFrom).
      InvalidArgumentError: a string field or property name is not valid UTF-8 (only possible in a message
        parsed from bytes: proto2 parsing does not check).
    """
    descriptor = _NODE_DESCRIPTORS[kind]
    if getattr(msg, "DESCRIPTOR", None) is not descriptor:
        raise TypeError(f"expected an {descriptor.full_name} message, got {type(msg).__name__}")
    try:
        record = NodeRecord(*rowcore.decode_node(_NODE_FIELDS[kind], msg.SerializeToString(deterministic=True)))
    except UnicodeDecodeError as exc:
        raise errors.InvalidArgumentError(
            f"a string field or property name of the {descriptor.name} is not valid UTF-8: {exc}") from exc
    if record.empty_values:  # rare: the kernel lists both maps' empty keys together; the checks tell them apart
        node: Any = msg  # an Artifact, Execution or Context (checked above): each has both maps
        record.empty_values = _empty_keys(node.properties)
        record.empty_custom_values = _empty_keys(node.custom_properties)
    return record


def imported_node(kind: TypeKind, msg: Message) -> ImportedNode:
    """A node message as it is to be imported: its record, and its timestamps (unset: now)."""
    node: Any = msg
    now = time.time_ns() // 1_000_000
    return ImportedNode(
        node_record(kind, msg),
        node.create_time_since_epoch if node.HasField("create_time_since_epoch") else now,
        node.last_update_time_since_epoch if node.HasField("last_update_time_since_epoch") else now)


def _empty_keys(values: "Mapping[str, pb.Value]") -> Tuple[str, ...]:
    # Sorted: the order the kernel reports them in, from a deterministic serialization.
    return tuple(sorted(key for key, value in values.items() if value.WhichOneof("value") is None))


def event_record(event: "pb.Event") -> EventRecord:
    """An Event message as a record (its path kept as serialized bytes; MLMD drops an empty path).

    One serialization and one decode by the row kernel, instead of five field reads through the protobuf API.
    """
    artifact_id, execution_id, path, event_type, milliseconds = rowcore.decode_event(event.SerializeToString())
    return EventRecord(artifact_id, execution_id, event_type, milliseconds, path)


def type_record(kind: TypeKind, msg: TypeMessage) -> TypeRecord:
    """An ArtifactType / ExecutionType / ContextType message as a record."""
    rec = TypeRecord(
        kind=kind,
        name=msg.name if msg.HasField("name") else None,
        properties=dict(msg.properties.items()),
        version=msg.version if msg.HasField("version") else None,
        description=msg.description if msg.HasField("description") else None,
        external_id=msg.external_id if msg.HasField("external_id") else None,
        base_type=msg.base_type if msg.HasField("base_type") else None,
    )
    if kind == TypeKind.EXECUTION:
        if msg.HasField("input_type"):
            rec.input_type = msg.input_type.SerializeToString()
        if msg.HasField("output_type"):
            rec.output_type = msg.output_type.SerializeToString()
    return rec


TYPE_CLASSES: Dict[TypeKind, Any] = {
    TypeKind.ARTIFACT: pb.ArtifactType,
    TypeKind.EXECUTION: pb.ExecutionType,
    TypeKind.CONTEXT: pb.ContextType,
}


def type_message(rec: TypeRecord) -> TypeMessage:
    """A type record as its message; optional fields are set only when stored."""
    msg = TYPE_CLASSES[TypeKind(rec.kind)]()
    msg.id = rec.id
    msg.name = rec.name
    for name, data_type in rec.properties.items():
        msg.properties[name] = data_type
    if rec.version is not None:
        msg.version = rec.version
    if rec.description is not None:
        msg.description = rec.description
    if rec.external_id is not None:
        msg.external_id = rec.external_id
    if rec.base_type is not None:
        msg.base_type = rec.base_type
    if rec.input_type is not None:
        msg.input_type.ParseFromString(rec.input_type)
    if rec.output_type is not None:
        msg.output_type.ParseFromString(rec.output_type)
    return msg


def type_messages(records: Sequence[TypeRecord]) -> List[TypeMessage]:
    return [type_message(rec) for rec in records]


_TYPE_LISTS: Dict[TypeKind, Tuple[Any, str]] = {TypeKind.ARTIFACT: (svc.GetArtifactTypesResponse, "artifact_types"),
               TypeKind.EXECUTION: (svc.GetExecutionTypesResponse, "execution_types"),
               TypeKind.CONTEXT: (svc.GetContextTypesResponse, "context_types")}
_BUILTIN_IDS = frozenset(type_id for type_id, _, _ in BUILTIN_TYPES)


class TypeView:
    """The types of one kind, encoded once: every read then costs one parse (see Engine.types_view)."""

    def __init__(self, kind: TypeKind, records: Sequence[TypeRecord]) -> None:
        self._message = TYPE_CLASSES[kind]
        self._list_class, self._list_field = _TYPE_LISTS[kind]
        self._by_id: Dict[int, bytes] = {}
        self._by_name: Dict[Tuple[str, str], bytes] = {}
        listed: List[bytes] = []
        for rec in records:
            body = type_message(rec).SerializeToString()
            assert rec.id is not None  # a stored type
            self._by_id[rec.id] = body
            self._by_name[(rec.name or "", rec.version or "")] = body
            if rec.id not in _BUILTIN_IDS:
                # As in MLMD's listings, listed types carry no external_id (lookups by id or name do).
                rec = dataclasses.replace(rec, external_id=None)
                listed.append(type_message(rec).SerializeToString())
        self._listing = rowcore.frame(listed)

    def all_user_types(self) -> List[TypeMessage]:
        """Every user type (all versions), by id; the built-in mlmd.* types are left out."""
        return list(getattr(self._list_class.FromString(self._listing), self._list_field))

    def by_name(self, name: str, version: Optional[str]) -> Optional[TypeMessage]:
        body = self._by_name.get((name, version or ""))
        return None if body is None else self._message.FromString(body)

    def by_ids(self, type_ids: Sequence[int]) -> List[TypeMessage]:
        """The types with these ids in the order asked, repeats included; unknown ids are skipped."""
        bodies = [self._by_id[i] for i in type_ids if i in self._by_id]
        return list(getattr(self._list_class.FromString(rowcore.frame(bodies)), self._list_field))


def _parser(container: Type[M], field: str, message: Type[Message]) -> Callable[[Sequence[bytes]], list]:
    parse_one = message.FromString

    def parse(bodies: Sequence[bytes]) -> list:
        # One parse builds every message: the bodies are framed as the container's repeated field 1.
        if len(bodies) == 1:
            return [parse_one(bodies[0])]  # a point read: no frame to build
        if not bodies:
            return []
        return getattr(container.FromString(rowcore.frame(bodies)), field)[:]  # a list; [:] is cheaper than list()
    return parse


parse_artifacts = _parser(svc.GetArtifactsByIDResponse, "artifacts", pb.Artifact)
parse_executions = _parser(svc.GetExecutionsByIDResponse, "executions", pb.Execution)
parse_contexts = _parser(svc.GetContextsByIDResponse, "contexts", pb.Context)
NODE_PARSERS = {TypeKind.ARTIFACT: parse_artifacts, TypeKind.EXECUTION: parse_executions,
                TypeKind.CONTEXT: parse_contexts}


def parse_events(framed: bytes) -> List[pb.Event]:
    """Events from the engine's frame (their bodies as a repeated field 1): one parse builds them all."""
    return svc.GetEventsByArtifactIDsResponse.FromString(framed).events[:] if framed else []  # [:]: see _parser


# Lineage --------------------------------------------------------------------------------------------------
_LINEAGE_FIELDS = tuple(f.name for f in pb.LineageGraph.DESCRIPTOR.fields)
_SEED_KINDS = {"starting_artifacts": TypeKind.ARTIFACT, "starting_executions": TypeKind.EXECUTION}


def _ending_nodes(options: "pb.LineageSubgraphQueryOptions", name: str) -> lineage.EndingNodes:
    if not options.HasField(name):
        return lineage.EndingNodes()
    ending = getattr(options, name)
    # A filter set to "" is not "unset": MLMD then treats every reached node as an ending node.
    return lineage.EndingNodes(ending.filter_query if ending.HasField("filter_query") else None,
                               ending.include_ending_nodes)


def subgraph_query(options: "pb.LineageSubgraphQueryOptions") -> lineage.SubgraphQuery:
    """LineageSubgraphQueryOptions as the engine's query (checked by the engine, in MLMD's order)."""
    which = options.WhichOneof("starting_nodes")
    return lineage.SubgraphQuery(
        seed_kind=_SEED_KINDS.get(which) if which else None,
        seed_filter=getattr(options, which).filter_query if which else "",
        max_num_hops=options.max_num_hops if options.HasField("max_num_hops") else None,
        direction=options.direction,
        ending_artifacts=_ending_nodes(options, "ending_artifacts"),
        ending_executions=_ending_nodes(options, "ending_executions"),
    )


def subgraph_fields(field_mask_paths: "Sequence[str] | None") -> frozenset:
    """The LineageGraph fields get_lineage_subgraph fills for these mask paths, as MLMD's wrapper does.

    The wrapper sends the paths that do not end in `_types` as the RPC's read mask (every field when none
    is left), then fetches the types of the nodes the RPC returned. So `*_types` alone yields types, but
    `artifact_types` next to, say, `events` yields none (no artifacts came back to take types from).
    Unknown paths select nothing.
    """
    paths = set(field_mask_paths) if field_mask_paths else set(_LINEAGE_FIELDS)
    read_mask = {p for p in paths if not p.endswith("_types")} or set(_LINEAGE_FIELDS)
    fields = {p for p in paths if p in lineage.NODE_FIELDS or p in lineage.EDGE_FIELDS}
    for kind in ("artifact", "execution", "context"):
        if f"{kind}_types" in paths and f"{kind}s" in read_mask:
            fields.add(f"{kind}_types")
    return frozenset(fields)


def graph_query(options: "pb.LineageGraphQueryOptions") -> lineage.GraphQuery:
    """LineageGraphQueryOptions as the engine's query; a next-page token in artifacts_options is honoured."""
    from ml_metadata import _paging  # the token format lives there

    seeds = None
    if options.HasField("artifacts_options"):
        listing = options.artifacts_options
        order = listing.order_by_field
        after = None
        if listing.next_page_token:
            token = _paging._decode_token(listing.next_page_token)
            first = token.set_options.order_by_field
            if first.field != order.field or first.is_asc != order.is_asc:
                raise errors.InvalidArgumentError(
                    "ListOperationOptions mismatch between calls: the order (field, is_asc) of a follow-up call "
                    f"must be the first call's ({first.field}, {first.is_asc}), got ({order.field}, {order.is_asc})")
            after = PageAfter(field_value=token.field_offset, node_id=token.id_offset)
        seeds = lineage.SeedPage(page_size=listing.max_result_size, order_field=order.field, is_asc=order.is_asc,
                                 after=after, filter_query=listing.filter_query)
    stop = options.stop_conditions
    return lineage.GraphQuery(
        seeds=seeds,
        max_num_hops=stop.max_num_hops if stop.HasField("max_num_hops") else None,
        max_node_size=options.max_node_size,
        boundary_artifacts=stop.boundary_artifacts if stop.HasField("boundary_artifacts") else None,
        boundary_executions=stop.boundary_executions if stop.HasField("boundary_executions") else None,
    )


def lineage_graph(result: lineage.LineageResult, types_of: Callable[[TypeKind], "TypeView"]) -> "pb.LineageGraph":
    """A LineageGraph from a walk's result; its encoded nodes and events are parsed in one go, its types come
    from `types_of(kind)`, the store's type views."""
    numbers = pb.LineageGraph.DESCRIPTOR.fields_by_name
    framed = b"".join(rowcore.frame(bodies, numbers[name].number) for name, bodies in (
        ("artifacts", result.artifacts), ("executions", result.executions), ("contexts", result.contexts),
        ("events", result.events)) if bodies)
    graph = pb.LineageGraph.FromString(framed)
    for kind, target, type_ids in ((TypeKind.ARTIFACT, graph.artifact_types, result.artifact_types),
                                   (TypeKind.EXECUTION, graph.execution_types, result.execution_types),
                                   (TypeKind.CONTEXT, graph.context_types, result.context_types)):
        if result.every_user_type:
            target.extend(types_of(kind).all_user_types())
        elif type_ids:
            target.extend(types_of(kind).by_ids(type_ids))
            if kind == TypeKind.ARTIFACT:
                # MLMD's subgraph takes its artifact types from its artifacts-and-types read, which leaves
                # base_type unset (see types.without_derived_fields); its other types keep it.
                for artifact_type in target:
                    artifact_type.ClearField("base_type")
    graph.attributions.extend(pb.Attribution(context_id=c, artifact_id=a) for c, a in result.attributions)
    graph.associations.extend(pb.Association(context_id=c, execution_id=e) for c, e in result.associations)
    return graph
