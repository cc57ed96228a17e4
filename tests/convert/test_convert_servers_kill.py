"""kill -9 of the process converting an MLMD store on MariaDB or PostgreSQL: the database is then the MLMD store as it
was, or the finished conversion. The servers themselves are never touched.

A subprocess opens a copy of tfx-long (made by ml-metadata 1.17.1 on the server) with enable_upgrade_migration=True
and is killed at a random moment of its conversion: after a random one of the progress lines it logs (on a
loaded machine a random delay alone mostly lands in one phase), plus a random fraction of a second. Once the server has ended the killed session, each database
must be one of:
  - the MLMD store untouched: every MLMD table holds exactly the rows it held, in the same order, none of ours is
    there; converting it again then finishes (restartable);
  - the finished fastmlmd store, with no MLMD table left.
Anything else counts as broken, and there must be none. Every database is then opened as ours and must hold
every node; the first ones answer every read as MLMD did on the original; on MySQL, what an interrupted
conversion leaves beside the database is gone after that opening. A few of the untouched stores are read back
by ml-metadata 1.17.1 itself first, and must answer as it did before.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from typing import Dict, List

import pytest
from oracle_client import oracle_env, real_oracle_python
from server_answers import server_differences
from server_mlmd import HERE, ServerMlmdStores
from store_reads import differences, run_calls

from fastmlmd.engine.schema import VERSION_TABLE
from ml_metadata import metadata_store

pytestmark = [pytest.mark.oracle, pytest.mark.server, pytest.mark.heavy]

KILLS = int(os.environ.get("FASTMLMD_SERVER_KILLS", "12"))  # per server; the suite's default is quick
FULL_CHECKS = 4
ORACLE_CHECKS = 2
STORE = "tfx-long"
# MLMD's tables whose names (in any case) are none of ours: any of them left means MLMD's tables are there.
MLMD_ONLY = frozenset({"typeproperty", "parenttype", "artifactproperty", "executionproperty", "contextproperty",
                       "parentcontext", "eventpath", "mlmdenv"})
_CHILD = """
import logging, sys
sys.path[:0] = sys.argv[3:]
from server_mlmd import server_config
from ml_metadata import metadata_store

class Echo(logging.Handler):
    def emit(self, record):
        print(record.getMessage(), flush=True)

logging.getLogger("fastmlmd.convert").addHandler(Echo())
logging.getLogger("fastmlmd.convert").setLevel(logging.INFO)
print("go", flush=True)
metadata_store.MetadataStore(server_config(sys.argv[1], sys.argv[2]), enable_upgrade_migration=True)
print("done", flush=True)
"""
_ORACLE_READS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from ml_metadata import metadata_store
from oracle_stores import server_config
from store_reads import run_calls
calls = json.load(open(sys.argv[2]))["calls"]
out = [run_calls(metadata_store.MetadataStore(server_config(sys.argv[4], database)), calls)
       for database in sys.argv[5:]]
json.dump(out, open(sys.argv[3], "w"))
"""


def convert_in_child(server: ServerMlmdStores, database: str, kill_at: int = -1, delay: float = 0.0) -> List[str]:
    """Converts `database` in a subprocess, which prints its progress lines; kills it `delay` seconds after its
    line number `kill_at` (never, if negative) and waits for the server to end its sessions. Returns the lines
    read."""
    paths = [HERE, os.path.join(os.path.dirname(HERE), "api")]
    child = subprocess.Popen([sys.executable, "-c", _CHILD, server.backend, database, *paths],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "go"
    lines: List[str] = []
    while kill_at < 0 or len(lines) <= kill_at:
        line = child.stdout.readline().strip()
        if not line or line == "done":
            break
        lines.append(line)
    if kill_at >= 0:
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=120)
        server.wait_idle(database)
        return lines
    assert child.wait(timeout=120) == 0 and line == "done", "the conversion failed"
    return lines


def node_counts(store: metadata_store.MetadataStore) -> List[int]:
    return [len(store.get_artifacts()), len(store.get_executions()), len(store.get_contexts())]


def test_kill_minus_9_on_servers(server_mlmd: ServerMlmdStores) -> None:
    server = server_mlmd
    recorded = server.recorded(STORE)
    timed = server.clone(STORE)
    before, original = server.mlmd_rows(timed), set(server.tables(timed))
    counts = [len(before[table]) for table in ("Artifact", "Execution", "Context")]
    started = time.monotonic()
    stages = convert_in_child(server, timed)
    duration = time.monotonic() - started
    server.drop(timed)
    draw = random.Random(20261206)
    outcomes: Dict[str, int] = {"mlmd": 0, "converted": 0, "broken": 0}
    problems: List[str] = []
    untouched: List[str] = []
    full_checks = [FULL_CHECKS]  # databases left whose every read is compared
    for attempt in range(KILLS):
        database = server.clone(STORE)
        convert_in_child(server, database, draw.randrange(len(stages)), draw.uniform(0, 0.3))
        tables = set(server.tables(database))
        found = {t.lower() for t in tables}
        if VERSION_TABLE in found and not found & MLMD_ONLY:
            outcomes["converted"] += 1
        elif tables == original and server.mlmd_rows(database) == before:
            outcomes["mlmd"] += 1
            untouched.append(database)
            continue  # read by MLMD below, then converted again
        else:
            outcomes["broken"] += 1
            problems.append(f"attempt {attempt}: tables {sorted(found)}")
            continue
        problems += _check_ours(server, database, recorded, counts, outcomes, full_checks)
    # Untouched stores: MLMD still reads them as before; then the conversion runs again to the end.
    if untouched:
        answers = _oracle_answers(server, untouched[:ORACLE_CHECKS])
        for database, theirs in zip(untouched, answers):
            if differences(recorded, theirs):
                outcomes["broken"] += 1
                problems.append(f"{database}: MLMD reads it differently after the kill")
    for database in untouched:
        metadata_store.MetadataStore(server.config(database), enable_upgrade_migration=True)
        problems += _check_ours(server, database, recorded, counts, outcomes, full_checks)
    print(f"{server.backend}: kill -9 outcomes over {KILLS} kills in a {duration:.2f}s conversion "
          f"({len(stages)} progress lines): {outcomes}")
    assert outcomes["broken"] == 0, "\n".join(problems)
    assert outcomes["mlmd"] + outcomes["converted"] == KILLS


def _check_ours(server: ServerMlmdStores, database: str, recorded: Dict, counts: List[int],
                outcomes: Dict[str, int], full_checks: List[int]) -> List[str]:
    store = metadata_store.MetadataStore(server.config(database))
    problems = []
    if node_counts(store) != counts:
        problems.append(f"{database}: nodes {node_counts(store)}, not {counts}")
    elif full_checks[0] > 0:
        full_checks[0] -= 1
        found = server_differences(recorded, run_calls(store, recorded["calls"]), server.backend)
        if found:
            problems.append(f"{database}: {len(found)} reads differ: {found[0]}")
    leftovers = [d for d in server.databases() if d.startswith(database + "__")]
    if leftovers:
        problems.append(f"{database}: left {leftovers}")
    del store
    server.drop(database)
    outcomes["broken"] += bool(problems)
    return problems


def _oracle_answers(server: ServerMlmdStores, databases: List[str]) -> List:
    out = f"{server.outdir}/oracle-kill-answers.json"
    run = subprocess.run([real_oracle_python(), "-c", _ORACLE_READS, HERE, f"{server.outdir}/{STORE}.json", out,
                          server.backend, *databases], capture_output=True, text=True, env=oracle_env(()),
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out, encoding="utf-8") as fh:
        return json.load(fh)
