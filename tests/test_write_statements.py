"""The write calls send few statements: one per table they touch, whatever the batch, and no read-backs.

Like tests/lineage/test_lineage_queries.py, these look at what our engine sends to SQLite, so they run on our
package only. A statement is one execute or executemany (executemany runs a prepared statement once per row).
"""
from __future__ import annotations

import sqlite3
from typing import Any, Callable, List

from fastmlmd.engine import backends
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


class _CountingCursor:
    def __init__(self, cursor: sqlite3.Cursor, seen: List[str]) -> None:
        self._cursor, self._seen = cursor, seen
        self.backend = backends.of(cursor)  # the backend a wrapping cursor names (backends.of)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._seen.append(sql)
        return self._cursor.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self._seen.append(sql)
        return self._cursor.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _CountingConnection:
    def __init__(self, conn: sqlite3.Connection, seen: List[str]) -> None:
        self._conn, self._seen = conn, seen

    def cursor(self) -> _CountingCursor:
        return _CountingCursor(self._conn.cursor(), self._seen)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def statements(store: metadata_store.MetadataStore, call: Callable[[], Any]) -> List[str]:
    """The statements `call` sends to the store's connection, BEGIN and COMMIT included."""
    seen: List[str] = []
    db = store._engine.db
    conn = db._conn
    db._conn = _CountingConnection(conn, seen)
    try:
        call()
    finally:
        db._conn = conn
    return [" ".join(sql.split()) for sql in seen]


def _store() -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    return metadata_store.MetadataStore(config)


def _types(store: metadata_store.MetadataStore) -> tuple:
    artifact_type = pb.ArtifactType(name="Model")
    artifact_type.properties["span"] = pb.INT
    execution_type = pb.ExecutionType(name="Trainer")
    execution_type.properties["component_id"] = pb.STRING
    context_type = pb.ContextType(name="pipeline_run")
    return (store.put_artifact_type(artifact_type), store.put_execution_type(execution_type),
            store.put_context_type(context_type))


def _artifact(type_id: int, name: str) -> pb.Artifact:
    artifact = pb.Artifact(type_id=type_id, name=name, uri=f"/models/{name}", state=pb.Artifact.LIVE)
    artifact.properties["span"].int_value = 7
    artifact.custom_properties["tag"].string_value = "nightly"
    return artifact


def _event(event_type: int) -> pb.Event:
    event = pb.Event(type=event_type)
    event.path.steps.add().key = "examples"
    return event


def test_put_execution_runs_one_statement_per_table() -> None:
    """A component publishing: its execution, 2 inputs (as read back), 2 new outputs, 4 events, 1 context."""
    store = _store()
    artifact_type, execution_type, context_type = _types(store)
    input_ids = store.put_artifacts([_artifact(artifact_type, "in-0"), _artifact(artifact_type, "in-1")])
    inputs = store.get_artifacts_by_id(input_ids)
    [context_id] = store.put_contexts([pb.Context(type_id=context_type, name="run-1")])
    [context] = store.get_contexts_by_id([context_id])
    store.put_executions([pb.Execution(type_id=execution_type)])  # the store has met the type: it is cached
    execution = pb.Execution(type_id=execution_type, name="trainer-1", last_known_state=pb.Execution.RUNNING)
    execution.properties["component_id"].string_value = "Trainer"
    pairs = [(inputs[0], _event(pb.Event.INPUT)), (inputs[1], _event(pb.Event.INPUT)),
             (_artifact(artifact_type, "out-0"), _event(pb.Event.OUTPUT)),
             (_artifact(artifact_type, "out-1"), _event(pb.Event.OUTPUT))]
    result: list = []
    sql = statements(store, lambda: result.append(store.put_execution(execution, pairs, [context])))
    assert sql[0] == "BEGIN IMMEDIATE" and sql[-1] == "COMMIT"
    # One read before any write: the next id of every table the call inserts into and the stored inputs and
    # context (a node as read back is not written again); then one statement per table written.
    assert [s.split()[0] for s in sql[1:-1]] == [
        "SELECT",  # the next artifact, execution and event ids, the word index marks, the stored nodes
        "INSERT", "INSERT",  # the new artifacts and their properties
        "INSERT", "INSERT",  # the execution and its properties
        "INSERT",  # the 4 events
        "INSERT", "INSERT",  # attributions, association
    ], "\n".join(sql)
    assert len(sql) == 10
    execution_id, artifact_ids, context_ids = result[0]
    assert artifact_ids[:2] == input_ids and context_ids == [context_id]
    assert len(store.get_events_by_execution_ids([execution_id])) == 4
    assert {a.id for a in store.get_artifacts_by_context(context_id)} == set(artifact_ids)
    assert [e.id for e in store.get_executions_by_context(context_id)] == [execution_id]


def test_put_execution_statements_do_not_grow_with_the_artifacts() -> None:
    store = _store()
    artifact_type, execution_type, context_type = _types(store)

    def call(width: int) -> List[str]:
        execution = pb.Execution(type_id=execution_type)
        pairs = [(_artifact(artifact_type, f"w{width}-{i}"), _event(pb.Event.OUTPUT)) for i in range(width)]
        context = pb.Context(type_id=context_type, name=f"run-{width}")
        return statements(store, lambda: store.put_execution(execution, pairs, [context]))

    call(1)  # the store meets the types
    # 43 new artifacts in all: fewer than the word index takes in at once (sqlite_words.FOLD_AT).
    assert len(call(2)) == len(call(40))


def test_type_put_that_changes_nothing_is_one_read() -> None:
    """Re-putting a pipeline's types (every run's first call) reads one statement and takes no write lock."""
    store = _store()
    artifact_type = pb.ArtifactType(name="Model")
    artifact_type.properties["span"] = pb.INT
    type_id = store.put_artifact_type(artifact_type)
    sql = statements(store, lambda: store.put_artifact_type(artifact_type))
    assert len(sql) == 1 and sql[0].startswith("SELECT"), sql
    assert store.put_artifact_type(artifact_type) == type_id
    # A change is a write: BEGIN IMMEDIATE, the type read again, its new property, COMMIT.
    artifact_type.properties["version"] = pb.INT
    sql = statements(store, lambda: store.put_artifact_type(artifact_type, can_add_fields=True))
    assert [s.split()[0] for s in sql] == ["SELECT", "BEGIN", "SELECT", "INSERT", "COMMIT"], sql
    assert store.get_artifact_type("Model").properties["version"] == pb.INT


def test_new_type_is_one_insert_after_the_read() -> None:
    store = _store()
    context_type = pb.ContextType(name="pipeline")
    context_type.properties["owner"] = pb.STRING
    sql = statements(store, lambda: store.put_context_type(context_type))
    assert [s.split()[0] for s in sql] == ["SELECT", "BEGIN", "INSERT", "INSERT", "COMMIT"], sql
    assert store.get_context_type("pipeline").properties["owner"] == pb.STRING


def test_type_created_after_the_read_is_evolved() -> None:
    """Another writer creates the type between put_type's read and its write: the request evolves that type."""
    from fastmlmd.engine import types
    from fastmlmd.engine.catalog import TypeKind
    from fastmlmd.engine.records import TypeRecord

    store = _store()
    engine = store._engine
    first = engine.put_type(TypeRecord(kind=TypeKind.ARTIFACT, name="Model", properties={"span": 1}), False, False)
    request = TypeRecord(kind=TypeKind.ARTIFACT, name="Model", properties={"span": 1, "version": 1})
    assert engine._write(lambda cur: types.put_type(cur, request, True, False, read_absent=True)) == first
    assert store.get_artifact_type("Model").properties["version"] == pb.INT
    refused = TypeRecord(kind=TypeKind.ARTIFACT, name="Model", properties={"span": 3})
    try:
        engine._write(lambda cur: types.put_type(cur, refused, True, True, read_absent=True))
    except Exception as exc:  # the evolution's refusal: a property's type never changes
        assert type(exc).__name__ == "AlreadyExistsError", exc
    else:
        raise AssertionError("a property's type changed")


def test_edge_puts_are_one_statement_per_table() -> None:
    store = _store()
    artifact_type, execution_type, context_type = _types(store)
    artifact_ids = store.put_artifacts([_artifact(artifact_type, f"a{i}") for i in range(20)])
    execution_ids = store.put_executions([pb.Execution(type_id=execution_type) for _ in range(20)])
    context_ids = store.put_contexts([pb.Context(type_id=context_type, name=f"c{i}") for i in range(3)])
    events = []
    for artifact_id, execution_id in zip(artifact_ids, execution_ids):
        event = _event(pb.Event.INPUT)
        event.artifact_id, event.execution_id = artifact_id, execution_id
        events.append(event)
    # Events: the ids they name and the next event id in one read, then one insert.
    sql = statements(store, lambda: store.put_events(events))
    assert [s.split()[0] for s in sql] == ["BEGIN", "SELECT", "INSERT", "COMMIT"], sql
    # Links: one insert per table, each checking the ids it names; nothing read.
    attributions = [pb.Attribution(context_id=context_ids[0], artifact_id=i) for i in artifact_ids]
    associations = [pb.Association(context_id=context_ids[0], execution_id=i) for i in execution_ids]
    sql = statements(store, lambda: store.put_attributions_and_associations(attributions, associations))
    assert [s.split()[0] for s in sql] == ["BEGIN", "INSERT", "INSERT", "COMMIT"], sql
    # Links stored already are kept: the ids are then looked up once, to tell them from missing ones.
    sql = statements(store, lambda: store.put_attributions_and_associations(attributions[:2], []))
    assert [s.split()[0] for s in sql] == ["BEGIN", "INSERT", "SELECT", "COMMIT"], sql
    # A parent edge is checked (both contexts stored, no cycle) and written in one statement.
    edge = pb.ParentContext(child_id=context_ids[1], parent_id=context_ids[0])
    sql = statements(store, lambda: store.put_parent_contexts([edge]))
    assert [s.split()[0] for s in sql] == ["BEGIN", "INSERT", "COMMIT"], sql
    assert [c.id for c in store.get_parent_contexts_by_context(context_ids[1])] == [context_ids[0]]
    assert len(store.get_events_by_execution_ids(execution_ids)) == 20
    assert len(store.get_artifacts_by_context(context_ids[0])) == 20


def test_contexts_that_reuse_one_another_keep_list_order() -> None:
    """The batched contexts of put_execution fall back to list order where an earlier context decides a later."""
    store = _store()
    _, execution_type, context_type = _types(store)
    twice = [pb.Context(type_id=context_type, name="run-1"), pb.Context(type_id=context_type, name="run-1")]
    _, _, ids = store.put_execution(pb.Execution(type_id=execution_type), [], twice,
                                    reuse_context_if_already_exist=True)
    assert ids[0] == ids[1]
    # The first context renames a stored one to the name the second reuses by.
    [other] = store.put_contexts([pb.Context(type_id=context_type, name="run-2")])
    renamed = pb.Context(id=other, type_id=context_type, name="run-3")
    _, _, ids = store.put_execution(pb.Execution(type_id=execution_type), [],
                                    [renamed, pb.Context(type_id=context_type, name="run-3")],
                                    reuse_context_if_already_exist=True)
    assert ids == [other, other]
