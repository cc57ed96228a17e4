"""The access planner (engine/access.py): every path it can choose finds the same nodes, and it chooses by rows.

Set FASTMLMD_UPDATE_FIXTURES=1 to rewrite tests/fixtures/filter_plans.txt (EXPLAIN of the chosen plans).
"""
from __future__ import annotations

import sqlite3
import types
from pathlib import Path
from typing import List, Optional

import pytest
from plan_fixture import assert_matches_fixture

from fastmlmd.engine import access, planner, reads
from fastmlmd.engine.backends import SQLITE
from fastmlmd.engine import errors as engine_errors
from fastmlmd.engine.catalog import ARTIFACT, EXECUTION, LAYOUTS, NodeLayout, TypeKind
from fastmlmd.engine import db as db_module
from fastmlmd.engine.db import QueryTimeout
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "filter_plans.txt"
RUNS = 40


@pytest.fixture(scope="module")
def store() -> metadata_store.MetadataStore:
    """1,200 artifacts in 40 runs: a few types, properties, two contexts each, and events of two kinds."""
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    model = pb.ArtifactType(name="Model")
    model.properties["span"] = pb.INT
    log = pb.ArtifactType(name="Log")
    log.properties["span"] = pb.INT
    type_ids = [store.put_artifact_type(model), store.put_artifact_type(log)]
    trainer = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    run_type = store.put_context_type(pb.ContextType(name="run"))
    pipeline_type = store.put_context_type(pb.ContextType(name="pipeline"))
    artifacts = []
    for i in range(RUNS * 30):
        artifact = pb.Artifact(type_id=type_ids[0 if i % 10 == 0 else 1], uri=f"/p/run-{i // 30}/x{i}",
                               name=f"a{i}")
        artifact.properties["span"].int_value = i // 30
        artifact.custom_properties["tag"].string_value = f"t{i % 7}"
        artifacts.append(artifact)
    artifact_ids = store.put_artifacts(artifacts)
    executions = store.put_executions([pb.Execution(type_id=trainer, name=f"e{i}") for i in range(RUNS * 3)])
    runs = store.put_contexts([pb.Context(type_id=run_type, name=f"run-{i}") for i in range(RUNS)])
    pipelines = store.put_contexts([pb.Context(type_id=pipeline_type, name=f"pipe-{i}") for i in range(2)])
    store.put_attributions_and_associations(
        [pb.Attribution(artifact_id=a, context_id=c) for i, a in enumerate(artifact_ids)
         for c in (runs[i // 30], pipelines[i // 30 % 2])],
        [pb.Association(execution_id=e, context_id=runs[i // 3]) for i, e in enumerate(executions)])
    store.put_events([pb.Event(artifact_id=a, execution_id=executions[i // 10], type=pb.Event.OUTPUT if i % 3
                               else pb.Event.INPUT) for i, a in enumerate(artifact_ids)])
    return store


QUERIES = [
    (ARTIFACT, "contexts_a.type = 'run' AND contexts_a.name = 'run-7' AND events_0.type = OUTPUT"),
    (ARTIFACT, "contexts_a.name = 'pipe-1' AND events_0.type = INPUT"),
    (ARTIFACT, "(type = 'Model' AND properties.span.int_value >= 3 AND properties.span.int_value < 6) "
               "OR custom_properties.tag.string_value = 't3'"),
    (ARTIFACT, "type = 'Log' AND custom_properties.tag.string_value = 't1'"),
    (ARTIFACT, "type = 'Log'"),
    (ARTIFACT, "type = 'Log' AND id > 500"),
    (ARTIFACT, "name = 'a17' AND contexts_a.name = 'pipe-0'"),
    (ARTIFACT, "uri LIKE '/p/run-3/%' AND events_0.type = OUTPUT"),
    (ARTIFACT, "NOT (contexts_a.name = 'run-1') AND properties.span.int_value < 3"),
    (ARTIFACT, "contexts_a.name = 'run-2' OR contexts_b.name = 'run-9'"),
    (ARTIFACT, "NOT (contexts_a.name = 'run-1' OR events_0.type = INPUT OR properties.span.int_value > 30)"),
    (ARTIFACT, "contexts_a.name = 'run-2' OR events_0.type = OUTPUT AND contexts_b.name = 'pipe-1' "
               "AND contexts_b.type = 'pipe' AND properties.span.int_value < 4"),
    (EXECUTION, "contexts_a.name = 'run-4' AND events_0.type = INPUT"),
    (EXECUTION, "events_0.type = OUTPUT"),
]


def _read(store: metadata_store.MetadataStore, fn):  # noqa: ANN001, ANN202 - a cursor function, its result
    return store._engine.db.run(fn, write=False)


def _page_ids(cur: sqlite3.Cursor, layout: NodeLayout, found: access.Access, page_size: int,
              order_field: int = 3, is_asc: bool = True) -> List[int]:
    """Every matching id, page by page (keyset paging), with this one access path for every page."""
    ids: List[int] = []
    after: Optional[reads.PageAfter] = None
    while True:
        sql, params = reads.listing_sql(SQLITE, layout, page_size, order_field, is_asc, after, None, found)
        rows = cur.execute(sql, params).fetchall()
        ids += [row[1] for row in rows[:page_size]]
        if len(rows) <= page_size:
            return ids
        after = reads.PageAfter(field_value=rows[page_size - 1][2], node_id=rows[page_size - 1][1])


@pytest.mark.parametrize(("layout", "query"), QUERIES, ids=[q for _, q in QUERIES])
def test_every_access_path_finds_the_same_nodes(store: metadata_store.MetadataStore, layout: NodeLayout,
                                                query: str) -> None:
    compiled, params = planner.compile_filter(layout, query, SQLITE)
    drivers: List[Optional[int]] = [None] + list(range(len(compiled.groups)))
    if compiled.plain:
        drivers.append(access.PLAIN)

    def run(cur: sqlite3.Cursor) -> None:
        expected = sorted(row[0] for row in cur.execute(
            f"SELECT n.id FROM {layout.table} n WHERE {access.probing(compiled, params)[0]}",
            access.probing(compiled, params)[1]))
        assert expected, "every query of this test matches some nodes"
        for driver in drivers:
            forced = access.compose(compiled, params, access.Choice(driver, (), "forced"))
            for page_size in (7, 100, 2**62):
                assert _page_ids(cur, layout, forced, page_size) == expected, (driver, page_size)
            newest_first = _page_ids(cur, layout, forced, 9, order_field=1, is_asc=False)
            assert sorted(newest_first) == expected, driver
        chosen = access.plan_access(cur, compiled, params, 10)
        assert _page_ids(cur, layout, chosen, 10) == expected

    _read(store, run)


def test_the_fewest_rows_drive(store: metadata_store.MetadataStore) -> None:
    compiled, params = planner.compile_filter(ARTIFACT, "contexts_a.name = 'pipe-1' AND contexts_b.name = 'run-3'", SQLITE)

    def run(cur: sqlite3.Cursor) -> access.Choice:
        return access.choose(cur, compiled, params, limited=True)

    choice = _read(store, run)
    assert choice.driver == 1  # run-3's 30 artifacts, not pipe-1's 600
    by_key = {e.key: e for e in choice.estimates}
    assert by_key[1].rows == 30 and not by_key[1].capped
    assert by_key[0].rows == access.DIVE_CAPS[0] and by_key[0].capped  # counted only up to the first cap


def test_a_group_that_leaves_nothing_to_probe_can_drive_before_fewer_nodes(store: metadata_store.MetadataStore) -> None:
    compiled, params = planner.compile_filter(ARTIFACT, "uri LIKE '/p/run-1%' AND contexts_a.name = 'pipe-0'", SQLITE)
    choice = _read(store, lambda cur: access.choose(cur, compiled, params, limited=False))
    by_key = {e.key: e for e in choice.estimates}
    assert by_key[access.PLAIN].rows == 330 and by_key[0].rows == 600
    # 600 nodes tested on their own rows cost less than 330 nodes that each need a probe of pipe-0's links.
    assert choice.driver == 0, choice.reason
    assert "costs least: 600 nodes, 0 probe seeks each" in choice.reason


def test_a_page_of_many_matches_walks_and_a_whole_listing_drives(store: metadata_store.MetadataStore) -> None:
    compiled, params = planner.compile_filter(
        ARTIFACT, "properties.span.int_value >= 0 AND custom_properties.tag.string_value != 'x'", SQLITE)  # 1,200 each

    def run(cur: sqlite3.Cursor):  # noqa: ANN202
        return access.choose(cur, compiled, params, limited=True), access.choose(cur, compiled, params, limited=False)

    page, whole = _read(store, run)
    assert page.driver is None and all(e.capped for e in page.estimates if e.seekable)
    assert whole.driver is not None


def test_a_page_whose_every_part_is_large_weighs_its_walk_against_driving() -> None:
    """Two independent parts of a third of the table each, both past the dives' caps: a page of 10 walks the
    listing order without counting on (at the caps' counts the walk reads at most about 343 nodes, fewer than
    driving from either part could), a page of 1,000 counts on and drives from one part (2,000 nodes, where
    the walk would read about 9,000). Both find the same nodes."""
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    data_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    artifacts = [pb.Artifact(type_id=data_type, name=f"d{i}") for i in range(6000)]
    for i, artifact in enumerate(artifacts):
        artifact.custom_properties["tag"].string_value = "x" if i % 3 == 0 else "y"
    ids = store.put_artifacts(artifacts)
    [pipe] = store.put_contexts([pb.Context(type_id=store.put_context_type(pb.ContextType(name="p")), name="pipe")])
    store.put_attributions_and_associations(
        [pb.Attribution(artifact_id=a, context_id=pipe) for i, a in enumerate(ids) if i // 3 % 3 == 0], [])
    compiled, params = planner.compile_filter(
        ARTIFACT, "custom_properties.tag.string_value = 'x' AND contexts_a.name = 'pipe'", SQLITE)

    def run(cur: sqlite3.Cursor):  # noqa: ANN202
        small = access.choose(cur, compiled, params, limited=True, page_size=10)
        large = access.choose(cur, compiled, params, limited=True, page_size=1000)
        pages = [_page_ids(cur, ARTIFACT, access.compose(compiled, params, choice), size)
                 for choice, size in ((small, 10), (large, 1000))]
        return small, large, pages

    small, large, (walked, driven) = _read(store, run)
    assert small.driver is None and "at most about 343 nodes" in small.reason, small.reason
    assert sorted(e.rows for e in small.estimates if e.seekable) == [1024, 1024]  # not counted past the caps
    assert large.driver is not None and "would read about 8996 nodes" in large.reason, large.reason
    assert sorted(e.rows for e in large.estimates if e.seekable) == [2000, 2001]  # counted past the caps
    assert walked == driven == [a for i, a in enumerate(ids) if i % 9 == 0]


def test_a_part_that_cannot_seek_is_never_dived(store: metadata_store.MetadataStore) -> None:
    compiled, params = planner.compile_filter(ARTIFACT, "contexts_a.name != 'x' AND contexts_b.name = 'run-1'", SQLITE)

    def run(cur: sqlite3.Cursor) -> access.Choice:
        return access.choose(cur, compiled, params, limited=True)

    choice = _read(store, run)
    by_key = {e.key: e for e in choice.estimates}
    assert not by_key[0].seekable and by_key[0].rows is None
    assert choice.driver == 1


def test_a_filter_on_own_columns_that_would_sort_everything_walks(store: metadata_store.MetadataStore) -> None:
    explained = store.explain_filter("artifacts", "type = 'Log'", metadata_store.ListOptions(limit=100))
    assert "access: walks artifact in id order" in explained, explained
    explained = store.explain_filter("artifacts", "type = 'Log'")  # every match: no page to stop early
    assert "access: the database's own choice" in explained, explained
    explained = store.explain_filter("artifacts", "name = 'a5'")  # its index gives id order: no sort, no dive
    assert "access: the database's own choice" in explained, explained


def test_explain_filter_arguments(store: metadata_store.MetadataStore) -> None:
    assert store.explain_filter("Execution", "id = 1").startswith("filter: id = 1\nlisting: executions by id")
    options = metadata_store.ListOptions(limit=5, order_by=metadata_store.OrderByField.CREATE_TIME, is_asc=False)
    assert "by create_time descending, the first 5" in store.explain_filter("artifacts", "id > 1", options)
    with pytest.raises(errors.InvalidArgumentError, match="Unknown kind 'nodes'"):
        store.explain_filter("nodes", "id = 1")
    with pytest.raises(errors.InvalidArgumentError, match="Invalid `filter_query`"):
        store.explain_filter("artifacts", "id = ")
    with pytest.raises(TypeError):
        store.explain_filter(3, "id = 1")  # type: ignore[arg-type]


def _render(store: metadata_store.MetadataStore) -> str:
    return "\n\n".join(store.explain_filter(LAYOUTS[layout.kind].noun, query) for layout, query in QUERIES) + "\n"


def test_chosen_plans_match_fixture(store: metadata_store.MetadataStore) -> None:
    header = f"# EXPLAIN of the chosen plans on tests/test_access_paths.py's store; SQLite {sqlite3.sqlite_version}\n"
    assert_matches_fixture(FIXTURE, header + _render(store), header)


def test_a_negated_or_spreads_into_groups_of_one_alias_each() -> None:
    compiled, _ = planner.compile_filter(ARTIFACT, "NOT (contexts_a.name = 'x' OR events_0.type = INPUT OR name = 'y')", SQLITE)
    assert compiled.plain == "(NOT ((n.name = ?)))"
    assert [group.label for group in compiled.groups] == ["contexts_a", "events_0"]
    # A NOT over something that is not a condition keeps its own error, pointing where the query wrote it.
    with pytest.raises(engine_errors.InvalidArgumentError, match=r"operator OR for argument types: INT64, BOOL.*\[at 1:6\]"):
        planner.compile_filter(ARTIFACT, "NOT (id OR contexts_a.name = 'x')", SQLITE)


def test_an_or_item_tests_the_rows_it_reads_apart_where_they_share_none() -> None:
    # The second item reads events_0, contexts_b (twice: one row must meet both) and a property: three EXISTS,
    # and a fourth for contexts_a, which the other item reads. Joined, each context row would be tested with
    # every event row and property row of the node.
    compiled, _ = planner.compile_filter(
        ARTIFACT, "contexts_a.name = 'x' OR events_0.type = INPUT AND contexts_b.name = 'y' AND "
                  "properties.span.int_value > 3 AND contexts_b.type = 'run'", SQLITE)
    [group] = compiled.groups
    first, second = group.probe[1:-1].split(") OR (")
    assert first.count("EXISTS") == 4 and second.count("EXISTS") == 4, group.probe
    [contexts_b] = [part for part in second.split("EXISTS")[1:] if "j0.name = ?" in part and "j2.name = ?" in part]
    assert "properties" not in contexts_b and "event" not in contexts_b


def test_a_shape_that_keeps_choosing_alike_settles_and_rechecks(store: metadata_store.MetadataStore) -> None:
    compiled, params = planner.compile_filter(ARTIFACT, "contexts_a.name = 'run-3' AND events_0.type = OUTPUT", SQLITE)
    history = access.History()
    dives: List[int] = []
    real_dive = access._dive

    def counting_dive(*args):  # noqa: ANN002, ANN202
        dives.append(1)
        return real_dive(*args)

    def run(cur: sqlite3.Cursor) -> List[Optional[int]]:
        access._dive = counting_dive
        try:
            drivers = []
            for _ in range(access.History.SETTLED + access.History.RECHECK):
                dives.clear()
                found = access.plan_access(cur, compiled, params, 100, history=history)
                drivers.append(len(dives))
                assert found.choice.driver == 0  # run-3's 30 artifacts drive, settled or dived
            return drivers
        finally:
            access._dive = real_dive

    dived = _read(store, run)
    assert all(dived[:access.History.SETTLED])  # the first runs dive
    settled = dived[access.History.SETTLED:]
    assert settled.count(0) == len(settled) - 1 and settled[-1] > 0  # then none does, until the recheck


def _traced(store: metadata_store.MetadataStore, call):  # noqa: ANN001, ANN202 - the statements, the result
    seen: List[str] = []
    conn = store._engine.db._conn
    conn.set_trace_callback(seen.append)
    try:
        result = call()
    finally:
        conn.set_trace_callback(None)
    return seen, result


def _paged_ids(store: metadata_store.MetadataStore, options: metadata_store.ListOptions) -> List[int]:
    """The ids MLMD's wrapper gathers: pages of 100 through next_page_token, up to the limit."""
    order = pb.ListOperationOptions.OrderByField(field=(options.order_by or metadata_store.OrderByField.ID).value,
                                                 is_asc=options.is_asc)
    request = pb.ListOperationOptions(max_result_size=100, order_by_field=order,
                                      filter_query=options.filter_query or "")
    found: List[int] = []
    while True:
        page, token = store._list_page(TypeKind.ARTIFACT, request)
        found += [a.id for a in page]
        if not token or (options.limit and len(found) >= options.limit):
            return found[:options.limit] if options.limit else found
        request.next_page_token = token


@pytest.mark.parametrize("order_by", [None, metadata_store.OrderByField.CREATE_TIME,
                                      metadata_store.OrderByField.UPDATE_TIME])
@pytest.mark.parametrize("is_asc", [True, False])
@pytest.mark.parametrize("limit", [None, 1, 150, 10**6])
def test_a_listing_is_its_pages_read_in_one_statement(store: metadata_store.MetadataStore, order_by, is_asc,  # noqa: ANN001
                                                       limit: Optional[int]) -> None:
    for query in ("type = 'Log'", "contexts_a.name = 'pipe-1' AND events_0.type = INPUT",
                  "(type = 'Model' AND properties.span.int_value >= 3) OR custom_properties.tag.string_value = 't3'"):
        options = metadata_store.ListOptions(filter_query=query, order_by=order_by, is_asc=is_asc, limit=limit)
        statements, listed = _traced(store, lambda: store.get_artifacts(list_options=options))
        expected = _paged_ids(store, options)
        assert [a.id for a in listed] == expected
        assert len(expected) == 1 if limit == 1 else len(expected) > 100  # more than one page
        # the nodes come from one statement (any others are the planner's bounded dives, which read ids only)
        assert sum("n.body" in sql for sql in statements) == 1, statements


def test_a_streamed_listing_renews_its_time_limit_per_batch(store: metadata_store.MetadataStore,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = store._engine.db
    many_rows = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 60000) SELECT x FROM c"
    # The database's clock moves only when the caller "works" on a batch: SQLite's own time reading rows never
    # counts, so a loaded machine cannot make the run with renewals time out (CI's once did, on the real clock).
    clock = [0.0]
    monkeypatch.setattr(db_module, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))

    def read_slowly(renew: bool):  # noqa: ANN202 - a cursor function
        def run(cur: sqlite3.Cursor) -> int:
            rows, seen = cur.execute(many_rows), 0
            while True:
                batch = rows.fetchmany(20000)
                if not batch:
                    return seen
                seen += len(batch)
                clock[0] += 0.6  # the caller's work on a batch: more than the whole limit
                if renew:
                    db.renew_time_limit()
        return run

    assert db.run(read_slowly(renew=True), write=False, time_limit=0.5, one_statement=True) == 60000
    with pytest.raises(QueryTimeout):
        db.run(read_slowly(renew=False), write=False, time_limit=0.5, one_statement=True)
