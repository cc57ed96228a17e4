"""Module surface, errors module, MetadataStore construction, SQLite modes, schema downgrade (2.1-2.3, 2.11).

For MySQL, PostgreSQL and gRPC only the behaviour against an unreachable server (127.0.0.1, port 1)
is pinned.
"""
from __future__ import annotations

import importlib
import inspect
import os
import pickle
import tempfile
import traceback
from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact_type,
    catch,
    catch_msg,
    errors,
    fake_config,
    mlmd,
    new_store,
    pb,
    show,
)

_ERROR_CONSTANTS = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]
_ERROR_CLASSES = [
    "CancelledError", "UnknownError", "InvalidArgumentError", "DeadlineExceededError",
    "NotFoundError", "AlreadyExistsError", "PermissionDeniedError", "ResourceExhaustedError",
    "FailedPreconditionError", "AbortedError", "OutOfRangeError", "UnimplementedError",
    "InternalError", "UnavailableError", "DataLossError", "UnauthenticatedError"]


def _module(name: str) -> Any:
    return importlib.import_module(name)


# -- package surface ----------------------------------------------------------------------------


def package_version_and_all() -> Json:
    return [mlmd.__version__, list(mlmd.__all__)]


def package_exports() -> Json:
    names = ["MetadataStore", "ListOptions", "OrderByField", "downgrade_schema"]
    store_pkg = _module("ml_metadata.metadata_store")
    return [[hasattr(mlmd, n) for n in names], [getattr(store_pkg, n) is getattr(mlmd, n)
                                                for n in names]]


def wrapper_module_names() -> Json:
    m = _module("ml_metadata.metadata_store.metadata_store")
    return [m.MAX_NUM_RESULT, m.MetadataStore is mlmd.MetadataStore,
            m.ListOptions is mlmd.ListOptions, m.OrderByField is mlmd.OrderByField,
            m.ExtraOptions(euc="x").__class__.__name__]


def proto_package_reexports() -> Json:
    proto = _module("ml_metadata.proto")
    names = ["Artifact", "ArtifactType", "Association", "Attribution", "ConnectionConfig",
             "Context", "ContextType", "Event", "Execution", "ExecutionType", "FakeDatabaseConfig",
             "MetadataStoreClientConfig", "MySQLDatabaseConfig", "ParentContext",
             "SqliteMetadataSourceConfig"]
    return [n for n in names if getattr(proto, n) is not getattr(pb, n)]


def message_full_names() -> Json:
    return [pb.Artifact.DESCRIPTOR.full_name, pb.Event.Path.Step.DESCRIPTOR.full_name,
            pb.Artifact.DESCRIPTOR.file.name, pb.DESCRIPTOR.package]


def mlmd_types_instances() -> Json:
    types = _module("ml_metadata.metadata_store.mlmd_types")
    return [[getattr(types, n)().name, getattr(types, n)().system_type] for n in [
        "Dataset", "Model", "Metrics", "Statistics", "Train", "Transform", "Process", "Evaluate",
        "Deploy"]]


def order_by_field_members() -> Json:
    return [[m.name, m.value] for m in mlmd.OrderByField]


def list_options_shape() -> Json:
    lo = mlmd.ListOptions
    return [repr(lo()), lo(5, mlmd.OrderByField.ID, False, "q") == lo(
        limit=5, order_by=mlmd.OrderByField.ID, is_asc=False, filter_query="q"),
        lo(limit=1) == lo(limit=2)]


def store_method_names() -> Json:
    return sorted(n for n, _ in inspect.getmembers(mlmd.MetadataStore, inspect.isfunction)
                  if not n.startswith("_"))


def every_method_takes_extra_options() -> Json:
    return sorted(n for n, f in inspect.getmembers(mlmd.MetadataStore, inspect.isfunction)
                  if not n.startswith("_") and "extra_options" not in inspect.signature(f).parameters)


def extra_options_accepted_and_ignored() -> Json:
    s = new_store()
    extra = _module("ml_metadata.metadata_store.metadata_store").ExtraOptions()
    tid = s.put_artifact_type(artifact_type("A"), extra_options=extra)
    return [tid, show(s.get_artifact_types(extra_options=extra)),
            show(s.get_artifacts(list_options=None, extra_options=extra))]


def pipeline_asset_is_none() -> Json:
    return new_store().pipeline_asset


# -- errors module ------------------------------------------------------------------------------


def error_constants() -> Json:
    return {name: getattr(errors, name) for name in _ERROR_CONSTANTS}


def error_classes_and_codes() -> Json:
    out = {}
    for name in _ERROR_CLASSES:
        cls = getattr(errors, name)
        exc = cls("m")
        out[name] = [issubclass(cls, errors.StatusError), exc.message, exc.error_code, str(exc)]
    return out


def status_error_base() -> Json:
    exc = errors.StatusError("msg", 9)
    return [issubclass(errors.StatusError, Exception), exc.message, exc.error_code,
            errors.UnknownError("m", 7).error_code]


def exception_type_from_error_code() -> Json:
    return [errors.exception_type_from_error_code(5).__name__,
            errors.exception_type_from_error_code(13).__name__,
            catch(errors.exception_type_from_error_code, 0),
            catch(errors.exception_type_from_error_code, 99)]


def make_exception() -> Json:
    out = []
    for code in [3, 6, 13, 0, 99]:
        exc = errors.make_exception("boom", code)
        out.append([type(exc).__name__, exc.message, exc.error_code])
    return out


def store_errors_carry_codes() -> Json:
    s = new_store()
    try:
        s.get_artifact_type("missing")
    except errors.NotFoundError as exc:
        return [exc.error_code, isinstance(exc, errors.StatusError)]
    return "no error"


def error_classes_are_public() -> Json:
    """Where each class says it lives: logs, reprs and tracebacks show `ml_metadata.errors.<Class>`."""
    out = {}
    for name in ["StatusError"] + _ERROR_CLASSES:
        cls = getattr(errors, name)
        exc = errors.StatusError("m", 9) if name == "StatusError" else cls("m")
        out[name] = [cls.__module__, cls.__qualname__,
                     traceback.format_exception_only(type(exc), exc)[-1].strip()]
    return out


def store_error_is_public() -> Json:
    """An error a store call raises is the public class, however deep in the library it began."""
    s = new_store()
    try:
        s.put_artifacts([pb.Artifact()])
    except errors.StatusError as exc:
        return [type(exc).__module__, type(exc).__name__, isinstance(exc, errors.InvalidArgumentError),
                exc.error_code, exc.message == str(exc),
                traceback.format_exception_only(type(exc), exc)[-1].split(":")[0]]
    return "no error"


def _round_trip(exc: Any) -> Json:
    try:
        back = pickle.loads(pickle.dumps(exc))
    except Exception as error:  # the unpickling itself is what is observed
        return ["error", type(error).__name__]
    return [type(back).__module__, type(back).__name__, back.message, back.error_code, str(back)]


def errors_pickle() -> Json:
    """Each class as Exception pickles it: cls(*args), args being (message,)."""
    return {name: _round_trip(getattr(errors, name)("m")) for name in _ERROR_CLASSES}


def errors_with_codes_pickle() -> Json:
    return [_round_trip(errors.StatusError("m", 9)), _round_trip(errors.UnknownError("m", 7)),
            _round_trip(errors.make_exception("m", 99))]


def store_error_pickles() -> Json:
    s = new_store()
    try:
        s.get_artifact_type("missing")
    except errors.StatusError as exc:
        return _round_trip(exc)
    return "no error"


# -- constructing a MetadataStore ---------------------------------------------------------------


def empty_connection_config() -> Json:
    return catch_msg("Unset", mlmd.MetadataStore, pb.ConnectionConfig())


def wrong_config_type() -> Json:
    return [catch_msg("MetadataStore is expecting either proto.ConnectionConfig or "
                      "proto.MetadataStoreClientConfig", mlmd.MetadataStore, "fake"),
            catch(mlmd.MetadataStore, pb.FakeDatabaseConfig()),
            catch(mlmd.MetadataStore, None)]


def grpc_config_with_upgrade_migration() -> Json:
    return catch_msg("Upgrade migration is not allowed when using gRPC connection client.",
                     mlmd.MetadataStore, pb.MetadataStoreClientConfig(host="127.0.0.1", port=1),
                     enable_upgrade_migration=True)


def grpc_unreachable_server() -> Json:
    def connect_and_call() -> Any:
        store = mlmd.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=1,
                                                                client_timeout_sec=5))
        return store.get_artifact_types()
    return catch(connect_and_call)


def mysql_unreachable_server() -> Json:
    config = pb.ConnectionConfig(mysql=pb.MySQLDatabaseConfig(
        host="127.0.0.1", port=1, database="db", user="u", password="p"))
    return catch(mlmd.MetadataStore, config)


def postgresql_unreachable_server() -> Json:
    config = pb.ConnectionConfig(postgresql=pb.PostgreSQLDatabaseConfig(
        host="127.0.0.1", port="1", dbname="db", user="u", password="p"))
    return catch(mlmd.MetadataStore, config)


def fake_database_stores_are_private() -> Json:
    first, second = new_store(), new_store()
    first.put_artifact_type(artifact_type("A"))
    return [show(second.get_artifact_types()), len(first.get_artifact_types())]


def sqlite_empty_filename_is_in_memory() -> Json:
    config = pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(filename_uri=""))
    first = mlmd.MetadataStore(config)
    first.put_artifact_type(artifact_type("A"))
    return [len(first.get_artifact_types()), show(mlmd.MetadataStore(config).get_artifact_types())]


def retry_options_accepted() -> Json:
    config = fake_config()
    config.retry_options.max_num_retries = 1
    return mlmd.MetadataStore(config).put_artifact_type(artifact_type("A"))


# -- SQLite files -------------------------------------------------------------------------------


def _sqlite(path: str, mode: str | None = None) -> Any:
    src = pb.SqliteMetadataSourceConfig(filename_uri=path)
    if mode:
        src.connection_mode = pb.SqliteMetadataSourceConfig.ConnectionMode.Value(mode)
    return pb.ConnectionConfig(sqlite=src)


def sqlite_missing_file_per_mode() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.db")
        out = [catch_msg("Cannot connect sqlite3 database", mlmd.MetadataStore,
                         _sqlite(path, "READONLY")),
               catch(mlmd.MetadataStore, _sqlite(path, "READWRITE")), os.path.exists(path)]
        mlmd.MetadataStore(_sqlite(path, "READWRITE_OPENCREATE"))
        return out + [os.path.exists(path)]


def sqlite_file_persists_between_stores() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.db")
        mlmd.MetadataStore(_sqlite(path)).put_artifact_type(artifact_type("A"))
        return show(mlmd.MetadataStore(_sqlite(path, "READWRITE")).get_artifact_types())


def sqlite_readonly_rejects_writes() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.db")
        mlmd.MetadataStore(_sqlite(path)).put_artifact_type(artifact_type("A"))
        store = mlmd.MetadataStore(_sqlite(path, "READONLY"))
        return [show(store.get_artifact_types()),
                catch(store.put_artifact_type, artifact_type("B"))]


def sqlite_missing_directory() -> Json:
    with tempfile.TemporaryDirectory() as d:
        return catch(mlmd.MetadataStore, _sqlite(os.path.join(d, "no", "m.db")))


def sqlite_not_a_database() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "junk.db")
        with open(path, "w") as fh:
            fh.write("this is not a database " * 100)
        return catch(mlmd.MetadataStore, _sqlite(path))


# -- downgrade_schema ---------------------------------------------------------------------------


def downgrade_negative_version() -> Json:
    return catch_msg("downgrade_to_schema_version not specified", mlmd.downgrade_schema,
                     fake_config(), -1)


_HOSTILE = {"none": None, "str": "x", "float": 1.5, "nan": float("nan"), "dict": {}, "list": [], "true": True,
            "int_2": 2}


def upgrade_flag_of_wrong_type() -> Json:
    """enable_upgrade_migration goes into a bool field: any integer, nothing else (not even None)."""
    return {name: catch(lambda v: mlmd.MetadataStore(fake_config(), enable_upgrade_migration=v) and "opened", value)
            for name, value in _HOSTILE.items()}


def upgrade_flag_beyond_int64() -> Json:
    return catch(lambda: mlmd.MetadataStore(fake_config(), enable_upgrade_migration=2 ** 63) and "opened")


def downgrade_version_of_wrong_type() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.db")
        mlmd.MetadataStore(_sqlite(path))
        out = {name: catch(mlmd.downgrade_schema, _sqlite(path), value) for name, value in _HOSTILE.items()}
        out["int_2^63"] = catch(mlmd.downgrade_schema, _sqlite(path), 2 ** 63)
        return out


def downgrade_config_of_wrong_type() -> Json:
    return {name: catch(mlmd.downgrade_schema, value, 0)
            for name, value in [("none", None), ("str", "x"), ("dict", {}), ("artifact", pb.Artifact())]}


def downgrade_above_library_version() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.db")
        mlmd.MetadataStore(_sqlite(path))
        return catch_msg("MLMD cannot be downgraded to schema_version: 11", mlmd.downgrade_schema,
                         _sqlite(path), 11)


def downgrade_to_library_version_is_noop() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.db")
        mlmd.MetadataStore(_sqlite(path)).put_artifact_type(artifact_type("A"))
        return [catch(mlmd.downgrade_schema, _sqlite(path), 10),
                catch(lambda: mlmd.MetadataStore(_sqlite(path)).get_artifact_types())]


def downgrade_then_reopen() -> Json:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.db")
        mlmd.MetadataStore(_sqlite(path)).put_artifact_type(artifact_type("A"))
        return [catch(mlmd.downgrade_schema, _sqlite(path), 9),
                catch_msg("MLMD database version 9 is older than library version 10. Schema "
                          "migration is disabled.", mlmd.MetadataStore, _sqlite(path)),
                show(mlmd.MetadataStore(_sqlite(path), enable_upgrade_migration=True)
                     .get_artifact_types())]


def downgrade_empty_or_unset_database() -> Json:
    return [catch_msg("Empty database is given. Downgrade operation is not needed.",
                      mlmd.downgrade_schema, fake_config(), 5),
            catch_msg("Unset", mlmd.downgrade_schema, pb.ConnectionConfig(), 5)]


_VERSION_WHY = ("our library's schema is version 14, MLMD's is 10: version 11 adds the word index that "
                "contains- and suffix-LIKE filters on uri and name seek (engine/backends/sqlite_words.py), version 12 keeps "
                "events in MLMD's order by artifact (engine/backends/sqlite_schema.py), version 13 keeps the highest "
                "deleted id of each node table so that ids are never given again (engine/delete.py), version 14 "
                "holds the servers' search indexes; ")

_MLMD_METHODS = [
    "get_artifact_by_type_and_name", "get_artifact_type", "get_artifact_types",
    "get_artifact_types_by_external_ids", "get_artifact_types_by_id", "get_artifacts",
    "get_artifacts_and_types_by_artifact_ids", "get_artifacts_by_context",
    "get_artifacts_by_external_ids", "get_artifacts_by_id", "get_artifacts_by_type",
    "get_artifacts_by_uri", "get_children_contexts_by_context",
    "get_context_by_type_and_name", "get_context_type", "get_context_types",
    "get_context_types_by_external_ids", "get_context_types_by_id", "get_contexts",
    "get_contexts_by_artifact", "get_contexts_by_execution", "get_contexts_by_external_ids",
    "get_contexts_by_id", "get_contexts_by_type", "get_events_by_artifact_ids",
    "get_events_by_execution_ids", "get_execution_by_type_and_name", "get_execution_type",
    "get_execution_types", "get_execution_types_by_external_ids",
    "get_execution_types_by_id", "get_executions", "get_executions_by_context",
    "get_executions_by_external_ids", "get_executions_by_id", "get_executions_by_type",
    "get_lineage_subgraph", "get_parent_contexts_by_context", "put_artifact_type",
    "put_artifacts", "put_attributions_and_associations", "put_context_type",
    "put_contexts", "put_events", "put_execution", "put_execution_type", "put_executions",
    "put_lineage_subgraph", "put_parent_contexts"]

CASES = [
    Case("package-version-and-all", package_version_and_all, [
        "1.17.1", ["downgrade_schema", "ListOptions", "MetadataStore", "OrderByField"]]),
    Case("package-exports", package_exports, [[True] * 4, [True] * 4]),
    Case("wrapper-module-names", wrapper_module_names, [100, True, True, True, "ExtraOptions"]),
    Case("proto-package-reexports", proto_package_reexports, []),
    Case("message-full-names", message_full_names, [
        "ml_metadata.Artifact", "ml_metadata.Event.Path.Step",
        "ml_metadata/proto/metadata_store.proto", "ml_metadata"]),
    Case("mlmd-types-instances", mlmd_types_instances, [
        ["mlmd.Dataset", 1], ["mlmd.Model", 2], ["mlmd.Metrics", 3], ["mlmd.Statistics", 4],
        ["mlmd.Train", 1], ["mlmd.Transform", 2], ["mlmd.Process", 3], ["mlmd.Evaluate", 4],
        ["mlmd.Deploy", 5]]),
    Case("order-by-field-members", order_by_field_members,
         [["CREATE_TIME", 1], ["UPDATE_TIME", 2], ["ID", 3]]),
    Case("list-options-shape", list_options_shape, [
        "ListOptions(limit=None, order_by=None, is_asc=True, filter_query=None)", True, False]),
    Case("store-method-names", store_method_names, _MLMD_METHODS,
         ours=sorted(_MLMD_METHODS + ["collect_garbage", "delete_artifacts", "delete_contexts", "delete_executions",
                                      "delete_nodes", "explain_filter", "get_lineage_graph", "import_records"]),
         ours_why="get_lineage_graph is our addition: the GetLineageGraph RPC's semantics, which MLMD's Python API "
                  "dropped; explain_filter is our addition: how a filter query runs, in words; import_records is our "
                  "addition: records written with their own ids and timestamps, for `fastmlmd import` and `copy`; "
                  "delete_* and collect_garbage are our additions: MLMD cannot delete (tests/api/test_delete.py)"),
    Case("every-method-takes-extra-options", every_method_takes_extra_options, []),
    Case("extra-options-accepted-and-ignored", extra_options_accepted_and_ignored,
         [10, [{"id": 10, "name": "A"}], []]),
    Case("pipeline-asset-is-none", pipeline_asset_is_none, None),
    Case("error-constants", error_constants, {
        "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
        "NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
        "FAILED_PRECONDITION": 9, "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12,
        "INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15, "UNAUTHENTICATED": 16}),
    Case("error-classes-and-codes", error_classes_and_codes, {
        "CancelledError": [True, "m", 1, "m"], "UnknownError": [True, "m", 2, "m"],
        "InvalidArgumentError": [True, "m", 3, "m"], "DeadlineExceededError": [True, "m", 4, "m"],
        "NotFoundError": [True, "m", 5, "m"], "AlreadyExistsError": [True, "m", 6, "m"],
        "PermissionDeniedError": [True, "m", 7, "m"],
        "ResourceExhaustedError": [True, "m", 8, "m"],
        "FailedPreconditionError": [True, "m", 9, "m"], "AbortedError": [True, "m", 10, "m"],
        "OutOfRangeError": [True, "m", 11, "m"], "UnimplementedError": [True, "m", 12, "m"],
        "InternalError": [True, "m", 13, "m"], "UnavailableError": [True, "m", 14, "m"],
        "DataLossError": [True, "m", 15, "m"], "UnauthenticatedError": [True, "m", 16, "m"]}),
    Case("status-error-base", status_error_base, [True, "msg", 9, 7]),
    Case("exception-type-from-error-code", exception_type_from_error_code, [
        "NotFoundError", "InternalError", ["error", "KeyError"], ["error", "KeyError"]]),
    Case("make-exception", make_exception, [
        ["InvalidArgumentError", "boom", 3], ["AlreadyExistsError", "boom", 6],
        ["InternalError", "boom", 13], ["UnknownError", "boom", 2], ["UnknownError", "boom", 2]]),
    Case("store-errors-carry-codes", store_errors_carry_codes, [5, True]),
    Case("error-classes-are-public", error_classes_are_public, {
        name: ["ml_metadata.errors", name, f"ml_metadata.errors.{name}: m"]
        for name in ["StatusError"] + _ERROR_CLASSES}),
    Case("store-error-is-public", store_error_is_public, [
        "ml_metadata.errors", "InvalidArgumentError", True, 3, True, "ml_metadata.errors.InvalidArgumentError"]),
    Case("errors-pickle", errors_pickle, {
        name: ["ml_metadata.errors", name, "m", code, "m"] for name, code in zip(
            _ERROR_CLASSES, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])}),
    Case("errors-with-codes-pickle", errors_with_codes_pickle,
         [["error", "TypeError"], ["ml_metadata.errors", "UnknownError", "m", 7, "m"],
          ["ml_metadata.errors", "UnknownError", "m", 2, "m"]],
         ours=[["ml_metadata.errors", "StatusError", "m", 9, "m"], ["ml_metadata.errors", "UnknownError", "m", 7, "m"],
               ["ml_metadata.errors", "UnknownError", "m", 2, "m"]],
         ours_why="MLMD's StatusError pickles as StatusError(message), which cannot be unpickled (TypeError: "
                  "missing error_code); ours comes back with its class, message and code"),
    Case("store-error-pickles", store_error_pickles,
         ["ml_metadata.errors", "NotFoundError", "No type found for query, name: `missing`, version: `nullopt`", 5,
          "No type found for query, name: `missing`, version: `nullopt`"]),
    Case("empty-connection-config", empty_connection_config, ["error", "RuntimeError", "Unset"]),
    Case("wrong-config-type", wrong_config_type, [
        ["error", "ValueError", "MetadataStore is expecting either proto.ConnectionConfig or "
                                "proto.MetadataStoreClientConfig"],
        ["error", "ValueError"], ["error", "ValueError"]]),
    Case("grpc-config-with-upgrade-migration", grpc_config_with_upgrade_migration, [
        "error", "ValueError", "Upgrade migration is not allowed when using gRPC connection client."]),
    Case("grpc-unreachable-server", grpc_unreachable_server, ["error", "UnavailableError"]),
    Case("mysql-unreachable-server", mysql_unreachable_server, ["error", "RuntimeError"]),
    Case("postgresql-unreachable-server", postgresql_unreachable_server,
         ["error", "RuntimeError"]),
    Case("fake-database-stores-are-private", fake_database_stores_are_private, [[], 1]),
    Case("sqlite-empty-filename-is-in-memory", sqlite_empty_filename_is_in_memory, [1, []]),
    Case("retry-options-accepted", retry_options_accepted, 10),
    Case("sqlite-missing-file-per-mode", sqlite_missing_file_per_mode, [
        ["error", "RuntimeError", "Cannot connect sqlite3 database"], ["error", "RuntimeError"],
        False, True]),
    Case("sqlite-file-persists-between-stores", sqlite_file_persists_between_stores,
         [{"id": 10, "name": "A"}]),
    Case("sqlite-readonly-rejects-writes", sqlite_readonly_rejects_writes,
         [[{"id": 10, "name": "A"}], ["error", "InternalError"]]),
    Case("sqlite-missing-directory", sqlite_missing_directory, ["error", "RuntimeError"]),
    Case("sqlite-not-a-database", sqlite_not_a_database, ["error", "RuntimeError"]),
    Case("downgrade-negative-version", downgrade_negative_version,
         ["error", "InvalidArgumentError", "downgrade_to_schema_version not specified"]),
    Case("upgrade-flag-of-wrong-type", upgrade_flag_of_wrong_type, {
        "none": ["error", "TypeError"], "str": ["error", "TypeError"], "float": ["error", "TypeError"],
        "nan": ["error", "TypeError"], "dict": ["error", "TypeError"], "list": ["error", "TypeError"],
        "true": "opened", "int_2": "opened"}),
    Case("upgrade-flag-beyond-int64", upgrade_flag_beyond_int64, ["error", "OverflowError"],
         ours=["error", "ValueError"],
         ours_why="protobuf leaks OverflowError for a bool field given an int beyond int64; ours refuses it with "
                  "ValueError, as every other out-of-range integer"),
    Case("downgrade-version-of-wrong-type", downgrade_version_of_wrong_type, {
        "none": ["error", "TypeError"], "str": ["error", "TypeError"], "float": ["error", "TypeError"],
        "nan": ["error", "TypeError"], "dict": ["error", "TypeError"], "list": ["error", "TypeError"],
        "true": None, "int_2": None, "int_2^63": ["error", "ValueError"]}),
    Case("downgrade-config-of-wrong-type", downgrade_config_of_wrong_type, {
        "none": ["error", "AttributeError"], "str": ["error", "AttributeError"], "dict": ["error", "AttributeError"],
        "artifact": ["error", "RuntimeError"]},
         ours={"none": ["error", "TypeError"], "str": ["error", "TypeError"], "dict": ["error", "TypeError"],
               "artifact": ["error", "TypeError"]},
         ours_why="MLMD calls config.SerializeToString() unchecked: AttributeError for a non-message, and another "
                  "message is parsed as an empty ConnectionConfig ('Unset'); ours refuses any non-ConnectionConfig "
                  "with TypeError"),
    Case("downgrade-above-library-version", downgrade_above_library_version,
         ["error", "InvalidArgumentError", "MLMD cannot be downgraded to schema_version: 11"],
         ours=None, ours_why=_VERSION_WHY + "downgrading to 11 steps our schema back to our version 11"),
    # Spec 2.4 says a target >= 10 is rejected; 1.17.1 accepts 10 and does nothing.
    Case("downgrade-to-library-version-is-noop", downgrade_to_library_version_is_noop,
         [None, [{"id": 10, "name": "A"}]],
         ours=[None, ["error", "RuntimeError"]],
         ours_why=_VERSION_WHY + "downgrading to 10 drops the word index, and a version 10 store is then "
                                    "opened only with enable_upgrade_migration, as any older store"),
    Case("downgrade-then-reopen", downgrade_then_reopen, [
        None, ["error", "RuntimeError", "MLMD database version 9 is older than library "
                                        "version 10. Schema migration is disabled."],
        [{"id": 10, "name": "A"}]],
         ours=[None, ["error", "RuntimeError", "MLMD database version 9 is older than library version 14. Schema "
                      "migration is disabled. Please upgrade the database then use the library version; or switch "
                      "to a older library version to use the current database. (MetadataStore(config, "
                      "enable_upgrade_migration=True) upgrades it.)"],
               [{"id": 10, "name": "A"}]],
         ours_why=_VERSION_WHY + "the refusal to open a version 9 store names library version 14"),
    Case("downgrade-empty-or-unset-database", downgrade_empty_or_unset_database, [
        ["error", "RuntimeError", "Empty database is given. Downgrade operation is not needed."],
        ["error", "RuntimeError", "Unset"]]),
]
