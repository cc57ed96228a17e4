"""Fixtures for the command's tests: a small SQLite store of one pipeline run, and a runner of `main(argv)`."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, List, NamedTuple

import pytest

from fastmlmd.cli.main import main
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


class Ran(NamedTuple):
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def lines(self) -> List[Any]:
        return [json.loads(line) for line in self.out.splitlines()]


def fill_pipeline(store: metadata_store.MetadataStore, runs: int = 2) -> None:
    """`runs` runs of a two-step pipeline: Trainer reads a dataset and writes a model, Evaluator reads it."""
    dataset = pb.ArtifactType(name="Dataset")
    dataset.properties["rows"] = pb.INT
    dataset_id = store.put_artifact_type(dataset)
    model_id = store.put_artifact_type(pb.ArtifactType(name="Model", version="v1"))
    trainer_id = store.put_execution_type(pb.ExecutionType(name="Trainer"))
    evaluator_id = store.put_execution_type(pb.ExecutionType(name="Evaluator"))
    run_id = store.put_context_type(pb.ContextType(name="run"))
    for run in range(runs):
        data = pb.Artifact(type_id=dataset_id, uri=f"gs://data/{run}", name=f"data-{run}")
        data.properties["rows"].int_value = 100 + run
        model = pb.Artifact(type_id=model_id, uri=f"gs://model/{run}", name=f"model-{run}")
        model.custom_properties["accuracy"].double_value = 0.5 + run / 10
        context = pb.Context(type_id=run_id, name=f"run-{run}")
        read = pb.Event(type=pb.Event.INPUT)
        read.path.steps.add().key = "examples"
        train = pb.Execution(type_id=trainer_id, name=f"train-{run}", last_known_state=pb.Execution.COMPLETE)
        _, (_, model_ref), (context_ref,) = store.put_execution(
            train, [(data, read), (model, pb.Event(type=pb.Event.OUTPUT))], [context])
        model.id = model_ref
        context.id = context_ref
        evaluate = pb.Execution(type_id=evaluator_id, name=f"eval-{run}")
        store.put_execution(evaluate, [(model, pb.Event(type=pb.Event.INPUT))], [context])


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """An SQLite store with two pipeline runs (ids: artifacts 1-4, executions 1-4, contexts 1-2)."""
    path = tmp_path / "store.db"
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    fill_pipeline(metadata_store.MetadataStore(config))
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    """Runs `main(argv)` in this process and returns its status and output."""
    monkeypatch.delenv("FASTMLMD_STORE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def invoke(*argv: str) -> Ran:
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse's own exits (--help, a bad option)
            status = int(exc.code or 0)
        captured = capsys.readouterr()
        return Ran(status, captured.out, captured.err)
    return invoke


def script() -> List[str]:
    """The installed console script, or the module when the script is not on this interpreter's path."""
    found = Path(sys.executable).parent / "fastmlmd"
    if found.exists():
        return [str(found)]
    which = shutil.which("fastmlmd")
    return [which] if which else [sys.executable, "-m", "fastmlmd.cli"]


def run_script(*argv: str, env: Any = None, **kwargs: Any) -> "subprocess.CompletedProcess[str]":
    """Runs the installed script; the store comes from `env` or the arguments, never from the caller's shell."""
    environment = {key: value for key, value in os.environ.items() if key != "FASTMLMD_STORE"}
    environment.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run([*script(), *argv], capture_output=True, text=True, env=environment, timeout=120,
                          **kwargs)


# Values a page must show as text, never as markup: tags, attribute breakouts, a script end inside a script.
HOSTILE_NAME = "<script>alert('name')</script>"
HOSTILE_URI = "\"><img src=x onerror=alert('uri')>"
HOSTILE_NOTE = "</td></tr></table><script>alert('note')</script><b onmouseover=alert(1)>x</b>"


@contextlib.contextmanager
def serving_ui(url: str) -> Iterator[str]:
    """The base URL of a `fastmlmd ui` server over the store `url`, in a thread, on an ephemeral port."""
    from fastmlmd.cli.ui_server import UiServer, open_read_only
    server = UiServer(open_read_only(url), "127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def ui_url(store_path: Path) -> Iterator[str]:
    """A ui server over the pipeline store plus artifact 5, whose name, URI and custom property `note` are
    HOSTILE_*."""
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(store_path)
    writer = metadata_store.MetadataStore(config)
    hostile = pb.Artifact(type_id=writer.get_artifact_type("Model", "v1").id, name=HOSTILE_NAME, uri=HOSTILE_URI)
    hostile.custom_properties["note"].string_value = HOSTILE_NOTE
    assert writer.put_artifacts([hostile]) == [5]
    del writer
    with serving_ui(f"sqlite:///{store_path}") as base:
        yield base
