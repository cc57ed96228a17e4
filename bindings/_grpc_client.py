"""The gRPC `StoreService`: each call one MetadataStoreService RPC (or, as MLMD's client does, a few).

It speaks the protocol of MLMD's own Python client, request for request, so it works against MLMD's
`metadata_store_server` as well as ours (fastmlmd.server): the same channel options, TLS settings,
per-call deadline (`client_timeout_sec`), 100-node pages for listings, and follow-up reads for the types
of a lineage subgraph. gRPC status codes become the `ml_metadata.errors` class of the same code.

Retries: an RPC that fails with ABORTED (a transaction lost to a concurrent one, as MLMD's client retries)
or UNAVAILABLE (the server is restarting or briefly unreachable) is sent again after a jittered, growing
pause (at most 2 s), never past the call's deadline: ABORTED at most `max_num_retries` times; UNAVAILABLE
as often as the deadline allows when there is one (a restart takes longer than five quick retries), else
`max_num_retries` times too. The channel tries to reconnect at least every 2 s (gRPC's default backoff
grows to 2 minutes), so a restarted server is found within a pause or two.

The server runs each call under the deadline too (fastmlmd.server): a call still running there when it
passes is stopped and rolled back. A write whose connection broke after the server committed it (a crash
between commit and answer) is sent again by the UNAVAILABLE retry, as with any gRPC client that retries.
"""
from __future__ import annotations

import random
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fastmlmd.engine import retry
from fastmlmd.engine.catalog import TypeKind
from fastmlmd.engine.compound import ReuseOptions
from ml_metadata import errors
from ml_metadata._rpcs import SERVICE_NAME, field, request_class, response_class, rpc
from ml_metadata._service import ArtifactAndEvent, EventEdge, StoreService
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

try:
    import grpc
except ImportError:  # the core package works without grpcio; only a client config needs it
    grpc = None

EXTRA_HINT = "install the server extra: pip install 'fastmlmd[server]'"
PAGE_SIZE = 100  # what MLMD's wrapper asks for a page (its MAX_NUM_RESULT)
DEFAULT_MAX_RECEIVE_BYTES = 256 * 1024 * 1024
# How soon a channel whose server went away tries to reconnect: first after 0.2 s, then growing to 2 s (gRPC's
# defaults, 1 s growing to 120 s, would keep a client failing for minutes after a long restart).
RECONNECT_BACKOFF_OPTIONS = (("grpc.initial_reconnect_backoff_ms", 200), ("grpc.max_reconnect_backoff_ms", 2000))
_LINEAGE_PATHS = tuple(f.name for f in pb.LineageGraph.DESCRIPTOR.fields)


def _channel(config: pb.MetadataStoreClientConfig) -> Any:
    """The channel MLMD's client opens for this config: insecure, or TLS with the config's PEM strings."""
    target = f"{config.host}:{config.port}"
    arguments = config.channel_arguments
    # Unset: 256 MiB, where MLMD's client keeps gRPC's 4 MiB, which a page of large nodes passes.
    receive = arguments.max_receive_message_length if arguments.HasField("max_receive_message_length") else \
        DEFAULT_MAX_RECEIVE_BYTES
    options: List[Tuple[str, Any]] = [("grpc.max_receive_message_length", receive), *RECONNECT_BACKOFF_OPTIONS]
    if arguments.HasField("http2_max_ping_strikes"):
        options.append(("grpc.http2.max_ping_strikes", arguments.http2_max_ping_strikes))
    if not config.HasField("ssl_config"):
        return grpc.insecure_channel(target, options=options)
    ssl = config.ssl_config

    def pem(name: str) -> Optional[bytes]:
        return getattr(ssl, name).encode("ascii") if ssl.HasField(name) else None
    # MLMD's field names: server_cert holds the client's own certificate chain.
    credentials = grpc.ssl_channel_credentials(pem("custom_ca"), pem("client_key"), pem("server_cert"))
    return grpc.secure_channel(target, credentials, options=options)


class GrpcService(StoreService):
    """A metadata store server reached over gRPC."""

    RETRIED_CODES = frozenset({errors.ABORTED, errors.UNAVAILABLE})

    def __init__(self, config: pb.MetadataStoreClientConfig) -> None:
        if grpc is None:
            raise RuntimeError(f"Connecting to a metadata store server (MetadataStoreClientConfig) needs grpcio: "
                               f"{EXTRA_HINT}")
        self.max_num_retries = retry.DEFAULT_MAX_NUM_RETRIES
        self._timeout: Optional[float] = config.client_timeout_sec if config.HasField("client_timeout_sec") else None
        self._channel = _channel(config)
        self._methods: Dict[str, Any] = {}

    def close(self) -> None:
        self._channel.close()

    def _method(self, name: str) -> Any:
        method = self._methods.get(name)
        if method is None:
            method = self._channel.unary_unary(
                f"/{SERVICE_NAME}/{name}", request_serializer=request_class(name).SerializeToString,
                response_deserializer=response_class(name).FromString)
            self._methods[name] = method
        return method

    def call(self, name: str, request: Any) -> Any:
        """Sends one RPC, retrying ABORTED and UNAVAILABLE within the deadline; errors leave as ml_metadata's."""
        method = self._method(name)
        end = None if self._timeout is None else time.monotonic() + self._timeout
        retries = 0
        while True:
            timeout = None if end is None else max(0.0, end - time.monotonic())
            try:
                return method(request, timeout=timeout)
            except grpc.RpcError as exc:
                code = exc.code().value[0]
                error = errors.make_exception(exc.details() or f"{name} failed", code)
                budget_applies = code == errors.ABORTED or end is None  # else: UNAVAILABLE, until the deadline
                if code not in self.RETRIED_CODES or (budget_applies and retries >= self.max_num_retries):
                    raise error from exc
                pause = random.uniform(0.0, min(retry.MAX_BACKOFF_SECONDS,
                                                retry.FIRST_BACKOFF_SECONDS * 2 ** min(retries + 1, 16)))
                if end is not None and time.monotonic() + pause >= end:
                    raise error from exc
                retries += 1
                retry.sleep(pause)

    # Types ---------------------------------------------------------------------------------------------------
    def put_type(self, kind: TypeKind, msg: Any, can_add_fields: bool, can_omit_fields: bool) -> int:
        name = rpc(kind, "Put{N}Type")
        request = request_class(name)(can_add_fields=can_add_fields, can_omit_fields=can_omit_fields,
                                      **{field(kind, "{n}_type"): msg})
        return self.call(name, request).type_id

    def get_type(self, kind: TypeKind, name: str, version: Optional[str]) -> Any:
        method = rpc(kind, "Get{N}Type")
        request = request_class(method)(type_name=name)
        if version:
            request.type_version = version
        return getattr(self.call(method, request), field(kind, "{n}_type"))

    def get_types(self, kind: TypeKind) -> List[Any]:
        name = rpc(kind, "Get{N}Types")
        return list(getattr(self.call(name, request_class(name)()), field(kind, "{n}_types")))

    def get_types_by_id(self, kind: TypeKind, type_ids: List[int]) -> List[Any]:
        name = rpc(kind, "Get{N}TypesByID")
        return list(getattr(self.call(name, request_class(name)(type_ids=type_ids)), field(kind, "{n}_types")))

    def get_types_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[Any]:
        name = rpc(kind, "Get{N}TypesByExternalIds")
        response = self.call(name, request_class(name)(external_ids=external_ids))
        return list(getattr(response, field(kind, "{n}_types")))

    # Nodes ---------------------------------------------------------------------------------------------------
    def _nodes(self, kind: TypeKind, pattern: str, **fields: Any) -> List[Any]:
        name = rpc(kind, pattern)
        return list(getattr(self.call(name, request_class(name)(**fields)), field(kind, "{n}s")))

    def put_nodes(self, kind: TypeKind, messages: List[Any], mask: List[str]) -> List[int]:
        name = rpc(kind, "Put{N}s")
        request = request_class(name)(**{field(kind, "{n}s"): messages})
        request.update_mask.paths.extend(mask)
        return list(getattr(self.call(name, request), field(kind, "{n}_ids")))

    def get_nodes_by_id(self, kind: TypeKind, ids: List[int]) -> List[Any]:
        return self._nodes(kind, "Get{N}sByID", **{field(kind, "{n}_ids"): ids})

    def get_artifacts_and_types(self, ids: List[int]) -> Tuple[List[Any], List[Any]]:
        response = self.call("GetArtifactsByID", svc.GetArtifactsByIDRequest(artifact_ids=ids,
                                                                            populate_artifact_types=True))
        return list(response.artifacts), list(response.artifact_types)

    def get_nodes_by_type(self, kind: TypeKind, type_name: str, type_version: Optional[str]) -> List[Any]:
        return self._nodes(kind, "Get{N}sByType", type_name=type_name, type_version=type_version or None)

    def get_node_by_type_and_name(self, kind: TypeKind, type_name: str, node_name: str,
                                  type_version: Optional[str]) -> Optional[Any]:
        name = rpc(kind, "Get{N}ByTypeAndName")
        request = request_class(name)(type_name=type_name, type_version=type_version or None,
                                      **{field(kind, "{n}_name"): node_name})
        response = self.call(name, request)
        found = field(kind, "{n}")
        return getattr(response, found) if response.HasField(found) else None

    def get_artifacts_by_uri(self, uri: str) -> List[Any]:
        return list(self.call("GetArtifactsByURI", svc.GetArtifactsByURIRequest(uris=[uri])).artifacts)

    def get_nodes_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[Any]:
        return self._nodes(kind, "Get{N}sByExternalIds", external_ids=external_ids)

    def _page_request(self, kind: TypeKind, options: pb.ListOperationOptions,
                      context_id: Optional[int]) -> Tuple[str, Any]:
        name = rpc(kind, "Get{N}s" if context_id is None else "Get{N}sByContext")
        request = request_class(name)(options=options)
        if context_id is not None:
            request.context_id = context_id
        return name, request

    def list_nodes(self, kind: TypeKind, order_field: int, is_asc: bool, filter_query: str, limit: Optional[int],
                   context_id: Optional[int]) -> List[Any]:
        # MLMD's wrapper loop: pages of 100 (the last one only as large as the limit still needs).
        options = pb.ListOperationOptions(max_result_size=PAGE_SIZE, filter_query=filter_query or None)
        options.order_by_field.field = order_field  # type: ignore[assignment]
        options.order_by_field.is_asc = is_asc
        name, request = self._page_request(kind, options, context_id)
        plural = field(kind, "{n}s")
        nodes: List[Any] = []
        while True:
            if limit is not None:
                request.options.max_result_size = min(PAGE_SIZE, limit - len(nodes))
            response = self.call(name, request)
            nodes.extend(getattr(response, plural))
            if (limit is not None and len(nodes) >= limit) or not response.next_page_token:
                return nodes
            request.options.next_page_token = response.next_page_token

    def list_page(self, kind: TypeKind, options: pb.ListOperationOptions, context_id: Optional[int] = None,
                  plans: Optional[dict] = None) -> Tuple[List[Any], str]:
        name, request = self._page_request(kind, options, context_id)
        response = self.call(name, request)
        return list(getattr(response, field(kind, "{n}s"))), response.next_page_token

    # Edges ---------------------------------------------------------------------------------------------------
    def put_events(self, events: List[Any]) -> None:
        self.call("PutEvents", svc.PutEventsRequest(events=events))

    def get_events(self, kind: TypeKind, ids: List[int]) -> List[Any]:
        name = rpc(kind, "GetEventsBy{N}IDs")
        return list(self.call(name, request_class(name)(**{field(kind, "{n}_ids"): ids})).events)

    def put_attributions_and_associations(self, attributions: List[Any], associations: List[Any]) -> None:
        self.call("PutAttributionsAndAssociations", svc.PutAttributionsAndAssociationsRequest(
            attributions=attributions, associations=associations))

    def put_parent_contexts(self, parent_contexts: List[Any]) -> None:
        self.call("PutParentContexts", svc.PutParentContextsRequest(parent_contexts=parent_contexts))

    def get_contexts_by_node(self, kind: TypeKind, node_id: int) -> List[Any]:
        name = rpc(kind, "GetContextsBy{N}")
        return list(self.call(name, request_class(name)(**{field(kind, "{n}_id"): node_id})).contexts)

    def get_related_contexts(self, context_id: int, parents: bool) -> List[Any]:
        name = "GetParentContextsByContext" if parents else "GetChildrenContextsByContext"
        return list(self.call(name, request_class(name)(context_id=context_id)).contexts)

    # Compound writes and lineage -----------------------------------------------------------------------------
    def put_execution(self, execution: Any, pairs: Sequence[ArtifactAndEvent], contexts: List[Any],
                      options: ReuseOptions) -> Tuple[int, List[int], List[int]]:
        request = svc.PutExecutionRequest(execution=execution, contexts=contexts, options=svc.PutExecutionRequest.Options(
            reuse_context_if_already_exist=options.reuse_context_if_already_exist,
            reuse_artifact_if_already_exist_by_external_id=options.reuse_artifact_if_already_exist_by_external_id,
            force_reuse_context=options.force_reuse_context, force_update_time=options.force_update_time))
        for artifact, event in pairs:
            request.artifact_event_pairs.add(artifact=artifact, event=event)
        response = self.call("PutExecution", request)
        return response.execution_id, list(response.artifact_ids), list(response.context_ids)

    def put_lineage_subgraph(self, executions: List[Any], artifacts: List[Any], contexts: List[Any],
                             edges: Sequence[EventEdge],
                             options: ReuseOptions) -> Tuple[List[int], List[int], List[int]]:
        request = svc.PutLineageSubgraphRequest(
            executions=executions, artifacts=artifacts, contexts=contexts,
            options=svc.PutLineageSubgraphRequest.Options(
                reuse_context_if_already_exist=options.reuse_context_if_already_exist,
                reuse_artifact_if_already_exist_by_external_id=options.reuse_artifact_if_already_exist_by_external_id))
        for execution_index, artifact_index, event in edges:
            request.event_edges.add(execution_index=execution_index, artifact_index=artifact_index, event=event)
        response = self.call("PutLineageSubgraph", request)
        return list(response.execution_ids), list(response.artifact_ids), list(response.context_ids)

    def get_lineage_subgraph(self, query_options: pb.LineageSubgraphQueryOptions,
                             field_mask_paths: Optional[List[str]]) -> pb.LineageGraph:
        # As MLMD's wrapper: the RPC returns the skeleton (no types), then the nodes and types are read by id.
        paths = list(field_mask_paths) if field_mask_paths else list(_LINEAGE_PATHS)
        request = svc.GetLineageSubgraphRequest(lineage_subgraph_query_options=query_options)
        request.read_mask.paths.extend(p for p in paths if not p.endswith("_types"))
        skeleton = self.call("GetLineageSubgraph", request).lineage_subgraph
        graph = pb.LineageGraph()
        if "artifacts" in paths or "artifact_types" in paths:
            artifacts, artifact_types = self.get_artifacts_and_types([a.id for a in skeleton.artifacts])
            if "artifacts" in paths:
                graph.artifacts.extend(artifacts)
            if "artifact_types" in paths:
                graph.artifact_types.extend(artifact_types)
        for kind, nodes, node_types in ((TypeKind.EXECUTION, graph.executions, graph.execution_types),
                                        (TypeKind.CONTEXT, graph.contexts, graph.context_types)):
            plural = field(kind, "{n}s")
            if plural in paths or field(kind, "{n}_types") in paths:
                found = self.get_nodes_by_id(kind, [n.id for n in getattr(skeleton, plural)])
                if plural in paths:
                    nodes.extend(found)
                if field(kind, "{n}_types") in paths:
                    node_types.extend(self.get_types_by_id(kind, sorted({n.type_id for n in found})))
        for edges in ("events", "associations", "attributions"):
            if edges in paths:
                getattr(graph, edges).extend(getattr(skeleton, edges))
        return graph

    def get_lineage_graph(self, query_options: pb.LineageGraphQueryOptions) -> pb.LineageGraph:
        return self.call("GetLineageGraph", svc.GetLineageGraphRequest(options=query_options)).subgraph

    def import_records(self, types: List[Tuple[TypeKind, Any]], nodes: Dict[TypeKind, List[Any]], events: List[Any],
                       attributions: List[Any], associations: List[Any], parent_contexts: List[Any]) -> None:
        raise errors.UnimplementedError(
            "import_records writes ids and timestamps as given, which MetadataStoreService has no RPC for: import "
            "on the server's host with a ConnectionConfig, or let the store give new ids (fastmlmd import "
            "--remap-ids)")

    def explain_filter(self, kind: TypeKind, filter_query: str, limit: Optional[int], order_field: int,
                       is_asc: bool) -> str:
        raise errors.UnimplementedError(
            "explain_filter reads the store's query plans in-process: open the store with a ConnectionConfig "
            "(MetadataStoreService has no RPC for it)")

    def delete_nodes(self, requested: Dict[TypeKind, List[int]], cascade: bool, orphans: bool,
                     dry_run: bool) -> Any:
        raise errors.UnimplementedError(
            "deleting nodes is fastmlmd's addition, which MetadataStoreService has no RPC for: delete on the "
            "server's host with a ConnectionConfig")

    def collect_garbage(self, updated_before: Optional[int], type_names: List[str],
                        keep: List[Tuple[TypeKind, int]], dry_run: bool) -> Any:
        raise errors.UnimplementedError(
            "collecting nodes is fastmlmd's addition, which MetadataStoreService has no RPC for: run it on the "
            "server's host with a ConnectionConfig")
