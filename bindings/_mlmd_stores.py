"""Stores made by ml-metadata itself: the opening hook that converts them (or says how), and its protobuf half.

The engine converts (engine/backends/sqlite_mlmd_convert.py, mysql_mlmd.py, postgresql_mlmd.py); this module gives it what only the bindings know, how MLMD's JSON
of an ArtifactStructType becomes the serialized message, and turns its refusal into the error callers catch.
"""
from __future__ import annotations

import contextlib
import json
from typing import Any, Callable, Iterator

from fastmlmd.engine import errors as engine_errors
from fastmlmd.engine.backends.sqlite_mlmd_convert import upgrade_mlmd_file
from google.protobuf import json_format
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2


class MlmdStoreNotConvertedError(errors.FailedPreconditionError, RuntimeError):
    """An MLMD-made store that was not converted: a FailedPreconditionError, and a RuntimeError as every failure
    of MLMD's constructor is (so code written for MLMD that catches RuntimeError still does)."""


def struct_type_from_json(text: str) -> bytes:
    """MLMD's stored form of an execution type's input or output type (JSON) as the serialized message."""
    return json_format.Parse(text, metadata_store_pb2.ArtifactStructType()).SerializeToString()


def struct_type_to_json(serialized: bytes) -> str:
    """A serialized ArtifactStructType as the JSON MLMD stores (compact, field names in camelCase)."""
    message = metadata_store_pb2.ArtifactStructType.FromString(serialized)
    return json.dumps(json_format.MessageToDict(message), separators=(",", ":"))


def convert_if_mlmd_store(filename_uri: str, mode: int, enable_upgrade_migration: bool) -> None:
    """Converts the MLMD store at `filename_uri` in place when `enable_upgrade_migration`; otherwise, for an MLMD
    store, raises MlmdStoreNotConvertedError saying what converting does and how to ask for it."""
    with _as_api_errors():
        upgrade_mlmd_file(filename_uri, mode, enable_upgrade_migration, struct_type_from_json)


def server_hook(backend: str, config: Any, enable_upgrade_migration: bool) -> Callable[[Any], None]:
    """The `on_open` of mysql.connect or postgresql.connect: the same, for the database it opens (`config` is
    the MySQLDatabaseConfig or PostgreSQLDatabaseConfig)."""
    def on_open(connection: Any) -> None:
        with _as_api_errors():
            if backend == "mysql":
                from fastmlmd.engine.backends import mysql_mlmd
                mysql_mlmd.upgrade_if_mlmd_store(connection, enable_upgrade_migration, struct_type_from_json, config)
            else:
                from fastmlmd.engine.backends import postgresql_mlmd
                postgresql_mlmd.upgrade_if_mlmd_store(connection, enable_upgrade_migration, struct_type_from_json)
    return on_open


@contextlib.contextmanager
def _as_api_errors() -> Iterator[None]:
    try:
        yield
    except engine_errors.FailedPreconditionError as exc:
        raise MlmdStoreNotConvertedError(exc.message) from exc
    except engine_errors.StatusError as exc:
        raise errors.make_exception(exc.message, exc.error_code) from exc
