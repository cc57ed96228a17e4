"""Our SQLite schema: the statements of every schema version (engine/schema.py), in SQLite's dialect.

The schema is built for fast materialisation: every node row carries its message already encoded
(`body`), so reads never assemble nodes field by field; the columns and the property tables exist for
lookups and filters, and every lookup the API or the filter planner makes is an index seek.
Built-in types, node ids and the property encoding are described in engine/catalog.py.

No store is ever ANALYZEd: without statistics SQLite plans from the schema and the SQL alone, so every store,
new or old, small or large, runs the plans tests/test_filter_plans.py certifies. Where SQLite's guess would be
wrong, the planner fixes the choice in the SQL it writes (`+column` keeps an index from driving a join).
"""
from __future__ import annotations

import functools
import os
import sqlite3
from typing import FrozenSet, Tuple

from ..catalog import ARTIFACT, BUILTIN_TYPES, LAYOUTS, WORD_INDEX_MARKS, WORD_TABLES, NodeLayout
from ..schema import HIGH_WATER_ROWS, HIGH_WATER_TABLE, SCHEMA_VERSION, Migration


def _node_tables(table: str, extra_columns: str) -> Tuple[str, ...]:
    # A property row holds its value in the column of its kind, for filters; values are read back from the
    # node's body. `blob_value` is unused: nothing writes or reads it since struct and proto values (which
    # filters cannot compare) got rows without a value. It stays because a released migration is never
    # edited, and goes with the next schema change.
    return (
        f"""CREATE TABLE {table} (
            id INTEGER PRIMARY KEY,
            type_id INTEGER NOT NULL,
            {extra_columns}
            name TEXT,
            external_id TEXT,
            create_time INTEGER NOT NULL,
            update_time INTEGER NOT NULL,
            body BLOB NOT NULL
        )""",
        # (type_id, name) is unique per kind and also serves every "nodes of this type" lookup.
        f"CREATE UNIQUE INDEX {table}_type_name ON {table}(type_id, name)",
        f"CREATE UNIQUE INDEX {table}_external_id ON {table}(external_id) WHERE external_id IS NOT NULL",
        f"CREATE INDEX {table}_name ON {table}(name)",
        f"CREATE INDEX {table}_create_time ON {table}(create_time, id)",
        f"CREATE INDEX {table}_update_time ON {table}(update_time, id)",
        f"""CREATE TABLE {table}_property (
            node_id INTEGER NOT NULL,
            is_custom INTEGER NOT NULL,
            name TEXT NOT NULL,
            kind INTEGER NOT NULL,
            int_value INTEGER,
            double_value REAL,
            string_value TEXT,
            bool_value INTEGER,
            blob_value BLOB,
            PRIMARY KEY (node_id, is_custom, name)
        ) WITHOUT ROWID""",
    )


_V1_EVENT_TABLE = """CREATE TABLE event (
        id INTEGER PRIMARY KEY,
        artifact_id INTEGER NOT NULL,
        execution_id INTEGER NOT NULL,
        type INTEGER NOT NULL,
        milliseconds_since_epoch INTEGER,
        body BLOB NOT NULL
    )"""
_V1_EVENT_INDEXES = (
    "CREATE UNIQUE INDEX event_identity ON event(artifact_id, execution_id, type)",
    "CREATE INDEX event_execution ON event(execution_id, artifact_id)",
)
_V1_TABLES = (
    """CREATE TABLE type (
        id INTEGER PRIMARY KEY,
        kind INTEGER NOT NULL,
        name TEXT NOT NULL,
        version TEXT,
        description TEXT,
        external_id TEXT,
        base_type INTEGER,
        input_type BLOB,
        output_type BLOB,
        is_builtin INTEGER NOT NULL DEFAULT 0
    )""",
    # Identity of a type is (kind, name, version); NULL and "" versions are the same unversioned type.
    "CREATE UNIQUE INDEX type_identity ON type(kind, name, ifnull(version, ''))",
    "CREATE UNIQUE INDEX type_external_id ON type(external_id) WHERE external_id IS NOT NULL",
    """CREATE TABLE type_property (
        type_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        data_type INTEGER NOT NULL,
        PRIMARY KEY (type_id, name)
    ) WITHOUT ROWID""",
    *_node_tables("artifact", "uri TEXT NOT NULL DEFAULT '', state INTEGER,"),
    "CREATE INDEX artifact_uri ON artifact(uri)",
    *_node_tables("execution", "last_known_state INTEGER,"),
    *_node_tables("context", ""),
    _V1_EVENT_TABLE,
    *_V1_EVENT_INDEXES,
    """CREATE TABLE attribution (
        context_id INTEGER NOT NULL,
        artifact_id INTEGER NOT NULL,
        PRIMARY KEY (context_id, artifact_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX attribution_artifact ON attribution(artifact_id, context_id)",
    """CREATE TABLE association (
        context_id INTEGER NOT NULL,
        execution_id INTEGER NOT NULL,
        PRIMARY KEY (context_id, execution_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX association_execution ON association(execution_id, context_id)",
    """CREATE TABLE parent_context (
        child_id INTEGER NOT NULL,
        parent_id INTEGER NOT NULL,
        PRIMARY KEY (child_id, parent_id)
    ) WITHOUT ROWID""",
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
            statements.append(
                f"CREATE INDEX {table}_property_{column} ON {table}_property(name, is_custom, {column}, node_id)"
                f" WHERE {column} IS NOT NULL"
            )
    return tuple(statements)


def _drop_indexes(statements: Tuple[str, ...]) -> Tuple[str, ...]:
    return tuple(f"DROP INDEX {stmt.split(' INDEX ', 1)[1].split()[0]}" for stmt in statements)


_V2_EVENT_TYPE_INDEX = "CREATE INDEX event_type ON event(type, artifact_id, execution_id)"
_V2_INDEXES = _property_value_indexes() + (
    # The LIKE optimisation needs a NOCASE index because MLMD's LIKE is ASCII case-insensitive.
    "CREATE INDEX artifact_uri_nocase ON artifact(uri COLLATE NOCASE)",
    _V2_EVENT_TYPE_INDEX,
)

# The word index (backends/sqlite_words.py): an FTS5 table per node kind over the node table itself (external
# content: it stores no text of its own), one token per run of letters and digits, ASCII case folded as
# LIKE folds it. detail=none and columnsize=0 keep only which rows hold a word: all a LIKE needs, and the
# least to write. 'rebuild' indexes the rows a store already holds, and the marks say so.
WORD_TOKENIZER = "unicode61 remove_diacritics 0"


def word_index_table(layout: NodeLayout) -> str:
    """The statement that creates `layout`'s FTS5 word index."""
    return (f"CREATE VIRTUAL TABLE {layout.word_table} USING fts5({', '.join(layout.word_columns)}, "
            f"content='{layout.table}', content_rowid='id', tokenize='{WORD_TOKENIZER}', detail=none, "
            "columnsize=0)")


_V11_WORD_INDEXES = (
    f"CREATE TABLE {WORD_INDEX_MARKS} (word_table TEXT PRIMARY KEY, indexed_to INTEGER NOT NULL) WITHOUT ROWID",
    *(statement for layout in LAYOUTS.values() for statement in (
        word_index_table(layout),
        f"INSERT INTO {layout.word_table}({layout.word_table}) VALUES ('rebuild')",
        f"INSERT INTO {WORD_INDEX_MARKS} (word_table, indexed_to) "
        f"SELECT '{layout.word_table}', ifnull(max(id), 0) FROM {layout.table}")),
)

# Version 12: events clustered by (artifact, execution, type), the key MLMD reads them by for artifacts, so a
# node's events lie together with their bodies; an execution's come from an index that holds their bodies
# in insertion order. Before, each event read cost a seek from its index entry into the table.
_V12_EVENT_TABLE = """CREATE TABLE event (
        artifact_id INTEGER NOT NULL,
        execution_id INTEGER NOT NULL,
        type INTEGER NOT NULL,
        id INTEGER NOT NULL,
        milliseconds_since_epoch INTEGER,
        body BLOB NOT NULL,
        PRIMARY KEY (artifact_id, execution_id, type)
    ) WITHOUT ROWID"""
_V12_EVENT_INDEXES = (
    "CREATE UNIQUE INDEX event_id ON event(id)",
    "CREATE INDEX event_execution ON event(execution_id, id, milliseconds_since_epoch, body)",
    _V2_EVENT_TYPE_INDEX,
)
_EVENT_COLUMNS = "id, artifact_id, execution_id, type, milliseconds_since_epoch, body"


def _rebuild_events(old_indexes: Tuple[str, ...], table: str, indexes: Tuple[str, ...]) -> Tuple[str, ...]:
    # Moved aside, not renamed into place: the new table keeps the exact text of its CREATE statement,
    # which the schema check compares.
    return (*_drop_indexes(old_indexes),
            "ALTER TABLE event RENAME TO event_before",
            table,
            f"INSERT INTO event ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM event_before",
            "DROP TABLE event_before",
            *indexes)


_V12_EVENTS = _rebuild_events((*_V1_EVENT_INDEXES, _V2_EVENT_TYPE_INDEX), _V12_EVENT_TABLE, _V12_EVENT_INDEXES)
_V11_EVENTS = _rebuild_events(_V12_EVENT_INDEXES, _V1_EVENT_TABLE, (*_V1_EVENT_INDEXES, _V2_EVENT_TYPE_INDEX))


_V13_HIGH_WATER = (
    f"CREATE TABLE {HIGH_WATER_TABLE} (node_table TEXT PRIMARY KEY, deleted_to INTEGER NOT NULL) WITHOUT ROWID",
    *HIGH_WATER_ROWS,
)

# The registry: each entry upgrades from the version before it. Never edit a released entry; add one.
MIGRATIONS: Tuple[Migration, ...] = (
    Migration(9, "types, nodes with encoded bodies, properties, events, links", _V1_TABLES,
              tuple(f"DROP TABLE {t}" for t in (
                  "type", "type_property", "artifact", "artifact_property", "execution", "execution_property",
                  "context", "context_property", "event", "attribution", "association", "parent_context"))),
    Migration(10, "indexes for filter queries on property values, uri prefixes and event types", _V2_INDEXES,
              _drop_indexes(_V2_INDEXES)),
    Migration(11, "word indexes for contains- and suffix-LIKE on uri and names", _V11_WORD_INDEXES,
              (*(f"DROP TABLE IF EXISTS {layout.word_table}" for layout in LAYOUTS.values()),
               f"DROP TABLE IF EXISTS {WORD_INDEX_MARKS}"), builds_word_index=True),
    Migration(12, "events clustered by artifact, an execution's events read from an index with their bodies",
              _V12_EVENTS, _V11_EVENTS),
    Migration(13, "the highest id deleted from each node table, so that ids are never given again", _V13_HIGH_WATER,
              (f"DROP TABLE {HIGH_WATER_TABLE}",)),
    Migration(14, "the servers' search indexes (none here: SQLite's is version 11's word index)", (), ()),
)
assert MIGRATIONS[-1].version == SCHEMA_VERSION, "the SQLite schema ends at another version"
# The tables FTS5 keeps for each word index; their layout is FTS5's own, and may change with SQLite.
WORD_INDEX_SHADOWS: FrozenSet[str] = frozenset(
    f"{table}_{suffix}" for table in WORD_TABLES for suffix in ("data", "idx", "config", "docsize", "content"))


@functools.lru_cache(maxsize=None)
def fts5_available() -> bool:
    """Whether this process's SQLite can keep the word indexes (FTS5 with every option they use); asked once.

    Without it stores have no word index and contains-LIKE scans, as before version 11.
    FASTMLMD_NO_FTS5=1 makes the answer no, to test that path.
    """
    if os.environ.get("FASTMLMD_NO_FTS5") == "1":
        return False
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE {ARTIFACT.table} (id INTEGER PRIMARY KEY, uri TEXT, name TEXT)")
        conn.execute(word_index_table(ARTIFACT))
        conn.execute(f"INSERT INTO {ARTIFACT.word_table}({ARTIFACT.word_table}) VALUES ('rebuild')")
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()
