"""Differential check of the conversion: MLMD's answers on the stores it made, ours on the converted stores.

oracle_stores.py builds the stores with the real ml-metadata 1.17.1 and records its answers to every read
store_reads.py derives from them (whole messages: ids, timestamps, every property). Each store is then
converted, in place (opened with enable_upgrade_migration=True) and by copy (python -m fastmlmd.convert), and
every call is made again on ours. Answers must be equal; an error must be of the same class (messages are
ours). Nothing is masked: the only lists compared as sets are the two MLMD itself returns in varying order.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from store_reads import MIX_SEEDS, config, differences, run_calls

from ml_metadata import metadata_store

pytestmark = pytest.mark.oracle

STORES = ["kinds", "legacy", "tfx", "tfx-long", *(f"mix-{seed}" for seed in range(MIX_SEEDS)),
          *(f"legacy-v{version}" for version in (9, 8, 7, 6, 5))]


def check(recorded: Dict, store: metadata_store.MetadataStore) -> None:
    answers = run_calls(store, recorded["calls"])
    assert len(answers) == len(recorded["calls"]) > 100
    found = differences(recorded, answers)
    assert not found, f"{len(found)} of {len(answers)} calls differ:\n" + "\n".join(found[:5])


@pytest.mark.parametrize("name", STORES)
def test_in_place(mlmd_stores: Path, tmp_path: Path, name: str) -> None:
    recorded = json.loads((mlmd_stores / f"{name}.json").read_text(encoding="utf-8"))
    path = tmp_path / "store.db"
    shutil.copy(mlmd_stores / f"{name}.db", path)
    with pytest.raises(RuntimeError, match="made by ml-metadata"):
        metadata_store.MetadataStore(config(path))
    check(recorded, metadata_store.MetadataStore(config(path), enable_upgrade_migration=True))
    check(recorded, metadata_store.MetadataStore(config(path)))  # converted once, opened as ours from then on


@pytest.mark.parametrize("name", ["kinds", "tfx", "mix-0", "legacy-v7"])
def test_by_copy(mlmd_stores: Path, tmp_path: Path, name: str) -> None:
    recorded = json.loads((mlmd_stores / f"{name}.json").read_text(encoding="utf-8"))
    source = tmp_path / "mlmd.db"
    shutil.copy(mlmd_stores / f"{name}.db", source)
    before = source.read_bytes()
    target = tmp_path / "ours.db"
    run = subprocess.run([sys.executable, "-m", "fastmlmd.convert", str(source), f"sqlite:///{target}"],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": ""})
    assert run.returncode == 0, run.stderr
    assert source.read_bytes() == before  # the source is only read
    check(recorded, metadata_store.MetadataStore(config(target)))
