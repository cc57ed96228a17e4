"""The word index (engine/backends/sqlite_words.py): contains- and suffix-LIKE on uri and name seek it, and answer as LIKE does.

The answer must be SQLite's LIKE exactly, so every comparison here is with SQLite's own LIKE over the same rows
(a scan, no index), on hostile values: wildcards, case, non-ASCII letters and digits, NUL, very short patterns.
"""
from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastmlmd.engine import access, db, planner, schema
from fastmlmd.engine.backends import SQLITE, sqlite_schema
from fastmlmd.engine.backends import sqlite_words as word_index
from fastmlmd.engine.catalog import ARTIFACT, CONTEXT, EXECUTION, LAYOUTS, NodeLayout
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
from word_index_kit import API_PATTERNS, COLUMN_IDS, COLUMNS, assert_answers_as, fill_hostile, found

pytestmark = pytest.mark.skipif(not word_index.available(), reason="this Python's SQLite has no FTS5")


@pytest.mark.parametrize(
    ("pattern", "query"),
    [
        pytest.param("%/run-000123/Trainer/%", '"000123" AND "trainer"', id="words-digits-first"),
        pytest.param("%run-000123.Trainer%", '"000123"', id="run-ends-a-longer-word"),
        pytest.param("%/Trainer/%", '"trainer"', id="one-word"),
        pytest.param("%/TRAINER", '"trainer"', id="suffix-folds-case"),
        pytest.param("%/run-0001%", '"0001"* AND "run"', id="prefix-with-digits"),
        pytest.param("%.Train%", None, id="alphabetic-prefix-names-too-many"),
        pytest.param("%/01%", None, id="prefix-too-short"),
        pytest.param("%Trainer%", None, id="inside-a-word"),
        pytest.param("%r/l%", None, id="short-runs"),
        pytest.param("%", None, id="only-wildcard"),
        pytest.param("_", None, id="only-underscore"),
        pytest.param("%_%", None, id="wildcards"),
        pytest.param("%/a_b/%", None, id="underscore-is-a-wildcard"),
        pytest.param("%/a_/%", None, id="underscore-ends-no-word"),
        pytest.param("%/x12_%", '"x12"*', id="prefix-before-underscore"),
        pytest.param("%/é1/%", None, id="non-ascii-neighbour-proves-nothing"),
        pytest.param("%é/12/%", '"12"', id="non-ascii-elsewhere"),
        pytest.param("%/x/\x00/y/%", '"x"', id="nul-ends-the-pattern"),
        pytest.param("%\x00/y/%", None, id="nul-first"),
        pytest.param("gs://b/run/%", None, id="prefix-pattern-has-its-b-tree"),
        pytest.param("%/ab/b/c/", '"ab" AND "b"', id="at-most-two-longest-first"),
        pytest.param("% 7 %", '"7"', id="space-separates"),
        pytest.param("%/" + "x" * 50_000 + "/%", None, id="longer-than-sqlite-takes"),
    ],
)
def test_match_query(pattern: str, query: Optional[str]) -> None:
    assert word_index.match_query(pattern) == query


# -- the index's answer is a superset of LIKE's, on hostile strings -----------------------------------------------

# Values are words between separators: ASCII and non-ASCII letters and digits, case, wildcards, NUL.
_WORDS = ["a", "B", "ab", "run", "RUN", "000123", "7", "x1", "Tr", "ainer", "é", "É", "ß", "\u212a", "\u0130",
          "\ufb01", "\u0661", ""]
_SEPARATORS = ["/", "-", ".", " ", "~", "'", "/", "-", "\x00", "\x7f", "é", "_", "%", ""]


def _value(rng: random.Random) -> str:
    return "".join(rng.choice(_SEPARATORS) + rng.choice(_WORDS) for _ in range(rng.randrange(6)))


def _pattern(rng: random.Random, values: Sequence[str]) -> str:
    """A pattern, most often a piece of one of `values` with characters swapped for `_`, `%` or case-changed."""
    if rng.random() < 0.2:  # any pattern at all
        pieces = _WORDS + _SEPARATORS + ["%", "_"]
        return rng.choice("%_") + "".join(rng.choice(pieces) for _ in range(rng.randrange(6)))
    value = rng.choice(values)
    cuts = [i for i, c in enumerate(value) if not c.isalnum()] or [0]
    start = rng.choice(cuts) if rng.random() < 0.7 else rng.randrange(len(value) + 1)
    end = len(value) if rng.random() < 0.5 else rng.randrange(start, len(value) + 1)
    middle = "".join(rng.choice((c,) * 12 + (c.swapcase(), "_", "%" + c)) for c in value[start:end])
    return rng.choice(["%", "_", "%_"]) + middle + rng.choice(["%", "", "_%"])


def _table_with(values: Sequence[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    db.migrate_to(conn.cursor(), 0, schema.SCHEMA_VERSION)
    conn.executemany("INSERT INTO context (id, type_id, name, create_time, update_time, body) "
                     "VALUES (?, ?, ?, 0, 0, x'')", [(i, i, value) for i, value in enumerate(values, start=1)])
    word_index.index_pending(conn.cursor(), CONTEXT)
    return conn


# Draws from `st.randoms()`, as tests/filters/test_filter_hypothesis.py does: hypothesis' own draws lean so
# hard towards the first and smallest choices that few patterns would match anything.
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_index_finds_every_value_like_finds(rng: random.Random) -> None:
    values = [_value(rng) for _ in range(rng.randrange(1, 12))]
    conn = _table_with(values)
    for pattern in (_pattern(rng, values) for _ in range(16)):
        like = {row[0] for row in conn.execute("SELECT id FROM context WHERE name LIKE ?", (pattern,))}
        query = word_index.match_query(pattern)
        if query is None:
            continue
        found = {row[0] for row in conn.execute("SELECT rowid FROM context_words WHERE context_words MATCH ?",
                                                 (query,))}
        assert like <= found, (values, pattern, query)


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        pytest.param("/x/RUN-7/y", "%/run-7/%", True, id="ascii-case-folds"),
        pytest.param("/x/\u212a/y", "%/k/%", False, id="kelvin-sign-is-not-k"),
        pytest.param("/x/é/y", "%/É/%", False, id="non-ascii-case-does-not-fold"),
        pytest.param("/x/7\x00/y", "%/7", True, id="value-read-to-its-nul"),
        pytest.param("/x/7/y", "%/7/%\x00zzz", True, id="pattern-read-to-its-nul"),
        pytest.param("/x/a_b/y", "%/a_b/%", True, id="underscore-matches-itself"),
        pytest.param("/x/a-b/y", "%/a_b/%", True, id="underscore-matches-any"),
        pytest.param("/x/a%b/y", "%/a%/%", True, id="percent-in-value"),
        pytest.param("/x/ab1/y", "%/ab1", False, id="suffix-not-at-end"),
    ],
)
def test_hostile_values(value: str, pattern: str, matches: bool) -> None:
    conn = _table_with([value, "/other/"])
    like = {row[0] for row in conn.execute("SELECT id FROM context WHERE name LIKE ?", (pattern,))}
    assert like == ({1} if matches else set())
    query = word_index.match_query(pattern)
    if query is not None:
        found = {row[0] for row in conn.execute("SELECT rowid FROM context_words WHERE context_words MATCH ?",
                                                 (query,))}
        assert like <= found


# -- through the API: the same nodes as SQLite's LIKE, whichever access path the page takes ----------------------

def _fake_store() -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    return metadata_store.MetadataStore(config)


def _like_ids(store: metadata_store.MetadataStore, layout: NodeLayout, column: str, pattern: str) -> List[int]:
    return store._engine.db.run(lambda cur: [row[0] for row in cur.execute(
        f"SELECT id FROM {layout.table} NOT INDEXED WHERE {column} LIKE ? ORDER BY id", (pattern,))], write=False)


@pytest.fixture(scope="module")
def hostile_store() -> metadata_store.MetadataStore:
    """Hostile uris and names twice: once among nodes the word index holds, once among newer ones it does not yet."""
    store = _fake_store()
    fill_hostile(store, word_index.FOLD_AT)
    for layout in LAYOUTS.values():
        assert 0 < _pending(store, layout) < word_index.FOLD_AT
    return store


@pytest.mark.parametrize("pattern", API_PATTERNS)
@pytest.mark.parametrize(("layout", "column"), COLUMNS, ids=COLUMN_IDS)
def test_api_answers_as_like(hostile_store: metadata_store.MetadataStore, layout: NodeLayout, column: str,
                             pattern: str) -> None:
    assert_answers_as(hostile_store, layout, column, pattern, _like_ids(hostile_store, layout, column, pattern))


def test_a_text_of_a_shared_shape_gets_its_own_words(hostile_store: metadata_store.MetadataStore) -> None:
    # Plans are shared by shape; the words are taken from each text's own pattern.
    for pattern in ["%/run-004/%", "%/run-005/%", "gs://%", "%x%", "%/run-006/%"]:
        expected = _like_ids(hostile_store, ARTIFACT, "uri", pattern)
        assert found(hostile_store, ARTIFACT, f"uri LIKE '{pattern}'") == expected


# -- the plan: a contains-LIKE seeks the word index instead of scanning the node table ------------------------

@pytest.mark.parametrize(
    ("query", "groups", "expression"),
    [
        pytest.param("uri LIKE '%/a/%'", 1, True, id="contains"),
        pytest.param("uri LIKE '%/a/%' AND name LIKE '%/b/%' AND id > 1", 2, True, id="two-and-more"),
        pytest.param("uri LIKE 'gs://b/%' AND name LIKE '%/b/%'", 1, False, id="a-prefix-keeps-its-index"),
        pytest.param("uri LIKE '%a%'", 0, False, id="no-word"),
        pytest.param("uri LIKE '%/a/%' OR id = 1", 0, False, id="under-or"),
    ],
)
def test_the_plain_condition_and_groups(query: str, groups: int, expression: bool) -> None:
    # A pattern that starts with a wildcard is tested as `like(? || '', n.uri)`: a bare `?` after LIKE would make
    # SQLite prepare the statement again on every run; a prefix pattern keeps it, for its B-tree index.
    filter_sql, params = planner.compile_filter(ARTIFACT, query, SQLITE)
    assert sum(group.label.startswith("words of") for group in filter_sql.groups) == groups
    assert ("like(? || ''" in filter_sql.plain) == expression
    assert filter_sql.plain.count("?") + sum(g.driver_params + g.probe_params for g in filter_sql.groups) == len(params)


@pytest.fixture(scope="module")
def runs_store() -> metadata_store.MetadataStore:
    store = _fake_store()
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Model"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    context_type = store.put_context_type(pb.ContextType(name="Run"))
    store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=f"/pipelines/p/run-{i:06d}/Trainer/model",
                                     name=f"run-{i:06d}.Trainer.Model") for i in range(2000)])
    store.put_executions([pb.Execution(type_id=execution_type, name=f"run-{i:06d}.Trainer") for i in range(500)])
    store.put_contexts([pb.Context(type_id=context_type, name=f"run-{i:06d}") for i in range(500)])
    return store


@pytest.mark.parametrize(
    ("layout", "query"),
    [
        pytest.param(ARTIFACT, "uri LIKE '%/run-000123/Trainer/%'", id="artifact-uri-contains"),
        pytest.param(ARTIFACT, "uri LIKE '%/run-000123/Trainer/model'", id="artifact-uri-suffix"),
        pytest.param(ARTIFACT, "name LIKE '%run-000123.Trainer%'", id="artifact-name-contains"),
        pytest.param(EXECUTION, "name LIKE '%-000123.Trainer'", id="execution-name-suffix"),
        pytest.param(CONTEXT, "name LIKE '%-000123'", id="context-name-suffix"),
        pytest.param(ARTIFACT, "uri LIKE '%/run-000123/%' AND state IS NULL", id="with-another-condition"),
    ],
)
def test_contains_like_seeks_the_word_index(runs_store: metadata_store.MetadataStore, layout: NodeLayout,
                                            query: str) -> None:
    explained = runs_store.explain_filter(layout.noun, query)
    lines = explained.splitlines()
    plan = [line.strip() for line in lines[lines.index("sqlite plan:") + 1:] if line.startswith("  ")]
    assert any(f"{layout.word_table} VIRTUAL TABLE" in detail for detail in plan), explained
    assert not any(detail.split()[:2] in (["SCAN", "n"], ["SCAN", layout.table]) for detail in plan), explained
    assert "access: drives from words of" in explained, explained
    assert found(runs_store, layout, query)


@pytest.mark.parametrize(
    ("query", "why"),
    [
        pytest.param("uri LIKE '%/Trainer/%'", "every node holds the word", id="common-word"),
        pytest.param("uri LIKE '%Trainer%'", "the pattern names no whole word", id="inside-a-word"),
        pytest.param("NOT uri LIKE '%/run-000123/%'", "under NOT", id="negated"),
    ],
)
def test_a_page_of_a_broad_or_unindexed_like_walks(runs_store: metadata_store.MetadataStore, query: str,
                                                   why: str) -> None:
    explained = runs_store.explain_filter("artifact", query, metadata_store.ListOptions(limit=10))
    assert "access: walks artifact in id order" in explained or "access: the database's own choice" in explained, why
    assert "drives from words" not in explained, why


def test_a_word_index_plan_never_settles(runs_store: metadata_store.MetadataStore) -> None:
    # One shape names a run (a few nodes) or a component (every node): each call dives, none takes an earlier path.
    for run in range(2 * access.History.SETTLED):
        found(runs_store, ARTIFACT, f"uri LIKE '%/run-{run:06d}/%'", limit=10)
    worded, _ = planner.compile_filter(ARTIFACT, "uri LIKE '%/run-000001/%'", SQLITE)
    owner = access.prepared(worded)
    assert not any(entry[3] is owner for entry in runs_store._engine._plan_history._runs.values())
    assert "walks artifact in id order" in runs_store.explain_filter("artifact", "uri LIKE '%/Trainer/%'",
                                                                     metadata_store.ListOptions(limit=10))


# -- writes keep the index in step, in the same transaction --------------------------------------------------

def _index_pending(store: metadata_store.MetadataStore) -> None:
    def index(cur: sqlite3.Cursor) -> None:
        for layout in LAYOUTS.values():
            word_index.index_pending(cur, layout)
    store._engine.db.run(index, write=True)


class _Undo(Exception):
    """Rolls back the transaction that checked the index, so pending nodes stay pending."""


def _integrity_check(store: metadata_store.MetadataStore) -> None:
    """FTS5 compares every word of the index with the node table's text columns (once it holds every node)."""
    def check(cur: sqlite3.Cursor) -> None:
        for layout in LAYOUTS.values():
            word_index.index_pending(cur, layout)
            cur.execute(f"INSERT INTO {layout.word_table}({layout.word_table}) VALUES ('integrity-check')")
        raise _Undo

    with pytest.raises(_Undo):
        store._engine.db.run(check, write=True)


def _pending(store: metadata_store.MetadataStore, layout: NodeLayout) -> int:
    return store._engine.db.run(lambda cur: cur.execute(
        f"SELECT count(*) FROM {layout.table} WHERE id > (SELECT indexed_to FROM word_index_marks "
        "WHERE word_table = ?)", (layout.word_table,)).fetchone()[0], write=False)


@pytest.mark.parametrize("indexed", [True, False], ids=["indexed", "pending"])
def test_updates_move_the_words(store: metadata_store.MetadataStore, indexed: bool) -> None:
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    context_type = store.put_context_type(pb.ContextType(name="Run"))
    [a, b] = store.put_artifacts([pb.Artifact(type_id=artifact_type, uri="/old/one", name="first"),
                                  pb.Artifact(type_id=artifact_type, uri="/old/two")])
    [c, d] = store.put_contexts([pb.Context(type_id=context_type, name="ctx-alpha"),
                                 pb.Context(type_id=context_type, name="ctx-beta")])
    if indexed:
        _index_pending(store)
    assert _pending(store, ARTIFACT) == (0 if indexed else 2)
    store.put_artifacts([pb.Artifact(id=a, type_id=artifact_type, uri="/new/one", name="first")])
    # One call: c lets its name go, and d takes it (the name is released before it is taken again).
    store.put_contexts([pb.Context(id=c, type_id=context_type, name="ctx-gamma"),
                        pb.Context(id=d, type_id=context_type, name="ctx-alpha")])
    _integrity_check(store)
    assert found(store, ARTIFACT, "uri LIKE '%/old/%'") == [b]
    assert found(store, ARTIFACT, "uri LIKE '%/new/%'") == [a]
    assert found(store, CONTEXT, "name LIKE '%-gamma'") == [c]
    assert found(store, CONTEXT, "name LIKE '%-alpha'") == [d]
    assert found(store, CONTEXT, "name LIKE '%-beta'") == []


def test_a_failed_call_leaves_no_words(store: metadata_store.MetadataStore) -> None:
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    store.put_artifacts([pb.Artifact(type_id=artifact_type, uri="/kept", name="same")])
    with pytest.raises(Exception):
        store.put_artifacts([pb.Artifact(type_id=artifact_type, uri="/lost/one"),
                             pb.Artifact(type_id=artifact_type, uri="/lost/two", name="same")])
    _integrity_check(store)
    assert found(store, ARTIFACT, "uri LIKE '%/lost/%'") == []


def test_put_execution_and_lineage_writes_keep_the_index(store: metadata_store.MetadataStore) -> None:
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="Step"))
    context_type = store.put_context_type(pb.ContextType(name="Run"))
    execution_id, artifact_ids, context_ids = store.put_execution(
        pb.Execution(type_id=execution_type, name="run-9.step"),
        [(pb.Artifact(type_id=artifact_type, uri="/run-9/out"), pb.Event(type=pb.Event.OUTPUT))],
        [pb.Context(type_id=context_type, name="run-9")])
    _integrity_check(store)
    assert found(store, EXECUTION, "name LIKE '%-9.step'") == [execution_id]
    assert found(store, ARTIFACT, "uri LIKE '%/run-9/%'") == artifact_ids
    assert found(store, CONTEXT, "name LIKE '%-9'") == context_ids


# -- schema version 11: upgrades index what a store holds; without FTS5, stores work without the index ---------

def _config(path: Path, mode: int = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = mode
    return config


def _fill(store: metadata_store.MetadataStore) -> Dict[str, List[int]]:
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="Step"))
    context_type = store.put_context_type(pb.ContextType(name="Run"))
    return {
        "artifacts": store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=f"/runs/run-{i}/out",
                                                      name=f"run-{i}.out") for i in range(50)]),
        "executions": store.put_executions([pb.Execution(type_id=execution_type, name=f"run-{i}.step")
                                            for i in range(20)]),
        "contexts": store.put_contexts([pb.Context(type_id=context_type, name=f"run-{i}") for i in range(20)]),
    }


def _tables(path: Path) -> set:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_upgrade_from_version_10_indexes_the_rows_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    ids = _fill(metadata_store.MetadataStore(_config(path)))
    metadata_store.downgrade_schema(_config(path), 10)
    assert not set(sqlite_schema.WORD_TABLES) & _tables(path)  # a version 10 store, rows and all
    store = metadata_store.MetadataStore(_config(path), enable_upgrade_migration=True)
    assert set(sqlite_schema.WORD_TABLES) <= _tables(path)
    _integrity_check(store)
    assert found(store, ARTIFACT, "uri LIKE '%/run-7/%'") == [ids["artifacts"][7]]
    assert found(store, ARTIFACT, "name LIKE '%-7.out'") == [ids["artifacts"][7]]
    assert found(store, EXECUTION, "name LIKE '%-7.step'") == [ids["executions"][7]]
    assert found(store, CONTEXT, "name LIKE '%-7'") == [ids["contexts"][7]]
    assert "drives from words of uri" in store.explain_filter("artifact", "uri LIKE '%/run-7/%'")


_NO_FTS5 = """
import sys
from fastmlmd.engine.backends import sqlite_words
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
assert not sqlite_words.available()
config = pb.ConnectionConfig()
config.sqlite.filename_uri = sys.argv[1]
config.sqlite.connection_mode = int(sys.argv[2])
try:
    store = metadata_store.MetadataStore(config)
except RuntimeError as exc:
    print("refused:", exc)
    sys.exit(0)
if sys.argv[3] == "fill":
    t = store.put_artifact_type(pb.ArtifactType(name="Data"))
    store.put_artifacts([pb.Artifact(type_id=t, uri=f"/runs/run-{i}/out") for i in range(50)])
found = store.get_artifacts(list_options=metadata_store.ListOptions(filter_query="uri LIKE '%/run-7/%'"))
print("found:", [a.uri for a in found])
"""


def _without_fts5(path: Path, mode: int, action: str = "") -> str:
    env = {**os.environ, "FASTMLMD_NO_FTS5": "1"}
    done = subprocess.run([sys.executable, "-c", _NO_FTS5, str(path), str(mode), action], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_without_fts5_a_store_has_no_word_index_and_gets_one_where_fts5_is(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    rw = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    assert _without_fts5(path, rw, "fill") == "found: ['/runs/run-7/out']"
    assert not set(sqlite_schema.WORD_TABLES) & _tables(path)
    with pytest.raises(RuntimeError, match="made where SQLite has no FTS5"):
        metadata_store.MetadataStore(_config(path, pb.SqliteMetadataSourceConfig.READONLY))
    store = metadata_store.MetadataStore(_config(path))  # read-write: the index is built
    _integrity_check(store)
    assert [a.uri for a in store.get_artifacts(list_options=metadata_store.ListOptions(
        filter_query="uri LIKE '%/run-7/%'"))] == ["/runs/run-7/out"]


def test_without_fts5_a_store_with_a_word_index_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _fill(metadata_store.MetadataStore(_config(path)))
    assert _without_fts5(path, pb.SqliteMetadataSourceConfig.READWRITE).startswith(
        "refused: This store keeps word indexes in SQLite FTS5 tables")
    assert _without_fts5(path, pb.SqliteMetadataSourceConfig.READONLY) == "found: ['/runs/run-7/out']"
