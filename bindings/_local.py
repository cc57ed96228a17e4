"""The in-process `StoreService`: each call one engine transaction under the store's retry policy.

The public API uses it for a `ConnectionConfig`, and the gRPC server (fastmlmd.server) answers every RPC
with one, so both run the same conversions and engine calls. The engine returns nodes and events as
encoded message bodies; the `*_bodies` / `*_framed` methods hand those over as they are, which lets the
server answer without decoding and re-encoding them, and the message methods parse them in one go.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Hashable, List, Optional, Sequence, Tuple, TypeVar

from fastmlmd.engine import errors as engine_errors
from fastmlmd.engine.catalog import TypeKind
from fastmlmd.engine.compound import ReuseOptions
from fastmlmd.engine.delete import Deletion
from fastmlmd.engine.records import TypeRecord
from fastmlmd.engine.retry import RetryPolicy
from fastmlmd.engine.store import Engine
from ml_metadata import _convert as convert
from ml_metadata import _paging as paging
from ml_metadata import errors
from ml_metadata._connect import connect
from ml_metadata._service import ArtifactAndEvent, EventEdge, StoreService
from ml_metadata.metadata_store.delete_result import DeleteResult
from ml_metadata.proto import metadata_store_pb2 as pb

T = TypeVar("T")


def public_error(exc: engine_errors.StatusError) -> errors.StatusError:
    """The `ml_metadata.errors` class for an engine error: the API's one translation (raise it `from exc`)."""
    return errors.make_exception(exc.message, exc.error_code)


def _checked_external_ids(external_ids: List[str]) -> List[str]:
    """The external ids of a lookup; an empty one is refused, as MLMD does."""
    if "" in external_ids:
        raise errors.InvalidArgumentError(
            "Invalid argument because at least one empty external_id exists "
            f"(external_ids[{external_ids.index('')}])")
    return external_ids


def _link_pairs(links: Sequence[Any], node_field: str) -> List[Tuple[Optional[int], Optional[int]]]:
    """(context id, node id) of Attribution / Association messages; an unset id is None.

    An unset id reads as 0: HasField (a third of a link's cost) is asked only of a 0.
    """
    pairs = [(link.context_id, getattr(link, node_field)) for link in links]
    if not all(map(all, pairs)):  # some id is 0: checked in C, not by a generator over the pairs
        pairs = [(context_id if context_id or link.HasField("context_id") else None,
                  node_id if node_id or link.HasField(node_field) else None)
                 for link, (context_id, node_id) in zip(links, pairs)]
    return pairs


def _delete_result(found: Deletion, dry_run: bool) -> DeleteResult:
    nodes, orphans = found.nodes, found.orphans
    return DeleteResult(
        artifact_ids=nodes[TypeKind.ARTIFACT], execution_ids=nodes[TypeKind.EXECUTION],
        context_ids=nodes[TypeKind.CONTEXT], events=found.edges["event"], attributions=found.edges["attribution"],
        associations=found.edges["association"], parent_contexts=found.edges["parent_context"],
        orphan_artifact_ids=orphans.get(TypeKind.ARTIFACT, []), orphan_execution_ids=orphans.get(TypeKind.EXECUTION, []),
        orphan_context_ids=orphans.get(TypeKind.CONTEXT, []), dry_run=dry_run)


class LocalService(StoreService):
    """A store opened in this process from a `ConnectionConfig` (any backend `connect` accepts)."""

    def __init__(self, config: pb.ConnectionConfig, enable_upgrade_migration: bool) -> None:
        """Opens the store; RuntimeError when it cannot be opened (as MLMD's constructor)."""
        retries = config.retry_options.max_num_retries if config.retry_options.HasField("max_num_retries") else None
        self.retry = RetryPolicy.from_settings(retries)
        self.max_num_retries = self.retry.max_num_retries
        try:
            self.engine: Engine = self.retry.run(lambda: connect(config, enable_upgrade_migration))
        except engine_errors.StatusError as exc:
            raise public_error(exc) from exc

    def close(self) -> None:
        self.engine.close()

    def call(self, fn: Callable[[], T]) -> T:
        """Runs one engine call under the retry policy; engine errors leave as `ml_metadata.errors`."""
        try:
            return self.retry.run(fn)
        except engine_errors.StatusError as exc:
            raise public_error(exc) from exc

    # Types ---------------------------------------------------------------------------------------------------
    def put_type(self, kind: TypeKind, msg: Any, can_add_fields: bool, can_omit_fields: bool) -> int:
        record = convert.type_record(kind, msg)
        return self.call(lambda: self.engine.put_type(record, can_add_fields, can_omit_fields))

    def put_types(self, requested: Sequence[Tuple[TypeKind, Any]], can_add_fields: bool,
                  can_omit_fields: bool) -> List[int]:
        """Creates or evolves several types in one transaction (the PutTypes RPC); ids in request order."""
        records = [convert.type_record(kind, msg) for kind, msg in requested]
        return self.call(lambda: self.engine.put_types(records, can_add_fields, can_omit_fields))

    def type_view(self, kind: TypeKind, seen_version: Optional[Hashable] = None) -> convert.TypeView:
        """The kind's types, encoded once (Engine.types_view; `seen_version` as there)."""
        return self.call(lambda: self.engine.types_view(kind, functools.partial(convert.TypeView, kind), seen_version))

    def get_type(self, kind: TypeKind, name: str, version: Optional[str]) -> Any:
        found = self.type_view(kind).by_name(name, version)
        if found is None:
            raise errors.NotFoundError(
                f"No type found for query, name: `{name}`, version: `{version or 'nullopt'}`")
        return found

    def get_types(self, kind: TypeKind) -> List[Any]:
        return self.type_view(kind).all_user_types()

    def get_types_by_id(self, kind: TypeKind, type_ids: List[int]) -> List[Any]:
        return self.type_view(kind).by_ids(type_ids)

    def type_records_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[TypeRecord]:
        wanted = _checked_external_ids(external_ids)
        return self.call(lambda: self.engine.get_types_by_external_ids(kind, wanted))

    def get_types_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[Any]:
        return convert.type_messages(self.type_records_by_external_ids(kind, external_ids))

    # Nodes ---------------------------------------------------------------------------------------------------
    def put_nodes(self, kind: TypeKind, messages: List[Any], mask: List[str]) -> List[int]:
        records = [convert.node_record(kind, msg) for msg in messages]
        # A mask is a set of paths: repeats (a str passed as the list gives one path per character) go.
        paths = list(dict.fromkeys(mask)) if mask else []
        return self.call(lambda: self.engine.put_nodes(kind, records, paths))

    def node_bodies_by_id(self, kind: TypeKind, ids: List[int]) -> List[bytes]:
        return self.call(lambda: self.engine.nodes_by_ids(kind, ids))

    def get_nodes_by_id(self, kind: TypeKind, ids: List[int]) -> List[Any]:
        return convert.NODE_PARSERS[kind](self.node_bodies_by_id(kind, ids))

    def artifact_bodies_and_types(self, ids: List[int]) -> Tuple[List[bytes], List[TypeRecord]]:
        return self.call(lambda: self.engine.artifacts_and_types_by_ids(ids))

    def get_artifacts_and_types(self, ids: List[int]) -> Tuple[List[Any], List[Any]]:
        bodies, type_records = self.artifact_bodies_and_types(ids)
        return convert.parse_artifacts(bodies), convert.type_messages(type_records)

    def node_bodies_by_type(self, kind: TypeKind, type_name: str, type_version: Optional[str]) -> List[bytes]:
        return self.call(lambda: self.engine.nodes_by_type(kind, type_name, type_version))

    def get_nodes_by_type(self, kind: TypeKind, type_name: str, type_version: Optional[str]) -> List[Any]:
        return convert.NODE_PARSERS[kind](self.node_bodies_by_type(kind, type_name, type_version))

    def node_body_by_type_and_name(self, kind: TypeKind, type_name: str, node_name: str,
                                   type_version: Optional[str]) -> Optional[bytes]:
        return self.call(lambda: self.engine.node_by_type_and_name(kind, type_name, node_name, type_version))

    def get_node_by_type_and_name(self, kind: TypeKind, type_name: str, node_name: str,
                                  type_version: Optional[str]) -> Optional[Any]:
        body = self.node_body_by_type_and_name(kind, type_name, node_name, type_version)
        return None if body is None else convert.NODE_PARSERS[kind]([body])[0]

    def artifact_bodies_by_uri(self, uri: str) -> List[bytes]:
        return self.call(lambda: self.engine.artifacts_by_uri(uri))

    def get_artifacts_by_uri(self, uri: str) -> List[Any]:
        return convert.parse_artifacts(self.artifact_bodies_by_uri(uri))

    def node_bodies_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[bytes]:
        wanted = _checked_external_ids(external_ids)
        return self.call(lambda: self.engine.nodes_by_external_ids(kind, wanted))

    def get_nodes_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[Any]:
        return convert.NODE_PARSERS[kind](self.node_bodies_by_external_ids(kind, external_ids))

    def list_nodes(self, kind: TypeKind, order_field: int, is_asc: bool, filter_query: str, limit: Optional[int],
                   context_id: Optional[int]) -> List[Any]:
        # What MLMD's wrapper gathers page by page (100 a page, until the limit or the last page), read here
        # from one statement: the same nodes in the same order, the filter planned and run once.
        parse = convert.NODE_PARSERS[kind]

        def every_node() -> list:
            nodes: list = []  # each attempt starts afresh: a retried read hands over its batches again
            self.engine.list_all(kind, lambda bodies: nodes.extend(parse(bodies)), limit, order_field, is_asc,
                                 filter_query, context_id)
            return nodes
        return self.call(every_node)

    def page_bodies(self, kind: TypeKind, options: pb.ListOperationOptions, context_id: Optional[int] = None,
                    plans: Optional[Dict[str, Any]] = None) -> Tuple[List[bytes], str]:
        """One page's node bodies and the next token (paging.list_page)."""
        return self.call(lambda: paging.list_page(self.engine, kind, options, context_id, plans))

    def list_page(self, kind: TypeKind, options: pb.ListOperationOptions, context_id: Optional[int] = None,
                  plans: Optional[Dict[str, Any]] = None) -> Tuple[List[Any], str]:
        bodies, token = self.page_bodies(kind, options, context_id, plans)
        return convert.NODE_PARSERS[kind](bodies), token

    # Edges ---------------------------------------------------------------------------------------------------
    def put_events(self, events: List[Any]) -> None:
        records = [convert.event_record(event) for event in events]
        self.call(lambda: self.engine.put_events(records))

    def events_framed(self, kind: TypeKind, ids: List[int]) -> bytes:
        """The events of these nodes, framed as a repeated field 1: a GetEventsBy*IDsResponse's bytes."""
        if kind == TypeKind.ARTIFACT:
            return self.call(lambda: self.engine.events_by_artifact_ids(ids))
        return self.call(lambda: self.engine.events_by_execution_ids(ids))

    def get_events(self, kind: TypeKind, ids: List[int]) -> List[Any]:
        return convert.parse_events(self.events_framed(kind, ids))

    def put_attributions_and_associations(self, attributions: List[Any], associations: List[Any]) -> None:
        attr_pairs = _link_pairs(attributions, "artifact_id")
        assoc_pairs = _link_pairs(associations, "execution_id")
        self.call(lambda: self.engine.put_attributions_and_associations(attr_pairs, assoc_pairs))

    def put_parent_contexts(self, parent_contexts: List[Any]) -> None:
        edges = [(p.child_id if p.HasField("child_id") else None, p.parent_id if p.HasField("parent_id") else None)
                 for p in parent_contexts]
        self.call(lambda: self.engine.put_parent_contexts(edges))

    def context_bodies_by_node(self, kind: TypeKind, node_id: int) -> List[bytes]:
        if kind == TypeKind.ARTIFACT:
            return self.call(lambda: self.engine.contexts_by_artifact(node_id))
        return self.call(lambda: self.engine.contexts_by_execution(node_id))

    def get_contexts_by_node(self, kind: TypeKind, node_id: int) -> List[Any]:
        return convert.parse_contexts(self.context_bodies_by_node(kind, node_id))

    def related_context_bodies(self, context_id: int, parents: bool) -> List[bytes]:
        if parents:
            return self.call(lambda: self.engine.parent_contexts(context_id))
        return self.call(lambda: self.engine.children_contexts(context_id))

    def get_related_contexts(self, context_id: int, parents: bool) -> List[Any]:
        return convert.parse_contexts(self.related_context_bodies(context_id, parents))

    # Compound writes and lineage -----------------------------------------------------------------------------
    def put_execution(self, execution: Any, pairs: Sequence[ArtifactAndEvent], contexts: List[Any],
                      options: ReuseOptions) -> Tuple[int, List[int], List[int]]:
        execution_record = convert.node_record(TypeKind.EXECUTION, execution)
        pair_records = [(convert.node_record(TypeKind.ARTIFACT, artifact),
                         None if event is None else convert.event_record(event)) for artifact, event in pairs]
        context_records = [convert.node_record(TypeKind.CONTEXT, c) for c in contexts]
        return self.call(lambda: self.engine.put_execution(execution_record, pair_records, context_records, options))

    def put_lineage_subgraph(self, executions: List[Any], artifacts: List[Any], contexts: List[Any],
                             edges: Sequence[EventEdge],
                             options: ReuseOptions) -> Tuple[List[int], List[int], List[int]]:
        execution_records = [convert.node_record(TypeKind.EXECUTION, e) for e in executions]
        artifact_records = [convert.node_record(TypeKind.ARTIFACT, a) for a in artifacts]
        context_records = [convert.node_record(TypeKind.CONTEXT, c) for c in contexts]
        edge_records = [(execution_index, artifact_index, None if event is None else convert.event_record(event))
                        for execution_index, artifact_index, event in edges]
        return self.call(lambda: self.engine.put_lineage_subgraph(
            execution_records, artifact_records, context_records, edge_records, options))

    def lineage_subgraph(self, query_options: pb.LineageSubgraphQueryOptions, fields: frozenset) -> pb.LineageGraph:
        """The walk's LineageGraph with these of its fields filled (convert.subgraph_fields)."""
        query = convert.subgraph_query(query_options)
        result = self.call(lambda: self.engine.lineage_subgraph(query, fields))
        return convert.lineage_graph(result, lambda kind: self.type_view(kind, result.data_version))

    def get_lineage_subgraph(self, query_options: pb.LineageSubgraphQueryOptions,
                             field_mask_paths: Optional[List[str]]) -> pb.LineageGraph:
        return self.lineage_subgraph(query_options, convert.subgraph_fields(field_mask_paths))

    def get_lineage_graph(self, query_options: pb.LineageGraphQueryOptions) -> pb.LineageGraph:
        query = convert.graph_query(query_options)
        return convert.lineage_graph(self.call(lambda: self.engine.lineage_graph(query)), self.type_view)

    def import_records(self, types: List[Tuple[TypeKind, Any]], nodes: Dict[TypeKind, List[Any]], events: List[Any],
                       attributions: List[Any], associations: List[Any], parent_contexts: List[Any]) -> None:
        type_records = []
        for kind, message in types:
            record = convert.type_record(kind, message)
            record.id = message.id if message.HasField("id") else None
            type_records.append(record)
        node_records = {kind: [convert.imported_node(kind, message) for message in messages]
                        for kind, messages in nodes.items()}
        event_records = [convert.event_record(event) for event in events]
        attr_pairs = [(a.context_id, a.artifact_id) for a in attributions]
        assoc_pairs = [(a.context_id, a.execution_id) for a in associations]
        edges = [(p.child_id, p.parent_id) for p in parent_contexts]
        self.call(lambda: self.engine.import_records(type_records, node_records, event_records, attr_pairs,
                                                     assoc_pairs, edges))

    def explain_filter(self, kind: TypeKind, filter_query: str, limit: Optional[int], order_field: int,
                       is_asc: bool) -> str:
        return self.call(lambda: self.engine.explain_filter(kind, filter_query, limit, order_field, is_asc))

    def delete_nodes(self, requested: Dict[TypeKind, List[int]], cascade: bool, orphans: bool,
                     dry_run: bool) -> DeleteResult:
        found = self.call(lambda: self.engine.delete_nodes(requested, cascade, orphans, dry_run))
        return _delete_result(found, dry_run)

    def collect_garbage(self, updated_before: Optional[int], type_names: List[str],
                        keep: List[Tuple[TypeKind, int]], dry_run: bool) -> DeleteResult:
        found = self.call(lambda: self.engine.collect_garbage(updated_before, type_names, keep, dry_run))
        return _delete_result(found, dry_run)
