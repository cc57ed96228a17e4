"""Turns a `ConnectionConfig` into an engine: SQLite (a file or in memory), MySQL / MariaDB or PostgreSQL."""
from __future__ import annotations

from fastmlmd.engine.backends import sqlite
from fastmlmd.engine.db import Database, open_store
from fastmlmd.engine.store import Engine
from ml_metadata._mlmd_stores import convert_if_mlmd_store, server_hook
from ml_metadata.proto import metadata_store_pb2


def open_database(config: metadata_store_pb2.ConnectionConfig, enable_upgrade_migration: bool,
                  prepare_schema: bool = True) -> Database:
    """Opens the backend the config's `config` oneof names."""
    backend = config.WhichOneof("config")
    if backend in ("fake_database", "sqlite"):
        uri, mode = ("", sqlite.MODE_READWRITE_OPENCREATE) if backend == "fake_database" else (
            config.sqlite.filename_uri, config.sqlite.connection_mode)
        if backend == "sqlite" and prepare_schema:  # a store MLMD made is converted first, or refused as found
            convert_if_mlmd_store(uri, mode, enable_upgrade_migration)
        conn, readonly, in_memory = sqlite.connect(uri, mode)
        return open_store(sqlite.SQLITE, conn, readonly, in_memory, enable_upgrade_migration, prepare_schema, uri)
    if backend == "mysql":
        from fastmlmd.engine.backends import mysql  # its drivers are extras: imported only when asked for

        # A store MLMD made is converted first, or refused as found.
        connection, server = mysql.connect(config.mysql, server_hook("mysql", config.mysql, enable_upgrade_migration)
                                           if prepare_schema else None)
        return open_store(server, connection, False, False, enable_upgrade_migration, prepare_schema,
                          config.mysql.database)
    if backend == "postgresql":
        from fastmlmd.engine.backends import postgresql  # psycopg is an extra: imported only when asked for

        pg_connection, pg_server = postgresql.connect(
            config.postgresql, server_hook("postgresql", config.postgresql, enable_upgrade_migration)
            if prepare_schema else None)
        return open_store(pg_server, pg_connection, False, False, enable_upgrade_migration, prepare_schema,
                          config.postgresql.dbname)
    raise RuntimeError("Unset")  # MLMD's text for a ConnectionConfig with no backend chosen


def connect(config: metadata_store_pb2.ConnectionConfig, enable_upgrade_migration: bool) -> Engine:
    """An engine on the configured store, its schema created or checked."""
    return Engine(open_database(config, enable_upgrade_migration))
