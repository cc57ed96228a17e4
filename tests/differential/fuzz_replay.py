"""Replays a sequence of MetadataStore calls on whatever `ml_metadata` this interpreter imports.

A call is plain JSON, so the same sequence runs unchanged in our interpreter and in the oracle's
(ml-metadata 1.17.1, through tests/api/oracle_client.py), and prints as a reproduction:

    {"op": "put_artifacts", "args": [[{"@msg": "Artifact", "fields": {"type_id": 10, "name": "a1"}}]],
     "kwargs": {"field_mask_paths": ["name"]}}

Arguments are decoded by `decode`: `{"@msg": Name, "fields": {...}}` is a protobuf message of
metadata_store_pb2 (built with json_format.ParseDict, so enums go by name and `Value`s as
`{"int_value": 1}`), `{"@list_options": {...}}` is a `ListOptions` (order_by by name), lists stay lists.

Each call gives one outcome: `{"value": show(result)}` or `{"error": "<class name>", "message": "..."}`
(scenario_kit.show: messages as dicts of their set fields, timestamps dropped). Imports only
`ml_metadata`, protobuf and scenario_kit, like the scenario tables.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, List

from scenario_kit import Case, fake_config, mlmd, pb, show

# Calls that never change the store: a difference on one of them leaves both stores alike.
READ_OPS = frozenset({
    "get_artifact_type", "get_execution_type", "get_context_type",
    "get_artifact_types", "get_execution_types", "get_context_types",
    "get_artifact_types_by_id", "get_execution_types_by_id", "get_context_types_by_id",
    "get_artifact_types_by_external_ids", "get_execution_types_by_external_ids",
    "get_context_types_by_external_ids",
    "get_artifacts_by_id", "get_executions_by_id", "get_contexts_by_id",
    "get_artifacts_and_types_by_artifact_ids",
    "get_artifacts_by_type", "get_executions_by_type", "get_contexts_by_type",
    "get_artifact_by_type_and_name", "get_execution_by_type_and_name", "get_context_by_type_and_name",
    "get_artifacts_by_uri",
    "get_artifacts_by_external_ids", "get_executions_by_external_ids", "get_contexts_by_external_ids",
    "get_artifacts", "get_executions", "get_contexts",
    "get_artifacts_by_context", "get_executions_by_context",
    "get_events_by_execution_ids", "get_events_by_artifact_ids",
    "get_contexts_by_artifact", "get_contexts_by_execution",
    "get_parent_contexts_by_context", "get_children_contexts_by_context",
    "get_lineage_subgraph",
})
WRITE_OPS = frozenset({
    "put_artifact_type", "put_execution_type", "put_context_type",
    "put_artifacts", "put_executions", "put_contexts",
    "put_events", "put_attributions_and_associations", "put_parent_contexts",
    "put_execution", "put_lineage_subgraph",
})
# The longest error message an outcome keeps (some quote whole requests).
MESSAGE_CHARS = 400

Call = Dict[str, Any]
Outcome = Dict[str, Any]


def decode(arg: Any) -> Any:
    """The Python argument a JSON argument stands for (see the module docstring)."""
    if isinstance(arg, list):
        return [decode(a) for a in arg]
    if isinstance(arg, dict) and "@msg" in arg:
        from google.protobuf import json_format

        return json_format.ParseDict(arg["fields"], getattr(pb, arg["@msg"])())
    if isinstance(arg, dict) and "@list_options" in arg:
        options = dict(arg["@list_options"])
        if options.get("order_by") is not None:
            options["order_by"] = mlmd.OrderByField[options["order_by"]]
        return mlmd.ListOptions(**options)
    return arg


def _wait_for_next_millisecond(last_write_ms: int) -> None:
    # Ordering by LAST_UPDATE_TIME breaks ties by id: two writes in one millisecond would order
    # differently from two writes a millisecond apart, so every write gets a millisecond of its own.
    while int(time.time() * 1000) <= last_write_ms:
        time.sleep(0.0002)


def run_call(store: Any, call: Call) -> Outcome:
    """The outcome of one call on `store`."""
    method: Callable[..., Any] = getattr(store, call["op"])
    args = [decode(a) for a in call.get("args", [])]
    kwargs = {k: decode(v) for k, v in call.get("kwargs", {}).items()}
    try:
        return {"value": show(method(*args, **kwargs))}
    except Exception as exc:  # every exception class is part of the observable behaviour
        message = str(getattr(exc, "message", exc))
        return {"error": type(exc).__name__, "message": message[:MESSAGE_CHARS]}


def new_store() -> Any:
    """A fresh in-memory store whose client makes one attempt per call.

    ml-metadata's client retries a call that fails with AbortedError, sleeping about 2 s between
    attempts; with max_num_retries=1 it raises at once (0 would retry forever), so a call MLMD
    answers with AbortedError costs no time.
    """
    config = fake_config()
    config.retry_options.max_num_retries = 1
    return mlmd.MetadataStore(config)


class Replayer:
    """One fresh in-memory store; `run` makes a call on it and returns the outcome."""

    def __init__(self) -> None:
        self.store = new_store()
        self._last_write_ms = 0

    def run(self, call: Call) -> Outcome:
        write = call["op"] in WRITE_OPS
        if write:
            _wait_for_next_millisecond(self._last_write_ms)
        outcome = run_call(self.store, call)
        if write:
            self._last_write_ms = int(time.time() * 1000)
        return outcome


def replay(calls: List[Call]) -> List[Outcome]:
    """The outcome of each call, made in order on a fresh in-memory store."""
    replayer = Replayer()
    return [replayer.run(call) for call in calls]


def cases_from_file(path: str) -> List[Any]:
    """One scenario_kit `Case` per sequence of the JSON file at `path` (a list of call lists).

    The oracle side of a differential run: oracle_runner.py runs `CASES` and returns each
    sequence's outcomes under the case id `"<index>"`.
    """
    with open(path, encoding="utf-8") as fh:
        sequences = json.load(fh)
    return [Case(str(i), lambda calls=calls: replay(calls), None) for i, calls in enumerate(sequences)]
