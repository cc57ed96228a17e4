"""What the planner emits: the SQL of a set of queries (a fixture diff shows any change) and index use.

Set FASTMLMD_UPDATE_FIXTURES=1 to rewrite tests/fixtures/filter_to_sql.txt after an intended change.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
from plan_fixture import assert_matches_fixture

from fastmlmd.engine import planner, reads
from fastmlmd.engine.backends import SQLITE, sqlite_words
from fastmlmd.engine.catalog import ARTIFACT, CONTEXT, EXECUTION, NodeLayout
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "filter_to_sql.txt"

QUERIES: List[Tuple[NodeLayout, str]] = [
    (ARTIFACT, "uri LIKE '%/data' AND properties.day.int_value > 0"),
    (ARTIFACT, "type = 'Model' AND custom_properties.tag.int_value IN (3, 7)"),
    (ARTIFACT, "contexts_a.type = 'Run' AND contexts_a.name = 'run1'"),
    (ARTIFACT, "contexts_a.name = 'run1' AND contexts_b.name = 'run2' AND type = 'Model'"),
    (ARTIFACT, "state IN (LIVE, PENDING)"),
    (ARTIFACT, "state != LIVE"),
    (ARTIFACT, "NOT (name = 'a' OR external_id IS NULL)"),
    (ARTIFACT, "custom_properties.`my key`.string_value = 'x'"),
    (ARTIFACT, "custom_properties.`a\\`b\\n`.string_value = 'x' AND properties.``.int_value = 1"),
    (ARTIFACT, "id = 5 AND state IN (2)"),
    (ARTIFACT, "type IN (\"Model\") AND state IN (2, 3, 5)"),
    (ARTIFACT, "events_e.type = INPUT AND events_e.execution_id = 3"),
    (ARTIFACT, "events_e.type IN (3, 4) AND events_e.execution_id IN (3, 4) AND events_f.type = OUTPUT"),
    (ARTIFACT, "properties.flag.bool_value"),
    (EXECUTION, "last_known_state NOT IN (COMPLETE, FAILED)"),
    (EXECUTION, "events_0.type = INPUT AND events_0.artifact_id = 1"),
    (EXECUTION, "contexts_a.id = 3 OR contexts_b.name LIKE 'run%'"),
    (CONTEXT, "parent_contexts_a.name = 'pipe1'"),
    (CONTEXT, "child_contexts_a.type = 'Run'"),
    (CONTEXT, "artifacts_a.state = LIVE AND executions_b.last_known_state = RUNNING"),
    (CONTEXT, "create_time_since_epoch BETWEEN 1 AND 2"),
]


def _render() -> str:
    lines = []
    for layout, query in QUERIES:
        compiled, params = planner.compile_filter(layout, query, SQLITE)
        lines.append(f"{layout.noun}: {query}")
        if compiled.plain:
            lines.append(f"  own columns: {compiled.plain}")
        for group in compiled.groups:
            lines += [f"  group {group.label}:", f"    driver: {group.driver}", f"    probe: {group.probe}"]
        lines += [f"  params: {list(params)!r}", ""]
    return "\n".join(lines)


@pytest.mark.skipif(not sqlite_words.available(), reason="the fixture holds the word index groups, which need FTS5")
def test_planner_output_matches_fixture() -> None:
    assert_matches_fixture(FIXTURE, _render())


def test_query_text_never_reaches_the_sql() -> None:
    query = "custom_properties.`x' OR 1=1 --`.string_value = 'y\\'; DROP TABLE artifact'"
    compiled, params = planner.compile_filter(ARTIFACT, query, SQLITE)
    texts = [compiled.plain] + [text for group in compiled.groups for text in (group.driver, group.probe)]
    assert not any("DROP" in text or "1=1" in text for text in texts)
    assert list(params) == ["x' OR 1=1 --", "y'; DROP TABLE artifact"] * 2  # the driver's, then the probe's


@pytest.fixture(scope="module")
def seeded() -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    artifact_type = pb.ArtifactType(name="Data")
    artifact_type.properties["span"] = pb.INT
    artifact_type.properties["split"] = pb.STRING
    type_id = store.put_artifact_type(artifact_type)
    run_type = store.put_context_type(pb.ContextType(name="Run"))
    trainer = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    artifacts = []
    for i in range(2000):
        artifact = pb.Artifact(type_id=type_id, uri=f"gs://b/{i % 40}/x{i}", name=f"a{i}", external_id=f"e{i}")
        artifact.properties["span"].int_value = i % 97
        artifact.properties["split"].string_value = f"s{i % 13}"
        artifacts.append(artifact)
    artifact_ids = store.put_artifacts(artifacts)
    context_ids = store.put_contexts([pb.Context(type_id=run_type, name=f"run{i}") for i in range(50)])
    execution_ids = store.put_executions([pb.Execution(type_id=trainer) for _ in range(200)])
    store.put_attributions_and_associations(
        [pb.Attribution(artifact_id=a, context_id=context_ids[a % 50]) for a in artifact_ids],
        [pb.Association(execution_id=e, context_id=context_ids[e % 50]) for e in execution_ids])
    store.put_events([pb.Event(artifact_id=a, execution_id=execution_ids[a % 200], type=pb.Event.INPUT + a % 2)
                      for a in artifact_ids])
    return store  # never ANALYZEd: the product does not run ANALYZE, so neither do the plans certified here


def _explain(store: metadata_store.MetadataStore, layout: NodeLayout, query: str) -> str:
    # A page of 100, as the paged listing (MLMD's Get<Nodes> RPC) reads it: the shape these plans certify.
    return store.explain_filter(layout.noun, query, metadata_store.ListOptions(limit=100))


def _sqlite_plan(explained: str) -> List[str]:
    lines = explained.splitlines()
    start = lines.index("sqlite plan:") + 1
    return [line.strip() for line in lines[start:] if line.startswith("  ")]


@pytest.mark.parametrize(
    ("layout", "query", "index", "access"),
    [
        pytest.param(ARTIFACT, "properties.span.int_value = 5", "artifact_property_int_value", "drives from",
                     id="property-eq"),
        pytest.param(ARTIFACT, "properties.span.int_value > 90", "artifact_property_int_value", "drives from",
                     id="property-range"),
        pytest.param(ARTIFACT, "properties.split.string_value = 's1'", "artifact_property_string_value",
                     "drives from", id="property-string"),
        pytest.param(ARTIFACT, "type = 'Data'", "type_identity", "walks", id="type-name-every-node"),
        pytest.param(ARTIFACT, "type = 'Data' AND properties.span.int_value = 5", "artifact_property_int_value",
                     "drives from", id="type-and-property"),
        pytest.param(ARTIFACT, "name = 'a5'", "artifact_name", "the database's own", id="name"),
        pytest.param(ARTIFACT, "external_id = 'e5'", "artifact_external_id", "the database's own", id="external-id"),
        pytest.param(ARTIFACT, "uri = 'gs://b/1/x1'", "artifact_uri", "the database's own", id="uri-eq"),
        pytest.param(ARTIFACT, "uri LIKE 'gs://b/1/%'", "artifact_uri_nocase", "walks own columns",
                     id="uri-prefix"),
        pytest.param(ARTIFACT, "contexts_a.name = 'run5'", "context_name", "drives from", id="context-by-name"),
        pytest.param(ARTIFACT, "contexts_a.id = 5", "PRIMARY KEY (context_id=?)", "drives from",
                     id="context-by-id"),
        pytest.param(EXECUTION, "contexts_a.name = 'run5'", "context_name", "drives from",
                     id="execution-context-by-name"),
        pytest.param(ARTIFACT, "events_e.type = INPUT AND events_e.execution_id = 3", "event_execution",
                     "drives from", id="events-of-execution"),
        pytest.param(ARTIFACT, "events_e.type IN (3) AND events_e.execution_id = 3", "event_execution",
                     "drives from", id="events-of-execution-tfx"),
        pytest.param(ARTIFACT, "id = 5 AND (state IN (2) OR state IS NULL)", "INTEGER PRIMARY KEY", "the database's own",
                     id="id-and-state-tfx"),
        pytest.param(EXECUTION, "events_e.type = OUTPUT AND events_e.artifact_id = 7", "PRIMARY KEY (artifact_id=?)",
                     "drives from", id="events-of-artifact-typed"),
        pytest.param(EXECUTION, "events_e.artifact_id = 7", "PRIMARY KEY (artifact_id=?)", "drives from",
                     id="events-of-artifact"),
        pytest.param(EXECUTION, "events_e.type = OUTPUT", "event_type", "drives from", id="event-type"),
        pytest.param(ARTIFACT, "contexts_a.name = 'run5' AND events_e.type = OUTPUT",
                     "event_type (type=? AND artifact_id=?)", "drives from",
                     id="context-and-event-type"),
        pytest.param(ARTIFACT, "properties.span.int_value = 5 OR properties.split.string_value = 's1'",
                     "artifact_property_string_value", "drives from", id="or-across-properties"),
    ],
)
def test_common_filters_use_an_index(seeded: metadata_store.MetadataStore, layout: NodeLayout, query: str,
                                     index: str, access: str) -> None:
    explained = _explain(seeded, layout, query)
    details = _sqlite_plan(explained)
    assert any(index in detail for detail in details), explained
    how = next(line for line in explained.splitlines() if line.startswith("access: "))
    if access == "walks own columns":  # a prefix LIKE's index, or the walk when it matches too many
        assert "the database's own" in how or "walks" in how, explained
    else:
        assert how.startswith(f"access: {access}"), explained
    if "walks" not in how:
        scanned = [d for d in details if d.startswith("SCAN") and not d.startswith("SCAN CONSTANT")]
        assert not scanned, explained
    assert seeded._list(layout.kind, metadata_store.ListOptions(filter_query=query))  # and it finds nodes


@pytest.mark.parametrize("is_asc", [True, False], ids=["asc", "desc"])
@pytest.mark.parametrize("after", [None, reads.PageAfter(node_id=1500, field_value=1500)], ids=["first", "next"])
def test_a_page_of_a_context_by_id_walks_the_link_index(seeded: metadata_store.MetadataStore, is_asc: bool,
                                                        after) -> None:  # noqa: ANN001
    # Ordered by id, a page of get_*_by_context is a range of the link table's key: no sort of the context.
    scope = reads.Scope("attribution", "artifact_id", 1)
    sql, params = reads.listing_sql(SQLITE, ARTIFACT, 100, 3, is_asc, after, scope)
    plan = seeded._engine.db.run(lambda cur: cur.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall(),
                                 write=False)
    details = [row[-1] for row in plan]
    assert any("PRIMARY KEY (context_id=?" in d for d in details), details
    assert not any("TEMP B-TREE" in d for d in details), details
