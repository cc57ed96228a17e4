"""Seeded random MetadataStore calls, each drawn with what the store holds so far in mind.

`Generator(seed).next_call()` returns one call (the JSON form fuzz_replay.py runs); `observe` feeds the
outcome back, so later calls name the ids, types, names and contexts the earlier ones created. About
nine calls in ten name things that exist; the rest are the mistakes users make: unknown ids, a type
id of the wrong kind, duplicate names, missing required fields, empty or mistyped property values,
bad filters, field masks naming nothing.

Nothing here is drawn that makes ml-metadata 1.17.1 abort its process (an empty custom property
Value: tests/api/scenarios_nodes.py, custom-property-empty-value).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from fuzz_filters import lineage_filter, random_filter
from fuzz_world import (
    BASE_TYPES,
    CUSTOM_NAMES,
    EVENT_TYPES,
    EXTERNAL_IDS,
    EXTRA_PROPERTIES,
    KINDS,
    NODE_MSG,
    NODE_NAMES,
    STATE_FIELD,
    STATES,
    TYPE_EXTERNAL_IDS,
    TYPE_MSG,
    TYPE_PLANS,
    URIS,
    VALUES,
    VERSIONS,
    Draw,
    NodeInfo,
    World,
)

Call = Dict[str, Any]
UNKNOWN_ID = 999
FIELD_MASKS = {
    "artifact": ["name", "uri", "state", "external_id", "properties", "custom_properties", "properties.n",
                 "custom_properties.x", "type_id", "nope"],
    "execution": ["name", "last_known_state", "external_id", "properties", "custom_properties",
                  "properties.n", "custom_properties.c", "nope"],
    "context": ["name", "external_id", "properties", "custom_properties", "properties.s",
                "custom_properties.x", "nope"],
}
LINEAGE_FIELDS = ["artifacts", "executions", "contexts", "events", "associations", "attributions",
                  "artifact_types", "execution_types", "context_types", "nope"]


def msg(name: str, fields: Dict[str, Any]) -> Dict[str, Any]:
    """The JSON form of a protobuf message argument."""
    return {"@msg": name, "fields": fields}


def call(op: str, *args: Any, **kwargs: Any) -> Call:
    """The JSON form of `store.<op>(*args, **kwargs)`."""
    out: Call = {"op": op, "args": list(args)}
    if kwargs:
        out["kwargs"] = kwargs
    return out


class Generator:
    """Draws the calls of one sequence."""

    def __init__(self, seed: int) -> None:
        self.draw = Draw(seed)
        self.world = World()
        self._sloppiness = 1.0
        self._names_in_call: set = set()
        # (weight, draw): about half the calls write.
        self._menu: List[tuple] = [
            # types
            (4, self.put_type), (2, self.get_type), (2, self.get_types), (2, self.get_types_by_id),
            (1, self.get_types_by_external_ids),
            # nodes and edges
            (16, self.put_nodes), (0.5, self.put_many_nodes), (4, self.put_events), (4, self.put_links),
            (2, self.put_parent_contexts), (5, self.put_execution), (4, self.put_lineage_subgraph),
            # reads
            (3, self.get_nodes_by_id), (1, self.get_artifacts_and_types), (2, self.get_nodes_by_type),
            (2, self.get_node_by_type_and_name), (1, self.get_artifacts_by_uri),
            (1, self.get_nodes_by_external_ids), (9, self.list_nodes), (6, self.list_by_context),
            (2, self.get_events), (2, self.get_contexts_of_node), (2, self.get_context_family),
            (4, self.get_lineage_subgraph),
        ]

    def mistake(self, percent: float) -> bool:
        """True `percent` % of the time, less inside compound writes (whose parts multiply the odds)."""
        return self.draw.chance(percent * self._sloppiness)

    def next_call(self) -> Call:
        self._names_in_call.clear()
        untyped = [kind for kind in KINDS if not self.world.types[kind]]
        if untyped and self.draw.chance(75):
            kind = self.draw.pick(untyped)
            return call(f"put_{kind}_type", msg(TYPE_MSG[kind], self.new_type_fields(kind)))
        return self.draw.weighted(self._menu)()

    def _first_create(self, *kinds: str) -> Optional[Call]:
        """Mostly, a call that stores a first node of whichever of `kinds` has none yet."""
        empty = [kind for kind in kinds if not self.world.nodes[kind]]
        if empty and self.draw.chance(85):
            kind = self.draw.pick(empty)
            return call(f"put_{kind}s", [self.new_node(kind)])
        return None

    def observe(self, made: Call, outcome: Dict[str, Any]) -> None:
        self.world.observe(made, outcome)

    # -- references -------------------------------------------------------------------------------

    def _kind(self) -> str:
        return self.draw.pick(KINDS)

    def node_id(self, kind: str) -> int:
        """Mostly the id of a stored node of `kind`; sometimes one that is not there."""
        known = sorted(self.world.nodes[kind])
        if known and not self.mistake(10):
            return self.draw.pick(known)
        return self.draw.pick([(known[-1] if known else 0) + 1, UNKNOWN_ID])

    def node(self, kind: str) -> Optional[NodeInfo]:
        known = sorted(self.world.nodes[kind])
        return self.world.nodes[kind][self.draw.pick(known)] if known else None

    def type_id(self, kind: str) -> Optional[int]:
        """Mostly the id of a stored type of `kind`; sometimes another kind's, an unknown one, or none."""
        own = sorted(self.world.types[kind])
        if own and not self.mistake(10):
            return self.draw.pick(own)
        return self.draw.weighted([(2, self.draw.pick(self.world.all_type_ids() or [UNKNOWN_ID])),
                                   (1, UNKNOWN_ID), (1, None)])

    def type_name(self, kind: str) -> str:
        stored = sorted({t.name for t in self.world.types[kind].values()})
        if stored and self.draw.chance(85):
            return self.draw.pick(stored)
        return self.draw.pick(sorted(TYPE_PLANS[kind]) + ["Nope"])

    def version(self) -> Optional[str]:
        return self.draw.pick(VERSIONS) if self.draw.chance(15) else None

    # -- types ------------------------------------------------------------------------------------

    def new_type_fields(self, kind: str) -> Dict[str, Any]:
        d = self.draw
        name = d.pick(sorted(TYPE_PLANS[kind]))
        fields: Dict[str, Any] = {"name": name, "properties": dict(TYPE_PLANS[kind][name])}
        if d.chance(10):
            fields["version"] = d.pick(VERSIONS)
        if d.chance(15):
            fields["external_id"] = d.pick(TYPE_EXTERNAL_IDS)
        if d.chance(10):
            fields["description"] = "about " + name
        if BASE_TYPES[kind] and d.chance(15):
            fields["base_type"] = d.pick(BASE_TYPES[kind])
        return fields

    def put_type(self) -> Call:
        d, kind = self.draw, self._kind()
        stored = list(self.world.types[kind].values())
        kwargs: Dict[str, Any] = {}
        if not stored or d.chance(30):
            fields = self.new_type_fields(kind)
        else:
            fields = {k: (dict(v) if isinstance(v, dict) else v) for k, v in d.pick(stored).fields.items()}
            props = fields.setdefault("properties", {})
            change = d.weighted([(4, "same"), (4, "add"), (2, "omit"), (1, "retype"), (1, "version"),
                                 (1, "no-name"), (1, "unknown-kind"), (1, "external-id")])
            if change == "add":
                extra = d.pick(sorted(EXTRA_PROPERTIES))
                props[extra] = EXTRA_PROPERTIES[extra]
            elif change == "omit" and props:
                del props[d.pick(sorted(props))]
            elif change == "retype" and props:
                name = d.pick(sorted(props))
                props[name] = d.pick([k for k in ("INT", "STRING", "DOUBLE") if k != props[name]])
            elif change == "version":
                fields["version"] = d.pick(VERSIONS)
            elif change == "no-name":
                del fields["name"]
            elif change == "unknown-kind":
                props["u"] = "UNKNOWN"
            elif change == "external-id":
                fields["external_id"] = d.pick(TYPE_EXTERNAL_IDS)
            if d.chance(40):
                kwargs["can_add_fields"] = d.chance(60)
            if d.chance(30):
                kwargs["can_omit_fields"] = d.chance(60)
        return call(f"put_{kind}_type", msg(TYPE_MSG[kind], fields), **kwargs)

    def get_type(self) -> Call:
        kind = self._kind()
        version = self.version()
        args = [self.type_name(kind)] + ([version] if version else [])
        return call(f"get_{kind}_type", *args)

    def get_types(self) -> Call:
        return call(f"get_{self._kind()}_types")

    def get_types_by_id(self) -> Call:
        d, kind = self.draw, self._kind()
        pool = self.world.all_type_ids() + [UNKNOWN_ID]
        return call(f"get_{kind}_types_by_id", [d.pick(pool) for _ in range(d.count(0, 3))])

    def get_types_by_external_ids(self) -> Call:
        d = self.draw
        return call(f"get_{self._kind()}_types_by_external_ids",
                    d.sample(TYPE_EXTERNAL_IDS + ["nope"], d.count(1, 3)))

    # -- nodes ------------------------------------------------------------------------------------

    def node_name(self, kind: str, type_id: Optional[int]) -> str:
        """Mostly a name no node of that type has yet; sometimes a taken one."""
        taken = {n.name for n in self.world.nodes[kind].values() if n.type_id == type_id}
        taken |= {name for k, t, name in self._names_in_call if (k, t) == (kind, type_id)}
        free = [name for name in NODE_NAMES[kind] if name not in taken]
        if self.mistake(15):
            name = self.draw.pick(NODE_NAMES[kind])
        elif free:
            name = self.draw.pick(free)
        else:
            name = next(n for n in (f"{kind[0]}{i}" for i in range(1, 1000)) if n not in taken)
        self._names_in_call.add((kind, type_id, name))
        return name

    def external_id(self, kind: str) -> str:
        """Mostly an external id no node of `kind` has yet; sometimes a taken one."""
        taken = {n.external_id for n in self.world.nodes[kind].values()}
        taken |= {name for k, t, name in self._names_in_call if (k, t) == (kind, "external_id")}
        free = [x for x in EXTERNAL_IDS if x not in taken]
        chosen = self.draw.pick(free) if free and not self.mistake(15) else self.draw.pick(EXTERNAL_IDS)
        self._names_in_call.add((kind, "external_id", chosen))
        return chosen

    def value(self, value_kind: str) -> Dict[str, Any]:
        return self.draw.pick(VALUES[value_kind])

    def node_fields(self, kind: str, type_id: Optional[int]) -> Dict[str, Any]:
        """The fields of a node of `kind`, with properties that mostly fit the type."""
        d = self.draw
        fields: Dict[str, Any] = {}
        if type_id is not None:
            fields["type_id"] = type_id
        if d.chance(95 if kind == "context" else 75):
            fields["name"] = self.node_name(kind, type_id)
        if d.chance(20):
            fields["external_id"] = self.external_id(kind)
        if kind == "artifact" and d.chance(70):
            fields["uri"] = d.pick(URIS)
        if kind in STATE_FIELD and d.chance(60):
            fields[STATE_FIELD[kind]] = d.pick(STATES[kind])
        declared = self.world.type_of(kind, type_id)
        properties: Dict[str, Any] = {}
        for name, value_kind in sorted((declared.properties if declared else {}).items()):
            if not d.chance(50) or value_kind not in VALUES:
                continue
            properties[name] = self.value(value_kind)
            if self.mistake(8):  # a value of another kind, or an empty Value
                properties[name] = d.pick([self.value(d.pick(["INT", "STRING", "DOUBLE"])), {}])
        if self.mistake(3):
            properties["zz"] = {"int_value": 1}
        if properties:
            fields["properties"] = properties
        custom = {d.pick(CUSTOM_NAMES): self.value(d.pick(sorted(VALUES))) for _ in range(d.count(0, 2))}
        if custom:
            fields["custom_properties"] = custom
        return fields

    def new_node(self, kind: str) -> Dict[str, Any]:
        return msg(NODE_MSG[kind], self.node_fields(kind, self.type_id(kind)))

    def updated_node(self, kind: str) -> Dict[str, Any]:
        """A stored node with new fields (or, now and then, an id nobody stored)."""
        d = self.draw
        known = self.node(kind)
        if known is None or self.mistake(4):
            return msg(NODE_MSG[kind], {"id": UNKNOWN_ID, **self.node_fields(kind, self.type_id(kind))})
        type_id = d.pick([None, self.type_id(kind)]) if self.mistake(10) else known.type_id
        fields = self.node_fields(kind, type_id)
        if kind == "context" and known.name and d.chance(70):
            fields["name"] = known.name
        return msg(NODE_MSG[kind], {"id": known.id, **fields})

    def some_node(self, kind: str, update_percent: float = 30) -> Dict[str, Any]:
        if self.world.nodes[kind] and self.draw.chance(update_percent):
            return self.updated_node(kind)
        return self.new_node(kind)

    def put_nodes(self) -> Call:
        d, kind = self.draw, self._kind()
        if not self.world.types[kind] and d.chance(80):
            return call(f"put_{kind}_type", msg(TYPE_MSG[kind], self.new_type_fields(kind)))
        nodes = _in_id_order([self.some_node(kind) for _ in range(d.weighted([(5, 1), (3, 2), (2, 3), (1, 0)]))])
        if any("id" in n["fields"] for n in nodes) and d.chance(30):
            return call(f"put_{kind}s", nodes, field_mask_paths=d.sample(FIELD_MASKS[kind], d.count(1, 2)))
        return call(f"put_{kind}s", nodes)

    def put_many_nodes(self) -> Call:
        """More nodes than one page of a listing (the client pages by 100), so listings page through."""
        d, kind = self.draw, self._kind()
        type_ids = sorted(self.world.types[kind])
        if not type_ids:
            return self.put_nodes()
        type_id = d.pick(type_ids)
        nodes = [msg(NODE_MSG[kind], {"type_id": type_id, "custom_properties": {"c": {"int_value": i % 3}},
                                      **({"name": f"bulk{len(self.world.nodes[kind]) + i}"} if kind == "context" else {})})
                 for i in range(d.count(101, 130))]
        return call(f"put_{kind}s", nodes)

    def get_nodes_by_id(self) -> Call:
        d, kind = self.draw, self._kind()
        return call(f"get_{kind}s_by_id", [self.node_id(kind) for _ in range(d.count(0, 3))])

    def get_artifacts_and_types(self) -> Call:
        d = self.draw
        return call("get_artifacts_and_types_by_artifact_ids",
                    [self.node_id("artifact") for _ in range(d.count(0, 3))])

    def get_nodes_by_type(self) -> Call:
        kind = self._kind()
        version = self.version()
        return call(f"get_{kind}s_by_type", self.type_name(kind), *([version] if version else []))

    def get_node_by_type_and_name(self) -> Call:
        kind = self._kind()
        version = self.version()
        return call(f"get_{kind}_by_type_and_name", self.type_name(kind), self.draw.pick(NODE_NAMES[kind]),
                    *([version] if version else []))

    def get_artifacts_by_uri(self) -> Call:
        return call("get_artifacts_by_uri", self.draw.pick(URIS + ["gs://b/%"]))

    def get_nodes_by_external_ids(self) -> Call:
        d = self.draw
        return call(f"get_{self._kind()}s_by_external_ids", d.sample(EXTERNAL_IDS + ["nope"], d.count(1, 3)))

    def list_options(self, kind: str) -> Optional[Dict[str, Any]]:
        d = self.draw
        if d.chance(35):
            return None
        options: Dict[str, Any] = {}
        if d.chance(40):
            options["limit"] = d.weighted([(4, 1), (4, 2), (2, 3), (1, 0), (1, -1)])
        if d.chance(60):
            options["order_by"] = d.pick(["ID", "CREATE_TIME", "UPDATE_TIME"])
        if d.chance(50):
            options["is_asc"] = d.chance(50)
        if d.chance(65):
            options["filter_query"] = random_filter(d, self.world, kind)
        return {"@list_options": options}

    def list_nodes(self) -> Call:
        kind = self._kind()
        options = self.list_options(kind)
        return call(f"get_{kind}s", *([options] if options else []))

    def list_by_context(self) -> Call:
        first = self._first_create("context")
        if first:
            return first
        kind = self.draw.pick(["artifact", "execution"])
        options = self.list_options(kind)
        return call(f"get_{kind}s_by_context", self.node_id("context"), *([options] if options else []))

    # -- edges ------------------------------------------------------------------------------------

    def event_fields(self, artifact_id: Optional[int], execution_id: Optional[int]) -> Dict[str, Any]:
        d = self.draw
        fields: Dict[str, Any] = {}
        if artifact_id is not None:
            fields["artifact_id"] = artifact_id
        if execution_id is not None:
            fields["execution_id"] = execution_id
        if not self.mistake(5):
            fields["type"] = d.pick(EVENT_TYPES)
        if d.chance(30):
            fields["path"] = {"steps": [d.pick([{"index": d.count(0, 2)}, {"key": d.pick(["in", "out", ""])}])
                                        for _ in range(d.count(1, 2))]}
        if d.chance(20):
            fields["milliseconds_since_epoch"] = 1000 * d.count(1, 3)
        return fields

    def put_events(self) -> Call:
        first = self._first_create("artifact", "execution")
        if first:
            return first
        d = self.draw
        events = [msg("Event", self.event_fields(None if self.mistake(3) else self.node_id("artifact"),
                                                 None if self.mistake(3) else self.node_id("execution")))
                  for _ in range(d.count(1, 3))]
        return call("put_events", events)

    def put_links(self) -> Call:
        first = self._first_create("context", "artifact", "execution")
        if first:
            return first
        d = self.draw
        attributions = [msg("Attribution", {"context_id": self.node_id("context"),
                                            "artifact_id": self.node_id("artifact")})
                        for _ in range(d.count(0, 2))]
        associations = [msg("Association", {"context_id": self.node_id("context"),
                                            "execution_id": self.node_id("execution")})
                        for _ in range(d.count(0, 2))]
        return call("put_attributions_and_associations", attributions, associations)

    def put_parent_contexts(self) -> Call:
        if len(self.world.nodes["context"]) < 2 and self.draw.chance(85):
            return call("put_contexts", [self.new_node("context")])
        d = self.draw
        edges = []
        for _ in range(d.count(1, 2)):
            child, parent = self.node_id("context"), self.node_id("context")
            if child == parent and len(self.world.nodes["context"]) > 1 and d.chance(85):
                parent = self.draw.pick(sorted(set(self.world.nodes["context"]) - {child}))
            edges.append(msg("ParentContext", {"child_id": child, "parent_id": parent}))
        return call("put_parent_contexts", edges)

    def get_events(self) -> Call:
        first = self._first_create("artifact", "execution")
        if first:
            return first
        d = self.draw
        kind = d.pick(["artifact", "execution"])
        return call(f"get_events_by_{kind}_ids", [self.node_id(kind) for _ in range(d.count(0, 3))])

    def get_contexts_of_node(self) -> Call:
        first = self._first_create("context")
        if first:
            return first
        kind = self.draw.pick(["artifact", "execution"])
        return call(f"get_contexts_by_{kind}", self.node_id(kind))

    def get_context_family(self) -> Call:
        first = self._first_create("context")
        if first:
            return first
        which = self.draw.pick(["parent", "children"])
        return call(f"get_{which}_contexts_by_context", self.node_id("context"))

    # -- compound writes --------------------------------------------------------------------------

    def _reuse_flags(self, names: List[str]) -> Dict[str, Any]:
        return {name: True for name in names if self.draw.chance(25)}

    def put_execution(self) -> Call:
        self._sloppiness = 0.3
        try:
            return self._put_execution()
        finally:
            self._sloppiness = 1.0

    def _put_execution(self) -> Call:
        d = self.draw
        execution = self.some_node("execution")
        execution_id = execution["fields"].get("id")
        pairs: List[Any] = []
        for artifact in _in_id_order([self.some_node("artifact", update_percent=35) for _ in range(d.count(0, 3))]):
            if d.chance(80):
                artifact_id = artifact["fields"].get("id") if d.chance(30) else None
                if artifact_id is not None and self.mistake(10):
                    artifact_id = self.node_id("artifact")
                event_execution = execution_id if d.chance(20) else None
                pairs.append([artifact, msg("Event", self.event_fields(artifact_id, event_execution))])
            else:
                pairs.append([artifact, None])
        contexts = _in_id_order([self.some_node("context", update_percent=40) for _ in range(d.count(0, 2))])
        flags = self._reuse_flags(["reuse_context_if_already_exist",
                                   "reuse_artifact_if_already_exist_by_external_id",
                                   "force_reuse_context", "force_update_time"])
        return call("put_execution", execution, pairs, contexts, **flags)

    def put_lineage_subgraph(self) -> Call:
        self._sloppiness = 0.3
        try:
            return self._put_lineage_subgraph()
        finally:
            self._sloppiness = 1.0

    def _put_lineage_subgraph(self) -> Call:
        d = self.draw
        executions = _in_id_order([self.some_node("execution") for _ in range(d.count(0, 2))])
        artifacts = _in_id_order([self.some_node("artifact") for _ in range(d.count(0, 3))])
        contexts = _in_id_order([self.some_node("context", update_percent=40) for _ in range(d.count(0, 2))])
        edges = []
        for _ in range(d.count(0, 3)):
            execution_index = d.pick(range(len(executions))) if executions and not self.mistake(15) else None
            artifact_index = d.pick(range(len(artifacts))) if artifacts and not self.mistake(15) else None
            if self.mistake(3):
                execution_index = len(executions)
            event_artifact = self.node_id("artifact") if artifact_index is None and not self.mistake(30) else None
            event_execution = (self.node_id("execution") if execution_index is None and not self.mistake(30)
                               else None)
            edges.append([execution_index, artifact_index,
                          msg("Event", self.event_fields(event_artifact, event_execution))])
        flags = self._reuse_flags(["reuse_context_if_already_exist",
                                   "reuse_artifact_if_already_exist_by_external_id"])
        return call("put_lineage_subgraph", executions, artifacts, contexts, edges, **flags)

    def get_lineage_subgraph(self) -> Call:
        d = self.draw
        start = d.pick(["artifact", "execution"])
        options: Dict[str, Any] = {f"starting_{start}s": {"filter_query": lineage_filter(d, self.world, start)}}
        if d.chance(70):
            options["max_num_hops"] = d.weighted([(2, 0), (4, 1), (4, 2), (2, 3), (1, -1)])
        if d.chance(50):
            options["direction"] = d.pick(["DIRECTION_UNSPECIFIED", "UPSTREAM", "DOWNSTREAM", "BIDIRECTIONAL"])
        for end in ("artifact", "execution"):
            if d.chance(12):
                options[f"ending_{end}s"] = {"filter_query": lineage_filter(d, self.world, end),
                                             "include_ending_nodes": d.chance(50)}
        args: List[Any] = [msg("LineageSubgraphQueryOptions", options)]
        if d.chance(30):
            args.append(d.sample(LINEAGE_FIELDS, d.count(1, 3)))
        return call("get_lineage_subgraph", *args)


def _in_id_order(nodes: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Updates first, by id, then inserts.

    Ordering by LAST_UPDATE_TIME breaks ties by id. Written in this order, the nodes of one call get
    update times that order them as their ids do whether or not the clock ticks during the call, so
    an ordered listing does not depend on timing.
    """
    return sorted(nodes, key=lambda n: (0, n["fields"]["id"]) if "id" in n["fields"] else (1, 0))


def generate(seed: int, length: int, execute: Callable[[Call], Dict[str, Any]]) -> List[Call]:
    """Draws `length` calls, running each with `execute` and learning from its outcome."""
    generator = Generator(seed)
    calls = []
    for _ in range(length):
        made = generator.next_call()
        generator.observe(made, execute(made))
        calls.append(made)
    return calls
