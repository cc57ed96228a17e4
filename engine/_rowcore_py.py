"""Pure-Python twin of `_rowcore.pyx`: encodes stored rows as protobuf wire bytes.

Nodes are stored with their message already encoded, so a read of N nodes is one SELECT and one protobuf
parse of N framed bodies, never N field-by-field constructions. The two twins must produce identical bytes.
"""
from __future__ import annotations

import struct
from typing import Dict, Iterable, List, Optional, Tuple

_pack_double = struct.Struct("<d").pack

# PropertyType numbers, repeated here so the kernel stays self-contained.
_INT, _DOUBLE, _STRING, _STRUCT, _PROTO, _BOOLEAN = 1, 2, 3, 4, 5, 6
_VALUE_FIELD = {_INT: 1, _DOUBLE: 2, _STRING: 3, _STRUCT: 4, _PROTO: 5, _BOOLEAN: 6}


def varint(value: int) -> bytes:
    """Encodes an int64 as a protobuf varint (negative numbers as their 64-bit two's complement)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _len_field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def _int_field(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def encode_value(kind: int, value: object) -> bytes:
    """Encodes one `ml_metadata.Value` message."""
    number = _VALUE_FIELD[kind]
    if kind == _INT:
        return _int_field(number, value)  # type: ignore[arg-type]
    if kind == _BOOLEAN:
        return _int_field(number, 1 if value else 0)
    if kind == _DOUBLE:
        return varint(number << 3 | 1) + _pack_double(value)  # type: ignore[arg-type]
    if kind == _STRING:
        return _len_field(number, value.encode("utf-8"))  # type: ignore[union-attr]
    return _len_field(number, value)  # type: ignore[arg-type]  # STRUCT / PROTO: serialized bytes


def encode_properties(number: int, properties: Dict[str, Tuple[int, object]]) -> bytes:
    """Encodes a `map<string, Value>` field as its entries, in key order."""
    parts = []
    for key in sorted(properties):
        kind, value = properties[key]
        entry = _len_field(1, key.encode("utf-8")) + _len_field(2, encode_value(kind, value))
        parts.append(_len_field(number, entry))
    return b"".join(parts)


def encode_node(
    fields: Tuple[int, ...],
    node_id: int,
    type_id: int,
    uri: Optional[str],
    state: Optional[int],
    name: Optional[str],
    type_name: str,
    create_time: int,
    update_time: int,
    external_id: Optional[str],
    properties: Dict[str, Tuple[int, object]],
    custom_properties: Dict[str, Tuple[int, object]],
) -> bytes:
    """Encodes a whole Artifact / Execution / Context message.

    `fields` holds the message's field numbers in the order (id, type_id, uri, properties,
    custom_properties, state, name, type, create_time, update_time, external_id); 0 = no such field.
    """
    f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, f_create, f_update, f_ext = fields
    parts: List[Tuple[int, bytes]] = [
        (f_id, _int_field(f_id, node_id)),
        (f_type_id, _int_field(f_type_id, type_id)),
        (f_type, _len_field(f_type, type_name.encode("utf-8"))),
        (f_create, _int_field(f_create, create_time)),
        (f_update, _int_field(f_update, update_time)),
    ]
    if f_uri and uri is not None:
        parts.append((f_uri, _len_field(f_uri, uri.encode("utf-8"))))
    if f_state and state is not None:
        parts.append((f_state, _int_field(f_state, state)))
    if name is not None:
        parts.append((f_name, _len_field(f_name, name.encode("utf-8"))))
    if external_id is not None:
        parts.append((f_ext, _len_field(f_ext, external_id.encode("utf-8"))))
    if properties:
        parts.append((f_props, encode_properties(f_props, properties)))
    if custom_properties:
        parts.append((f_custom, encode_properties(f_custom, custom_properties)))
    parts.sort(key=lambda part: part[0])
    return b"".join(part for _, part in parts)


def encode_event(
    artifact_id: int, execution_id: int, path: Optional[bytes], event_type: int, milliseconds: Optional[int]
) -> bytes:
    """Encodes an `ml_metadata.Event` message (path is the serialized Event.Path)."""
    out = _int_field(1, artifact_id) + _int_field(2, execution_id)
    if path is not None:
        out += _len_field(3, path)
    out += _int_field(4, event_type)
    if milliseconds is not None:
        out += _int_field(5, milliseconds)
    return out


def frame(bodies: Iterable[bytes], number: int = 1) -> bytes:
    """Frames encoded messages as the repeated field `number` of a container message."""
    tag = varint(number << 3 | 2)
    return b"".join(tag + varint(len(body)) + body for body in bodies)
