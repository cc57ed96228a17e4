"""MariaDB's word index (engine/backends/mysql_words.py): contains- and suffix-LIKE on uri and name seek it, and
answer as SQLite's LIKE does, whether the index holds a node yet or not, after updates, deletes, imports and an
upgrade that builds it from the rows a store holds."""
from __future__ import annotations

import random
from typing import Any, Iterator, List, Set

import pytest
import server_stores
from word_index_kit import API_PATTERNS, COLUMN_IDS, COLUMNS, assert_answers_as, fill_hostile, found, literal
from fastmlmd.engine.backends import mysql_like
from fastmlmd.engine.catalog import ARTIFACT, CONTEXT, EXECUTION, LAYOUTS, NodeLayout
from fastmlmd.engine.word_terms import words_of
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = pytest.mark.server


def _fake_store() -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    return metadata_store.MetadataStore(config)


def _rows(store: metadata_store.MetadataStore, sql: str) -> List[tuple]:
    return store._engine.db.run(lambda cur: [tuple(row) for row in cur.execute(sql)], write=False)


def _pending(store: metadata_store.MetadataStore, layout: NodeLayout) -> int:
    return _rows(store, f"SELECT count(*) FROM {layout.table} WHERE id > (SELECT indexed_to FROM word_index_marks "
                        f"WHERE word_table = '{layout.word_table}')")[0][0]


def _assert_index_holds_its_nodes(store: metadata_store.MetadataStore) -> None:
    """Each word table holds exactly the words of the nodes up to its mark, as their rows hold them now."""
    for layout in LAYOUTS.values():
        mark = _rows(store, f"SELECT indexed_to FROM word_index_marks WHERE word_table = '{layout.word_table}'")[0][0]
        columns = ", ".join(layout.word_columns)
        expected: Set[tuple] = {(word.encode(), node_id) for node_id, *texts in _rows(
            store, f"SELECT id, {columns} FROM {layout.table} WHERE id <= {mark}") for word in words_of(*texts)}
        assert set(_rows(store, f"SELECT word, node_id FROM {layout.word_table}")) == expected, layout.word_table


def _unindex_newest(store: metadata_store.MetadataStore, layout: NodeLayout, count: int) -> None:
    """Leaves the newest `count` nodes out of the index, as nodes another program inserted are."""
    def unindex(cur: Any) -> None:
        mark = cur.execute(f"SELECT max(id) - {count} FROM {layout.table}").fetchone()[0]
        cur.execute(f"DELETE FROM {layout.word_table} WHERE node_id > ?", (mark,))
        cur.execute("UPDATE word_index_marks SET indexed_to = ? WHERE word_table = ?", (mark, layout.word_table))
    store._engine.db.run(unindex, write=True)
    assert _pending(store, layout) == count


@pytest.fixture(scope="module")
def hostile_store() -> metadata_store.MetadataStore:
    """Hostile uris and names, each among the nodes the index holds and among newer ones it does not."""
    store = metadata_store.MetadataStore(server_stores.mysql_stores().config())
    fill_hostile(store, 64)
    for layout in LAYOUTS.values():
        assert _pending(store, layout) == 0  # each insert indexes its nodes
        _unindex_newest(store, layout, 30)
    return store


def _scanned(store: metadata_store.MetadataStore, layout: NodeLayout, column: str, pattern: str) -> List[int]:
    """The ids MariaDB's own LIKE finds in a scan of every node, as the planner writes that LIKE."""
    sql = f"SELECT id FROM {layout.table} WHERE {mysql_like.search_like(column, '?', False)} ORDER BY id"
    return store._engine.db.run(lambda cur: [row[0] for row in cur.execute(sql, (pattern, pattern))], write=False)


@pytest.mark.parametrize("pattern", API_PATTERNS)
@pytest.mark.parametrize(("layout", "column"), COLUMNS, ids=COLUMN_IDS)
def test_api_answers_as_a_scan(hostile_store: metadata_store.MetadataStore, layout: NodeLayout, column: str,
                               pattern: str) -> None:
    assert_answers_as(hostile_store, layout, column, pattern, _scanned(hostile_store, layout, column, pattern))


def test_random_values_and_patterns_answer_as_on_sqlite() -> None:
    """Values made of words and separators (case, non-ASCII letters, wildcards, NUL), some held by the index and
    some pending, and patterns cut from them."""
    rng = random.Random(25)
    words = ["a", "B", "ab", "run", "RUN", "000123", "7", "x1", "Tr", "ainer", "é", "É", "ß", "\u212a", "\u0130", ""]
    separators = ["/", "-", ".", " ", "~", "'", "\x7f", "é", "_", "%", "\\", ""]
    values = sorted({"".join(rng.choice(separators) + rng.choice(words) for _ in range(rng.randrange(1, 6)))
                     for _ in range(150)} - {""})
    pair = [metadata_store.MetadataStore(server_stores.mysql_stores().config()), _fake_store()]
    for store in pair:
        context_type = store.put_context_type(pb.ContextType(name="Run"))
        store.put_contexts([pb.Context(type_id=context_type, name=v) for v in values])
    _unindex_newest(pair[0], CONTEXT, len(values) // 3)
    checked = 0
    for _ in range(300):
        value = rng.choice(values)
        start = rng.randrange(len(value))
        end = rng.randrange(start, len(value) + 1)
        middle = "".join(rng.choice((c,) * 8 + (c.swapcase(), "_", "%" + c)) for c in value[start:end])
        pattern = rng.choice(["%", "_", "%_"]) + middle + rng.choice(["%", "", "_%"])
        query = f"name LIKE {literal(pattern)}"
        on_mysql, on_sqlite = (found(store, CONTEXT, query) for store in pair)
        assert on_mysql == on_sqlite, pattern
        checked += bool(on_sqlite)
    assert checked > 100  # most patterns match something


def test_a_contains_like_seeks_the_word_index() -> None:
    store = metadata_store.MetadataStore(server_stores.mysql_stores().config())
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Model"))
    store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=f"/p/run-{i:06d}/Trainer/model") for i in range(300)])
    explained = store.explain_filter("artifact", "uri LIKE '%/run-000123/Trainer/%'")
    assert "access: drives from words of uri" in explained, explained
    plan = explained[explained.index("mysql plan:"):explained.index("\nsql:")].splitlines()[1:]
    assert any(line.split()[:3] == ["w", "ref", "key=PRIMARY"] for line in plan), explained  # the word's keys
    assert not any(line.split()[1:2] == ["ALL"] and line.split()[0] in ("n", "artifact") for line in plan), explained
    assert found(store, ARTIFACT, "uri LIKE '%/run-000123/Trainer/%'") == [124]


def test_writes_keep_the_index_in_step() -> None:
    store = metadata_store.MetadataStore(server_stores.mysql_stores().config())
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="Step"))
    context_type = store.put_context_type(pb.ContextType(name="Run"))
    ids = store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=f"/old/run-{i}/x", name=f"a-{i}")
                               for i in range(70)])
    _unindex_newest(store, ARTIFACT, 5)  # the next insert takes these in too, from their rows
    execution_id, _, [context_id] = store.put_execution(
        pb.Execution(type_id=execution_type, name="run-9.step"),
        [(pb.Artifact(type_id=artifact_type, uri="/run-9/out"), pb.Event(type=pb.Event.OUTPUT))],
        [pb.Context(type_id=context_type, name="run-9")])
    assert [_pending(store, layout) for layout in (ARTIFACT, EXECUTION, CONTEXT)] == [0, 0, 0]
    _unindex_newest(store, ARTIFACT, 2)  # ids[-1] among them: an update below of a node the index does not hold
    # Updates move the words of a node the index holds and of one it does not; a failed call leaves none.
    store.put_artifacts([pb.Artifact(id=ids[0], type_id=artifact_type, uri="/new/run-0/x"),
                         pb.Artifact(id=ids[-1], type_id=artifact_type, uri="/new/last/x")])
    with pytest.raises(Exception):
        store.put_artifacts([pb.Artifact(type_id=artifact_type, uri="/lost/one"),
                             pb.Artifact(type_id=artifact_type, uri="/lost/two", name="a-1")])
    _assert_index_holds_its_nodes(store)
    assert found(store, ARTIFACT, "uri LIKE '%/old/run-0/%'") == []
    assert found(store, ARTIFACT, "uri LIKE '%/new/%'") == [ids[0], ids[-1]]
    assert found(store, ARTIFACT, "uri LIKE '%/last/x'") == [ids[-1]]
    assert found(store, ARTIFACT, "uri LIKE '%/lost/%'") == []
    assert found(store, EXECUTION, "name LIKE '%-9.step'") == [execution_id]
    assert found(store, CONTEXT, "name LIKE '%-9'") == [context_id]
    # Deletes take the words of the nodes they remove.
    store.delete_artifacts([ids[0], ids[1]])
    _assert_index_holds_its_nodes(store)
    assert found(store, ARTIFACT, "uri LIKE '%/new/%'") == [ids[-1]]


def test_an_upgrade_builds_the_index_from_the_rows_a_store_holds(admin_cursor: Any) -> None:
    config = server_stores.mysql_stores().config()
    store = metadata_store.MetadataStore(config)
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="Data"))
    ids = store.put_artifacts([pb.Artifact(type_id=artifact_type, uri=f"/runs/run-{i}/out") for i in range(100)])
    metadata_store.downgrade_schema(config, 10)
    tables = {row[0] for row in admin_cursor(f"SHOW TABLES FROM `{config.mysql.database}`")}
    assert not tables & {layout.word_table for layout in LAYOUTS.values()}
    upgraded = metadata_store.MetadataStore(config, enable_upgrade_migration=True)
    assert _pending(upgraded, ARTIFACT) == 0
    _assert_index_holds_its_nodes(upgraded)
    assert found(upgraded, ARTIFACT, "uri LIKE '%/run-7/%'") == [ids[7]]
    # A store of this version whose word tables are gone (made before the index) gets them when opened.
    admin_cursor(f"DROP TABLE `{config.mysql.database}`.artifact_words, `{config.mysql.database}`.execution_words, "
                 f"`{config.mysql.database}`.context_words, `{config.mysql.database}`.word_index_marks")
    reopened = metadata_store.MetadataStore(config)
    _assert_index_holds_its_nodes(reopened)
    assert found(reopened, ARTIFACT, "uri LIKE '%/run-42/%'") == [ids[42]]


@pytest.fixture
def admin_cursor() -> Iterator[Any]:
    import pymysql

    session = pymysql.connect(host=server_stores.HOST, port=server_stores.PORT, user=server_stores.USER,
                              autocommit=True, charset="utf8mb4")

    def run(sql: str) -> List[tuple]:
        cur = session.cursor()
        cur.execute(sql)
        return list(cur.fetchall())

    try:
        yield run
    finally:
        session.close()
