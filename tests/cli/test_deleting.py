"""delete and gc: in-process through main(argv), as the installed script on SQLite, and on MariaDB."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import fill_pipeline, run_script

# The store (conftest.store_path): run r has data (artifact 2r+1) -> train (execution 2r+1) -> model
# (artifact 2r+2) -> eval (execution 2r+2), all in context r+1.


def _api(path: Path) -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    return metadata_store.MetadataStore(config)


def _state(store: metadata_store.MetadataStore) -> Dict[str, Any]:
    executions = store.get_executions()
    contexts = store.get_contexts()
    return {"artifacts": [a.id for a in store.get_artifacts()], "executions": [e.id for e in executions],
            "contexts": [c.id for c in contexts],
            "events": [(e.artifact_id, e.execution_id, e.type)
                       for e in store.get_events_by_execution_ids([e.id for e in executions])],
            "links": [(c.id, sorted(a.id for a in store.get_artifacts_by_context(c.id)),
                       sorted(e.id for e in store.get_executions_by_context(c.id))) for c in contexts]}


def test_delete_without_cascade_is_refused_in_one_line(run, store_path) -> None:
    before = _state(_api(store_path))
    ran = run("--store", str(store_path), "delete", "execution", "1")
    assert ran.status == 1 and ran.out == ""
    assert ran.err == ("fastmlmd: error: FailedPreconditionError: Cannot delete execution 1: it has 2 events, 1 "
                       "association; delete with cascade=True (fastmlmd delete --cascade) to delete the edges with "
                       "the nodes\n")
    assert _state(_api(store_path)) == before


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl"])
def test_a_dry_run_changes_nothing(run, store_path, fmt: str) -> None:
    before = _state(_api(store_path))
    ran = run("--store", str(store_path), "delete", "executions", "1", "3", "--cascade", "--orphans", "--dry-run",
              "--format", fmt)
    assert ran.status == 0, ran.err
    assert _state(_api(store_path)) == before
    if fmt == "table":
        assert ran.out.splitlines()[0] == "would delete (dry run: nothing was deleted)"
        assert ran.out.splitlines()[3].split() == ["executions", "2", "1,", "3"]


def test_delete_json_answers_as_the_api_does(run, store_path, tmp_path) -> None:
    twin = tmp_path / "twin.db"
    fill_pipeline(_api(twin))
    expected = _api(twin).delete_nodes(context_ids=[1], cascade=True, delete_orphans=True).to_dict()
    ran = run("--store", str(store_path), "delete", "context", "1", "--cascade", "--orphans", "--format", "json")
    assert ran.status == 0, ran.err
    assert ran.json() == expected and expected["context_ids"] == [1]
    assert _state(_api(store_path)) == _state(_api(twin))


def test_cascade_leaves_no_dangling_event_or_link(run, store_path) -> None:
    ran = run("--store", str(store_path), "delete", "artifact", "2", "--cascade", "--format", "jsonl")
    assert ran.status == 0, ran.err
    assert ran.lines() == [
        {"kind": "artifact", "id": 2, "orphan": False},
        {"kind": "event", "artifact_id": 2, "execution_id": 1, "type": "OUTPUT"},
        {"kind": "event", "artifact_id": 2, "execution_id": 2, "type": "INPUT"},
        {"kind": "attribution", "context_id": 1, "artifact_id": 2}]
    state = _state(_api(store_path))
    assert state["artifacts"] == [1, 3, 4]
    assert all(artifact in state["artifacts"] and execution in state["executions"]
               for artifact, execution, _ in state["events"])
    assert state["links"][0] == (1, [1], [1, 2])


def test_gc_keeps_the_lineage_of_kept_nodes(run, store_path) -> None:
    api = _api(store_path)
    expected = api.collect_garbage(type_names=["Model"], keep_lineage_of=[("artifact", 4)], dry_run=True)
    ran = run("--store", str(store_path), "gc", "--type", "Model", "--keep-lineage-of", "artifact:4", "--dry-run",
              "--format", "json")
    assert ran.status == 0, ran.err
    assert ran.json() == expected.to_dict() and ran.json()["artifact_ids"] == [2]
    gone = run("--store", str(store_path), "gc", "--older-than", "0s", "--keep-lineage-of", "context:2",
               "--format", "jsonl")
    assert gone.status == 0, gone.err
    assert [(row["kind"], row["id"]) for row in gone.lines() if "id" in row] == [
        ("artifact", 1), ("artifact", 2), ("execution", 1), ("execution", 2), ("context", 1)]
    assert _state(_api(store_path))["artifacts"] == [3, 4]


def test_gc_is_told_what_to_collect(run, store_path) -> None:
    older = run("--store", str(store_path), "gc", "--older-than", "30d", "--format", "json")
    assert older.status == 0 and older.json()["artifact_ids"] == []  # the store was made just now
    for argv, message in [([], "gc needs at least one of --older-than, --type or --keep-lineage-of"),
                          (["--older-than", "3 days"], "--older-than takes a number and a unit"),
                          (["--keep-lineage-of", "artifact"], "--keep-lineage-of takes KIND:ID"),
                          (["--keep-lineage-of", "model:1"], "unknown kind 'model'"),
                          (["--keep-lineage-of", "artifact:99"], "NotFoundError: No artifact with the given id 99")]:
        ran = run("--store", str(store_path), "gc", *argv)
        assert ran.status == 1 and ran.err.count("\n") == 1 and message in ran.err, (argv, ran.err)


def test_script_deletes_and_collects(store_path) -> None:
    url = f"sqlite:///{store_path}"
    done = run_script("--store", url, "delete", "execution", "4", "--cascade", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [row["kind"] for row in _lines(done.stdout)] == ["execution", "event", "association"]
    refused = run_script("--store", url, "delete", "context", "2")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    gc = run_script("gc", "--type", "Dataset", "--format", "json", env={"FASTMLMD_STORE": url})
    assert gc.returncode == 0, gc.stderr
    assert _state(_api(store_path))["artifacts"] == [2, 4]
    assert "--keep-lineage-of" in run_script("gc", "--help").stdout


def _lines(text: str) -> List[Any]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.server
def test_script_deletes_on_mariadb() -> None:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api"))
    import server_stores

    config = server_stores.mysql_stores().config()
    fill_pipeline(metadata_store.MetadataStore(config))
    url = f"mysql://{config.mysql.user}@{config.mysql.host}:{config.mysql.port}/{config.mysql.database}"
    dry = run_script("--store", url, "delete", "context", "1", "--cascade", "--dry-run", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    done = run_script("--store", url, "delete", "context", "1", "--cascade", "--orphans", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert {**_json(dry.stdout), "dry_run": False} == _json(done.stdout)
    gc = run_script("--store", url, "gc", "--type", "Model", "--format", "jsonl")
    assert gc.returncode == 0, gc.stderr
    store = metadata_store.MetadataStore(config)
    assert [a.name for a in store.get_artifacts()] == ["data-0", "data-1"]
    assert store.get_events_by_artifact_ids([1, 3]) and not store.get_events_by_execution_ids([2, 4])


def _json(text: str) -> Any:
    return json.loads(text)
