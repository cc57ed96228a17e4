"""One call, several elements: they take effect in list order, as MLMD writes them one at a time.

So a later element may take an external_id or context name an earlier one let go of, two elements taking one
fail as MLMD fails, a node given twice ends as its last message says (filters included), and a call with
several faults reports the one MLMD meets first (the first failing element; put_execution's artifacts before
its execution; put_lineage_subgraph's edges, then every node's type, before any write).
"""
from __future__ import annotations

from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact,
    catch,
    catch_msg,
    context,
    event,
    execution,
    ids,
    mlmd,
    show,
    store_with_types,
)

_TAKEN = "Given node already exists"  # an insert taking a held key
_UPDATE_TAKEN = "Error when executing query: UNIQUE constraint failed"  # an update taking one (INTERNAL)


def _held(s: Any) -> list:
    """[id, external_id] of every artifact, then [id, name, external_id] of every context."""
    return [[[a.id, a.external_id] for a in s.get_artifacts()],
            [[c.id, c.name, c.external_id] for c in s.get_contexts()]]


def _store() -> tuple:
    """store_with_types, with artifacts 1 (external_id x1) and 2 (x2) and contexts 1 (c1, y1) and 2 (c2)."""
    s, a, e, c = store_with_types()
    s.put_artifacts([artifact(a, external_id="x1"), artifact(a, external_id="x2")])
    s.put_contexts([context(c, name="c1", external_id="y1"), context(c, name="c2")])
    return s, a, e, c


# -- unique keys within one call ----------------------------------------------------------------


def external_id_let_go_then_taken() -> Json:
    s, a, _, _ = _store()
    return [s.put_artifacts([artifact(a, id=1), artifact(a, external_id="x1")]), _held(s)[0]]


def external_id_let_go_then_taken_by_update() -> Json:
    s, a, _, _ = _store()
    return [s.put_artifacts([artifact(a, id=1), artifact(a, id=2, external_id="x1")]), _held(s)[0]]


def external_id_taken_then_let_go() -> Json:
    s, a, _, _ = _store()
    return [catch_msg(_TAKEN, s.put_artifacts, [artifact(a, external_id="x1"), artifact(a, id=1)]),
            catch_msg(_UPDATE_TAKEN, s.put_artifacts, [artifact(a, id=2, external_id="x1"), artifact(a, id=1)]),
            _held(s)[0]]


def external_ids_swapped() -> Json:
    s, a, _, _ = _store()
    return [catch_msg(_UPDATE_TAKEN, s.put_artifacts,
                      [artifact(a, id=1, external_id="x2"), artifact(a, id=2, external_id="x1")]), _held(s)[0]]


def new_external_id_taken_twice() -> Json:
    s, a, _, _ = _store()
    return [catch_msg(_TAKEN, s.put_artifacts, [artifact(a, external_id="z"), artifact(a, external_id="z")]),
            catch_msg(_UPDATE_TAKEN, s.put_artifacts, [artifact(a, external_id="z"), artifact(a, id=1, external_id="z")]),
            catch_msg(_TAKEN, s.put_artifacts, [artifact(a, id=1, external_id="z"), artifact(a, external_id="z")]),
            catch_msg(_TAKEN, s.put_artifacts, [artifact(a, external_id=""), artifact(a, external_id="")]),
            _held(s)[0]]


def external_id_held_for_a_while() -> Json:
    # Artifact 2 takes x1 (artifact 1 holds it, and is not in the call) and lets it go again: MLMD's first
    # write fails, though the state the call would leave has no clash.
    s, a, _, _ = _store()
    return [catch_msg(_UPDATE_TAKEN, s.put_artifacts, [artifact(a, id=2, external_id="x1"), artifact(a, id=2)]),
            _held(s)[0]]


def node_lets_go_and_takes_back() -> Json:
    s, a, _, _ = _store()
    return [s.put_artifacts([artifact(a, id=1), artifact(a, id=1, external_id="x1")]),
            catch_msg(_UPDATE_TAKEN, s.put_artifacts,
                      [artifact(a, id=1), artifact(a, id=2, external_id="x1"), artifact(a, id=1, external_id="x1")]),
            _held(s)[0]]


def context_names_in_one_call() -> Json:
    s, _, _, c = _store()
    return [s.put_contexts([context(c, id=1, name="c9"), context(c, name="c1")]),
            s.put_contexts([context(c, id=2, name="c8"), context(c, id=3, name="c2")]),
            catch_msg(_UPDATE_TAKEN, s.put_contexts, [context(c, id=1, name="c8"), context(c, id=2, name="c7")]),
            catch_msg(_TAKEN, s.put_contexts, [context(c, name="c9"), context(c, id=1, name="c6")]),
            _held(s)[1]]


def masked_external_id_let_go_then_taken() -> Json:
    s, _, _, c = _store()
    return [s.put_contexts([context(c, id=1), context(c, name="n", external_id="y1")], ["external_id"]),
            _held(s)[1]]


def node_given_twice() -> Json:
    # Each message updates the node as the one before left it; reads and filters see the last one.
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a)])
    s.put_artifacts([artifact(a, id=1, uri="x"), artifact(a, id=1, uri="x", properties={"p": 2}),
                     artifact(a, id=1, uri="y", custom_properties={"c": 1})])

    def found(query: str) -> list:
        return ids(s.get_artifacts(list_options=mlmd.ListOptions(filter_query=query)))
    after_call = [show(s.get_artifacts_by_id([1])), found("properties.p.int_value = 2"),
                  found("custom_properties.c.int_value = 1"), found("uri = 'y'")]
    s.put_artifacts([artifact(a, id=1, uri="z")])
    return [after_call, found("properties.p.int_value = 2"), found("custom_properties.c.int_value = 1")]


def reuse_by_external_id_in_list_order() -> Json:
    # put_execution: each artifact looks for the holder of its external_id as the artifacts before it leave
    # the store (a new one of the same call included). put_lineage_subgraph looks them all up first.
    def run(put: str, artifacts: list) -> list:
        s, a, e, _ = _store()
        made = [artifact(a, **fields) for fields in artifacts]
        if put == "put_execution":
            outcome = catch(s.put_execution, execution(e), [(m,) for m in made], [],
                            reuse_artifact_if_already_exist_by_external_id=True)
        else:
            outcome = catch(s.put_lineage_subgraph, [], made, [], [],
                            reuse_artifact_if_already_exist_by_external_id=True)
        return [outcome, [[n.id, n.external_id, n.uri] for n in s.get_artifacts()]]
    twice = [{"external_id": "z", "uri": "first"}, {"external_id": "z", "uri": "second"}]
    let_go = [{"id": 1}, {"external_id": "x1", "uri": "new"}]
    taken = [{"id": 1, "external_id": "q", "uri": "u1"}, {"external_id": "q", "uri": "u2"}]
    return [run("put_execution", twice), run("put_execution", let_go), run("put_execution", taken),
            run("put_lineage_subgraph", twice), run("put_lineage_subgraph", let_go)]


# -- which fault a call with several reports ----------------------------------------------------


def put_nodes_report_the_first_failing_element() -> Json:
    s, a, _, c = _store()
    undeclared = artifact(a, properties={"zzz": 1})
    return [
        catch(s.put_artifacts, [artifact(a, external_id="x1"), artifact(999)]),
        catch(s.put_artifacts, [artifact(a, id=2, external_id="x1"), artifact(999)]),
        catch(s.put_artifacts, [artifact(a, id=2, external_id="x1"), artifact(a, external_id="x2")]),
        catch(s.put_artifacts, [undeclared, artifact(a, external_id="x1")]),
        catch(s.put_artifacts, [artifact(a, id=7), artifact(999)]),
        catch(s.put_artifacts, [artifact(999), artifact(a, id=7)]),
        catch(s.put_contexts, [context(c, name="c1"), context(c)]),
        catch(s.put_contexts, [context(c), context(c, name="c1")]),
        _held(s),
    ]


def put_events_report_the_first_failing_event() -> Json:
    s, a, e, _ = store_with_types()
    s.put_artifacts([artifact(a), artifact(a)])
    s.put_executions([execution(e), execution(e)])
    s.put_events([event(1, 1)])
    return [
        catch(s.put_events, [event(1, 1), event(9, 1)]),
        catch(s.put_events, [event(9, 1), event(1, 1)]),
        catch(s.put_events, [event(1, 1), event(2, 1, type=None)]),
        catch(s.put_events, [event(2, 2), event(2, 2), event(9, 2)]),
        catch(s.put_events, [event(2, 2), event(2, 9), event(2, 2)]),
        len(s.get_events_by_execution_ids([1, 2])),
    ]


def put_execution_writes_artifacts_first() -> Json:
    # Its order: the artifacts, the execution, the events, the contexts.
    s, a, e, c = store_with_types()
    return [
        catch(s.put_execution, execution(), [(artifact(999),)], []),
        catch(s.put_execution, execution(999), [(artifact(),)], []),
        catch(s.put_execution, execution(e, id=5), [(artifact(999),)], []),
        catch(s.put_execution, execution(999), [(artifact(a), event(type=None))], []),
        catch(s.put_execution, execution(e), [(artifact(a), event(type=None))], [context(999, name="n")]),
        catch(s.put_execution, execution(e, properties={"zzz": 1}), [], [context(999, name="n")]),
        [len(s.get_artifacts()), len(s.get_executions()), len(s.get_contexts())],
    ]


def subgraph_checks_edges_then_types_first() -> Json:
    # Its order: the event edges; then, kind by kind (artifacts, executions, contexts), that every node names
    # its type_id, that the types exist, that the properties fit them; then the writes (contexts, artifacts,
    # executions) and the events.
    s, a, e, c = store_with_types()
    s.put_artifacts([artifact(a, name="a1", external_id="ax")])
    s.put_executions([execution(e, name="e1")])
    s.put_contexts([context(c, name="c1"), context(c, name="c2")])
    put = s.put_lineage_subgraph
    return [
        catch(put, [execution(999)], [], [], [(3, None, event())]),
        catch(put, [execution(999)], [], [], [(0, None, event())]),
        catch(put, [execution(999, id=1)], [artifact(a, id=1)], [], [(0, 0, event(artifact_id=2))]),
        catch(put, [execution(999)], [artifact(a)], [], [(0, 0, event(artifact_id=1))]),
        catch(put, [execution(999)], [artifact(id=1)], [], []),
        catch(put, [execution(999), execution(id=1)], [], [], []),
        catch_msg("Results missing for ids: {11}. Found results for {}", put, [], [artifact(e, id=1)],
                  [context(c, id=9, name="x")], []),
        catch(put, [execution(999)], [], [context(id=1)], []),
        catch(put, [execution(e, properties={"zzz": 1})], [artifact(999)], [], []),
        catch(put, [execution(e, properties={"zzz": 1})], [], [context(999, name="n")], []),
        catch(put, [execution(e, id=9)], [artifact(a, id=8)], [context(c, id=2, name="c1")], []),
        catch(put, [execution(e, id=9)], [artifact(a, name="a1")], [], []),
        catch(put, [execution(e, name="e1")], [artifact(a, id=8)], [], []),
        catch(put, [execution(e)], [artifact(a, external_id="ax")], [], [(0, 0, event(artifact_id=1))],
              reuse_artifact_if_already_exist_by_external_id=True),
        catch(put, [], [], [context(c, name="c1", properties={"zzz": 1})], [], reuse_context_if_already_exist=True),
        [len(s.get_artifacts()), len(s.get_executions()), len(s.get_contexts())],
    ]


def subgraph_update_needs_type_id() -> Json:
    # put_lineage_subgraph refuses an update without its type_id, for every kind; put_artifacts,
    # put_executions and put_execution's execution and artifacts take the stored type instead.
    s, a, e, c = store_with_types()
    s.put_artifacts([artifact(a)])
    s.put_executions([execution(e)])
    s.put_contexts([context(c, name="c1")])
    put = s.put_lineage_subgraph
    return [
        catch_msg("Type id is missing.", put, [execution(id=1)], [], [], []),
        catch_msg("Type id is missing.", put, [], [artifact(id=1, uri="u")], [], []),
        catch_msg("Type id is missing.", put, [], [], [context(id=1, name="c1")], []),
        show(s.put_execution(execution(id=1), [(artifact(id=1, uri="v"),)], [])),
        show(s.get_artifacts()),
    ]


CASES = [
    Case("external-id-let-go-then-taken", external_id_let_go_then_taken,
         [[1, 3], [[1, ""], [2, "x2"], [3, "x1"]]]),
    Case("external-id-let-go-then-taken-by-update", external_id_let_go_then_taken_by_update,
         [[1, 2], [[1, ""], [2, "x1"]]]),
    Case("external-id-taken-then-let-go", external_id_taken_then_let_go, [
        ["error", "AlreadyExistsError", _TAKEN], ["error", "InternalError", _UPDATE_TAKEN],
        [[1, "x1"], [2, "x2"]]]),
    Case("external-ids-swapped", external_ids_swapped,
         [["error", "InternalError", _UPDATE_TAKEN], [[1, "x1"], [2, "x2"]]]),
    Case("new-external-id-taken-twice", new_external_id_taken_twice, [
        ["error", "AlreadyExistsError", _TAKEN], ["error", "InternalError", _UPDATE_TAKEN],
        ["error", "AlreadyExistsError", _TAKEN], ["error", "AlreadyExistsError", _TAKEN],
        [[1, "x1"], [2, "x2"]]]),
    Case("external-id-held-for-a-while", external_id_held_for_a_while,
         [["error", "InternalError", _UPDATE_TAKEN], [[1, "x1"], [2, "x2"]]]),
    Case("node-lets-go-and-takes-back", node_lets_go_and_takes_back,
         [[1, 1], ["error", "InternalError", _UPDATE_TAKEN], [[1, "x1"], [2, "x2"]]]),
    Case("context-names-in-one-call", context_names_in_one_call, [
        [1, 3], [2, 3], ["error", "InternalError", _UPDATE_TAKEN], ["error", "AlreadyExistsError", _TAKEN],
        [[1, "c9", ""], [2, "c8", ""], [3, "c2", ""]]]),
    Case("masked-external-id-let-go-then-taken", masked_external_id_let_go_then_taken,
         [[1, 3], [[1, "c1", ""], [2, "c2", ""], [3, "n", "y1"]]]),
    Case("node-given-twice", node_given_twice, [
        [[{"id": 1, "type_id": 10, "uri": "y", "custom_properties": {"c": {"int_value": 1}}, "type": "A"}],
         [], [1], [1]],
        [], []]),
    Case("reuse-by-external-id-in-list-order", reuse_by_external_id_in_list_order, [
        [[1, [3, 3], []], [[1, "x1", ""], [2, "x2", ""], [3, "z", "second"]]],
        [[1, [1, 3], []], [[1, "", ""], [2, "x2", ""], [3, "x1", "new"]]],
        [[1, [1, 1], []], [[1, "q", "u2"], [2, "x2", ""]]],
        [["error", "AlreadyExistsError"], [[1, "x1", ""], [2, "x2", ""]]],
        [[[], [1, 1], []], [[1, "x1", "new"], [2, "x2", ""]]]]),
    Case("put-nodes-report-the-first-failing-element", put_nodes_report_the_first_failing_element, [
        ["error", "AlreadyExistsError"], ["error", "InternalError"], ["error", "InternalError"],
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"], ["error", "NotFoundError"],
        ["error", "AlreadyExistsError"], ["error", "InvalidArgumentError"],
        [[[1, "x1"], [2, "x2"]], [[1, "c1", "y1"], [2, "c2", ""]]]]),
    Case("put-events-report-the-first-failing-event", put_events_report_the_first_failing_event, [
        ["error", "AlreadyExistsError"], ["error", "InvalidArgumentError"], ["error", "AlreadyExistsError"],
        ["error", "AlreadyExistsError"], ["error", "InvalidArgumentError"], 1]),
    Case("put-execution-writes-artifacts-first", put_execution_writes_artifacts_first, [
        ["error", "NotFoundError"], ["error", "InvalidArgumentError"], ["error", "NotFoundError"],
        ["error", "NotFoundError"], ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"],
        [0, 0, 0]]),
    Case("subgraph-checks-edges-then-types-first", subgraph_checks_edges_then_types_first, [
        ["error", "OutOfRangeError"], ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"],
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"],
        ["error", "NotFoundError", "Results missing for ids: {11}. Found results for {}"],
        ["error", "NotFoundError"], ["error", "NotFoundError"],
        ["error", "InvalidArgumentError"],
        ["error", "InternalError"], ["error", "AlreadyExistsError"], ["error", "InvalidArgumentError"],
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"], [1, 1, 2]]),
    Case("subgraph-update-needs-type-id", subgraph_update_needs_type_id, [
        ["error", "InvalidArgumentError", "Type id is missing."],
        ["error", "InvalidArgumentError", "Type id is missing."],
        ["error", "InvalidArgumentError", "Type id is missing."],
        [1, [1], []], [{"id": 1, "type_id": 10, "uri": "v", "type": "A"}]]),
]
