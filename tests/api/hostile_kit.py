"""Hostile arguments for every public `MetadataStore` method: the table, a seeded store and a dump of it.

Like scenario_kit, this module imports only `ml_metadata` (lazily) and the standard library, so the same
sweep runs on our package (test_hostile_sweep.py), on the real ml-metadata 1.17.1 (hostile_runner.py in
the oracle's interpreter) and, later, through a gRPC client.

The calls are derived from the methods' signatures: every public method, every parameter, each value of
`ANY_PARAM` plus those of the parameter's kind (`PARAM_KINDS`), the other parameters at valid values
for the seeded store (`valid_args`). A method whose parameter has no kind yet makes `plan` fail, so a
new method is swept (or flagged) automatically.
"""
from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from scenario_kit import errors, mlmd, pb

Factory = Callable[["Seed"], Any]

# -- the seeded store ---------------------------------------------------------------------------------

KINDS = ("artifact", "execution", "context")


@dataclasses.dataclass
class Seed:
    """Ids and names of the few things `seed` stores; valid arguments are built from them."""

    type_ids: Dict[str, int]
    type_names: Dict[str, str]
    type_external_ids: Dict[str, str]
    node_ids: Dict[str, List[int]]
    node_names: Dict[str, str]
    node_external_ids: Dict[str, str]
    uri: str
    stored_types: Dict[str, Any]  # kind -> the type as read back
    stored_nodes: Dict[str, List[Any]]  # kind -> the nodes as read back, by id

    def type_copy(self, kind: str) -> Any:
        """A fresh copy of the stored type of this kind: putting it again changes nothing."""
        return _copy(self.stored_types[kind])

    def node_copy(self, kind: str, index: int = 0) -> Any:
        """A fresh copy of a stored node: putting it again changes nothing."""
        return _copy(self.stored_nodes[kind][index])


def _copy(msg: Any) -> Any:
    fresh = type(msg)()
    fresh.CopyFrom(msg)
    return fresh


def seed(store: Any) -> Seed:
    """Stores a type of each kind, two nodes of each, events, attributions, associations and a parent link."""
    type_ids = {
        "artifact": store.put_artifact_type(pb.ArtifactType(
            name="hostile.Artifact", external_id="hostile.at", properties={"p": pb.INT})),
        "execution": store.put_execution_type(pb.ExecutionType(
            name="hostile.Execution", external_id="hostile.et", properties={"p": pb.STRING})),
        "context": store.put_context_type(pb.ContextType(
            name="hostile.Context", external_id="hostile.ct", properties={"p": pb.DOUBLE})),
    }
    artifacts = [pb.Artifact(type_id=type_ids["artifact"], name=f"a{i}", uri=f"gs://hostile/{i}",
                             external_id=f"hostile.a{i}", state=pb.Artifact.LIVE) for i in range(2)]
    artifacts[0].properties["p"].int_value = 7
    artifacts[1].custom_properties["c"].string_value = "x"
    executions = [pb.Execution(type_id=type_ids["execution"], name=f"e{i}", external_id=f"hostile.e{i}",
                               last_known_state=pb.Execution.COMPLETE) for i in range(2)]
    contexts = [pb.Context(type_id=type_ids["context"], name=f"c{i}", external_id=f"hostile.c{i}")
                for i in range(2)]
    artifact_ids = store.put_artifacts(artifacts)
    execution_ids = store.put_executions(executions)
    context_ids = store.put_contexts(contexts)
    store.put_events([
        pb.Event(artifact_id=artifact_ids[0], execution_id=execution_ids[0], type=pb.Event.INPUT),
        pb.Event(artifact_id=artifact_ids[1], execution_id=execution_ids[0], type=pb.Event.OUTPUT),
        pb.Event(artifact_id=artifact_ids[1], execution_id=execution_ids[1], type=pb.Event.INPUT),
    ])
    store.put_attributions_and_associations(
        [pb.Attribution(context_id=context_ids[0], artifact_id=artifact_ids[0])],
        [pb.Association(context_id=context_ids[0], execution_id=execution_ids[0])])
    store.put_parent_contexts([pb.ParentContext(child_id=context_ids[1], parent_id=context_ids[0])])
    return Seed(
        type_ids=type_ids,
        type_names={"artifact": "hostile.Artifact", "execution": "hostile.Execution", "context": "hostile.Context"},
        type_external_ids={"artifact": "hostile.at", "execution": "hostile.et", "context": "hostile.ct"},
        node_ids={"artifact": artifact_ids, "execution": execution_ids, "context": context_ids},
        node_names={"artifact": "a0", "execution": "e0", "context": "c0"},
        node_external_ids={"artifact": "hostile.a0", "execution": "hostile.e0", "context": "hostile.c0"},
        uri="gs://hostile/0",
        stored_types={"artifact": store.get_artifact_types_by_id([type_ids["artifact"]])[0],
                      "execution": store.get_execution_types_by_id([type_ids["execution"]])[0],
                      "context": store.get_context_types_by_id([type_ids["context"]])[0]},
        stored_nodes={"artifact": store.get_artifacts_by_id(artifact_ids),
                      "execution": store.get_executions_by_id(execution_ids),
                      "context": store.get_contexts_by_id(context_ids)},
    )


def dump(store: Any) -> Dict[str, List[Any]]:
    """Everything the store holds, through the public API: types, nodes, events and every link.

    Messages are kept serialized (deterministically): some hold a megabyte string, which text format
    would spend milliseconds escaping on every dump.
    """
    def text(messages: Sequence[Any]) -> List[bytes]:
        return sorted(m.SerializeToString(deterministic=True) for m in messages)

    contexts = store.get_contexts()
    executions = store.get_executions()
    out = {
        "artifact_types": text(store.get_artifact_types()),
        "execution_types": text(store.get_execution_types()),
        "context_types": text(store.get_context_types()),
        "artifacts": text(store.get_artifacts()),
        "executions": text(executions),
        "contexts": text(contexts),
        "events": text(store.get_events_by_execution_ids([e.id for e in executions])),
    }
    for ctx in contexts:
        out[f"context {ctx.id}"] = [
            "artifacts " + repr(sorted(a.id for a in store.get_artifacts_by_context(ctx.id))),
            "executions " + repr(sorted(e.id for e in store.get_executions_by_context(ctx.id))),
            "parents " + repr(sorted(c.id for c in store.get_parent_contexts_by_context(ctx.id))),
        ]
    return out


# -- the argument table -------------------------------------------------------------------------------

BIG = 100_000  # elements in the "huge list" values, which only BIG_CALLS receive
MEGABYTE = "x" * (1 << 20)


def _stored(seed_: Seed, kind: str, index: int = 0) -> Any:
    return seed_.node_copy(kind, index)


# Values tried on every parameter, whatever it takes.
ANY_PARAM: List[Tuple[str, Factory]] = [
    ("none", lambda s: None),
    ("str", lambda s: "x"),
    ("bytes", lambda s: b"x"),
    ("float", lambda s: 1.5),
    ("nan", lambda s: math.nan),
    ("inf", lambda s: math.inf),
    ("dict", lambda s: {}),
    ("int_2^63", lambda s: 2 ** 63),
    ("int_-2^63-1", lambda s: -2 ** 63 - 1),
    ("int_-1", lambda s: -1),
    ("surrogate", lambda s: "\ud800"),
    ("nul", lambda s: "a\x00b"),
    ("megabyte_str", lambda s: MEGABYTE),
    ("object", lambda s: object()),
    ("wrong_message", lambda s: pb.Value()),
    ("empty_list", lambda s: []),
    ("list_of_none", lambda s: [None]),
    ("list_of_wrong_message", lambda s: [pb.Value()]),
]

_NODE_CLASS = {"artifact": "Artifact", "execution": "Execution", "context": "Context"}
_TYPE_CLASS = {"artifact": "ArtifactType", "execution": "ExecutionType", "context": "ContextType"}


def _node_values(kind: str) -> List[Tuple[str, Factory]]:
    """Hostile lists of nodes of `kind` (put_artifacts, put_lineage_subgraph's lists, put_execution's contexts)."""
    cls = _NODE_CLASS[kind]
    other = "Context" if kind != "context" else "Artifact"

    def node(**fields: Any) -> Callable[[Seed], Any]:
        return lambda s: getattr(pb, cls)(**{k: (v(s) if callable(v) else v) for k, v in fields.items()})

    typed = lambda s: s.type_ids[kind]  # noqa: E731
    return [
        ("empty_message", lambda s: [getattr(pb, cls)()]),
        ("wrong_class", lambda s: [getattr(pb, other)()]),
        ("type_class", lambda s: [getattr(pb, _TYPE_CLASS[kind])()]),
        ("tuple", lambda s: (_stored(s, kind),)),
        ("generator", lambda s: (m for m in [_stored(s, kind)])),
        ("stored_then_none", lambda s: [_stored(s, kind), None]),
        # Each value has one thing wrong (contexts need a name), so the class does not hang on check order.
        ("unknown_id", lambda s: [node(id=2 ** 63 - 1, type_id=typed, name="ui")(s)]),
        ("negative_id", lambda s: [node(id=-5, type_id=typed, name="ni")(s)]),
        ("unknown_type", lambda s: [node(type_id=2 ** 63 - 1, name="ut")(s)]),
        ("negative_type", lambda s: [node(type_id=-1, name="nt")(s)]),
        ("other_kinds_type", lambda s: [node(type_id=lambda s: s.type_ids["artifact" if kind != "artifact"
                                                                          else "execution"], name="ot")(s)]),
        ("property_wrong_value_kind", lambda s: [_with_property(node(type_id=typed, name="pw")(s), "p", "bool")]),
        ("property_not_in_type", lambda s: [_with_property(node(type_id=typed, name="pn")(s), "zz", "int")]),
        ("new_then_invalid", lambda s: [node(type_id=typed, name="fresh")(s), node(type_id=-1, name="bad")(s)]),
        ("duplicate_name", lambda s: [node(type_id=typed, name=s.node_names[kind])(s)]),
        ("duplicate_external_id", lambda s: [node(type_id=typed, name="dx",
                                                  external_id=s.node_external_ids[kind])(s)]),
        ("twice_same_new_name", lambda s: [node(type_id=typed, name="twin")(s), node(type_id=typed, name="twin")(s)]),
        # Names of nodes a call may insert are unique, so no call depends on what an earlier one stored
        # (after a crash the oracle goes on with a fresh store); the serial comes before the NUL, which
        # ml-metadata 1.17.1 cuts strings at.
        ("nul_in_name", lambda s: [node(type_id=typed, name=_fresh("n") + "\x00ul")(s)]),
        ("megabyte_name", lambda s: [node(type_id=typed, name=_fresh("m") + MEGABYTE)(s)]),
        ("str_of_chars", lambda s: "ab"),
        ("huge_list", lambda s: _many(getattr(pb, cls))),
    ] + ([
        # ml-metadata 1.17.1 aborts the process on this one; artifacts only, so the oracle restarts seldom.
        ("empty_custom_value", lambda s: [_with_empty_custom_value(node(type_id=typed, name="ecv")(s))]),
    ] if kind == "artifact" else [])


def _many(message_class: Any) -> List[Any]:
    return [message_class() for _ in range(BIG)]


_serial = itertools.count()


def _fresh(prefix: str) -> str:
    """A name no other call uses."""
    return f"{prefix}{next(_serial)}"


def _with_empty_custom_value(msg: Any) -> Any:
    msg.custom_properties.get_or_create("c")
    return msg


def _with_property(msg: Any, name: str, value_kind: str) -> Any:
    value = msg.properties[name]
    if value_kind == "bool":
        value.bool_value = True
    else:
        value.int_value = 3
    return msg


def _type_values(kind: str) -> List[Tuple[str, Factory]]:
    cls = _TYPE_CLASS[kind]
    other = "ContextType" if kind != "context" else "ArtifactType"
    return [
        ("empty_message", lambda s: getattr(pb, cls)()),
        ("wrong_class", lambda s: getattr(pb, other)(name="w")),
        ("node_class", lambda s: getattr(pb, _NODE_CLASS[kind])()),
        ("in_a_list", lambda s: [getattr(pb, cls)(name="l")]),
        ("nul_name", lambda s: getattr(pb, cls)(name="n\x00ul")),
        ("megabyte_name", lambda s: getattr(pb, cls)(name=MEGABYTE)),
        ("unknown_property_type", lambda s: getattr(pb, cls)(name="u", properties={"p": pb.UNKNOWN})),
        ("changed_property_type", lambda s: getattr(pb, cls)(name=s.type_names[kind], properties={"p": pb.PROTO})),
        ("unknown_id", lambda s: getattr(pb, cls)(id=2 ** 63 - 1, name="ui")),
        ("taken_external_id", lambda s: getattr(pb, cls)(name="tx", external_id=s.type_external_ids[kind])),
        ("base_type", lambda s: getattr(pb, cls)(name="bt", base_type=1) if kind != "context"
         else getattr(pb, cls)(name="bt", version="\x00")),
    ]


_IDS: List[Tuple[str, Factory]] = [
    ("id_2^63", lambda s: [2 ** 63]),
    ("id_-2^63-1", lambda s: [-2 ** 63 - 1]),
    ("id_max", lambda s: [2 ** 63 - 1]),
    ("id_min", lambda s: [-2 ** 63]),
    ("id_-1", lambda s: [-1]),
    ("id_0", lambda s: [0]),
    ("id_true", lambda s: [True]),
    ("id_str", lambda s: ["1"]),
    ("id_bytes", lambda s: [b"1"]),
    ("id_float", lambda s: [1.0]),
    ("id_nan", lambda s: [math.nan]),
    ("id_none", lambda s: [1, None]),
    ("ids_tuple", lambda s: (1, 2)),
    ("ids_set", lambda s: {1, 2}),
    ("ids_generator", lambda s: (i for i in [1, 2])),
    ("ids_dict", lambda s: {1: "a"}),
    ("ids_range", lambda s: range(3)),
    ("ids_repeated", lambda s: [1, 1, 1]),
    ("huge_list", lambda s: list(range(1, BIG + 1))),
]

_ID: List[Tuple[str, Factory]] = [
    ("max", lambda s: 2 ** 63 - 1),
    ("min", lambda s: -2 ** 63),
    ("zero", lambda s: 0),
    ("true", lambda s: True),
    ("str_digit", lambda s: "1"),
    ("float_whole", lambda s: 1.0),
    ("list", lambda s: [1]),
]

_TEXT: List[Tuple[str, Factory]] = [
    ("empty", lambda s: ""),
    ("bad_utf8_bytes", lambda s: b"\xff"),
    ("utf8_bytes", lambda s: b"hostile"),
    ("int", lambda s: 1),
    ("list", lambda s: ["x"]),
    ("sql_quote", lambda s: "x' OR '1'='1"),
]

_TEXTS: List[Tuple[str, Factory]] = [
    ("one_surrogate", lambda s: ["\ud800"]),
    ("one_nul", lambda s: ["a\x00b"]),
    ("one_int", lambda s: [1]),
    ("one_bytes", lambda s: [b"x"]),
    ("one_bad_bytes", lambda s: [b"\xff"]),
    ("one_empty", lambda s: [""]),
    ("one_megabyte", lambda s: [MEGABYTE]),
    ("str_of_chars", lambda s: "abc"),
    ("huge_list", lambda s: [f"e{i}" for i in range(BIG)]),
]

_FLAG: List[Tuple[str, Factory]] = [
    ("true", lambda s: True),
    ("int_2", lambda s: 2),
    ("list", lambda s: [True]),
]

_LIST_OPTIONS: List[Tuple[str, Factory]] = [
    ("limit_-1", lambda s: mlmd.ListOptions(limit=-1)),
    ("limit_0", lambda s: mlmd.ListOptions(limit=0)),
    ("limit_2^63", lambda s: mlmd.ListOptions(limit=2 ** 63)),
    ("limit_2^31", lambda s: mlmd.ListOptions(limit=2 ** 31)),
    ("limit_float", lambda s: mlmd.ListOptions(limit=1.5)),
    ("limit_nan", lambda s: mlmd.ListOptions(limit=math.nan)),
    ("limit_str", lambda s: mlmd.ListOptions(limit="5")),
    ("order_by_str", lambda s: mlmd.ListOptions(order_by="ID")),
    ("order_by_int", lambda s: mlmd.ListOptions(order_by=1)),
    ("is_asc_str", lambda s: mlmd.ListOptions(order_by=mlmd.OrderByField.ID, is_asc="no")),
    ("is_asc_none", lambda s: mlmd.ListOptions(order_by=mlmd.OrderByField.ID, is_asc=None)),
    ("filter_surrogate", lambda s: mlmd.ListOptions(filter_query="name = '\ud800'")),
    ("filter_nul", lambda s: mlmd.ListOptions(filter_query="name = 'a\x00b'")),
    ("filter_int", lambda s: mlmd.ListOptions(filter_query=1)),
    ("filter_bytes", lambda s: mlmd.ListOptions(filter_query=b"id = 1")),
    ("filter_garbage", lambda s: mlmd.ListOptions(filter_query="id = = 1")),
    ("filter_megabyte", lambda s: mlmd.ListOptions(filter_query="name = '" + MEGABYTE + "'")),
    ("filter_huge_id", lambda s: mlmd.ListOptions(filter_query="id = 99999999999999999999")),
    ("filter_unknown_column", lambda s: mlmd.ListOptions(filter_query="nope = 1")),
    ("proto_options", lambda s: pb.ListOperationOptions(max_result_size=1)),
]

_MASK: List[Tuple[str, Factory]] = [
    ("one_surrogate", lambda s: ["\ud800"]),
    ("one_nul", lambda s: ["na\x00me"]),
    ("one_int", lambda s: [1]),
    ("unknown_path", lambda s: ["no_such_field"]),
    ("property_path", lambda s: ["properties.p"]),
    ("str_of_chars", lambda s: "name"),
    ("one_bad_bytes", lambda s: [b"\xff"]),
]

_EVENTS: List[Tuple[str, Factory]] = [
    ("empty_event", lambda s: [pb.Event()]),
    ("wrong_class", lambda s: [pb.Attribution()]),
    ("no_type", lambda s: [pb.Event(artifact_id=s.node_ids["artifact"][0],
                                    execution_id=s.node_ids["execution"][1])]),
    ("unknown_artifact", lambda s: [pb.Event(artifact_id=2 ** 63 - 1, execution_id=s.node_ids["execution"][0],
                                             type=pb.Event.INPUT)]),
    ("negative_execution", lambda s: [pb.Event(artifact_id=s.node_ids["artifact"][0], execution_id=-1,
                                               type=pb.Event.INPUT)]),
    ("duplicate", lambda s: [pb.Event(artifact_id=s.node_ids["artifact"][0], execution_id=s.node_ids["execution"][0],
                                      type=pb.Event.INPUT)]),
    ("new_then_invalid", lambda s: [
        pb.Event(artifact_id=s.node_ids["artifact"][0], execution_id=s.node_ids["execution"][1], type=pb.Event.OUTPUT),
        pb.Event()]),
    ("str_of_chars", lambda s: "ev"),
    ("huge_list", lambda s: _many(pb.Event)),
]


def _links(cls_name: str, node_field: str, node_kind: str) -> List[Tuple[str, Factory]]:
    other = "Association" if cls_name == "Attribution" else "Attribution"
    cls = lambda: getattr(pb, cls_name)  # noqa: E731
    return [
        ("empty_link", lambda s: [cls()()]),
        ("wrong_class", lambda s: [getattr(pb, other)()]),
        ("unknown_context", lambda s: [cls()(context_id=2 ** 63 - 1, **{node_field: s.node_ids[node_kind][0]})]),
        ("unknown_node", lambda s: [cls()(context_id=s.node_ids["context"][0], **{node_field: 2 ** 63 - 1})]),
        ("negative_ids", lambda s: [cls()(context_id=-1, **{node_field: -1})]),
        ("new_then_invalid", lambda s: [cls()(context_id=s.node_ids["context"][1], **{node_field: s.node_ids[node_kind][1]}),
                                        cls()(context_id=-1, **{node_field: -1})]),
        ("str_of_chars", lambda s: "ab"),
    ]


_PARENTS: List[Tuple[str, Factory]] = [
    ("empty_link", lambda s: [pb.ParentContext()]),
    ("wrong_class", lambda s: [pb.Attribution()]),
    ("self_parent", lambda s: [pb.ParentContext(child_id=s.node_ids["context"][0], parent_id=s.node_ids["context"][0])]),
    ("cycle", lambda s: [pb.ParentContext(child_id=s.node_ids["context"][0], parent_id=s.node_ids["context"][1])]),
    ("duplicate", lambda s: [pb.ParentContext(child_id=s.node_ids["context"][1], parent_id=s.node_ids["context"][0])]),
    ("unknown_parent", lambda s: [pb.ParentContext(child_id=s.node_ids["context"][0], parent_id=2 ** 63 - 1)]),
    ("str_of_chars", lambda s: "ab"),
]

_ARTIFACT_AND_EVENTS: List[Tuple[str, Factory]] = [
    ("artifact_alone", lambda s: [(_stored(s, "artifact"),)]),
    ("empty_pair", lambda s: [()]),
    ("none_pair", lambda s: [None]),
    ("empty_artifact", lambda s: [(pb.Artifact(), None)]),
    ("wrong_artifact_class", lambda s: [(pb.Context(), None)]),
    ("wrong_event_class", lambda s: [(_stored(s, "artifact"), pb.Attribution())]),
    ("str_event", lambda s: [(_stored(s, "artifact"), "x")]),
    ("triple", lambda s: [(_stored(s, "artifact"), pb.Event(type=pb.Event.INPUT), 1)]),
    ("str_pair", lambda s: ["ab"]),
    ("event_for_other_execution", lambda s: [(_stored(s, "artifact"), pb.Event(
        type=pb.Event.INPUT, execution_id=2 ** 63 - 1))]),
    ("event_without_type", lambda s: [(_stored(s, "artifact"), pb.Event())]),
    ("new_artifact_bad_type", lambda s: [(pb.Artifact(type_id=-1), pb.Event(type=pb.Event.OUTPUT))]),
]

_EVENT_EDGES: List[Tuple[str, Factory]] = [
    ("none_indices", lambda s: [(None, None, pb.Event(type=pb.Event.INPUT))]),
    ("none_event", lambda s: [(0, 0, None)]),
    ("str_event", lambda s: [(0, 0, "x")]),
    ("index_2^63", lambda s: [(2 ** 63, 0, pb.Event(type=pb.Event.INPUT))]),
    ("index_2^31", lambda s: [(2 ** 31, 0, pb.Event(type=pb.Event.INPUT))]),
    ("index_-1", lambda s: [(-1, 0, pb.Event(type=pb.Event.INPUT))]),
    ("index_float", lambda s: [(0.0, 0, pb.Event(type=pb.Event.INPUT))]),
    ("pair", lambda s: [(0, 0)]),
    ("quad", lambda s: [(0, 0, pb.Event(), 1)]),
    ("str_triple", lambda s: ["abc"]),
    ("out_of_range", lambda s: [(0, 0, pb.Event(type=pb.Event.INPUT))]),
]

_SUBGRAPH_QUERY: List[Tuple[str, Factory]] = [
    ("empty_options", lambda s: pb.LineageSubgraphQueryOptions()),
    ("graph_options", lambda s: pb.LineageGraphQueryOptions()),
    ("negative_hops", lambda s: pb.LineageSubgraphQueryOptions(
        starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="id > 0"), max_num_hops=-1)),
    ("hops_2^62", lambda s: pb.LineageSubgraphQueryOptions(
        starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="id > 0"), max_num_hops=2 ** 62)),
    ("empty_filter", lambda s: pb.LineageSubgraphQueryOptions(
        starting_executions=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query=""))),
    ("garbage_filter", lambda s: pb.LineageSubgraphQueryOptions(
        starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="(("))),
    ("nul_filter", lambda s: pb.LineageSubgraphQueryOptions(
        starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="name = 'a\x00'"))),
    ("no_match", lambda s: pb.LineageSubgraphQueryOptions(
        starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="id < 0"))),
    ("garbage_ending", lambda s: pb.LineageSubgraphQueryOptions(
        starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="id > 0"),
        ending_artifacts=pb.LineageSubgraphQueryOptions.EndingNodes(filter_query="=="))),
]

_GRAPH_QUERY: List[Tuple[str, Factory]] = [
    ("empty_options", lambda s: pb.LineageGraphQueryOptions()),
    ("subgraph_options", lambda s: pb.LineageSubgraphQueryOptions()),
    ("negative_page", lambda s: pb.LineageGraphQueryOptions(
        artifacts_options=pb.ListOperationOptions(max_result_size=-1))),
    ("garbage_filter", lambda s: pb.LineageGraphQueryOptions(
        artifacts_options=pb.ListOperationOptions(filter_query="(("))),
    ("garbage_token", lambda s: pb.LineageGraphQueryOptions(
        artifacts_options=pb.ListOperationOptions(next_page_token="\x00garbage"))),
]

# The kind of each parameter name, and that kind's own hostile values.
PARAM_KINDS: Dict[str, str] = {
    **{f"{k}_ids": "ids" for k in KINDS}, "type_ids": "ids",
    **{f"{k}_id": "id" for k in KINDS},
    **{f"{k}_name": "text" for k in KINDS}, "type_name": "text", "uri": "text", "type_version": "text",
    "external_ids": "texts",
    **{f"{k}_type": f"{k}_type" for k in KINDS},
    "artifacts": "artifacts", "executions": "executions", "contexts": "contexts", "execution": "execution",
    "events": "events", "attributions": "attributions", "associations": "associations",
    "parent_contexts": "parent_contexts", "artifact_and_events": "artifact_and_events",
    "event_edges": "event_edges",
    "field_mask_paths": "mask", "list_options": "list_options",
    "can_add_fields": "flag", "can_omit_fields": "flag", "reuse_context_if_already_exist": "flag",
    "reuse_artifact_if_already_exist_by_external_id": "flag", "force_reuse_context": "flag",
    "force_update_time": "flag",
    "query_options": "query_options",
    "extra_options": "extra_options",
    "kind": "text", "filter_query": "text",  # explain_filter (ours only)
    "types": "types",  # import_records (ours only)
    # delete_* and collect_garbage (ours only); valid_args makes them dry runs, so the store never changes.
    "cascade": "flag", "delete_orphans": "flag", "dry_run": "flag", "updated_before": "id", "type_names": "texts",
    "keep_lineage_of": "kept_nodes",
}

_BY_KIND: Dict[str, List[Tuple[str, Factory]]] = {
    "ids": _IDS, "id": _ID, "text": _TEXT, "texts": _TEXTS, "flag": _FLAG, "mask": _MASK,
    "list_options": _LIST_OPTIONS, "events": _EVENTS, "parent_contexts": _PARENTS,
    "attributions": _links("Attribution", "artifact_id", "artifact"),
    "associations": _links("Association", "execution_id", "execution"),
    "artifact_and_events": _ARTIFACT_AND_EVENTS, "event_edges": _EVENT_EDGES,
    # put_execution's one execution: the first node of each list value that is about a single node.
    "execution": [(name, (lambda f: lambda s: f(s)[0])(f)) for name, f in _node_values("execution")
                  if name not in ("tuple", "generator", "str_of_chars", "huge_list", "stored_then_none",
                                  "new_then_invalid", "twice_same_new_name")],
    "extra_options": [("extra_options", lambda s: mlmd.metadata_store.metadata_store.ExtraOptions())],
    "query_options": [],  # per method: see _QUERY_OPTIONS
    # collect_garbage's (kind, id) pairs.
    "kept_nodes": [("unknown_kind", lambda s: [("type", 1)]), ("str_id", lambda s: [("artifact", "1")]),
                   ("bare_id", lambda s: [1]), ("triple", lambda s: [("artifact", 1, 2)]),
                   ("unknown_node", lambda s: [("artifact", 2 ** 40)]), ("bytes_kind", lambda s: [(b"artifact", 1)])],
    # import_records' list of types of any kind: each type value of every kind, in a list, and one bare.
    "types": [(f"{kind}_{name}", (lambda f: lambda s: [f(s)])(f)) for kind in KINDS for name, f in _type_values(kind)]
    + [("bare_type", lambda s: pb.ArtifactType(id=99, name="bare"))],
    **{f"{k}_type": _type_values(k) for k in KINDS},
    **{f"{k}s": _node_values(k) for k in KINDS},
}
_QUERY_OPTIONS = {"get_lineage_subgraph": _SUBGRAPH_QUERY, "get_lineage_graph": _GRAPH_QUERY}

# The only calls that get a huge_list value (100k elements), to keep the sweep fast.
BIG_CALLS = frozenset({
    ("get_artifacts_by_id", "artifact_ids"),
    ("get_contexts_by_external_ids", "external_ids"),
    ("put_executions", "executions"),
    ("put_events", "events"),
})


def method_kind(method: str) -> str:
    """The node kind a method is about: the first of artifact / execution / context in its name."""
    return min((method.find(k), k) for k in KINDS if k in method)[1]


def valid_args(method: str, params: Sequence[str], s: Seed) -> Dict[str, Any]:
    """Arguments that make `method` succeed on the seeded store without changing it."""
    kind = method_kind(method) if any(k in method for k in KINDS) else "artifact"
    out: Dict[str, Any] = {}
    for p in params:
        if method == "import_records":
            out[p] = None if p == "extra_options" else []  # imports nothing
        elif p in ("cascade", "dry_run"):
            out[p] = True  # a dry run of a delete that may take the edges: it succeeds and changes nothing
        elif p in ("updated_before", "type_names", "keep_lineage_of"):
            out[p] = None if p == "updated_before" else []
        elif PARAM_KINDS.get(p) == "flag":
            out[p] = False
        elif p == "kind":
            out[p] = "artifacts"
        elif p == "filter_query":
            out[p] = f"id = {s.node_ids['artifact'][0]}"
        elif PARAM_KINDS.get(p) in ("mask", "list_options", "extra_options") or p == "type_version":
            out[p] = None
        elif p == "type_ids":
            out[p] = [s.type_ids[kind]]
        elif p.endswith("_ids") and p != "external_ids":
            out[p] = [s.node_ids[p[:-4]][0]]
        elif p.endswith("_id"):
            out[p] = s.node_ids[p[:-3]][0]
        elif p == "type_name":
            out[p] = s.type_names[kind]
        elif p.endswith("_name"):
            out[p] = s.node_names[p[:-5]]
        elif p == "uri":
            out[p] = s.uri
        elif p == "external_ids":
            out[p] = [s.type_external_ids[kind] if "type" in method else s.node_external_ids[kind]]
        elif p.endswith("_type"):
            out[p] = s.type_copy(p[:-5])
        elif p in ("artifacts", "executions", "contexts"):
            # put_lineage_subgraph and put_execution take them as lists of new nodes: [] changes nothing.
            out[p] = [] if method in ("put_lineage_subgraph", "put_execution") else [_stored(s, p[:-1])]
        elif p == "execution":
            out[p] = _stored(s, "execution")
        elif p == "attributions":
            out[p] = [pb.Attribution(context_id=s.node_ids["context"][0], artifact_id=s.node_ids["artifact"][0])]
        elif p == "associations":
            out[p] = [pb.Association(context_id=s.node_ids["context"][0], execution_id=s.node_ids["execution"][0])]
        elif p in ("events", "parent_contexts", "artifact_and_events", "event_edges"):
            out[p] = []
        elif p == "query_options" and method == "get_lineage_subgraph":
            out[p] = pb.LineageSubgraphQueryOptions(
                starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(
                    filter_query=f"id = {s.node_ids['artifact'][0]}"), max_num_hops=1)
        elif p == "query_options":
            out[p] = pb.LineageGraphQueryOptions(artifacts_options=pb.ListOperationOptions(
                filter_query=f"id = {s.node_ids['artifact'][0]}"))
        else:
            raise KeyError(f"no valid value for parameter {p!r} of {method}; add it to hostile_kit.valid_args")
    return out


@dataclasses.dataclass(frozen=True)
class Call:
    """One hostile call: `method(**valid args, param=value(seed))`; `id` is `method:param=value_name`."""

    id: str
    method: str
    param: str
    value: Factory


def public_methods(store_class: type) -> List[Tuple[str, List[str]]]:
    """Every public method of the class and its parameter names (without self), by name."""
    found = []
    for name, fn in inspect.getmembers(store_class, inspect.isfunction):
        if not name.startswith("_"):
            found.append((name, list(inspect.signature(fn).parameters)[1:]))
    return found


def plan(store_class: Optional[type] = None) -> List[Call]:
    """Every hostile call for every public method of MetadataStore, in a fixed order."""
    store_class = store_class or mlmd.metadata_store.MetadataStore
    calls = []
    # import_records (ours only) writes nodes with the ids it is given, which later calls would then find:
    # swept last, it leaves the store the other methods meet as it is on ml-metadata.
    methods = sorted(public_methods(store_class), key=lambda found: found[0] == "import_records")
    for method, params in methods:
        for param in params:
            if param not in PARAM_KINDS:
                raise KeyError(f"{method}({param}=...): unknown parameter; give it a kind in hostile_kit.PARAM_KINDS")
            kind = PARAM_KINDS[param]
            own = _QUERY_OPTIONS[method] if kind == "query_options" else _BY_KIND[kind]
            for value_name, factory in ANY_PARAM + own:
                if value_name == "huge_list" and (method, param) not in BIG_CALLS:
                    continue
                calls.append(Call(f"{method}:{param}={value_name}", method, param, factory))
    return calls


def outcome(exc: Optional[BaseException]) -> str:
    """'ok', or the raised class as `module.QualName`."""
    if exc is None:
        return "ok"
    return f"{type(exc).__module__}.{type(exc).__qualname__}"


def run_call(store: Any, call: Call, s: Seed, params: Sequence[str]) -> Tuple[str, str]:
    """Makes the call; returns (outcome, message) — the message cut to 300 characters."""
    kwargs = valid_args(call.method, params, s)
    kwargs[call.param] = call.value(s)
    try:
        getattr(store, call.method)(**kwargs)
    except Exception as exc:  # every exception class is part of what the sweep observes
        return outcome(exc), str(exc)[:300]
    return "ok", ""


def sweep(store: Any, s: Seed, calls: Sequence[Call],
          after: Optional[Callable[[Call, str, str], None]] = None) -> Iterator[Tuple[Call, str, str]]:
    """Runs the calls in order; yields (call, outcome, message) for each."""
    params = dict(public_methods(type(store)))
    for call in calls:
        result, message = run_call(store, call, s, params[call.method])
        if after is not None:
            after(call, result, message)
        yield call, result, message


PUBLIC_ERROR_MODULE = "ml_metadata.errors"
ALLOWED_BUILTINS = ("builtins.TypeError", "builtins.ValueError")


def family(result: str) -> str:
    """An outcome with Python's own ValueError subclasses (UnicodeEncodeError, ...) folded into ValueError."""
    if result.startswith("builtins."):
        import builtins
        cls = getattr(builtins, result.split(".", 1)[1], None)
        if isinstance(cls, type) and issubclass(cls, ValueError):
            return "builtins.ValueError"
        if isinstance(cls, type) and issubclass(cls, TypeError):
            return "builtins.TypeError"
    return result


def is_allowed(result: str) -> bool:
    """Whether an outcome may leave a public method: ok, an ml_metadata.errors class, TypeError or ValueError."""
    return result == "ok" or result.startswith(PUBLIC_ERROR_MODULE + ".") or family(result) in ALLOWED_BUILTINS


__all__ = ["ANY_PARAM", "Call", "PARAM_KINDS", "Seed", "dump", "errors", "is_allowed", "family", "outcome",
           "plan", "public_methods", "run_call", "seed", "sweep", "valid_args"]
