"""The raw-SQLite floor: the same rows and operations as the workloads, on the standard `sqlite3` module.

A plain MLMD-like schema (one node table, one property table, edge tables), hand-written SQL, `executemany`
in one transaction per call, results returned as tuples and nothing built from them: the limit a store on
SQLite is measured against. Where a query has an obvious better form than MLMD's (a `uri LIKE 'p%'` prefix
as an index range, a `+column` that keeps SQLite's planner off an unselective index) the floor uses it.
Standard library only, like data.py.
"""
from __future__ import annotations

import os
import sqlite3
import time
from typing import TYPE_CHECKING, Callable, Dict, List, Sequence, Set, Tuple

if __package__:
    from fastmlmd.bench.data import NodeFills
else:  # run by path, as the worker runs it under another interpreter too
    from data import NodeFills  # type: ignore[no-redef,import-not-found]

if TYPE_CHECKING:
    from fastmlmd.bench.data import Dataset, Props
    from fastmlmd.bench.meter import Meter

ARTIFACT, EXECUTION, CONTEXT = "artifact", "execution", "context"
INPUT, OUTPUT = 3, 4

SCHEMA = """
CREATE TABLE type (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL);
CREATE INDEX type_name ON type (kind, name);
CREATE TABLE type_property (type_id INTEGER NOT NULL, name TEXT NOT NULL, data_type INTEGER NOT NULL,
                            PRIMARY KEY (type_id, name));
CREATE TABLE node (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, type_id INTEGER NOT NULL, name TEXT, uri TEXT,
                   state INTEGER, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL);
CREATE UNIQUE INDEX node_type_name ON node (type_id, name);
CREATE INDEX node_name ON node (name);
CREATE INDEX node_uri ON node (uri);
CREATE TABLE property (node_id INTEGER NOT NULL, name TEXT NOT NULL, is_custom INTEGER NOT NULL,
                       int_value INTEGER, double_value REAL, string_value TEXT,
                       PRIMARY KEY (node_id, name, is_custom));
CREATE INDEX property_int ON property (name, is_custom, int_value) WHERE int_value IS NOT NULL;
CREATE TABLE event (id INTEGER PRIMARY KEY, artifact_id INTEGER NOT NULL, execution_id INTEGER NOT NULL,
                    type INTEGER NOT NULL, milliseconds INTEGER, path TEXT);
CREATE UNIQUE INDEX event_artifact ON event (artifact_id, execution_id, type);
CREATE INDEX event_execution ON event (execution_id);
CREATE TABLE attribution (context_id INTEGER NOT NULL, artifact_id INTEGER NOT NULL,
                          PRIMARY KEY (context_id, artifact_id));
CREATE INDEX attribution_artifact ON attribution (artifact_id);
CREATE TABLE association (context_id INTEGER NOT NULL, execution_id INTEGER NOT NULL,
                          PRIMARY KEY (context_id, execution_id));
CREATE INDEX association_execution ON association (execution_id);
"""
_NODE_COLUMNS = "id, type_id, name, uri, state, create_time, update_time"


def _now() -> int:
    return int(time.time() * 1000)


def _property_rows(node_id: int, props: Props, custom: Props) -> List[tuple]:
    rows: List[tuple] = []
    for is_custom, values in ((0, props), (1, custom)):
        for key, value in values.items():
            if isinstance(value, int):
                rows.append((node_id, key, is_custom, value, None, None))
            elif isinstance(value, float):
                rows.append((node_id, key, is_custom, None, value, None))
            else:
                rows.append((node_id, key, is_custom, None, None, value))
    return rows


class FloorSide(NodeFills):
    """One sqlite3 connection; node ids are assigned here, in the dataset's order."""

    def __init__(self, backend: str, workdir: str) -> None:
        path = ":memory:" if backend == "memory" else os.path.join(workdir, "floor.sqlite")
        self.conn = sqlite3.connect(path)
        if backend == "file":
            # The durability fastmlmd's file stores use (WAL, no fsync per commit). MLMD's SQLite file keeps
            # SQLite's defaults: a rollback journal and several fdatasyncs per commit (seen with strace).
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA cache_size = -65536")
        self.conn.executescript(SCHEMA)
        self.ids: Dict[str, List[int]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}
        self.type_ids: Dict[str, List[int]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}
        self.next_id = 1

    def run(self, name: str, ds: Dataset, meter: Meter) -> None:
        """Runs one workload by name (the worker reports a workload this side lacks as n/a)."""
        getattr(self, name)(ds, meter)

    def _new_ids(self, count: int) -> range:
        ids = range(self.next_id, self.next_id + count)
        self.next_id += count
        return ids

    def _write_nodes(self, rows: Sequence[tuple], properties: Sequence[tuple]) -> None:
        with self.conn:
            self.conn.executemany(f"INSERT INTO node ({_NODE_COLUMNS}, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.conn.executemany("INSERT INTO property VALUES (?, ?, ?, ?, ?, ?)", properties)

    def _nodes(self, where: str, params: Sequence[object] = (), tail: str = "ORDER BY id") -> int:
        """Reads the selected node rows and their property rows as tuples; returns the number of nodes."""
        conn = self.conn
        nodes = conn.execute(f"SELECT {_NODE_COLUMNS} FROM node WHERE {where} {tail}", params).fetchall()
        conn.execute(f"SELECT * FROM property WHERE node_id IN (SELECT id FROM node WHERE {where} {tail})",
                     params).fetchall()
        return len(nodes)

    # Fill ----------------------------------------------------------------------------------------------
    def fill_types(self, ds: Dataset, meter: Meter) -> None:
        todo = [(kind, name, props, False) for kind in (ARTIFACT, EXECUTION, CONTEXT)
                for name, props in ds.extra_types(kind)]
        todo += [(kind, name, props, True) for kind in (ARTIFACT, EXECUTION, CONTEXT) for name, props in ds.types(kind)]
        for kind, name, props, keep in meter.each(todo):
            with self.conn:  # one transaction a type, as one put_*_type call
                type_id = self.conn.execute("INSERT INTO type (kind, name) VALUES (?, ?)", (kind, name)).lastrowid
                assert type_id is not None
                self.conn.executemany("INSERT INTO type_property VALUES (?, ?, ?)",
                                      [(type_id, key, data_type) for key, data_type in props.items()])
            if keep:
                self.type_ids[kind].append(type_id)
            meter.add(1)

    def _fill(self, meter: Meter, kind: str, count: int, size: int, row) -> None:  # noqa: ANN001 - i -> row
        batches = (range(start, min(start + size, count)) for start in range(0, count, size))
        for given in meter.each_prepared(batches, lambda batch: [row(index) for index in batch],
                                         total=-(-count // size)):
            ids = self._new_ids(len(given))
            now = _now()
            rows, properties = [], []
            for node_id, (type_index, name, uri, state, props, custom) in zip(ids, given):
                rows.append((node_id, self.type_ids[kind][type_index], name, uri, state, now, now, kind))
                properties += _property_rows(node_id, props, custom)
            self._write_nodes(rows, properties)
            self.ids[kind].extend(ids)
            meter.add(len(given))

    def fill_context_edges(self, ds: Dataset, meter: Meter) -> None:
        edges, batches = ds.chunks(ds.context_edges(), ds.edge_batch), -(-ds.n_edges // ds.edge_batch)
        for attributions, associations in meter.each_prepared(edges, self.edge_ids, total=batches):
            with self.conn:
                self.conn.executemany("INSERT OR IGNORE INTO attribution VALUES (?, ?)", attributions)
                self.conn.executemany("INSERT OR IGNORE INTO association VALUES (?, ?)", associations)
            meter.add(len(attributions) + len(associations))

    def _put_events(self, rows: Sequence[Tuple[int, int, int, str]]) -> None:
        now = _now()
        self.conn.executemany(
            "INSERT INTO event (artifact_id, execution_id, type, milliseconds, path) VALUES (?, ?, ?, ?, ?)",
            [(a, e, t, now, f"{key}/0") for a, e, t, key in rows])

    def fill_events(self, ds: Dataset, meter: Meter) -> None:
        exe, art = self.ids[EXECUTION], self.ids[ARTIFACT]
        for events in meter.each_prepared(ds.chunks(ds.events(), ds.node_batch),
                                          lambda batch: [(art[a], exe[e], t, key) for a, e, t, key in batch]):
            with self.conn:
                self._put_events(events)
            meter.add(len(events))

    # Reads ---------------------------------------------------------------------------------------------
    def read_types(self, ds: Dataset, meter: Meter) -> None:
        conn = self.conn
        for how, kind, name, indices in meter.each(ds.plan("read_types")):
            if how == "all":
                where, params = "kind = ? AND name NOT LIKE 'mlmd.%'", [kind]
            elif how == "by_name":
                where, params = "kind = ? AND name = ?", [kind, name]
            else:
                ids = [self.type_ids[kind][i] for i in indices]
                where, params = f"kind = ? AND id IN ({', '.join('?' * len(ids))})", [kind, *ids]
            found = conn.execute(f"SELECT id, name FROM type WHERE {where}", params).fetchall()
            conn.execute(f"SELECT * FROM type_property WHERE type_id IN (SELECT id FROM type WHERE {where})",
                         params).fetchall()
            meter.add(1, len(found))

    def _by_id(self, ds: Dataset, meter: Meter, kind: str) -> None:
        ids = self.ids[kind]
        for batch in meter.each(ds.plan(f"read_{kind}s_by_id")):
            found = self._nodes(f"id IN ({', '.join('?' * len(batch))})", [ids[i] for i in batch])
            meter.add(found, found)

    def read_artifacts_by_id(self, ds: Dataset, meter: Meter) -> None:
        self._by_id(ds, meter, ARTIFACT)

    def read_executions_by_id(self, ds: Dataset, meter: Meter) -> None:
        self._by_id(ds, meter, EXECUTION)

    def _by_type(self, ds: Dataset, meter: Meter, kind: str, name: str) -> None:
        for type_name in meter.each(ds.plan(name)):
            found = self._nodes("type_id = (SELECT id FROM type WHERE kind = ? AND name = ?)", [kind, type_name])
            meter.add(found, found)

    def read_artifacts_by_type(self, ds: Dataset, meter: Meter) -> None:
        self._by_type(ds, meter, ARTIFACT, "read_artifacts_by_type")

    def read_executions_by_type(self, ds: Dataset, meter: Meter) -> None:
        self._by_type(ds, meter, EXECUTION, "read_executions_by_type")

    def read_nodes_by_type_and_name(self, ds: Dataset, meter: Meter) -> None:
        rows: Dict[str, Callable[[int], tuple]] = {ARTIFACT: ds.artifact, EXECUTION: ds.execution,
                                                   CONTEXT: ds.context}
        for kind, index in meter.each(ds.plan("read_nodes_by_type_and_name")):
            type_index, name = rows[kind](index)[:2]
            meter.add(1, self._nodes("type_id = ? AND name = ?", [self.type_ids[kind][type_index], name], ""))

    def read_artifacts_by_uri(self, ds: Dataset, meter: Meter) -> None:
        for index in meter.each(ds.plan("read_artifacts_by_uri")):
            meter.add(1, self._nodes("uri = ?", [ds.artifact(index)[2]]))

    def _linked(self, ds: Dataset, meter: Meter, name: str, kind: str, where: str, tail: str = "ORDER BY id") -> None:
        ids = self.ids[kind]
        for index in meter.each(ds.plan(name)):
            meter.add(1, self._nodes(where, [ids[index]], tail))

    def read_contexts_by_artifact(self, ds: Dataset, meter: Meter) -> None:
        self._linked(ds, meter, "read_contexts_by_artifact", ARTIFACT,
                     "id IN (SELECT context_id FROM attribution WHERE artifact_id = ?)")

    def read_contexts_by_execution(self, ds: Dataset, meter: Meter) -> None:
        self._linked(ds, meter, "read_contexts_by_execution", EXECUTION,
                     "id IN (SELECT context_id FROM association WHERE execution_id = ?)")

    def read_artifacts_by_context(self, ds: Dataset, meter: Meter) -> None:
        self._linked(ds, meter, "read_artifacts_by_context", CONTEXT,
                     "id IN (SELECT artifact_id FROM attribution WHERE context_id = ?)")

    def read_executions_by_context(self, ds: Dataset, meter: Meter) -> None:
        self._linked(ds, meter, "read_executions_by_context", CONTEXT,
                     "id IN (SELECT execution_id FROM association WHERE context_id = ?)",
                     "ORDER BY create_time DESC, id DESC")

    def _events(self, ds: Dataset, meter: Meter, name: str, kind: str) -> None:
        ids = self.ids[kind]
        for batch in meter.each(ds.plan(name)):
            found = self.conn.execute(
                f"SELECT * FROM event WHERE {kind}_id IN ({', '.join('?' * len(batch))}) ORDER BY id",
                [ids[i] for i in batch]).fetchall()
            meter.add(len(found), len(found))

    def read_events_by_executions(self, ds: Dataset, meter: Meter) -> None:
        self._events(ds, meter, "read_events_by_executions", EXECUTION)

    def read_events_by_artifacts(self, ds: Dataset, meter: Meter) -> None:
        self._events(ds, meter, "read_events_by_artifacts", ARTIFACT)

    # Filtered listings (hand-written SQL for the same questions) ---------------------------------------
    def filter_by_property(self, ds: Dataset, meter: Meter) -> None:
        for run in meter.each(ds.plan("filter_by_property")):
            meter.add(1, self._nodes(
                "kind = 'artifact' AND id IN (SELECT node_id FROM property WHERE name = 'span' AND is_custom = 0 "
                "AND int_value = ?)", [run]))

    def filter_by_name(self, ds: Dataset, meter: Meter) -> None:
        for index in meter.each(ds.plan("filter_by_name")):
            meter.add(1, self._nodes("name = ? AND kind = 'artifact'", [ds.artifact(index)[1]]))

    def filter_uri_prefix(self, ds: Dataset, meter: Meter) -> None:
        for run in meter.each(ds.plan("filter_uri_prefix")):
            prefix = f"/pipelines/{ds.pipeline_name(run)}/{ds.run_name(run)}/"
            meter.add(1, self._nodes("uri >= ? AND uri < ?", [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]))

    def filter_context_join(self, ds: Dataset, meter: Meter) -> None:
        for run, comp in meter.each(ds.plan("filter_context_join")):
            meter.add(1, self._nodes(
                "+type_id = ? AND id IN (SELECT artifact_id FROM attribution WHERE context_id IN "
                "(SELECT id FROM node WHERE kind = 'context' AND name = ?))",
                [self.type_ids[ARTIFACT][comp], ds.run_name(run)]))

    def filter_event_join(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]
        for index in meter.each(ds.plan("filter_event_join")):
            meter.add(1, self._nodes("id IN (SELECT execution_id FROM event WHERE artifact_id = ? AND type = 3)",
                                     [ids[index]]))

    def list_paged(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]
        for index, limit in meter.each(ds.plan("list_paged")):
            found = self._nodes("kind = 'artifact' AND id <= ?", [ids[index]], f"ORDER BY id DESC LIMIT {limit}")
            meter.add(found, found)

    def list_pipeline_paged(self, ds: Dataset, meter: Meter) -> None:
        for pipeline, comp, limit in meter.each(ds.plan("list_pipeline_paged")):
            found = self._nodes(
                "+type_id = ? AND id IN (SELECT execution_id FROM association WHERE context_id = ?)",
                [self.type_ids[EXECUTION][comp], self.ids[CONTEXT][pipeline]],
                f"ORDER BY create_time DESC, id DESC LIMIT {limit}")
            meter.add(found, found)

    def list_context_paged(self, ds: Dataset, meter: Meter) -> None:
        for pipeline, limit in meter.each(ds.plan("list_context_paged")):
            found = self._nodes("id IN (SELECT execution_id FROM association WHERE context_id = ?)",
                                [self.ids[CONTEXT][pipeline]], f"ORDER BY id DESC LIMIT {limit}")
            meter.add(found, found)

    def page_through_artifacts(self, ds: Dataset, meter: Meter) -> None:
        size = ds.page_through
        last = 0
        for _ in meter.each(ds.plan("page_through_artifacts")):
            where, tail = "kind = 'artifact' AND id > ?", f"ORDER BY id LIMIT {size}"
            rows = self.conn.execute(f"SELECT {_NODE_COLUMNS} FROM node WHERE {where} {tail}", (last,)).fetchall()
            self.conn.execute(f"SELECT * FROM property WHERE node_id IN (SELECT id FROM node WHERE {where} {tail})",
                              (last,)).fetchall()
            meter.add(len(rows), len(rows))
            last = rows[-1][0] if rows else last

    # Lineage: breadth-first over the event table, then the nodes, edges and contexts of the result -----
    def _walk(self, seed: int, hops: int, direction: str) -> Tuple[Set[int], Set[int]]:
        # Upstream: artifact <- producing execution (OUTPUT events), execution <- consumed artifacts (INPUT).
        to_exe = {"UPSTREAM": (OUTPUT,), "DOWNSTREAM": (INPUT,)}.get(direction, (INPUT, OUTPUT))
        to_art = {"UPSTREAM": (INPUT,), "DOWNSTREAM": (OUTPUT,)}.get(direction, (INPUT, OUTPUT))
        artifacts: Set[int] = {seed}
        executions: Set[int] = set()
        new_art: List[int] = [seed]
        new_exe: List[int] = []
        for _ in range(hops):
            found_exe = self._step("execution_id", "artifact_id", new_art, to_exe) - executions
            found_art = self._step("artifact_id", "execution_id", new_exe, to_art) - artifacts
            if not found_exe and not found_art:
                break
            executions |= found_exe
            artifacts |= found_art
            new_art, new_exe = list(found_art), list(found_exe)
        return artifacts, executions

    def _step(self, want: str, have: str, ids: List[int], types: Tuple[int, ...]) -> Set[int]:
        if not ids:
            return set()
        rows = self.conn.execute(
            f"SELECT {want} FROM event WHERE {have} IN ({', '.join('?' * len(ids))}) "
            f"AND type IN ({', '.join(map(str, types))})", ids).fetchall()
        return {row[0] for row in rows}

    def _lineage(self, ds: Dataset, meter: Meter, name: str) -> None:
        ids = self.ids[ARTIFACT]
        for index, hops, direction in meter.each(ds.plan(name)):
            artifacts, executions = self._walk(ids[index], hops, direction)
            nodes = sorted(artifacts | executions)
            marks = ", ".join("?" * len(nodes))
            self._nodes(f"id IN ({marks})", nodes)
            self.conn.execute(f"SELECT * FROM event WHERE artifact_id IN ({', '.join('?' * len(artifacts))}) "
                              f"AND execution_id IN ({', '.join('?' * len(executions))})",
                              [*artifacts, *executions]).fetchall()
            self._nodes(f"id IN (SELECT context_id FROM attribution WHERE artifact_id IN ({marks}) UNION "
                        f"SELECT context_id FROM association WHERE execution_id IN ({marks}))", nodes + nodes)
            meter.add(1, len(nodes))

    def lineage_2_hops(self, ds: Dataset, meter: Meter) -> None:
        self._lineage(ds, meter, "lineage_2_hops")

    def lineage_6_hops(self, ds: Dataset, meter: Meter) -> None:
        self._lineage(ds, meter, "lineage_6_hops")

    def lineage_upstream_20_hops(self, ds: Dataset, meter: Meter) -> None:
        self._lineage(ds, meter, "lineage_upstream_20_hops")

    # Closing writes ------------------------------------------------------------------------------------
    def update_artifacts(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]

        def prepare(numbered: Tuple[int, Sequence[int]]) -> Tuple[int, List[tuple]]:
            number, batch = numbered
            return number, [(ids[index], ds.artifact(index)) for index in batch]

        for number, given in meter.each_prepared(list(enumerate(ds.plan("update_artifacts"))), prepare):
            now = _now()
            rows, properties = [], []
            for node_id, (type_index, name, uri, state, props, custom) in given:
                rows.append((uri, state, now, node_id))
                properties += _property_rows(node_id, props, {**custom, "bench_update": number})
            with self.conn:  # a full replacement, as put_artifacts without a field mask
                self.conn.executemany("UPDATE node SET uri = ?, state = ?, update_time = ? WHERE id = ?", rows)
                self.conn.execute(f"DELETE FROM property WHERE node_id IN ({', '.join('?' * len(given))})",
                                  [node_id for node_id, _ in given])
                self.conn.executemany("INSERT INTO property VALUES (?, ?, ?, ?, ?, ?)", properties)
            meter.add(len(given))

    def put_execution(self, ds: Dataset, meter: Meter) -> None:
        outputs: Dict[Tuple[int, int], int] = {}
        running: Dict[Tuple[int, int], int] = {}
        run_contexts: Dict[int, int] = {}
        conn = self.conn

        def prepare(op: Tuple[str, int, int]) -> tuple:
            phase, run, comp = op
            index = run * ds.components + comp
            inputs = ([outputs.get(src) or self.ids[ARTIFACT][ds.main_output(*src)] for src in ds.inputs(run, comp)]
                      if phase == "register" else [])
            artifacts = [] if phase == "register" else [ds.artifact(index * 2), ds.artifact(index * 2 + 1)]
            return phase, run, comp, ds.execution(index, 2 if phase == "register" else 3), inputs, artifacts

        for phase, run, comp, (type_index, name, state, props, custom), inputs, artifacts in meter.each_prepared(
                ds.plan("put_execution"), prepare):
            now = _now()
            with conn:
                if phase == "register":
                    [execution_id] = self._new_ids(1)
                    conn.execute(f"INSERT INTO node ({_NODE_COLUMNS}, kind) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)",
                                 (execution_id, self.type_ids[EXECUTION][type_index], name, state, now, now,
                                  EXECUTION))
                    conn.executemany("INSERT INTO property VALUES (?, ?, ?, ?, ?, ?)",
                                     _property_rows(execution_id, props, custom))
                    running[(run, comp)] = execution_id
                    self._put_events([(a, execution_id, INPUT, "input") for a in inputs])
                    new_artifacts: List[int] = []
                else:
                    execution_id = running[(run, comp)]
                    conn.execute("UPDATE node SET state = ?, update_time = ? WHERE id = ?", (state, now, execution_id))
                    new_artifacts = list(self._new_ids(2))
                    rows, properties = [], []
                    for node_id, (a_type, a_name, uri, a_state, a_props, a_custom) in zip(new_artifacts, artifacts):
                        rows.append((node_id, self.type_ids[ARTIFACT][a_type], a_name, uri, a_state, now, now,
                                     ARTIFACT))
                        properties += _property_rows(node_id, a_props, a_custom)
                    conn.executemany(f"INSERT INTO node ({_NODE_COLUMNS}, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                     rows)
                    conn.executemany("INSERT INTO property VALUES (?, ?, ?, ?, ?, ?)", properties)
                    self._put_events([(a, execution_id, OUTPUT, key) for a, key in zip(new_artifacts, ("output", "log"))])
                    outputs[(run, comp)] = new_artifacts[0]
                context_id = run_contexts.get(run) or self._run_context(ds, run, now)
                run_contexts[run] = context_id
                contexts = (self.ids[CONTEXT][run % ds.pipelines], context_id)
                conn.executemany("INSERT OR IGNORE INTO association VALUES (?, ?)",
                                 [(c, execution_id) for c in contexts])
                conn.executemany("INSERT OR IGNORE INTO attribution VALUES (?, ?)",
                                 [(c, a) for c in contexts for a in new_artifacts])
            meter.add(1, len(new_artifacts) or len(inputs))

    def _run_context(self, ds: Dataset, run: int, now: int) -> int:
        found = self.conn.execute("SELECT id FROM node WHERE kind = 'context' AND name = ?",
                                  (ds.run_name(run),)).fetchone()
        if found:
            return found[0]
        [context_id] = self._new_ids(1)
        self.conn.execute(f"INSERT INTO node ({_NODE_COLUMNS}, kind) VALUES (?, ?, ?, NULL, NULL, ?, ?, ?)",
                          (context_id, self.type_ids[CONTEXT][1], ds.run_name(run), now, now, CONTEXT))
        self.conn.execute("INSERT INTO property VALUES (?, 'pipeline_name', 0, NULL, NULL, ?)",
                          (context_id, ds.pipeline_name(run)))
        return context_id
