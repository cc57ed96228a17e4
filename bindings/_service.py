"""What serves the public API: the seam between `MetadataStore` and the store it talks to.

`MetadataStore` checks a call's Python arguments, applies MLMD's per-call rules (default orderings, the
(artifact, event) pairs of put_execution, the listing's page loop or one-statement read) and hands the
checked values to a `StoreService`:

* `LocalService` (ml_metadata/_local.py) runs them on the in-process engine, one transaction each;
* `GrpcService` (ml_metadata/_grpc_client.py) sends them as MetadataStoreService requests to a server,
  which answers them with a `LocalService` of its own (fastmlmd.server).

So one API code path serves both. Arguments are already checked (ids are ints, strings are str, messages
are of their class); every failure leaves as an `ml_metadata.errors` class.
"""
from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from fastmlmd.engine.catalog import TypeKind
    from fastmlmd.engine.compound import ReuseOptions
    from ml_metadata.metadata_store.delete_result import DeleteResult
    from ml_metadata.proto import metadata_store_pb2 as pb

# (artifact, event or None): one entry of put_execution's `artifact_and_events`, as the API checked it.
ArtifactAndEvent = Tuple[Any, Optional[Any]]
# (execution index or None, artifact index or None, event or None): one of put_lineage_subgraph's edges.
EventEdge = Tuple[Optional[int], Optional[int], Optional[Any]]


class StoreService(abc.ABC):
    """One method per store operation; each is one call to the store (one transaction, or one RPC)."""

    max_num_retries: int  # the retry budget of aborted calls (MLMD's `_max_num_retries`)

    @abc.abstractmethod
    def close(self) -> None:
        """Releases the connection or channel."""

    # Types ---------------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def put_type(self, kind: TypeKind, msg: Any, can_add_fields: bool, can_omit_fields: bool) -> int:
        """Creates or evolves a type; returns its id."""

    @abc.abstractmethod
    def get_type(self, kind: TypeKind, name: str, version: Optional[str]) -> Any:
        """The type (name, version); NotFoundError when there is none."""

    @abc.abstractmethod
    def get_types(self, kind: TypeKind) -> List[Any]:
        """Every user type of the kind, by id."""

    @abc.abstractmethod
    def get_types_by_id(self, kind: TypeKind, type_ids: List[int]) -> List[Any]:
        """The types with these ids; unknown ids are skipped."""

    @abc.abstractmethod
    def get_types_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[Any]:
        """The types with these external ids; NotFoundError when none matches."""

    # Nodes ---------------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def put_nodes(self, kind: TypeKind, messages: List[Any], mask: List[str]) -> List[int]:
        """Inserts or updates nodes (with a field mask); returns their ids, index-aligned."""

    @abc.abstractmethod
    def get_nodes_by_id(self, kind: TypeKind, ids: List[int]) -> List[Any]:
        """The nodes with these ids, ascending id."""

    @abc.abstractmethod
    def get_artifacts_and_types(self, ids: List[int]) -> Tuple[List[Any], List[Any]]:
        """The artifacts with these ids and the distinct types they use."""

    @abc.abstractmethod
    def get_nodes_by_type(self, kind: TypeKind, type_name: str, type_version: Optional[str]) -> List[Any]:
        """Every node of the type."""

    @abc.abstractmethod
    def get_node_by_type_and_name(self, kind: TypeKind, type_name: str, node_name: str,
                                  type_version: Optional[str]) -> Optional[Any]:
        """The node of the type with the name, or None."""

    @abc.abstractmethod
    def get_artifacts_by_uri(self, uri: str) -> List[Any]:
        """The artifacts with exactly this uri."""

    @abc.abstractmethod
    def get_nodes_by_external_ids(self, kind: TypeKind, external_ids: List[str]) -> List[Any]:
        """The nodes with these external ids; NotFoundError when none matches."""

    @abc.abstractmethod
    def list_nodes(self, kind: TypeKind, order_field: int, is_asc: bool, filter_query: str, limit: Optional[int],
                   context_id: Optional[int]) -> List[Any]:
        """A whole listing (or its first `limit` nodes) in the order asked, filtered and context-scoped."""

    @abc.abstractmethod
    def list_page(self, kind: TypeKind, options: pb.ListOperationOptions, context_id: Optional[int] = None,
                  plans: Optional[dict] = None) -> Tuple[List[Any], str]:
        """One page of a listing, as the Get<Nodes> RPCs answer: the nodes and the next page's token."""

    # Edges ---------------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def put_events(self, events: List[Any]) -> None:
        """Inserts events."""

    @abc.abstractmethod
    def get_events(self, kind: TypeKind, ids: List[int]) -> List[Any]:
        """The events of these artifacts (kind ARTIFACT) or executions (kind EXECUTION)."""

    @abc.abstractmethod
    def put_attributions_and_associations(self, attributions: List[Any], associations: List[Any]) -> None:
        """Links artifacts and executions to contexts."""

    @abc.abstractmethod
    def put_parent_contexts(self, parent_contexts: List[Any]) -> None:
        """Adds parent-child edges between contexts."""

    @abc.abstractmethod
    def get_contexts_by_node(self, kind: TypeKind, node_id: int) -> List[Any]:
        """The contexts an artifact (kind ARTIFACT) or execution (kind EXECUTION) is linked to."""

    @abc.abstractmethod
    def get_related_contexts(self, context_id: int, parents: bool) -> List[Any]:
        """The parents (or children) of a context."""

    # Compound writes and lineage -----------------------------------------------------------------------------
    @abc.abstractmethod
    def put_execution(self, execution: Any, pairs: Sequence[ArtifactAndEvent], contexts: List[Any],
                      options: ReuseOptions) -> Tuple[int, List[int], List[int]]:
        """Writes an execution, its artifacts and events, and its contexts, atomically."""

    @abc.abstractmethod
    def put_lineage_subgraph(self, executions: List[Any], artifacts: List[Any], contexts: List[Any],
                             edges: Sequence[EventEdge],
                             options: ReuseOptions) -> Tuple[List[int], List[int], List[int]]:
        """Writes nodes and the events between them, atomically."""

    @abc.abstractmethod
    def get_lineage_subgraph(self, query_options: pb.LineageSubgraphQueryOptions,
                             field_mask_paths: Optional[List[str]]) -> pb.LineageGraph:
        """GetLineageSubgraph, with the Python API's field mask (see MetadataStore.get_lineage_subgraph)."""

    @abc.abstractmethod
    def get_lineage_graph(self, query_options: pb.LineageGraphQueryOptions) -> pb.LineageGraph:
        """GetLineageGraph."""

    @abc.abstractmethod
    def import_records(self, types: List[Tuple[TypeKind, Any]], nodes: Dict[TypeKind, List[Any]], events: List[Any],
                       attributions: List[Any], associations: List[Any], parent_contexts: List[Any]) -> None:
        """Writes records with their own ids and timestamps, in one transaction (fastmlmd's addition)."""

    @abc.abstractmethod
    def explain_filter(self, kind: TypeKind, filter_query: str, limit: Optional[int], order_field: int,
                       is_asc: bool) -> str:
        """The plan of a filtered listing, in words (fastmlmd's addition; in-process only)."""

    @abc.abstractmethod
    def delete_nodes(self, requested: Dict[TypeKind, List[int]], cascade: bool, orphans: bool,
                     dry_run: bool) -> DeleteResult:
        """Deletes nodes (with their edges when `cascade`, and the orphans they leave when `orphans`) in one
        transaction, or with `dry_run` only says what would go (fastmlmd's addition; in-process only)."""

    @abc.abstractmethod
    def collect_garbage(self, updated_before: Optional[int], type_names: List[str],
                        keep: List[Tuple[TypeKind, int]], dry_run: bool) -> DeleteResult:
        """Deletes the nodes `fastmlmd gc` selects (engine/delete.py `collect`) with their edges, in one
        transaction (fastmlmd's addition; in-process only)."""
