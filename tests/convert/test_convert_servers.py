"""MLMD stores on MariaDB and PostgreSQL, made by the real ml-metadata 1.17.1: converted in place and by copy, then
every read answered as MLMD answered on the original (store_reads.py's calls: every getter, ordering, page,
filter and lineage walk, whole messages). Where MLMD's own answer on a server is not one a store can repeat (an
order its query leaves to the server's plan, two of its server-side bugs), server_answers.py says what ours must
be instead, from MLMD's own answers to other calls; nothing is skipped.

In place: our backend opens the store's database; without enable_upgrade_migration it is refused and left row for
row as it was; with it, converted, and opened as ours from then on. By copy: `python -m fastmlmd.convert` from a
server store into a new SQLite file and into the other server, the source left row for row as it was.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from server_mlmd import ServerMlmdStores, drop_database, server_config, server_url
from server_answers import server_differences
from store_reads import config, differences, run_calls

from ml_metadata import metadata_store

pytestmark = [pytest.mark.oracle, pytest.mark.server]

IN_PLACE = ["kinds", "tfx", "mix-0", "mix-1"]


@pytest.fixture
def server(server_mlmd: ServerMlmdStores) -> ServerMlmdStores:
    return server_mlmd


def check(recorded: Dict, store: metadata_store.MetadataStore, backend: str, ours: str = "") -> None:
    answers = run_calls(store, recorded["calls"])
    assert len(answers) == len(recorded["calls"]) > 100
    found = server_differences(recorded, answers, backend, ours or backend)
    assert not found, f"{len(found)} of {len(answers)} calls differ:\n" + "\n".join(found[:5])


@pytest.mark.parametrize("name", IN_PLACE)
def test_in_place(server: ServerMlmdStores, name: str, caplog: pytest.LogCaptureFixture) -> None:
    database = server.clone(name)
    before, tables = server.mlmd_rows(database), server.tables(database)
    with pytest.raises(RuntimeError, match="made by ml-metadata") as refused:
        metadata_store.MetadataStore(server.config(database))
    assert "enable_upgrade_migration=True" in str(refused.value)
    assert server.mlmd_rows(database) == before and server.tables(database) == tables  # refused: left as it was
    with caplog.at_level(logging.INFO, logger="fastmlmd.convert"):
        store = metadata_store.MetadataStore(server.config(database), enable_upgrade_migration=True)
    progress = [r.getMessage() for r in caplog.records if r.name == "fastmlmd.convert"]
    assert any("artifacts" in m for m in progress) and "converted the MLMD store" in progress[-1], progress
    check(server.recorded(name), store, server.backend)
    del store
    check(server.recorded(name), metadata_store.MetadataStore(server.config(database)),
          server.backend)  # ours from then on
    assert server.databases() and not [d for d in server.databases() if d.startswith(database + "__")]
    server.drop(database)


@pytest.mark.parametrize("name", ["kinds", "tfx"])
@pytest.mark.parametrize("target_kind", ["sqlite", "other-server"])
def test_by_copy(server: ServerMlmdStores, tmp_path: Path, name: str, target_kind: str) -> None:
    database = server.clone(name)
    before = server.mlmd_rows(database)
    other, other_database = ("postgresql" if server.backend == "mysql" else "mysql"), server.new_database()
    if target_kind == "sqlite":
        target, target_config = f"sqlite:///{tmp_path / 'ours.db'}", config(tmp_path / "ours.db")
    else:
        target, target_config = server_url(other, other_database), server_config(other, other_database)
    run = subprocess.run([sys.executable, "-m", "fastmlmd.convert", server.url(database), target],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": ""})
    try:
        assert run.returncode == 0, run.stderr
        assert server.mlmd_rows(database) == before  # the source is only read
        check(server.recorded(name), metadata_store.MetadataStore(target_config), server.backend,
              "sqlite" if target_kind == "sqlite" else other)
    finally:
        if target_kind != "sqlite":
            drop_database(other, other_database)
        server.drop(database)


def test_copy_into_a_database_with_tables_is_refused(server: ServerMlmdStores) -> None:
    source, target = server.clone("tfx"), server.clone("kinds")
    run = subprocess.run([sys.executable, "-m", "fastmlmd.convert", server.url(source), server.url(target)],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 1 and "holds tables already" in run.stderr, run.stderr
    server.drop(source)
    server.drop(target)


def test_sqlite_store_by_copy_to_a_server(mlmd_stores: Path, server: ServerMlmdStores) -> None:
    """An MLMD SQLite store into a server: MLMD's answers on SQLite, exactly (kinds' text compares alike there)."""
    recorded = json.loads((mlmd_stores / "kinds.json").read_text(encoding="utf-8"))
    database = server.new_database()
    run = subprocess.run([sys.executable, "-m", "fastmlmd.convert", str(mlmd_stores / "kinds.db"),
                          server.url(database)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONPATH": ""})
    try:
        assert run.returncode == 0, run.stderr
        answers = run_calls(metadata_store.MetadataStore(server.config(database)), recorded["calls"])
        found = differences(recorded, answers)
        assert not found, f"{len(found)} of {len(answers)} calls differ:\n" + "\n".join(found[:5])
    finally:
        server.drop(database)


def test_mysql_conversion_starts_afresh_over_what_a_killed_one_left(server: ServerMlmdStores) -> None:
    """A conversion killed while building leaves `<db>__fastmlmd_new` (half built), or an empty `<db>__mlmd_old`
    just before its swap: the next one drops them and finishes."""
    if server.backend != "mysql":
        pytest.skip("PostgreSQL converts in one transaction: a killed conversion leaves nothing beside the store")
    database = server.clone("tfx")
    cur = server.admin.cursor()
    cur.execute(f"CREATE DATABASE `{database}__fastmlmd_new`")
    cur.execute(f"CREATE TABLE `{database}__fastmlmd_new`.type (id BIGINT)")
    cur.execute(f"CREATE DATABASE `{database}__mlmd_old`")
    check(server.recorded("tfx"), metadata_store.MetadataStore(server.config(database), enable_upgrade_migration=True),
          server.backend)
    assert not [d for d in server.databases() if d.startswith(database + "__")]
    server.drop(database)
