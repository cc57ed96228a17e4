"""The small universe the random calls are drawn from, and what the generator knows of the store.

Few names, few values: two nodes often share a name, an external id or a uri, a property name is
declared INT on one type and STRING on another, and a custom property reuses a declared name with
another value kind, so uniqueness rules, type checks and filters meet real collisions. Doubles have
short exact decimal forms and strings hold no NUL: ml-metadata 1.17.1 rounds other doubles and cuts
strings at NUL, differences that tests/api/scenarios_fidelity.py already pins.

`World` follows the store through the outcomes of the calls (the ids each successful put returns),
so most generated calls name ids, types and contexts that exist.
"""
from __future__ import annotations

import dataclasses
import random
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

KINDS = ("artifact", "execution", "context")
NODE_MSG = {"artifact": "Artifact", "execution": "Execution", "context": "Context"}
TYPE_MSG = {"artifact": "ArtifactType", "execution": "ExecutionType", "context": "ContextType"}

# Declared properties of the types a sequence may create; every PropertyType but UNKNOWN appears.
TYPE_PLANS: Dict[str, Dict[str, Dict[str, str]]] = {
    "artifact": {
        "Data": {"n": "INT", "s": "STRING", "d": "DOUBLE", "b": "BOOLEAN", "st": "STRUCT", "pr": "PROTO"},
        "Model": {"n": "STRING", "acc": "DOUBLE"},
        "Stats": {},
    },
    "execution": {"Train": {"n": "INT", "s": "STRING", "b": "BOOLEAN"}, "Eval": {"acc": "DOUBLE"}},
    "context": {"Run": {"s": "STRING", "n": "INT"}, "Pipe": {}},
}
# Properties a type may gain when it evolves.
EXTRA_PROPERTIES = {"x": "INT", "y": "STRING", "acc": "DOUBLE"}
BASE_TYPES = {"artifact": ["DATASET", "MODEL", "METRICS"], "execution": ["TRAIN", "PROCESS"], "context": []}
CUSTOM_NAMES = ["n", "s", "x", "c"]
NODE_NAMES = {"artifact": ["a1", "a2", "a3", "a4"], "execution": ["e1", "e2", "e3"],
              "context": ["c1", "c2", "c3", "c4"]}
EXTERNAL_IDS = ["x1", "x2", "x3"]
TYPE_EXTERNAL_IDS = ["tx1", "tx2"]
URIS = ["gs://b/1", "gs://b/2", "s3://c/1", "gs://b/1/x"]
VERSIONS = ["v1", "v2"]
ARTIFACT_STATES = ["UNKNOWN", "PENDING", "LIVE", "MARKED_FOR_DELETION", "DELETED", "ABANDONED", "REFERENCE"]
EXECUTION_STATES = ["UNKNOWN", "NEW", "RUNNING", "COMPLETE", "FAILED", "CACHED", "CANCELED"]
EVENT_TYPES = ["INPUT", "OUTPUT", "DECLARED_INPUT", "DECLARED_OUTPUT", "INTERNAL_INPUT", "INTERNAL_OUTPUT",
               "PENDING_OUTPUT"]
STATE_FIELD = {"artifact": "state", "execution": "last_known_state"}
STATES = {"artifact": ARTIFACT_STATES, "execution": EXECUTION_STATES}

INTS = [-1, 0, 1, 2, 3, 7]
DOUBLES = [0.5, 1.0, 2.5, -3.25]
STRINGS = ["a", "ab", "A", "a_b", "b%", "é", ""]
VALUES: Dict[str, List[Any]] = {
    "INT": [{"int_value": v} for v in INTS],
    "DOUBLE": [{"double_value": v} for v in DOUBLES],
    "STRING": [{"string_value": v} for v in STRINGS],
    "BOOLEAN": [{"bool_value": True}, {"bool_value": False}],
    "STRUCT": [{"struct_value": {"k": 1}}, {"struct_value": {"k": "v", "l": [1, "x"]}}],
    "PROTO": [{"proto_value": {"@type": "type.googleapis.com/ml_metadata.Artifact", "name": "p"}}],
}
VALUE_COLUMN = {"INT": "int_value", "DOUBLE": "double_value", "STRING": "string_value", "BOOLEAN": "bool_value"}
# The kind of a Value given as JSON, by its one field.
VALUE_KIND = {**{column: kind for kind, column in VALUE_COLUMN.items()},
              "struct_value": "STRUCT", "proto_value": "PROTO"}


@dataclasses.dataclass
class TypeInfo:
    """A stored type as the generator knows it: its id and the fields it was last put with."""

    id: int
    kind: str
    fields: Dict[str, Any]

    @property
    def name(self) -> str:
        return self.fields.get("name", "")

    @property
    def properties(self) -> Dict[str, str]:
        return self.fields.get("properties", {})


@dataclasses.dataclass
class NodeInfo:
    """A stored node as the generator knows it."""

    id: int
    kind: str
    type_id: Optional[int]
    name: Optional[str]
    external_id: Optional[str]
    properties: FrozenSet[str] = frozenset()
    custom_properties: FrozenSet[str] = frozenset()
    # ("properties.n", "INT"), ("custom_properties.c", "STRUCT"), ...: what the node holds.
    value_kinds: FrozenSet[Tuple[str, str]] = frozenset()


class Draw:
    """Seeded random choices."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def chance(self, percent: float) -> bool:
        return self.rng.random() * 100 < percent

    def count(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def sample(self, seq: Sequence[Any], k: int) -> List[Any]:
        return self.rng.sample(list(seq), min(k, len(seq)))

    def weighted(self, options: Sequence[tuple]) -> Any:
        """One `value` of `[(weight, value), ...]`."""
        total = sum(w for w, _ in options)
        point = self.rng.random() * total
        for weight, value in options:
            point -= weight
            if point < 0:
                return value
        return options[-1][1]


class World:
    """What the store holds, as far as the outcomes of the calls so far tell."""

    def __init__(self) -> None:
        self.types: Dict[str, Dict[int, TypeInfo]] = {k: {} for k in KINDS}
        self.nodes: Dict[str, Dict[int, NodeInfo]] = {k: {} for k in KINDS}
        self.events: Set[Tuple[int, int, str]] = set()  # (artifact id, execution id, type)

    # -- reading -----------------------------------------------------------------------------------

    def type_of(self, kind: str, type_id: Optional[int]) -> Optional[TypeInfo]:
        return self.types[kind].get(type_id) if type_id is not None else None

    def all_type_ids(self) -> List[int]:
        return sorted(t for kind in KINDS for t in self.types[kind])

    def declared(self, kind: str) -> Dict[str, set]:
        """Property name -> the kinds it is declared with, over the kind's stored types."""
        out: Dict[str, set] = {}
        for info in self.types[kind].values():
            for name, value_kind in info.properties.items():
                out.setdefault(name, set()).add(value_kind)
        return out

    # -- following the outcomes -------------------------------------------------------------------

    def observe(self, call: Dict[str, Any], outcome: Dict[str, Any]) -> None:
        """Learns the ids a successful put returned."""
        if "value" not in outcome:
            return
        op, args, result = call["op"], call.get("args", []), outcome["value"]
        for kind in KINDS:
            if op == f"put_{kind}_type":
                self._learn_type(kind, result, args[0]["fields"], call.get("kwargs", {}))
            elif op == f"put_{kind}s":
                mask = call.get("kwargs", {}).get("field_mask_paths")
                for node, node_id in zip(args[0], result):
                    self._learn_node(kind, node_id, node["fields"], mask)
        if op == "put_events":
            for event in args[0]:
                self._learn_event(event["fields"], None, None)
        elif op == "put_execution":
            execution_id, artifact_ids, context_ids = result
            self._learn_node("execution", execution_id, args[0]["fields"])
            for pair, artifact_id in zip(args[1], artifact_ids):
                self._learn_node("artifact", artifact_id, pair[0]["fields"])
                if len(pair) > 1 and pair[1]:
                    self._learn_event(pair[1]["fields"], artifact_id, execution_id)
            for ctx, context_id in zip(args[2] or [], context_ids):
                if "id" in ctx["fields"] and call.get("kwargs", {}).get("force_reuse_context"):
                    continue  # a context given by id is used as stored, not updated
                if not self._reused_context(call, ctx, context_id):
                    self._learn_node("context", context_id, ctx["fields"])
        elif op == "put_lineage_subgraph":
            for kind, position in (("execution", 0), ("artifact", 1), ("context", 2)):
                for node, node_id in zip(args[position], result[position]):
                    if kind != "context" or not self._reused_context(call, node, node_id):
                        self._learn_node(kind, node_id, node["fields"])
            for execution_index, artifact_index, event in args[3]:
                self._learn_event(event["fields"],
                                  result[1][artifact_index] if artifact_index is not None else None,
                                  result[0][execution_index] if execution_index is not None else None)

    def _reused_context(self, call: Dict[str, Any], ctx: Dict[str, Any], context_id: int) -> bool:
        """A new context that reuse_context_if_already_exist matched by name (stored, or earlier in the same
        call): it is used as it is, not written."""
        return (bool(call.get("kwargs", {}).get("reuse_context_if_already_exist")) and "id" not in ctx["fields"]
                and context_id in self.nodes["context"])

    def _learn_type(self, kind: str, type_id: int, fields: Dict[str, Any], kwargs: Dict[str, Any]) -> None:
        known = self.types[kind].get(type_id)
        merged = dict(fields)
        if known is not None and kwargs.get("can_omit_fields"):
            merged["properties"] = {**known.properties, **fields.get("properties", {})}
        self.types[kind][type_id] = TypeInfo(type_id, kind, merged)

    def _learn_event(self, fields: Dict[str, Any], artifact_id: Optional[int], execution_id: Optional[int]) -> None:
        artifact_id = fields.get("artifact_id", artifact_id)
        execution_id = fields.get("execution_id", execution_id)
        if artifact_id is not None and execution_id is not None:
            self.events.add((artifact_id, execution_id, fields.get("type", "UNKNOWN")))

    def _learn_node(self, kind: str, node_id: int, fields: Dict[str, Any],
                    mask: Optional[List[str]] = None) -> None:
        # A put with an id replaces the node; with a field mask, only the fields it names (roughly:
        # a path `properties.p` is taken as all of `properties`).
        known = self.nodes[kind].get(node_id)
        if known is not None and mask:
            masked = {path.split(".")[0] for path in mask}
            kept = {"name": known.name, "external_id": known.external_id,
                    "properties": dict.fromkeys(known.properties),
                    "custom_properties": dict.fromkeys(known.custom_properties)}
            fields = {**{k: v for k, v in kept.items() if k not in masked and v},
                      **{k: v for k, v in fields.items() if k in masked or k == "type_id"}}
        type_id = fields.get("type_id", known.type_id if known else None)
        name = fields.get("name")
        if known is not None and known.name and kind != "context":
            name = known.name  # an update keeps an artifact's or execution's name (MLMD and ours)
        value_kinds = frozenset((f"{holder}.{prop}", VALUE_KIND.get(next(iter(v), ""), ""))
                                for holder in ("properties", "custom_properties")
                                for prop, v in (fields.get(holder) or {}).items() if v)
        if known is not None and mask:
            value_kinds |= frozenset(vk for vk in known.value_kinds if vk[0].split(".")[0] not in masked)
        self.nodes[kind][node_id] = NodeInfo(
            node_id, kind, type_id, name, fields.get("external_id"),
            frozenset(fields.get("properties", {})), frozenset(fields.get("custom_properties", {})), value_kinds)
