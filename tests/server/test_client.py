"""The gRPC client on its own: status codes become ml_metadata errors, ABORTED and UNAVAILABLE are retried
within the deadline, and the core package works without grpcio.

A stand-in server (a grpc server in this process whose GetArtifactTypes fails as a test says) makes each
failure exactly; pauses between retries are counted through retry.sleep, never timed.
"""
from __future__ import annotations

import subprocess
import sys
from concurrent import futures
from typing import Iterator, List

import grpc
import pytest

from fastmlmd.engine import retry
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

# Collected into docs/differences.md by tools/differences.py.
DIFFERENCES_FROM_MLMD = {
    "test_aborted_and_unavailable_are_retried":
        "the gRPC client retries UNAVAILABLE as well as ABORTED (MLMD's retries only ABORTED), after jittered "
        "pauses of at most 2 s (MLMD's: exponentially distributed, mean 2 s), and never past client_timeout_sec; "
        "with client_timeout_sec set, UNAVAILABLE is retried until it passes, not 5 times",
    "test_explain_filter_is_in_process_only":
        "explain_filter (an addition) has no RPC: through a MetadataStoreClientConfig it raises UnimplementedError",
}


class StandIn:
    """Answers GetArtifactTypes: fails with `failures` in turn, then returns one type."""

    def __init__(self) -> None:
        self.failures: List[grpc.StatusCode] = []
        self.calls = 0
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        handler = grpc.unary_unary_rpc_method_handler(
            self._answer, request_deserializer=svc.GetArtifactTypesRequest.FromString,
            response_serializer=svc.GetArtifactTypesResponse.SerializeToString)
        self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "ml_metadata.MetadataStoreService", {"GetArtifactTypes": handler}),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def _answer(self, request: svc.GetArtifactTypesRequest, context: grpc.ServicerContext) -> object:
        self.calls += 1
        if self.failures:
            code = self.failures.pop(0)
            context.abort(code, f"failed with {code.name}")
        return svc.GetArtifactTypesResponse(artifact_types=[pb.ArtifactType(id=10, name="T")])

    def store(self, **fields: object) -> metadata_store.MetadataStore:
        return metadata_store.MetadataStore(
            pb.MetadataStoreClientConfig(host="127.0.0.1", port=self.port, **fields))  # type: ignore[arg-type]


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.server.stop(0)


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> List[float]:
    taken: List[float] = []
    monkeypatch.setattr(retry, "sleep", taken.append)
    return taken


FAILURES = [code for code in grpc.StatusCode if code not in (grpc.StatusCode.OK,)]


@pytest.mark.parametrize("code", [c for c in FAILURES if c not in (grpc.StatusCode.ABORTED,
                                                                   grpc.StatusCode.UNAVAILABLE)],
                         ids=lambda c: c.name)
def test_status_codes_become_their_error_class(stand_in: StandIn, pauses: List[float],
                                               code: grpc.StatusCode) -> None:
    stand_in.failures = [code]
    with pytest.raises(errors.StatusError) as raised:
        stand_in.store().get_artifact_types()
    assert type(raised.value) is errors.exception_type_from_error_code(code.value[0])
    assert raised.value.error_code == code.value[0]
    assert raised.value.message == f"failed with {code.name}"
    assert (stand_in.calls, pauses) == (1, [])  # not retried


@pytest.mark.parametrize("code", [grpc.StatusCode.ABORTED, grpc.StatusCode.UNAVAILABLE], ids=lambda c: c.name)
def test_aborted_and_unavailable_are_retried(stand_in: StandIn, pauses: List[float], code: grpc.StatusCode) -> None:
    stand_in.failures = [code, code, code]
    assert [t.name for t in stand_in.store().get_artifact_types()] == ["T"]
    assert (stand_in.calls, len(pauses)) == (4, 3)


def test_retries_stop_after_the_budget(stand_in: StandIn, pauses: List[float]) -> None:
    stand_in.failures = [grpc.StatusCode.ABORTED] * 10
    store = stand_in.store()
    with pytest.raises(errors.AbortedError):
        store.get_artifact_types()
    assert stand_in.calls == store._max_num_retries + 1 == 6


def test_unavailable_is_retried_until_the_deadline(stand_in: StandIn, pauses: List[float]) -> None:
    """With a deadline, a server that is restarting is waited for past the retry budget; ABORTED keeps it."""
    stand_in.failures = [grpc.StatusCode.UNAVAILABLE] * 12
    store = stand_in.store(client_timeout_sec=600.0)
    assert [t.name for t in store.get_artifact_types()] == ["T"]
    assert (stand_in.calls, len(pauses)) == (13, 12)
    stand_in.failures = [grpc.StatusCode.ABORTED] * 12
    with pytest.raises(errors.AbortedError):
        store.get_artifact_types()
    assert stand_in.calls == 13 + store._max_num_retries + 1


def test_retries_stop_at_the_deadline(stand_in: StandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pause that would end past client_timeout_sec is not taken: the last error is raised instead."""
    monkeypatch.setattr(retry, "FIRST_BACKOFF_SECONDS", 10.0)
    monkeypatch.setattr(retry, "MAX_BACKOFF_SECONDS", 10.0)
    monkeypatch.setattr("random.uniform", lambda low, high: high)
    taken: List[float] = []
    monkeypatch.setattr(retry, "sleep", taken.append)
    stand_in.failures = [grpc.StatusCode.UNAVAILABLE] * 10
    with pytest.raises(errors.UnavailableError):
        stand_in.store(client_timeout_sec=5.0).get_artifact_types()
    assert (stand_in.calls, taken) == (1, [])


def test_unreachable_server_is_unavailable(pauses: List[float]) -> None:
    store = metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=1))
    with pytest.raises(errors.UnavailableError):
        store.get_artifact_types()
    assert len(pauses) == store._max_num_retries


def test_upgrade_migration_with_a_client_config_is_refused_as_mlmd_does() -> None:
    with pytest.raises(ValueError, match="^Upgrade migration is not allowed when using gRPC connection client. "
                                         "Upgrade needs to be performed on the server side.$"):
        metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=1),
                                     enable_upgrade_migration=True)


def test_explain_filter_is_in_process_only(stand_in: StandIn) -> None:
    with pytest.raises(errors.UnimplementedError, match="in-process"):
        stand_in.store().explain_filter("artifacts", "uri = 'x'")


def test_import_records_is_in_process_only(stand_in: StandIn) -> None:
    with pytest.raises(errors.UnimplementedError, match="no RPC"):
        stand_in.store().import_records(types=[pb.ArtifactType(id=10, name="Dataset")])


def test_deletes_are_in_process_only(stand_in: StandIn) -> None:
    store = stand_in.store()
    with pytest.raises(errors.UnimplementedError, match="no RPC"):
        store.delete_artifacts([1], cascade=True)
    with pytest.raises(errors.UnimplementedError, match="no RPC"):
        store.collect_garbage(type_names=["Dataset"], dry_run=True)
    assert stand_in.calls == 0  # refused in the client: nothing reached the server


_WITHOUT_GRPC = """
import sys
sys.modules["grpc"] = None  # as if grpcio were not installed
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
store = metadata_store.MetadataStore(pb.ConnectionConfig(fake_database=pb.FakeDatabaseConfig()))
assert store.put_artifact_type(pb.ArtifactType(name="T")) == 10
try:
    metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=1))
except RuntimeError as exc:
    print(exc)
"""


def test_core_works_without_grpcio_and_the_client_names_the_extra() -> None:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_GRPC], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "pip install 'fastmlmd[server]'" in done.stdout
    assert "grpc" not in done.stderr
