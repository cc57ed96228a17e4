"""Every public MetadataStore method, called with hostile arguments, on a store in memory and on a file.

The calls come from hostile_kit.plan(), which reads the methods' signatures, so a new method is swept (or
the plan refuses a parameter it has no values for). For each call:

* only `ml_metadata.errors` classes (whose `__module__` says so), TypeError and ValueError may leave it;
* a call that fails leaves the store exactly as it was (every type, node, event and link, through the
  public API), and usable;
* the same call on the real ml-metadata 1.17.1 (hostile_runner.py in the oracle's interpreter) raises the
  same class (or "crash": it killed the process), or the difference is listed in DIFFERENCES with its
  reason.
"""
from __future__ import annotations

import fnmatch
import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

import hostile_kit
import pytest
from oracle_client import oracle_env, probe
from scenario_kit import mlmd, pb

HERE = Path(__file__).resolve().parent
WHERE = ("memory", "file")

# Where ours deliberately gives another class than ml-metadata 1.17.1:
# (call id pattern, MLMD's class, ours, why). Each row must still match some call.
DIFFERENCES: List[Tuple[str, str, str, str]] = [
    ("*:list_options=*", "builtins.AttributeError", "builtins.TypeError",
     "MLMD's wrapper reads list_options.limit and order_by.value without checking their types and leaks "
     "AttributeError; ours names the argument and the type it needs"),
    ("get_lineage_subgraph:field_mask_paths=*", "builtins.AttributeError", "builtins.TypeError",
     "MLMD's wrapper calls .endswith() on every path and leaks AttributeError for a path that is not a str"),
    ("*:can_add_fields=int_*", "builtins.OverflowError", "builtins.ValueError",
     "protobuf leaks OverflowError for a bool field given an int beyond int64; ours refuses it with ValueError, "
     "as every other out-of-range integer"),
    ("*:can_omit_fields=int_*", "builtins.OverflowError", "builtins.ValueError", "as can_add_fields"),
    ("*:reuse_*=int_*", "builtins.OverflowError", "builtins.ValueError", "as can_add_fields"),
    ("*:force_*=int_*", "builtins.OverflowError", "builtins.ValueError", "as can_add_fields"),
    ("*:artifacts=empty_custom_value", "crash", "ml_metadata.errors.InvalidArgumentError",
     "ml-metadata 1.17.1 aborts the whole process (C++ CHECK 'Unexpected oneof') on a custom property holding "
     "an empty Value; ours refuses it like an empty declared property"),
    ("*:list_options=limit_nan", "ok", "builtins.TypeError",
     "MLMD finds a NaN limit not below 1 and lists everything; ours refuses a limit that is not an integer "
     "(limit=1.5 is TypeError in both)"),
]


def _open(where: str, folder: str) -> object:
    config = pb.ConnectionConfig()
    if where == "file":
        config.sqlite.filename_uri = os.path.join(folder, "hostile.db")
    else:
        config.fake_database.SetInParent()
    return mlmd.MetadataStore(config)


def _changes(before: Dict[str, list], after: Dict[str, list]) -> List[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


@functools.lru_cache(maxsize=None)
def our_sweep(where: str) -> Tuple[Dict[str, str], Tuple[str, ...]]:
    """Our outcome for every call, and every problem seen (a foreign class, a failed call that changed the store)."""
    outcomes: Dict[str, str] = {}
    problems: List[str] = []
    with tempfile.TemporaryDirectory() as folder:
        store = _open(where, folder)
        seed = hostile_kit.seed(store)
        baseline = hostile_kit.dump(store)
        for call, result, message in hostile_kit.sweep(store, seed, hostile_kit.plan(type(store))):
            outcomes[call.id] = result
            if not hostile_kit.is_allowed(result):
                problems.append(f"{call.id}: {result}: {message}")
            try:
                now = hostile_kit.dump(store)
            except Exception as exc:  # the store must stay usable whatever the call did
                problems.append(f"{call.id}: the store cannot be read afterwards: {exc!r}")
                break
            if result == "ok":
                baseline = now  # a call that succeeds may write
            elif now != baseline:
                problems.append(f"{call.id}: failed with {result} but changed {_changes(baseline, now)}")
    return outcomes, tuple(problems)


@pytest.mark.parametrize("where", WHERE)
def test_hostile_calls_raise_public_errors_and_change_nothing(where: str) -> None:
    outcomes, problems = our_sweep(where)
    assert len(outcomes) > 3000  # every method, every parameter, every value
    assert not problems, f"{len(problems)} problems on {where}:\n" + "\n".join(problems[:50])


def test_every_public_method_is_swept() -> None:
    methods = {name for name, _ in hostile_kit.public_methods(mlmd.MetadataStore)}
    swept = {call.method for call in hostile_kit.plan(mlmd.MetadataStore)}
    assert methods == swept
    assert {"get_artifacts_by_id", "put_lineage_subgraph", "get_lineage_graph"} <= swept


# -- the same calls on ml-metadata 1.17.1 ---------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def oracle_sweep(where: str) -> Dict[str, str]:
    """The oracle's outcome for every call; a call that kills its process counts as 'crash' and the run goes on."""
    status, python = probe()
    if status == "skip":
        pytest.skip(python)
    outcomes: Dict[str, str] = {}
    start = 0
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "outcomes.jsonl")
        while True:
            run = subprocess.run([python, str(HERE / "hostile_runner.py"), out, where, str(start)],
                                 capture_output=True, text=True, env=oracle_env([str(HERE)]), timeout=600,
                                 cwd=folder)
            with open(out, encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh]
            outcomes.update((row["id"], row["outcome"]) for row in rows if "outcome" in row)
            if "done" in rows[-1]:
                return outcomes
            if run.returncode == 0 or "starting" not in rows[-1]:
                raise AssertionError(f"the oracle sweep stopped without a crash:\n{run.stderr[-3000:]}")
            outcomes[rows[-1]["id"]] = "crash"  # the call that killed the process
            start = rows[-1]["index"] + 1


def _why_different(call_id: str, theirs: str, ours: str) -> str:
    for pattern, their_class, our_class, why in DIFFERENCES:
        if fnmatch.fnmatchcase(call_id, pattern) and (their_class, our_class) == (theirs, ours):
            return why
    return ""


@pytest.mark.oracle
@pytest.mark.parametrize("where", WHERE)
def test_hostile_calls_raise_what_mlmd_raises(where: str) -> None:
    theirs = oracle_sweep(where)
    ours, _ = our_sweep(where)
    unexplained, used = [], set()
    for call_id, their_outcome in theirs.items():
        assert call_id in ours, f"{call_id} is swept on ml-metadata but not on ours"
        a, b = hostile_kit.family(their_outcome), hostile_kit.family(ours[call_id])
        if a == b:
            continue
        why = _why_different(call_id, a, b)
        if not why:
            unexplained.append(f"{call_id}: ml-metadata {a}, ours {b}")
        used.update(row for row in DIFFERENCES if fnmatch.fnmatchcase(call_id, row[0]) and row[1:3] == (a, b))
    assert not unexplained, "\n".join(unexplained[:50])
    stale = [row[0] for row in DIFFERENCES if row not in used]
    assert not stale, f"DIFFERENCES rows that no call needs any more: {stale}"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
