"""serve, convert and bench as `fastmlmd` subcommands: the installed script hands them their own arguments."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from fastmlmd.cli.front_doors import front_door
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import run_script, script

TESTS = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("argv", "door"),
    [
        pytest.param(["serve", "--grpc_port=0"], ("serve", ["--grpc_port=0"]), id="serve"),
        pytest.param(["--store", "memory:", "bench", "--help"], ("bench", ["--help"]), id="store-before"),
        pytest.param(["--store=memory:", "convert", "a", "b"], ("convert", ["a", "b"]), id="store-equals"),
        pytest.param(["ls", "artifacts"], None, id="own-command"),
        pytest.param(["--store", "serve", "ls", "types"], None, id="store-named-serve"),
    ],
)
def test_front_door_finds_the_subcommand_after_the_store_option(argv, door) -> None:  # noqa: ANN001
    assert front_door(argv) == door


def test_help_lists_them() -> None:
    run = run_script("--help")
    assert run.returncode == 0
    for name in ("serve", "convert", "bench"):
        assert f"fastmlmd {name} --help" in " ".join(run.stdout.split())


@pytest.mark.parametrize(("name", "usage"), [("serve", "--grpc_port"), ("convert", "SRC DST"), ("bench", "--scale")])
def test_each_answers_its_own_help(name: str, usage: str) -> None:
    run = run_script(name, "--help")
    assert run.returncode == 0 and usage in run.stdout, run.stderr


def test_serve_runs_the_grpc_server() -> None:
    pytest.importorskip("grpc", reason="the server needs grpcio (pip install 'fastmlmd[server]')")
    sys.path.insert(0, str(TESTS / "server"))
    from server_kit import ServerProcess

    server = ServerProcess(command=[*script(), "serve"])
    try:
        store = metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=server.port))
        type_id = store.put_artifact_type(pb.ArtifactType(name="Dataset"))
        [artifact_id] = store.put_artifacts([pb.Artifact(type_id=type_id, uri="/data/1")])
        assert [a.uri for a in store.get_artifacts_by_id([artifact_id])] == ["/data/1"]
    finally:
        assert server.terminate() == 0, server.log


def test_bench_runs_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    run = run_script("bench", "--scale", "tiny", "--backend", "memory", "--in-process", "--no-floor",
                     "--budget", "0.05", "--only", "read_types", "--json", str(out))
    assert run.returncode == 0, run.stderr
    doc = json.loads(out.read_text())
    assert doc["meta"]["scale"] == "tiny"
    assert doc["results"]["memory"]["ours"]["results"]["read_types"]["items"] > 0


def test_an_unknown_flag_fails_as_the_tool_says() -> None:
    run = run_script("serve", "--no_such_flag")
    assert run.returncode != 0 and "no_such_flag" in run.stderr
