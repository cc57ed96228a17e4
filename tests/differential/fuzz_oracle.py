"""Runs call sequences on ml-metadata 1.17.1, through tests/api/oracle_client.py.

oracle_client runs scenario modules (modules with a `CASES` table) in the oracle's interpreter. Here
the module is written for the batch: a few lines in a temporary folder that load the sequences from a
JSON file next to it (fuzz_replay.cases_from_file). Each batch has a module of its own name, so
oracle_client's once-per-session cache of module runs never hands back another batch's results.
"""
from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path
from typing import Any, Dict, List

from oracle_client import oracle_results

HERE = Path(__file__).resolve().parent
_BATCH_NUMBERS = itertools.count()
_MODULE = """\
import sys
sys.path.insert(0, {here!r})
from fuzz_replay import cases_from_file
CASES = cases_from_file({sequences!r})
"""


def oracle_outcomes(sequences: List[List[Dict[str, Any]]]) -> List[List[Dict[str, Any]]]:
    """Each sequence's outcomes on a fresh ml-metadata 1.17.1 in-memory store.

    Skips the calling test (pytest.skip) when the oracle is not installed, as every differential
    test does; outside pytest that surfaces as pytest's Skipped exception.
    """
    with tempfile.TemporaryDirectory(prefix="fastmlmd-fuzz-") as tmp:
        name = f"fuzz_batch_{next(_BATCH_NUMBERS)}"
        sequences_path = Path(tmp) / f"{name}.json"
        sequences_path.write_text(json.dumps(sequences), encoding="utf-8")
        module_path = Path(tmp) / f"{name}.py"
        module_path.write_text(_MODULE.format(here=str(HERE), sequences=str(sequences_path)), encoding="utf-8")
        results = oracle_results([module_path])[name]
    out = []
    for i in range(len(sequences)):
        result = results[str(i)]
        if result["status"] != "ok":
            raise RuntimeError(f"sequence {i} crashed on ml-metadata 1.17.1:\n{result.get('error')}")
        out.append(result["value"])
    return out
