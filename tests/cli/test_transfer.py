"""export, import and copy: exact round trips with ids kept, remapped imports, and their errors."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Callable, List

import pytest
from google.protobuf import any_pb2, struct_pb2

from fastmlmd.cli.records import store_records, to_line
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import fill_pipeline, run_script, script


def _open(path: Path) -> metadata_store.MetadataStore:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    return metadata_store.MetadataStore(config)


def fill_everything(store: metadata_store.MetadataStore, backend: str = "sqlite") -> None:
    """Every kind of record and field an export carries, hard ones included (those `backend` can hold: MySQL's
    DOUBLE has no infinity, PostgreSQL's text no NUL)."""
    fill_pipeline(store)
    typed = pb.ArtifactType(name="Typed", version="2", description="all kinds", external_id="ext-type",
                            base_type=pb.ArtifactType.MODEL)
    for name, kind in (("i", pb.INT), ("d", pb.DOUBLE), ("s", pb.STRING), ("st", pb.STRUCT), ("p", pb.PROTO),
                       ("b", pb.BOOLEAN)):
        typed.properties[name] = kind
    typed_id = store.put_artifact_type(typed)
    step = pb.ExecutionType(name="Step", base_type=pb.ExecutionType.TRAIN)
    step.input_type.any.SetInParent()
    step.output_type.none.SetInParent()
    step_id = store.put_execution_type(step)
    node = pb.Artifact(type_id=typed_id, uri=_NUL_URI.get(backend, "s3://x/\x00nul"), name="typed\N{SNOWMAN}",
                       external_id="ext-a", state=pb.Artifact.LIVE)
    node.properties["i"].int_value = -(2 ** 63)
    node.properties["d"].double_value = 0.1 + 0.2
    node.properties["s"].string_value = "quote ' \" and \\ and \n"
    node.properties["st"].struct_value.CopyFrom(struct_pb2.Struct(fields={"k": struct_pb2.Value(number_value=1.5)}))
    node.properties["p"].proto_value.Pack(struct_pb2.Value(string_value="packed"))
    node.properties["b"].bool_value = True
    node.custom_properties["inf"].double_value = -1e308 if backend == "mysql" else float("inf")
    event = pb.Event(type=pb.Event.DECLARED_OUTPUT, milliseconds_since_epoch=12345)
    event.path.steps.add().index = 3
    event.path.steps.add().key = "out"
    parent_type = store.put_context_type(pb.ContextType(name="project", external_id="ext-ctype"))
    _, _, (child, parent) = store.put_execution(
        pb.Execution(type_id=step_id, name="step", external_id="ext-e"), [(node, event)],
        [pb.Context(type_id=parent_type, name="child"), pb.Context(type_id=parent_type, name="parent")])
    store.put_parent_contexts([pb.ParentContext(child_id=child, parent_id=parent),
                               pb.ParentContext(child_id=1, parent_id=parent)])


@pytest.fixture
def rich_path(tmp_path: Path) -> Path:
    path = tmp_path / "rich.db"
    fill_everything(_open(path))
    return path


_NUL_URI = {"postgresql": "s3://x/nul"}


def _getters(store: metadata_store.MetadataStore, backend: str = "sqlite") -> List[Any]:
    """What the public getters answer about a store (`fill_everything`'s on `backend`), in one comparable list."""
    answers: List[Any] = [store.get_artifact_types(), store.get_execution_types(), store.get_context_types(),
                          store.get_artifacts(), store.get_executions(), store.get_contexts()]
    artifact_ids = [a.id for a in store.get_artifacts()]
    execution_ids = [e.id for e in store.get_executions()]
    answers += [store.get_events_by_artifact_ids(artifact_ids), store.get_events_by_execution_ids(execution_ids)]
    for context in store.get_contexts():
        answers += [store.get_artifacts_by_context(context.id), store.get_executions_by_context(context.id),
                    store.get_parent_contexts_by_context(context.id), store.get_children_contexts_by_context(context.id)]
    answers += [store.get_contexts_by_artifact(i) for i in artifact_ids]
    pattern = "'%/nul'" if backend in _NUL_URI else "'%/\x00%'"
    answers.append(store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=f"uri LIKE {pattern}")))
    return answers


def test_round_trip_is_exact(run, rich_path, tmp_path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert run("--store", str(rich_path), "export", str(first)).status == 0
    copy = tmp_path / "copy.db"
    ran = run("--store", f"sqlite:///{copy}", "import", str(first))
    assert ran.status == 0, ran.err
    assert run("--store", str(copy), "export", str(second)).status == 0
    assert first.read_bytes() == second.read_bytes()
    assert _getters(_open(copy)) == _getters(_open(rich_path))
    kinds = [next(iter(json.loads(line))) for line in first.read_text().splitlines()]
    assert kinds[0] == "fastmlmd_export" and set(kinds[1:]) == {
        "artifact_type", "execution_type", "context_type", "context", "artifact", "execution", "event",
        "attribution", "association", "parent_context"}


def test_ids_and_times_are_kept_where_the_api_would_give_others(run, store_path, tmp_path) -> None:
    exported = tmp_path / "all.jsonl"
    run("--store", str(store_path), "export", str(exported))
    # Keep only the second run: artifacts 3, 4, executions 3, 4, context 2, and what links them.
    wanted = {("artifact", "3"), ("artifact", "4"), ("execution", "3"), ("execution", "4"), ("context", "2")}
    keep = []
    for line in exported.read_text().splitlines():
        kind, body = next(iter(json.loads(line).items()))
        if (kind == "fastmlmd_export" or kind.endswith("_type") or (kind, body.get("id")) in wanted
                or kind == "event" and body["artifact_id"] in ("3", "4")
                or kind in ("attribution", "association") and body["context_id"] == "2"):
            keep.append(line)
    part = tmp_path / "part.jsonl"
    part.write_text("\n".join(keep) + "\n")
    target = tmp_path / "part.db"
    assert run("--store", str(target), "import", str(part)).status == 0, "import failed"
    copied, source = _open(target), _open(store_path)
    assert [a.id for a in copied.get_artifacts()] == [3, 4]
    assert copied.get_artifacts() == source.get_artifacts_by_id([3, 4])
    assert copied.get_executions() == source.get_executions_by_id([3, 4])
    assert copied.get_contexts() == source.get_contexts_by_id([2])
    assert copied.get_events_by_execution_ids([3, 4]) == source.get_events_by_execution_ids([3, 4])
    # The store goes on from there: a new artifact takes the next id.
    assert copied.put_artifacts([pb.Artifact(type_id=10, uri="new")]) == [5]


def test_kept_ids_need_an_empty_store(run, store_path, tmp_path) -> None:
    exported = tmp_path / "e.jsonl"
    run("--store", str(store_path), "export", str(exported))
    before = _getters(_open(store_path))
    ran = run("--store", str(store_path), "import", str(exported))
    assert ran.status == 1 and "--remap-ids" in ran.err and ran.err.count("\n") == 1
    assert _getters(_open(store_path)) == before


def test_remapped_import_into_a_store_with_nodes(run, store_path, tmp_path) -> None:
    exported = tmp_path / "e.jsonl"
    run("--store", str(store_path), "export", str(exported))
    target = tmp_path / "busy.db"
    busy = _open(target)
    other = busy.put_artifact_type(pb.ArtifactType(name="Other"))
    busy.put_artifacts([pb.Artifact(type_id=other, uri=f"o{i}") for i in range(3)])
    ran = run("--store", str(target), "import", "--remap-ids", str(exported))
    assert ran.status == 0, ran.err
    copied = _open(target)
    source = _open(store_path)
    assert [a.uri for a in copied.get_artifacts()][3:] == [a.uri for a in source.get_artifacts()]
    model = copied.get_artifact_by_type_and_name("Model", "model-1", type_version="v1")
    assert model.id == 7  # 4th artifact of the source, after the store's own three
    assert [(e.execution_id, e.type) for e in copied.get_events_by_artifact_ids([model.id])] == [
        (3, pb.Event.OUTPUT), (4, pb.Event.INPUT)]
    assert [c.name for c in copied.get_contexts_by_artifact(model.id)] == ["run-1"]


def test_copy_between_stores(run, rich_path, tmp_path) -> None:
    target = tmp_path / "copied.db"
    ran = run("copy", f"sqlite:///{rich_path}", f"sqlite:///{target}")
    assert ran.status == 0 and ran.err == ""  # no progress: stderr is not a terminal
    assert _getters(_open(target)) == _getters(_open(rich_path))


def test_paging_boundaries_change_nothing(rich_path) -> None:
    store = _open(rich_path)
    assert [to_line(*r) for r in store_records(store, page=1)] == [to_line(*r) for r in store_records(store)]
    assert [to_line(*r) for r in store_records(store, page=2)] == [to_line(*r) for r in store_records(store)]


def test_a_proto_value_of_an_unknown_type_travels_as_bytes(run, tmp_path) -> None:
    source = tmp_path / "any.db"
    store = _open(source)
    type_id = store.put_artifact_type(pb.ArtifactType(name="A"))
    node = pb.Artifact(type_id=type_id)
    node.custom_properties["p"].proto_value.CopyFrom(any_pb2.Any(type_url="type.example/no.Such", value=b"\x08\x01"))
    store.put_artifacts([node])
    exported = tmp_path / "any.jsonl"
    assert run("--store", str(source), "export", str(exported)).status == 0
    assert '"binary":' in exported.read_text()
    target = tmp_path / "any-copy.db"
    assert run("--store", str(target), "import", str(exported)).status == 0
    assert _open(target).get_artifacts() == store.get_artifacts()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('{"artifact": {"id": "1"', "e.jsonl:2: not a JSON line", id="broken-json"),
        pytest.param('["artifact"]', "a record is a JSON object", id="not-an-object"),
        pytest.param('{"widget": {}}', "a record names one of", id="unknown-kind"),
        pytest.param('{"artifact": {"colour": 1}}', "not a valid Artifact", id="unknown-field"),
        pytest.param('{"artifact": {"id": "1", "type_id": "77"}}', "NotFoundError", id="unknown-type"),
        pytest.param('{"fastmlmd_export": 9}', "export format 9", id="newer-format"),
    ],
)
def test_bad_input_is_one_line(run, tmp_path, text: str, message: str) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"fastmlmd_export": 1}\n' + text + "\n")
    ran = run("--store", str(tmp_path / "t.db"), "import", str(path))
    assert ran.status == 1 and ran.err.count("\n") == 1 and message in ran.err


def test_script_export_import_through_pipes(store_path, tmp_path) -> None:
    exported = run_script("--store", str(store_path), "export", "-")
    assert exported.returncode == 0 and exported.stderr == ""
    target = tmp_path / "piped.db"
    imported = run_script("--store", f"sqlite:///{target}", "import", "-", input=exported.stdout)
    assert imported.returncode == 0, imported.stderr
    again = run_script("--store", str(target), "export", "-")
    assert again.stdout == exported.stdout


def test_script_copy(store_path, tmp_path) -> None:
    done = run_script("copy", str(store_path), f"sqlite:///{tmp_path / 'c.db'}")
    assert done.returncode == 0 and done.stderr == ""
    assert _getters(_open(tmp_path / "c.db")) == _getters(_open(store_path))


class _Stopped(Exception):
    """Stands for whatever ends a copy part way: a kill, a lost connection."""


def _copy_stopped_after(run, monkeypatch, source: Path, target: Path, batches: int) -> bool:
    """Copies two records a batch and stops after `batches` batches; whether it stopped before the end."""
    from fastmlmd.cli import transfer

    written = []
    write = transfer.KeptIds.write

    def stopping(self, kind, messages) -> None:
        if len(written) == batches:
            raise _Stopped()
        write(self, kind, messages)
        written.append(kind)

    with monkeypatch.context() as patch:
        patch.setattr(transfer.KeptIds, "write", stopping)
        try:
            ran = run("copy", "--batch", "2", f"sqlite:///{source}", f"sqlite:///{target}")
        except _Stopped:
            return True
    assert ran.status == 0, ran.err
    return False


def _stop_and_resume_everywhere(run, monkeypatch, source: Path, tmp_path: Path) -> int:
    """Stops a copy of `source` after each batch in turn, resumes it, and checks the copy; the stops made."""
    expected = _getters(_open(source))
    stops = 0
    while True:
        target = tmp_path / f"stopped-{stops}.db"
        if not _copy_stopped_after(run, monkeypatch, source, target, stops):
            return stops
        held = [to_line(*r) for r in store_records(_open(target))]
        assert held != [to_line(*r) for r in store_records(_open(source))], "stopped too late to test anything"
        ran = run("copy", "--resume", "--batch", "2", f"sqlite:///{source}", f"sqlite:///{target}")
        assert ran.status == 0, (stops, ran.err)
        assert _getters(_open(target)) == expected, f"stopped after {stops} batches"
        stops += 1


def test_a_copy_stopped_after_any_batch_is_resumed_exactly(run, rich_path, tmp_path, monkeypatch) -> None:
    # every kind of record cut at a batch boundary or inside its stream
    assert _stop_and_resume_everywhere(run, monkeypatch, rich_path, tmp_path) > 20


def test_resume_past_executions_with_no_events(run, tmp_path, monkeypatch) -> None:
    source = tmp_path / "quiet.db"
    store = _open(source)
    artifact_type = store.put_artifact_type(pb.ArtifactType(name="A"))
    execution_type = store.put_execution_type(pb.ExecutionType(name="E"))
    [artifact] = store.put_artifacts([pb.Artifact(type_id=artifact_type)])
    executions = store.put_executions([pb.Execution(type_id=execution_type, name=f"e{i}") for i in range(5)])
    # The first page of executions (two a page) has no events; the last three have one each.
    store.put_events([pb.Event(artifact_id=artifact, execution_id=e, type=pb.Event.INPUT) for e in executions[2:]])
    [context] = store.put_contexts([pb.Context(type_id=store.put_context_type(pb.ContextType(name="C")), name="c")])
    store.put_attributions_and_associations([pb.Attribution(context_id=context, artifact_id=artifact)], [])
    assert _stop_and_resume_everywhere(run, monkeypatch, source, tmp_path) >= 6


def test_resuming_a_finished_copy_changes_nothing(rich_path, tmp_path) -> None:
    target = f"sqlite:///{tmp_path / 'done.db'}"
    assert run_script("copy", str(rich_path), target).returncode == 0
    again = run_script("copy", "--resume", str(rich_path), target)
    assert again.returncode == 0 and again.stderr == ""
    assert _getters(_open(tmp_path / "done.db")) == _getters(_open(rich_path))


def test_resume_refuses_a_target_that_is_another_store(run, rich_path, store_path, tmp_path) -> None:
    before = _getters(_open(store_path))
    ran = run("copy", "--resume", f"sqlite:///{rich_path}", f"sqlite:///{store_path}")
    assert ran.status == 1 and "not a part copy of this source" in ran.err and ran.err.count("\n") == 1
    assert _getters(_open(store_path)) == before
    ran = run("copy", "--resume", "--remap-ids", f"sqlite:///{rich_path}", f"sqlite:///{tmp_path / 'x.db'}")
    assert ran.status == 1 and "cannot be resumed" in ran.err


def test_copy_draws_a_bar_on_a_terminal_only(rich_path, tmp_path) -> None:
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run([*script(), "copy", "--batch", "2", str(rich_path), f"sqlite:///{tmp_path / 'tty.db'}"],
                              stdout=subprocess.PIPE, stderr=follower, timeout=120)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    text = shown.decode()
    assert "] " in text and "%" in text and "[#" in text, text
    assert text.rstrip().splitlines()[-1].split("\x1b[K")[-1].startswith("copied ")
