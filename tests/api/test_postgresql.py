"""What only the PostgreSQL backend has to get right: its connection, its transactions, its time limit, its text."""
from __future__ import annotations

from typing import Any

import pytest
import server_stores
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = pytest.mark.server

DIFFERENCES_FROM_MLMD = {
    "test_int64_property_values_are_kept":
        "on PostgreSQL, ml-metadata 1.17.1 keeps int properties in 32-bit columns and fails with InternalError "
        "('out of range') beyond them, as a millisecond timestamp is; we keep every int64",
    "test_a_nul_in_a_string_is_refused":
        "on PostgreSQL, whose text holds no NUL, ml-metadata 1.17.1 cuts strings at the first NUL; we refuse the "
        "string with InvalidArgumentError rather than store another one",
}


@pytest.fixture
def config() -> Any:
    return server_stores.postgresql_stores().config()


def _admin() -> Any:
    import psycopg

    return psycopg.connect(host=server_stores.PG_HOST, port=server_stores.PG_PORT, user=server_stores.PG_USER,
                           dbname="postgres", autocommit=True)


def test_int64_property_values_are_kept(config: Any) -> None:
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(pb.ArtifactType(name="T", properties={"ms": pb.INT}))
    artifact = pb.Artifact(type_id=type_id)
    artifact.properties["ms"].int_value = 1_700_000_000_000
    artifact.custom_properties["min"].int_value = -(2 ** 63)
    [artifact_id] = store.put_artifacts([artifact])
    [stored] = store.get_artifacts_by_id([artifact_id])
    assert stored.properties["ms"].int_value == 1_700_000_000_000
    assert stored.custom_properties["min"].int_value == -(2 ** 63)
    found = store.get_artifacts(list_options=metadata_store.ListOptions(
        filter_query="properties.ms.int_value > 1600000000000"))
    assert [a.id for a in found] == [artifact_id]


def test_a_nul_in_a_string_is_refused(config: Any) -> None:
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(pb.ArtifactType(name="T"))
    with pytest.raises(errors.InvalidArgumentError, match="PostgreSQL cannot hold"):
        store.put_artifacts([pb.Artifact(type_id=type_id, uri="a\x00b")])
    assert store.get_artifacts() == []


def test_like_folds_ascii_letters_only_and_has_no_escape(config: Any) -> None:
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(pb.ArtifactType(name="T"))
    store.put_artifacts([pb.Artifact(type_id=type_id, uri=uri) for uri in ("/Data/É", "/data/é", "a\\_b", "a\\xb")])

    def uris(query: str) -> list:
        return sorted(a.uri for a in store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=query)))

    assert uris("uri LIKE '/DATA/%'") == ["/Data/É", "/data/é"]
    assert uris("uri LIKE '%é'") == ["/data/é"]  # no folding beyond ASCII, as SQLite's LIKE
    assert uris("uri LIKE 'a\\\\_b'") == ["a\\_b", "a\\xb"]  # a backslash is an ordinary character


def test_a_lost_connection_is_unavailable_then_reconnects(config: Any) -> None:
    store = metadata_store.MetadataStore(config)
    store.put_artifact_type(pb.ArtifactType(name="Before"))
    database = config.postgresql.dbname
    with _admin() as admin:
        ended = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                              "AND pid != pg_backend_pid()", (database,)).fetchall()
    assert ended
    with pytest.raises(errors.UnavailableError):
        store.put_artifact_type(pb.ArtifactType(name="Lost"))
    store.put_artifact_type(pb.ArtifactType(name="After"))
    assert [t.name for t in store.get_artifact_types()] == ["Before", "After"]


def test_a_statement_past_the_time_limit_is_stopped(config: Any) -> None:
    from fastmlmd.engine.db import QueryTimeout
    from ml_metadata._connect import open_database

    db = open_database(config, enable_upgrade_migration=False)  # only a statement we write takes long enough
    with pytest.raises(QueryTimeout):
        db.run(lambda cur: cur.execute("SELECT pg_sleep(5)").fetchall(), write=False, time_limit=0.05)
    # The limit is lifted for the calls after it.
    assert db.run(lambda cur: cur.execute("SELECT pg_sleep(0.1), 1").fetchone()[1], write=False) == 1
    db.close()


def test_a_unique_violation_the_engine_reads_past_leaves_the_call_whole(config: Any) -> None:
    # Inserting an event already stored fails in PostgreSQL's transaction; the engine then reads which one is
    # stored. The attempt is run again with savepoints, so it ends with MLMD's AlreadyExistsError and no part of
    # the call stays written.
    store = metadata_store.MetadataStore(config)
    a_type = store.put_artifact_type(pb.ArtifactType(name="A"))
    e_type = store.put_execution_type(pb.ExecutionType(name="E"))
    [artifact_id] = store.put_artifacts([pb.Artifact(type_id=a_type)])
    [execution_id] = store.put_executions([pb.Execution(type_id=e_type)])
    event = pb.Event(artifact_id=artifact_id, execution_id=execution_id, type=pb.Event.INPUT)
    store.put_events([event])
    with pytest.raises(errors.AlreadyExistsError):
        store.put_execution(pb.Execution(id=execution_id, type_id=e_type, name="renamed"),
                            [(pb.Artifact(id=artifact_id, type_id=a_type), event)], [])
    [execution] = store.get_executions_by_id([execution_id])
    assert execution.name == ""
    assert len(store.get_events_by_execution_ids([execution_id])) == 1


def test_many_rows_go_as_one_insert_in_chunks_and_count_all(config: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastmlmd.engine.backends import postgresql

    monkeypatch.setattr(postgresql, "MAX_PARAMETERS", 4)  # two rows of two columns a statement
    connection, _ = postgresql.connect(config.postgresql)
    try:
        cur = connection.cursor()
        cur.execute("CREATE TEMP TABLE pairs (a BIGINT, b BIGINT)")
        cur.executemany("INSERT INTO pairs (a, b) VALUES (?, ?)", [(i, -i) for i in range(5)])
        assert cur.rowcount == 5
        assert cur.execute("SELECT a, b FROM pairs ORDER BY a").fetchall() == [(i, -i) for i in range(5)]
        cur.executemany("UPDATE pairs SET b = ? WHERE a = ?", [(0, 1), (0, 2)])
        assert cur.execute("SELECT count(*) FROM pairs WHERE b = 0").fetchone() == (3,)
    finally:
        connection.close()
