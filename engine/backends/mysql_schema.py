"""Our MySQL / MariaDB schema: the statements of every schema version (engine/schema.py), in MySQL's dialect.

The same tables, columns and keys as the SQLite schema (sqlite_schema.py), with these differences:

- Text columns are utf8mb4 with a binary collation that does not pad (`utf8mb4_nopad_bin` on MariaDB): names,
  uris and values compare byte for byte, trailing spaces and case included, as on SQLite. Columns that a
  unique key holds are VARCHARs within InnoDB's 3,072-byte key; uris are TEXT, indexed by a prefix.
- SQLite's partial indexes (`WHERE x IS NOT NULL`) are plain ones: a UNIQUE index holds any number of NULLs.
- A type's identity (kind, name, version or '') is unique through a stored generated column: MariaDB has no
  index on an expression.
- The word index (version 11) is a table of (word, node id) pairs a node kind, not FTS5 (mysql_words.py).
  Version 14 stores each uri and name with its ASCII letters lowered, indexed: LIKE matches those (a prefix
  seeks; a contains-LIKE seeks the word index, or scans them where the pattern names no word).
- The covering index of an execution's events cannot hold the bodies (a BLOB): it holds their ids.
- `fastmlmd_write_lock` holds the one row that writers lock at BEGIN (MySQLBackend.write_lock), counting the
  writes as they take it (MySQLBackend.data_version). It is the backend's own, made when it connects (the first
  migration takes the lock too), and no schema version has it.
"""
from __future__ import annotations

from typing import Tuple

from ..catalog import BUILTIN_TYPES, LAYOUTS, WORD_INDEX_MARKS, WORD_TABLES
from ..schema import HIGH_WATER_ROWS, HIGH_WATER_TABLE, SCHEMA_VERSION, Migration

TEXT = "CHARACTER SET utf8mb4 COLLATE {collation}"
# Column types, by what they hold. {text} is the text column suffix with the server's no-pad binary collation.
NAME = "VARCHAR(700) {text}"  # node names and external ids: unique keys, within InnoDB's key size
TYPE_NAME = "VARCHAR(500) {text}"  # with the kind and the version in one unique key
VERSION = "VARCHAR(255) {text}"
PROPERTY_NAME = "VARCHAR(255) {text}"  # with a string value prefix in the property value index
LONG_TEXT = "LONGTEXT {text}"
TABLE_OPTIONS = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"


def _node_tables(table: str, extra_columns: str) -> Tuple[str, ...]:
    return (
        f"""CREATE TABLE {table} (
            id BIGINT NOT NULL PRIMARY KEY,
            type_id BIGINT NOT NULL,
            {extra_columns}
            name {NAME},
            external_id {NAME},
            create_time BIGINT NOT NULL,
            update_time BIGINT NOT NULL,
            body LONGBLOB NOT NULL
        ){TABLE_OPTIONS}""",
        f"CREATE UNIQUE INDEX {table}_type_name ON {table}(type_id, name)",
        f"CREATE UNIQUE INDEX {table}_external_id ON {table}(external_id)",
        f"CREATE INDEX {table}_name ON {table}(name)",
        f"CREATE INDEX {table}_create_time ON {table}(create_time, id)",
        f"CREATE INDEX {table}_update_time ON {table}(update_time, id)",
        f"""CREATE TABLE {table}_property (
            node_id BIGINT NOT NULL,
            is_custom BIGINT NOT NULL,
            name {PROPERTY_NAME} NOT NULL,
            kind BIGINT NOT NULL,
            int_value BIGINT,
            double_value DOUBLE,
            string_value {LONG_TEXT},
            bool_value BIGINT,
            blob_value LONGBLOB,
            PRIMARY KEY (node_id, is_custom, name)
        ){TABLE_OPTIONS}""",
    )


_V1_EVENT_TABLE = f"""CREATE TABLE event (
        id BIGINT NOT NULL PRIMARY KEY,
        artifact_id BIGINT NOT NULL,
        execution_id BIGINT NOT NULL,
        type BIGINT NOT NULL,
        milliseconds_since_epoch BIGINT,
        body LONGBLOB NOT NULL
    ){TABLE_OPTIONS}"""
_V1_EVENT_INDEXES = (
    "CREATE UNIQUE INDEX event_identity ON event(artifact_id, execution_id, type)",
    "CREATE INDEX event_execution ON event(execution_id, artifact_id)",
)
_NODE_TABLES = ("type", "type_property", "artifact", "artifact_property", "execution", "execution_property",
                "context", "context_property", "event", "attribution", "association", "parent_context")
WORD_BYTES = 255  # a word's stored length: a longer one is kept by its start (mysql_words.py)
# Version 11: the word index (mysql_words.py), a table of (word, node id) pairs a node kind, and the mark up to
# which each holds the nodes. The migration leaves them empty; mysql_words.index_all then reads the rows.
_V11_WORD_INDEXES = (
    f"""CREATE TABLE {WORD_INDEX_MARKS} (
        word_table VARCHAR(64) {{text}} NOT NULL PRIMARY KEY,
        indexed_to BIGINT NOT NULL
    ){TABLE_OPTIONS}""",
    *(statement for layout in LAYOUTS.values() for statement in (
        f"""CREATE TABLE {layout.word_table} (
            word VARBINARY({WORD_BYTES}) NOT NULL,
            node_id BIGINT NOT NULL,
            PRIMARY KEY (word, node_id)
        ){TABLE_OPTIONS}""",
        f"INSERT INTO {WORD_INDEX_MARKS} (word_table, indexed_to) VALUES ('{layout.word_table}', 0)")),
)
_V11_DROP_WORD_INDEXES = tuple(f"DROP TABLE {table}" for table in (*WORD_TABLES, WORD_INDEX_MARKS))
_V13_HIGH_WATER = (
    f"""CREATE TABLE {HIGH_WATER_TABLE} (
        node_table VARCHAR(64) {{text}} NOT NULL PRIMARY KEY,
        deleted_to BIGINT NOT NULL
    ){TABLE_OPTIONS}""",
    *HIGH_WATER_ROWS,
)
WRITE_LOCK_TABLE = "fastmlmd_write_lock"
_V1_TABLES = (
    f"""CREATE TABLE type (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        kind BIGINT NOT NULL,
        name {TYPE_NAME} NOT NULL,
        version {VERSION},
        description {LONG_TEXT},
        external_id {NAME},
        base_type BIGINT,
        input_type LONGBLOB,
        output_type LONGBLOB,
        is_builtin BIGINT NOT NULL DEFAULT 0,
        version_key {VERSION} AS (IFNULL(version, '')) PERSISTENT
    ){TABLE_OPTIONS}""",
    # Identity of a type is (kind, name, version); NULL and "" versions are the same unversioned type.
    "CREATE UNIQUE INDEX type_identity ON type(kind, name, version_key)",
    "CREATE UNIQUE INDEX type_external_id ON type(external_id)",
    f"""CREATE TABLE type_property (
        type_id BIGINT NOT NULL,
        name {PROPERTY_NAME} NOT NULL,
        data_type BIGINT NOT NULL,
        PRIMARY KEY (type_id, name)
    ){TABLE_OPTIONS}""",
    *_node_tables("artifact", f"uri {LONG_TEXT} NOT NULL, state BIGINT,"),
    "CREATE INDEX artifact_uri ON artifact(uri(255))",
    *_node_tables("execution", "last_known_state BIGINT,"),
    *_node_tables("context", ""),
    _V1_EVENT_TABLE,
    *_V1_EVENT_INDEXES,
    f"""CREATE TABLE attribution (
        context_id BIGINT NOT NULL,
        artifact_id BIGINT NOT NULL,
        PRIMARY KEY (context_id, artifact_id)
    ){TABLE_OPTIONS}""",
    "CREATE INDEX attribution_artifact ON attribution(artifact_id, context_id)",
    f"""CREATE TABLE association (
        context_id BIGINT NOT NULL,
        execution_id BIGINT NOT NULL,
        PRIMARY KEY (context_id, execution_id)
    ){TABLE_OPTIONS}""",
    "CREATE INDEX association_execution ON association(execution_id, context_id)",
    f"""CREATE TABLE parent_context (
        child_id BIGINT NOT NULL,
        parent_id BIGINT NOT NULL,
        PRIMARY KEY (child_id, parent_id)
    ){TABLE_OPTIONS}""",
    "CREATE INDEX parent_context_parent ON parent_context(parent_id, child_id)",
    *(
        f"INSERT INTO type (id, kind, name, is_builtin) VALUES ({type_id}, {int(kind)}, '{name}', 1)"
        for type_id, kind, name in BUILTIN_TYPES
    ),
)


def _property_value_indexes() -> Tuple[str, ...]:
    statements = []
    for table in ("artifact", "execution", "context"):
        for column in ("int_value", "double_value", "string_value", "bool_value"):
            value = "string_value(255)" if column == "string_value" else column
            statements.append(
                f"CREATE INDEX {table}_property_{column} ON {table}_property(name, is_custom, {value}, node_id)")
    return tuple(statements)


def _drop_indexes(statements: Tuple[str, ...]) -> Tuple[str, ...]:
    return tuple(f"DROP INDEX {stmt.split(' INDEX ', 1)[1].split()[0]} ON {stmt.split(' ON ', 1)[1].split('(')[0]}"
                 for stmt in statements)


_V2_EVENT_TYPE_INDEX = "CREATE INDEX event_type ON event(type, artifact_id, execution_id)"
_V2_INDEXES = _property_value_indexes() + (_V2_EVENT_TYPE_INDEX,)

_V12_EVENT_TABLE = f"""CREATE TABLE event (
        artifact_id BIGINT NOT NULL,
        execution_id BIGINT NOT NULL,
        type BIGINT NOT NULL,
        id BIGINT NOT NULL,
        milliseconds_since_epoch BIGINT,
        body LONGBLOB NOT NULL,
        PRIMARY KEY (artifact_id, execution_id, type)
    ){TABLE_OPTIONS}"""
_V12_EVENT_INDEXES = (
    "CREATE UNIQUE INDEX event_id ON event(id)",
    "CREATE INDEX event_execution ON event(execution_id, id)",
    _V2_EVENT_TYPE_INDEX,
)
_EVENT_COLUMNS = "id, artifact_id, execution_id, type, milliseconds_since_epoch, body"


def _rebuild_events(table: str, indexes: Tuple[str, ...]) -> Tuple[str, ...]:
    return ("RENAME TABLE event TO event_before",
            table,
            f"INSERT INTO event ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM event_before",
            "DROP TABLE event_before",
            *indexes)


def ascii_lower(expression: str) -> str:
    """`expression` with the ASCII capitals lowered and every other character kept (LOWER would fold `Ü` too)."""
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        expression = f"REPLACE({expression}, '{letter}', '{letter.lower()}')"
    return expression


# Version 14: each node's uri and name as LIKE matches them (ASCII letters lowered: MySQLBackend.like), in a
# stored generated column beside it (FOLDED: its name's suffix), and an index of it. A prefix LIKE seeks the
# index; a contains-LIKE reads the stored value rather than lowering every row's on each query. Stored, not
# virtual: a scan of a virtual column computes it for every row. The uri's index holds a prefix of it, as
# `artifact_uri` does (a range seek on a prefix index tests the whole value of the rows it finds).
FOLDED = "_folded"
SEARCH_COLUMNS = {"artifact": ("uri", "name"), "execution": ("name",), "context": ("name",)}
_FOLDED_TYPES = {"uri": (LONG_TEXT, "(255)"), "name": (NAME, "")}
_V14_SEARCH_COLUMNS = tuple(
    f"ALTER TABLE {table} " + ", ".join(
        f"ADD COLUMN {column}{FOLDED} {_FOLDED_TYPES[column][0]} AS ({ascii_lower(column)}) STORED"
        for column in columns)
    for table, columns in SEARCH_COLUMNS.items())
_V14_SEARCH_INDEXES = tuple(
    f"CREATE INDEX {table}_{column}{FOLDED} ON {table}({column}{FOLDED}{_FOLDED_TYPES[column][1]})"
    for table, columns in SEARCH_COLUMNS.items() for column in columns)
_V14_DROP_SEARCH_COLUMNS = tuple(
    f"ALTER TABLE {table} " + ", ".join(f"DROP COLUMN {column}{FOLDED}" for column in columns)
    for table, columns in SEARCH_COLUMNS.items())

MIGRATIONS: Tuple[Migration, ...] = (
    Migration(9, "types, nodes with encoded bodies, properties, events, links", _V1_TABLES,
              tuple(f"DROP TABLE {t}" for t in _NODE_TABLES)),
    Migration(10, "indexes for filter queries on property values and event types", _V2_INDEXES,
              _drop_indexes(_V2_INDEXES)),
    Migration(11, "word indexes for contains- and suffix-LIKE on uri and names", _V11_WORD_INDEXES,
              _V11_DROP_WORD_INDEXES, builds_word_index=True),
    Migration(12, "events clustered by artifact", _rebuild_events(_V12_EVENT_TABLE, _V12_EVENT_INDEXES),
              _rebuild_events(_V1_EVENT_TABLE, (*_V1_EVENT_INDEXES, _V2_EVENT_TYPE_INDEX))),
    Migration(13, "the highest id deleted from each node table", _V13_HIGH_WATER, (f"DROP TABLE {HIGH_WATER_TABLE}",)),
    Migration(14, "search indexes for LIKE filters on uri and names", _V14_SEARCH_COLUMNS + _V14_SEARCH_INDEXES,
              _drop_indexes(_V14_SEARCH_INDEXES) + _V14_DROP_SEARCH_COLUMNS),
)
assert MIGRATIONS[-1].version == SCHEMA_VERSION, "the MySQL schema ends at another version"
TABLES = (*_NODE_TABLES, HIGH_WATER_TABLE, *WORD_TABLES, WORD_INDEX_MARKS)
WRITE_LOCK_STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {WRITE_LOCK_TABLE} (id BIGINT NOT NULL PRIMARY KEY, writes BIGINT NOT NULL)"
    f"{TABLE_OPTIONS}",
    f"INSERT IGNORE INTO {WRITE_LOCK_TABLE} (id, writes) VALUES (1, 0)")


def with_collation(statements: Tuple[str, ...], collation: str) -> Tuple[str, ...]:
    """The statements with text columns in `collation` (the server's no-pad binary one)."""
    text = TEXT.format(collation=collation)
    return tuple(statement.replace("{text}", text) for statement in statements)
