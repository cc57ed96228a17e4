"""MariaDB's search columns (schema version 14: each node's uri and name with its ASCII letters lowered, stored
and indexed, which LIKE filters match), their migration, and the plans of the filter shapes MySQLBackend renders
its own way.

Set FASTMLMD_UPDATE_FIXTURES=1 to rewrite tests/fixtures/mysql_filter_plans.txt after an intended change.
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest
import server_stores
from plan_fixture import assert_matches_fixture
from fastmlmd.engine import access, planner, reads
from fastmlmd.engine.catalog import ARTIFACT
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = pytest.mark.server

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mysql_filter_plans.txt"
SEARCH_COLUMNS = [("artifact", "name_folded"), ("artifact", "uri_folded"), ("context", "name_folded"),
                  ("execution", "name_folded")]
SEARCH_INDEXES = [("artifact", "artifact_name_folded"), ("artifact", "artifact_uri_folded"),
                  ("context", "context_name_folded"), ("execution", "execution_name_folded")]
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@pytest.fixture
def config() -> Any:
    return server_stores.mysql_stores().config()


@pytest.fixture
def admin() -> Iterator[Any]:
    import pymysql

    session = pymysql.connect(host=server_stores.HOST, port=server_stores.PORT, user=server_stores.USER,
                              autocommit=True, charset="utf8mb4")
    try:
        yield session.cursor()
    finally:
        session.close()


def _search_schema(admin: Any, database: str) -> Tuple[List[Tuple[str, str]], List[Tuple[str, str]]]:
    admin.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s AND "
                  "column_name LIKE '%%\\_folded' ORDER BY table_name, column_name", (database,))
    columns = [tuple(row) for row in admin.fetchall()]
    admin.execute("SELECT DISTINCT table_name, index_name FROM information_schema.statistics WHERE table_schema = %s "
                  "AND index_name LIKE '%%\\_folded' ORDER BY table_name, index_name", (database,))
    return columns, [tuple(row) for row in admin.fetchall()]


def _fill(store: metadata_store.MetadataStore) -> None:
    """Nodes whose uris and names differ in the case of ASCII and other letters, hold `_`, `%`, `\\`, multi-byte
    characters and trailing spaces, or have no name."""
    a_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    e_type = store.put_execution_type(pb.ExecutionType(name="Step"))
    c_type = store.put_context_type(pb.ContextType(name="Run"))
    uris = ["/Data/Run-1/x", "/data/run-1/Y", "/DATA/run-2/É", "/data/run-2/é", "/a_b", "/a\\b", "/a%b", "/aéb",
            "/aé b ", "gs://B/Ü/1", ""]
    artifacts = [pb.Artifact(type_id=a_type, uri=uri) for uri in uris]
    for i, artifact in enumerate(artifacts):
        if i % 3:
            artifact.name = f"Art-{i}"
    store.put_artifacts(artifacts)
    store.put_executions([pb.Execution(type_id=e_type, name=name) for name in ("Train-A", "train-b", "TRAINÉ")])
    store.put_executions([pb.Execution(type_id=e_type)])
    store.put_contexts([pb.Context(type_id=c_type, name=name) for name in ("Run-1", "run-2", "RUN_3", "Rün-4")])


QUERIES = [
    ("artifacts", "uri LIKE '/DATA/RUN-1/%'"),
    ("artifacts", "uri LIKE '%/é'"),
    ("artifacts", "uri LIKE '%/É'"),
    ("artifacts", "uri LIKE '/a_b'"),
    ("artifacts", "uri LIKE '/a__b'"),
    ("artifacts", "uri LIKE '/a_ b_'"),
    ("artifacts", "uri LIKE '/a\\\\b'"),
    ("artifacts", "uri LIKE '/a%b'"),
    ("artifacts", "uri LIKE '%ü%'"),
    ("artifacts", "uri LIKE ''"),
    ("artifacts", "uri NOT LIKE '/data/%'"),
    ("artifacts", "name LIKE 'art-%'"),
    ("artifacts", "name NOT LIKE '%1%'"),
    ("artifacts", "NOT (name LIKE '%1%')"),
    ("artifacts", "name LIKE '%' OR uri LIKE 'gs:%'"),
    ("artifacts", "contexts_a.name LIKE 'RUN-%'"),
    ("artifacts", "type LIKE 'd%' AND uri LIKE '%run%'"),
    ("executions", "name LIKE 'TRAIN%'"),
    ("executions", "name LIKE 'train_'"),
    ("contexts", "name LIKE 'run_%'"),
    ("contexts", "name LIKE 'r_n-4'"),
]


def _answers(store: metadata_store.MetadataStore) -> List[List[str]]:
    found = []
    for kind, query in QUERIES:
        get = getattr(store, f"get_{kind}")
        nodes = get(list_options=metadata_store.ListOptions(filter_query=query))
        found.append(sorted(getattr(n, "uri", "") + "|" + n.name for n in nodes))
    return found


def test_like_answers_as_on_sqlite(config: Any) -> None:
    fake = pb.ConnectionConfig()
    fake.fake_database.SetInParent()
    stores = [metadata_store.MetadataStore(config), metadata_store.MetadataStore(fake)]
    for store in stores:
        _fill(store)
    on_mysql, on_sqlite = (_answers(store) for store in stores)
    assert [q for q, a, b in zip(QUERIES, on_mysql, on_sqlite) if a != b] == []
    assert on_mysql[0] == ["/Data/Run-1/x|", "/data/run-1/Y|Art-1"]
    assert on_mysql[1] == ["/data/run-2/é|"]  # letters beyond ASCII keep their case


def test_the_search_columns_come_with_an_upgrade_and_go_with_a_downgrade(config: Any, admin: Any) -> None:
    database = config.mysql.database
    store = metadata_store.MetadataStore(config)
    _fill(store)
    assert _search_schema(admin, database) == (SEARCH_COLUMNS, SEARCH_INDEXES)
    metadata_store.downgrade_schema(config, 13)
    assert _search_schema(admin, database) == ([], [])
    with pytest.raises(RuntimeError, match="^MLMD database version 13 is older than library version 14"):
        metadata_store.MetadataStore(config)
    upgraded = metadata_store.MetadataStore(config, enable_upgrade_migration=True)
    assert _search_schema(admin, database) == (SEARCH_COLUMNS, SEARCH_INDEXES)
    # The rows written before the upgrade hold their lowered twins, and LIKE finds them through them.
    admin.execute(f"SELECT uri, uri_folded, name, name_folded FROM `{database}`.artifact")
    for uri, uri_folded, name, name_folded in admin.fetchall():
        assert (uri_folded, name_folded) == (uri.translate(_ASCII_LOWER), name and name.translate(_ASCII_LOWER))
    for table in ("execution", "context"):
        admin.execute(f"SELECT name, name_folded FROM `{database}`.{table}")
        assert all(folded == (name and name.translate(_ASCII_LOWER)) for name, folded in admin.fetchall())
    fake = pb.ConnectionConfig()
    fake.fake_database.SetInParent()
    on_sqlite = metadata_store.MetadataStore(fake)
    _fill(on_sqlite)
    assert _answers(upgraded) == _answers(on_sqlite)


# The filter shapes whose plans MariaDB needed told (engine/backends/mysql.py): a prefix LIKE seeks the lowered
# twin's index and a contains-LIKE scans it; an OR's union is a derived table joined by id, not run per node; a
# walk of the id order reads the node table first.
PLANNED = [
    ("artifacts", "uri LIKE '/p/run-3/%'", None),
    ("artifacts", "uri LIKE '%/run-3/%'", None),
    ("artifacts", "name LIKE 'A1%'", None),
    ("executions", "contexts_a.name LIKE 'RUN-1%' AND name LIKE 'e%'", None),
    ("artifacts", "(type = 'Model' AND properties.span.int_value >= 3 AND properties.span.int_value < 6) "
                  "OR custom_properties.tag.string_value = 't3'", None),
    ("artifacts", "type = 'Log' AND id > 500", 100),
]


def _without_join_order(explained: str) -> str:
    """The plan's lines as each table is read (alias, access type, index), sorted: MariaDB orders tables of like
    cost either way from one ANALYZE to the next, and the notes that follow the order (join buffer, where a
    temporary table starts and ends, which table sorts) move with it. Which index reads each table is what is
    checked. A seek by a value (`word BETWEEN '3' AND '3'`) is a "ref" or a "range" by the statistics of the
    moment: both are written "ref|range"."""
    lines = explained.split("\n")
    start = lines.index("mysql plan:") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  "))
    plan = sorted(re.sub(r"^(  \S+) (ref|range) ", r"\1 ref|range ", re.match(r"  \S+ \S+ key=\S+", line).group(0))
                  for line in lines[start:end])
    return "\n".join(lines[:start] + plan + lines[end:])


def test_chosen_plans_match_fixture(config: Any, admin: Any) -> None:
    store = metadata_store.MetadataStore(config)
    model = pb.ArtifactType(name="Model")
    model.properties["span"] = pb.INT
    log = pb.ArtifactType(name="Log")
    log.properties["span"] = pb.INT
    type_ids = [store.put_artifact_type(model), store.put_artifact_type(log)]
    artifacts = []
    for i in range(1200):
        artifact = pb.Artifact(type_id=type_ids[0 if i % 10 == 0 else 1], uri=f"/p/run-{i // 30}/x{i}", name=f"a{i}")
        artifact.properties["span"].int_value = i // 30
        artifact.custom_properties["tag"].string_value = f"t{i % 7}"
        artifacts.append(artifact)
    store.put_artifacts(artifacts)
    trainer = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    executions = store.put_executions([pb.Execution(type_id=trainer, name=f"e{i}") for i in range(120)])
    run_type = store.put_context_type(pb.ContextType(name="run"))
    runs = store.put_contexts([pb.Context(type_id=run_type, name=f"run-{i}") for i in range(40)])
    store.put_attributions_and_associations(
        [], [pb.Association(execution_id=e, context_id=runs[i // 3]) for i, e in enumerate(executions)])
    # The same statistics on every run: the pooled database may have held another test's store, and its emptied
    # tables keep the statistics of what they held until analyzed again.
    admin.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND "
                  "table_type = 'BASE TABLE'", (config.mysql.database,))
    for (table,) in admin.fetchall():
        admin.execute(f"ANALYZE TABLE `{config.mysql.database}`.`{table}`")
    admin.execute("SELECT VERSION()")
    header = f"# EXPLAIN of the chosen plans on MariaDB {admin.fetchone()[0].split('-')[0]}\n"
    parts = []
    for kind, query, limit in PLANNED:
        options = metadata_store.ListOptions(limit=limit, order_by=metadata_store.OrderByField.ID, is_asc=True)
        parts.append(_without_join_order(store.explain_filter(kind, query, options)))
    assert_matches_fixture(FIXTURE, header + "\n\n".join(parts) + "\n", header)


def test_a_filled_store_is_analyzed_and_a_uri_prefix_seeks(config: Any, admin: Any) -> None:
    # InnoDB recalculates a table's statistics in the background, some time after it grew: until then a store
    # just filled walked the primary key for a uri prefix. The backend analyzes a table each time its own
    # commits have doubled it (engine/backends/table_growth.py).
    store = metadata_store.MetadataStore(config)
    data_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    for batch in range(4):
        store.put_artifacts([pb.Artifact(type_id=data_type, uri=f"/pipelines/p-{batch}/run-{i:06d}/x")
                             for i in range(batch * 800, (batch + 1) * 800)])
    admin.execute("SELECT n_rows FROM mysql.innodb_table_stats WHERE database_name = %s AND table_name = 'artifact'",
                  (config.mysql.database,))
    assert admin.fetchone()[0] >= 1600  # the last ANALYZE saw at least half of the 3,200 artifacts
    plan = store.explain_filter("artifacts", "uri LIKE '/pipelines/p-2/run-001700/%'")
    assert "range key=artifact_uri_folded" in plan, plan
    found = store.get_artifacts(list_options=metadata_store.ListOptions(
        filter_query="uri LIKE '/pipelines/p-2/run-001700/%'"))
    assert [a.uri for a in found] == ["/pipelines/p-2/run-001700/x"]


@pytest.mark.parametrize("carries", [True, False])
def test_a_listing_whose_plan_carries_its_bodies_reads_its_ids_first(config: Any, carries: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # MariaDB's plan of a join's matches can sort them, bodies and all, in an on-disk temporary table: a listing
    # of every match then selects its ids first and reads the bodies by id (reads.listed_in_order). Which plan
    # MariaDB picks moves with its statistics, so the plan's verdict is set here; the answer must not change.
    store = metadata_store.MetadataStore(config)
    trainer = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    pusher = store.put_execution_type(pb.ExecutionType(name="Pusher"))
    executions = store.put_executions([pb.Execution(type_id=trainer if i % 3 else pusher, name=f"e{i}")
                                       for i in range(60)])
    run_type = store.put_context_type(pb.ContextType(name="run"))
    runs = store.put_contexts([pb.Context(type_id=run_type, name=f"run-{i}") for i in range(4)])
    store.put_attributions_and_associations(
        [], [pb.Association(execution_id=e, context_id=runs[i % 4]) for i, e in enumerate(executions)])
    monkeypatch.setattr(access._QueryPlans, "carries_rows", lambda self, cur, sql, params: carries)
    query = "contexts_a.name = 'run-1' AND type = 'Trainer'"
    options = metadata_store.ListOptions(order_by=metadata_store.OrderByField.ID, is_asc=True)
    [sql] = [line for line in store.explain_filter("executions", query, options).split("\n")
             if line.startswith("sql: ")]
    assert sql.startswith("sql: SELECT n.body FROM (SELECT n.id FROM execution n ") == carries
    found = store.get_executions(list_options=metadata_store.ListOptions(filter_query=query))
    assert [e.name for e in found] == [f"e{i}" for i in range(60) if i % 4 == 1 and i % 3]
    # A filter whose plan depends on its values (a LIKE) is not judged by a plan kept for another value.
    [sql] = [line for line in store.explain_filter("executions", "contexts_a.name LIKE 'run-1%'", options).split("\n")
             if line.startswith("sql: ")]
    assert not sql.startswith("sql: SELECT n.body FROM (SELECT n.id FROM execution n ")


@pytest.mark.parametrize("carries", [True, False])
def test_a_contexts_nodes_sorted_apart_from_their_links_read_their_ids_first(
        config: Any, carries: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # get_executions_by_context lists a context's executions newest first: not the order of the association key,
    # so MariaDB sorts them, bodies and all, in a temporary table (0.55 ms for ten executions, against 0.27 ms
    # for their ids sorted apart). Such a listing selects the ids first, and the page is sorted by the ids'
    # columns; the answer and its order must not change.
    store = metadata_store.MetadataStore(config)
    trainer = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    run_type = store.put_context_type(pb.ContextType(name="run"))
    [run, other] = store.put_contexts([pb.Context(type_id=run_type, name=n) for n in ("run-1", "run-2")])
    executions = []
    for batch in range(3):  # three create times at least a millisecond apart, with ties inside each
        executions += store.put_executions([pb.Execution(type_id=trainer, name=f"e{batch}-{i}") for i in range(5)])
        time.sleep(0.002)
    store.put_attributions_and_associations(
        [], [pb.Association(execution_id=e, context_id=run if i % 4 else other) for i, e in enumerate(executions)])
    monkeypatch.setattr(access._QueryPlans, "carries_rows", lambda self, cur, sql, params: carries)
    statements: List[str] = []
    stream = reads.stream
    monkeypatch.setattr(reads, "stream", lambda cur, sql, *rest: statements.append(sql) or stream(cur, sql, *rest))

    found = store.get_executions_by_context(run)

    stored = {e.id: e for e in store.get_executions_by_id(executions)}
    newest_first = sorted((stored[e] for i, e in enumerate(executions) if i % 4),
                          key=lambda e: (e.create_time_since_epoch, e.id), reverse=True)
    assert [e.id for e in found] == [e.id for e in newest_first]
    assert len({e.create_time_since_epoch for e in found}) >= 3
    assert [sql.startswith("SELECT n.body FROM (SELECT n.id, n.create_time FROM execution n JOIN association s ")
            for sql in statements] == [carries]
    if carries:
        assert statements[0].endswith("ORDER BY page.create_time DESC, page.id DESC")


def test_a_union_is_dived_a_select_at_a_time(config: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # MariaDB builds a union's derived table whole before a count's LIMIT stops it (40 ms for 64 rows of a random
    # filter's OR): the access planner counts its SELECTs one by one, each up to what the cap leaves.
    store = metadata_store.MetadataStore(config)
    model = pb.ArtifactType(name="Model")
    model.properties["span"] = pb.INT
    model_id = store.put_artifact_type(model)
    artifacts = []
    for i in range(300):
        artifact = pb.Artifact(type_id=model_id, name=f"a{i}")
        artifact.properties["span"].int_value = i % 10
        artifact.custom_properties["tag"].string_value = f"t{i % 3}"
        artifacts.append(artifact)
    store.put_artifacts(artifacts)
    query = "properties.span.int_value < 4 OR custom_properties.tag.string_value = 't1'"
    compiled, params = planner.compile_filter(ARTIFACT, query, store._engine.db.backend)
    [candidate] = [c for c in access.prepared(compiled).candidates if c[0] != access.PLAIN]
    dived: List[str] = []
    dive = access._dive

    def recorded(cur: Any, select: str, values: Any, cap: int) -> int:
        dived.append(select)
        return dive(cur, select, values, cap)

    monkeypatch.setattr(access, "_dive", recorded)

    def counts(cur: Any) -> List[Tuple[int, int]]:
        _, _, union, part = candidate
        return [(access._dive_candidate(cur, compiled, candidate, params, cap), dive(cur, union, params[part], cap))
                for cap in (64, 150, 1024)]

    found = store._engine.db.run(counts, write=False)
    assert found == [(64, 64), (150, 150), (220, 220)]  # 120 spans below 4 and 100 tags t1, repeats counted
    assert dived and not any("UNION" in select for select in dived)
