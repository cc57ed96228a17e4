"""MetadataStoreService's RPCs: request -> the LocalService call the Python API makes -> response.

No rule of the store lives here: each handler reads the request's fields and makes the one LocalService
call that `MetadataStore` would make for them. Handlers that return nodes or events answer with the bytes
the engine stored, framed as the response's repeated field (rowcore.frame): a node is never decoded and
encoded again on its way out. A handler returns a response message or those bytes; `_serialize` sends both.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from fastmlmd.engine import rowcore
from fastmlmd.engine.catalog import TypeKind
from fastmlmd.engine.compound import ReuseOptions
from ml_metadata import _convert as convert
from ml_metadata import errors
from ml_metadata._local import LocalService
from ml_metadata._rpcs import field, response_class, rpc
from ml_metadata.proto import metadata_store_service_pb2 as svc

Handler = Callable[[Any], Any]  # a request message -> a response message or its encoded bytes
KINDS = (TypeKind.ARTIFACT, TypeKind.EXECUTION, TypeKind.CONTEXT)
_TOKEN_FIELD = 2  # next_page_token in every Get<Nodes>Response


def _version(request: Any) -> Optional[str]:
    """A request's type_version as the API passes it: unset and "" both mean the default version."""
    return request.type_version or None


def _token(token: str) -> bytes:
    return rowcore.frame([token.encode("utf-8")], _TOKEN_FIELD) if token else b""


def _type_bodies(records: List[Any], number: int) -> bytes:
    return rowcore.frame([convert.type_message(rec).SerializeToString() for rec in records], number)


def _unimplemented_if(condition: bool, what: str) -> None:
    if condition:
        raise errors.UnimplementedError(f"{what} is not supported by fastmlmd's server")


class Servicer:
    """The handlers of every MetadataStoreService RPC (`handlers` maps RPC name -> handler).

    `stores()` gives the store the calling thread is to use.
    """

    def __init__(self, stores: Callable[[], LocalService]) -> None:
        self._stores = stores
        self.handlers: Dict[str, Handler] = {}
        for kind in KINDS:
            self._add_kind(kind)
        self.handlers.update({
            "PutTypes": self.put_types,
            "GetArtifactsByURI": self.get_artifacts_by_uri,
            "PutEvents": self.put_events,
            "GetEventsByArtifactIDs": lambda r: self.store.events_framed(TypeKind.ARTIFACT, list(r.artifact_ids)),
            "GetEventsByExecutionIDs": lambda r: self.store.events_framed(TypeKind.EXECUTION, list(r.execution_ids)),
            "PutAttributionsAndAssociations": self.put_attributions_and_associations,
            "PutParentContexts": self.put_parent_contexts,
            "GetContextsByArtifact": lambda r: rowcore.frame(
                self.store.context_bodies_by_node(TypeKind.ARTIFACT, r.artifact_id)),
            "GetContextsByExecution": lambda r: rowcore.frame(
                self.store.context_bodies_by_node(TypeKind.EXECUTION, r.execution_id)),
            "GetParentContextsByContext": lambda r: rowcore.frame(
                self.store.related_context_bodies(r.context_id, parents=True)),
            "GetChildrenContextsByContext": lambda r: rowcore.frame(
                self.store.related_context_bodies(r.context_id, parents=False)),
            "GetParentContextsByContexts": lambda r: self._related_by_contexts(r, parents=True),
            "GetChildrenContextsByContexts": lambda r: self._related_by_contexts(r, parents=False),
            "PutExecution": self.put_execution,
            "PutLineageSubgraph": self.put_lineage_subgraph,
            "GetLineageGraph": lambda r: svc.GetLineageGraphResponse(
                subgraph=self.store.get_lineage_graph(r.options)),
            "GetLineageSubgraph": self.get_lineage_subgraph,
        })
        missing = set(svc.DESCRIPTOR.services_by_name["MetadataStoreService"].methods_by_name) - set(self.handlers)
        assert not missing, f"RPCs without a handler: {sorted(missing)}"

    @property
    def store(self) -> LocalService:
        """The store of the thread serving the call (see app.StorePool)."""
        return self._stores()

    def _add_kind(self, kind: TypeKind) -> None:
        """The RPCs each node kind has, under that kind's names."""
        add = self.handlers.__setitem__
        type_field, types_field = field(kind, "{n}_type"), field(kind, "{n}_types")

        def put_type(r: Any) -> Any:
            type_id = self.store.put_type(kind, getattr(r, type_field), r.can_add_fields, r.can_omit_fields)
            return response_class(rpc(kind, "Put{N}Type"))(type_id=type_id)

        def put_nodes(r: Any) -> Any:
            _unimplemented_if(kind == TypeKind.ARTIFACT and r.options.abort_if_latest_updated_time_changed,
                              "PutArtifactsRequest.options.abort_if_latest_updated_time_changed")
            ids = self.store.put_nodes(kind, list(getattr(r, field(kind, "{n}s"))), list(r.update_mask.paths))
            return response_class(rpc(kind, "Put{N}s"))(**{field(kind, "{n}_ids"): ids})

        def by_id(r: Any) -> bytes:
            ids = list(getattr(r, field(kind, "{n}_ids")))
            if kind == TypeKind.ARTIFACT and r.populate_artifact_types:
                bodies, type_records = self.store.artifact_bodies_and_types(ids)
                return rowcore.frame(bodies) + _type_bodies(type_records, 2)
            return rowcore.frame(self.store.node_bodies_by_id(kind, ids))

        def by_type(r: Any) -> bytes:
            _unimplemented_if(r.HasField("options"), f"{rpc(kind, 'Get{N}sByType')} with options (paging)")
            return rowcore.frame(self.store.node_bodies_by_type(kind, r.type_name, _version(r)))

        def by_type_and_name(r: Any) -> bytes:
            body = self.store.node_body_by_type_and_name(kind, r.type_name, getattr(r, field(kind, "{n}_name")),
                                                    _version(r))
            return b"" if body is None else rowcore.frame([body])

        def page(r: Any, context_id: Optional[int] = None) -> bytes:
            bodies, token = self.store.page_bodies(kind, r.options, context_id)
            return rowcore.frame(bodies) + _token(token)

        def type_list(method: str, types: List[Any]) -> Any:
            return response_class(method)(**{types_field: types})

        add(rpc(kind, "Put{N}Type"), put_type)
        add(rpc(kind, "Get{N}Type"), lambda r: response_class(rpc(kind, "Get{N}Type"))(
            **{type_field: self.store.get_type(kind, r.type_name, _version(r))}))
        add(rpc(kind, "Get{N}Types"), lambda r: type_list(rpc(kind, "Get{N}Types"), self.store.get_types(kind)))
        add(rpc(kind, "Get{N}TypesByID"), lambda r: type_list(
            rpc(kind, "Get{N}TypesByID"), self.store.get_types_by_id(kind, list(r.type_ids))))
        add(rpc(kind, "Get{N}TypesByExternalIds"), lambda r: rowcore.frame([
            convert.type_message(rec).SerializeToString()
            for rec in self.store.type_records_by_external_ids(kind, list(r.external_ids))]))
        add(rpc(kind, "Put{N}s"), put_nodes)
        add(rpc(kind, "Get{N}sByID"), by_id)
        add(rpc(kind, "Get{N}s"), page)
        add(rpc(kind, "Get{N}sByType"), by_type)
        add(rpc(kind, "Get{N}ByTypeAndName"), by_type_and_name)
        add(rpc(kind, "Get{N}sByExternalIds"), lambda r: rowcore.frame(
            self.store.node_bodies_by_external_ids(kind, list(r.external_ids))))
        if kind != TypeKind.CONTEXT:
            add(rpc(kind, "Get{N}sByContext"), lambda r: page(r, r.context_id))

    # RPCs without a per-kind family ----------------------------------------------------------------------------
    def put_types(self, r: svc.PutTypesRequest) -> svc.PutTypesResponse:
        requested: List[Tuple[TypeKind, Any]] = [
            (kind, msg) for kind in KINDS for msg in getattr(r, field(kind, "{n}_types"))]
        ids = iter(self.store.put_types(requested, r.can_add_fields, r.can_omit_fields))
        response = svc.PutTypesResponse()
        for kind in KINDS:
            getattr(response, field(kind, "{n}_type_ids")).extend(
                next(ids) for _ in getattr(r, field(kind, "{n}_types")))
        return response

    def get_artifacts_by_uri(self, r: svc.GetArtifactsByURIRequest) -> bytes:
        # The Python API asks for one uri; the RPC takes several: each artifact once, by uri asked then id.
        seen: Dict[bytes, None] = {}
        for uri in dict.fromkeys(r.uris):
            seen.update(dict.fromkeys(self.store.artifact_bodies_by_uri(uri)))
        return rowcore.frame(list(seen))

    def put_events(self, r: svc.PutEventsRequest) -> svc.PutEventsResponse:
        self.store.put_events(list(r.events))
        return svc.PutEventsResponse()

    def put_attributions_and_associations(
            self, r: svc.PutAttributionsAndAssociationsRequest) -> svc.PutAttributionsAndAssociationsResponse:
        self.store.put_attributions_and_associations(list(r.attributions), list(r.associations))
        return svc.PutAttributionsAndAssociationsResponse()

    def put_parent_contexts(self, r: svc.PutParentContextsRequest) -> svc.PutParentContextsResponse:
        self.store.put_parent_contexts(list(r.parent_contexts))
        return svc.PutParentContextsResponse()

    def _related_by_contexts(self, r: Any, parents: bool) -> Any:
        name = "GetParentContextsByContexts" if parents else "GetChildrenContextsByContexts"
        response = response_class(name)()
        inner = "parent_contexts" if parents else "children_contexts"
        for context_id in dict.fromkeys(r.context_ids):
            related = self.store.get_related_contexts(context_id, parents)
            if related:
                getattr(response.contexts[context_id], inner).extend(related)
        return response

    def put_execution(self, r: svc.PutExecutionRequest) -> svc.PutExecutionResponse:
        pairs = [(p.artifact, p.event if p.HasField("event") else None) for p in r.artifact_event_pairs]
        o = r.options
        execution_id, artifact_ids, context_ids = self.store.put_execution(
            r.execution, pairs, list(r.contexts), ReuseOptions(
                reuse_context_if_already_exist=o.reuse_context_if_already_exist,
                reuse_artifact_if_already_exist_by_external_id=o.reuse_artifact_if_already_exist_by_external_id,
                force_reuse_context=o.force_reuse_context, force_update_time=o.force_update_time))
        return svc.PutExecutionResponse(execution_id=execution_id, artifact_ids=artifact_ids, context_ids=context_ids)

    def put_lineage_subgraph(self, r: svc.PutLineageSubgraphRequest) -> svc.PutLineageSubgraphResponse:
        edges = [(e.execution_index if e.HasField("execution_index") else None,
                  e.artifact_index if e.HasField("artifact_index") else None,
                  e.event if e.HasField("event") else None) for e in r.event_edges]
        o = r.options
        execution_ids, artifact_ids, context_ids = self.store.put_lineage_subgraph(
            list(r.executions), list(r.artifacts), list(r.contexts), edges, ReuseOptions(
                reuse_context_if_already_exist=o.reuse_context_if_already_exist,
                reuse_artifact_if_already_exist_by_external_id=o.reuse_artifact_if_already_exist_by_external_id))
        return svc.PutLineageSubgraphResponse(execution_ids=execution_ids, artifact_ids=artifact_ids,
                                              context_ids=context_ids)

    def get_lineage_subgraph(self, r: svc.GetLineageSubgraphRequest) -> svc.GetLineageSubgraphResponse:
        # The read mask as MLMD's server takes it: the LineageGraph fields to fill, all when empty.
        graph = self.store.get_lineage_subgraph(r.lineage_subgraph_query_options, list(r.read_mask.paths) or None)
        return svc.GetLineageSubgraphResponse(lineage_subgraph=graph)
