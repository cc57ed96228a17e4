"""Drop-in: the real ml-metadata 1.17.1 client (the oracle's interpreter) drives our server, started with
MLMD's flags, and gets what MLMD answers in-process.

Two runs: the common calls of drive_calls.py (types, nodes, events, contexts, compound writes, getters,
listings, filters, lineage, errors), and the user guide's walkthrough, whose output must be the one
recorded from MLMD (tests/fixtures/walkthrough_expected.txt).
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from oracle_client import oracle_env, real_oracle_python
from server_kit import ServerProcess

pytestmark = pytest.mark.oracle

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DRIVER = HERE / "drive_calls.py"
WALKTHROUGH = REPO / "examples" / "seed_walkthrough.py"
EXPECTED_WALKTHROUGH = REPO / "tests" / "fixtures" / "walkthrough_expected.txt"


def _oracle(*args: str) -> str:
    done = subprocess.run([real_oracle_python(), *args], capture_output=True, text=True, env=oracle_env(),
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    running = ServerProcess("--grpc_workers=4")
    yield running
    running.kill()


def test_mlmd_client_gets_mlmds_answers_from_our_server(server: ServerProcess) -> None:
    in_process = json.loads(_oracle(str(DRIVER), "memory"))
    through_our_server = json.loads(_oracle(str(DRIVER), server.address))
    assert through_our_server == in_process


def test_mlmd_client_runs_the_walkthrough_on_our_server(server: ServerProcess, tmp_path: Path) -> None:
    source = WALKTHROUGH.read_text()
    opening = "store = metadata_store.MetadataStore(connection_config)"
    assert source.count(opening) == 1
    script = tmp_path / "walkthrough_over_grpc.py"
    script.write_text(source.replace(opening, "store = metadata_store.MetadataStore(metadata_store_pb2."
                                              f"MetadataStoreClientConfig(host='127.0.0.1', port={server.port}))"))
    output = "\n".join(line for line in _oracle(str(script)).splitlines() if "time_since_epoch" not in line) + "\n"
    assert output == EXPECTED_WALKTHROUGH.read_text()  # the oracle's protobuf 4.x prints as MLMD's does
