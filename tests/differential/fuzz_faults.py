"""The faults a write call holds, as far as the generator's model of the store (fuzz_world) can tell.

A call with two faults (an unknown type id on one node, a taken name on another) may fairly be
refused for either; known_differences.py uses `faults` to tell such a call, where ours and MLMD report
different faults, from a call with one fault that we refuse with the wrong class. The model is
rough (no field-mask subtleties, no type versions), so this only ever *adds* a reason to a
divergence that also matches an entry's other conditions.
"""
from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional

from fuzz_world import KINDS, VALUE_KIND, World

Fields = Dict[str, Any]


def world_before(calls: List[Dict[str, Any]], outcomes: List[Dict[str, Any]]) -> World:
    """The model after `calls` with these outcomes (ours: both sides agreed on all of them)."""
    world = World()
    for made, outcome in zip(calls, outcomes):
        world.observe(made, outcome)
    return world


class _Names:
    """(type id, name) and external ids already taken, in the store or earlier in the same call."""

    def __init__(self, world: World, kind: str) -> None:
        self.owner: Dict[Any, int] = {}
        self._new_nodes = itertools.count(-1, -1)  # stand-in ids for the call's new nodes
        for node in world.nodes[kind].values():
            if node.name:
                self.owner[(node.type_id, node.name)] = node.id
            if node.external_id:
                self.owner[("external_id", node.external_id)] = node.id

    def release(self, node_id: int) -> None:
        """An update rewrites the node: the names it held are free for later elements of the call."""
        for key in [k for k, holder in self.owner.items() if holder == node_id]:
            del self.owner[key]

    def take(self, key: Any, node_id: Optional[int]) -> bool:
        """Records `key` for `node_id`; False when another node holds it already."""
        holder = self.owner.get(key)
        self.owner[key] = node_id if node_id is not None else next(self._new_nodes)
        return holder is None or holder == node_id


def node_faults(world: World, kind: str, fields: Fields, names: _Names, reuse_by_name: bool = False,
                type_id_required: bool = False, masked: bool = False) -> List[str]:
    """What is wrong with one node message of `kind`.

    `type_id_required`: an update must name its type too (put_lineage_subgraph in MLMD). `masked`: the
    call has a field mask (a context update then keeps its name).
    """
    out: List[str] = []
    node_id = fields.get("id")
    stored = world.nodes[kind].get(node_id) if node_id is not None else None
    if node_id is not None and stored is None:
        out.append(f"{kind}: unknown id {node_id}")
    if node_id is None and "type_id" not in fields:
        out.append(f"{kind}: no type_id")
    elif type_id_required and "type_id" not in fields:
        out.append(f"{kind}: update without type_id")
    type_id = fields.get("type_id", stored.type_id if stored else None)
    if stored is not None and "type_id" in fields and fields["type_id"] != stored.type_id:
        out.append(f"{kind}: type_id changed")
    type_info = world.types[kind].get(type_id) if type_id is not None else None
    if type_id is not None and type_info is None:
        out.append(f"{kind}: type_id {type_id} is no {kind} type")
    if stored is not None:
        names.release(node_id)
        if kind != "context" and stored.name:  # an update keeps an artifact's or execution's name
            names.take((type_id, stored.name), node_id)
    if kind == "context" and not fields.get("name") and not (stored is not None and masked):
        out.append("context: no name")
    renames = stored is None or kind == "context"  # an update keeps an artifact's or execution's name
    if renames and fields.get("name") and not names.take((type_id, fields["name"]), node_id) and not reuse_by_name:
        out.append(f"{kind}: name {fields['name']!r} taken")
    if fields.get("external_id") and not names.take(("external_id", fields["external_id"]), node_id):
        out.append(f"{kind}: external_id {fields['external_id']!r} taken")
    declared = type_info.properties if type_info else {}
    for name, value in fields.get("properties", {}).items():
        if not value:
            out.append(f"{kind}: property {name!r} empty")
        elif type_info is not None and name not in declared:
            out.append(f"{kind}: property {name!r} undeclared")
        elif type_info is not None and VALUE_KIND.get(next(iter(value))) != declared[name]:
            out.append(f"{kind}: property {name!r} of another kind")
    return out


def event_faults(world: World, fields: Fields, artifact_id: Optional[int] = None,
                 execution_id: Optional[int] = None, in_call: Optional[set] = None,
                 refs: Optional[tuple] = None) -> List[str]:
    """What is wrong with one event (ids may come from its pair or edge instead).

    `in_call` collects the call's earlier events as (refs, type), where `refs` says which artifact and
    execution an event joins (an id, or an index into the call's new nodes).
    """
    out: List[str] = []
    if "type" not in fields:
        out.append("event: no type")
    artifact_id = fields.get("artifact_id", artifact_id)
    execution_id = fields.get("execution_id", execution_id)
    if artifact_id is None:
        out.append("event: no artifact")
    elif artifact_id > 0 and artifact_id not in world.nodes["artifact"]:
        out.append(f"event: unknown artifact {artifact_id}")
    if execution_id is None:
        out.append("event: no execution")
    elif execution_id > 0 and execution_id not in world.nodes["execution"]:
        out.append(f"event: unknown execution {execution_id}")
    key = (artifact_id, execution_id, fields.get("type", "UNKNOWN"))
    if key in world.events:
        out.append("event: already stored")
    if in_call is not None and refs is not None:
        if (refs, key[2]) in in_call:
            out.append("event: twice in the call")
        in_call.add((refs, key[2]))
    return out


def type_faults(world: World, kind: str, fields: Fields, kwargs: Dict[str, Any]) -> List[str]:
    """What is wrong with one type message of `kind`."""
    out: List[str] = []
    if not fields.get("name"):
        out.append("type: no name")
    properties = fields.get("properties", {})
    if "UNKNOWN" in properties.values():
        out.append("type: property of kind UNKNOWN")
    same = [t for t in world.types[kind].values()
            if t.name == fields.get("name") and t.fields.get("version") == fields.get("version")]
    if same:
        stored = same[0].properties
        if set(properties) - set(stored) and not kwargs.get("can_add_fields"):
            out.append("type: adds properties without can_add_fields")
        if set(stored) - set(properties) and not kwargs.get("can_omit_fields"):
            out.append("type: omits properties without can_omit_fields")
        if any(stored.get(p, k) != k for p, k in properties.items()):
            out.append("type: changes a property's kind")
        stored_base = same[0].fields.get("base_type")
        if stored_base and fields.get("base_type", stored_base) != stored_base:
            out.append("type: changes base_type")
    external_id = fields.get("external_id")
    holders = [t for k in KINDS for t in world.types[k].values() if t.fields.get("external_id") == external_id]
    if external_id and any(t.name != fields.get("name") for t in holders):
        out.append("type: external_id taken")
    return out


def _id_at(nodes: List[Dict[str, Any]], index: Optional[int]) -> Optional[int]:
    """The id of the node an event edge's index names: its id if it has one, 0 if new, None if no index."""
    if index is None:
        return None
    return nodes[index]["fields"].get("id", 0) if 0 <= index < len(nodes) else 0


def faults(world: World, call: Dict[str, Any]) -> List[str]:
    """Every fault the model sees in one write call (an empty list for reads)."""
    op, args, kwargs = call["op"], call.get("args", []), call.get("kwargs", {})
    out: List[str] = []
    for kind in KINDS:
        if op == f"put_{kind}_type":
            out += type_faults(world, kind, args[0]["fields"], kwargs)
        elif op == f"put_{kind}s":
            names = _Names(world, kind)
            for node in args[0]:
                out += node_faults(world, kind, node["fields"], names, masked=bool(kwargs.get("field_mask_paths")))
    seen: set = set()
    if op == "put_events":
        for event in args[0]:
            fields = event["fields"]
            out += event_faults(world, fields, in_call=seen, refs=(fields.get("artifact_id"), fields.get("execution_id")))
    elif op == "put_execution":
        execution = args[0]["fields"]
        out += node_faults(world, "execution", execution, _Names(world, "execution"))
        names = _Names(world, "artifact")
        for position, pair in enumerate(args[1]):
            out += node_faults(world, "artifact", pair[0]["fields"], names)
            if len(pair) > 1 and pair[1]:
                # A new node's id is not known yet: 0 stands for it.
                artifact_id = pair[0]["fields"].get("id", 0)
                out += event_faults(world, pair[1]["fields"], artifact_id, execution.get("id", 0), in_call=seen,
                                    refs=(pair[1]["fields"].get("artifact_id") or artifact_id or ("new", position),
                                          pair[1]["fields"].get("execution_id") or "the execution"))
        names = _Names(world, "context")
        for ctx in args[2] or []:
            out += node_faults(world, "context", ctx["fields"], names,
                               reuse_by_name=bool(kwargs.get("reuse_context_if_already_exist")))
    elif op == "put_lineage_subgraph":
        executions, artifacts, contexts, edges = args
        for kind, nodes in (("execution", executions), ("artifact", artifacts), ("context", contexts)):
            names = _Names(world, kind)
            out += [f for n in nodes for f in node_faults(world, kind, n["fields"], names, type_id_required=True)]
        for execution_index, artifact_index, event in edges:
            if execution_index is not None and not 0 <= execution_index < len(executions):
                out.append("edge: execution_index out of range")
            if artifact_index is not None and not 0 <= artifact_index < len(artifacts):
                out.append("edge: artifact_index out of range")
            artifact_id, execution_id = _id_at(artifacts, artifact_index), _id_at(executions, execution_index)
            fields = event["fields"]
            refs = (fields.get("artifact_id") or artifact_id or ("new", artifact_index),
                    fields.get("execution_id") or execution_id or ("new", execution_index))
            out += event_faults(world, event["fields"], artifact_id, execution_id, in_call=seen, refs=refs)
    elif op == "put_attributions_and_associations":
        for link in args[0] + args[1]:
            for kind in KINDS:
                node_id = link["fields"].get(f"{kind}_id")
                if node_id is not None and node_id not in world.nodes[kind]:
                    out.append(f"link: unknown {kind} {node_id}")
    return out
