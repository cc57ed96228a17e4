"""How a user meets a store MLMD made: the refusal that says how to convert, the progress, and the copy command."""
from __future__ import annotations

import io
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_reads import config

from fastmlmd.convert.__main__ import main, store_path
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2

pytestmark = pytest.mark.oracle


@pytest.fixture
def mlmd_file(mlmd_stores: Path, tmp_path: Path) -> Path:
    path = tmp_path / "metadata.sqlite"
    shutil.copy(mlmd_stores / "tfx.db", path)
    return path


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        pytest.param(metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE,
                     "enable_upgrade_migration=True", id="read-write"),
        pytest.param(metadata_store_pb2.SqliteMetadataSourceConfig.READONLY, "opened READONLY", id="read-only"),
    ],
)
def test_refused_with_what_converting_does_and_how(mlmd_file: Path, mode: int, says: str) -> None:
    before = mlmd_file.read_bytes()
    opening = config(mlmd_file)
    opening.sqlite.connection_mode = mode
    with pytest.raises(errors.FailedPreconditionError) as caught:
        metadata_store.MetadataStore(opening)
    assert isinstance(caught.value, RuntimeError)  # what MLMD's constructor raises, for code written for it
    message = caught.value.message
    assert "made by ml-metadata (MLMD schema version 10)" in message
    assert "in one transaction" in message and says in message and "python -m fastmlmd.convert SRC DST" in message
    assert mlmd_file.read_bytes() == before  # refused as found: not even switched to WAL
    assert sorted(os.listdir(mlmd_file.parent)) == ["metadata.sqlite"]


def test_in_place_reports_progress(mlmd_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="fastmlmd.convert"):
        store = metadata_store.MetadataStore(config(mlmd_file), enable_upgrade_migration=True)
    stages = [record.getMessage() for record in caplog.records if record.name == "fastmlmd.convert"]
    assert any("artifacts" in line for line in stages) and any("events" in line for line in stages)
    assert stages[-1].startswith(f"converted the MLMD store {mlmd_file} in place: ")
    assert len(store.get_artifacts()) == 12


@pytest.mark.parametrize(
    ("broken_value", "says"),
    [
        pytest.param("int_value = NULL, string_value = NULL", "with no value", id="no-value"),
        pytest.param("int_value = NULL, string_value = 'mlmd-struct::not base64!'", "not the base64 MLMD writes",
                     id="struct-not-base64"),
    ],
)
def test_a_value_mlmd_cannot_read_stops_the_conversion(mlmd_file: Path, broken_value: str, says: str) -> None:
    with sqlite3.connect(mlmd_file) as conn:
        conn.execute(f"UPDATE ArtifactProperty SET {broken_value} "
                     "WHERE rowid = (SELECT min(rowid) FROM ArtifactProperty WHERE int_value IS NOT NULL)")
    with pytest.raises(errors.DataLossError, match=says):
        metadata_store.MetadataStore(config(mlmd_file), enable_upgrade_migration=True)
    with sqlite3.connect(mlmd_file) as conn:  # still MLMD's store, as it was: the transaction was undone
        assert conn.execute("SELECT count(*) FROM Artifact").fetchone()[0] == 12
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'artifact_property'").fetchone()[0] == 0


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastmlmd.convert", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_copies_without_a_bar_off_a_terminal(mlmd_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "ours.db"
    run = run_cli(str(mlmd_file), str(target))
    assert run.returncode == 0 and run.stderr == ""
    # tfx: 3 runs of 4 components, 8 contexts (pipeline, 4 nodes, 3 runs), 9 events a run, 11 types
    assert run.stdout.startswith("converted 32 nodes, 27 events and 11 types into ")
    assert len(metadata_store.MetadataStore(config(target)).get_executions()) == 12
    assert not (tmp_path / "ours.db.fastmlmd-partial").exists()


def test_the_fastmlmd_script_converts_as_the_module_does(mlmd_file: Path, tmp_path: Path) -> None:
    installed = Path(sys.executable).parent / "fastmlmd"
    command = [str(installed)] if installed.exists() else [sys.executable, "-m", "fastmlmd.cli"]
    target = tmp_path / "ours.db"
    run = subprocess.run([*command, "convert", str(mlmd_file), f"sqlite:///{target}"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout.startswith("converted 32 nodes, 27 events and 11 types into ")
    assert len(metadata_store.MetadataStore(config(target)).get_executions()) == 12


def test_cli_draws_a_bar_on_a_terminal(mlmd_file: Path, tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err, out = Terminal(), io.StringIO()
    assert main([str(mlmd_file), str(tmp_path / "ours.db")], stderr=err, stdout=out) == 0
    assert err.getvalue().startswith("\r[") and "100% 59/59 rows" in err.getvalue()


@pytest.mark.parametrize(
    ("source", "target", "says"),
    [
        pytest.param("{mlmd}", "{mlmd}", "exists; the copy goes into a new file", id="target-exists"),
        pytest.param("{ours}", "{tmp}/again.db", "holds no MLMD store", id="source-not-mlmd"),
        pytest.param("{mlmd}", "grpc://localhost:8080", "SQLite, MySQL or PostgreSQL stores only", id="grpc-url"),
        pytest.param("mysql://root@127.0.0.1:1/db", "{tmp}/again.db", "mysql_real_connect failed", id="no-server"),
    ],
)
def test_cli_errors_are_one_line(mlmd_file: Path, tmp_path: Path, source: str, target: str, says: str) -> None:
    ours = tmp_path / "ours.db"
    metadata_store.MetadataStore(config(ours))
    names = {"mlmd": str(mlmd_file), "ours": str(ours), "tmp": str(tmp_path)}
    run = run_cli(source.format(**names), target.format(**names))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.startswith("error: ") and says in run.stderr and run.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("given", "path"),
    [
        pytest.param("metadata.sqlite", "metadata.sqlite", id="path"),
        pytest.param("sqlite:///relative/m.db", "relative/m.db", id="relative-url"),
        pytest.param("sqlite:////abs/m.db", "/abs/m.db", id="absolute-url"),
    ],
)
def test_store_path(given: str, path: str) -> None:
    assert store_path(given) == path
