"""The database server killed with -9 while writers call put_execution on it in-process, then started again on
the same data directory (a throwaway MariaDB or PostgreSQL of the test's own: throwaway_servers.py).

* Every call either succeeded completely or raised UnavailableError / AbortedError; a failed one left all of
  its rows or none (a crash between the commit and its answer loses only the answer).
* Every execution stored is whole: its two artifacts, their OUTPUT events, its association and their
  attributions to its two contexts; no artifact is stored without its execution. No acknowledged call is lost.
* The writers' own MetadataStore objects reconnect on their next call once the server is back.
* A contains-LIKE on uri finds every stored artifact (the word index lost none of its rows).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, List

import pytest
import throwaway_servers
from writer_records import read_records, wait_for
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = [pytest.mark.heavy, pytest.mark.server]

WRITERS = 4
HERE = Path(__file__).resolve().parent
PATIENCE = 2400  # polls of 50 ms: two minutes for the slowest machine, never reached on a working one


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    wait_for(condition, what, PATIENCE)


@pytest.mark.parametrize("backend", ["mysql", "postgresql"])
def test_kill_9_of_the_database_server_mid_batch(tmp_path: Path, backend: str) -> None:
    server = throwaway_servers.throwaway(backend)
    writers: List[subprocess.Popen] = []
    outs = [tmp_path / f"writer{i}.jsonl" for i in range(WRITERS)]
    stop = tmp_path / "stop"
    try:
        server.start()
        config = server.config("fastmlmd_kill")
        setup = metadata_store.MetadataStore(config)
        setup.put_artifact_type(pb.ArtifactType(name="Model"))
        setup.put_execution_type(pb.ExecutionType(name="Train"))
        setup.put_context_type(pb.ContextType(name="Run"))
        writers = [subprocess.Popen([sys.executable, str(HERE / "kill_writer.py"), config.SerializeToString().hex(),
                                     str(i), str(outs[i]), str(stop)]) for i in range(WRITERS)]

        def each_writer(test: Callable[[List[dict]], bool]) -> Callable[[], bool]:
            return lambda: all(test(read_records(out)) for out in outs)

        _wait_for(each_writer(lambda rs: sum("ok" in r for r in rs) >= 10), "every writer stored 10 executions")
        server.kill()  # -9 to the whole server, with calls in flight
        _wait_for(each_writer(lambda rs: any("error" in r for r in rs)), "every writer saw the server gone")
        before_restart = [len(read_records(out)) for out in outs]
        server.start()
        _wait_for(lambda: all(sum("ok" in r for r in read_records(out)[n:]) >= 10 for out, n in
                              zip(outs, before_restart)), "every writer stored 10 more after the restart")
        stop.touch()
        for writer in writers:
            assert writer.wait(60) == 0
        _check_store(metadata_store.MetadataStore(config), [r for out in outs for r in read_records(out)])
    finally:
        stop.touch()
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
        server.remove()


def _check_store(store: metadata_store.MetadataStore, records: List[dict]) -> None:
    errors = [r for r in records if "error" in r]
    assert {r["error"] for r in errors} <= {"UnavailableError", "AbortedError"}, errors
    assert any(r["error"] == "UnavailableError" for r in errors)
    executions = {e.name: e for e in store.get_executions()}
    contexts = {c.id: c.name for c in store.get_contexts()}
    artifacts = {a.id: a for a in store.get_artifacts()}
    outputs: Dict[int, List[int]] = {}
    for event in store.get_events_by_execution_ids([e.id for e in executions.values()]):
        assert event.type == pb.Event.OUTPUT
        outputs.setdefault(event.execution_id, []).append(event.artifact_id)
    recorded = {r["name"]: r for r in records}
    for name, execution in executions.items():
        writer = name.split("-")[0][1:]
        run_contexts = sorted([f"run{writer}", "shared"])
        artifact_ids = sorted(outputs.get(execution.id, []))
        assert [artifacts[a].uri for a in artifact_ids] == [f"gs://{name}/0", f"gs://{name}/1"], name
        assert sorted(contexts[c.id] for c in store.get_contexts_by_execution(execution.id)) == run_contexts, name
        for artifact_id in artifact_ids:
            assert sorted(c.name for c in store.get_contexts_by_artifact(artifact_id)) == run_contexts, name
        assert name in recorded, f"{name} was stored but never sent"
        if "ok" in recorded[name]:
            assert recorded[name]["ok"][:2] == [execution.id, artifact_ids]
    assert len(artifacts) == 2 * len(executions)  # no artifact without its execution
    assert all(name in executions for name, r in recorded.items() if "ok" in r)  # no acknowledged call lost
    assert all(r["read"] == [f"gs://{r['name']}/0", f"gs://{r['name']}/1"] for r in records if "read" in r)
    # A contains-LIKE finds each stored artifact by the words of its uri (MariaDB's word tables, written in the
    # calls' own transactions; PostgreSQL's trigram indexes): none is missing from the index after the crash.
    for name in executions:
        found = store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=f"uri LIKE '%/{name}/%'"))
        assert sorted(a.uri for a in found) == [f"gs://{name}/0", f"gs://{name}/1"], name
