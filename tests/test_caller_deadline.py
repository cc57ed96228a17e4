"""A caller's deadline (retry.caller_deadline, what the gRPC server passes on from its client) bounds a call's
work: a call past it does not begin, a statement running when it passes is stopped, a transaction is not
committed after it, a lock wait ends at it; each raises DeadlineExceededError and leaves nothing written.

Outcomes only, never durations: the statement that is stopped would run for minutes, and the deadlines that
must pass are already past (or pass inside the call, by the call's own doing) when they are checked.
"""
from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from fastmlmd.engine import errors as engine_errors
from fastmlmd.engine import retry
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

# Counts to 10^12 in SQL: minutes of VM steps, which the progress handler gets to look at.
ENDLESS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000000) SELECT max(i) FROM n"


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[metadata_store.MetadataStore]:
    store = metadata_store.MetadataStore(pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(
        filename_uri=str(tmp_path / "m.db"))))
    yield store
    store._local.close()


def _db(store: metadata_store.MetadataStore) -> Any:
    return store._local.engine.db


def _type_names(folder: Path) -> list:
    """The user types in the store's file, read by a connection of its own."""
    conn = sqlite3.connect(folder / "m.db")
    try:
        return [row[0] for row in conn.execute("SELECT name FROM type WHERE NOT is_builtin ORDER BY id")]
    finally:
        conn.close()


def test_a_call_past_the_deadline_does_not_begin(tmp_path: Path, file_store: metadata_store.MetadataStore) -> None:
    with retry.caller_deadline(-1.0), pytest.raises(errors.DeadlineExceededError, match="before the call began"):
        file_store.put_artifact_type(pb.ArtifactType(name="Late"))
    assert _type_names(tmp_path) == []


# Minutes of work on each backend, unless stopped: SQLite's progress handler looks at the time every 20,000 VM
# steps; MySQL / MariaDB stop the statement at max_statement_time (BENCHMARK then returns early, unfailed, and
# the check before COMMIT catches it).
# PostgreSQL stops the statement at statement_timeout.
SLOW_STATEMENTS = {"sqlite": ENDLESS, "mysql": "SELECT BENCHMARK(100000000000, MD5('x'))",
                   "postgresql": "SELECT pg_sleep(600)"}
# PostgreSQL's type table has no id of its own to give (the engine gives it, as max(id) + 1).
HALF_WRITES = {"postgresql": "INSERT INTO type (id, name, kind) VALUES (100, 'Half', 0)"}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("mysql", marks=pytest.mark.server),
                                     pytest.param("postgresql", marks=pytest.mark.server)])
def test_a_statement_running_at_the_deadline_is_stopped_and_rolled_back(tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        sys.path.insert(0, str(Path(__file__).parent / "api"))
        import server_stores

        config = server_stores.stores(backend).config()
    else:
        config = pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(filename_uri=str(tmp_path / "m.db")))
    store = metadata_store.MetadataStore(config)

    def write_then_work(cur: Any) -> None:
        cur.execute(HALF_WRITES.get(backend, "INSERT INTO type (name, kind) VALUES ('Half', 0)"))
        cur.execute(SLOW_STATEMENTS[backend])

    with retry.caller_deadline(0.2), pytest.raises(engine_errors.DeadlineExceededError, match="Deadline exceeded"):
        _db(store).run(write_then_work, write=True)
    store._local.close()
    assert metadata_store.MetadataStore(config).get_artifact_types() == []


def test_a_read_without_a_transaction_is_stopped_too(file_store: metadata_store.MetadataStore) -> None:
    with retry.caller_deadline(0.2), pytest.raises(engine_errors.DeadlineExceededError, match="while a statement"):
        _db(file_store).run(lambda cur: cur.execute(ENDLESS).fetchone(), write=False, one_statement=True)


def test_the_query_time_limit_still_applies_when_sooner(file_store: metadata_store.MetadataStore) -> None:
    from fastmlmd.engine.db import QueryTimeout

    with retry.caller_deadline(3600.0), pytest.raises(QueryTimeout):
        _db(file_store).run(lambda cur: cur.execute(ENDLESS).fetchone(), write=False, time_limit=0.2)


def test_a_transaction_is_not_committed_past_the_deadline(tmp_path: Path,
                                                          file_store: metadata_store.MetadataStore) -> None:
    def write_until_late(cur: Any) -> None:
        cur.execute("INSERT INTO type (name, kind) VALUES ('Late', 0)")
        end = retry.caller_end()
        assert end is not None
        while time.monotonic() < end:  # the call's own work outlasts the deadline (no statement is stopped)
            time.sleep(0.01)

    with retry.caller_deadline(0.05), pytest.raises(engine_errors.DeadlineExceededError, match="committed"):
        _db(file_store).run(write_until_late, write=True)
    assert _type_names(tmp_path) == []


def test_a_lock_wait_ends_at_the_deadline(tmp_path: Path, file_store: metadata_store.MetadataStore) -> None:
    blocker = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with retry.caller_deadline(0.2), pytest.raises(errors.DeadlineExceededError, match="write lock"):
            file_store.put_artifact_type(pb.ArtifactType(name="Waiting"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert _type_names(tmp_path) == []


def test_without_a_caller_deadline_nothing_changes(tmp_path: Path, file_store: metadata_store.MetadataStore) -> None:
    assert retry.caller_end() is None
    with retry.caller_deadline(-1.0), retry.caller_deadline(None):  # None lifts an outer deadline too
        file_store.put_artifact_type(pb.ArtifactType(name="Kept"))
    assert _type_names(tmp_path) == ["Kept"]
