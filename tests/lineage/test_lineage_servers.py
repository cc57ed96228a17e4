"""What a walk on a server reads besides its events: the store's data version comes with the walk's answer, so the
types of the LineageGraph come from the store's type views without a read of their own, and never stale.

These look at our package's statements on MySQL and PostgreSQL (SQLite reads the data version by a PRAGMA).
"""
from __future__ import annotations

from typing import Any, Callable, List

import pytest
import server_stores  # tests/api, on sys.path (conftest.py)
from lineage_kit import build, options
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from fastmlmd.engine.backends.base import Backend

pytestmark = [pytest.mark.server, pytest.mark.parametrize("backend", ["mysql", "postgresql"])]


def version_reads(store: Any, call: Callable[[], Any]) -> List[str]:
    """The reads of the data version on their own (Backend.data_version) that `call` makes."""
    backend = store._engine.db.backend
    seen: List[str] = []
    real = type(backend).data_version

    def counted(self: Backend, cur: Any) -> Any:
        seen.append(self.name)
        return real(self, cur)

    type(backend).data_version = counted  # type: ignore[method-assign]
    try:
        call()
    finally:
        type(backend).data_version = real  # type: ignore[method-assign]
    return seen


def test_types_come_without_a_read_of_their_own(backend: str) -> None:
    s = build("a1>e1 e1>a2", contexts={"c1": ["a1", "e1"]},
              store=metadata_store.MetadataStore(server_stores.stores(backend).config()))
    first = s.get_lineage_subgraph(options("a1"))  # builds the type views
    reads = version_reads(s, lambda: s.get_lineage_subgraph(options("a1")))
    assert reads == []
    again = s.get_lineage_subgraph(options("a1"))
    assert again == first
    assert [t.name for t in again.artifact_types] == ["A"]
    assert [t.name for t in again.execution_types] == ["E"]
    assert [t.name for t in again.context_types] == ["C"]


def test_types_changed_by_another_connection_show_at_once(backend: str) -> None:
    config = server_stores.stores(backend).config()
    s = build("a1>e1 e1>a2", store=metadata_store.MetadataStore(config))
    before = s.get_lineage_subgraph(options("a1"))
    assert list(before.artifact_types[0].properties) == []
    other = metadata_store.MetadataStore(config)
    other.put_artifact_type(pb.ArtifactType(name="A", properties={"size": pb.INT}), can_add_fields=True)
    after = s.get_lineage_subgraph(options("a1"))
    assert dict(after.artifact_types[0].properties) == {"size": pb.INT}
    # And this store's own type write.
    s.put_execution_type(pb.ExecutionType(name="E", properties={"n": pb.STRING}), can_add_fields=True)
    assert dict(s.get_lineage_subgraph(options("a1")).execution_types[0].properties) == {"n": pb.STRING}


MASKS = [None, ["artifacts"], ["events"], ["contexts"], ["attributions", "associations"], ["artifact_types"],
         ["artifact_types", "execution_types", "context_types"], ["executions", "execution_types", "contexts"],
         ["context_types"], ["associations", "artifacts", "artifact_types"]]


@pytest.mark.parametrize("mask", MASKS, ids=lambda mask: "+".join(mask or ["all"]))
@pytest.mark.parametrize("hops", [2, 30])  # one statement; a statement a few hops
def test_field_masks_as_on_sqlite(backend: str, mask: Any, hops: int) -> None:
    """The answer's parts come from one statement on a server, each part only when its field is asked for."""
    edges = "a1>e1 e1>a2 a2>e2 e2>a3 e2>a4 a4>e3 e3>a5 " + " ".join(f"a{i}>e{i - 2} e{i - 2}>a{i + 1}"
                                                                     for i in range(5, 30))
    contexts = {"c1": ["a1", "e1", "a3"], "c2": ["e2", "a2", "a4"], "c3": ["a9", "e9"]}
    ours = build(edges, contexts=contexts, store=metadata_store.MetadataStore(server_stores.stores(backend).config()))
    sqlite = build(edges, contexts=contexts)
    opts = options("a1", hops=hops)
    assert untimed(ours.get_lineage_subgraph(opts, mask)) == untimed(sqlite.get_lineage_subgraph(opts, mask))


def untimed(graph: Any) -> Any:
    """`graph` without the times its nodes and events were written at (two stores write them apart)."""
    for node in [*graph.artifacts, *graph.executions, *graph.contexts]:
        node.ClearField("create_time_since_epoch")
        node.ClearField("last_update_time_since_epoch")
    for event in graph.events:
        event.ClearField("milliseconds_since_epoch")
    return graph


def statements(store: Any, call: Callable[[], Any]) -> List[str]:
    """The statements `call` sends to the server."""
    cursor_class = type(store._engine.db._conn.cursor())
    real = cursor_class.execute
    seen: List[str] = []

    def execute(self: Any, sql: str, *args: Any) -> Any:
        seen.append(sql)
        return real(self, sql, *args)

    cursor_class.execute = execute
    try:
        call()
    finally:
        cursor_class.execute = real
    return seen


def reads(store: Any, call: Callable[[], Any]) -> List[str]:
    """The SELECT statements `call` sends to the server."""
    return [sql for sql in statements(store, call) if sql.startswith(("SELECT", "WITH"))]


def test_a_walk_of_a_few_hops_is_one_statement(backend: str) -> None:
    chain = " ".join(f"a{i}>e{i} e{i}>a{i + 1}" for i in range(1, 40))
    s = build(chain, store=metadata_store.MetadataStore(server_stores.stores(backend).config()))
    s.get_lineage_subgraph(options("a20", hops=1))  # builds the type views
    # Seeds, every hop's events, nodes, contexts, links and the data version: one statement, with no transaction.
    sent = statements(s, lambda: s.get_lineage_subgraph(options("a20", hops=6)))
    assert len(sent) == 1 and sent[0].startswith("WITH RECURSIVE")
    assert len(statements(s, lambda: s.get_lineage_subgraph(options("a20", hops=20, direction="UPSTREAM")))) == 1
    # Unset (100 hops) in both directions: the seeds, a statement per 10 hops (a40 is 40 hops away: the fifth reads
    # its events), the answer.
    assert len(reads(s, lambda: s.get_lineage_subgraph(options("a20")))) == 1 + 5 + 1
