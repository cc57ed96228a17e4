"""The server in front of each backend, started as the README shows: a store in memory (no flags), a SQLite
file (a config file), MariaDB (MLMD's --mysql_config_* flags), PostgreSQL (a config file). A client with a deadline and one without
write and read the same calls on each.
"""
from __future__ import annotations

from pathlib import Path
from typing import List

import pytest
from server_kit import ServerProcess, client_config

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


def _flags(backend: str, tmp_path: Path) -> List[str]:
    if backend == "memory":
        return []
    if backend == "file":
        config = tmp_path / "server.pbtxt"
        config.write_text(f'connection_config {{ sqlite {{ filename_uri: "{tmp_path / "m.db"}" }} }}\n')
        return [f"--metadata_store_server_config_file={config}"]
    import server_stores

    if backend == "postgresql":  # MLMD's server has no PostgreSQL flags: a config file names the store
        pg = server_stores.postgresql_stores().config().postgresql
        config = tmp_path / "server.pbtxt"
        config.write_text(f'connection_config {{ postgresql {{ host: "{pg.host}" port: "{pg.port}" '
                          f'user: "{pg.user}" dbname: "{pg.dbname}" }} }}\n')
        return [f"--metadata_store_server_config_file={config}"]
    mysql = server_stores.mysql_stores().config().mysql
    return [f"--mysql_config_host={mysql.host}", f"--mysql_config_port={mysql.port}",
            f"--mysql_config_database={mysql.database}", f"--mysql_config_user={mysql.user}"]


@pytest.mark.parametrize("backend", ["memory", "file", pytest.param("mysql", marks=pytest.mark.server),
                                     pytest.param("postgresql", marks=pytest.mark.server)])
def test_each_backend_behind_the_server(backend: str, tmp_path: Path) -> None:
    server = ServerProcess(*_flags(backend, tmp_path))
    try:
        for timeout in ({}, {"client_timeout_sec": 60.0}):
            store = metadata_store.MetadataStore(client_config(server, **timeout))
            model = store.put_artifact_type(pb.ArtifactType(name="Model"))
            train = store.put_execution_type(pb.ExecutionType(name="Train"))
            run = store.put_context_type(pb.ContextType(name="Run"))
            name = f"t{len(timeout)}"
            execution_id, artifact_ids, [context_id] = store.put_execution(
                pb.Execution(type_id=train, name=name),
                [(pb.Artifact(type_id=model, uri=f"gs://{name}"), pb.Event(type=pb.Event.OUTPUT))],
                [pb.Context(type_id=run, name=name)])
            assert [a.uri for a in store.get_artifacts_by_id(artifact_ids)] == [f"gs://{name}"]
            assert [e.artifact_id for e in store.get_events_by_execution_ids([execution_id])] == artifact_ids
            assert [c.id for c in store.get_contexts_by_execution(execution_id)] == [context_id]
            assert [a.uri for a in store.get_artifacts(list_options=metadata_store.ListOptions(
                filter_query=f"contexts_a.name = '{name}'"))] == [f"gs://{name}"]
        assert len(store.get_executions()) == 2
    finally:
        server.kill()
