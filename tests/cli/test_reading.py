"""ls, show, events, explain and stats, in-process through main(argv) and as the installed script."""
from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import json_format

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import run_script


def _api(path: Path) -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    return metadata_store.MetadataStore(config)


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        pytest.param(["artifacts"], metadata_store.ListOptions(), id="all"),
        pytest.param(["artifacts", "--filter", "uri LIKE 'gs://model/%'"],
                     metadata_store.ListOptions(filter_query="uri LIKE 'gs://model/%'"), id="filter"),
        pytest.param(["executions", "--order-by", "create_time", "--desc", "--limit", "3"],
                     metadata_store.ListOptions(order_by=metadata_store.OrderByField.CREATE_TIME, is_asc=False,
                                                limit=3), id="order-limit"),
        pytest.param(["artifacts", "--type", "Model", "--filter", "name = 'model-1'"],
                     metadata_store.ListOptions(filter_query="type = 'Model' AND name = 'model-1'"), id="type"),
        pytest.param(["contexts", "--filter", "artifacts_a.name = 'model-1' OR name = 'run-0'"],
                     metadata_store.ListOptions(filter_query="artifacts_a.name = 'model-1' OR name = 'run-0'"),
                     id="contexts"),
    ],
)
def test_ls_json_answers_as_the_api_does(run, store_path, argv, options) -> None:
    ran = run("--store", f"sqlite:///{store_path}", "ls", *argv, "--format", "json")
    assert ran.status == 0, ran.err
    getter = {"artifacts": "get_artifacts", "executions": "get_executions", "contexts": "get_contexts"}[argv[0]]
    expected = getattr(_api(store_path), getter)(list_options=options)
    assert ran.json() == [json_format.MessageToDict(n, preserving_proto_field_name=True) for n in expected]
    assert ran.json(), "the case should list something"


def test_ls_table_and_jsonl(run, store_path) -> None:
    table = run("--store", str(store_path), "ls", "artifacts")
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "NAME", "URI", "STATE", "CREATED", "PROPERTIES"]
    assert [line.split()[:4] for line in lines[1:3]] == [["1", "Dataset", "data-0", "gs://data/0"],
                                                        ["2", "Model", "model-0", "gs://model/0"]]
    assert '{"rows":"100"}' in lines[1] and '{"accuracy":0.5}' in lines[2]
    jsonl = run("--store", str(store_path), "ls", "executions", "--format", "jsonl")
    assert [row["name"] for row in jsonl.lines()] == ["train-0", "eval-0", "train-1", "eval-1"]


def test_a_table_fits_the_terminal(run, store_path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    ran = run("--store", str(store_path), "ls", "artifacts")
    assert ran.status == 0 and max(len(line) for line in ran.out.splitlines()) <= 50
    assert "…" in ran.out


def test_ls_types(run, store_path) -> None:
    ran = run("--store", str(store_path), "ls", "types", "--format", "jsonl")
    assert [(row["kind"], row["name"]) for row in ran.lines()] == [
        ("artifact", "Dataset"), ("artifact", "Model"), ("execution", "Trainer"), ("execution", "Evaluator"),
        ("context", "run")]
    only = run("--store", str(store_path), "ls", "types", "--type", "context", "--format", "jsonl")
    assert [row["name"] for row in only.lines()] == ["run"]


def test_show_and_events(run, store_path) -> None:
    shown = run("--store", str(store_path), "show", "artifact", "2", "--format", "json").json()
    assert (shown["name"], shown["contexts"]) == ("model-0", [1])
    context = run("--store", str(store_path), "show", "context", "2", "--format", "json").json()
    assert (context["name"], context["parent_contexts"], context["child_contexts"]) == ("run-1", [], [])
    events = run("--store", str(store_path), "events", "artifact", "2", "--format", "json").json()
    assert [(e["execution_id"], e["type"]) for e in events] == [("1", "OUTPUT"), ("2", "INPUT")]
    table = run("--store", str(store_path), "events", "execution", "1").out.splitlines()
    assert table[0].split() == ["ARTIFACT_ID", "EXECUTION_ID", "TYPE", "PATH", "TIME"]
    assert table[1].split()[:4] == ["1", "1", "INPUT", "examples"]
    assert table[2].split()[:3] == ["2", "1", "OUTPUT"] and len(table) == 3


def test_explain(run, store_path) -> None:
    ran = run("--store", str(store_path), "explain", "artifacts", "contexts_a.name = 'run-1' AND uri LIKE 'gs://%'")
    assert ran.status == 0
    assert ran.out.startswith("filter: contexts_a.name = 'run-1' AND uri LIKE 'gs://%'\n")
    assert "access:" in ran.out


def test_stats(run, store_path) -> None:
    stats = run("--store", str(store_path), "stats", "--format", "json").json()
    counts = {(row["kind"], row["type"]): row["count"] for row in stats["types"]}
    assert counts == {("artifact", "Dataset"): 2, ("artifact", "Model"): 2, ("execution", "Trainer"): 2,
                      ("execution", "Evaluator"): 2, ("context", "run"): 2}
    assert stats["nodes"] == 10 and stats["size_bytes"] >= store_path.stat().st_size > 0
    from fastmlmd.engine.schema import SCHEMA_VERSION
    assert stats["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["show", "artifact", "99"], "no artifact with id 99", id="unknown-id"),
        pytest.param(["show", "widget", "1"], "unknown kind 'widget'", id="unknown-kind"),
        pytest.param(["ls", "artifacts", "--filter", "uri LIKE"], "InvalidArgumentError: Invalid `filter_query`",
                     id="bad-filter"),
        pytest.param(["ls", "artifacts", "--order-by", "name"], "--order-by takes id", id="bad-order"),
        pytest.param(["events", "context", "1"], "events belong to artifacts", id="context-events"),
        pytest.param(["ls", "types", "--filter", "name = 'x'"], "--filter, --order-by and --desc list nodes",
                     id="types-filter"),
        pytest.param(["ls", "types", "--type", "Model"], "--type takes artifact, execution or context",
                     id="types-type"),
    ],
)
def test_errors_are_one_line(run, store_path, argv, message) -> None:
    ran = run("--store", str(store_path), *argv)
    assert ran.status == 1 and ran.out == ""
    assert ran.err.count("\n") == 1 and ran.err.startswith("fastmlmd: error: ") and message in ran.err


def test_no_store_is_an_error(run) -> None:
    ran = run("ls", "artifacts")
    assert ran.status == 1 and "FASTMLMD_STORE" in ran.err


# The installed console script, end to end.

def test_script_reads_the_store_from_the_environment(store_path) -> None:
    done = run_script("ls", "contexts", "--format", "jsonl", env={"FASTMLMD_STORE": f"sqlite:///{store_path}"})
    assert done.returncode == 0, done.stderr
    assert [line.count('"name"') for line in done.stdout.splitlines()] == [1, 1]


def test_script_store_option_after_the_command(store_path) -> None:
    done = run_script("stats", "--store", str(store_path))
    assert done.returncode == 0 and "schema_version:" in done.stdout and done.stderr == ""


@pytest.mark.parametrize(
    ("store", "message"),
    [
        pytest.param("mysql://root@localhost:3306/mlmd", "mysql", id="mysql"),
        pytest.param("postgresql://127.0.0.1:1/mlmd", "postgresql", id="postgresql"),  # no server: never made
        pytest.param("grpc://localhost:1", "gRPC", id="grpc"),
    ],
)
def test_script_backends_answer_through_the_api(store, message) -> None:
    # Whatever the API answers for these configs (an error until their backends land) comes out as one line.
    done = run_script("--store", store, "stats")
    if done.returncode == 0:
        pytest.skip(f"a {message} store answered here")
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("fastmlmd: error: ")


def test_script_usage_error_is_one_line() -> None:
    done = run_script("ls", "widgets")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "invalid choice" in done.stderr
