"""Predicates (and value normalisers) that recognise one kind of divergence each, for known_differences.py.

A predicate sees the whole divergence: the call, both outcomes, and the calls before it with our
outcomes (from which fuzz_faults rebuilds what the store held). Each says in a comment what it
recognises; none accepts a divergence on an error-class pair alone.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from fuzz_compare import Divergence
from fuzz_faults import faults, world_before
from fuzz_replay import READ_OPS
from fuzz_world import KINDS, World

Call = Dict[str, Any]
Normaliser = Callable[[Divergence, Any], Any]

_MEMBER_EXTERNAL_ID = re.compile(r"\b(artifacts|executions)_\w+\.external_id\b")
_MEMBER_ENUM_NEGATION = re.compile(r"\b(artifacts_\w+\.state|executions_\w+\.last_known_state)\s*(!=|NOT IN\b)")
_PROPERTY_VALUE = re.compile(
    r"(?<![\w.])(properties|custom_properties)\.(\w+)\.(int_value|double_value|string_value|bool_value)\b")


# -- reading a divergence ---------------------------------------------------------------------------


def ops(d: Divergence, *names: str) -> bool:
    return d.op in names


def raised(outcome: Dict[str, Any], cls: str, message_start: str = "") -> bool:
    """`outcome` is an error of class `cls` whose message starts with `message_start`."""
    return outcome.get("error") == cls and outcome.get("message", "").startswith(message_start)


def answered(outcome: Dict[str, Any]) -> bool:
    return "value" in outcome


def call_faults(d: Divergence) -> List[str]:
    """The faults fuzz_faults sees in the divergent call, given what the calls before it stored."""
    return faults(world_before(d.calls[:-1], d.history), d.call)


def filter_queries(d: Divergence) -> List[str]:
    """The filter queries a read carries (ListOptions, lineage starting / ending nodes)."""
    out = []
    for arg in d.call.get("args", []):
        if isinstance(arg, dict) and "@list_options" in arg and arg["@list_options"].get("filter_query"):
            out.append(arg["@list_options"]["filter_query"])
        if isinstance(arg, dict) and arg.get("@msg") == "LineageSubgraphQueryOptions":
            out += [v["filter_query"] for v in arg["fields"].values() if isinstance(v, dict) and v.get("filter_query")]
    return out


def listed_kind(d: Divergence) -> Optional[str]:
    """The node kind a listing (or a lineage walk's starting filter) selects."""
    for kind in KINDS:
        if d.op in (f"get_{kind}s", f"get_{kind}s_by_context"):
            return kind
    if d.op == "get_lineage_subgraph":
        return "artifact" if "starting_artifacts" in d.call["args"][0]["fields"] else "execution"
    return None


def nodes_of(value: Any) -> List[Dict[str, Any]]:
    """The node dicts in a read's result, in order (lists, [artifacts, types], lineage graphs)."""
    if isinstance(value, dict) and "type_id" in value:
        return [value]
    if isinstance(value, dict):
        return [n for key in ("artifacts", "executions", "contexts") for n in value.get(key, [])]
    if isinstance(value, list):
        return [n for item in value for n in nodes_of(item)]
    return []


def node_messages(made: Call) -> List[Tuple[str, Dict[str, Any]]]:
    """(kind, fields) of every node message a write call carries, in the order given."""
    args, out = made.get("args", []), []
    for kind in KINDS:
        if made["op"] == f"put_{kind}s":
            out += [(kind, n["fields"]) for n in args[0]]
    if made["op"] == "put_execution":
        out.append(("execution", args[0]["fields"]))
        out += [("artifact", pair[0]["fields"]) for pair in args[1]]
        out += [("context", c["fields"]) for c in args[2] or []]
    if made["op"] == "put_lineage_subgraph":
        for kind, nodes in zip(("execution", "artifact", "context"), args[:3]):
            out += [(kind, n["fields"]) for n in nodes]
    return out


def normalised_away(normalise: Normaliser) -> Callable[[Divergence], bool]:
    """A predicate: both answered, and `normalise` makes the two values equal."""
    def matches(d: Divergence) -> bool:
        return (answered(d.ours) and answered(d.theirs)
                and normalise(d, d.ours["value"]) == normalise(d, d.theirs["value"]))
    return matches


# -- issue 9's undecided differences ----------------------------------------------------------------


def by_context_filter_refused(d: Divergence) -> bool:
    # get_*_by_context(id, ListOptions(filter_query=...)): MLMD answers [] without parsing the filter
    # when the context has no such nodes; ours parses it first and refuses it.
    options = d.call["args"][1] if len(d.call["args"]) > 1 else None
    return (ops(d, "get_artifacts_by_context", "get_executions_by_context")
            and bool(options and options["@list_options"].get("filter_query"))
            and raised(d.ours, "InvalidArgumentError", "Invalid `filter_query`")
            and d.theirs.get("value") == [])


_NO_STARTING_NODES = "Cannot find qualified nodes to start the traversal"


def _selected(d: Divergence, outcome: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
    """The nodes a read answered with; a lineage walk that found no starting node selected none."""
    if answered(outcome):
        return nodes_of(outcome["value"])
    if ops(d, "get_lineage_subgraph") and raised(outcome, "NotFoundError", _NO_STARTING_NODES):
        return []
    return None


def selects_other_nodes(d: Divergence) -> bool:
    """Both select nodes that differ in which ids they hold, never in what a node holds."""
    ours, theirs = _selected(d, d.ours), _selected(d, d.theirs)
    if ours is None or theirs is None:
        return False
    if answered(d.ours) != answered(d.theirs):  # a lineage walk one side found starting nodes for
        return True
    by_id = {n["id"]: n for n in theirs}
    return ([n["id"] for n in ours] != [n["id"] for n in theirs]
            and all(by_id[n["id"]] == n for n in ours if n["id"] in by_id))


def filter_on_struct_as_string(d: Divergence) -> bool:
    # The filter names `(custom_)properties.p.string_value` while some node of the listed kind holds p
    # as a struct, which MLMD stores in its string_value column (so IS NOT NULL and comparisons see it
    # there) and ours does not; the two select other nodes. (The other kinds agree on main.)
    kind = listed_kind(d)
    if kind is None or not selects_other_nodes(d):
        return False
    world = world_before(d.calls[:-1], d.history)
    structs = {field for node in world.nodes[kind].values() for field, held in node.value_kinds if held == "STRUCT"}
    return any(column == "string_value" and f"{holder}.{name}" in structs
               for query in filter_queries(d) for holder, name, column in _PROPERTY_VALUE.findall(query))


# -- deliberate differences pinned elsewhere --------------------------------------------------------


def member_external_id_gap(d: Divergence) -> bool:
    # A context filter on artifacts_X / executions_X .external_id: MLMD's SQL lacks the column.
    return (ops(d, "get_contexts") and any(_MEMBER_EXTERNAL_ID.search(q) for q in filter_queries(d))
            and raised(d.theirs, "InternalError", "Error when executing query: no such column")
            and (answered(d.ours) or raised(d.ours, "InvalidArgumentError", "Invalid `filter_query`")))


def member_enum_negation(d: Divergence) -> bool:
    # A context filter with != / NOT IN on a member's state: MLMD's enum rewrite breaks its SQL.
    return (ops(d, "get_contexts") and any(_MEMBER_ENUM_NEGATION.search(q) for q in filter_queries(d))
            and raised(d.theirs, "InvalidArgumentError", "Invalid `filter_query`") and answered(d.ours))


def repeated_enum_predicate(d: Divergence) -> bool:
    # MLMD refuses a filter that repeats an enum predicate's field; ours answers it.
    return (bool(filter_queries(d)) and answered(d.ours)
            and raised(d.theirs, "InvalidArgumentError",
                       "Invalid `filter_query`: Query cannot be rewritten successfully for matched enum predicate"))


# -- deliberate differences the random run found ---------------------------------------------------


def _names_held_both_ways(d: Divergence) -> set:
    """Property names some node held, at some time, both as a declared and as a custom property."""
    held: Dict[tuple, Dict[str, set]] = {}

    def hold(kind: str, node_id: int, holder: str, names: Any) -> None:
        held.setdefault((kind, node_id), {"properties": set(), "custom_properties": set()})[holder] |= set(names)

    world = World()
    for made, outcome in zip(d.calls[:-1], d.history):
        if "value" in outcome:
            for kind, fields in node_messages(made):  # every message for a node, also two in one call
                if "id" in fields:
                    for holder in ("properties", "custom_properties"):
                        hold(kind, fields["id"], holder, fields.get(holder, {}))
        world.observe(made, outcome)
        for kind in KINDS:
            for node in world.nodes[kind].values():
                hold(kind, node.id, "properties", node.properties)
                hold(kind, node.id, "custom_properties", node.custom_properties)
    return {name for entry in held.values() for name in entry["properties"] & entry["custom_properties"]}


def _without_names(node: Dict[str, Any], names: set) -> Dict[str, Any]:
    out = {k: v for k, v in node.items() if k not in ("properties", "custom_properties")}
    for holder in ("properties", "custom_properties"):
        kept = {k: v for k, v in node.get(holder, {}).items() if k not in names}
        if kept:
            out[holder] = kept
    return out


def _strip_names(value: Any, names: set) -> Any:
    if isinstance(value, list):
        return [_strip_names(v, names) for v in value]
    if isinstance(value, dict) and "type_id" in value:
        return _without_names(value, names)
    if isinstance(value, dict):
        return {k: _strip_names(v, names) for k, v in value.items()}
    return value


def without_shared_property_names(d: Divergence, value: Any) -> Any:
    # MLMD keeps a node's property rows by name alone: once a node has held one name both as a declared
    # and as a custom property, later puts drop or overwrite either value. Leaves out those properties.
    if d.op not in READ_OPS:
        return value
    return _strip_names(value, _names_held_both_ways(d))


def filter_on_shared_property_name(d: Divergence) -> bool:
    # The same MLMD bug seen through a filter: it names such a property, so the two select other nodes.
    if not selects_other_nodes(d):
        return False
    shared = _names_held_both_ways(d)
    named = {name for q in filter_queries(d) for _, name, _ in _PROPERTY_VALUE.findall(q)}
    return bool(named & shared)


def lineage_event_to_missing_node(d: Divergence) -> bool:
    # put_lineage_subgraph with events naming ids no node has: MLMD stores them, ours refuses the first. Having
    # stored them, MLMD may refuse a later event of the call as already stored (twice in it, or before it).
    found = call_faults(d)
    dangling = [f for f in found if f.startswith(("event: unknown artifact", "event: unknown execution"))]
    repeated = [f for f in found if f in ("event: twice in the call", "event: already stored")]
    ours_refuses = (raised(d.ours, "InvalidArgumentError", "No artifact with the given id")
                    or raised(d.ours, "InvalidArgumentError", "No execution with the given id"))
    theirs_goes_on = answered(d.theirs) or (bool(repeated) and raised(d.theirs, "AlreadyExistsError",
                                                                       "Given event already exists"))
    return (ops(d, "put_lineage_subgraph") and ours_refuses and theirs_goes_on and bool(dangling)
            and len(dangling) + len(repeated) == len(found))


def reuse_context_external_id_taken(d: Divergence) -> bool:
    # reuse_context_if_already_exist with a new context whose external_id (not name) is taken: MLMD
    # takes the failed insert for a race with another writer and answers AbortedError.
    return (ops(d, "put_execution", "put_lineage_subgraph")
            and d.call.get("kwargs", {}).get("reuse_context_if_already_exist") is True
            and raised(d.ours, "AlreadyExistsError")
            and raised(d.theirs, "AbortedError", "Concurrent creation of the same context")
            and any(f.startswith("context: external_id") for f in call_faults(d)))
