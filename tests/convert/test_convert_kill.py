"""kill -9 during an in-place conversion: the file is then the MLMD store as it was, or the finished conversion.

A subprocess opens an MLMD store (tfx-long, made by ml-metadata 1.17.1) with enable_upgrade_migration=True and is
killed at a random moment of its conversion. Each killed file must be one of:
  - the MLMD store untouched: opened straight after the kill it is refused as an MLMD store (SQLite's journal
    undoes the unfinished transaction on the way), every MLMD table holds exactly the rows it held, and
    converting it again finishes (restartable);
  - the finished fastmlmd store.
The first files of either kind then answer every read as MLMD did on the original; the others must open as our
store and hold every node.
Anything else counts as broken, and there must be none. A few of the untouched files are also read back by
ml-metadata 1.17.1 itself.
"""
from __future__ import annotations

import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest
from oracle_client import oracle_env, real_oracle_python
from store_reads import config, differences, run_calls

from fastmlmd.engine.backends.sqlite_mlmd_source import MLMD_TABLES
from fastmlmd.engine.schema import VERSION_TABLE
from ml_metadata import errors, metadata_store

pytestmark = pytest.mark.oracle

HERE = Path(__file__).resolve().parent
KILLS = 24
FULL_CHECKS = 6  # killed files whose every read is compared; the rest are checked by their node counts
STORE = "tfx-long"
_CHILD = """
import sys
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
config = metadata_store_pb2.ConnectionConfig()
config.sqlite.filename_uri = sys.argv[1]
print("go", flush=True)
metadata_store.MetadataStore(config, enable_upgrade_migration=True)
print("done", flush=True)
"""
_ORACLE_READS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2
from store_reads import run_calls
calls = json.load(open(sys.argv[2]))["calls"]
out = []
for path in sys.argv[4:]:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = path
    out.append(run_calls(metadata_store.MetadataStore(config), calls))
json.dump(out, open(sys.argv[3], "w"))
"""


def mlmd_rows(path: Path) -> Dict[str, List[tuple]]:
    """Every row of every MLMD table, in rowid order (a plain connection: it rolls back a hot journal first)."""
    conn = sqlite3.connect(str(path))
    try:
        present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in MLMD_TABLES if t in present}
    finally:
        conn.close()


def tables(path: Path) -> set:
    conn = sqlite3.connect(str(path))
    try:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def convert_in_child(path: Path, kill_after: float = -1.0) -> float:
    """Converts `path` in a subprocess; kills it `kill_after` seconds into the conversion (never, if negative).
    Returns how long the conversion took, or -1 when it did not finish."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "go"
    started = time.monotonic()
    if kill_after >= 0:
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=120)
        return -1.0
    assert child.stdout.readline().strip() == "done"
    duration = time.monotonic() - started
    child.wait(timeout=120)
    return duration


def test_kill_minus_9_leaves_mlmd_store_or_finished_conversion(mlmd_stores: Path, tmp_path: Path) -> None:
    recorded = json.loads((mlmd_stores / f"{STORE}.json").read_text(encoding="utf-8"))
    original = mlmd_stores / f"{STORE}.db"
    before = mlmd_rows(original)
    counts = [len(before[table]) for table in ("Artifact", "Execution", "Context")]
    timed = tmp_path / "timed.db"
    shutil.copy(original, timed)
    duration = convert_in_child(timed)
    assert duration > 0
    draw = random.Random(20261206)
    outcomes = {"mlmd": 0, "converted": 0, "broken": 0}
    kept: List[Path] = []
    problems: List[str] = []
    for attempt in range(KILLS):
        path = tmp_path / f"killed-{attempt}.db"
        shutil.copy(original, path)
        convert_in_child(path, draw.uniform(0, duration * 1.1))
        try:  # opened as a user would, straight after the kill: the journal is rolled back on the way
            metadata_store.MetadataStore(config(path))
            opened = "converted"
        except errors.FailedPreconditionError:
            opened = "mlmd"
        found = tables(path)
        if opened == "converted" and VERSION_TABLE in found and not found & set(MLMD_TABLES):
            outcomes["converted"] += 1
        elif opened == "mlmd" and VERSION_TABLE not in found and mlmd_rows(path) == before:
            outcomes["mlmd"] += 1
            if len(kept) < 3:
                kept.append(shutil.copy(path, tmp_path / f"kept-{attempt}.db"))
            metadata_store.MetadataStore(config(path), enable_upgrade_migration=True)  # started again
        else:
            outcomes["broken"] += 1
            problems.append(f"attempt {attempt}: opened as {opened}, tables {sorted(found)}")
            continue
        store = metadata_store.MetadataStore(config(path))
        if outcomes["mlmd"] + outcomes["converted"] > FULL_CHECKS:  # the others: whole, by their node counts
            assert [len(store.get_artifacts()), len(store.get_executions()), len(store.get_contexts())] == counts
            continue
        found_differences = differences(recorded, run_calls(store, recorded["calls"]))
        if found_differences:
            outcomes["broken"] += 1
            problems.append(f"attempt {attempt}: {len(found_differences)} reads differ: {found_differences[0]}")
    print(f"kill -9 outcomes over {KILLS} kills in a {duration:.2f}s conversion: {outcomes}")
    assert outcomes["broken"] == 0, "\n".join(problems)
    assert outcomes["mlmd"] and kept
    answers = tmp_path / "oracle-answers.json"
    run = subprocess.run([real_oracle_python(), "-c", _ORACLE_READS, str(HERE), str(mlmd_stores / f"{STORE}.json"),
                          str(answers), *map(str, kept)], capture_output=True, text=True, env=oracle_env(()),
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    for path, theirs in zip(kept, json.loads(answers.read_text(encoding="utf-8"))):
        assert not differences(recorded, theirs), f"MLMD reads {path.name} differently after the kill"
