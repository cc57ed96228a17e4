"""Damaged database files: a clear error, never a driver exception.

Opening a damaged file raises RuntimeError, as MLMD's constructor does for every store it cannot open (it
checks its tables at open too); the message says what is wrong. Damage found later, by a call, raises
DataLossError. MLMD's own files differ from ours, so these rows run on our package only.
"""
from __future__ import annotations

import gc
import os
import random
import sqlite3
from pathlib import Path
from typing import Callable

import pytest

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


def _config(path: Path) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    return config


@pytest.fixture
def stored_file(tmp_path: Path) -> Path:
    """A store file of about 2 MB (its WAL checkpointed into it), closed."""
    path = tmp_path / "store.db"
    store = metadata_store.MetadataStore(_config(path))
    type_id = store.put_artifact_type(pb.ArtifactType(name="t"))
    store.put_artifacts([pb.Artifact(type_id=type_id, uri=f"gs://{i}/" + "x" * 3000) for i in range(600)])
    del store
    gc.collect()  # closes the connection, which checkpoints the WAL into the file
    assert not (tmp_path / "store.db-wal").exists()
    return path


def _garbage(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(8192))


def _truncate_to(size: int) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = path.read_bytes()
        path.write_bytes(data[:size if size > 0 else len(data) // 2])
    return damage


def _scramble_schema_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(200, 4096, 3):  # page 1 after its header: the schema table
        data[i] = (data[i] + 1) % 256
    path.write_bytes(bytes(data))


def _sql(statement: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        con = sqlite3.connect(path)
        con.execute(statement)
        con.commit()
        con.close()
    return damage


@pytest.mark.parametrize(("damage", "phrase"), [
    pytest.param(_garbage, "the database file is corrupt or is not a fastmlmd store", id="garbage-bytes"),
    pytest.param(_truncate_to(50), "the database file is corrupt", id="truncated-in-header"),
    pytest.param(_truncate_to(0), "the database file is corrupt", id="truncated-to-half"),
    pytest.param(_scramble_schema_page, "the database file is corrupt", id="scrambled-schema-page"),
    pytest.param(_sql("DROP TABLE artifact"), "has lost or changed artifact,", id="dropped-table"),
    pytest.param(_sql("DROP INDEX artifact_type_name"), "has lost or changed artifact_type_name;",
                 id="dropped-unique-index"),
    pytest.param(_sql("ALTER TABLE artifact RENAME COLUMN uri TO link"), "has lost or changed artifact,",
                 id="renamed-column"),
    pytest.param(_sql("ALTER TABLE artifact ADD COLUMN extra TEXT"), "has lost or changed artifact;",
                 id="added-column"),
])
def test_damaged_file_fails_to_open_with_a_clear_runtime_error(stored_file: Path, damage: Callable[[Path], None],
                                                               phrase: str) -> None:
    damage(stored_file)
    with pytest.raises(RuntimeError, match="^(Cannot open the store|Cannot connect sqlite3 database: |Error when executing query: )") as raised:
        metadata_store.MetadataStore(_config(stored_file))
    assert phrase in str(raised.value)


def test_an_index_a_user_added_is_left_alone(stored_file: Path) -> None:
    _sql("CREATE INDEX my_own ON artifact(uri, id)")(stored_file)
    assert len(metadata_store.MetadataStore(_config(stored_file)).get_artifacts()) == 600


def test_damaged_data_pages_give_data_loss_on_the_call_that_reads_them(stored_file: Path) -> None:
    data = bytearray(stored_file.read_bytes())
    start = len(data) // 2
    data[start:] = random.Random(3).randbytes(len(data) - start)  # the later half: node rows, not the schema
    stored_file.write_bytes(bytes(data))
    store = metadata_store.MetadataStore(_config(stored_file))
    with pytest.raises(errors.DataLossError, match="the database file is corrupt") as raised:
        store.get_artifacts()
    assert type(raised.value).__module__ == "ml_metadata.errors"
    assert isinstance(raised.value.__cause__.__cause__, sqlite3.DatabaseError)  # public <- engine <- driver


def test_table_dropped_while_open_gives_data_loss(stored_file: Path) -> None:
    store = metadata_store.MetadataStore(_config(stored_file))
    type_id = store.get_artifact_type("t").id
    _sql("DROP TABLE artifact_property")(stored_file)
    with pytest.raises(errors.DataLossError, match="no such table: artifact_property"):
        store.put_artifacts([pb.Artifact(type_id=type_id)])
    assert len(store.get_artifacts()) == 600  # the failed write changed nothing


def test_unreadable_file_is_a_runtime_error(tmp_path: Path) -> None:
    folder = tmp_path / "no-such-folder" / "store.db"
    with pytest.raises(RuntimeError, match="Cannot connect sqlite3 database: .*cannot be read or written"):
        metadata_store.MetadataStore(_config(folder))
    assert not os.path.exists(folder)


@pytest.mark.parametrize("read", ["get_events_by_artifact_ids", "get_events_by_execution_ids"])
def test_event_body_changed_by_another_program_gives_data_loss(tmp_path: Path, read: str) -> None:
    path = tmp_path / "store.db"
    store = metadata_store.MetadataStore(_config(path))
    [artifact_id] = store.put_artifacts([pb.Artifact(type_id=store.put_artifact_type(pb.ArtifactType(name="a")))])
    [execution_id] = store.put_executions([pb.Execution(
        type_id=store.put_execution_type(pb.ExecutionType(name="e")))])
    store.put_events([pb.Event(artifact_id=artifact_id, execution_id=execution_id, type=pb.Event.INPUT)])
    _sql("UPDATE event SET body = x'1001'")(path)  # an Event, but not as fastmlmd writes one (artifact_id first)
    with pytest.raises(errors.DataLossError, match="the store's events are corrupt") as raised:
        getattr(store, read)([artifact_id if read == "get_events_by_artifact_ids" else execution_id])
    assert isinstance(raised.value.__cause__.__cause__, ValueError)  # public <- engine <- kernel
