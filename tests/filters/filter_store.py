"""The seeded store every filter-query table runs against, built through the public API only.

`build()` runs unchanged in our interpreter and in the oracle's (it imports only `ml_metadata`,
through scenario_kit). Ids are deterministic: types 10..15, artifacts 1..15, executions 1..8,
contexts 1..7. The layout is written out below so that a table row's expected ids can be checked
by reading this file.

Types
  10 Dataset   (artifact)  span: INT, split: STRING
  11 Model     (artifact)  accuracy: DOUBLE, flag: BOOLEAN
  12 Trainer   (execution) state: STRING
  13 Evaluator (execution) -
  14 Run       (context)   owner: STRING, priority: INT
  15 Pipeline  (context)   -

Artifacts (state "-" = unset; name "-" = unset; uri "" = unset)
  id type    name     uri             ext_id  state               properties               custom_properties
   1 Dataset ds1      /data/train/1   ext-ds1 LIVE                span=1 split=train       tag=3 `my key`=x
   2 Dataset ds2      /data/eval/2    -       LIVE                span=2 split=eval        tag=7 note=hello
   3 Dataset DS3      /DATA/train/3   ext-ds3 PENDING             span=3 split=train       tag=seven
   4 Dataset ds_4     gs://bucket/ds4 -       -                   span=4                   -
   5 Dataset -        ""              -       DELETED             split=test               score=1.5
   6 Dataset ds%6     /data/100%/6    ext-6   MARKED_FOR_DELETION span=10 split=TRAIN      `it's`=quoted `say "hi"`=2
   7 Model   m1       /models/m1      ext-m1  LIVE                accuracy=0.9 flag=true   tag=3
   8 Model   m2       /models/m2      -       LIVE                accuracy=0.95 flag=false accuracy=0.5
   9 Model   m3       /models/m3      ext-m3  ABANDONED           accuracy=0.99            `ключ`=значение
  10 Model   -        /models/m4      -       REFERENCE           flag=true                -
  11 Model   Ünïcødé  /models/m5      -       UNKNOWN             accuracy=1.0             `a" OR 1=1 OR "`=1
  12 Dataset ds12     /data/eval/12   -       LIVE                span=-5                  -
  13 Model   model_13 s3://m/13       ext-13  PENDING             -                        span=1
  14 Dataset ""       /data/x         -       LIVE                span=0 split=""          -
  15 Model   m15      /models/M15     -       -                   accuracy=0.0 flag=false  flag=true

Executions (last_known_state "-" = unset)
  id type      name    external_id last_known_state properties     custom_properties
   1 Trainer   train1  ext-e1      COMPLETE         state=ok       gpu=true
   2 Trainer   train2  -           RUNNING          state=busy     -
   3 Trainer   -       -           -                -              -
   4 Trainer   train4  ext-e4      FAILED           state=failed   -
   5 Evaluator eval5   -           CACHED           -              gpu=false
   6 Evaluator eval6   -           NEW              -              -
   7 Trainer   train7  -           CANCELED         state=""       -
   8 Evaluator eval8   -           UNKNOWN          -              retries=2

Contexts
  id type     name        external_id properties             custom_properties  parents
   1 Pipeline pipe1       ext-p1      -                      -                  -
   2 Pipeline pipe2       -           -                      -                  -
   3 Run      run1        -           owner=alice priority=1 -                  pipe1
   4 Run      run2        ext-r2      owner=bob   priority=2 -                  pipe1
   5 Run      run3        -           priority=2             `my key`=x         pipe2
   6 Run      run4        -           owner=carol            -                  pipe2, run1
   7 Pipeline empty_pipe  -           -                      -                  -

Attributions (context: artifacts)      Associations (context: executions)
  1 pipe1: 1 2 3 7 8                      1 pipe1: 1 2 4
  2 pipe2: 9 12 13                        2 pipe2: 5 6
  3 run1:  1 2 7                          3 run1:  1 2
  4 run2:  2 3 8                          4 run2:  2 4
  5 run3:  9 12                           5 run3:  5
  6 run4:  13 15                          6 run4:  3 8
  Not attributed: 4 5 6 10 11 14.         Not associated: 7.

Events (artifact, execution, type, milliseconds_since_epoch, path)
  1 -> 1 INPUT            1000  [0]
  2 -> 1 INPUT            2000  ["key", 1]
  7 <- 1 OUTPUT           3000  [0]
  2 -> 2 INPUT            4000  -
  7 -> 2 DECLARED_INPUT   5000  -
  8 <- 2 OUTPUT           6000  ["out"]
  3 -> 4 INPUT            7000  -
  8 <- 4 DECLARED_OUTPUT  8000  -
  12 -> 5 INTERNAL_INPUT  9000  -
  9 <- 5 INTERNAL_OUTPUT  10000 -
  4 -> 6 INPUT            11000 -
  13 <- 6 PENDING_OUTPUT  12000 -
  Artifacts without events: 5 6 10 11 14 15. Executions without events: 3 7 8.

Every node is written by its own call after a `tick()`, so creation times strictly increase with
the id within each node kind. After everything is written the clock moves on once more and
artifact 2, execution 2 and context 3 get a new custom property `updated`=1, so for exactly those
three `last_update_time_since_epoch > create_time_since_epoch`.
"""
from __future__ import annotations

from typing import Any

from scenario_kit import (
    artifact,
    artifact_type,
    context,
    context_type,
    event,
    execution,
    execution_type,
    new_store,
    once_per_backend,
    pb,
    show,
    tick,
)

_ARTIFACTS = [
    # (type, name, uri, external_id, state, properties, custom_properties)
    ("Dataset", "ds1", "/data/train/1", "ext-ds1", "LIVE", {"span": 1, "split": "train"},
     {"tag": 3, "my key": "x"}),
    ("Dataset", "ds2", "/data/eval/2", None, "LIVE", {"span": 2, "split": "eval"},
     {"tag": 7, "note": "hello"}),
    ("Dataset", "DS3", "/DATA/train/3", "ext-ds3", "PENDING", {"span": 3, "split": "train"},
     {"tag": "seven"}),
    ("Dataset", "ds_4", "gs://bucket/ds4", None, None, {"span": 4}, {}),
    ("Dataset", None, None, None, "DELETED", {"split": "test"}, {"score": 1.5}),
    ("Dataset", "ds%6", "/data/100%/6", "ext-6", "MARKED_FOR_DELETION",
     {"span": 10, "split": "TRAIN"}, {"it's": "quoted", 'say "hi"': 2}),
    ("Model", "m1", "/models/m1", "ext-m1", "LIVE", {"accuracy": 0.9, "flag": True}, {"tag": 3}),
    ("Model", "m2", "/models/m2", None, "LIVE", {"accuracy": 0.95, "flag": False},
     {"accuracy": 0.5}),
    ("Model", "m3", "/models/m3", "ext-m3", "ABANDONED", {"accuracy": 0.99},
     {"ключ": "значение"}),
    ("Model", None, "/models/m4", None, "REFERENCE", {"flag": True}, {}),
    ("Model", "Ünïcødé", "/models/m5", None, "UNKNOWN", {"accuracy": 1.0},
     {'a" OR 1=1 OR "': 1}),
    ("Dataset", "ds12", "/data/eval/12", None, "LIVE", {"span": -5}, {}),
    ("Model", "model_13", "s3://m/13", "ext-13", "PENDING", {}, {"span": 1}),
    ("Dataset", "", "/data/x", None, "LIVE", {"span": 0, "split": ""}, {}),
    ("Model", "m15", "/models/M15", None, None, {"accuracy": 0.0, "flag": False}, {"flag": True}),
]

_EXECUTIONS = [
    # (type, name, external_id, last_known_state, properties, custom_properties)
    ("Trainer", "train1", "ext-e1", "COMPLETE", {"state": "ok"}, {"gpu": True}),
    ("Trainer", "train2", None, "RUNNING", {"state": "busy"}, {}),
    ("Trainer", None, None, None, {}, {}),
    ("Trainer", "train4", "ext-e4", "FAILED", {"state": "failed"}, {}),
    ("Evaluator", "eval5", None, "CACHED", {}, {"gpu": False}),
    ("Evaluator", "eval6", None, "NEW", {}, {}),
    ("Trainer", "train7", None, "CANCELED", {"state": ""}, {}),
    ("Evaluator", "eval8", None, "UNKNOWN", {}, {"retries": 2}),
]

_CONTEXTS = [
    # (type, name, external_id, properties, custom_properties)
    ("Pipeline", "pipe1", "ext-p1", {}, {}),
    ("Pipeline", "pipe2", None, {}, {}),
    ("Run", "run1", None, {"owner": "alice", "priority": 1}, {}),
    ("Run", "run2", "ext-r2", {"owner": "bob", "priority": 2}, {}),
    ("Run", "run3", None, {"priority": 2}, {"my key": "x"}),
    ("Run", "run4", None, {"owner": "carol"}, {}),
    ("Pipeline", "empty_pipe", None, {}, {}),
]

# (parent, child) context ids
_PARENTS = [(1, 3), (1, 4), (2, 5), (2, 6), (3, 6)]
# context id -> artifact ids / execution ids
_ATTRIBUTIONS = {1: [1, 2, 3, 7, 8], 2: [9, 12, 13], 3: [1, 2, 7], 4: [2, 3, 8], 5: [9, 12],
                 6: [13, 15]}
_ASSOCIATIONS = {1: [1, 2, 4], 2: [5, 6], 3: [1, 2], 4: [2, 4], 5: [5], 6: [3, 8]}
_EVENTS = [
    # (artifact, execution, type, milliseconds_since_epoch, path)
    (1, 1, "INPUT", 1000, [0]),
    (2, 1, "INPUT", 2000, ["key", 1]),
    (7, 1, "OUTPUT", 3000, [0]),
    (2, 2, "INPUT", 4000, []),
    (7, 2, "DECLARED_INPUT", 5000, []),
    (8, 2, "OUTPUT", 6000, ["out"]),
    (3, 4, "INPUT", 7000, []),
    (8, 4, "DECLARED_OUTPUT", 8000, []),
    (12, 5, "INTERNAL_INPUT", 9000, []),
    (9, 5, "INTERNAL_OUTPUT", 10000, []),
    (4, 6, "INPUT", 11000, []),
    (13, 6, "PENDING_OUTPUT", 12000, []),
]

TYPE_IDS = {"Dataset": 10, "Model": 11, "Trainer": 12, "Evaluator": 13, "Run": 14, "Pipeline": 15}


def _fields(name: Any, external_id: Any, **more: Any) -> dict:
    out = {k: v for k, v in more.items() if v is not None}
    if name is not None:
        out["name"] = name
    if external_id is not None:
        out["external_id"] = external_id
    return out


def build() -> Any:
    """A fresh in-memory store holding exactly the layout in this module's docstring."""
    store = new_store()
    type_ids = {
        "Dataset": store.put_artifact_type(
            artifact_type("Dataset", props={"span": "INT", "split": "STRING"})),
        "Model": store.put_artifact_type(
            artifact_type("Model", props={"accuracy": "DOUBLE", "flag": "BOOLEAN"})),
        "Trainer": store.put_execution_type(execution_type("Trainer", props={"state": "STRING"})),
        "Evaluator": store.put_execution_type(execution_type("Evaluator")),
        "Run": store.put_context_type(
            context_type("Run", props={"owner": "STRING", "priority": "INT"})),
        "Pipeline": store.put_context_type(context_type("Pipeline")),
    }
    assert type_ids == TYPE_IDS, type_ids
    # One node per call, so ids and creation order follow the tables above.
    for tname, name, uri, ext, state, props, custom in _ARTIFACTS:
        state_value = pb.Artifact.State.Value(state) if state else None
        tick()
        store.put_artifacts([artifact(type_ids[tname], properties=props, custom_properties=custom,
                                      **_fields(name, ext, uri=uri, state=state_value))])
    for tname, name, ext, state, props, custom in _EXECUTIONS:
        state_value = pb.Execution.State.Value(state) if state else None
        tick()
        store.put_executions([execution(
            type_ids[tname], properties=props, custom_properties=custom,
            **_fields(name, ext, last_known_state=state_value))])
    for tname, name, ext, props, custom in _CONTEXTS:
        tick()
        store.put_contexts([context(type_ids[tname], properties=props, custom_properties=custom,
                                    **_fields(name, ext))])
    store.put_parent_contexts(
        [pb.ParentContext(parent_id=p, child_id=c) for p, c in _PARENTS])
    store.put_attributions_and_associations(
        [pb.Attribution(context_id=c, artifact_id=a)
         for c, arts in _ATTRIBUTIONS.items() for a in arts],
        [pb.Association(context_id=c, execution_id=e)
         for c, execs in _ASSOCIATIONS.items() for e in execs])
    store.put_events([event(a, e, t, path=path, milliseconds_since_epoch=ms)
                      for a, e, t, ms, path in _EVENTS])
    tick()
    [a2] = store.get_artifacts_by_id([2])
    a2.custom_properties["updated"].int_value = 1
    store.put_artifacts([a2])
    [e2] = store.get_executions_by_id([2])
    e2.custom_properties["updated"].int_value = 1
    store.put_executions([e2])
    [c3] = store.get_contexts_by_id([3])
    c3.custom_properties["updated"].int_value = 1
    store.put_contexts([c3])
    return store


@once_per_backend
def shared() -> Any:
    """`build()`, once per interpreter: the table rows only read it."""
    return build()


def times(store: Any) -> dict:
    """Creation and update times by node: `{"a7_ct": ..., "a7_ut": ..., "e2_ct": ..., ...}`."""
    out = {}
    for letter, nodes in (("a", store.get_artifacts()), ("e", store.get_executions()),
                          ("c", store.get_contexts())):
        for node in nodes:
            out[f"{letter}{node.id}_ct"] = node.create_time_since_epoch
            out[f"{letter}{node.id}_ut"] = node.last_update_time_since_epoch
    return out


def dump(store: Any, keep_times: bool = True) -> Any:
    """Everything the public API can read back from `store`: types, nodes, links, events.

    Two dumps compare equal exactly when nothing observable changed in between. Without
    `keep_times` the node timestamps are left out, so two builds of one layout compare equal.
    """
    artifacts = store.get_artifacts()
    executions = store.get_executions()
    contexts = store.get_contexts()
    a_ids = [a.id for a in artifacts]
    links = {
        str(c.id): {
            "artifacts": sorted(a.id for a in store.get_artifacts_by_context(c.id)),
            "executions": sorted(e.id for e in store.get_executions_by_context(c.id)),
            "parents": sorted(p.id for p in store.get_parent_contexts_by_context(c.id)),
        }
        for c in contexts
    }
    return show({
        "artifact_types": store.get_artifact_types(),
        "execution_types": store.get_execution_types(),
        "context_types": store.get_context_types(),
        "artifacts": artifacts,
        "executions": executions,
        "contexts": contexts,
        "links": links,
        "events": store.get_events_by_artifact_ids(a_ids) if a_ids else [],
    }, keep_times=keep_times)


BULK_ARTIFACTS = 150
BULK_EXECUTIONS = 120


@once_per_backend
def bulk() -> Any:
    """A store for paging: more matches than the wrapper's page of 100, once per interpreter.

    Artifacts 1..150 (Dataset) have `uri` '/bulk/<id>', or '/other/<id>' when the id is a multiple
    of 5, and `properties.span` = id; executions 1..120 (Trainer) are COMPLETE for even ids and
    RUNNING for odd ones. Context 1 ('all', a Run) holds every artifact and every execution.
    """
    store = new_store()
    dataset = store.put_artifact_type(artifact_type("Dataset", props={"span": "INT"}))
    trainer = store.put_execution_type(execution_type("Trainer"))
    run = store.put_context_type(context_type("Run"))
    store.put_artifacts([
        artifact(dataset, uri=f"/other/{i}" if i % 5 == 0 else f"/bulk/{i}",
                 properties={"span": i})
        for i in range(1, BULK_ARTIFACTS + 1)])
    store.put_executions([
        execution(trainer, last_known_state=pb.Execution.State.Value(
            "COMPLETE" if i % 2 == 0 else "RUNNING"))
        for i in range(1, BULK_EXECUTIONS + 1)])
    store.put_contexts([context(run, name="all")])
    store.put_attributions_and_associations(
        [pb.Attribution(context_id=1, artifact_id=i) for i in range(1, BULK_ARTIFACTS + 1)],
        [pb.Association(context_id=1, execution_id=i) for i in range(1, BULK_EXECUTIONS + 1)])
    return store


# Property names a store can hold and a filter must reach (scenarios_filter_names.py, the hypothesis test in
# test_property_names.py): artifact k of names() holds custom property HOSTILE_NAMES[k - 1] = k, and the
# declared property of that name = k too, except for names with NUL, which MLMD cannot declare.
HOSTILE_NAMES = {
    # key: name. Order gives the artifact ids.
    "backslash": "a\\b",
    "backquote": "a`b",
    "newline": "a\nb",
    "tab": "a\tb",
    "single-quote": "it's",
    "double-quote": 'say "hi"',
    "empty": "",
    "lone-combining-mark": "\u0301",
    "space": "a b",
    "non-bmp": "\U0001F600",
    "only-backslash": "\\",
    "only-backquote": "`",
    "crlf": "\r\n",
    "mixed-case": "Mixed",
    "nul": "x\x00y",
    "trailing-backslash": "tail\\",
}


@once_per_backend
def names() -> Any:
    """Artifacts 1..len(HOSTILE_NAMES) of type Named, each holding one hostile property name (see above)."""
    store = new_store()
    declared = {n: "INT" for n in HOSTILE_NAMES.values() if "\x00" not in n}
    type_id = store.put_artifact_type(artifact_type("Named", props=declared))
    for k, name in enumerate(HOSTILE_NAMES.values(), start=1):
        store.put_artifacts([artifact(type_id, properties={name: k} if name in declared else {},
                                      custom_properties={name: k})])
    return store


# Value kinds (scenarios_filters.py, prop-kind rows): one property name held under several kinds.
#   id type properties                custom c
#    1 A    span=1      c=1.5         3
#    2 A    span=0      c=0.0         "x"
#    3 B    span="a_c"  c=TRUE        2.5
#    4 B    span=""     c=FALSE       TRUE
#    5 C    span=2.5                  FALSE
#    6 A    -                         0
#    7 B    span="0"                  ""
#    8 C    span=0.0                  0.0
#    9 A    -                         struct {"k": 1}
#   10 A    -                         proto (an Artifact named "z")
#   11 A    -                         empty struct
# Types: A declares span INT and c DOUBLE, B span STRING and c BOOLEAN, C span DOUBLE.
@once_per_backend
def kinds() -> Any:
    """The store in the table above."""
    store = new_store()
    a = store.put_artifact_type(artifact_type("A", props={"span": "INT", "c": "DOUBLE"}))
    b = store.put_artifact_type(artifact_type("B", props={"span": "STRING", "c": "BOOLEAN"}))
    c = store.put_artifact_type(artifact_type("C", props={"span": "DOUBLE"}))
    proto, empty_struct = pb.Value(), pb.Value()
    proto.proto_value.Pack(pb.Artifact(name="z"))
    empty_struct.struct_value.SetInParent()
    rows = [(a, {"span": 1, "c": 1.5}, 3), (a, {"span": 0, "c": 0.0}, "x"), (b, {"span": "a_c", "c": True}, 2.5),
            (b, {"span": "", "c": False}, True), (c, {"span": 2.5}, False), (a, {}, 0), (b, {"span": "0"}, ""),
            (c, {"span": 0.0}, 0.0), (a, {}, {"k": 1}), (a, {}, proto), (a, {}, empty_struct)]
    for type_id, props, custom in rows:
        store.put_artifacts([artifact(type_id, properties=props, custom_properties={"c": custom})])
    return store


@once_per_backend
def props100() -> Any:
    """Artifact 1 holds custom properties p0..p99 = 0..99, artifact 2 holds p0..p49."""
    store = new_store()
    type_id = store.put_artifact_type(artifact_type("T"))
    store.put_artifacts([artifact(type_id, custom_properties={f"p{i}": i for i in range(100)})])
    store.put_artifacts([artifact(type_id, custom_properties={f"p{i}": i for i in range(50)})])
    return store
