"""Converts a store in MLMD's SQLite schema into ours: in place (one transaction), or into a new file (a copy).

Everything a reader sees is kept: ids, create and update times, property values of every kind, types with
their versions, base types, external ids and input/output types, events with their paths, and the links.
Nodes and events are written with their bodies encoded by the row kernel, as our own writes store them.

Speed: the secondary indexes of our node, property and event tables are dropped before the rows go in and
built again afterwards, each in one sorted pass (the exact statements, so the schema check still sees our
schema), after the word index is built in one pass. Each batch of nodes is read with its property rows (read
back from ours, which come straight from MLMD's in one statement) and merged and encoded by the row kernel.
Memory: Python holds one batch of rows at a time, SQLite a page cache of CACHE_KIB (see there).
"""
from __future__ import annotations

import functools
import logging
import os
import sqlite3
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .. import errors, rowcore
from . import sqlite_words
from .sqlite import MODE_READONLY, MODE_READWRITE, SQLITE, _sqlite_uri
from ..catalog import ARTIFACT, BUILTIN_TYPES, CONTEXT, EXECUTION, LAYOUTS, WORD_INDEX_MARKS, NodeLayout, TypeKind
from ..db import migrate_to
from ..nodes import node_columns, wire_fields
from .sqlite_mlmd_source import (ARTIFACTS, CONTEXTS, EXECUTIONS, MLMD_TABLES, MlmdTables, MlmdType, NodeSource, count,
                                 is_mlmd_store, property_rows_sql, read_struct_or_proto, read_events, read_nodes,
                                 read_tables, read_types, tables_found)
from ..schema import HIGH_WATER_TABLE, SCHEMA_VERSION, VERSION_TABLE

LOG = logging.getLogger("fastmlmd.convert")

# (stage, rows done, rows in all): nodes and events count as rows; called after every batch.
Progress = Callable[[str, int, int], None]
# ArtifactStructType JSON (as MLMD stores an execution type's input and output types) -> serialized message.
StructTypeCodec = Callable[[str], bytes]

# Where an in-place conversion moves MLMD's tables while it works: our table names clash with MLMD's
# (SQLite compares names without case), and the move is undone with everything else if the transaction is.
MOVED_PREFIX = "mlmd_source_"
_NODE_SOURCES: Tuple[Tuple[NodeLayout, NodeSource], ...] = (
    (ARTIFACT, ARTIFACTS), (EXECUTION, EXECUTIONS), (CONTEXT, CONTEXTS))
# The tables whose secondary indexes are built after the load rather than during it.
_BULK_TABLES = tuple(t for layout in LAYOUTS.values() for t in (layout.table, layout.property_table)) + ("event",)
BATCH = 2000


@dataclass
class Counts:
    """What a conversion wrote, by table."""

    rows: Dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def nodes(self) -> int:
        return sum(self.rows.get(layout.table, 0) for layout in LAYOUTS.values())


def log_progress() -> Progress:
    """The default progress report: a log line (logger `fastmlmd.convert`) per stage and every 10% of the rows."""
    last = ["", -1]

    def report(stage: str, done: int, total: int) -> None:
        tenth = done * 10 // total if total else 10
        if stage != last[0] or tenth != last[1]:
            last[:] = [stage, tenth]
            LOG.info("converting the MLMD store: %s, %d of %d rows", stage, done, total)
    return report


def copy_rows(cur: sqlite3.Cursor, src: MlmdTables, struct_type: StructTypeCodec,
              progress: Optional[Progress] = None) -> Counts:
    """Writes every row of the MLMD store `src` into our schema in the main database, which must be new.

    Runs inside the caller's transaction.

    Raises:
      errors.FailedPreconditionError: the store holds something our schema cannot (its built-in types moved, or
        two types of one name and version, which MLMD's engine refuses but its tables do not).
      errors.DataLossError: a row MLMD itself could not read back.
    """
    try:
        return _copy_rows(cur, src, struct_type, progress)
    except sqlite3.IntegrityError as exc:
        raise errors.FailedPreconditionError(
            f"The MLMD store holds rows that break a rule MLMD's own writes keep and fastmlmd's schema enforces "
            f"({exc}); it cannot be converted as it is") from exc


def _copy_rows(cur: sqlite3.Cursor, src: MlmdTables, struct_type: StructTypeCodec,
               progress: Optional[Progress]) -> Counts:
    started = time.monotonic()
    report = progress or (lambda stage, done, total: None)
    counts = Counts()
    total = sum(count(cur, src, source.table) for _, source in _NODE_SOURCES) + count(cur, src, "Event")
    done = 0
    report("types", done, total)
    type_names = _copy_types(cur, src, struct_type, counts)
    deferred = _drop_secondary_indexes(cur)
    # Reading cursors of their own, closed at the end: an open statement on the source would keep it locked.
    nodes_cur, props_cur = cur.connection.cursor(), cur.connection.cursor()
    for layout, source in _NODE_SOURCES:
        # The property rows go first, straight from MLMD's (one statement, no row through Python); the bodies then
        # read them back from ours, clustered by node, in the order each property map is encoded in.
        counts.rows[layout.property_table] = cur.execute(
            f"INSERT INTO {layout.property_table} (node_id, is_custom, name, kind, int_value, double_value, "
            f"string_value, bool_value) {property_rows_sql(src, source)}").rowcount
        properties_sql = (f"SELECT node_id, is_custom, name, kind, coalesce(int_value, double_value, string_value, "
                          f"bool_value) FROM {layout.property_table} WHERE node_id BETWEEN ? AND ? "
                          "ORDER BY node_id, is_custom, name")
        insert, fields = insert_nodes_sql(layout), wire_fields(layout)
        decode = functools.partial(read_struct_or_proto, props_cur, src, source)
        written = 0
        for nodes in read_nodes(nodes_cur, src, source, BATCH):
            properties = props_cur.execute(properties_sql, (nodes[0][0], nodes[-1][0])).fetchall()
            cur.executemany(insert, rowcore.encode_nodes(fields, nodes, properties, type_names, decode))
            written += len(nodes)
            done += len(nodes)
            report(layout.table + "s", done, total)
        counts.rows[layout.table] = written
    counts.rows["event"] = 0
    for events, steps in read_events(nodes_cur, props_cur, src, 5000):
        cur.executemany("INSERT INTO event (id, artifact_id, execution_id, type, milliseconds_since_epoch, body) "
                        "VALUES (?, ?, ?, ?, ?, ?)", rowcore.encode_events(events, steps))
        counts.rows["event"] += len(events)
        done += len(events)
        report("events", done, total)
    nodes_cur.close()
    props_cur.close()
    _copy_links(cur, src, counts)
    report("indexes", done, total)
    # Words first: FTS5 reads a node table through any index that covers its columns (execution_name covers
    # (id, name)), and rows in name order rather than id order make its rebuild five times slower.
    sqlite_words.index_all(cur)
    for statement in deferred:
        cur.execute(statement)
    counts.seconds = time.monotonic() - started
    report("done", done, total)
    return counts


def _copy_types(cur: sqlite3.Cursor, src: MlmdTables, struct_type: StructTypeCodec, counts: Counts) -> Dict[int, str]:
    """Copies the user types (MLMD's built-in ones are ours too, ids 1-9); returns every type's name by id."""
    found = read_types(cur, src)
    rows = type_rows(found, struct_type)
    cur.executemany(INSERT_TYPES, rows)
    counts.rows["type"] = len(rows)
    if src.has("TypeProperty"):
        counts.rows["type_property"] = cur.execute(
            f"INSERT INTO type_property (type_id, name, data_type) SELECT type_id, name, ifnull(data_type, 0) "
            f"FROM {src.name('TypeProperty')} WHERE type_id NOT IN ({', '.join(str(i) for i in BUILTIN_TYPE_IDS)})"
        ).rowcount
    return {t.id: t.name for t in found}


INSERT_TYPES = ("INSERT INTO type (id, kind, name, version, description, external_id, base_type, input_type, "
                "output_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
BUILTIN_TYPE_IDS = tuple(type_id for type_id, _, _ in BUILTIN_TYPES)


def type_rows(found: Sequence[MlmdType], struct_type: StructTypeCodec) -> List[tuple]:
    """INSERT_TYPES' rows of MLMD's user types (its built-in ones are ours too, at the same ids 1-9).

    Raises:
      errors.FailedPreconditionError: the built-in types are not where ours are.
    """
    builtin = {type_id: (int(kind), name) for type_id, kind, name in BUILTIN_TYPES}
    base_of = _base_type_numbers()
    rows = []
    for t in found:
        if t.id in builtin:
            if builtin[t.id] != (t.kind, t.name):
                raise errors.FailedPreconditionError(
                    f"MLMD store's type {t.id} is {t.name!r}, where fastmlmd keeps the built-in type "
                    f"{builtin[t.id][1]!r}: this store's types cannot keep their ids in fastmlmd's schema")
            continue
        if t.name in {name for _, name in builtin.values()} and t.kind in {k for k, _ in builtin.values()}:
            raise errors.FailedPreconditionError(
                f"MLMD store keeps the built-in type {t.name!r} at id {t.id}; fastmlmd keeps it at a fixed id "
                "from 1 to 9, so this store's types cannot keep their ids in fastmlmd's schema")
        rows.append((t.id, t.kind, t.name, t.version, t.description, t.external_id,
                     base_of.get(t.parent_type_id) if t.parent_type_id is not None else None,
                     _struct(struct_type, t.id, "input_type", t.input_type),
                     _struct(struct_type, t.id, "output_type", t.output_type)))
    return rows


def _base_type_numbers() -> Dict[int, int]:
    """Built-in type id -> the SystemDefinedBaseType number our type table keeps (MLMD keeps a ParentType row):
    each kind's built-ins are its base types in order (mlmd.Dataset is DATASET = 1, mlmd.Train is TRAIN = 1)."""
    out: Dict[int, int] = {}
    per_kind: Dict[int, int] = {}
    for type_id, kind, _ in BUILTIN_TYPES:
        per_kind[int(kind)] = per_kind.get(int(kind), 0) + 1
        out[type_id] = per_kind[int(kind)]
    return out


def _struct(struct_type: StructTypeCodec, type_id: int, column: str, text: Optional[str]) -> Optional[bytes]:
    if text is None:
        return None
    try:
        return struct_type(text)
    except Exception as exc:  # the codec is protobuf's JSON parser: any failure means the text is not one
        raise errors.DataLossError(f"MLMD store's type {type_id} has an {column} that is not the JSON MLMD "
                                   f"writes: {exc}") from exc


def insert_nodes_sql(layout: NodeLayout) -> str:
    """The INSERT of rowcore.encode_nodes' rows: the node table's columns, then the body."""
    columns = (*node_columns(layout), "body")
    return f"INSERT INTO {layout.table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _copy_links(cur: sqlite3.Cursor, src: MlmdTables, counts: Counts) -> None:
    for table, columns, source, source_columns in (
            ("attribution", "context_id, artifact_id", "Attribution", "context_id, artifact_id"),
            ("association", "context_id, execution_id", "Association", "context_id, execution_id"),
            ("parent_context", "child_id, parent_id", "ParentContext", "context_id, parent_context_id")):
        counts.rows[table] = cur.execute(
            f"INSERT INTO {table} ({columns}) SELECT {source_columns} FROM {src.name(source)}").rowcount \
            if src.has(source) else 0


def _drop_secondary_indexes(cur: sqlite3.Cursor) -> List[str]:
    """Drops the indexes of the bulk-loaded tables that their CREATE TABLE does not make; returns the statements
    that build them again, as the migrations wrote them."""
    found = cur.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
        f"({', '.join('?' * len(_BULK_TABLES))})", _BULK_TABLES).fetchall()
    for name, _ in found:
        cur.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


# In place ------------------------------------------------------------------------------------------------------

def convert_in_place(conn: sqlite3.Connection, struct_type: StructTypeCodec,
                     progress: Optional[Progress] = None) -> Optional[Counts]:
    """Converts the MLMD store in `conn`'s main database into ours, in one transaction.

    MLMD's tables are moved aside, ours are created and filled, and MLMD's are dropped, all before COMMIT: a
    failure or a killed process leaves the MLMD store as it was (SQLite's journal undoes the rest on the next
    open), so running the conversion again starts it afresh. Returns None when the database holds no MLMD
    store any more (another process converted it first).
    """
    cur = conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
    try:
        present = tables_found(cur)
        if not is_mlmd_store(present):
            cur.execute("ROLLBACK")
            return None
        clashes = sorted(t for t in present if t not in MLMD_TABLES and (
            t.lower() in _OUR_TABLES or t.startswith(MOVED_PREFIX)))
        if clashes:
            raise errors.FailedPreconditionError(
                f"The MLMD store also holds tables {clashes}, which fastmlmd's schema would take; it cannot be "
                "converted in place (convert a copy: python -m fastmlmd.convert SRC DST)")
        read_tables(cur)  # refuses a version it cannot read before anything moves
        moved = [t for t in MLMD_TABLES if t in present]
        for table in moved:
            cur.execute(f'ALTER TABLE "{table}" RENAME TO "{MOVED_PREFIX}{table}"')
        migrate_to(cur, 0, SCHEMA_VERSION)
        counts = copy_rows(cur, read_tables(cur, prefix=MOVED_PREFIX), struct_type, progress)
        for table in moved:
            cur.execute(f'DROP TABLE "{MOVED_PREFIX}{table}"')
        cur.execute("COMMIT")
        return counts
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


_OUR_TABLES = frozenset(
    {"type", "type_property", "event", "attribution", "association", "parent_context", VERSION_TABLE,
     HIGH_WATER_TABLE, WORD_INDEX_MARKS} | {t for layout in LAYOUTS.values() for t in (layout.table,
                                                                                    layout.property_table)})


def upgrade_mlmd_file(filename_uri: str, mode: int, enable_upgrade_migration: bool, struct_type: StructTypeCodec,
                      progress: Optional[Progress] = None) -> Optional[Counts]:
    """The opening hook: when `filename_uri` holds an MLMD store, converts it (if asked to) or says how to.

    Called before the store is opened as ours, so a refused MLMD file is left exactly as it was (not even
    switched to WAL). Anything but an MLMD store is left for the opening to judge.

    Raises:
      errors.FailedPreconditionError: an MLMD store, and `enable_upgrade_migration` is false or the mode
        read-only; or a version or layout that cannot be converted.
    """
    if filename_uri in ("", ":memory:"):
        return None
    version = _mlmd_version(filename_uri, mode)
    if version is None:
        return None
    refuse_unless_converting(version, mode == MODE_READONLY, enable_upgrade_migration)
    conn = sqlite3.connect(_sqlite_uri(filename_uri, mode), uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        tune_connection(conn)
        counts = convert_in_place(conn, struct_type, progress or log_progress())
    except sqlite3.Error as exc:
        raise SQLITE.classify(exc) from exc
    finally:
        conn.close()
    if counts is not None:
        LOG.info("converted the MLMD store %s in place: %d nodes in %.1fs", filename_uri, counts.nodes,
                 counts.seconds)
    return counts


def refuse_unless_converting(version: int, readonly: bool, enable_upgrade_migration: bool) -> None:
    """Raises the error that says what converting an MLMD store does and how to ask for it, unless asked to.

    Raises:
      errors.FailedPreconditionError: `enable_upgrade_migration` is false, or the store is opened read-only.
    """
    what = (f"This database was made by ml-metadata (MLMD schema version {version}). fastmlmd keeps its own "
            "schema, so it reads this store only once it is converted: converting rewrites every type, node, event "
            "and link into fastmlmd's tables in one transaction, keeping ids, times and values, and MLMD can no "
            "longer open the store afterwards.")
    if readonly:
        raise errors.FailedPreconditionError(
            f"{what} A store opened READONLY cannot be converted: open it once read-write with "
            "enable_upgrade_migration=True, or convert a copy and leave it untouched: "
            "python -m fastmlmd.convert SRC DST")
    if not enable_upgrade_migration:
        raise errors.FailedPreconditionError(
            f"{what} To convert it in place, open it with MetadataStore(config, enable_upgrade_migration=True) "
            "(MigrationOptions.enable_upgrade_migration=True on a server); to leave it untouched and convert a copy: "
            "python -m fastmlmd.convert SRC DST")


def _mlmd_version(filename_uri: str, mode: int) -> Optional[int]:
    """The MLMD schema version of the store in the file, or None when it holds none (or cannot be read: the
    opening then reports that in its words).

    Read-only first: closing a read-write connection to one of our WAL stores would checkpoint it. A file a
    conversion was killed in may hold a hot journal that only a writer can roll back, so a read-only read that
    fails is tried once more read-write (never creating the file).
    """
    for attempt in (MODE_READONLY,) if mode == MODE_READONLY else (MODE_READONLY, MODE_READWRITE):
        try:
            conn = sqlite3.connect(_sqlite_uri(filename_uri, attempt), uri=True, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error:
            continue
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not is_mlmd_store(tables_found(conn.cursor())):
                return None
            return read_tables(conn.cursor()).version
        except sqlite3.Error:
            continue
        finally:
            conn.close()
    return None


# A conversion takes the write lock once and holds it; MLMD's own writers wait for it, and it for them.
BUSY_TIMEOUT_MS = 60_000
# The conversion's page cache, which also caps each index build's in-memory sort: peak memory is about the
# interpreter's 50 MiB plus twice this, whatever the store's size (measured at 1M nodes: 120 MiB at 32 MiB,
# 185 MiB at 64 MiB, for the same CPU time).
CACHE_KIB = 32 * 1024


def tune_connection(conn: sqlite3.Connection) -> None:
    """The conversion's connection settings: a bounded page cache, and sorts in the converting thread only (sort
    threads took more CPU and memory at 1M nodes, and no time off on a busy two-core machine)."""
    conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    conn.execute("PRAGMA threads = 0")


# By copy -------------------------------------------------------------------------------------------------------

def convert_copy(source_path: str, target_path: str, struct_type: StructTypeCodec,
                 progress: Optional[Progress] = None) -> Counts:
    """Copies the MLMD store at `source_path` into a new fastmlmd store at `target_path`; the source is only read.

    Raises:
      errors.FailedPreconditionError: the source is not an MLMD store, or the target exists.
      errors.DataLossError: a row MLMD itself could not read back.
    """
    def fill(cur: sqlite3.Cursor) -> Counts:
        cur.execute("ATTACH DATABASE ? AS mlmd", (_sqlite_uri(source_path, MODE_READONLY),))
        cur.execute("BEGIN")
        if not is_mlmd_store(tables_found(cur, "mlmd")):
            raise errors.FailedPreconditionError(f"{source_path} holds no MLMD store (no MLMDEnv or Type table)")
        migrate_to(cur, 0, SCHEMA_VERSION)
        counts = copy_rows(cur, read_tables(cur, "mlmd"), struct_type, progress)
        cur.execute("COMMIT")
        cur.execute("DETACH DATABASE mlmd")
        return counts
    return write_new_file(target_path, fill)


def write_new_file(target_path: str, fill: Callable[[sqlite3.Cursor], Counts]) -> Counts:
    """A new store at `target_path`, which `fill` writes through a cursor of it (in transactions of its own).

    The store is written to `<target>.fastmlmd-partial` and moved into place once complete, so an interrupted copy
    leaves no store at `target_path` (and the next run starts afresh).

    Raises:
      errors.FailedPreconditionError: the target exists.
    """
    if os.path.exists(target_path):
        raise errors.FailedPreconditionError(f"{target_path} exists; the copy goes into a new file")
    partial = target_path + ".fastmlmd-partial"
    _remove(partial)  # an earlier copy that was interrupted
    conn = sqlite3.connect("file:" + urllib.parse.quote(os.path.abspath(partial)) + "?mode=rwc", uri=True,
                           isolation_level=None)
    try:
        # A partial copy is thrown away, never recovered: no journal, no syncs until the end.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        tune_connection(conn)
        counts = fill(conn.cursor())
        conn.execute("PRAGMA journal_mode = WAL")  # our stores' mode; the first open would set it anyway
        conn.close()
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
        os.link(partial, target_path)  # fails rather than replace a store that appeared meanwhile
        os.remove(partial)
        return counts
    except BaseException as exc:
        conn.close()
        _remove(partial)
        if isinstance(exc, sqlite3.Error):
            raise SQLITE.classify(exc) from exc
        raise


def _remove(partial: str) -> None:
    for leftover in (partial, partial + "-journal", partial + "-wal", partial + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
