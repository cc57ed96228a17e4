"""One retry policy: a per-call deadline, lock waits inside it, `max_num_retries` retries of aborted attempts.

Attempts and waits are counted through hooks (the engine method a call runs, and `retry.sleep`, which every
pause goes through), never timed: deadlines are kept small so that the calls that must give up do so fast.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest

from fastmlmd.engine import errors as engine_errors
from fastmlmd.engine import retry
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

# Collected into docs/differences.md by tools/differences.py.
DIFFERENCES_FROM_MLMD = {
    "test_max_num_retries_counts_retries":
        "retry_options.max_num_retries counts retries (0 = one attempt, default 5 = up to six attempts), all "
        "within the call's deadline (FASTMLMD_CALL_DEADLINE_SECONDS, default 60 s); MLMD's client counts "
        "attempts, retries forever with 0, and has no deadline",
}


def _store(path: Optional[Path] = None, max_num_retries: Optional[int] = None) -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    if path is None:
        config.fake_database.SetInParent()
    else:
        config.sqlite.filename_uri = str(path)
    if max_num_retries is not None:
        config.retry_options.max_num_retries = max_num_retries
    return metadata_store.MetadataStore(config)


class Pauses:
    """Stands in for retry.sleep: counts the pauses, sleeps them for real, runs `then` after the n-th."""

    def __init__(self) -> None:
        self.count = 0
        self.at: Optional[int] = None
        self.then: Callable[[], None] = lambda: None

    def __call__(self, seconds: float) -> None:
        self.count += 1
        if self.count == self.at:
            self.then()
        retry.time.sleep(seconds)


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> Pauses:
    hook = Pauses()
    monkeypatch.setattr(retry, "sleep", hook)
    return hook


def _count_attempts(store: metadata_store.MetadataStore, method: str, aborts: int) -> List[int]:
    """Makes the engine's `method` abort its first `aborts` runs (then run for real); returns the run counter."""
    real = getattr(store._engine, method)
    runs = [0]

    def attempt(*args: Any, **kwargs: Any) -> Any:
        runs[0] += 1
        if runs[0] <= aborts:
            raise engine_errors.AbortedError(f"attempt {runs[0]} lost to a concurrent call")
        return real(*args, **kwargs)

    setattr(store._engine, method, attempt)
    return runs


@pytest.mark.parametrize(("max_num_retries", "attempts"), [
    pytest.param(None, 6, id="default-5-retries"),
    pytest.param(0, 1, id="zero-retries-one-attempt"),
    pytest.param(1, 2, id="one-retry"),
    pytest.param(3, 4, id="three-retries"),
    pytest.param(-2, 1, id="negative-counts-as-zero"),
])
def test_max_num_retries_counts_retries(pauses: Pauses, max_num_retries: Optional[int], attempts: int) -> None:
    store = _store(max_num_retries=max_num_retries)
    type_id = store.put_artifact_type(pb.ArtifactType(name="t"))
    runs = _count_attempts(store, "put_nodes", aborts=1000)
    with pytest.raises(errors.AbortedError, match="max_num_retries sets how many") as raised:
        store.put_artifacts([pb.Artifact(type_id=type_id)])
    assert runs[0] == attempts
    assert pauses.count == attempts - 1  # one jittered pause before each retry
    assert f"gave up after {attempts - 1} retries" in raised.value.message
    assert isinstance(raised.value.__cause__, engine_errors.AbortedError)


def test_an_aborted_attempt_is_run_again(pauses: Pauses) -> None:
    store = _store(max_num_retries=2)
    type_id = store.put_artifact_type(pb.ArtifactType(name="t"))
    runs = _count_attempts(store, "put_nodes", aborts=2)
    [artifact_id] = store.put_artifacts([pb.Artifact(type_id=type_id, uri="u")])
    assert runs[0] == 3
    assert [a.uri for a in store.get_artifacts_by_id([artifact_id])] == ["u"]


def test_retries_stop_at_the_deadline(monkeypatch: pytest.MonkeyPatch, pauses: Pauses) -> None:
    monkeypatch.setenv(retry.DEADLINE_SETTING, "0.2")
    store = _store(max_num_retries=10 ** 9)
    runs = _count_attempts(store, "types_view", aborts=10 ** 9)
    with pytest.raises(errors.AbortedError, match=f"{retry.DEADLINE_SETTING}=0.2 sets the deadline"):
        store.get_artifact_types()
    assert 1 < runs[0] < 10 ** 9


@pytest.fixture
def locked_file(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A store file whose write lock a second connection holds (BEGIN IMMEDIATE) until the test ends."""
    path = tmp_path / "store.db"
    _store(path).put_artifact_type(pb.ArtifactType(name="t"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


def test_a_call_waits_for_the_write_lock_and_gives_up_at_its_deadline(
        monkeypatch: pytest.MonkeyPatch, pauses: Pauses, locked_file: sqlite3.Connection, tmp_path: Path) -> None:
    monkeypatch.setenv(retry.DEADLINE_SETTING, "0.3")
    store = _store(tmp_path / "store.db")
    type_id = store.get_artifact_type("t").id
    runs = _count_attempts(store, "put_nodes", aborts=0)
    with pytest.raises(errors.AbortedError) as raised:
        store.put_artifacts([pb.Artifact(type_id=type_id)])
    message = raised.value.message
    assert "another connection held the store's write lock for" in message
    assert "gave up at the call's deadline" in message and f"{retry.DEADLINE_SETTING}=0.3" in message
    assert runs[0] == 1  # the wait happens inside the one attempt
    assert pauses.count > 1  # it did wait, in short pauses
    assert store.get_artifacts() == []  # reads never wait for the writer, and nothing was written


def test_a_waiting_call_goes_on_once_the_lock_is_released(
        monkeypatch: pytest.MonkeyPatch, pauses: Pauses, locked_file: sqlite3.Connection, tmp_path: Path) -> None:
    monkeypatch.setenv(retry.DEADLINE_SETTING, "30")
    store = _store(tmp_path / "store.db")
    type_id = store.get_artifact_type("t").id
    pauses.at, pauses.then = 3, lambda: locked_file.execute("COMMIT")
    [artifact_id] = store.put_artifacts([pb.Artifact(type_id=type_id)])
    assert pauses.count >= 3
    assert [a.id for a in store.get_artifacts()] == [artifact_id]


def test_another_threads_call_counts_against_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(retry.DEADLINE_SETTING, "0.2")
    store = _store()
    held, release = threading.Event(), threading.Event()

    def hold_the_store() -> None:
        with store._engine.db._lock:
            held.set()
            release.wait()

    holder = threading.Thread(target=hold_the_store)
    holder.start()
    try:
        held.wait()
        with pytest.raises(errors.AbortedError, match="another thread's call on this store held it"):
            store.get_artifact_types()
    finally:
        release.set()
        holder.join()
    assert store.get_artifact_types() == []


@pytest.mark.parametrize(("environment", "seconds"), [
    pytest.param({}, retry.DEFAULT_DEADLINE_SECONDS, id="default"),
    pytest.param({retry.DEADLINE_SETTING: "2.5"}, 2.5, id="setting"),
    pytest.param({retry.LEGACY_DEADLINE_SETTING: "7"}, 7.0, id="legacy-alias"),
    pytest.param({retry.DEADLINE_SETTING: "3", retry.LEGACY_DEADLINE_SETTING: "7"}, 3.0, id="setting-wins"),
])
def test_deadline_setting(monkeypatch: pytest.MonkeyPatch, environment: dict, seconds: float) -> None:
    for name in (retry.DEADLINE_SETTING, retry.LEGACY_DEADLINE_SETTING):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert _store()._retry.deadline_seconds == seconds


@pytest.mark.parametrize("value", ["abc", "0", "-1", "inf", "nan"])
def test_a_bad_deadline_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(retry.DEADLINE_SETTING, value)
    with pytest.raises(ValueError, match=f"{retry.DEADLINE_SETTING}="):
        _store()
