"""`python -m fastmlmd.bench --backend postgresql|mysql`: both sides run on the server, and their databases go."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import server_stores

from fastmlmd.bench import __main__ as runner

pytestmark = pytest.mark.server


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_the_runner_fills_a_server_store_and_drops_it(backend: str, tmp_path: Path) -> None:
    server_stores.stores(backend)  # skips, or fails under CI=true, without the server or its driver
    out = tmp_path / "bench.json"
    code = runner.main(["--scale", "tiny", "--backend", backend, "--in-process", "--budget", "0.2",
                        "--only", "read_artifacts_by_id,filter_by_name,put_execution", "--json", str(out)])
    assert code == 0
    results = json.loads(out.read_text())["results"][backend]
    assert set(results) == {"ours"}  # the SQLite floors do not run on a server
    ran = results["ours"]["results"]
    assert all(ran[name]["status"] == "ok" and ran[name]["items"] > 0
               for name in ("fill_artifacts", "read_artifacts_by_id", "filter_by_name", "put_execution"))
    assert not [name for name in _databases(backend) if name.startswith(f"fastmlmd_bench_{os.getpid()}_")]


def _databases(backend: str) -> list:
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(host=server_stores.PG_HOST, port=server_stores.PG_PORT, user=server_stores.PG_USER,
                             dbname="postgres") as conn:
            return [row[0] for row in conn.execute("SELECT datname FROM pg_database")]
    import pymysql

    conn = pymysql.connect(host=server_stores.HOST, port=server_stores.PORT, user=server_stores.USER, password="")
    try:
        cur = conn.cursor()
        cur.execute("SHOW DATABASES")
        return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()
