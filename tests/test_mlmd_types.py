"""`ml_metadata.metadata_store.mlmd_types`: the simple system types, checked against upstream."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from ml_metadata import errors
from ml_metadata.metadata_store import mlmd_types
from ml_metadata.proto import metadata_store_pb2 as pb

ROOT = Path(__file__).resolve().parent.parent
ORACLE_PYTHON = os.environ.get("FASTMLMD_ORACLE_PYTHON", str(ROOT / ".venv-oracle" / "bin" / "python"))
CLASSES = ["Dataset", "Model", "Metrics", "Statistics", "Train", "Transform", "Process", "Evaluate", "Deploy"]

# Defines describe(): every class and the failure cases, as JSON-able data. Runs in the oracle and here.
_DESCRIBE = """
from ml_metadata import errors
from ml_metadata.metadata_store import mlmd_types
from ml_metadata.proto import metadata_store_pb2 as pb

def outcome(make):
    try:
        made = make()
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"name": made.name, "system_type": made.system_type, "kind": type(made).__mro__[1].__name__}

def describe():
    report = {name: outcome(getattr(mlmd_types, name)) for name in %r}
    report["ArtifactType(UNSET)"] = outcome(lambda: mlmd_types.ArtifactType(pb.ArtifactType.UNSET))
    report["ExecutionType(UNSET)"] = outcome(lambda: mlmd_types.ExecutionType(pb.ExecutionType.UNSET))
    report["ArtifactType(99)"] = outcome(lambda: mlmd_types.ArtifactType(99))
    report["ExecutionType(DATASET)"] = outcome(lambda: mlmd_types.ExecutionType(pb.ArtifactType.DATASET))
    return report
""" % (CLASSES,)


@pytest.mark.parametrize(
    ("make", "name", "system_type", "kind"),
    [
        pytest.param(mlmd_types.Dataset, "mlmd.Dataset", pb.ArtifactType.DATASET, mlmd_types.ArtifactType,
                     id="Dataset"),
        pytest.param(mlmd_types.Model, "mlmd.Model", pb.ArtifactType.MODEL, mlmd_types.ArtifactType, id="Model"),
        pytest.param(mlmd_types.Metrics, "mlmd.Metrics", pb.ArtifactType.METRICS, mlmd_types.ArtifactType,
                     id="Metrics"),
        pytest.param(mlmd_types.Statistics, "mlmd.Statistics", pb.ArtifactType.STATISTICS,
                     mlmd_types.ArtifactType, id="Statistics"),
        pytest.param(mlmd_types.Train, "mlmd.Train", pb.ExecutionType.TRAIN, mlmd_types.ExecutionType, id="Train"),
        pytest.param(mlmd_types.Transform, "mlmd.Transform", pb.ExecutionType.TRANSFORM,
                     mlmd_types.ExecutionType, id="Transform"),
        pytest.param(mlmd_types.Process, "mlmd.Process", pb.ExecutionType.PROCESS, mlmd_types.ExecutionType,
                     id="Process"),
        pytest.param(mlmd_types.Evaluate, "mlmd.Evaluate", pb.ExecutionType.EVALUATE, mlmd_types.ExecutionType,
                     id="Evaluate"),
        pytest.param(mlmd_types.Deploy, "mlmd.Deploy", pb.ExecutionType.DEPLOY, mlmd_types.ExecutionType,
                     id="Deploy"),
    ],
)
def test_simple_type(make: Callable[[], Any], name: str, system_type: int, kind: type) -> None:
    made = make()
    assert made.name == name
    assert made.system_type == system_type
    assert isinstance(made, kind)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda: mlmd_types.ArtifactType(pb.ArtifactType.UNSET),
                     "Type name: unset_artifact_type is not found", id="artifact-unset"),
        pytest.param(lambda: mlmd_types.ExecutionType(pb.ExecutionType.UNSET),
                     "Type name: unset_execution_type is not found", id="execution-unset"),
    ],
)
def test_unset_is_not_found(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(errors.NotFoundError, match=message):
        make()


def test_unknown_enum_value_is_key_error() -> None:
    with pytest.raises(KeyError):
        mlmd_types.ArtifactType(99)


@pytest.mark.oracle
def test_matches_upstream() -> None:
    if not Path(ORACLE_PYTHON).exists():
        pytest.skip(f"oracle interpreter {ORACLE_PYTHON} not found; run `make oracle` or set "
                    "FASTMLMD_ORACLE_PYTHON to a Python that has ml-metadata==1.17.1")
    script = _DESCRIBE + "\nimport json\nprint(json.dumps(describe()))\n"
    theirs = subprocess.run([ORACLE_PYTHON, "-I", "-c", script], capture_output=True, text=True, timeout=120)
    if theirs.returncode != 0 and "No module named 'ml_metadata'" in theirs.stderr:
        pytest.skip(f"{ORACLE_PYTHON} has no ml-metadata 1.17.1")
    assert theirs.returncode == 0, theirs.stderr
    namespace: dict[str, Any] = {}
    exec(_DESCRIBE, namespace)  # our side runs in-process, on the same code
    # Through JSON too, so both sides compare as the same plain data.
    ours_report, theirs_report = json.loads(json.dumps(namespace["describe"]())), json.loads(theirs.stdout)
    assert ours_report == theirs_report
