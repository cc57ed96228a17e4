"""The committed gencode works on the oldest (4.25.0) and newest protobuf runtimes, on Python 3.9-3.13.

Each runtime is pip-installed with `--target` into the pytest cache (.pytest_cache/d/protobuf-runtimes),
once; reruns reuse it. Each check runs in a fresh interpreter whose only extra path is that target,
with `ml_metadata` mapped onto this checkout's bindings/ folder, under both the upb (C) and the
pure-Python protobuf implementations. A missing Python is skipped; so is everything when pip
cannot reach the package index. Delete the cache folder to pick up a newer "newest".
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSIONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
RUNTIMES = {"oldest": "protobuf==4.25.0", "newest": "protobuf"}
# The first release of each major in between, where breaking changes land; on this interpreter only.
FIRST_OF_MAJOR = {"5.x": "protobuf==5.26.0", "6.x": "protobuf==6.30.0"}
THIS_PYTHON = "%d.%d" % sys.version_info[:2]

# Runs in the subprocess: argv[1] is bindings/.
_EXERCISE = r"""
import json, os, sys, types

# Map ml_metadata (and its metadata_store subpackage) onto bindings/ without running their
# __init__ files, which pull in the engine; only protobuf is on the path here.
for name, sub in (("ml_metadata", ""), ("ml_metadata.metadata_store", "metadata_store")):
    package = types.ModuleType(name)
    package.__path__ = [os.path.join(sys.argv[1], sub)]
    sys.modules[name] = package

import google.protobuf
from google.protobuf import any_pb2, json_format, text_format
from google.protobuf.internal import api_implementation
import ml_metadata.proto as proto
from ml_metadata.proto import metadata_store_pb2 as pb, metadata_store_service_pb2 as svc
from ml_metadata.simple_types.proto import simple_types_pb2
from ml_metadata.metadata_store import mlmd_types

artifact = proto.Artifact(type_id=1, uri="gs://a", state=pb.Artifact.LIVE, name="a")
artifact.properties["n"].int_value = 3
artifact.properties["x"].double_value = 0.25
artifact.properties["s"].string_value = "text"
artifact.properties["b"].bool_value = True
artifact.properties["j"].struct_value.update({"k": [1, "v"]})
artifact.custom_properties["p"].proto_value.Pack(pb.Context(name="c"))
data = artifact.SerializeToString()
assert pb.Artifact.FromString(data) == artifact
text = text_format.MessageToString(artifact)
assert "[type.googleapis.com/ml_metadata.Context]" in text
assert text_format.Parse(text, pb.Artifact()) == artifact
assert json_format.Parse(json_format.MessageToJson(artifact), pb.Artifact()) == artifact
unpacked = pb.Context()
assert artifact.custom_properties["p"].proto_value.Unpack(unpacked) and unpacked.name == "c"

assert pb.Artifact.LIVE == 2 and pb.Artifact.State.Name(2) == "LIVE"
assert pb.Event.Type.Value("OUTPUT") == 4 and pb.PropertyType.Name(pb.STRUCT) == "STRUCT"
assert pb.ListOperationOptions().max_result_size == 20
assert pb.ListOperationOptions.OrderByField().field == pb.ListOperationOptions.OrderByField.ID
assert pb.MigrationOptions().downgrade_to_schema_version == -1
enum = pb.ArtifactType.SystemDefinedBaseType.DESCRIPTOR
options = enum.values_by_number[pb.ArtifactType.DATASET].GetOptions()
assert options.Extensions[pb.system_type_extension].type_name == "mlmd.Dataset"
assert mlmd_types.Deploy().name == "mlmd.Deploy" and mlmd_types.Model().system_type == pb.ArtifactType.MODEL

assert svc.PutLineageSubgraphResponse(execution_ids=[1, 2]).SerializeToString() == b"\n\x02\x01\x02"
assert svc.PutArtifactsResponse(artifact_ids=[1, 2]).SerializeToString() == b"\x08\x01\x08\x02"
request = svc.PutArtifactTypeRequest(artifact_type=proto.ArtifactType(name="T", properties={"p": pb.INT}))
assert request.all_fields_match is True
assert len(svc.DESCRIPTOR.services_by_name["MetadataStoreService"].methods) == 52
types_ = simple_types_pb2.SimpleTypes(artifact_types=[proto.ArtifactType(name="mlmd.Dataset")])
assert simple_types_pb2.SimpleTypes.FromString(types_.SerializeToString()) == types_

grpc_version = None
try:
    import grpc
except ImportError:
    pass
else:
    # One real call over loopback: stub -> server -> servicer, with our messages on the wire.
    from concurrent import futures
    from ml_metadata.proto import metadata_store_service_pb2_grpc as svc_grpc

    class Servicer(svc_grpc.MetadataStoreServiceServicer):
        def PutArtifactType(self, request, context):
            return svc.PutArtifactTypeResponse(type_id=len(request.artifact_type.properties) + 40)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    svc_grpc.add_MetadataStoreServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = svc_grpc.MetadataStoreServiceStub(channel)
            assert stub.PutArtifactType(request, timeout=30).type_id == 41
    finally:
        server.stop(None)
    grpc_version = grpc.__version__

print(json.dumps({"protobuf": google.protobuf.__version__, "implementation": api_implementation.Type(),
                  "grpc": grpc_version}))
"""


def _find_python(version: str) -> str | None:
    """The interpreter for `version`: this one if it matches, else pyenv's, else one on PATH."""
    if version == THIS_PYTHON:
        return sys.executable
    found = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    return found[-1] if found else shutil.which(f"python{version}")


def _install(cache: Path, version: str, runtime: str) -> Path:
    """pip-installs the runtime for `version` into a cached --target folder; skips if pip fails."""
    requirements = [RUNTIMES.get(runtime) or FIRST_OF_MAJOR[runtime]]
    if runtime == "newest" and version == THIS_PYTHON:
        requirements.append("grpcio")  # the gRPC stubs, checked on one interpreter only
    # The folder name says what is in it: which Python runs the suite decides whether grpcio is there.
    target = cache / f"py{version}-{runtime}{'-grpc' if 'grpcio' in requirements else ''}"
    if (target / ".complete").exists():
        return target
    partial = cache / f"{target.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--retries", "1", "--timeout", "30",  # offline: fail (and skip) fast
         "--target", str(partial), "--python-version", version, "--only-binary=:all:", *requirements],
        capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no output)"]
        pytest.skip(f"pip could not install {' '.join(requirements)} for Python {version}: {tail[0]}")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    (target / ".complete").write_text(" ".join(requirements))
    return target


@pytest.fixture(scope="session")
def runtime_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(request.config, "cache", None)  # absent under `-p no:cacheprovider`
    if cache is None:
        return tmp_path_factory.mktemp("protobuf-runtimes")
    return Path(cache.mkdir("protobuf-runtimes"))


def _exercise(python: str, target: Path) -> list[dict[str, str]]:
    """Runs the checks under both protobuf implementations; returns their reports."""
    reports = []
    for implementation in ("upb", "python"):
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(target), "PYTHONNOUSERSITE": "1",
               "PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION": implementation}
        # -S: no site-packages, so a protobuf installed for that interpreter cannot shadow the target.
        proc = subprocess.run([python, "-S", "-c", _EXERCISE, str(ROOT / "bindings")],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, f"{python} {target.name} {implementation}:\n{proc.stderr}"
        report = json.loads(proc.stdout)
        assert report["implementation"] == implementation
        reports.append(report)
    return reports


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
@pytest.mark.parametrize("version", PYTHON_VERSIONS)
def test_gencode_on_runtime(runtime_cache: Path, version: str, runtime: str) -> None:
    python = _find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} found (looked in ~/.pyenv/versions and on PATH)")
    for report in _exercise(python, _install(runtime_cache, version, runtime)):
        if runtime == "oldest":
            assert report["protobuf"] == "4.25.0"
        if runtime == "newest" and version == THIS_PYTHON:
            assert report["grpc"], "grpcio was installed but the gRPC stubs were not exercised"


@pytest.mark.parametrize("runtime", sorted(FIRST_OF_MAJOR))
def test_gencode_on_first_release_of_major(runtime_cache: Path, runtime: str) -> None:
    for report in _exercise(sys.executable, _install(runtime_cache, THIS_PYTHON, runtime)):
        assert report["protobuf"] == FIRST_OF_MAJOR[runtime].split("==")[1]
