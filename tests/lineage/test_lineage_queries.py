"""The walk is set-wise: one event query per hop (plus one per hop for ending nodes), whatever its width.

These tests look at the statements our engine sends to SQLite, so they run on our package only.
"""
from __future__ import annotations

from typing import Any, Callable, List

import pytest
from lineage_kit import build, ending, options


def selects(store: Any, call: Callable[[], Any]) -> List[str]:
    """The SELECT statements `call` sends to the store's connection."""
    seen: List[str] = []
    conn = store._engine.db._conn
    conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)
    return [sql for sql in seen if sql.lstrip().upper().startswith(("SELECT", "WITH"))]


def fan(width: int) -> str:
    """a1 > e1 > a2..a(width+1), each of which feeds its own execution and output."""
    hub = " ".join(f"e1>a{i}" for i in range(2, width + 2))
    tails = " ".join(f"a{i}>e{i} e{i}>a{width + i}" for i in range(2, width + 2))
    return f"a1>e1 {hub} {tails}"


@pytest.mark.parametrize("direction", ["DIRECTION_UNSPECIFIED", "DOWNSTREAM"])
def test_statement_count_does_not_grow_with_width(direction: str) -> None:
    narrow, wide = build(fan(3)), build(fan(1500))
    opts = options("a1", hops=4, direction=direction)
    narrow_sql = selects(narrow, lambda: narrow.get_lineage_subgraph(opts))
    wide_sql = selects(wide, lambda: wide.get_lineage_subgraph(opts))
    assert len(wide.get_lineage_subgraph(opts).artifacts) == 1 + 2 * 1500
    assert len(wide_sql) == len(narrow_sql)
    assert sum("FROM event" in sql for sql in wide_sql) == 4


def test_ending_filter_costs_one_statement_per_hop() -> None:
    s = build(fan(200))
    s.get_lineage_subgraph(options("a1", hops=1))  # reads the type views, which later calls reuse
    plain = selects(s, lambda: s.get_lineage_subgraph(options("a1", hops=4)))
    ended = selects(s, lambda: s.get_lineage_subgraph(
        options("a1", hops=4, end_artifacts=ending("name = 'a7'"), end_executions=ending("name = 'e9'"))))
    # One for the seeds (artifact ending filter) and one per hop.
    assert len(ended) - len(plain) == 1 + 4


def test_long_chain_is_one_event_query_per_hop() -> None:
    s = build(" ".join(f"a{i}>e{i} e{i}>a{i + 1}" for i in range(1, 61)))
    sql = selects(s, lambda: s.get_lineage_subgraph(options("a1")))
    assert sum("FROM event" in q for q in sql) == 100
    assert len(s.get_lineage_subgraph(options("a1")).executions) == 50


def test_event_queries_seek_the_node_indexes() -> None:
    s = build(fan(3))
    conn = s._engine.db._conn
    plans = []
    for direction in ("DIRECTION_UNSPECIFIED", "UPSTREAM", "DOWNSTREAM"):
        for sql in selects(s, lambda: s.get_lineage_subgraph(options("a1", hops=2, direction=direction))):
            if "FROM event" in sql:
                plans += [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    assert any("event USING PRIMARY KEY (artifact_id=?)" in p for p in plans)  # events lie by artifact
    assert any("COVERING INDEX event_execution (execution_id=?)" in p for p in plans)
    assert not any(p.startswith("SCAN event") or "event_type" in p for p in plans)
