"""Every read a converted store must answer as MLMD answered on the original: the calls, and their full answers.

Runs unchanged in the oracle's interpreter (ml-metadata 1.17.1) and in ours: it imports only `ml_metadata`
and protobuf. `read_calls(store)` derives the calls from what the store holds (every id, name, uri, external
id, context; every ordering with limits; filters; lineage walks); `run_calls` makes them and keeps whole
messages, timestamps included (scenario_kit.show drops them; here they are part of what must not change).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

from google.protobuf import json_format
from ml_metadata import metadata_store as mlmd
from ml_metadata.proto import metadata_store_pb2 as pb

Call = Dict[str, Any]
MIX_SEEDS = 4  # oracle_stores.py's random stores, mix-0 to mix-3
KINDS = ("artifact", "execution", "context")
ORDERS = ("CREATE_TIME", "UPDATE_TIME", "ID")
# Filters users write, one per attribute family; each runs on every kind it names.
FILTERS = {
    "artifact": ["uri LIKE 'gs://%'", "state = LIVE", "name IS NOT NULL", "external_id IS NOT NULL",
                 "create_time_since_epoch > 0 AND type = 'Data'", "events_0.type = OUTPUT",
                 "contexts_a.type = 'Run' OR contexts_a.type = 'pipeline_run'",
                 "properties.n.int_value > 0", "custom_properties.s.string_value = 'a'",
                 "properties.d.double_value > 1.0", "custom_properties.b.bool_value = true",
                 "custom_properties.span.int_value >= 1", "executions_0.name IS NOT NULL"],
    "execution": ["last_known_state = COMPLETE", "name LIKE '%e%'", "events_0.type = INPUT",
                  "contexts_a.name IS NOT NULL", "properties.n.int_value != 1", "type = 'Trainer'",
                  "artifacts_0.uri LIKE '%model%'"],
    "context": ["name LIKE 'c%'", "type = 'Run'", "parent_contexts_a.name IS NOT NULL",
                "child_contexts_a.type = 'pipeline_run'", "artifacts_0.state = LIVE",
                "properties.s.string_value = 'a'", "external_id = 'x1'"],
}


def call(op: str, *args: Any, **kwargs: Any) -> Call:
    return {"op": op, "args": list(args), "kwargs": kwargs}


def options(limit: Any = None, order_by: Any = None, is_asc: bool = True, filter_query: Any = None) -> Dict:
    return {"@list_options": {"limit": limit, "order_by": order_by, "is_asc": is_asc, "filter_query": filter_query}}


def read_calls(store: Any) -> List[Call]:
    """The calls to compare, from what `store` holds."""
    calls: List[Call] = []
    nodes: Dict[str, list] = {}
    types: Dict[str, list] = {}
    for kind in KINDS:
        types[kind] = list(getattr(store, f"get_{kind}_types")())
        nodes[kind] = list(getattr(store, f"get_{kind}s")())
        type_ids = [t.id for t in types[kind]] + list(range(1, 10)) + [999]
        calls.append(call(f"get_{kind}_types"))
        calls.append(call(f"get_{kind}_types_by_id", type_ids))
        for t in types[kind]:
            calls.append(call(f"get_{kind}_type", t.name, **({"type_version": t.version} if t.version else {})))
            by_type = {"type_version": t.version} if t.version else {}
            calls.append(call(f"get_{kind}s_by_type", t.name, **by_type))
        calls.append(call(f"get_{kind}_types_by_external_ids",
                          sorted({t.external_id for t in types[kind] if t.external_id}) or ["none"]))
        ids = [n.id for n in nodes[kind]]
        calls.append(call(f"get_{kind}s_by_id", ids + [999]))
        calls.append(call(f"get_{kind}s_by_external_ids",
                          sorted({n.external_id for n in nodes[kind] if n.external_id}) or ["none"]))
        names = {t.id: t.name for t in types[kind]}
        for n in nodes[kind]:
            if n.HasField("name") and n.type_id in names:
                calls.append(call(f"get_{kind}_by_type_and_name", names[n.type_id], n.name))
        calls.append(call(f"get_{kind}s"))
        for order in ORDERS:
            for is_asc in (True, False):
                for limit in (None, 1, 7, 150):
                    calls.append(call(f"get_{kind}s", list_options=options(limit, order, is_asc)))
        for query in FILTERS[kind]:
            calls.append(call(f"get_{kind}s", list_options=options(filter_query=query)))
            calls.append(call(f"get_{kind}s", list_options=options(5, "UPDATE_TIME", False, query)))
    calls.append(call("get_artifacts_and_types_by_artifact_ids", [n.id for n in nodes["artifact"]]))
    for uri in sorted({n.uri for n in nodes["artifact"]})[:50]:
        calls.append(call("get_artifacts_by_uri", uri))
    calls.append(call("get_events_by_artifact_ids", [n.id for n in nodes["artifact"]]))
    calls.append(call("get_events_by_execution_ids", [n.id for n in nodes["execution"]]))
    for n in nodes["artifact"]:
        calls.append(call("get_contexts_by_artifact", n.id))
    for n in nodes["execution"]:
        calls.append(call("get_contexts_by_execution", n.id))
    for c in nodes["context"]:
        calls.append(call("get_artifacts_by_context", c.id))
        calls.append(call("get_executions_by_context", c.id))
        calls.append(call("get_artifacts_by_context", c.id, list_options=options(3, "CREATE_TIME", False)))
        calls.append(call("get_executions_by_context", c.id, list_options=options(3, "UPDATE_TIME", True)))
        calls.append(call("get_parent_contexts_by_context", c.id))
        calls.append(call("get_children_contexts_by_context", c.id))
    for kind, query in (("artifacts", "id > 0"), ("executions", "id > 0"), ("artifacts", "state = LIVE")):
        for hops in (1, 3, 20):
            for direction in ("DIRECTION_UNSPECIFIED", "UPSTREAM", "DOWNSTREAM", "BIDIRECTIONAL"):
                opts = {"@msg": "LineageSubgraphQueryOptions",
                        "fields": {"starting_artifacts" if kind == "artifacts" else "starting_executions":
                                   {"filter_query": query}, "max_num_hops": hops, "direction": direction}}
                calls.append(call("get_lineage_subgraph", opts))
    return calls


def decode(arg: Any) -> Any:
    """The Python argument a JSON argument stands for: a message, a ListOptions, or itself."""
    if isinstance(arg, list):
        return [decode(a) for a in arg]
    if isinstance(arg, dict) and "@msg" in arg:
        return json_format.ParseDict(arg["fields"], getattr(pb, arg["@msg"])())
    if isinstance(arg, dict) and "@list_options" in arg:
        given = {k: v for k, v in arg["@list_options"].items() if v is not None}
        if "order_by" in given:
            given["order_by"] = mlmd.OrderByField[given["order_by"]]
        return mlmd.ListOptions(**given)
    return arg


# Lists whose order ml-metadata 1.17.1 leaves to chance (tests/differential/fuzz_compare.py): compared as sets.
UNORDERED = ("attributions", "associations")


def shown(value: Any) -> Any:
    """A result as JSON: messages whole (every field set, timestamps included), lists and tuples as lists."""
    if isinstance(value, (list, tuple)):
        return [shown(v) for v in value]
    if hasattr(value, "DESCRIPTOR"):
        out = json_format.MessageToDict(value, preserving_proto_field_name=True)
        if isinstance(value, pb.LineageGraph):
            for field in UNORDERED:
                if field in out:
                    out[field] = sorted(out[field], key=lambda item: sorted(item.items()))
        return out
    return value


def run_calls(store: Any, calls: List[Call]) -> List[Dict[str, Any]]:
    """Each call's answer on `store`: {"value": ...} or {"error": class name, "message": ...}."""
    out = []
    for made in calls:
        method = getattr(store, made["op"])
        try:
            out.append({"value": shown(method(*decode(made["args"]),
                                              **{k: decode(v) for k, v in made["kwargs"].items()}))})
        except Exception as exc:  # the class is part of the answer
            out.append({"error": type(exc).__name__, "message": str(getattr(exc, "message", exc))[:300]})
    return out


def config(path: Any) -> pb.ConnectionConfig:
    """The ConnectionConfig of the SQLite file at `path`."""
    out = pb.ConnectionConfig()
    out.sqlite.filename_uri = str(path)
    return out


def differences(recorded: Dict[str, Any], answers: List[Dict[str, Any]]) -> List[str]:
    """The calls whose answers differ from the recorded ones: values must be equal, errors of the same class."""
    found = []
    for made, theirs, ours in zip(recorded["calls"], recorded["answers"], answers):
        if "error" in theirs or "error" in ours:
            same = theirs.get("error") == ours.get("error")
        else:
            same = theirs["value"] == ours["value"]
        if not same:
            found.append(f"{json.dumps(made)[:300]}\n  MLMD: {json.dumps(theirs)[:600]}\n  ours: {json.dumps(ours)[:600]}")
    return found
