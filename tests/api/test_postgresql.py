"""What only the PostgreSQL backend has to get right: its connection, its transactions, its time limit, its text."""
from __future__ import annotations

import re
from typing import Any, List

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


# -- search indexes (schema version 14) and plans ---------------------------------------------------------------

TRIGRAM_INDEXES = ["artifact_name_trigrams", "artifact_uri_trigrams", "context_name_trigrams",
                   "execution_name_trigrams"]


def _store_connection(config: Any) -> Any:
    import psycopg

    return psycopg.connect(host=config.postgresql.host, port=config.postgresql.port, user=config.postgresql.user,
                           dbname=config.postgresql.dbname, autocommit=True)


def _trigram_indexes(config: Any) -> list:
    with _store_connection(config) as conn:
        return [row[0] for row in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE '%%_trigrams' "
            "ORDER BY indexname")]


def _uris(store: metadata_store.MetadataStore, query: str) -> list:
    return [a.uri for a in store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))]


def _plan(store: metadata_store.MetadataStore, query: str) -> str:
    explained = store.explain_filter("artifacts", query)
    return explained.split("postgresql plan:\n", 1)[1].split("\nsql: ", 1)[0]


LIKE_QUERIES = ["uri LIKE '/runs/r1/%'", "uri LIKE '%/R1/%'", "uri LIKE '%model'", "name LIKE 'a1%'",
                "uri LIKE '/runs/r1/x1821/%'", "uri LIKE '%/X1821/%'", "name LIKE '%1821'",
                "uri NOT LIKE '%1%'", "uri LIKE '%'", "uri LIKE '_'", "uri LIKE '/runs/r1/x1'"]


SEEDED = 3000  # artifacts: enough that PostgreSQL seeks a selective LIKE rather than read the table


def _seed_uris(store: metadata_store.MetadataStore) -> None:
    type_id = store.put_artifact_type(pb.ArtifactType(name="T"))
    artifacts = [pb.Artifact(type_id=type_id, name=f"a{i}", uri=f"/runs/r{i % 7}/x{i}/{'Model' if i % 3 else 'log'}")
                 for i in range(SEEDED - 1)] + [pb.Artifact(type_id=type_id, uri="x")]
    for artifact in artifacts:  # rows of a real store's size, whose table costs more to read than an index
        artifact.custom_properties["note"].string_value = "n" * 400
    store.put_artifacts(artifacts)


def test_a_version_13_store_gets_the_trigram_indexes_and_a_downgrade_drops_them(config: Any) -> None:
    store = metadata_store.MetadataStore(config)
    _seed_uris(store)
    assert _trigram_indexes(config) == TRIGRAM_INDEXES
    found = {query: _uris(store, query) for query in LIKE_QUERIES}
    assert "Bitmap Index Scan on artifact_uri_trigrams" in _plan(store, "uri LIKE '/runs/r1/x1821/%'")
    assert "Bitmap Index Scan on artifact_uri_trigrams" in _plan(store, "uri LIKE '%/X1821/%'")
    assert "Bitmap Index Scan on artifact_name_trigrams" in _plan(store, "name LIKE '%1821'")
    del store
    metadata_store.downgrade_schema(config, 13)
    assert _trigram_indexes(config) == []
    with pytest.raises(RuntimeError, match="^MLMD database version 13 is older than library version 14"):
        metadata_store.MetadataStore(config)
    scanning = metadata_store.MetadataStore(config, enable_upgrade_migration=True)
    assert _trigram_indexes(config) == TRIGRAM_INDEXES
    assert {query: _uris(scanning, query) for query in LIKE_QUERIES} == found
    assert found["uri LIKE '%/R1/%'"] and found["uri LIKE '_'"] == ["x"]  # the answers are not all empty


def test_without_pg_trgm_like_filters_scan_and_the_store_says_so(caplog: pytest.LogCaptureFixture) -> None:
    # A user who may create tables but not extensions (no CREATE on the database): its store has no trigram
    # indexes, answers LIKE filters by scanning, and says so when it is opened; once a user who may add
    # pg_trgm upgrades it from version 13, it has them. The role and the database are this test's own.
    import uuid

    name = f"fastmlmd_test_notrgm_{uuid.uuid4().hex[:8]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        admin.execute(f'CREATE ROLE "{name}" LOGIN NOSUPERUSER NOCREATEDB')
        try:
            config = server_stores.PostgreSQLStores.config_of(name)
            with _store_connection(config) as conn:
                conn.execute(f'GRANT CREATE ON SCHEMA public TO "{name}"')
            limited = pb.ConnectionConfig()
            limited.CopyFrom(config)
            limited.postgresql.user = name
            store = metadata_store.MetadataStore(limited)
            _seed_uris(store)
            assert _trigram_indexes(config) == []
            found = {query: _uris(store, query) for query in LIKE_QUERIES}
            assert "Seq Scan on artifact" in _plan(store, "uri LIKE '%/x1821/%'")
            del store
            with caplog.at_level("WARNING", logger="fastmlmd"):
                again = metadata_store.MetadataStore(limited)
            assert "no trigram indexes" in caplog.text
            assert {query: _uris(again, query) for query in LIKE_QUERIES} == found
            del again
            metadata_store.downgrade_schema(config, 13)  # as the server's superuser, who may add pg_trgm
            upgraded = metadata_store.MetadataStore(config, enable_upgrade_migration=True)
            assert _trigram_indexes(config) == TRIGRAM_INDEXES
            assert {query: _uris(upgraded, query) for query in LIKE_QUERIES} == found
            del upgraded
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_a_listing_limit_is_written_into_the_statement(config: Any) -> None:
    # psycopg prepares a statement it runs often, and PostgreSQL then plans it once for every value: with the
    # LIMIT a parameter, that generic plan walked the whole primary key for a filter on one name. The limit in
    # the text keeps the name index in the generic plan too (EXPLAIN of the prepared statement, forced generic).
    from fastmlmd.engine.backends import postgresql

    store = metadata_store.MetadataStore(config)
    _seed_uris(store)
    sent = []
    real = postgresql.PostgreSQLCursor.execute

    def recording(cursor: Any, sql: str, parameters: Any = ()) -> Any:
        sent.append((sql, list(parameters)))
        return real(cursor, sql, parameters)

    postgresql.PostgreSQLCursor.execute = recording  # type: ignore[method-assign]
    try:
        assert [a.name for a in store.get_artifacts(
            list_options=metadata_store.ListOptions(filter_query="name = 'a5'"))] == ["a5"]
        assert len(store.get_artifacts(list_options=metadata_store.ListOptions(
            filter_query="name LIKE 'a1%'", limit=3))) == 3
    finally:
        postgresql.PostgreSQLCursor.execute = real  # type: ignore[method-assign]
    listings = [(sql, params) for sql, params in sent if sql.startswith("SELECT n.body")]
    assert [sql.rsplit(" ORDER BY ", 1)[1] for sql, _ in listings] == ["n.id ASC LIMIT ?", "n.id ASC LIMIT ?"]
    unlimited, limited = [(postgresql._literal_limit(sql, params[-1]), params[:-1]) for sql, params in listings]
    assert unlimited[0].endswith("ORDER BY n.id ASC") and limited[0].endswith("ORDER BY n.id ASC LIMIT 3")
    with _store_connection(config) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")  # this session's own
        conn.execute(f"PREPARE by_name (text) AS {postgresql._numbered(unlimited[0])}")
        plan = "\n".join(row[0] for row in conn.execute("EXPLAIN EXECUTE by_name ('a5')"))
    assert "artifact_name" in plan and "artifact_pkey" not in plan, plan


def _scans_per_node(plan: str) -> List[str]:
    """The sequential scans of link and event tables in `plan` outside a hashed subplan (one PostgreSQL runs
    once per statement, where the others run once per node they test)."""
    hashed = set(re.findall(r"hashed SubPlan (\d+)", plan))
    found, subplan = [], None
    for line in plan.splitlines():
        header = re.match(r"\s*SubPlan (\d+)", line)
        if header:
            subplan = header.group(1)
        elif re.search(r"Seq Scan on (attribution|association|event)\b", line) and subplan not in hashed:
            found.append(line.strip())
    return found


def test_a_filled_store_is_analyzed_and_a_probe_seeks(config: Any) -> None:
    # A store written through the API has statistics, whether or not autovacuum runs: without them, the probe of
    # an OR across two aliases scanned the whole link table for every node it tested.
    store = metadata_store.MetadataStore(config)
    _seed_uris(store)
    artifact_ids = [a.id for a in store.get_artifacts()]
    context_type = store.put_context_type(pb.ContextType(name="Run"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="E"))
    context_ids = store.put_contexts([pb.Context(type_id=context_type, name=f"run{i}") for i in range(20)])
    [execution_id] = store.put_executions([pb.Execution(type_id=execution_type)])
    store.put_attributions_and_associations(
        [pb.Attribution(artifact_id=a, context_id=context_ids[a % 20]) for a in artifact_ids], [])
    store.put_events([pb.Event(artifact_id=a, execution_id=execution_id, type=pb.Event.INPUT) for a in artifact_ids])
    with _store_connection(config) as conn:
        analyzed = dict(conn.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('artifact', 'attribution', 'event') "
            "AND relnamespace = current_schema()::regnamespace").fetchall())
    assert analyzed == {"artifact": SEEDED, "attribution": SEEDED, "event": SEEDED}
    query = f"id BETWEEN 100 AND 200 OR events_a.execution_id = {execution_id} AND contexts_b.id < 5"
    plan = _plan(store, query)
    assert not _scans_per_node(plan), plan
    expected = sorted(a for a in artifact_ids if 100 <= a <= 200 or context_ids[a % 20] < 5)
    assert 100 < len(expected) < SEEDED
    assert [a.id for a in store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))] == expected


def test_the_store_plans_its_sessions_for_short_statements(config: Any) -> None:
    # No JIT compilation (a random filter spent 100 ms compiling to answer in 40), and random page reads costed
    # for pages in memory, where the server's own setting is higher.
    store = metadata_store.MetadataStore(config)
    jit, page_cost = store._engine.db.run(lambda cur: cur.execute(
        "SELECT current_setting('jit'), current_setting('random_page_cost')::float8").fetchone(), write=False)
    assert jit == "off"
    assert page_cost <= 1.1
