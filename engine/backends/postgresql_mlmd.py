"""Stores MLMD made on PostgreSQL: found when our backend opens their database, converted in place or by copy.

MLMD 1.17.1 keeps its tables unquoted, so lower case (`type`, `artifact`, `event`, ...), in the connection's
schema; several of those names are ours too. PostgreSQL's DDL is transactional, so the conversion in place is
one transaction: MLMD's tables are moved into a schema of their own (their indexes and id sequences go with
them), ours are created and filled from there, and that schema is dropped before COMMIT. A failure, or the
converting process killed at any point, rolls all of it back: the MLMD store is as it was and still MLMD's,
and the next opening starts the conversion afresh. Moving the tables locks them exclusively, so MLMD's own
writers wait for the conversion and then find the tables gone, rather than write rows it would miss.

What PostgreSQL's MLMD keeps differently from SQLite's: proto values are the raw bytes (bytea), and an event's
path steps are read back in the order they were written (their physical order, `ctid`, as MLMD's own read
finds them).
"""
from __future__ import annotations

import logging
from typing import Any, List, Optional

from .. import errors
from ..db import migrate_to
from ..schema import SCHEMA_VERSION
from . import postgresql_schema
from .mlmd_rows import ServerTables, check_version, copy_rows, is_mlmd_store, read_columns
from .postgresql import POSTGRESQL, PostgreSQLConnection, psycopg
from .sqlite_mlmd_convert import Counts, Progress, StructTypeCodec, log_progress, refuse_unless_converting
from .sqlite_mlmd_source import MLMD_TABLES

LOG = logging.getLogger("fastmlmd.convert")
# Where a conversion in place moves MLMD's tables while it copies them; dropped in the same transaction.
SOURCE_SCHEMA = "fastmlmd_mlmd_source"
# Conversions of one database take turns (a second one then finds the store converted).
_LOCK_KEY = "hashtext('fastmlmd.convert:' || current_database())"


def tables_of(cur: Any, schema: str) -> List[str]:
    return [str(row[0]) for row in cur.execute(
        "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = ?", (schema,))]


def _current_schema(cur: Any) -> str:
    return str(cur.execute("SELECT current_schema()").fetchone()[0])


def source_tables(cur: Any, schema: str) -> ServerTables:
    """MLMD's tables in `schema`, their columns and version.

    Raises:
      errors.FailedPreconditionError: a version the reader does not read.
    """
    names = {table: table.lower() for table in MLMD_TABLES}
    columns = read_columns(cur, schema, names)

    def name(table: str) -> str:
        return f'"{schema}"."{names[table]}"'
    return ServerTables(name=name, columns=columns, version=check_version(cur, name, columns),
                        proto_is_base64=False, path_order="ORDER BY event_id, ctid")


def upgrade_if_mlmd_store(connection: PostgreSQLConnection, enable_upgrade_migration: bool,
                          struct_type: StructTypeCodec, progress: Optional[Progress] = None) -> Optional[Counts]:
    """The opening hook (postgresql.connect's `on_open`): when the database holds an MLMD store, converts it (if
    asked to) or says how to. Anything else is left for the opening to judge.

    Raises:
      errors.FailedPreconditionError: an MLMD store, and `enable_upgrade_migration` is false; or a version or
        layout that cannot be converted.
    """
    cur = connection.cursor()
    try:
        schema = _current_schema(cur)
        if not is_mlmd_store(tables_of(cur, schema)):
            return None
        version = source_tables(cur, schema).version
        refuse_unless_converting(version, False, enable_upgrade_migration)
        counts = convert_in_place(connection, struct_type, progress or log_progress())
    except psycopg.Error as exc:
        connection.rollback()
        raise POSTGRESQL.classify(exc) from exc
    if counts is not None:
        LOG.info("converted the MLMD store in PostgreSQL database %s in place: %d nodes in %.1fs",
                 connection.raw.info.dbname, counts.nodes, counts.seconds)
    return counts


def convert_in_place(connection: PostgreSQLConnection, struct_type: StructTypeCodec,
                     progress: Optional[Progress] = None) -> Optional[Counts]:
    """Converts the MLMD store in the connection's schema into ours, in one transaction (see the module's
    docstring). Returns None when the database holds no MLMD store any more (another process converted it)."""
    cur = connection.cursor()
    cur.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    try:
        cur.execute(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        schema = _current_schema(cur)
        present = tables_of(cur, schema)
        if not is_mlmd_store(present):
            cur.execute("ROLLBACK")
            return None
        cur.execute(f'DROP SCHEMA IF EXISTS "{SOURCE_SCHEMA}" CASCADE')  # none survives a commit; to be sure
        cur.execute(f'CREATE SCHEMA "{SOURCE_SCHEMA}"')
        mlmd_names = {table.lower() for table in MLMD_TABLES}
        for table in present:
            if table in mlmd_names:
                cur.execute(f'ALTER TABLE "{schema}"."{table}" SET SCHEMA "{SOURCE_SCHEMA}"')
        migrate_to(cur, 0, SCHEMA_VERSION)
        counts = copy_rows(cur, cur, source_tables(cur, SOURCE_SCHEMA), struct_type, progress)
        cur.execute(f'DROP SCHEMA "{SOURCE_SCHEMA}" CASCADE')
        cur.execute("COMMIT")
        return counts
    except BaseException:
        connection.rollback()
        raise


def copy_into(write_connection: PostgreSQLConnection, read: Any, src: ServerTables, struct_type: StructTypeCodec,
              progress: Optional[Progress] = None) -> Counts:
    """Copies the MLMD store `src` (read through the cursor `read`, on any backend) into the empty database of
    `write_connection`, in one transaction: an interrupted copy leaves the database as empty as it was.

    Raises:
      errors.FailedPreconditionError: the database holds tables already.
    """
    cur = write_connection.cursor()
    found = [t for t in tables_of(cur, _current_schema(cur)) if t != postgresql_schema.WRITE_LOCK_TABLE]
    if found:
        raise errors.FailedPreconditionError(
            f"the PostgreSQL database {write_connection.raw.info.dbname!r} holds tables already ({sorted(found)}); "
            "the copy goes into a new or empty database")
    cur.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    try:
        migrate_to(cur, 0, SCHEMA_VERSION)
        counts = copy_rows(read, cur, src, struct_type, progress)
        cur.execute("COMMIT")
        return counts
    except BaseException:
        write_connection.rollback()
        raise
