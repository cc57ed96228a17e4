"""Our PostgreSQL schema: the statements of every schema version (engine/schema.py), in PostgreSQL's dialect.

The same tables, columns and keys as the SQLite schema (sqlite_schema.py), with these differences:

- Integers are BIGINT (full int64 values), doubles DOUBLE PRECISION (which keeps infinities and NaN), bodies
  and blobs BYTEA.
- Text columns are TEXT COLLATE "C": names, uris and values compare and sort byte for byte (UTF-8's byte
  order is code point order), as SQLite's BINARY collation does, whatever the database's own collation.
  PostgreSQL's TEXT cannot hold NUL: a string holding one is refused (PostgreSQLBackend.classify).
- Index names are global to a schema in PostgreSQL, so the event table of version 12 is built under another
  name and renamed into place, and its primary key is named.
- The word index (version 11) is SQLite's FTS5: here that version adds nothing; version 14's trigram
  indexes serve LIKE on uri and names instead.
- `fastmlmd_write_lock` holds the one row that writers lock at BEGIN (PostgreSQLBackend.write_lock),
  counting the writes as they take it (PostgreSQLBackend.data_version). It is the backend's own, made when it
  connects, and no schema version has it.
"""
from __future__ import annotations

from typing import Tuple

from ..catalog import BUILTIN_TYPES
from ..schema import HIGH_WATER_ROWS, HIGH_WATER_TABLE, SCHEMA_VERSION, Migration

TEXT = 'TEXT COLLATE "C"'
NODE_TABLES = ("type", "type_property", "artifact", "artifact_property", "execution", "execution_property",
               "context", "context_property", "event", "attribution", "association", "parent_context")
WRITE_LOCK_TABLE = "fastmlmd_write_lock"


def _node_tables(table: str, extra_columns: str) -> Tuple[str, ...]:
    return (
        f"""CREATE TABLE {table} (
            id BIGINT NOT NULL PRIMARY KEY,
            type_id BIGINT NOT NULL,
            {extra_columns}
            name {TEXT},
            external_id {TEXT},
            create_time BIGINT NOT NULL,
            update_time BIGINT NOT NULL,
            body BYTEA NOT NULL
        )""",
        f"CREATE UNIQUE INDEX {table}_type_name ON {table}(type_id, name)",
        f"CREATE UNIQUE INDEX {table}_external_id ON {table}(external_id) WHERE external_id IS NOT NULL",
        f"CREATE INDEX {table}_name ON {table}(name)",
        f"CREATE INDEX {table}_create_time ON {table}(create_time, id)",
        f"CREATE INDEX {table}_update_time ON {table}(update_time, id)",
        f"""CREATE TABLE {table}_property (
            node_id BIGINT NOT NULL,
            is_custom BIGINT NOT NULL,
            name {TEXT} NOT NULL,
            kind BIGINT NOT NULL,
            int_value BIGINT,
            double_value DOUBLE PRECISION,
            string_value {TEXT},
            bool_value BIGINT,
            blob_value BYTEA,
            PRIMARY KEY (node_id, is_custom, name)
        )""",
    )


_V1_EVENT_TABLE = """CREATE TABLE {table} (
        id BIGINT NOT NULL PRIMARY KEY,
        artifact_id BIGINT NOT NULL,
        execution_id BIGINT NOT NULL,
        type BIGINT NOT NULL,
        milliseconds_since_epoch BIGINT,
        body BYTEA NOT NULL
    )"""
_V1_EVENT_INDEXES = (
    "CREATE UNIQUE INDEX event_identity ON event(artifact_id, execution_id, type)",
    "CREATE INDEX event_execution ON event(execution_id, artifact_id)",
)
_V1_TABLES = (
    f"""CREATE TABLE type (
        id BIGINT NOT NULL PRIMARY KEY,
        kind BIGINT NOT NULL,
        name {TEXT} NOT NULL,
        version {TEXT},
        description {TEXT},
        external_id {TEXT},
        base_type BIGINT,
        input_type BYTEA,
        output_type BYTEA,
        is_builtin BIGINT NOT NULL DEFAULT 0
    )""",
    # Identity of a type is (kind, name, version); NULL and "" versions are the same unversioned type.
    "CREATE UNIQUE INDEX type_identity ON type(kind, name, COALESCE(version, ''))",
    "CREATE UNIQUE INDEX type_external_id ON type(external_id) WHERE external_id IS NOT NULL",
    f"""CREATE TABLE type_property (
        type_id BIGINT NOT NULL,
        name {TEXT} NOT NULL,
        data_type BIGINT NOT NULL,
        PRIMARY KEY (type_id, name)
    )""",
    *_node_tables("artifact", f"uri {TEXT} NOT NULL DEFAULT '', state BIGINT,"),
    "CREATE INDEX artifact_uri ON artifact(uri)",
    *_node_tables("execution", "last_known_state BIGINT,"),
    *_node_tables("context", ""),
    _V1_EVENT_TABLE.format(table="event"),
    *_V1_EVENT_INDEXES,
    """CREATE TABLE attribution (
        context_id BIGINT NOT NULL,
        artifact_id BIGINT NOT NULL,
        PRIMARY KEY (context_id, artifact_id)
    )""",
    "CREATE INDEX attribution_artifact ON attribution(artifact_id, context_id)",
    """CREATE TABLE association (
        context_id BIGINT NOT NULL,
        execution_id BIGINT NOT NULL,
        PRIMARY KEY (context_id, execution_id)
    )""",
    "CREATE INDEX association_execution ON association(execution_id, context_id)",
    """CREATE TABLE parent_context (
        child_id BIGINT NOT NULL,
        parent_id BIGINT NOT NULL,
        PRIMARY KEY (child_id, parent_id)
    )""",
    "CREATE INDEX parent_context_parent ON parent_context(parent_id, child_id)",
    *(
        f"INSERT INTO type (id, kind, name, is_builtin) VALUES ({type_id}, {int(kind)}, '{name}', 1)"
        for type_id, kind, name in BUILTIN_TYPES
    ),
)


def _property_value_indexes() -> Tuple[str, ...]:
    return tuple(
        f"CREATE INDEX {table}_property_{column} ON {table}_property(name, is_custom, {column}, node_id)"
        f" WHERE {column} IS NOT NULL"
        for table in ("artifact", "execution", "context")
        for column in ("int_value", "double_value", "string_value", "bool_value"))


def _drop_indexes(statements: Tuple[str, ...]) -> Tuple[str, ...]:
    return tuple(f"DROP INDEX {stmt.split(' INDEX ', 1)[1].split()[0]}" for stmt in statements)


_V2_EVENT_TYPE_INDEX = "CREATE INDEX event_type ON event(type, artifact_id, execution_id)"
_V2_INDEXES = _property_value_indexes() + (_V2_EVENT_TYPE_INDEX,)

_V12_EVENT_TABLE = """CREATE TABLE {table} (
        artifact_id BIGINT NOT NULL,
        execution_id BIGINT NOT NULL,
        type BIGINT NOT NULL,
        id BIGINT NOT NULL,
        milliseconds_since_epoch BIGINT,
        body BYTEA NOT NULL,
        CONSTRAINT event_by_artifact PRIMARY KEY (artifact_id, execution_id, type)
    )"""
_V12_EVENT_INDEXES = (
    "CREATE UNIQUE INDEX event_id ON event(id)",
    "CREATE INDEX event_execution ON event(execution_id, id)",
    _V2_EVENT_TYPE_INDEX,
)
_EVENT_COLUMNS = "id, artifact_id, execution_id, type, milliseconds_since_epoch, body"


def _rebuild_events(table: str, indexes: Tuple[str, ...]) -> Tuple[str, ...]:
    # Built beside the old table and renamed into place: the old table's indexes go with it when it is dropped,
    # before the new ones take their names.
    return (table.format(table="event_after"),
            f"INSERT INTO event_after ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM event",
            "DROP TABLE event",
            "ALTER TABLE event_after RENAME TO event",
            *indexes)


_V13_HIGH_WATER = (
    f"""CREATE TABLE {HIGH_WATER_TABLE} (
        node_table {TEXT} NOT NULL PRIMARY KEY,
        deleted_to BIGINT NOT NULL
    )""",
    *HIGH_WATER_ROWS,
)

# Version 14: trigram indexes (pg_trgm's GIN operator class) that LIKE filters on uri and names seek, for a
# contains- or suffix- pattern as for a prefix: filters render LIKE as ILIKE (postgresql.py), which a B-tree
# cannot seek where the prefix holds a letter, and gin_trgm_ops serves both. pg_trgm is a trusted extension,
# which any user who may create objects in the database may add; where it cannot be added (no privilege, not
# installed) the version adds nothing and those filters scan, as before (PostgreSQLBackend.check_schema
# says so when it opens such a store). New rows wait in each index's pending list until it holds 64 kB (the
# least PostgreSQL takes; 4 MB by default): every search reads the whole list, so at 4 MB a LIKE cost 2 ms of
# server time instead of 0.5, and with no list (fastupdate off) each insert of a uri's ~40 trigrams into the
# tree doubled a fill of artifacts; at 64 kB a fill costs 20% more CPU than without the indexes (4 of them:
# the uri's, 15%; the names', 5%), put_execution no measurable more.
TRIGRAM_EXTENSION = "pg_trgm"
TRIGRAM_COLUMNS = (("artifact", "uri"), ("artifact", "name"), ("execution", "name"), ("context", "name"))


def trigram_index(table: str, column: str) -> str:
    return f"{table}_{column}_trigrams"


_V14_SEARCH_INDEXES: Tuple[str, ...] = (
    f"""DO $$
    BEGIN
        CREATE EXTENSION IF NOT EXISTS {TRIGRAM_EXTENSION};
    EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
        RAISE NOTICE 'fastmlmd: no trigram indexes (%): LIKE filters on uri and names scan', SQLERRM;
    END $$""",
    # The operator class named in the extension's schema, which may be off the search path.
    f"""DO $$
    DECLARE
        trgm_schema name := (SELECT s.nspname FROM pg_extension e JOIN pg_namespace s ON s.oid = e.extnamespace
                              WHERE e.extname = '{TRIGRAM_EXTENSION}');
    BEGIN
        IF trgm_schema IS NOT NULL THEN
            {"".join(
                f"EXECUTE format('CREATE INDEX {trigram_index(table, column)} ON {table} USING gin "
                f"({column} %I.gin_trgm_ops) WITH (fastupdate = on, gin_pending_list_limit = 64)', trgm_schema);"
                for table, column in TRIGRAM_COLUMNS)}
        END IF;
    END $$""",
)
# The extension stays: other objects of the database may use it.
_V14_DROP_SEARCH_INDEXES = tuple(f"DROP INDEX IF EXISTS {trigram_index(table, column)}"
                                 for table, column in TRIGRAM_COLUMNS)

MIGRATIONS: Tuple[Migration, ...] = (
    Migration(9, "types, nodes with encoded bodies, properties, events, links", _V1_TABLES,
              tuple(f"DROP TABLE {t}" for t in NODE_TABLES)),
    Migration(10, "indexes for filter queries on property values and event types", _V2_INDEXES,
              _drop_indexes(_V2_INDEXES)),
    Migration(11, "word indexes (SQLite's FTS5; none here)", (), (), builds_word_index=True),
    Migration(12, "events keyed by artifact", _rebuild_events(_V12_EVENT_TABLE, _V12_EVENT_INDEXES),
              _rebuild_events(_V1_EVENT_TABLE, (*_V1_EVENT_INDEXES, _V2_EVENT_TYPE_INDEX))),
    Migration(13, "the highest id deleted from each node table", _V13_HIGH_WATER, (f"DROP TABLE {HIGH_WATER_TABLE}",)),
    Migration(14, "trigram indexes for LIKE filters on uri and names", _V14_SEARCH_INDEXES,
              _V14_DROP_SEARCH_INDEXES),
)
assert MIGRATIONS[-1].version == SCHEMA_VERSION, "the PostgreSQL schema ends at another version"
TABLES = (*NODE_TABLES, HIGH_WATER_TABLE)
WRITE_LOCK_STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {WRITE_LOCK_TABLE} (id BIGINT NOT NULL PRIMARY KEY, writes BIGINT NOT NULL)",
    f"INSERT INTO {WRITE_LOCK_TABLE} (id, writes) VALUES (1, 0) ON CONFLICT DO NOTHING")
