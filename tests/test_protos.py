"""Our .proto files against the real ml-metadata 1.17.1: descriptors, bytes and text format.

The oracle runs in its own interpreter (FASTMLMD_ORACLE_PYTHON, default .venv-oracle/bin/python as
made by `make oracle`), driven through subprocesses that exchange JSON; nothing is imported from
it into this process. Tests that need it skip, saying why, when it is missing.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import any_pb2, descriptor_pb2, text_format
from google.protobuf.message import Message

from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc
from ml_metadata.simple_types.proto import simple_types_pb2

ROOT = Path(__file__).resolve().parent.parent
ORACLE_PYTHON = os.environ.get("FASTMLMD_ORACLE_PYTHON", str(ROOT / ".venv-oracle" / "bin" / "python"))

OUR_MODULES = {
    "ml_metadata/proto/metadata_store.proto": pb,
    "ml_metadata/proto/metadata_store_service.proto": svc,
    "ml_metadata/simple_types/proto/simple_types.proto": simple_types_pb2,
}

# Runs in the oracle: prints each real file's FileDescriptorProto, base64 of its bytes.
_DUMP_DESCRIPTORS = """
import base64, json
from google.protobuf import descriptor_pb2
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2
from ml_metadata.simple_types.proto import simple_types_pb2
out = {}
for module in (metadata_store_pb2, metadata_store_service_pb2, simple_types_pb2):
    proto = descriptor_pb2.FileDescriptorProto()
    module.DESCRIPTOR.CopyToProto(proto)
    out[proto.name] = base64.b64encode(proto.SerializeToString()).decode()
print(json.dumps(out))
"""

# Runs in the oracle: for each case, reads our bytes and its own text, and answers with what it
# makes of both.
_ROUND_TRIP = """
import base64, json, sys
from google.protobuf import descriptor_pool, text_format
from google.protobuf import message_factory
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2
from ml_metadata.simple_types.proto import simple_types_pb2
answers = []
for case in json.load(sys.stdin):
    cls = message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(case["type"]))
    from_ours = cls.FromString(base64.b64decode(case["bytes"]))
    from_text = text_format.Parse(case["text"], cls())
    answers.append({
        "text_of_our_bytes": text_format.MessageToString(from_ours, as_utf8=True),
        "bytes_of_text": base64.b64encode(from_text.SerializeToString(deterministic=True)).decode(),
    })
print(json.dumps(answers))
"""


def _run_oracle(script: str, stdin: str = "") -> Any:
    """Runs `script` in the oracle interpreter and returns its JSON output."""
    proc = subprocess.run(
        [ORACLE_PYTHON, "-I", "-c", script],  # -I: never see this checkout or PYTHONPATH
        input=stdin, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, f"oracle script failed:\n{proc.stderr}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def oracle() -> str:
    """Path of the oracle interpreter; skips when it is missing or lacks ml-metadata."""
    if not Path(ORACLE_PYTHON).exists():
        pytest.skip(f"oracle interpreter {ORACLE_PYTHON} not found; run `make oracle` or set "
                    "FASTMLMD_ORACLE_PYTHON to a Python that has ml-metadata==1.17.1")
    probe = subprocess.run([ORACLE_PYTHON, "-I", "-c", "import ml_metadata; print(ml_metadata.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != "1.17.1":
        last_line = (probe.stderr.strip().splitlines() or [probe.stdout.strip()])[-1]
        pytest.skip(f"{ORACLE_PYTHON} cannot import ml-metadata 1.17.1: {last_line}")
    return ORACLE_PYTHON


@pytest.fixture(scope="module")
def oracle_descriptors(oracle: str) -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """The real FileDescriptorProtos, keyed by file name."""
    dumped = _run_oracle(_DUMP_DESCRIPTORS)
    return {name: descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(data))
            for name, data in dumped.items()}


def _normalized(proto: descriptor_pb2.FileDescriptorProto) -> descriptor_pb2.FileDescriptorProto:
    """A copy without parts that carry no wire or API meaning (comments, JSON names)."""
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(proto)
    copy.ClearField("source_code_info")

    def strip(message: descriptor_pb2.DescriptorProto) -> None:
        for field in message.field:
            field.ClearField("json_name")
        for nested in message.nested_type:
            strip(nested)

    for message in copy.message_type:
        strip(message)
    return copy


def _key(item: Message) -> str | None:
    """Names identify repeated descriptor parts (fields, messages, values, methods)."""
    descriptor = item.DESCRIPTOR
    if "name" in descriptor.fields_by_name and item.HasField("name"):
        return item.name
    return None


def descriptor_differences(ours: Message, theirs: Message, path: str = "") -> list[str]:
    """Lists every difference between two descriptor messages, one readable line each.

    Repeated named parts are matched by name, so a missing field reads as missing rather than as
    every later field shifted; their order is compared separately.
    """
    out: list[str] = []
    ours_set = {fd.full_name: (fd, value) for fd, value in ours.ListFields()}
    theirs_set = {fd.full_name: (fd, value) for fd, value in theirs.ListFields()}
    for full_name in sorted(ours_set.keys() | theirs_set.keys()):
        fd, ours_value = ours_set.get(full_name, (None, None))
        fd2, theirs_value = theirs_set.get(full_name, (None, None))
        fd = fd or fd2
        where = f"{path}.{fd.name}" if path else fd.name
        if ours_value is None or theirs_value is None:
            shown = ours_value if theirs_value is None else theirs_value
            side = "only ours" if theirs_value is None else "only upstream"
            out.append(f"{where}: {side} has {_short(shown)}")
        elif _is_repeated(fd) and fd.message_type is not None:
            out += _repeated_differences(list(ours_value), list(theirs_value), where)
        elif fd.message_type is not None:
            out += descriptor_differences(ours_value, theirs_value, where)
        elif _is_repeated(fd):
            if list(ours_value) != list(theirs_value):
                out.append(f"{where}: ours {list(ours_value)} != upstream {list(theirs_value)}")
        elif ours_value != theirs_value:
            out.append(f"{where}: ours {ours_value!r} != upstream {theirs_value!r}")
    return out


def _is_repeated(fd: Any) -> bool:
    # protobuf 7 dropped FieldDescriptor.label; 4.25 has no is_repeated.
    if hasattr(fd, "is_repeated"):
        return bool(fd.is_repeated)
    return fd.label == fd.LABEL_REPEATED


def _repeated_differences(ours: list[Message], theirs: list[Message], where: str) -> list[str]:
    ours_keys, theirs_keys = [_key(m) for m in ours], [_key(m) for m in theirs]
    if None in ours_keys or None in theirs_keys:  # unnamed parts (e.g. reserved ranges): by position
        if len(ours) != len(theirs):
            return [f"{where}: ours {[_short(m) for m in ours]} != upstream {[_short(m) for m in theirs]}"]
        return [line for i, (a, b) in enumerate(zip(ours, theirs))
                for line in descriptor_differences(a, b, f"{where}[{i}]")]
    out = [f"{where}[{k}]: missing in ours" for k in theirs_keys if k not in ours_keys]
    out += [f"{where}[{k}]: not in upstream" for k in ours_keys if k not in theirs_keys]
    by_name = dict(zip(theirs_keys, theirs))
    for key, item in zip(ours_keys, ours):
        if key in by_name:
            out += descriptor_differences(item, by_name[key], f"{where}[{key}]")
    common_ours = [k for k in ours_keys if k in by_name]
    common_theirs = [k for k in theirs_keys if k in ours_keys]
    if common_ours != common_theirs:
        out.append(f"{where}: declaration order ours {common_ours} != upstream {common_theirs}")
    return out


def _short(value: Any) -> str:
    text = text_format.MessageToString(value, as_one_line=True) if isinstance(value, Message) else repr(value)
    return text if len(text) < 200 else text[:200] + "..."


def test_descriptor_file_names() -> None:
    for name, module in OUR_MODULES.items():
        assert module.DESCRIPTOR.name == name
        assert module.DESCRIPTOR.package == "ml_metadata"


@pytest.mark.oracle
@pytest.mark.parametrize("file_name", sorted(OUR_MODULES))
def test_descriptor_matches_upstream(oracle_descriptors, file_name: str) -> None:
    ours = descriptor_pb2.FileDescriptorProto()
    OUR_MODULES[file_name].DESCRIPTOR.CopyToProto(ours)
    differences = descriptor_differences(_normalized(ours), _normalized(oracle_descriptors[file_name]))
    assert not differences, "\n".join(differences)


def _packed_any() -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(pb.Artifact(id=9, uri="gs://inner", state=pb.Artifact.DELETED))
    return packed


def _round_trip_cases() -> list[Message]:
    artifact = pb.Artifact(id=1, type_id=2, uri="gs://bucket/a", name="a", type="Dataset",
                           external_id="ext-1", state=pb.Artifact.LIVE,
                           create_time_since_epoch=1700000000000, last_update_time_since_epoch=1700000000001)
    artifact.properties["int"].int_value = -5
    artifact.properties["double"].double_value = 0.5
    artifact.properties["string"].string_value = "héllo"
    artifact.properties["bool"].bool_value = True
    artifact.properties["struct"].struct_value.update({"k": [1, "two", None, {"x": False}]})
    artifact.custom_properties["proto"].proto_value.CopyFrom(_packed_any())
    artifact.system_metadata.Pack(pb.Context(name="meta"))

    execution_type = pb.ExecutionType(name="Trainer", base_type=pb.ExecutionType.TRAIN,
                                      properties={"lr": pb.DOUBLE})
    execution_type.input_type.dict.properties["examples"].simple.name = "Examples"
    execution_type.input_type.dict.none_type_not_required = True
    execution_type.output_type.union_type.candidates.add().none.SetInParent()

    event = pb.Event(artifact_id=1, execution_id=2, type=pb.Event.OUTPUT, milliseconds_since_epoch=3)
    event.path.steps.add(index=0)
    event.path.steps.add(key="model")

    children = svc.GetChildrenContextsByContextsResponse()
    children.contexts[4].children_contexts.add(name="child")
    options = pb.ListOperationOptions(max_result_size=7, filter_query="uri = 'x'")
    options.order_by_field.field = pb.ListOperationOptions.OrderByField.CREATE_TIME
    options.order_by_field.is_asc = False

    return [
        artifact,
        execution_type,
        event,
        pb.ConnectionConfig(sqlite=pb.SqliteMetadataSourceConfig(
            filename_uri="/tmp/x.db", connection_mode=pb.SqliteMetadataSourceConfig.READWRITE)),
        options,
        pb.LineageSubgraphQueryOptions(
            starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="id = 1"),
            max_num_hops=3, direction=pb.LineageSubgraphQueryOptions.UPSTREAM),
        svc.PutLineageSubgraphResponse(execution_ids=[1, 2], artifact_ids=[3, 300], context_ids=[]),
        svc.GetParentContextsByContextsRequest(context_ids=[5, 6]),
        svc.PutArtifactsResponse(artifact_ids=[1, 2]),
        svc.PutArtifactTypeRequest(artifact_type=pb.ArtifactType(name="M", base_type=pb.ArtifactType.MODEL),
                                   can_add_fields=True, all_fields_match=False),
        children,
        simple_types_pb2.SimpleTypes(artifact_types=[pb.ArtifactType(name="mlmd.Dataset")]),
    ]


ROUND_TRIP_CASES = _round_trip_cases()


@pytest.fixture(scope="module")
def oracle_round_trips(oracle: str) -> list[dict[str, str]]:
    """The oracle's reading of every case: our bytes as its text, its text as its bytes."""
    cases = [{
        "type": message.DESCRIPTOR.full_name,
        "bytes": base64.b64encode(message.SerializeToString(deterministic=True)).decode(),
        "text": text_format.MessageToString(message),
    } for message in ROUND_TRIP_CASES]
    return _run_oracle(_ROUND_TRIP, json.dumps(cases))


@pytest.mark.oracle
@pytest.mark.parametrize("index", range(len(ROUND_TRIP_CASES)),
                         ids=[m.DESCRIPTOR.name for m in ROUND_TRIP_CASES])
def test_round_trip_with_upstream(oracle_round_trips, index: int) -> None:
    message = ROUND_TRIP_CASES[index]
    answer = oracle_round_trips[index]
    # Ours -> bytes -> upstream -> text: same text as ours prints (Any values expanded).
    assert answer["text_of_our_bytes"] == text_format.MessageToString(message, as_utf8=True)
    # Upstream text -> upstream bytes -> ours: the same message, and byte for byte the same.
    theirs = type(message).FromString(base64.b64decode(answer["bytes_of_text"]))
    assert theirs == message
    assert base64.b64decode(answer["bytes_of_text"]) == message.SerializeToString(deterministic=True)


def test_any_type_url_and_unpack() -> None:
    packed = _packed_any()
    assert packed.type_url == "type.googleapis.com/ml_metadata.Artifact"
    artifact = pb.Artifact()
    assert packed.Unpack(artifact) and artifact.uri == "gs://inner"
    assert "[type.googleapis.com/ml_metadata.Artifact]" in text_format.MessageToString(
        pb.Value(proto_value=packed))


@pytest.mark.parametrize(
    ("message", "wire"),
    [
        pytest.param(svc.PutLineageSubgraphResponse(execution_ids=[1, 2]), b"\x0a\x02\x01\x02", id="packed"),
        pytest.param(svc.GetChildrenContextsByContextsRequest(context_ids=[1, 2]), b"\x0a\x02\x01\x02",
                     id="packed-request"),
        pytest.param(svc.PutArtifactsResponse(artifact_ids=[1, 2]), b"\x08\x01\x08\x02", id="unpacked"),
        pytest.param(pb.ListOperationNextPageToken(listed_ids=[1, 2]), b"\x20\x01\x20\x02", id="unpacked-token"),
    ],
)
def test_packed_only_where_upstream_packs(message: Message, wire: bytes) -> None:
    assert message.SerializeToString() == wire


@pytest.mark.parametrize(
    ("message", "field", "expected"),
    [
        pytest.param(pb.ListOperationOptions(), "max_result_size", 20, id="max_result_size"),
        pytest.param(pb.ListOperationOptions.OrderByField(), "field", pb.ListOperationOptions.OrderByField.ID,
                     id="order-field"),
        pytest.param(pb.ListOperationOptions.OrderByField(), "is_asc", True, id="is_asc"),
        pytest.param(pb.MigrationOptions(), "downgrade_to_schema_version", -1, id="downgrade"),
        pytest.param(pb.LineageGraphQueryOptions(), "max_node_size", 20, id="max_node_size"),
        pytest.param(pb.LineageSubgraphQueryOptions.EndingNodes(), "include_ending_nodes", False,
                     id="include_ending_nodes"),
        pytest.param(svc.PutArtifactTypeRequest(), "all_fields_match", True, id="all_fields_match"),
        pytest.param(svc.GetArtifactsByIDRequest(), "populate_artifact_types", False, id="populate_types"),
    ],
)
def test_defaults(message: Message, field: str, expected: object) -> None:
    assert getattr(message, field) == expected
    assert not message.HasField(field)


@pytest.mark.parametrize(
    ("enum", "names"),
    [
        pytest.param(pb.ArtifactType.SystemDefinedBaseType,
                     {"UNSET": "unset_artifact_type", "DATASET": "mlmd.Dataset", "MODEL": "mlmd.Model",
                      "METRICS": "mlmd.Metrics", "STATISTICS": "mlmd.Statistics"}, id="artifact"),
        pytest.param(pb.ExecutionType.SystemDefinedBaseType,
                     {"UNSET": "unset_execution_type", "TRAIN": "mlmd.Train", "TRANSFORM": "mlmd.Transform",
                      "PROCESS": "mlmd.Process", "EVALUATE": "mlmd.Evaluate", "DEPLOY": "mlmd.Deploy"},
                     id="execution"),
        pytest.param(pb.ContextType.SystemDefinedBaseType, {"UNSET": "unset_context_type"}, id="context"),
    ],
)
def test_system_type_extension(enum: Any, names: dict[str, str]) -> None:
    assert pb.system_type_extension.number == 384560917
    assert pb.system_type_extension.containing_type.full_name == "google.protobuf.EnumValueOptions"
    found = {value.name: value.GetOptions().Extensions[pb.system_type_extension].type_name
             for value in enum.DESCRIPTOR.values}
    assert found == names


def test_package_reexports() -> None:
    import ml_metadata.proto as proto

    expected = ["Artifact", "ArtifactType", "Association", "Attribution", "ConnectionConfig", "Context",
                "ContextType", "Event", "Execution", "ExecutionType", "FakeDatabaseConfig",
                "MetadataStoreClientConfig", "MySQLDatabaseConfig", "ParentContext", "SqliteMetadataSourceConfig"]
    for name in expected:
        assert getattr(proto, name) is getattr(pb, name)
    assert sorted(proto.__all__) == sorted(expected)


def test_package_does_not_need_grpc() -> None:
    """Importing ml_metadata.proto loads no gRPC code (grpcio is optional)."""
    script = (
        "import sys, types\n"
        "package = types.ModuleType('ml_metadata'); package.__path__ = [sys.argv[1]]\n"
        "sys.modules['ml_metadata'] = package  # skip ml_metadata/__init__: only the proto package is tested\n"
        "import ml_metadata.proto\n"
        "loaded = [name for name in sys.modules if name == 'grpc' or name.endswith('_pb2_grpc')]\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(ROOT / "bindings")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_committed_modules_are_current() -> None:
    """The committed gencode matches the .proto files (regenerating needs grpcio-tools, so opt-in)."""
    if os.environ.get("FASTMLMD_CHECK_GENCODE") != "1":
        pytest.skip("set FASTMLMD_CHECK_GENCODE=1 to regenerate with protoc 25.1 and compare "
                    "(needs PyPI access the first time)")
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_protos.py"), "--check"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
