"""A python API to the ML Metadata store, compatible with MLMD 1.17.1's `ml_metadata.metadata_store`.

Every method checks its arguments, then makes one call to what serves the store (ml_metadata/_service.py):
one transaction on fastmlmd's engine in this process, or one RPC to a metadata store server. Signatures,
return types, ordering and error classes follow MLMD's (see docs/mlmd-interface.md §2).
"""
from __future__ import annotations

import enum
import logging
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import attr

from fastmlmd.engine import errors as engine_errors
from fastmlmd.engine.catalog import TypeKind
from fastmlmd.engine.compound import ReuseOptions
from fastmlmd.engine.retry import RetryPolicy
from fastmlmd.engine.store import Engine
from ml_metadata import _args as args
from ml_metadata import errors, proto
from ml_metadata._connect import open_database
from ml_metadata._local import LocalService, public_error
from ml_metadata._service import StoreService
from ml_metadata.metadata_store.delete_result import DeleteResult
from ml_metadata.proto import metadata_store_pb2

# Page size the listing loop asks for, as MLMD's wrapper does.
MAX_NUM_RESULT = 100


@enum.unique
class OrderByField(enum.Enum):
    """Defines the available fields to order results in ListOperations."""

    CREATE_TIME = metadata_store_pb2.ListOperationOptions.OrderByField.Field.CREATE_TIME
    UPDATE_TIME = metadata_store_pb2.ListOperationOptions.OrderByField.Field.LAST_UPDATE_TIME
    ID = metadata_store_pb2.ListOperationOptions.OrderByField.Field.ID


@attr.s(auto_attribs=True)
class ListOptions:
    """Options when listing nodes: `limit` (None or 0 = all), `order_by`, `is_asc` and `filter_query`."""

    limit: Optional[int] = None
    order_by: Optional[OrderByField] = None
    is_asc: bool = True
    filter_query: Optional[str] = None


class ExtraOptions:
    """Accepted by every method for compatibility with MLMD; it changes nothing."""

    def __init__(self, euc=None):  # noqa: ANN001 - MLMD's signature
        del euc


_NODE_CLASSES: Dict[TypeKind, Any] = {TypeKind.ARTIFACT: proto.Artifact, TypeKind.EXECUTION: proto.Execution,
                 TypeKind.CONTEXT: proto.Context}
_TYPE_CLASSES = {TypeKind.ARTIFACT: proto.ArtifactType, TypeKind.EXECUTION: proto.ExecutionType,
                 TypeKind.CONTEXT: proto.ContextType}
# Parameter names, for the messages of argument errors.
_NAME_PARAMS = {kind: f"{kind.name.lower()}_name" for kind in _NODE_CLASSES}
_LIST_PARAMS = {kind: f"{kind.name.lower()}s" for kind in _NODE_CLASSES}
_KINDS_BY_NAME = {kind.name.lower(): kind for kind in _NODE_CLASSES}


def _external_ids(values: Any) -> List[str]:
    """The external ids a lookup asks for (the store refuses an empty one, as MLMD's server does)."""
    return args.texts(values, "external_ids", none_ok=True)


def _listing(list_options: Optional[ListOptions]) -> Tuple[int, bool, str, Optional[int]]:
    """The order field, direction, filter and limit (None: every node) that `list_options` asks for.

    Raises:
      TypeError: `list_options` is not a ListOptions, or a field has the wrong type.
      errors.InvalidArgumentError: `limit` is below 1 (0 and None mean no limit, as in MLMD).
    """
    if list_options is None:
        return OrderByField.ID.value, True, "", None
    if not isinstance(list_options, ListOptions):
        raise TypeError(f"list_options must be a ListOptions, not {type(list_options).__name__}")
    limit = args.integer(list_options.limit, "list_options.limit") if list_options.limit else None
    if limit is not None and limit < 1:
        raise errors.InvalidArgumentError("Invalid list_options.limit value passed. list_options.limit is "
                                          "expected to be greater than 1")
    is_asc = args.flag(list_options.is_asc, "list_options.is_asc", none_ok=False)
    order_field = OrderByField.ID.value
    if list_options.order_by:
        if not isinstance(list_options.order_by, OrderByField):
            raise TypeError(f"list_options.order_by must be an OrderByField, not {type(list_options.order_by).__name__}")
        order_field = list_options.order_by.value
    filter_query = args.text(list_options.filter_query, "list_options.filter_query") if list_options.filter_query else ""
    return order_field, is_asc, filter_query, limit


class MetadataStore:
    """A store for the metadata."""

    def __init__(self, config, enable_upgrade_migration: bool = False):  # noqa: ANN001 - MLMD's signature
        """Opens the store a `proto.ConnectionConfig` names (or a gRPC `proto.MetadataStoreClientConfig`).

        Raises:
          ValueError: config is neither config message, or asks for migration over gRPC.
          RuntimeError: the store cannot be opened (unsupported backend, schema version, unreadable file).
        """
        self._config = config
        self._service: StoreService
        if isinstance(config, proto.ConnectionConfig):
            upgrade = args.flag(enable_upgrade_migration, "enable_upgrade_migration", none_ok=False)
            self._service = LocalService(config, upgrade)
            return
        if not isinstance(config, proto.MetadataStoreClientConfig):
            raise ValueError("MetadataStore is expecting either proto.ConnectionConfig or "
                             "proto.MetadataStoreClientConfig")
        if enable_upgrade_migration:
            raise ValueError("Upgrade migration is not allowed when using gRPC connection client. Upgrade needs "
                             "to be performed on the server side.")
        from ml_metadata._grpc_client import GrpcService  # grpcio is optional: imported only for a server

        self._service = GrpcService(config)

    @property
    def _max_num_retries(self) -> int:
        # MLMD's attribute, which its own tests and some callers read.
        return self._service.max_num_retries

    @property
    def _local(self) -> LocalService:
        """The in-process service, for tests and tools that reach past the API; AttributeError over gRPC."""
        if not isinstance(self._service, LocalService):
            raise AttributeError("this MetadataStore talks to a metadata store server: it has no engine here")
        return self._service

    @property
    def _engine(self) -> Engine:
        return self._local.engine

    @property
    def _retry(self) -> RetryPolicy:
        return self._local.retry

    @property
    def pipeline_asset(self) -> None:
        """Returns None as the pipeline asset."""
        logging.warning("Getting pipeline asset from an ossed metadata store.")
        return None

    # Types ---------------------------------------------------------------------------------------------------
    def _put_type(self, kind: TypeKind, msg: Any, can_add_fields: Any, can_omit_fields: Any) -> int:
        msg = args.message(msg, _TYPE_CLASSES[kind], "type", none_ok=True)
        add = args.flag(can_add_fields, "can_add_fields")
        omit = args.flag(can_omit_fields, "can_omit_fields")
        return self._service.put_type(kind, msg, add, omit)

    def put_artifact_type(self, artifact_type: proto.ArtifactType, can_add_fields: bool = False,
                          can_omit_fields: bool = False, extra_options: Optional[ExtraOptions] = None) -> int:
        """Inserts or updates an artifact type and returns its id (see MLMD's evolution rules)."""
        return self._put_type(TypeKind.ARTIFACT, artifact_type, can_add_fields, can_omit_fields)

    def put_execution_type(self, execution_type: proto.ExecutionType, can_add_fields: bool = False,
                           can_omit_fields: bool = False, extra_options: Optional[ExtraOptions] = None) -> int:
        """Inserts or updates an execution type and returns its id."""
        return self._put_type(TypeKind.EXECUTION, execution_type, can_add_fields, can_omit_fields)

    def put_context_type(self, context_type: proto.ContextType, can_add_fields: bool = False,
                         can_omit_fields: bool = False, extra_options: Optional[ExtraOptions] = None) -> int:
        """Inserts or updates a context type and returns its id."""
        return self._put_type(TypeKind.CONTEXT, context_type, can_add_fields, can_omit_fields)

    def _get_type(self, kind: TypeKind, type_name: str, type_version: Optional[str]) -> Any:
        type_name = args.text(type_name, "type_name")
        type_version = args.optional_text(type_version, "type_version")
        return self._service.get_type(kind, type_name, type_version)

    def get_artifact_type(self, type_name: str, type_version: Optional[str] = None,
                          extra_options: Optional[ExtraOptions] = None) -> proto.ArtifactType:
        """Gets the artifact type (name, version); raises NotFoundError when there is none."""
        return self._get_type(TypeKind.ARTIFACT, type_name, type_version)

    def get_execution_type(self, type_name: str, type_version: Optional[str] = None,
                           extra_options: Optional[ExtraOptions] = None) -> proto.ExecutionType:
        """Gets the execution type (name, version); raises NotFoundError when there is none."""
        return self._get_type(TypeKind.EXECUTION, type_name, type_version)

    def get_context_type(self, type_name: str, type_version: Optional[str] = None,
                         extra_options: Optional[ExtraOptions] = None) -> proto.ContextType:
        """Gets the context type (name, version); raises NotFoundError when there is none."""
        return self._get_type(TypeKind.CONTEXT, type_name, type_version)

    def get_artifact_types(self, extra_options: Optional[ExtraOptions] = None) -> List[proto.ArtifactType]:
        """Gets every user artifact type (all versions), by id."""
        return self._service.get_types(TypeKind.ARTIFACT)

    def get_execution_types(self, extra_options: Optional[ExtraOptions] = None) -> List[proto.ExecutionType]:
        """Gets every user execution type (all versions), by id."""
        return self._service.get_types(TypeKind.EXECUTION)

    def get_context_types(self, extra_options: Optional[ExtraOptions] = None) -> List[proto.ContextType]:
        """Gets every user context type (all versions), by id."""
        return self._service.get_types(TypeKind.CONTEXT)

    def _types_by_id(self, kind: TypeKind, type_ids: Iterable[int]) -> list:
        return self._service.get_types_by_id(kind, args.int64s(type_ids, "type_ids"))

    def get_artifact_types_by_id(self, type_ids: Iterable[int],
                                 extra_options: Optional[ExtraOptions] = None) -> List[proto.ArtifactType]:
        """Gets the artifact types with these ids (unknown ids are skipped)."""
        return self._types_by_id(TypeKind.ARTIFACT, type_ids)

    def get_execution_types_by_id(self, type_ids: Iterable[int],
                                  extra_options: Optional[ExtraOptions] = None) -> List[proto.ExecutionType]:
        """Gets the execution types with these ids (unknown ids are skipped)."""
        return self._types_by_id(TypeKind.EXECUTION, type_ids)

    def get_context_types_by_id(self, type_ids: Iterable[int],
                                extra_options: Optional[ExtraOptions] = None) -> List[proto.ContextType]:
        """Gets the context types with these ids (unknown ids are skipped)."""
        return self._types_by_id(TypeKind.CONTEXT, type_ids)

    def _types_by_external_ids(self, kind: TypeKind, external_ids: Iterable[str]) -> list:
        wanted = _external_ids(external_ids)
        return self._service.get_types_by_external_ids(kind, wanted)

    def get_artifact_types_by_external_ids(self, external_ids: Iterable[str],
                                           extra_options: Optional[ExtraOptions] = None) -> List[proto.ArtifactType]:
        """Gets artifact types by external id; NotFoundError when none matches."""
        return self._types_by_external_ids(TypeKind.ARTIFACT, external_ids)

    def get_execution_types_by_external_ids(
            self, external_ids: Iterable[str],
            extra_options: Optional[ExtraOptions] = None) -> List[proto.ExecutionType]:
        """Gets execution types by external id; NotFoundError when none matches."""
        return self._types_by_external_ids(TypeKind.EXECUTION, external_ids)

    def get_context_types_by_external_ids(self, external_ids: Iterable[str],
                                          extra_options: Optional[ExtraOptions] = None) -> List[proto.ContextType]:
        """Gets context types by external id; NotFoundError when none matches."""
        return self._types_by_external_ids(TypeKind.CONTEXT, external_ids)

    # Nodes ---------------------------------------------------------------------------------------------------
    def _put_nodes(self, kind: TypeKind, messages: Sequence[Any], field_mask_paths: Optional[Sequence[str]]) -> List[int]:
        checked = args.messages(messages, _NODE_CLASSES[kind], _LIST_PARAMS[kind])
        mask = args.texts(field_mask_paths, "field_mask_paths") if field_mask_paths else []
        return self._service.put_nodes(kind, checked, mask)

    def put_artifacts(self, artifacts: Sequence[proto.Artifact], field_mask_paths: Optional[Sequence[str]] = None,
                      extra_options: Optional[ExtraOptions] = None) -> List[int]:
        """Inserts (no id) or updates (id set) artifacts; returns their ids, index-aligned."""
        return self._put_nodes(TypeKind.ARTIFACT, artifacts, field_mask_paths)

    def put_executions(self, executions: Sequence[proto.Execution],
                       field_mask_paths: Optional[Sequence[str]] = None,
                       extra_options: Optional[ExtraOptions] = None) -> List[int]:
        """Inserts or updates executions; returns their ids, index-aligned."""
        return self._put_nodes(TypeKind.EXECUTION, executions, field_mask_paths)

    def put_contexts(self, contexts: Sequence[proto.Context], field_mask_paths: Optional[Sequence[str]] = None,
                     extra_options: Optional[ExtraOptions] = None) -> List[int]:
        """Inserts or updates contexts; returns their ids, index-aligned."""
        return self._put_nodes(TypeKind.CONTEXT, contexts, field_mask_paths)

    def get_artifacts_by_id(self, artifact_ids: Iterable[int],
                            extra_options: Optional[ExtraOptions] = None) -> List[proto.Artifact]:
        """Gets the artifacts with these ids, ascending id; unknown ids are skipped."""
        return self._service.get_nodes_by_id(TypeKind.ARTIFACT, args.int64s(artifact_ids, "artifact_ids"))

    def get_executions_by_id(self, execution_ids: Iterable[int],
                             extra_options: Optional[ExtraOptions] = None) -> List[proto.Execution]:
        """Gets the executions with these ids, ascending id; unknown ids are skipped."""
        return self._service.get_nodes_by_id(TypeKind.EXECUTION, args.int64s(execution_ids, "execution_ids"))

    def get_contexts_by_id(self, context_ids: Iterable[int],
                           extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets the contexts with these ids, ascending id; unknown ids are skipped."""
        return self._service.get_nodes_by_id(TypeKind.CONTEXT, args.int64s(context_ids, "context_ids"))

    def get_artifacts_and_types_by_artifact_ids(
            self, artifact_ids: Iterable[int],
            extra_options: Optional[ExtraOptions] = None) -> Tuple[List[proto.Artifact], List[proto.ArtifactType]]:
        """Gets the artifacts with these ids and the distinct types they use."""
        ids = args.int64s(artifact_ids, "artifact_ids", none_ok=True)
        return self._service.get_artifacts_and_types(ids)

    def _nodes_by_type(self, kind: TypeKind, type_name: str, type_version: Optional[str]) -> list:
        type_name = args.text(type_name, "type_name")
        type_version = args.optional_text(type_version, "type_version")
        return self._service.get_nodes_by_type(kind, type_name, type_version)

    def get_artifacts_by_type(self, type_name: str, type_version: Optional[str] = None,
                              extra_options: Optional[ExtraOptions] = None) -> List[proto.Artifact]:
        """Gets the artifacts of a type; [] when the type does not exist."""
        return self._nodes_by_type(TypeKind.ARTIFACT, type_name, type_version)

    def get_executions_by_type(self, type_name: str, type_version: Optional[str] = None,
                               extra_options: Optional[ExtraOptions] = None) -> List[proto.Execution]:
        """Gets the executions of a type; [] when the type does not exist."""
        return self._nodes_by_type(TypeKind.EXECUTION, type_name, type_version)

    def get_contexts_by_type(self, type_name: str, type_version: Optional[str] = None,
                             extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets the contexts of a type; [] when the type does not exist."""
        return self._nodes_by_type(TypeKind.CONTEXT, type_name, type_version)

    def _node_by_type_and_name(self, kind: TypeKind, type_name: str, node_name: str,
                               type_version: Optional[str]) -> Any:
        type_name = args.text(type_name, "type_name")
        node_name = args.text(node_name, _NAME_PARAMS[kind])
        type_version = args.optional_text(type_version, "type_version")
        return self._service.get_node_by_type_and_name(kind, type_name, node_name, type_version)

    def get_artifact_by_type_and_name(self, type_name: str, artifact_name: str, type_version: Optional[str] = None,
                                      extra_options: Optional[ExtraOptions] = None) -> Optional[proto.Artifact]:
        """Gets the artifact of this type with this name, or None."""
        return self._node_by_type_and_name(TypeKind.ARTIFACT, type_name, artifact_name, type_version)

    def get_execution_by_type_and_name(self, type_name: str, execution_name: str,
                                       type_version: Optional[str] = None,
                                       extra_options: Optional[ExtraOptions] = None) -> Optional[proto.Execution]:
        """Gets the execution of this type with this name, or None."""
        return self._node_by_type_and_name(TypeKind.EXECUTION, type_name, execution_name, type_version)

    def get_context_by_type_and_name(self, type_name: str, context_name: str, type_version: Optional[str] = None,
                                     extra_options: Optional[ExtraOptions] = None) -> Optional[proto.Context]:
        """Gets the context of this type with this name, or None."""
        return self._node_by_type_and_name(TypeKind.CONTEXT, type_name, context_name, type_version)

    def get_artifacts_by_uri(self, uri: str, extra_options: Optional[ExtraOptions] = None) -> List[proto.Artifact]:
        """Gets the artifacts with exactly this uri."""
        return self._service.get_artifacts_by_uri(args.text(uri, "uri"))

    def _by_external_ids(self, kind: TypeKind, external_ids: Iterable[str]) -> list:
        return self._service.get_nodes_by_external_ids(kind, _external_ids(external_ids))

    def get_artifacts_by_external_ids(self, external_ids: Iterable[str],
                                      extra_options: Optional[ExtraOptions] = None) -> List[proto.Artifact]:
        """Gets artifacts by external id: [] for no input, NotFoundError when none matches."""
        return self._by_external_ids(TypeKind.ARTIFACT, external_ids)

    def get_executions_by_external_ids(self, external_ids: Iterable[str],
                                       extra_options: Optional[ExtraOptions] = None) -> List[proto.Execution]:
        """Gets executions by external id: [] for no input, NotFoundError when none matches."""
        return self._by_external_ids(TypeKind.EXECUTION, external_ids)

    def get_contexts_by_external_ids(self, external_ids: Iterable[str],
                                     extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets contexts by external id: [] for no input, NotFoundError when none matches."""
        return self._by_external_ids(TypeKind.CONTEXT, external_ids)

    # Listings ------------------------------------------------------------------------------------------------
    def _list_page(self, kind: TypeKind, options: metadata_store_pb2.ListOperationOptions,
                   context_id: Optional[int] = None, plans: Optional[Dict[str, Any]] = None) -> Tuple[list, str]:
        """One page of nodes and the next page's token ("" after the last), as MLMD's Get<Nodes> RPC answers.

        The listing methods page with it; so does the bench's token paging, which the public API hides.
        `plans`, kept across the pages of one listing, lets them share the filter's access path.
        """
        return self._service.list_page(kind, options, context_id, plans)

    def _list(self, kind: TypeKind, list_options: Optional[ListOptions], context_id: Optional[int] = None) -> list:
        order_field, is_asc, filter_query, limit = _listing(list_options)
        return self._service.list_nodes(kind, order_field, is_asc, filter_query, limit, context_id)

    def get_artifacts(self, list_options: Optional[ListOptions] = None,
                      extra_options: Optional[ExtraOptions] = None) -> List[proto.Artifact]:
        """Gets artifacts, all or as `list_options` orders, limits and filters them."""
        return self._list(TypeKind.ARTIFACT, list_options)

    def get_executions(self, list_options: Optional[ListOptions] = None,
                       extra_options: Optional[ExtraOptions] = None) -> List[proto.Execution]:
        """Gets executions, all or as `list_options` orders, limits and filters them."""
        return self._list(TypeKind.EXECUTION, list_options)

    def get_contexts(self, list_options: Optional[ListOptions] = None,
                     extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets contexts, all or as `list_options` orders, limits and filters them."""
        return self._list(TypeKind.CONTEXT, list_options)

    def get_artifacts_by_context(self, context_id: int, list_options: Optional[ListOptions] = None,
                                 extra_options: Optional[ExtraOptions] = None) -> List[proto.Artifact]:
        """Gets the artifacts attributed to a context; [] for an unknown context."""
        return self._list(TypeKind.ARTIFACT, list_options, args.int64(context_id, "context_id"))

    def get_executions_by_context(self, context_id: int, list_options: Optional[ListOptions] = None,
                                  extra_options: Optional[ExtraOptions] = None) -> List[proto.Execution]:
        """Gets the executions associated with a context, newest first unless `list_options` says otherwise."""
        if list_options is None:
            list_options = ListOptions(order_by=OrderByField.CREATE_TIME, is_asc=False)
        return self._list(TypeKind.EXECUTION, list_options, args.int64(context_id, "context_id"))

    # Edges ---------------------------------------------------------------------------------------------------
    def put_events(self, events: Sequence[proto.Event], extra_options: Optional[ExtraOptions] = None) -> None:
        """Inserts events (each unique per artifact, execution and type)."""
        self._service.put_events(args.messages(events, proto.Event, "events"))

    def get_events_by_execution_ids(self, execution_ids: Iterable[int],
                                    extra_options: Optional[ExtraOptions] = None) -> List[proto.Event]:
        """Gets the events of these executions: by execution id, then in insertion order (as MLMD 1.17.1)."""
        return self._service.get_events(TypeKind.EXECUTION, args.int64s(execution_ids, "execution_ids"))

    def get_events_by_artifact_ids(self, artifact_ids: Iterable[int],
                                   extra_options: Optional[ExtraOptions] = None) -> List[proto.Event]:
        """Gets the events of these artifacts: by artifact id, then execution id and type (as MLMD 1.17.1)."""
        return self._service.get_events(TypeKind.ARTIFACT, args.int64s(artifact_ids, "artifact_ids"))

    def put_attributions_and_associations(self, attributions: Sequence[proto.Attribution],
                                          associations: Sequence[proto.Association],
                                          extra_options: Optional[ExtraOptions] = None) -> None:
        """Links artifacts and executions to contexts; links already present are left as they are."""
        self._service.put_attributions_and_associations(
            args.messages(attributions, proto.Attribution, "attributions"),
            args.messages(associations, proto.Association, "associations"))

    def put_parent_contexts(self, parent_contexts: Sequence[proto.ParentContext],
                            extra_options: Optional[ExtraOptions] = None) -> None:
        """Adds parent-child edges between contexts; cycles and self edges are refused."""
        self._service.put_parent_contexts(args.messages(parent_contexts, proto.ParentContext, "parent_contexts"))

    def get_contexts_by_artifact(self, artifact_id: int,
                                 extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets the contexts an artifact is attributed to; NotFoundError when there are none (as MLMD)."""
        return self._service.get_contexts_by_node(TypeKind.ARTIFACT, args.int64(artifact_id, "artifact_id"))

    def get_contexts_by_execution(self, execution_id: int,
                                  extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets the contexts an execution is associated with; NotFoundError when there are none (as MLMD)."""
        return self._service.get_contexts_by_node(TypeKind.EXECUTION, args.int64(execution_id, "execution_id"))

    def get_parent_contexts_by_context(self, context_id: int,
                                       extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets the parents of a context."""
        return self._service.get_related_contexts(args.int64(context_id, "context_id"), parents=True)

    def get_children_contexts_by_context(self, context_id: int,
                                         extra_options: Optional[ExtraOptions] = None) -> List[proto.Context]:
        """Gets the children of a context."""
        return self._service.get_related_contexts(args.int64(context_id, "context_id"), parents=False)

    # Compound writes -----------------------------------------------------------------------------------------
    def put_execution(
        self,
        execution: proto.Execution,
        artifact_and_events: Sequence[Tuple[proto.Artifact, Optional[proto.Event]]],
        contexts: Optional[Sequence[proto.Context]],
        reuse_context_if_already_exist: bool = False,
        reuse_artifact_if_already_exist_by_external_id: bool = False,
        force_reuse_context: bool = False,
        force_update_time: bool = False,
        extra_options: Optional[ExtraOptions] = None,
    ) -> Tuple[int, List[int], List[int]]:
        """Writes an execution, its artifacts and events, and its contexts, atomically.

        Returns:
          (execution id, artifact ids aligned with `artifact_and_events`, context ids aligned with `contexts`).
        """
        execution = args.message(execution, proto.Execution, "execution", none_ok=True)
        pairs = []
        for i, pair in enumerate(args.iterate(artifact_and_events, "artifact_and_events")):
            if not pair:
                continue  # MLMD skips empty pairs (and None)
            artifact = pair[0]
            if type(artifact) is not proto.Artifact:  # the names are built only for what needs a look
                artifact = args.message(artifact, proto.Artifact, f"artifact_and_events[{i}][0]", none_ok=True)
            # As in MLMD, only a pair carries an event: (artifact,) and longer tuples record none.
            event = pair[1] if len(pair) == 2 else None
            if event is not None and type(event) is not proto.Event:
                event = args.message(event, proto.Event, f"artifact_and_events[{i}][1]", none_ok=True)
            pairs.append((artifact, event))
        checked_contexts = args.messages(contexts, proto.Context, "contexts", none_ok=True)
        options = ReuseOptions(
            reuse_context_if_already_exist=args.flag(reuse_context_if_already_exist, "reuse_context_if_already_exist"),
            reuse_artifact_if_already_exist_by_external_id=args.flag(
                reuse_artifact_if_already_exist_by_external_id, "reuse_artifact_if_already_exist_by_external_id"),
            force_reuse_context=args.flag(force_reuse_context, "force_reuse_context"),
            force_update_time=args.flag(force_update_time, "force_update_time"),
        )
        return self._service.put_execution(execution, pairs, checked_contexts, options)

    def put_lineage_subgraph(
        self,
        executions: Sequence[proto.Execution],
        artifacts: Sequence[proto.Artifact],
        contexts: Sequence[proto.Context],
        event_edges: Sequence[Tuple[Optional[int], Optional[int], proto.Event]],
        reuse_context_if_already_exist: bool = False,
        reuse_artifact_if_already_exist_by_external_id: bool = False,
        extra_options: Optional[ExtraOptions] = None,
    ) -> Tuple[List[int], List[int], List[int]]:
        """Writes executions, artifacts, contexts and the events between them, atomically.

        Returns:
          Three id lists aligned with `executions`, `artifacts` and `contexts`.
        """
        edges = []
        for i, (execution_index, artifact_index, event) in enumerate(args.iterate(event_edges, "event_edges")):
            edges.append((
                None if execution_index is None else args.int32(execution_index, f"event_edges[{i}][0]"),
                None if artifact_index is None else args.int32(artifact_index, f"event_edges[{i}][1]"),
                None if event is None else args.message(event, proto.Event, f"event_edges[{i}][2]", none_ok=True)))
        options = ReuseOptions(
            reuse_context_if_already_exist=args.flag(reuse_context_if_already_exist, "reuse_context_if_already_exist"),
            reuse_artifact_if_already_exist_by_external_id=args.flag(
                reuse_artifact_if_already_exist_by_external_id, "reuse_artifact_if_already_exist_by_external_id"),
        )
        return self._service.put_lineage_subgraph(
            args.messages(executions, proto.Execution, "executions", none_ok=True),
            args.messages(artifacts, proto.Artifact, "artifacts", none_ok=True),
            args.messages(contexts, proto.Context, "contexts", none_ok=True), edges, options)

    def get_lineage_subgraph(
        self,
        query_options: metadata_store_pb2.LineageSubgraphQueryOptions,
        field_mask_paths: Optional[Sequence[str]] = None,
        extra_options: Optional[ExtraOptions] = None,
    ) -> metadata_store_pb2.LineageGraph:
        """Gets the lineage graph around the artifacts or executions a filter selects.

        See docs/mlmd-interface.md §2.10.

        The walk goes breadth-first from up to 101 starting nodes (the first by id; MLMD's cap of 100 lets
        one more through) for `max_num_hops` hops (unset or above 100: 100), following every event, or with
        `direction` UPSTREAM / DOWNSTREAM only events towards producers / consumers; it stops at the nodes
        `ending_artifacts` / `ending_executions` select, which are returned only with
        `include_ending_nodes`. The graph holds the reached nodes (by id), the events the walk went along,
        the contexts of the returned nodes with their attributions and associations, and the types of the
        returned nodes; `parent_contexts` stays empty.

        Args:
          query_options: a `LineageSubgraphQueryOptions`.
          field_mask_paths: LineageGraph fields to fill (None or empty: all). As in MLMD, `*_types` paths
            alone still return types, but next to other paths they need the matching node path too (e.g.
            `artifacts` for `artifact_types`); unknown paths select nothing.
          extra_options: ignored.

        Returns:
          A `LineageGraph`.

        Raises:
          errors.InvalidArgumentError: no starting nodes, an empty or malformed filter, a negative
            `max_num_hops`.
          errors.NotFoundError: no node matches the starting filter.
        """
        query = args.message(query_options, metadata_store_pb2.LineageSubgraphQueryOptions, "query_options",
                             none_ok=True)
        # MLMD's wrapper reads each path's suffix, so only str paths get through.
        paths = args.texts(field_mask_paths, "field_mask_paths", allow_bytes=False) if field_mask_paths else None
        return self._service.get_lineage_subgraph(query, paths)

    def get_lineage_graph(
        self,
        query_options: metadata_store_pb2.LineageGraphQueryOptions,
        extra_options: Optional[ExtraOptions] = None,
    ) -> metadata_store_pb2.LineageGraph:
        """Gets the lineage graph around a page of artifacts: the semantics of MLMD's deprecated GetLineageGraph.

        An addition to MLMD's Python API, which never exposed this gRPC-only query (and whose 1.17.1 server
        answers it with UNIMPLEMENTED); it follows the walk of MLMD's `QueryLineageGraph`:

        * seeds: one page of `query_options.artifacts_options` (a `ListOperationOptions`: filter, order, page
          size, default 20, and next-page token), returned first, in listing order;
        * `stop_conditions.max_num_hops`: hops to walk (unset or negative: 20), following every event;
        * `stop_conditions.boundary_artifacts` / `boundary_executions`: filters; reached nodes failing them
          are left out and not expanded;
        * `max_node_size` (default 20; <= 0: no limit): at most this many artifacts and executions in all
          (the seeds are always returned); where MLMD drops an arbitrary subset of a hop to fit, the lowest
          ids are kept;
        * the graph holds the nodes (seeds, then hop by hop by id), the events to the nodes each hop added,
          and every user type of the store; no contexts or links.

        Args:
          query_options: a `LineageGraphQueryOptions`.
          extra_options: ignored.

        Returns:
          A `LineageGraph`.

        Raises:
          errors.InvalidArgumentError: `artifacts_options` is unset, its page size or order is invalid, or a
            filter is malformed.
          errors.NotFoundError: `artifacts_options` selects no artifact.
        """
        return self._service.get_lineage_graph(
            args.message(query_options, metadata_store_pb2.LineageGraphQueryOptions, "query_options", none_ok=True))

    def import_records(
        self,
        types: Sequence[Any] = (),
        artifacts: Sequence[proto.Artifact] = (),
        executions: Sequence[proto.Execution] = (),
        contexts: Sequence[proto.Context] = (),
        events: Sequence[proto.Event] = (),
        attributions: Sequence[proto.Attribution] = (),
        associations: Sequence[proto.Association] = (),
        parent_contexts: Sequence[proto.ParentContext] = (),
        extra_options: Optional[ExtraOptions] = None,
    ) -> None:
        """Writes records as they are, ids and timestamps kept, in one transaction: how a copy of a store is made.

        An addition to MLMD's API, for `fastmlmd import` and `fastmlmd copy`. Types (ArtifactType,
        ExecutionType or ContextType messages) and nodes keep their `id`; nodes keep
        `create_time_since_epoch` and `last_update_time_since_epoch` (unset: now); events keep
        `milliseconds_since_epoch`. Each record is checked as an insert is; the links must name stored nodes
        or nodes of the same call.

        Raises:
          errors.InvalidArgumentError: a type or node without an id, or a record an insert would refuse.
          errors.AlreadyExistsError: an id, a name or an external_id is already held.
          errors.NotFoundError: a node names a type the store does not have.
        """
        checked_types = []
        for i, message in enumerate(args.iterate(types, "types")):
            kind = next((k for k, cls in _TYPE_CLASSES.items() if isinstance(message, cls)), None)
            if kind is None:
                raise TypeError(f"types[{i}] must be an ArtifactType, ExecutionType or ContextType, not "
                                f"{type(message).__name__}")
            checked_types.append((kind, message))
        checked_nodes = {kind: args.messages(given, _NODE_CLASSES[kind], _LIST_PARAMS[kind])
                         for kind, given in ((TypeKind.ARTIFACT, artifacts), (TypeKind.EXECUTION, executions),
                                             (TypeKind.CONTEXT, contexts))}
        self._service.import_records(
            checked_types, checked_nodes, args.messages(events, proto.Event, "events"),
            args.messages(attributions, proto.Attribution, "attributions"),
            args.messages(associations, proto.Association, "associations"),
            args.messages(parent_contexts, proto.ParentContext, "parent_contexts"))

    def explain_filter(self, kind: str, filter_query: str, list_options: Optional[ListOptions] = None,
                       extra_options: Optional[ExtraOptions] = None) -> str:
        """How the store runs a filter query: the plan of the statement `get_<kind>s(list_options)` runs, in words.

        An addition to MLMD's API. It lists each part of the filter (the node's own columns, and each group
        that joins a context, an event, a property) with the rows the planner estimated and really found,
        the access path chosen (which part drives, which only test each node, or a walk in the listing's
        order) and why, SQLite's plan of the statement, the statement and its parameters, and the rows it reads.

        Args:
          kind: "artifacts", "executions" or "contexts" (or the singular).
          filter_query: the filter, as in `ListOptions.filter_query`.
          list_options: the listing's order and limit (default: by id, ascending, every match); its
            filter_query is not used.
          extra_options: ignored.

        Raises:
          errors.InvalidArgumentError: an unknown kind, or a malformed filter.
        """
        node_kind = _KINDS_BY_NAME.get(args.text(kind, "kind").lower().rstrip("s"))
        if node_kind is None:
            raise errors.InvalidArgumentError(
                f"Unknown kind {kind!r}: explain_filter takes 'artifacts', 'executions' or 'contexts'")
        query = args.text(filter_query, "filter_query")
        order_field, is_asc, _, limit = _listing(list_options)
        return self._service.explain_filter(node_kind, query, limit, order_field, is_asc)

    # Deleting (fastmlmd's addition: MLMD cannot delete) ----------------------------------------------------------
    def delete_artifacts(self, artifact_ids: Sequence[int], cascade: bool = False, delete_orphans: bool = False,
                         dry_run: bool = False, extra_options: Optional[ExtraOptions] = None) -> DeleteResult:
        """Deletes artifacts; see `delete_nodes`."""
        return self.delete_nodes(artifact_ids=artifact_ids, cascade=cascade, delete_orphans=delete_orphans,
                                 dry_run=dry_run)

    def delete_executions(self, execution_ids: Sequence[int], cascade: bool = False, delete_orphans: bool = False,
                          dry_run: bool = False, extra_options: Optional[ExtraOptions] = None) -> DeleteResult:
        """Deletes executions; see `delete_nodes`."""
        return self.delete_nodes(execution_ids=execution_ids, cascade=cascade, delete_orphans=delete_orphans,
                                 dry_run=dry_run)

    def delete_contexts(self, context_ids: Sequence[int], cascade: bool = False, delete_orphans: bool = False,
                        dry_run: bool = False, extra_options: Optional[ExtraOptions] = None) -> DeleteResult:
        """Deletes contexts (never the artifacts and executions in them); see `delete_nodes`."""
        return self.delete_nodes(context_ids=context_ids, cascade=cascade, delete_orphans=delete_orphans,
                                 dry_run=dry_run)

    def delete_nodes(self, artifact_ids: Sequence[int] = (), execution_ids: Sequence[int] = (),
                     context_ids: Sequence[int] = (), cascade: bool = False, delete_orphans: bool = False,
                     dry_run: bool = False, extra_options: Optional[ExtraOptions] = None) -> DeleteResult:
        """Deletes nodes of any kinds in one transaction: all of them, or (on any error) none.

        An addition to MLMD's API. The edges of a node are its events, its attributions or associations,
        and (of a context) its parent and child context links; no edge outlives its nodes:

        * `cascade=False`: a node that has an edge is refused (FailedPreconditionError) and nothing is deleted;
        * `cascade=True`: the nodes' edges are deleted with them. Other nodes stay: deleting a context leaves
          its artifacts and executions, deleting an execution leaves the artifacts it read and wrote;
        * `delete_orphans=True` (with cascade): also deletes the orphans, the nodes that had an edge to a
          deleted node and are left with none (the dataset only a deleted execution read, a parent context
          whose only child is deleted). Their edges are among the deleted ones, so nothing else goes;
        * `dry_run=True`: deletes nothing and returns what would go (read in one transaction, as the delete).

        A deleted node's id is never given to a new node, even after the store is reopened.

        Returns:
          A `DeleteResult`: the ids of the nodes and the edges deleted (or that would be).

        Raises:
          errors.NotFoundError: an id names no stored node.
          errors.FailedPreconditionError: without cascade, a node has edges.
          errors.UnimplementedError: the store is a metadata store server (there is no RPC for it).
        """
        requested = {TypeKind.ARTIFACT: args.int64s(artifact_ids, "artifact_ids", none_ok=True),
                     TypeKind.EXECUTION: args.int64s(execution_ids, "execution_ids", none_ok=True),
                     TypeKind.CONTEXT: args.int64s(context_ids, "context_ids", none_ok=True)}
        cascade = args.flag(cascade, "cascade", none_ok=False)
        orphans = args.flag(delete_orphans, "delete_orphans", none_ok=False)
        return self._service.delete_nodes(requested, cascade, orphans, args.flag(dry_run, "dry_run", none_ok=False))

    def collect_garbage(self, updated_before: Optional[int] = None, type_names: Sequence[str] = (),
                        keep_lineage_of: Sequence[Tuple[str, int]] = (), dry_run: bool = False,
                        extra_options: Optional[ExtraOptions] = None) -> DeleteResult:
        """Deletes old nodes outside the lineage of nodes to keep, with their edges, in one transaction
        (`fastmlmd gc`). An addition to MLMD's API.

        Collected: every artifact, execution and context last updated before `updated_before` (milliseconds
        since the epoch, as `last_update_time_since_epoch`; None: any time) and of a type named in
        `type_names` (any version; empty: any type), unless it is kept. Kept: each node of `keep_lineage_of`
        (("artifact" | "execution" | "context", id) pairs), every artifact and execution upstream and
        downstream of it through events (of a context: of its artifacts and executions), every context
        these belong to, and those contexts' ancestors. The edges of collected nodes go with them (as
        `cascade=True`); nodes not collected stay, even if they lose edges.

        Returns:
          A `DeleteResult` (nothing deleted with `dry_run=True`).

        Raises:
          errors.NotFoundError: a node to keep is not stored.
          errors.InvalidArgumentError: an unknown kind in `keep_lineage_of`.
        """
        before = None if updated_before is None else args.int64(updated_before, "updated_before")
        names = args.texts(type_names, "type_names", none_ok=True)
        keep: List[Tuple[TypeKind, int]] = []
        for i, pair in enumerate(args.iterate(keep_lineage_of, "keep_lineage_of", none_ok=True)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"keep_lineage_of[{i}] must be a (kind, id) pair, not {pair!r}")
            kind = _KINDS_BY_NAME.get(args.text(pair[0], f"keep_lineage_of[{i}][0]").lower().rstrip("s"))
            if kind is None:
                raise errors.InvalidArgumentError(
                    f"Unknown kind {pair[0]!r} in keep_lineage_of[{i}]: use 'artifact', 'execution' or 'context'")
            keep.append((kind, args.int64(pair[1], f"keep_lineage_of[{i}][1]")))
        return self._service.collect_garbage(before, names, keep, args.flag(dry_run, "dry_run", none_ok=False))


def downgrade_schema(config: proto.ConnectionConfig, downgrade_to_schema_version: int) -> None:
    """Downgrades the store's schema to an older version of fastmlmd's schema, in one transaction.

    Raises:
      errors.InvalidArgumentError: the version is negative or not older than this library's.
      RuntimeError: the store cannot be opened or the downgrade fails.
    """
    config = args.message(config, proto.ConnectionConfig, "config")
    version = args.int64(downgrade_to_schema_version, "downgrade_to_schema_version")
    if version < 0:
        raise errors.make_exception("downgrade_to_schema_version not specified", errors.INVALID_ARGUMENT)
    engine = Engine(open_database(config, enable_upgrade_migration=False, prepare_schema=False))
    try:
        RetryPolicy.from_settings().run(lambda: engine.downgrade(version))
    except engine_errors.InvalidArgumentError as exc:
        raise public_error(exc) from exc
    except engine_errors.StatusError as exc:
        raise RuntimeError(f"Downgrade migration failed: {exc.message}") from exc
    finally:
        engine.close()
    logging.info("Downgrade migration was performed. Current schema version: %d", downgrade_to_schema_version)
