"""SQLite file stores: connection modes, schema versions and migrations, atomicity, fidelity, concurrency."""
from __future__ import annotations

import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from fastmlmd.engine.schema import SCHEMA_VERSION, VERSION_TABLE

# Collected into docs/differences.md by tools/differences.py.
DIFFERENCES_FROM_MLMD = {
    "test_mlmd_database_is_refused_clearly":
        "fastmlmd keeps its own SQLite schema: a database file made by MLMD is refused with a "
        "FailedPreconditionError (also a RuntimeError) that says how to convert it (enable_upgrade_migration=True "
        "converts it in place, python -m fastmlmd.convert copies it), and MLMD cannot open a fastmlmd file",
}


def _config(path: Path, mode: int = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = mode
    return config


def _seed(store: metadata_store.MetadataStore) -> int:
    artifact_type = pb.ArtifactType(name="DataSet")
    artifact_type.properties["day"] = pb.INT
    type_id = store.put_artifact_type(artifact_type)
    artifact = pb.Artifact(type_id=type_id, uri="u")
    artifact.properties["day"].int_value = 1
    [artifact_id] = store.put_artifacts([artifact])
    return artifact_id


@pytest.mark.parametrize(
    ("mode", "exists", "outcome"),
    [
        pytest.param(pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE, False, "ok", id="opencreate-creates"),
        pytest.param(pb.SqliteMetadataSourceConfig.UNKNOWN, False, "ok", id="unknown-acts-as-opencreate"),
        pytest.param(pb.SqliteMetadataSourceConfig.READWRITE, False, RuntimeError, id="readwrite-missing-file"),
        pytest.param(pb.SqliteMetadataSourceConfig.READWRITE, True, "ok", id="readwrite-existing"),
        pytest.param(pb.SqliteMetadataSourceConfig.READONLY, False, RuntimeError, id="readonly-missing-file"),
        pytest.param(pb.SqliteMetadataSourceConfig.READONLY, True, "ok", id="readonly-existing"),
    ],
)
def test_connection_modes(tmp_path: Path, mode: int, exists: bool, outcome: object) -> None:
    path = tmp_path / "store.db"
    if exists:
        _seed(metadata_store.MetadataStore(_config(path)))
    if outcome == "ok":
        store = metadata_store.MetadataStore(_config(path, mode))
        # A created file starts empty; an opened one shows what _seed wrote.
        assert [t.name for t in store.get_artifact_types()] == (["DataSet"] if exists else [])
        assert [a.uri for a in store.get_artifacts()] == (["u"] if exists else [])
        assert path.exists()
    else:
        with pytest.raises(outcome):  # type: ignore[call-overload]
            metadata_store.MetadataStore(_config(path, mode))
        assert not path.exists()


def test_readonly_store_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    artifact_id = _seed(metadata_store.MetadataStore(_config(path)))
    store = metadata_store.MetadataStore(_config(path, pb.SqliteMetadataSourceConfig.READONLY))
    assert [a.id for a in store.get_artifacts_by_id([artifact_id])] == [artifact_id]
    with pytest.raises(errors.InternalError, match="readonly"):
        store.put_artifacts([pb.Artifact(type_id=10)])
    assert len(store.get_artifacts()) == 1


def test_file_uri_and_reopen_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "uri store.db"
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = "file:" + str(path)
    artifact_id = _seed(metadata_store.MetadataStore(config))
    again = metadata_store.MetadataStore(_config(path))
    assert [a.uri for a in again.get_artifacts_by_id([artifact_id])] == ["u"]


def test_fake_databases_are_private() -> None:
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    first, second = metadata_store.MetadataStore(config), metadata_store.MetadataStore(config)
    _seed(first)
    assert len(first.get_artifacts()) == 1 and second.get_artifacts() == []


def test_a_postgresql_store_needs_a_database_name() -> None:
    pytest.importorskip("psycopg")
    config = pb.ConnectionConfig()
    config.postgresql.SetInParent()
    with pytest.raises(RuntimeError, match="PostgreSQLDatabaseConfig.dbname is required"):
        metadata_store.MetadataStore(config)


def test_a_mysql_store_needs_a_database_name() -> None:
    pytest.importorskip("pymysql")
    config = pb.ConnectionConfig()
    config.mysql.SetInParent()
    with pytest.raises(RuntimeError, match="MySQLDatabaseConfig.database is required"):
        metadata_store.MetadataStore(config)


def _set_version(path: Path, version: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version = ?", (version,))


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _seed(metadata_store.MetadataStore(_config(path)))
    _set_version(path, SCHEMA_VERSION + 1)
    # ml-metadata 1.17.1's words, measured on a database of its own set to version 11.
    mlmd_words = (f"MLMD database version {SCHEMA_VERSION + 1} is greater than library version {SCHEMA_VERSION}. "
                  "Please upgrade the library to use the given database in order to prevent potential data loss. "
                  "If data loss is acceptable, please downgrade the database using a newer version of library.")
    with pytest.raises(RuntimeError, match=re.escape(mlmd_words)):
        metadata_store.MetadataStore(_config(path), enable_upgrade_migration=True)


def test_older_schema_read_only_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    _seed(metadata_store.MetadataStore(_config(path)))
    metadata_store.downgrade_schema(_config(path), SCHEMA_VERSION - 1)
    # Starts like ml-metadata 1.17.1's refusal, which goes on about migration being disabled.
    with pytest.raises(RuntimeError, match=f"^MLMD database version {SCHEMA_VERSION - 1} is older than library "
                                           f"version {SCHEMA_VERSION}. A read-only store cannot be migrated"):
        metadata_store.MetadataStore(_config(path, pb.SqliteMetadataSourceConfig.READONLY))


def test_older_schema_needs_upgrade_flag_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    artifact_id = _seed(metadata_store.MetadataStore(_config(path)))
    metadata_store.downgrade_schema(_config(path), SCHEMA_VERSION - 1)
    with pytest.raises(RuntimeError, match="Schema migration is disabled"):
        metadata_store.MetadataStore(_config(path))
    store = metadata_store.MetadataStore(_config(path), enable_upgrade_migration=True)
    assert [a.id for a in store.get_artifacts_by_id([artifact_id])] == [artifact_id]
    with sqlite3.connect(path) as conn:
        assert conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()[0] == SCHEMA_VERSION
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "artifact_property_int_value" in indexes


@pytest.mark.parametrize(
    ("version", "error"),
    [pytest.param(-1, errors.InvalidArgumentError, id="negative"),
     pytest.param(SCHEMA_VERSION + 1, errors.InvalidArgumentError, id="newer-than-library")],
)
def test_downgrade_schema_argument_checks(tmp_path: Path, version: int, error: type) -> None:
    _seed(metadata_store.MetadataStore(_config(tmp_path / "s.db")))
    with pytest.raises(error):
        metadata_store.downgrade_schema(_config(tmp_path / "s.db"), version)
    assert metadata_store.MetadataStore(_config(tmp_path / "s.db")).get_artifact_types()


def test_mlmd_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "mlmd.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE MLMDEnv (schema_version INTEGER PRIMARY KEY)")
    with pytest.raises(RuntimeError, match="made by ml-metadata") as caught:
        metadata_store.MetadataStore(_config(path))
    assert isinstance(caught.value, errors.FailedPreconditionError)


STRANGE_STRINGS = ["nul\x00inside", "quote'\"`", "back\\slash", "ünïcødé ✓ 𝄞", "", " spaces ", "%_like"]


@pytest.mark.parametrize("text", STRANGE_STRINGS)
def test_strings_round_trip_byte_for_byte(tmp_path: Path, text: str) -> None:
    store = metadata_store.MetadataStore(_config(tmp_path / "s.db"))
    artifact_type = pb.ArtifactType(name="T" + text)
    artifact_type.properties["p" + text] = pb.STRING
    type_id = store.put_artifact_type(artifact_type)
    artifact = pb.Artifact(type_id=type_id, uri=text, name="n" + text, external_id="x" + text)
    artifact.properties["p" + text].string_value = text
    artifact.custom_properties[text].string_value = text
    [artifact_id] = store.put_artifacts([artifact])
    [back] = store.get_artifacts_by_id([artifact_id])
    assert (back.uri, back.name, back.external_id, back.type) == (text, "n" + text, "x" + text, "T" + text)
    assert back.properties["p" + text].string_value == text
    assert back.custom_properties[text].string_value == text
    assert [a.id for a in store.get_artifacts_by_uri(text)] == [artifact_id]
    assert store.get_artifact_by_type_and_name("T" + text, "n" + text).id == artifact_id
    assert store.get_artifact_type("T" + text).properties["p" + text] == pb.STRING


def test_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    store = metadata_store.MetadataStore(_config(tmp_path / "s.db"))
    type_id = store.put_artifact_type(pb.ArtifactType(name="T"))
    store.put_artifacts([pb.Artifact(type_id=type_id, name="taken")])
    batch = [pb.Artifact(type_id=type_id, name="new"), pb.Artifact(type_id=type_id, name="taken")]
    with pytest.raises(errors.AlreadyExistsError):
        store.put_artifacts(batch)
    assert [a.name for a in store.get_artifacts()] == ["taken"]


_KILL_SCRIPT = """
import sys, os
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
from fastmlmd.engine import nodes
config = pb.ConnectionConfig(); config.sqlite.filename_uri = sys.argv[1]
store = metadata_store.MetadataStore(config)
real = nodes.write_inserts
def die_half_way(*args, **kwargs):
    real(*args, **kwargs)
    os._exit(9)  # the process dies after the inserts of this call were written, before it commits
nodes.write_inserts = die_half_way
store.put_artifacts([pb.Artifact(type_id=10, uri="new-%d" % i) for i in range(50)])
"""


def test_process_killed_mid_call_leaves_store_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = metadata_store.MetadataStore(_config(path))
    _seed(store)
    result = subprocess.run([sys.executable, "-c", _KILL_SCRIPT, str(path)], capture_output=True, timeout=60)
    assert result.returncode == 9, result.stderr
    reopened = metadata_store.MetadataStore(_config(path))
    assert [a.uri for a in reopened.get_artifacts()] == ["u"]


def _writer(path: str, worker: int, count: int, queue: "multiprocessing.Queue[object]") -> None:
    store = metadata_store.MetadataStore(_config(Path(path)))
    slowest = 0.0
    for i in range(count):
        started = time.monotonic()
        store.put_artifacts([pb.Artifact(type_id=10, uri=f"w{worker}-{i}")])
        slowest = max(slowest, time.monotonic() - started)
    queue.put((worker, slowest))


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _seed(metadata_store.MetadataStore(_config(path)))
    workers, count = 6, 40
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(path), w, count, queue)) for w in range(workers)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert len(results) == workers
    uris = {a.uri for a in metadata_store.MetadataStore(_config(path)).get_artifacts()}
    assert uris == {"u"} | {f"w{w}-{i}" for w in range(workers) for i in range(count)}


@pytest.mark.parametrize("value", [float("nan"), -0.0, float("inf"), 5e-324, 0.30000000000000004])
def test_doubles_survive_an_update_of_another_field(tmp_path: Path, value: float) -> None:
    import math
    import struct

    store = metadata_store.MetadataStore(_config(tmp_path / "s.db"))
    type_id = store.put_artifact_type(pb.ArtifactType(name="T"))
    artifact = pb.Artifact(type_id=type_id, uri="a")
    artifact.custom_properties["x"].double_value = value
    [artifact_id] = store.put_artifacts([artifact])
    # A masked update re-encodes the node from the stored property rows.
    store.put_artifacts([pb.Artifact(id=artifact_id, uri="b")], field_mask_paths=["uri"])
    [back] = store.get_artifacts_by_id([artifact_id])
    got = back.custom_properties["x"].double_value
    assert back.uri == "b"
    assert struct.pack("<d", got) == struct.pack("<d", value) or (math.isnan(got) and math.isnan(value))


def test_a_property_added_by_another_store_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first, second = metadata_store.MetadataStore(_config(path)), metadata_store.MetadataStore(_config(path))
    type_id = first.put_artifact_type(pb.ArtifactType(name="T"))
    first.put_artifacts([pb.Artifact(type_id=type_id)])  # `first` now holds T in its type cache
    evolved = pb.ArtifactType(name="T")
    evolved.properties["p"] = pb.INT
    second.put_artifact_type(evolved, can_add_fields=True)
    artifact = pb.Artifact(type_id=type_id)
    artifact.properties["p"].int_value = 1
    [artifact_id] = first.put_artifacts([artifact])
    assert first.get_artifacts_by_id([artifact_id])[0].properties["p"].int_value == 1


def test_type_reads_follow_changes_by_this_and_other_stores(tmp_path: Path) -> None:
    # Type reads are served from a view encoded once (Engine.types_view): every change must show at once.
    path = tmp_path / "s.db"
    first, second = metadata_store.MetadataStore(_config(path)), metadata_store.MetadataStore(_config(path))
    type_id = first.put_artifact_type(pb.ArtifactType(name="T"))
    assert [t.name for t in first.get_artifact_types()] == ["T"]  # views taken
    assert first.get_artifact_type("T").properties == {}
    assert first.get_artifact_types_by_id([type_id])[0].name == "T"

    evolved = pb.ArtifactType(name="T", external_id="ext")
    evolved.properties["p"] = pb.INT
    second.put_artifact_type(evolved, can_add_fields=True)  # another connection
    assert dict(first.get_artifact_type("T").properties) == {"p": pb.INT}
    assert first.get_artifact_types_by_id([type_id])[0].external_id == "ext"
    assert not first.get_artifact_types()[0].HasField("external_id")  # listings omit it, as in MLMD

    first.put_artifact_type(pb.ArtifactType(name="U"))  # this connection: data_version does not move
    assert [t.name for t in first.get_artifact_types()] == ["T", "U"]
    assert [t.name for t in second.get_artifact_types()] == ["T", "U"]
    second.put_artifacts([pb.Artifact(type_id=type_id)])  # a commit that changes no type
    assert first.get_artifact_type("U").name == "U"
    with pytest.raises(errors.NotFoundError):
        first.get_artifact_type("V")
    with pytest.raises(errors.AlreadyExistsError):  # a failed type write leaves the views right
        first.put_artifact_type(pb.ArtifactType(name="T", properties={"p": pb.STRING, "q": pb.INT}),
                                can_add_fields=True)
    assert dict(first.get_artifact_type("T").properties) == {"p": pb.INT}


def test_returned_types_are_the_callers_own(tmp_path: Path) -> None:
    store = metadata_store.MetadataStore(_config(tmp_path / "s.db"))
    store.put_artifact_type(pb.ArtifactType(name="T"))
    store.get_artifact_type("T").name = "changed"
    store.get_artifact_types()[0].name = "changed"
    assert store.get_artifact_type("T").name == "T" and store.get_artifact_types()[0].name == "T"


def test_point_reads_run_outside_transactions_and_see_every_commit(tmp_path: Path) -> None:
    # Single-statement reads skip BEGIN/COMMIT (Database.run(one_statement=True)).
    path = tmp_path / "s.db"
    reader, writer = metadata_store.MetadataStore(_config(path)), metadata_store.MetadataStore(_config(path))
    type_id = writer.put_artifact_type(pb.ArtifactType(name="T"))
    assert reader.get_artifacts_by_uri("u") == []
    [artifact_id] = writer.put_artifacts([pb.Artifact(type_id=type_id, uri="u", name="a")])
    assert [a.id for a in reader.get_artifacts_by_uri("u")] == [artifact_id]
    assert reader.get_artifact_by_type_and_name("T", "a").id == artifact_id
    assert [a.id for a in reader.get_artifacts_by_id([artifact_id])] == [artifact_id]
    assert not reader._engine.db._conn.in_transaction
    with pytest.raises(ValueError):
        reader._engine.db.run(lambda cur: None, write=True, one_statement=True)


def test_file_connections_are_tuned(tmp_path: Path) -> None:
    from fastmlmd.engine.backends.sqlite import CACHE_MIB, WAL_CHECKPOINT_PAGES

    store = metadata_store.MetadataStore(_config(tmp_path / "s.db"))
    conn = store._engine.db._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == WAL_CHECKPOINT_PAGES
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_MIB * 1024
    readonly = metadata_store.MetadataStore(_config(tmp_path / "s.db", pb.SqliteMetadataSourceConfig.READONLY))
    assert readonly._engine.db._conn.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_MIB * 1024


def test_threads_sharing_a_store_see_consistent_types_and_filters(tmp_path: Path) -> None:
    # The type views and the plan cache are shared state: readers racing a type writer must each see a
    # whole snapshot (types T0..Tk in order) and filters must bind their own literals.
    import threading

    store = metadata_store.MetadataStore(_config(tmp_path / "s.db"))
    first = store.put_artifact_type(pb.ArtifactType(name="T0"))
    [artifact_id] = store.put_artifacts([pb.Artifact(type_id=first, uri="u0")])
    failures: list = []
    done = threading.Event()

    def write() -> None:
        try:
            for number in range(1, 60):
                store.put_artifact_type(pb.ArtifactType(name=f"T{number}"))
        finally:
            done.set()

    def read(seed: int) -> None:
        try:
            while not done.is_set():
                names = [t.name for t in store.get_artifact_types()]
                assert names == [f"T{i}" for i in range(len(names))], names
                assert store.get_artifact_type("T0").id == first
                found = store.get_artifacts(list_options=metadata_store.ListOptions(
                    filter_query=f"id = {artifact_id + seed % 2} AND uri = 'u{seed % 2}'"))
                assert [a.id for a in found] == ([artifact_id] if seed % 2 == 0 else []), found
                seed += 1
        except BaseException as exc:  # reported below: an assertion in a thread would be lost
            failures.append(exc)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(3)] + [threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures[0]
    assert len(store.get_artifact_types()) == 60


def test_events_read_back_from_a_utf16_file(tmp_path: Path) -> None:
    # A file made UTF-16 before it became a store: SQLite's text functions would cut a blob's odd last byte, so
    # event reads fetch one row per event there (odd-length bodies below; inserted in neither read's order).
    path = tmp_path / "utf16.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA encoding = 'UTF-16le'")
    con.execute("CREATE TABLE scratch (x)")
    con.execute("DROP TABLE scratch")
    con.commit()
    con.close()
    store = metadata_store.MetadataStore(_config(path))
    artifacts = store.put_artifacts([pb.Artifact(type_id=store.put_artifact_type(pb.ArtifactType(name="a")))] * 3)
    executions = store.put_executions([pb.Execution(
        type_id=store.put_execution_type(pb.ExecutionType(name="e")))] * 2)
    events = []
    for artifact, execution, event_type in [(2, 0, pb.Event.OUTPUT), (0, 0, pb.Event.INPUT),
                                            (1, 1, pb.Event.INPUT), (0, 1, pb.Event.OUTPUT)]:
        event = pb.Event(artifact_id=artifacts[artifact], execution_id=executions[execution], type=event_type,
                         milliseconds_since_epoch=300)
        event.path.steps.add().key = "é\x00x"
        assert len(event.SerializeToString()) % 2 == 1
        events.append(event)
    store.put_events(events)
    assert store.get_events_by_execution_ids(executions) == events
    assert store.get_events_by_artifact_ids(artifacts) == [events[1], events[3], events[2], events[0]]
    assert sqlite3.connect(path).execute("PRAGMA encoding").fetchone()[0] == "UTF-16le"
