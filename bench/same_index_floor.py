"""The same-index floor: the workloads' writes on raw `sqlite3`, into our own schema, as our rows.

floor.py measures against a plain MLMD-like schema with fewer indexes, so "at the floor" there means less
work than a store with our indexes must do. Here the schema is ours, built by the engine's own migrations
(engine/db.migrate_to over the SQLite backend's registry, with the engine's connection settings), so the two
cannot drift, and the floor writes the rows our store writes for the same logical operations: each node row
with its encoded body and its property rows, events with theirs, type rows, links (INSERT OR IGNORE, as ours
writes them), and what each call changes, with `executemany` in one BEGIN IMMEDIATE transaction per call.

What the floor pays, and what it does not (so that ours ÷ this floor is our own overhead, not SQLite's):
- Index upkeep: all of it, every B-tree index our schema has, and the word index (engine/backends/sqlite_words.py):
  the same FTS5 statement folds the newest nodes in once FOLD_AT of a kind are pending, as ours does. The
  floor keeps that mark in memory rather than reading it each call.
- The stored format: each body is encoded once, in the timed region, by the same row kernel ours uses
  (rowcore.encode_node / encode_event, property_rows for the property rows, written by ours' statement,
  sqlite.property_insert). A body holds the node's id and times, known only when it is written, so one encode
  per row written is work no store can skip; pre-encoding bodies outside the timer would hide it from the floor
  only. Ours does more (it serializes the caller's
  message and decodes it before that encode): that is overhead the ratio should show.
- Not paid: reads. Ids come from counters (one writer), stored nodes and types are known from the dataset, so
  no existence checks, no id queries, no read-back of stored nodes before an update: the floor writes what the
  update changes (update_time, body, the one property row), which ours must read the stored node to find out.
- Inputs: built from the dataset as tuples and small dicts (typed property maps, event paths); ours builds
  protobuf messages from the same rows, which costs it more. That is the caller's work in both, and cheaper
  here.

Reads are not here: they run on the plain floor (floor.py) only, and the report says which floor each figure
uses. This module runs under our interpreter only (it imports the engine); data.py stays standard library.
"""
from __future__ import annotations

import os
import sqlite3
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from fastmlmd.bench.data import (ARTIFACT, COMPLETE, CONTEXT, DOUBLE, EXECUTION, INPUT, INT, OUTPUT, RUNNING, STRING,
                                  NodeFills)
from fastmlmd.engine import db, rowcore, schema
from fastmlmd.engine.backends import sqlite as sqlite_backend
from fastmlmd.engine.backends import sqlite_words as word_index
from fastmlmd.engine.catalog import ARTIFACT as A_LAYOUT
from fastmlmd.engine.catalog import CONTEXT as C_LAYOUT
from fastmlmd.engine.catalog import EXECUTION as E_LAYOUT
from fastmlmd.engine.catalog import NodeLayout
from fastmlmd.engine.nodes import wire_fields

if TYPE_CHECKING:
    from fastmlmd.bench.data import Dataset, Props
    from fastmlmd.bench.meter import Meter

LAYOUTS = {ARTIFACT: A_LAYOUT, EXECUTION: E_LAYOUT, CONTEXT: C_LAYOUT}
TypedProps = Dict[str, Tuple[int, object]]


def _now() -> int:
    return int(time.time() * 1000)


def _typed(values: Props) -> TypedProps:
    """A dataset property map as the row kernel takes it: name -> (PropertyType, value)."""
    return {key: (INT if isinstance(value, int) else DOUBLE if isinstance(value, float) else STRING, value)
            for key, value in values.items()}


def _typed_row(row: tuple) -> tuple:
    """A dataset node row (type index, name, uri, state, props, custom) with both maps `_typed`."""
    type_index, name, uri, state, props, custom = row
    return type_index, name, uri, state, _typed(props), _typed(custom)


def event_path(key: str) -> bytes:
    """The serialized Event.Path the workloads give every event: steps [{key}, {index: 0}]."""
    encoded = key.encode("utf-8")
    assert len(encoded) < 128  # one byte of length
    return rowcore.frame([b"\x12" + bytes([len(encoded)]) + encoded, b"\x08\x00"])


def _node_insert(layout: NodeLayout) -> str:
    """The INSERT of a whole node row; its values are `SameIndexFloor._node_row`'s, in this order."""
    columns = ["id", "type_id"]
    if layout.f_uri:
        columns.append("uri")
    if layout.state_column:
        columns.append(layout.state_column)
    columns += ["name", "external_id", "create_time", "update_time", "body"]
    return f"INSERT INTO {layout.table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_NODE_INSERT = {kind: _node_insert(layout) for kind, layout in LAYOUTS.items()}
_WIRE_FIELDS = {kind: wire_fields(layout) for kind, layout in LAYOUTS.items()}


class SameIndexFloor(NodeFills):
    """One sqlite3 connection holding our schema; ids are assigned here, per node table, in the dataset's order."""

    PHASES = ("fill", "write")  # the worker skips the read workloads: they run on the plain floor

    def __init__(self, backend: str, workdir: str) -> None:
        path = ":memory:" if backend == "memory" else os.path.join(workdir, "same-index-floor.sqlite")
        self.conn = sqlite3.connect(path, isolation_level=None)
        sqlite_backend.configure(self.conn, in_memory=backend == "memory", readonly=False)  # our stores' pragmas
        with self._transaction() as cur:
            db.migrate_to(cur, 0, schema.SCHEMA_VERSION)
            self.next_type_id = cur.execute("SELECT max(id) + 1 FROM type").fetchone()[0]
        self.fts5 = word_index.available()
        self.ids: Dict[str, List[int]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}
        self.created: Dict[str, List[int]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}  # create_time by id - 1
        self.type_ids: Dict[str, List[int]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}
        self.type_names: Dict[str, List[str]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}
        self.next_id = {ARTIFACT: 1, EXECUTION: 1, CONTEXT: 1}
        self.indexed_to = {ARTIFACT: 0, EXECUTION: 0, CONTEXT: 0}  # the word index marks
        self.next_event_id = 1
        self.bench_updated: Set[int] = set()  # artifacts holding update_artifacts' custom property

    def run(self, name: str, ds: Dataset, meter: Meter) -> None:
        """Runs one workload by name (the worker reports a workload this side lacks as n/a)."""
        getattr(self, name)(ds, meter)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def _new_ids(self, kind: str, count: int, now: int) -> range:
        ids = range(self.next_id[kind], self.next_id[kind] + count)
        self.next_id[kind] += count
        self.created[kind] += [now] * count
        return ids

    # Row builders: the stored format, by the row kernel -------------------------------------------------
    def _node_row(self, kind: str, node_id: int, type_index: int, name: str, uri: Optional[str],
                  state: Optional[int], created: int, updated: int, props: TypedProps, custom: TypedProps) -> tuple:
        """A node table row (`_node_insert`'s columns) with its body, encoded once by the row kernel."""
        layout = LAYOUTS[kind]
        type_id = self.type_ids[kind][type_index]
        body = rowcore.encode_node(_WIRE_FIELDS[kind], node_id, type_id, uri, state, name,
                                   self.type_names[kind][type_index], created, updated, None, props, custom)
        row: tuple = (node_id, type_id)
        if layout.f_uri:
            row += (uri,)
        if layout.state_column:
            row += (state,)
        return row + (name, None, created, updated, body)

    def _insert_nodes(self, cur: sqlite3.Cursor, kind: str, rows: Sequence[tuple],
                      properties: Sequence[tuple]) -> None:
        layout = LAYOUTS[kind]
        cur.executemany(_NODE_INSERT[kind], rows)
        cur.executemany(sqlite_backend.property_insert(layout.property_table, False), properties)
        last_id = rows[-1][0]
        if self.fts5 and last_id - self.indexed_to[kind] >= word_index.FOLD_AT:
            word_index.index_pending(cur, layout)  # ours' statement: the words of every node above the mark
            self.indexed_to[kind] = last_id

    def _events(self, rows: Sequence[Tuple[int, int, int, bytes]], now: int) -> List[tuple]:
        """Event rows (id, artifact, execution, type, milliseconds, body) of (artifact, execution, type, path)."""
        first = self.next_event_id
        self.next_event_id += len(rows)
        return [(first + i, a, e, t, now, rowcore.encode_event(a, e, path, t, now))
                for i, (a, e, t, path) in enumerate(rows)]

    def _insert_events(self, cur: sqlite3.Cursor, rows: Sequence[tuple]) -> None:
        cur.executemany("INSERT INTO event (id, artifact_id, execution_id, type, milliseconds_since_epoch, body) "
                        "VALUES (?, ?, ?, ?, ?, ?)", rows)

    @staticmethod
    def _link(cur: sqlite3.Cursor, attributions: Sequence[tuple], associations: Sequence[tuple]) -> None:
        cur.executemany("INSERT OR IGNORE INTO attribution (context_id, artifact_id) VALUES (?, ?)", attributions)
        cur.executemany("INSERT OR IGNORE INTO association (context_id, execution_id) VALUES (?, ?)", associations)

    # Fill ----------------------------------------------------------------------------------------------
    def fill_types(self, ds: Dataset, meter: Meter) -> None:
        kinds = {kind: int(layout.kind) for kind, layout in LAYOUTS.items()}
        todo = [(kind, name, props, False) for kind in kinds for name, props in ds.extra_types(kind)]
        todo += [(kind, name, props, True) for kind in kinds for name, props in ds.types(kind)]
        for kind, name, props, keep in meter.each(todo):
            type_id = self.next_type_id
            self.next_type_id += 1
            with self._transaction() as cur:  # one transaction a type, as one put_*_type call
                cur.execute("INSERT INTO type (id, kind, name, version, description, external_id, base_type, "
                            "input_type, output_type) VALUES (?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL)",
                            (type_id, kinds[kind], name))
                cur.executemany("INSERT INTO type_property (type_id, name, data_type) VALUES (?, ?, ?)",
                                [(type_id, key, data_type) for key, data_type in props.items()])
            if keep:
                self.type_ids[kind].append(type_id)
                self.type_names[kind].append(name)
            meter.add(1)

    def _fill(self, meter: Meter, kind: str, count: int, size: int, row) -> None:  # noqa: ANN001 - i -> row
        batches = (range(start, min(start + size, count)) for start in range(0, count, size))
        for given in meter.each_prepared(batches, lambda batch: [_typed_row(row(index)) for index in batch],
                                         total=-(-count // size)):
            now = _now()
            ids = self._new_ids(kind, len(given), now)
            rows, properties = [], []
            for node_id, (type_index, name, uri, state, typed, typed_custom) in zip(ids, given):
                rows.append(self._node_row(kind, node_id, type_index, name, uri, state, now, now, typed,
                                           typed_custom))
                properties += rowcore.property_rows(node_id, 0, typed) + rowcore.property_rows(node_id, 1, typed_custom)
            with self._transaction() as cur:
                self._insert_nodes(cur, kind, rows, properties)
            self.ids[kind].extend(ids)
            meter.add(len(given))

    def fill_context_edges(self, ds: Dataset, meter: Meter) -> None:
        edges, batches = ds.chunks(ds.context_edges(), ds.edge_batch), -(-ds.n_edges // ds.edge_batch)
        for attributions, associations in meter.each_prepared(edges, self.edge_ids, total=batches):
            with self._transaction() as cur:
                self._link(cur, attributions, associations)
            meter.add(len(attributions) + len(associations))

    def fill_events(self, ds: Dataset, meter: Meter) -> None:
        exe, art = self.ids[EXECUTION], self.ids[ARTIFACT]
        def prepare(batch: Sequence[Tuple[int, int, int, str]]) -> List[tuple]:
            return [(art[a], exe[e], t, event_path(key)) for a, e, t, key in batch]

        for given in meter.each_prepared(ds.chunks(ds.events(), ds.node_batch), prepare):
            rows = self._events(given, _now())
            with self._transaction() as cur:
                self._insert_events(cur, rows)
            meter.add(len(given))

    # Closing writes ------------------------------------------------------------------------------------
    def update_artifacts(self, ds: Dataset, meter: Meter) -> None:
        """put_artifacts of stored artifacts whose only change is a custom property `bench_update`."""
        ids, created = self.ids[ARTIFACT], self.created[ARTIFACT]

        def prepare(numbered: Tuple[int, Sequence[int]]) -> List[tuple]:
            number, batch = numbered
            given = []
            for index in batch:
                type_index, name, uri, state, props, custom = ds.artifact(index)
                given.append((ids[index], type_index, name, uri, state, _typed(props),
                              _typed({**custom, "bench_update": number})))
            return given

        for given in meter.each_prepared(list(enumerate(ds.plan("update_artifacts"))), prepare):
            now = _now()
            rows, properties = [], []
            for node_id, type_index, name, uri, state, typed, typed_custom in given:
                row = self._node_row(ARTIFACT, node_id, type_index, name, uri, state, created[node_id - 1], now,
                                     typed, typed_custom)
                rows.append((now, row[-1], node_id))
                properties += rowcore.property_rows(node_id, 1, {"bench_update": typed_custom["bench_update"]})
                self.bench_updated.add(node_id)
            with self._transaction() as cur:
                cur.executemany("UPDATE artifact SET update_time = ?, body = ? WHERE id = ?", rows)
                cur.executemany(sqlite_backend.property_insert("artifact_property", True), properties)
            meter.add(len(given))

    def _reput(self, kind: str, node_id: int, now: int, row: tuple) -> Tuple[int, bytes, int]:
        """(update_time, body, id) of a stored node a call passes again as it is (`row` as `_typed_row` gives
        it): MLMD and ours rewrite it (the request lacks the output-only `type` its stored form has), with its
        create_time kept."""
        type_index, name, uri, state, typed, typed_custom = row
        stored = self._node_row(kind, node_id, type_index, name, uri, state, self.created[kind][node_id - 1], now,
                                typed, typed_custom)
        return now, stored[-1], node_id

    def put_execution(self, ds: Dataset, meter: Meter) -> None:
        """What each put_execution call of the workload writes (workloads.ApiSide.put_execution).

        Register inserts the execution (RUNNING) and its INPUT events, and the run's context on the run's first
        call; publish inserts two artifacts with their OUTPUT events and sets the execution's state. Every call
        links its artifacts and execution to both contexts, and rewrites the stored artifacts and contexts it
        passes again unchanged (update_time and body; an input's `bench_update` from update_artifacts goes).
        Statements run in ours' order: artifacts, execution, events, contexts, links. The dataset's rows are
        read untimed, as ours' caller builds its messages untimed (`prepare`).
        """
        outputs: Dict[Tuple[int, int], int] = {}  # (run, component) -> published main output's id
        running: Dict[Tuple[int, int], int] = {}  # -> execution id
        run_contexts: Dict[int, int] = {}

        def prepare(op: Tuple[str, int, int]) -> tuple:
            phase, run, comp = op
            index = run * ds.components + comp
            pipeline = run % ds.pipelines
            p_type, p_name, p_props = ds.context(pipeline)
            run_props = _typed({"pipeline_name": ds.pipeline_name(run)})
            contexts: tuple = ((self.ids[CONTEXT][pipeline], (p_type, p_name, None, None, _typed(p_props), {})),
                               (1, ds.run_name(run), None, None, run_props, {}))
            artifacts: List[Tuple[Optional[int], tuple]]  # (id when stored, row)
            if phase == "register":
                type_index, name, state, props, custom = ds.execution(index, RUNNING)
                artifacts = [(outputs.get(src) or self.ids[ARTIFACT][ds.main_output(*src)],
                              _typed_row(ds.artifact(ds.main_output(*src)))) for src in ds.inputs(run, comp)]
                paths = [event_path("input")] * len(artifacts)
            else:
                type_index, name, state, props, custom = ds.execution(index, COMPLETE)
                artifacts = [(None, _typed_row(ds.artifact(index * 2))), (None, _typed_row(ds.artifact(index * 2 + 1)))]
                paths = [event_path("output"), event_path("log")]
            execution = (type_index, name, None, state, _typed(props), _typed(custom))
            return phase, run, comp, execution, artifacts, paths, contexts

        for phase, run, comp, execution, artifacts, paths, contexts in meter.each_prepared(
                ds.plan("put_execution"), prepare):
            now = _now()
            if phase == "register":
                artifact_ids = self._register(run, comp, now, execution, artifacts, paths, contexts, running,
                                              run_contexts)
            else:
                artifact_ids = self._publish(run, comp, now, execution, artifacts, paths, contexts, outputs, running,
                                             run_contexts)
            meter.add(1, len(artifact_ids))

    def _register(self, run: int, comp: int, now: int, execution: tuple, artifacts: List[tuple], paths: List[bytes],
                  contexts: tuple, running: Dict[Tuple[int, int], int], run_contexts: Dict[int, int]) -> List[int]:
        type_index, name, _, state, typed, typed_custom = execution
        [execution_id] = self._new_ids(EXECUTION, 1, now)
        running[(run, comp)] = execution_id
        execution_row = self._node_row(EXECUTION, execution_id, type_index, name, None, state, now, now, typed,
                                       typed_custom)
        artifact_ids, updates, dropped = [], [], []
        for artifact_id, row in artifacts:
            artifact_ids.append(artifact_id)
            updates.append(self._reput(ARTIFACT, artifact_id, now, row))
            if artifact_id in self.bench_updated:
                self.bench_updated.discard(artifact_id)
                dropped.append((artifact_id, 1, "bench_update"))
        events = self._events([(a, execution_id, INPUT, path) for a, path in zip(artifact_ids, paths)], now)
        with self._transaction() as cur:
            if updates:
                cur.executemany("UPDATE artifact SET update_time = ?, body = ? WHERE id = ?", updates)
            if dropped:
                cur.executemany("DELETE FROM artifact_property WHERE node_id = ? AND is_custom = ? AND name = ?",
                                dropped)
            self._insert_nodes(cur, EXECUTION, [execution_row], rowcore.property_rows(execution_id, 0, typed)
                               + rowcore.property_rows(execution_id, 1, typed_custom))
            self._insert_events(cur, events)
            self._contexts(cur, run, now, contexts, run_contexts, execution_id, artifact_ids)
        return artifact_ids

    def _publish(self, run: int, comp: int, now: int, execution: tuple, artifacts: List[tuple], paths: List[bytes],
                 contexts: tuple, outputs: Dict[Tuple[int, int], int], running: Dict[Tuple[int, int], int],
                 run_contexts: Dict[int, int]) -> List[int]:
        execution_id = running[(run, comp)]
        execution_row = self._reput(EXECUTION, execution_id, now, execution)
        artifact_ids = list(self._new_ids(ARTIFACT, 2, now))
        rows, properties = [], []
        for node_id, (_, (a_type, a_name, uri, a_state, typed, typed_custom)) in zip(artifact_ids, artifacts):
            rows.append(self._node_row(ARTIFACT, node_id, a_type, a_name, uri, a_state, now, now, typed, typed_custom))
            properties += rowcore.property_rows(node_id, 0, typed) + rowcore.property_rows(node_id, 1, typed_custom)
        events = self._events([(a, execution_id, OUTPUT, path) for a, path in zip(artifact_ids, paths)], now)
        outputs[(run, comp)] = artifact_ids[0]
        with self._transaction() as cur:
            self._insert_nodes(cur, ARTIFACT, rows, properties)
            cur.execute("UPDATE execution SET last_known_state = ?, update_time = ?, body = ? WHERE id = ?",
                        (execution[3], *execution_row))
            self._insert_events(cur, events)
            self._contexts(cur, run, now, contexts, run_contexts, execution_id, artifact_ids)
        return artifact_ids

    def _contexts(self, cur: sqlite3.Cursor, run: int, now: int, contexts: tuple, run_contexts: Dict[int, int],
                  execution_id: int, artifact_ids: List[int]) -> None:
        """A call's contexts and links: the pipeline's context rewritten, the run's inserted on the run's first
        call and rewritten after, and the execution and artifacts linked to both. `contexts`: the pipeline's
        (id, row) and the run's row, as `_typed_row` gives them."""
        (pipeline_id, pipeline_row), run_row = contexts
        updates = [self._reput(CONTEXT, pipeline_id, now, pipeline_row)]
        if run in run_contexts:
            updates.append(self._reput(CONTEXT, run_contexts[run], now, run_row))
        cur.executemany("UPDATE context SET update_time = ?, body = ? WHERE id = ?", updates)
        if run not in run_contexts:
            [run_contexts[run]] = self._new_ids(CONTEXT, 1, now)
            type_index, name, _, _, typed, _ = run_row
            row = self._node_row(CONTEXT, run_contexts[run], type_index, name, None, None, now, now, typed, {})
            self._insert_nodes(cur, CONTEXT, [row], rowcore.property_rows(run_contexts[run], 0, typed))
        linked = (pipeline_id, run_contexts[run])
        self._link(cur, [(c, a) for c in linked for a in artifact_ids], [(c, execution_id) for c in linked])
