"""Schema version 12: events clustered by (artifact, execution, type), an execution's read with their bodies.

An upgrade from version 11 keeps every event as it was (ids, order, bodies); a downgrade gives back the
version 11 layout exactly as a version 11 library made it, so that library opens the store again.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import List, Tuple

from fastmlmd.engine import db, schema
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


def _config(path: Path) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return config


def _fill(store: metadata_store.MetadataStore) -> Tuple[List[int], List[int]]:
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="Step"))
    artifacts = store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=f"/a{i}") for i in range(30)])
    executions = store.put_executions([pb.Execution(type_id=execution_type) for _ in range(10)])
    events = []
    for i, artifact in enumerate(reversed(artifacts)):  # ids out of artifact order, paths on some
        event = pb.Event(artifact_id=artifact, execution_id=executions[i % 10],
                         type=pb.Event.INPUT if i % 3 else pb.Event.OUTPUT, milliseconds_since_epoch=1000 + i)
        if i % 4 == 0:
            event.path.steps.add().key = f"k{i}"
            event.path.steps.add().index = i
        events.append(event)
    store.put_events(events)
    store.put_events([pb.Event(artifact_id=artifacts[0], execution_id=executions[9], type=pb.Event.OUTPUT)])
    return artifacts, executions


def _events(store: metadata_store.MetadataStore, artifacts: List[int], executions: List[int]) -> List[bytes]:
    found = store.get_events_by_artifact_ids(artifacts) + store.get_events_by_execution_ids(executions)
    return [event.SerializeToString(deterministic=True) for event in found]


def _schema_rows(path: Path, table: str) -> List[Tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE tbl_name = ?", (table,)))


def _fresh_schema_rows(tmp_path: Path, version: int, table: str) -> List[Tuple[str, str]]:
    path = tmp_path / f"fresh-{version}.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db.migrate_to(conn.cursor(), 0, version)
    conn.close()
    return _schema_rows(path, table)


def test_events_read_the_same_after_an_upgrade_and_a_downgrade(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = metadata_store.MetadataStore(_config(path))
    artifacts, executions = _fill(store)
    current = _events(store, artifacts, executions)
    assert len(current) == 62
    del store

    metadata_store.downgrade_schema(_config(path), 11)
    # The version 11 layout as a version 11 library writes it: that library's schema check passes.
    assert _schema_rows(path, "event") == _fresh_schema_rows(tmp_path, 11, "event")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    store = metadata_store.MetadataStore(_config(path), enable_upgrade_migration=True)
    assert _schema_rows(path, "event") == _fresh_schema_rows(tmp_path, schema.SCHEMA_VERSION, "event")
    assert _events(store, artifacts, executions) == current
    # New events keep coming after the old ones: ids continue, an execution's events stay in insertion order.
    store.put_events([pb.Event(artifact_id=artifacts[5], execution_id=executions[0], type=pb.Event.OUTPUT)])
    newest = store.get_events_by_execution_ids([executions[0]])
    assert [e.artifact_id for e in newest][-1] == artifacts[5]
    assert newest[-1].SerializeToString() not in current


def test_an_execution_and_an_artifact_read_their_events_without_visiting_the_table(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = metadata_store.MetadataStore(_config(path))
    artifacts, executions = _fill(store)
    seen: List[str] = []
    conn = store._engine.db._conn
    conn.set_trace_callback(seen.append)
    store.get_events_by_execution_ids(executions[:3])
    store.get_events_by_artifact_ids(artifacts[:3])
    conn.set_trace_callback(None)
    plans = [detail for sql in seen if "FROM (VALUES" in sql
             for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    assert any("COVERING INDEX event_execution (execution_id=?)" in p for p in plans), plans
    assert any("SEARCH e USING PRIMARY KEY (artifact_id=?)" in p for p in plans), plans
