"""The server killed with -9 while clients write, then restarted on the same store (a SQLite file; MariaDB).

* Each put_execution sent either succeeded completely or failed with UnavailableError / AbortedError; a
  failed one left all of its rows or none (a crash between commit and answer loses only the answer).
* Every execution stored is whole: its two artifacts, their OUTPUT events, its association and their
  attributions to its context; no artifact is stored without its execution.
* The file passes SQLite's integrity check, and the restarted server opens and serves the store.
* A client with a deadline rides out the restart: UNAVAILABLE is retried until the server is back.
"""
from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable, Dict, List

import pytest
from google.protobuf import text_format
from server_kit import ServerProcess
from writer_records import read_records, wait_for

from fastmlmd.engine import retry
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

CLIENTS = 4
HERE = Path(__file__).resolve().parent
PATIENCE = 1200  # polls of 50 ms: a minute for the slowest machine, never reached on a working one


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FileServer:
    """The server in front of one store (a SQLite file, or a MariaDB database), on one port across restarts."""

    def __init__(self, folder: Path, backend: str = "file") -> None:
        self.path = folder / "m.db"
        if backend == "file":
            self.store_config = pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(filename_uri=str(self.path)))
        else:
            import server_stores

            self.store_config = server_stores.mysql_stores().config()
        self.config = folder / "server.pbtxt"
        self.config.write_text(text_format.MessageToString(pb.MetadataStoreServerConfig(
            connection_config=self.store_config)))
        self.port = _free_port()
        self.running = self.start()

    def start(self) -> ServerProcess:
        self.running = ServerProcess(f"--metadata_store_server_config_file={self.config}", f"--grpc_port={self.port}")
        return self.running

    def client(self, **fields: object) -> metadata_store.MetadataStore:
        return metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=self.port,
                                                                         **fields))  # type: ignore[arg-type]


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    wait_for(condition, what, PATIENCE)


@pytest.mark.heavy
@pytest.mark.parametrize("backend", ["file", pytest.param("mysql", marks=pytest.mark.server)])
def test_kill_9_mid_load_leaves_no_half_written_call(tmp_path: Path, backend: str) -> None:
    server = FileServer(tmp_path, backend)
    clients: List[subprocess.Popen] = []
    outs = [tmp_path / f"client{i}.jsonl" for i in range(CLIENTS)]
    stop = tmp_path / "stop"
    try:
        setup = server.client()
        setup.put_artifact_type(pb.ArtifactType(name="Model"))
        setup.put_execution_type(pb.ExecutionType(name="Train"))
        setup.put_context_type(pb.ContextType(name="Run"))
        clients = [subprocess.Popen([sys.executable, str(HERE / "fault_client.py"), f"127.0.0.1:{server.port}",
                                     str(i), str(outs[i]), str(stop)]) for i in range(CLIENTS)]

        def each_client(test: Callable[[List[dict]], bool]) -> Callable[[], bool]:
            return lambda: all(test(read_records(out)) for out in outs)

        _wait_for(each_client(lambda rs: sum("ok" in r for r in rs) >= 10), "every client wrote 10 executions")
        server.running.proc.kill()  # -9, with calls in flight
        server.running.kill()
        _wait_for(each_client(lambda rs: any("error" in r for r in rs)), "every client saw the server gone")
        before_restart = [len(read_records(out)) for out in outs]
        server.start()
        _wait_for(lambda: all(sum("ok" in r for r in read_records(out)[n:]) >= 10 for out, n in
                              zip(outs, before_restart)), "every client wrote 10 more after the restart")
        stop.touch()
        for client in clients:
            assert client.wait(60) == 0
        server.running.terminate()
    finally:
        stop.touch()
        for client in clients:
            if client.poll() is None:
                client.kill()
        server.running.kill()

    records = [r for out in outs for r in read_records(out)]
    assert {r.get("error") for r in records} <= {None, "UnavailableError", "AbortedError"}
    assert any(r.get("error") == "UnavailableError" for r in records)

    if backend == "file":
        conn = sqlite3.connect(server.path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
    store = metadata_store.MetadataStore(server.store_config)  # opening checks the schema
    executions = {e.name: e for e in store.get_executions()}
    contexts = {c.id: c.name for c in store.get_contexts()}
    artifacts = {a.id: a for a in store.get_artifacts()}
    events = store.get_events_by_execution_ids(list(e.id for e in executions.values()))
    outputs: Dict[int, List[int]] = {}
    for event in events:
        assert event.type == pb.Event.OUTPUT
        outputs.setdefault(event.execution_id, []).append(event.artifact_id)
    recorded = {r["name"]: r for r in records}
    for name, execution in executions.items():
        client = name.split("-")[0][1:]
        artifact_ids = sorted(outputs.get(execution.id, []))
        assert [artifacts[a].uri for a in artifact_ids] == [f"gs://{name}/0", f"gs://{name}/1"], name
        assert [contexts[c.id] for c in store.get_contexts_by_execution(execution.id)] == [f"run{client}"], name
        for artifact_id in artifact_ids:
            assert [c.name for c in store.get_contexts_by_artifact(artifact_id)] == [f"run{client}"], name
        assert name in recorded, f"{name} was stored but never sent"
        if "ok" in recorded[name]:
            assert recorded[name]["ok"][:2] == [execution.id, artifact_ids]
    assert len(artifacts) == 2 * len(executions)  # no artifact without its execution
    assert all(name in executions for name, r in recorded.items() if "ok" in r)  # no acknowledged write lost
    assert all(r["read"] == [f"gs://{r['name']}/0", f"gs://{r['name']}/1"] for r in records if "read" in r)


def test_a_client_with_a_deadline_rides_out_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server is down when the call is made; it is started again once the client has been refused. The
    call succeeds within its deadline, however many UNAVAILABLE answers came first."""
    server = FileServer(tmp_path)
    try:
        patient = server.client(client_timeout_sec=60)
        patient.put_artifact_type(pb.ArtifactType(name="Model"))
        server.running.kill()
        pauses: List[float] = []
        restarted = threading.Thread(target=server.start)

        def pause(seconds: float) -> None:
            pauses.append(seconds)
            if len(pauses) == 1:  # refused once: now bring the server back, in the background
                restarted.start()
            retry.time.sleep(seconds)

        monkeypatch.setattr(retry, "sleep", pause)
        assert [t.name for t in patient.get_artifact_types()] == ["Model"]
        assert pauses  # the first attempt found the server down
        restarted.join(60)
    finally:
        server.running.kill()


@pytest.mark.heavy
def test_load_bench_reports_no_errors_and_no_lost_writes(capsys: pytest.CaptureFixture) -> None:
    """`python -m fastmlmd.bench.served_load`, tiny: both sides run, every call succeeds, every write is kept."""
    from fastmlmd.bench import served_load

    assert served_load.main(["--clients", "2", "--calls", "8"]) == 0
    out = capsys.readouterr().out
    for side in ("in-process", "gRPC"):
        assert f"{side:<11} 16 calls in" in out and "errors 0; lost writes 0" in out
    assert "gRPC / in-process: calls/s" in out
