"""Events: put_events validation and uniqueness, paths, timestamps, get_events_by_*.

See docs/mlmd-interface.md §2.4 and §2.7."""
from __future__ import annotations

import time
from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact,
    catch,
    catch_msg,
    event,
    execution,
    pb,
    show,
    store_with_types,
)


def _seeded() -> Any:
    """Artifacts 1..3 and executions 1..2 of the kit's types."""
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a), artifact(a), artifact(a)])
    s.put_executions([execution(e), execution(e)])
    return s


def put_events_returns_none() -> Json:
    s = _seeded()
    return [s.put_events([event(1, 1, "INPUT")]), s.put_events([])]


def event_read_back() -> Json:
    s = _seeded()
    s.put_events([event(1, 1, "OUTPUT")])
    return show(s.get_events_by_execution_ids([1]))


def missing_artifact_id() -> Json:
    return catch_msg("No artifact id is specified.", _seeded().put_events, [event(None, 1)])


def missing_execution_id() -> Json:
    return catch_msg("No execution id is specified.", _seeded().put_events, [event(1, None)])


def unknown_artifact() -> Json:
    return catch_msg("No artifact with the given id 9", _seeded().put_events, [event(9, 1)])


def unknown_execution() -> Json:
    return catch_msg("No execution with the given id 9", _seeded().put_events, [event(1, 9)])


def missing_type() -> Json:
    return catch_msg("No event type is specified.", _seeded().put_events,
                     [event(1, 1, None)])


def unknown_type_rejected() -> Json:
    return catch(_seeded().put_events, [event(1, 1, "UNKNOWN")])


def every_other_type_accepted() -> Json:
    s = _seeded()
    kinds = ["DECLARED_OUTPUT", "DECLARED_INPUT", "INPUT", "OUTPUT", "INTERNAL_INPUT",
             "INTERNAL_OUTPUT", "PENDING_OUTPUT"]
    s.put_events([event(1, 1, k) for k in kinds])
    return [e["type"] for e in show(s.get_events_by_artifact_ids([1]))]


def duplicate_event() -> Json:
    s = _seeded()
    s.put_events([event(1, 1, "INPUT")])
    return [catch(s.put_events, [event(1, 1, "INPUT")]),
            len(s.get_events_by_execution_ids([1]))]


def duplicate_event_within_batch_stores_nothing() -> Json:
    s = _seeded()
    outcome = catch(s.put_events, [event(2, 1, "OUTPUT"), event(3, 1, "INPUT"),
                                   event(2, 1, "OUTPUT")])
    return [outcome, show(s.get_events_by_execution_ids([1]))]


def duplicate_event_different_path_or_time() -> Json:
    s = _seeded()
    s.put_events([event(1, 1, "INPUT", path=["a"], milliseconds_since_epoch=5)])
    return catch(s.put_events, [event(1, 1, "INPUT", path=["b"], milliseconds_since_epoch=6)])


def same_pair_other_type_allowed() -> Json:
    s = _seeded()
    s.put_events([event(1, 1, "INPUT"), event(1, 1, "OUTPUT")])
    return [e["type"] for e in show(s.get_events_by_execution_ids([1]))]


def failing_batch_stores_nothing() -> Json:
    s = _seeded()
    outcome = catch(s.put_events, [event(1, 1, "INPUT"), event(1, 99, "INPUT")])
    return [outcome, show(s.get_events_by_artifact_ids([1]))]


def client_milliseconds_kept() -> Json:
    s = _seeded()
    s.put_events([event(1, 1, milliseconds_since_epoch=12345)])
    return show(s.get_events_by_execution_ids([1]), keep_times=True)


def milliseconds_default_to_now() -> Json:
    s = _seeded()
    before = int(time.time() * 1000)
    s.put_events([event(1, 1)])
    after = int(time.time() * 1000)
    got = s.get_events_by_execution_ids([1])[0].milliseconds_since_epoch
    return before - 1000 <= got <= after + 1000


def zero_milliseconds_kept() -> Json:
    s = _seeded()
    s.put_events([event(1, 1, milliseconds_since_epoch=0)])
    return show(s.get_events_by_execution_ids([1]), keep_times=True)


def path_round_trip() -> Json:
    s = _seeded()
    s.put_events([event(1, 1, "OUTPUT", path=["outputs", 0, "", -3, "k.e/y"])])
    return show(s.get_events_by_artifact_ids([1]))


def empty_path_message_round_trip() -> Json:
    s = _seeded()
    e = event(1, 1)
    e.path.SetInParent()
    s.put_events([e])
    return show(s.get_events_by_artifact_ids([1]))


def system_metadata_dropped() -> Json:
    s = _seeded()
    e = event(1, 1)
    e.system_metadata.Pack(pb.Value(int_value=1))
    s.put_events([e])
    return show(s.get_events_by_artifact_ids([1]))


def events_by_execution_ids() -> Json:
    s = _seeded()
    s.put_events([event(3, 2, "OUTPUT"), event(1, 1, "INPUT"), event(2, 2, "INPUT"),
                  event(1, 2, "INPUT")])
    return [[[e.artifact_id, e.execution_id] for e in s.get_events_by_execution_ids([2])],
            [[e.artifact_id, e.execution_id] for e in s.get_events_by_execution_ids([1, 2])]]


def events_by_artifact_ids() -> Json:
    s = _seeded()
    s.put_events([event(3, 2, "OUTPUT"), event(1, 1, "INPUT"), event(1, 2, "INPUT"),
                  event(2, 1, "OUTPUT")])
    return [[[e.artifact_id, e.execution_id] for e in s.get_events_by_artifact_ids([1])],
            [[e.artifact_id, e.execution_id] for e in s.get_events_by_artifact_ids([2, 1])]]


def events_order_by_artifact() -> Json:
    s = _seeded()
    s.put_events([event(2, 1, "OUTPUT"), event(1, 2, "INPUT"), event(1, 1, "OUTPUT"),
                  event(2, 1, "DECLARED_INPUT"), event(1, 1, "INPUT")])
    triples = [[e["artifact_id"], e["execution_id"], e["type"]]
               for e in show(s.get_events_by_execution_ids([1]))]
    return [triples, [[e["artifact_id"], e["execution_id"], e["type"]]
                      for e in show(s.get_events_by_artifact_ids([2, 1]))]]


def events_by_ids_unknown_or_empty() -> Json:
    s = _seeded()
    s.put_events([event(1, 1)])
    return [show(s.get_events_by_execution_ids([42])), show(s.get_events_by_artifact_ids([])),
            show(s.get_events_by_execution_ids([]))]



def _triples(events: Any) -> Json:
    return [[e.artifact_id, e.execution_id, e.type] for e in events]


def events_by_ids_in_any_order_with_repeats() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a) for _ in range(4)])
    s.put_executions([execution(e) for _ in range(3)])
    # Inserted in neither read's order: within execution 2, insertion order is not artifact order.
    s.put_events([event(3, 2, "OUTPUT"), event(1, 3, "INPUT"), event(4, 2, "INPUT"), event(2, 2, "OUTPUT"),
                  event(1, 2, "DECLARED_INPUT"), event(1, 2, "INPUT"), event(3, 1, "INPUT")])
    return [_triples(s.get_events_by_execution_ids([3, 2, 2, 99, 1])),
            _triples(s.get_events_by_artifact_ids([4, 1, 1, 0, 3]))]


def events_by_more_ids_than_one_statement_binds() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a) for _ in range(905)])
    s.put_executions([execution(e) for _ in range(905)])
    s.put_events([event(903, 902, "OUTPUT"), event(899, 901, "INPUT"), event(2, 903, "INPUT"),
                  event(901, 1, "INPUT"), event(903, 900, "INPUT")])
    wanted = list(range(905, 0, -1)) + [1, 2]
    return [_triples(s.get_events_by_execution_ids(wanted)), _triples(s.get_events_by_artifact_ids(wanted))]


CASES = [
    Case("put-events-returns-none", put_events_returns_none, [None, None]),
    Case("event-read-back", event_read_back,
         [{"artifact_id": 1, "execution_id": 1, "type": "OUTPUT"}]),
    Case("missing-artifact-id", missing_artifact_id,
         ["error", "InvalidArgumentError", "No artifact id is specified."]),
    Case("missing-execution-id", missing_execution_id,
         ["error", "InvalidArgumentError", "No execution id is specified."]),
    Case("unknown-artifact", unknown_artifact,
         ["error", "InvalidArgumentError", "No artifact with the given id 9"]),
    Case("unknown-execution", unknown_execution,
         ["error", "InvalidArgumentError", "No execution with the given id 9"]),
    Case("missing-type", missing_type,
         ["error", "InvalidArgumentError", "No event type is specified."]),
    Case("unknown-type-rejected", unknown_type_rejected, ["error", "InvalidArgumentError"]),
    Case("every-other-type-accepted", every_other_type_accepted, [
        "DECLARED_OUTPUT", "DECLARED_INPUT", "INPUT", "OUTPUT", "INTERNAL_INPUT",
        "INTERNAL_OUTPUT", "PENDING_OUTPUT"]),
    Case("duplicate-event", duplicate_event, [["error", "AlreadyExistsError"], 1]),
    Case("duplicate-event-within-batch-stores-nothing",
         duplicate_event_within_batch_stores_nothing, [["error", "AlreadyExistsError"], []]),
    Case("duplicate-event-different-path-or-time", duplicate_event_different_path_or_time,
         ["error", "AlreadyExistsError"]),
    Case("same-pair-other-type-allowed", same_pair_other_type_allowed, ["INPUT", "OUTPUT"]),
    Case("failing-batch-stores-nothing", failing_batch_stores_nothing,
         [["error", "InvalidArgumentError"], []]),
    Case("client-milliseconds-kept", client_milliseconds_kept, [
        {"artifact_id": 1, "execution_id": 1, "type": "INPUT",
         "milliseconds_since_epoch": 12345}]),
    Case("milliseconds-default-to-now", milliseconds_default_to_now, True),
    Case("zero-milliseconds-kept", zero_milliseconds_kept, [
        {"artifact_id": 1, "execution_id": 1, "type": "INPUT", "milliseconds_since_epoch": 0}]),
    Case("path-round-trip", path_round_trip, [
        {"artifact_id": 1, "execution_id": 1, "type": "OUTPUT", "path": {"steps": [
            {"key": "outputs"}, {"index": 0}, {"key": ""}, {"index": -3}, {"key": "k.e/y"}]}}]),
    Case("empty-path-message-not-kept", empty_path_message_round_trip,
         [{"artifact_id": 1, "execution_id": 1, "type": "INPUT"}]),
    Case("event-system-metadata-dropped", system_metadata_dropped,
         [{"artifact_id": 1, "execution_id": 1, "type": "INPUT"}]),
    # Spec 2.4 says "insertion order"; 1.17.1 groups by the queried id first.
    Case("events-by-execution-ids-grouped-by-execution-then-insertion", events_by_execution_ids,
         [[[3, 2], [2, 2], [1, 2]], [[1, 1], [3, 2], [2, 2], [1, 2]]]),
    Case("events-by-artifact-ids-grouped-by-artifact", events_by_artifact_ids,
         [[[1, 1], [1, 2]], [[1, 1], [1, 2], [2, 1]]]),
    Case("events-by-artifact-ids-order-artifact-execution-type", events_order_by_artifact, [
        [[2, 1, "OUTPUT"], [1, 1, "OUTPUT"], [2, 1, "DECLARED_INPUT"], [1, 1, "INPUT"]],
        [[1, 1, "INPUT"], [1, 1, "OUTPUT"], [1, 2, "INPUT"], [2, 1, "DECLARED_INPUT"],
         [2, 1, "OUTPUT"]]]),
    Case("events-by-ids-unknown-or-empty", events_by_ids_unknown_or_empty, [[], [], []]),
    # Ids asked in any order and repeated count once; unknown ids add nothing. Types: 2 DECLARED_INPUT,
    # 3 INPUT, 4 OUTPUT.
    Case("events-by-ids-any-order-with-repeats", events_by_ids_in_any_order_with_repeats, [
        [[3, 1, 3], [3, 2, 4], [4, 2, 3], [2, 2, 4], [1, 2, 2], [1, 2, 3], [1, 3, 3]],
        [[1, 2, 2], [1, 2, 3], [1, 3, 3], [3, 1, 3], [3, 2, 4], [4, 2, 3]]]),
    # More than 900 ids: our reads split them over statements, and the order holds across the split.
    Case("events-by-more-ids-than-one-statement-binds", events_by_more_ids_than_one_statement_binds, [
        [[901, 1, 3], [903, 900, 3], [899, 901, 3], [903, 902, 4], [2, 903, 3]],
        [[2, 903, 3], [899, 901, 3], [901, 1, 3], [903, 900, 3], [903, 902, 4]]]),
]
