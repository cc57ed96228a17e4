"""The server as users run it: `python -m fastmlmd.server` in a subprocess, reached by the gRPC client.

TLS with certificates made here, the health service, drain on SIGTERM, messages past gRPC's 4 MiB
default, errors as their ml_metadata classes, the store behind it on a SQLite file, and the
downgrade flag.
"""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import grpc
import pytest
from google.protobuf import text_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from server_kit import ServerProcess, client_config, make_certificates

from fastmlmd.engine.schema import SCHEMA_VERSION, VERSION_TABLE
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

BIG = 6 * 1024 * 1024  # past gRPC's 4 MiB default

# Collected into docs/differences.md by tools/differences.py.
DIFFERENCES_FROM_MLMD = {
    "test_messages_past_four_mib":
        "the server and the client take messages up to 256 MiB by default (--grpc_max_message_bytes; "
        "channel_arguments.max_receive_message_length on the client); MLMD's keep gRPC's 4 MiB",
    "test_downgrade_flag_downgrades_and_exits":
        "after --downgrade_db_schema_version the server exits with status 0; MLMD's dies on a failed CHECK",
    "test_rpcs_the_python_api_does_not_use":
        "GetArtifactsByType (and its kin) with paging options, and PutArtifacts' "
        "abort_if_latest_updated_time_changed, are refused with UNIMPLEMENTED; GetLineageGraph is served "
        "(MLMD 1.17.1's server answers it with UNIMPLEMENTED)",
}


def _config_file(folder: Path, text: str) -> str:
    path = folder / "server.pbtxt"
    path.write_text(text)
    return f"--metadata_store_server_config_file={path}"


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    running = ServerProcess("--log_requests")
    yield running
    running.kill()


def _artifact_type(store: metadata_store.MetadataStore) -> int:
    return store.put_artifact_type(pb.ArtifactType(name="Model"))


def test_health_says_serving(server: ServerProcess) -> None:
    with grpc.insecure_channel(server.address) as channel:
        check = health_pb2_grpc.HealthStub(channel).Check
        for service in ("", "ml_metadata.MetadataStoreService"):
            assert check(health_pb2.HealthCheckRequest(service=service)).status == \
                health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as raised:
            check(health_pb2.HealthCheckRequest(service="no.such.Service"))
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_errors_arrive_as_their_classes(server: ServerProcess) -> None:
    store = metadata_store.MetadataStore(client_config(server))
    type_id = _artifact_type(store)
    store.put_artifacts([pb.Artifact(type_id=type_id, name="a")])
    with pytest.raises(errors.NotFoundError, match="No type found for query, name: `Nope`"):
        store.get_artifact_type("Nope")
    with pytest.raises(errors.AlreadyExistsError):
        store.put_artifacts([pb.Artifact(type_id=type_id, name="a")])
    with pytest.raises(errors.InvalidArgumentError):
        store.put_artifacts([pb.Artifact()])
    with pytest.raises(errors.InvalidArgumentError, match="empty external_id"):
        store.get_artifacts_by_external_ids(["x", ""])
    assert "PutArtifacts from" in server.log  # --log_requests: one line a call


def test_messages_past_four_mib(server: ServerProcess) -> None:
    store = metadata_store.MetadataStore(client_config(server))
    artifact = pb.Artifact(type_id=_artifact_type(store))
    artifact.custom_properties["blob"].string_value = "x" * BIG
    [artifact_id] = store.put_artifacts([artifact])  # a request past 4 MiB
    [found] = store.get_artifacts_by_id([artifact_id])  # and a response
    assert len(found.custom_properties["blob"].string_value) == BIG


def test_message_limit_is_configurable() -> None:
    small = ServerProcess("--grpc_max_message_bytes=1000000")
    try:
        store = metadata_store.MetadataStore(client_config(small))
        artifact = pb.Artifact(type_id=_artifact_type(store))
        artifact.custom_properties["blob"].string_value = "x" * 2_000_000
        with pytest.raises(errors.ResourceExhaustedError):
            store.put_artifacts([artifact])
    finally:
        small.kill()


def test_client_receive_limit_from_channel_arguments(server: ServerProcess) -> None:
    store = metadata_store.MetadataStore(client_config(server))
    artifact = pb.Artifact(type_id=_artifact_type(store))
    artifact.custom_properties["blob"].string_value = "x" * 2_000_000
    [artifact_id] = store.put_artifacts([artifact])
    limited = metadata_store.MetadataStore(client_config(
        server, channel_arguments=pb.GrpcChannelArguments(max_receive_message_length=1_000_000)))
    with pytest.raises(errors.ResourceExhaustedError):
        limited.get_artifacts_by_id([artifact_id])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.mark.parametrize("client_verify", [False, True], ids=["server-auth", "mutual"])
def test_tls_round_trip(tmp_path: Path, certificates: dict, client_verify: bool) -> None:
    ssl = pb.MetadataStoreServerConfig.SSLConfig(server_key=certificates["server.key"],
                                                 server_cert=certificates["server.pem"],
                                                 custom_ca=certificates["ca.pem"], client_verify=client_verify)
    config = pb.MetadataStoreServerConfig(ssl_config=ssl)
    config.connection_config.fake_database.SetInParent()
    tls = ServerProcess(_config_file(tmp_path, text_format.MessageToString(config)))
    try:
        client_ssl = pb.MetadataStoreClientConfig.SSLConfig(
            custom_ca=certificates["ca.pem"], client_key=certificates["client.key"],
            server_cert=certificates["client.pem"])
        store = metadata_store.MetadataStore(client_config(tls, ssl_config=client_ssl))
        type_id = _artifact_type(store)
        assert [t.id for t in store.get_artifact_types()] == [type_id]
        refused = [pb.MetadataStoreClientConfig.SSLConfig(custom_ca=certificates["ca.pem"])] if client_verify else []
        for ssl_config in refused:  # no client certificate where one is required
            with pytest.raises(errors.UnavailableError):
                metadata_store.MetadataStore(client_config(tls, ssl_config=ssl_config,
                                                           client_timeout_sec=5)).get_artifact_types()
        with pytest.raises(errors.UnavailableError):  # a plain-text client
            metadata_store.MetadataStore(client_config(tls, client_timeout_sec=5)).get_artifact_types()
    finally:
        tls.kill()


def test_sigterm_drains_calls_in_flight(tmp_path: Path) -> None:
    """A write waits on the file's lock (held here) while SIGTERM arrives: it still completes, new calls are
    refused meanwhile, and the server exits 0 once it is done."""
    path = tmp_path / "mlmd.sqlite"
    server_config = f'connection_config {{ sqlite {{ filename_uri: "{path}" }} }}\n'
    running = ServerProcess(_config_file(tmp_path, server_config), "--log_requests")
    try:
        store = metadata_store.MetadataStore(client_config(running))
        type_id = _artifact_type(store)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # the server's next write waits for this lock
        result: dict = {}
        writer = threading.Thread(target=lambda: result.update(
            ids=store.put_artifacts([pb.Artifact(type_id=type_id, uri="in-flight")])))
        writer.start()
        writer.join(1.0)
        assert writer.is_alive(), "the write did not wait for the lock"
        running.proc.send_signal(signal.SIGTERM)
        for _ in range(600):
            if "Shutting down" in running.log:
                break
            threading.Event().wait(0.05)
        assert "Shutting down" in running.log, running.log
        with pytest.raises(errors.UnavailableError):  # draining: new calls are refused
            metadata_store.MetadataStore(client_config(running, client_timeout_sec=2)).get_artifact_types()
        blocker.execute("ROLLBACK")
        blocker.close()
        writer.join(30)
        assert result.get("ids") == [1]
        assert running.proc.wait(60) == 0  # signalled once, above
        assert running.log.index("Shutting down") < running.log.index("PutArtifacts from")
    finally:
        running.kill()
    reopened = metadata_store.MetadataStore(pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(
        filename_uri=str(path))))
    assert [a.uri for a in reopened.get_artifacts()] == ["in-flight"]


def test_downgrade_flag_downgrades_and_exits(tmp_path: Path) -> None:
    path = tmp_path / "mlmd.sqlite"
    metadata_store.MetadataStore(pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(filename_uri=str(path))))
    server_config = _config_file(tmp_path, f'connection_config {{ sqlite {{ filename_uri: "{path}" }} }}\n')
    done = subprocess.run([sys.executable, "-m", "fastmlmd.server", server_config,
                           f"--downgrade_db_schema_version={SCHEMA_VERSION - 1}"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()[0] == SCHEMA_VERSION - 1


def test_common_calls_through_a_server_on_a_sqlite_file(tmp_path: Path) -> None:
    """drive_calls.py through our client and a server in front of a SQLite file answers as in-process."""
    driver = str(Path(__file__).resolve().parent / "drive_calls.py")
    server_config = _config_file(tmp_path, f'connection_config {{ sqlite {{ filename_uri: "{tmp_path / "m.db"}" }} }}\n')
    running = ServerProcess(server_config)
    try:
        def run(where: str) -> str:
            done = subprocess.run([sys.executable, driver, where], capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            return done.stdout
        assert run(running.address) == run("memory")
    finally:
        running.kill()


def test_rpcs_the_python_api_does_not_use(server: ServerProcess) -> None:
    """PutTypes (one transaction), Get{Parent,Children}ContextsByContexts, and the two request options this
    server refuses as UNIMPLEMENTED rather than ignore."""
    from ml_metadata.proto import metadata_store_service_pb2 as svc
    from ml_metadata.proto import metadata_store_service_pb2_grpc as svc_grpc

    with grpc.insecure_channel(server.address) as channel:
        stub = svc_grpc.MetadataStoreServiceStub(channel)
        with pytest.raises(grpc.RpcError) as raised:
            stub.PutTypes(svc.PutTypesRequest(artifact_types=[pb.ArtifactType(name="A"), pb.ArtifactType()]))
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert not stub.GetArtifactTypes(svc.GetArtifactTypesRequest()).artifact_types  # nothing half-written
        put = stub.PutTypes(svc.PutTypesRequest(artifact_types=[pb.ArtifactType(name="A")],
                                                context_types=[pb.ContextType(name="C")]))
        assert (list(put.artifact_type_ids), list(put.execution_type_ids), list(put.context_type_ids)) == \
            ([10], [], [11])
        c_ids = stub.PutContexts(svc.PutContextsRequest(contexts=[
            pb.Context(type_id=11, name=n) for n in ("p", "c1", "c2")])).context_ids
        stub.PutParentContexts(svc.PutParentContextsRequest(parent_contexts=[
            pb.ParentContext(child_id=c_ids[1], parent_id=c_ids[0]),
            pb.ParentContext(child_id=c_ids[2], parent_id=c_ids[0])]))
        children = stub.GetChildrenContextsByContexts(svc.GetChildrenContextsByContextsRequest(context_ids=[c_ids[0]]))
        assert [c.name for c in children.contexts[c_ids[0]].children_contexts] == ["c1", "c2"]
        parents = stub.GetParentContextsByContexts(svc.GetParentContextsByContextsRequest(context_ids=c_ids[1:]))
        assert {k: [c.name for c in v.parent_contexts] for k, v in parents.contexts.items()} == \
            {c_ids[1]: ["p"], c_ids[2]: ["p"]}
        for call in (lambda: stub.GetArtifactsByType(svc.GetArtifactsByTypeRequest(
                         type_name="A", options=pb.ListOperationOptions(max_result_size=1))),
                     lambda: stub.PutArtifacts(svc.PutArtifactsRequest(
                         artifacts=[pb.Artifact(type_id=10)],
                         options=svc.PutArtifactsRequest.Options(abort_if_latest_updated_time_changed=True)))):
            with pytest.raises(grpc.RpcError) as raised:
                call()
            assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED
