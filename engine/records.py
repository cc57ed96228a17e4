"""Plain records passed between the bindings and the engine: types, nodes, events and links.

A property value is a `(PropertyType, value)` pair: int, float, str, bool, or for STRUCT and PROTO the
serialized `google.protobuf.Struct` / `google.protobuf.Any` bytes, which the engine stores untouched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple, Union

ValueData = Union[int, float, str, bool, bytes]
Value = Tuple[int, ValueData]  # (PropertyType number, value)
Properties = Dict[str, Value]


@dataclass
class TypeRecord:
    """An artifact, execution or context type."""

    kind: int
    name: Optional[str]
    properties: Dict[str, int] = field(default_factory=dict)  # name -> PropertyType number
    id: Optional[int] = None
    version: Optional[str] = None  # None or "" both mean unversioned
    description: Optional[str] = None
    external_id: Optional[str] = None
    base_type: Optional[int] = None  # SystemDefinedBaseType number; None when unset
    input_type: Optional[bytes] = None  # serialized ArtifactStructType (execution types only)
    output_type: Optional[bytes] = None


@dataclass
class NodeRecord:
    """An artifact, execution or context as the bindings hand it to the engine.

    `present` lists the optional fields the message had set (uri, state, name, external_id, type), so that
    updates can tell an unset field from an empty one.
    """

    id: Optional[int] = None
    type_id: Optional[int] = None
    uri: Optional[str] = None
    state: Optional[int] = None
    name: Optional[str] = None
    external_id: Optional[str] = None
    type_name: Optional[str] = None  # the output-only `type` field, only used for no-op detection
    properties: Properties = field(default_factory=dict)
    custom_properties: Properties = field(default_factory=dict)
    # Keys whose Value had no field set: of `properties` (the row kernel lists both maps' here; the bindings
    # then split them), and of `custom_properties`.
    empty_values: Tuple[str, ...] = ()
    empty_custom_values: Tuple[str, ...] = ()


@dataclass
class EventRecord:
    """An event between an artifact and an execution; `path` is the serialized Event.Path."""

    artifact_id: Optional[int]
    execution_id: Optional[int]
    type: Optional[int]
    milliseconds_since_epoch: Optional[int] = None
    path: Optional[bytes] = None
