"""Puts this folder and tests/api (oracle_client) on sys.path, as oracle_stores.py sees them, and builds the MLMD
stores the tests convert, once per session."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
for _path in (os.path.join(os.path.dirname(_HERE), "api"), _HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)



@pytest.fixture(scope="session")
def mlmd_stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of stores the real ml-metadata 1.17.1 made, and its answers on them (oracle_stores.py)."""
    from oracle_client import oracle_env, real_oracle_python
    from store_reads import MIX_SEEDS

    python = real_oracle_python()
    out = tmp_path_factory.mktemp("mlmd-stores")
    run = subprocess.run([python, os.path.join(_HERE, "oracle_stores.py"), str(out), str(MIX_SEEDS)],
                         capture_output=True, text=True, env=oracle_env(()), timeout=900, cwd=str(out))
    assert run.returncode == 0, run.stderr[-3000:]
    return out


@pytest.fixture(scope="session", params=["mysql", "postgresql"])
def server_mlmd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Stores the real ml-metadata 1.17.1 made on the loopback MariaDB and PostgreSQL servers (server_mlmd.py)."""
    from server_mlmd import ServerMlmdStores

    stores = ServerMlmdStores(request.param, str(tmp_path_factory.mktemp(f"mlmd-{request.param}")))
    yield stores
    stores.close()
