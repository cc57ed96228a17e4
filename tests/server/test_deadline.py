"""The client's deadline (client_timeout_sec) holds on the server too: a call still running there when it
passes is stopped and rolled back (DEADLINE_EXCEEDED), instead of finishing for a client that gave up.

The server logs each call's status (--log_requests); the tests wait for that line, then look at the store.
"""
from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest
from server_kit import ServerProcess, client_config

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

# Collected into docs/differences.md by tools/differences.py.
DIFFERENCES_FROM_MLMD = {
    "test_a_write_waiting_past_the_deadline_is_never_committed":
        "the server stops a call at its client's deadline (client_timeout_sec), rolls it back and answers "
        "DEADLINE_EXCEEDED; MLMD's server runs the call to its end, and a write then commits after the client "
        "gave up",
}

# An OR of more items than the planner unions (planner.MAX_UNION_BRANCHES) across three context aliases: it is
# tested as a whole, so every artifact joins its 40 contexts three ways (64,000 rows each) and none matches,
# about a minute of work for 2,000 artifacts; the deadline stops it after a second.
SLOW_FILTER = " OR ".join(f"contexts_{alias}.name LIKE '%{letter}%'" for alias in "abc" for letter in "uvwxyz")


def _served_file(tmp_path: Path) -> ServerProcess:
    config = tmp_path / "server.pbtxt"
    config.write_text(f'connection_config {{ sqlite {{ filename_uri: "{tmp_path / "m.db"}" }} }}\n')
    return ServerProcess(f"--metadata_store_server_config_file={config}", "--log_requests")


def _status_of(server: ServerProcess, rpc: str) -> str:
    """The status the server logged for its first `rpc` call, once it has finished it."""
    pattern = re.compile(rf"{rpc} from \S*: (\w+) in")  # the peer is empty once the client left
    for _ in range(1200):
        found = pattern.search(server.log)
        if found:
            return found.group(1)
        threading.Event().wait(0.05)
    raise AssertionError(f"the server never finished {rpc}:\n{server.log}")


def test_a_write_waiting_past_the_deadline_is_never_committed(tmp_path: Path) -> None:
    """The write waits on the file's lock (held here) past the client's deadline; once the lock is free it
    must not go on and commit."""
    server = _served_file(tmp_path)
    try:
        store = metadata_store.MetadataStore(client_config(server))
        type_id = store.put_artifact_type(pb.ArtifactType(name="Model"))
        blocker = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            impatient = metadata_store.MetadataStore(client_config(server, client_timeout_sec=1.0))
            with pytest.raises(errors.DeadlineExceededError):
                impatient.put_artifacts([pb.Artifact(type_id=type_id, uri="too late")])
            assert _status_of(server, "PutArtifacts") == "DEADLINE_EXCEEDED"
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert store.get_artifacts() == []
    finally:
        server.kill()


def test_a_slow_filter_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    seeded = metadata_store.MetadataStore(pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(
        filename_uri=str(tmp_path / "m.db"))))
    a_type = seeded.put_artifact_type(pb.ArtifactType(name="Data"))
    c_type = seeded.put_context_type(pb.ContextType(name="Run"))
    artifact_ids = seeded.put_artifacts([pb.Artifact(type_id=a_type, uri=f"u{i}") for i in range(2000)])
    context_ids = seeded.put_contexts([pb.Context(type_id=c_type, name=f"c{i}") for i in range(40)])
    seeded.put_attributions_and_associations(
        [pb.Attribution(context_id=c, artifact_id=a) for c in context_ids for a in artifact_ids], [])
    seeded._local.close()
    server = _served_file(tmp_path)
    try:
        impatient = metadata_store.MetadataStore(client_config(server, client_timeout_sec=1.0))
        with pytest.raises(errors.DeadlineExceededError):
            impatient.get_artifacts(list_options=metadata_store.ListOptions(filter_query=SLOW_FILTER, limit=5))
        # GetArtifacts reports DEADLINE_EXCEEDED, not the filter's own time limit (INVALID_ARGUMENT after 60 s).
        assert _status_of(server, "GetArtifacts") == "DEADLINE_EXCEEDED"
        assert len(metadata_store.MetadataStore(client_config(server)).get_artifacts_by_id(artifact_ids[:3])) == 3
    finally:
        server.kill()
