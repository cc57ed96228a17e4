"""The way back: a converted store exported into an empty store ml-metadata made reads, through ml-metadata
1.17.1 itself, exactly as the original MLMD store did (every call of store_reads.py, whole messages)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from oracle_client import oracle_env, real_oracle_python
from store_reads import differences

from fastmlmd.engine.backends.sqlite_mlmd_convert import convert_copy
from ml_metadata._mlmd_stores import struct_type_from_json

pytestmark = pytest.mark.oracle

HERE = Path(__file__).resolve().parent
ROUND_TRIPS = ["kinds", "tfx", "mix-0", "mix-1", "legacy-v7"]


def oracle(*args: str) -> None:
    run = subprocess.run([real_oracle_python(), str(HERE / "oracle_reads.py"), *args], capture_output=True,
                         text=True, env=oracle_env(()), timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]


def test_round_trip_reads_as_the_original(mlmd_stores: Path, tmp_path: Path) -> None:
    exported = [tmp_path / f"{name}.back.db" for name in ROUND_TRIPS]
    oracle("--create", *map(str, exported))
    for name, target in zip(ROUND_TRIPS, exported):
        ours = tmp_path / f"{name}.ours.db"
        convert_copy(str(mlmd_stores / f"{name}.db"), str(ours), struct_type_from_json)
        run = subprocess.run([sys.executable, "-m", "fastmlmd.convert", "--to-mlmd", str(ours), str(target)],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0 and run.stdout.startswith("exported "), run.stderr
    answers = tmp_path / "answers.json"
    oracle(str(answers), *(str(part) for name, target in zip(ROUND_TRIPS, exported)
                           for part in (mlmd_stores / f"{name}.json", target)))
    for name, theirs in zip(ROUND_TRIPS, json.loads(answers.read_text(encoding="utf-8"))):
        recorded = json.loads((mlmd_stores / f"{name}.json").read_text(encoding="utf-8"))
        assert len(theirs) == len(recorded["calls"]) > 100
        found = differences(recorded, theirs)
        assert not found, f"{name}: {len(found)} calls differ:\n" + "\n".join(found[:3])


def test_export_needs_an_empty_mlmd_store(mlmd_stores: Path, tmp_path: Path) -> None:
    ours = tmp_path / "ours.db"
    convert_copy(str(mlmd_stores / "tfx.db"), str(ours), struct_type_from_json)
    filled = tmp_path / "filled.db"
    shutil.copy(mlmd_stores / "kinds.db", filled)
    for target, says in ((filled, "not empty"), (ours, "not a store made by ml-metadata"),
                         (tmp_path / "absent.db", "create it with ml-metadata first")):
        run = subprocess.run([sys.executable, "-m", "fastmlmd.convert", "--to-mlmd", str(ours), str(target)],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 1 and says in run.stderr and run.stderr.count("\n") == 1, run.stderr
