"""What the word index tests share on every backend (tests/test_word_index.py for SQLite's FTS5,
tests/api/test_mysql_words.py for MariaDB's word tables): hostile uris and names, the patterns asked of them,
and the API's answer."""
from __future__ import annotations

from typing import Any, List

from fastmlmd.engine.catalog import ARTIFACT, CONTEXT, EXECUTION, NodeLayout
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

LISTS = {ARTIFACT: "get_artifacts", EXECUTION: "get_executions", CONTEXT: "get_contexts"}
COLUMNS = [(ARTIFACT, "uri"), (ARTIFACT, "name"), (EXECUTION, "name"), (CONTEXT, "name")]
COLUMN_IDS = ["artifact-uri", "artifact-name", "execution-name", "context-name"]
API_PATTERNS = ["%/run-004/%", "%/RUN-004/%", "%/x/%", "%/X/run%", "%/é/%", "%/É/%", "%/a_b/%", "%/a%b/%",
                "%/7", "%/7\x00z/%", "%/k/%", "%/\u212a/%", "%Trainer", "%/trainer", "%/Trainer", "%.log",
                "%/tr", "%/Tra%", "%/run/%", "%", "_", "%/bulk/%", "%/bulk/1_/%", "%r/l%", "%/Trainer%"]


def literal(value: str) -> str:
    """`value` as a filter string literal: quotes, backslashes and unprintable characters escaped."""
    return "'" + "".join(c if " " <= c < "\x7f" and c not in "'\\" else f"\\U{ord(c):08x}" for c in value) + "'"


def found(store: metadata_store.MetadataStore, layout: NodeLayout, query: str, **options: Any) -> List[int]:
    nodes = getattr(store, LISTS[layout])(list_options=metadata_store.ListOptions(filter_query=query, **options))
    return sorted(node.id for node in nodes)


def fill_hostile(store: metadata_store.MetadataStore, fold_at: int) -> None:
    """Hostile uris and names twice: once among nodes the word index holds, once among newer ones (a call of
    `fold_at` nodes in between makes the index take in every node before it)."""
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    execution_types = [store.put_execution_type(pb.ExecutionType(name=name)) for name in ("Step", "Later", "Bulk")]
    context_types = [store.put_context_type(pb.ContextType(name=name)) for name in ("Run", "Later", "Bulk")]
    texts = [f"/p/{a}/run-{i:03d}/{b}" for i, (a, b) in enumerate(
        (a, b) for a in ("x", "X", "é", "a_b", "a%b", "7\x00z", "\u212a") for b in ("Trainer", "trainer.log", "Tr"))]
    texts += ["", "run", "/run/", "%", "_"]
    named = [t for t in texts if t]
    bulk = range(fold_at)
    for when in ("held", "pending"):
        store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=t, name=f"{when}{i}{t}")
                             for i, t in enumerate(texts)])
        store.put_executions([pb.Execution(type_id=execution_types[0 if when == "held" else 1], name=t)
                              for t in named] + [pb.Execution(type_id=execution_types[0])])
        store.put_contexts([pb.Context(type_id=context_types[0 if when == "held" else 1], name=t) for t in named])
        if when == "held":
            store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=f"/bulk/{i}/Trainer") for i in bulk])
            store.put_executions([pb.Execution(type_id=execution_types[2], name=f"bulk-{i}") for i in bulk])
            store.put_contexts([pb.Context(type_id=context_types[2], name=f"bulk-{i}") for i in bulk])


def assert_answers_as(store: metadata_store.MetadataStore, layout: NodeLayout, column: str, pattern: str,
                      expected: List[int]) -> None:
    """The API finds `expected` (the ids a scan's LIKE finds) for `column LIKE pattern`, in a listing, a page
    (which may walk instead), beside another condition, and under NOT."""
    query = f"{column} LIKE {literal(pattern)}"
    assert found(store, layout, query) == expected
    assert found(store, layout, query, limit=5) == expected[:5]
    assert found(store, layout, f"{query} AND id > 3") == [i for i in expected if i > 3]
    # Under NOT, false and NULL differ (a node without a name is in neither answer): the LIKE stays as it is.
    named = store._engine.db.run(lambda cur: [row[0] for row in cur.execute(
        f"SELECT id FROM {layout.table} WHERE {column} IS NOT NULL")], write=False)
    assert found(store, layout, f"NOT ({query})") == sorted(set(named) - set(expected))
