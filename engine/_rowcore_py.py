"""Pure-Python twin of `_rowcore.pyx`: encodes stored rows as protobuf wire bytes, and decodes written nodes.

Nodes are stored with their message already encoded, so a read of N nodes is one SELECT and one protobuf
parse of N framed bodies, never N field-by-field constructions. Writes go the other way: a message serialized
once is decoded here into a record's values, instead of being read field by field through the protobuf API.
The two twins must produce identical bytes and identical records.
"""
from __future__ import annotations

import struct
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, cast

from .records import Properties

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
        return varint(number << 3 | 1) + _pack_double(value)
    if kind == _STRING:
        return _len_field(number, cast(str, value).encode("utf-8"))
    return _len_field(number, value)  # type: ignore[arg-type]  # STRUCT / PROTO: serialized bytes


def encode_properties(number: int, properties: Mapping[str, Tuple[int, object]]) -> bytes:
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
    properties: Mapping[str, Tuple[int, object]],
    custom_properties: Mapping[str, Tuple[int, object]],
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


def encode_nodes(fields: Tuple[int, ...], nodes: Sequence[tuple], properties: List[tuple],
                 type_names: Mapping[int, str], decode: Callable[[tuple], tuple]) -> List[tuple]:
    """Node-table rows with their encoded bodies, from node rows and property rows read in one merged pass.

    Args:
      fields: the message's field numbers, as `encode_node` takes them.
      nodes: (id, type_id, uri, state, name, external_id, create_time, update_time), ascending id.
      properties: (node_id, is_custom, name, kind, value), ascending node_id (a row of a node not in `nodes` is
        skipped); within a node best by name, which saves the sort. A row of kind INT, DOUBLE, STRING or BOOLEAN
        holds its value; any other row is replaced by `decode(row)`'s (node_id, is_custom, name, kind, value).
      type_names: type id -> type name, for the body's `type` field ("" when missing).
      decode: see `properties`; it raises for a row it cannot read.

    Returns:
      (id, type_id, uri, state, name, external_id, create_time, update_time, body) per node, the uri (None as "")
      only when the message has a uri field and the state only when it has a state field: the node table's columns.
    """
    has_uri, has_state = bool(fields[2]), bool(fields[5])
    out: List[tuple] = []
    at, end = 0, len(properties)
    for node_id, type_id, uri, state, name, external_id, created, updated in nodes:
        declared: Dict[str, Tuple[int, object]] = {}
        custom: Dict[str, Tuple[int, object]] = {}
        while at < end and properties[at][0] < node_id:
            at += 1
        while at < end and properties[at][0] == node_id:
            row = properties[at]
            if not (_INT <= row[3] <= _STRING or row[3] == _BOOLEAN):
                row = properties[at] = decode(row)
            (custom if row[1] else declared)[row[2]] = (row[3], row[4])
            at += 1
        body = encode_node(fields, node_id, type_id, uri, state, name, type_names.get(type_id, ""), created, updated,
                           external_id, declared, custom)
        out.append((node_id, type_id) + (("" if uri is None else uri,) if has_uri else ())
                   + ((state,) if has_state else ()) + (name, external_id, created, updated, body))
    return out


def encode_path(steps: Iterable[Sequence]) -> bytes:
    """An Event.Path message from (is_index_step, step_index, step_key) rows: field 1 holds each Step, whose
    field 1 is an index and field 2 a key."""
    return b"".join(_len_field(1, _int_field(1, int(index or 0)) if is_index else
                               _len_field(2, (key or "").encode("utf-8")))
                    for is_index, index, key in steps)


def encode_events(events: Sequence[tuple], steps: Sequence[tuple]) -> List[tuple]:
    """Event-table rows with their encoded bodies, from event rows and path steps read in one merged pass.

    Args:
      events: (id, artifact_id, execution_id, type, milliseconds_since_epoch), ascending id.
      steps: (event_id, is_index_step, step_index, step_key), ascending event_id and in path order within an
        event; a step of an event not in `events` is skipped. An event with no step has no path.

    Returns:
      (id, artifact_id, execution_id, type, milliseconds_since_epoch, body) per event.
    """
    out: List[tuple] = []
    at, end = 0, len(steps)
    for event_id, artifact_id, execution_id, event_type, milliseconds in events:
        while at < end and steps[at][0] < event_id:
            at += 1
        first = at
        while at < end and steps[at][0] == event_id:
            at += 1
        path = encode_path(step[1:] for step in steps[first:at]) if at > first else None
        out.append((event_id, artifact_id, execution_id, event_type, milliseconds,
                    encode_event(artifact_id, execution_id, path, event_type, milliseconds)))
    return out


def property_rows(node_id: int, is_custom: int, properties: Mapping[str, Tuple[int, object]]) -> List[tuple]:
    """The property-table rows of one map: (node_id, is_custom, name, kind, value); the backend's insert
    (Backend.insert_properties) puts the value in its kind's column (int_value, double_value, string_value,
    bool_value), so a row binds five values, not eight.

    The rows exist for filters, which compare int, double, string and bool values only: a struct or proto
    value gets a row with no value (its name and kind still answer IS NULL), and every value is read back
    from the node's encoded body, never from here. A bool is 1 or 0.
    """
    rows: List[tuple] = []
    for name, (kind, value) in properties.items():
        kind = int(kind)
        if kind == _INT or kind == _DOUBLE or kind == _STRING:
            rows.append((node_id, is_custom, name, kind, value))
        elif kind == _BOOLEAN:
            rows.append((node_id, is_custom, name, kind, 1 if value else 0))
        elif kind in (_STRUCT, _PROTO):
            rows.append((node_id, is_custom, name, kind, None))
        else:
            raise KeyError(kind)
    return rows


def frame(bodies: Iterable[bytes], number: int = 1) -> bytes:
    """Frames encoded messages as the repeated field `number` of a container message."""
    tag = varint(number << 3 | 2)
    return b"".join(tag + varint(len(body)) + body for body in bodies)


# Decoding -------------------------------------------------------------------------------------------------
# The write path hands the engine a message serialized once (deterministically) and decoded here, instead of
# reading it field by field through the protobuf API. The rules are protobuf's parse rules (upb's, where they
# differ from the letter of protobuf's specification): last occurrence wins, map entries with the same key
# replace each other, fields of another number or wire type are skipped, and whatever upb rejects as corrupt
# raises ValueError.
# Each nested message is sliced out as bytes of its own, so a read past its end raises IndexError (reported
# as ValueError by decode_node); that lets the common one-byte tags and lengths be read inline.

_MASK64 = (1 << 64) - 1
_unpack_double = struct.Struct("<d").unpack_from
# Artifact.State and Execution.State are closed proto2 enums (0..6 in MLMD 1.17.1): protobuf keeps any other
# number as an unknown field and leaves `state` unset, so the decoder skips it too.
_STATE_MAX = 6


def _varint_at(data: bytes, pos: int) -> Tuple[int, int]:
    """The varint at `pos` (at most 10 bytes) as an unsigned 64-bit int, higher bits dropped as upb does."""
    value = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & _MASK64, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _tag_at(data: bytes, pos: int) -> Tuple[int, int]:
    """A field tag of more than one byte: at most 5 bytes and 32 bits (upb rejects anything longer)."""
    tag, after = _varint_at(data, pos)
    if after - pos > 5 or tag > 0xFFFFFFFF:
        raise ValueError(f"malformed tag at byte {pos}")
    return tag, after


def _length_at(data: bytes, pos: int) -> Tuple[int, int]:
    """A length prefix (at most 5 bytes): the start and end of the field it announces, within the data."""
    length, after = _varint_at(data, pos)
    if after - pos > 5 or length > len(data) - after:
        raise ValueError(f"truncated length-delimited field at byte {pos}")
    return after, after + length


def _skip_field(data: bytes, pos: int, tag: int) -> int:
    """Skips the value of an unknown field whose tag was just read; a group up to its matching end tag."""
    wire_type = tag & 7
    if wire_type == 0:
        return _varint_at(data, pos)[1]
    if wire_type == 2:
        return _length_at(data, pos)[1]
    if wire_type == 1 or wire_type == 5:
        pos += 8 if wire_type == 1 else 4
        if pos > len(data):
            raise ValueError("truncated fixed-width field")
        return pos
    if wire_type != 3:
        raise ValueError(f"unexpected wire type {wire_type} at byte {pos}")
    open_groups = [tag >> 3]
    while True:
        tag, pos = _tag_at(data, pos)
        if tag & 7 == 4:
            if tag >> 3 != open_groups.pop():
                raise ValueError(f"mismatched end-group tag at byte {pos}")
            if not open_groups:
                return pos
        elif tag & 7 == 3:
            open_groups.append(tag >> 3)
        else:
            pos = _skip_field(data, pos, tag)


def _decode_value(data: bytes) -> Optional[Tuple[int, object]]:
    """One `ml_metadata.Value` message: (PropertyType, value), or None when no member is set.

    The last member set wins. A struct or Any member repeated without another member in between merges, as
    protobuf merges a message field: its occurrences are concatenated, which parses as that merge.
    """
    kind = 0
    number_value = 0
    start = stop = 0
    chunks: List[bytes] = []  # a struct / Any member's occurrences beyond the first (rare)
    pos, end = 0, len(data)
    while pos < end:
        tag = data[pos]
        if tag < 0x80:
            pos += 1
        else:
            tag, pos = _tag_at(data, pos)
        if tag == 0x08 or tag == 0x30:  # int_value / bool_value, varint
            kind = _INT if tag == 0x08 else _BOOLEAN
            number_value = data[pos]
            if number_value < 0x80:
                pos += 1
            else:
                number_value, pos = _varint_at(data, pos)
        elif tag == 0x11:  # double_value, fixed64
            if pos + 8 > end:
                raise ValueError("truncated double")
            kind = _DOUBLE
            start = pos
            pos += 8
        elif tag == 0x1A or tag == 0x22 or tag == 0x2A:  # string_value / struct_value / proto_value
            begin, pos = _length_at(data, pos)
            member = tag >> 3
            if member != _STRING and kind == member:
                chunks.append(data[begin:pos])
            else:
                kind = member
                start, stop = begin, pos
                chunks = []
        elif tag < 8:
            raise ValueError(f"field number 0 at byte {pos}")
        else:
            pos = _skip_field(data, pos, tag)
    if kind == 0:
        return None
    if kind == _INT:
        return (_INT, number_value - (1 << 64) if number_value >> 63 else number_value)
    if kind == _BOOLEAN:
        return (_BOOLEAN, number_value != 0)
    if kind == _DOUBLE:
        return (_DOUBLE, _unpack_double(data, start)[0])
    if kind == _STRING:
        return (_STRING, data[start:stop].decode("utf-8"))
    return (kind, data[start:stop] + b"".join(chunks) if chunks else data[start:stop])


def _decode_entry(data: bytes, into: Dict[str, Optional[Tuple[int, object]]]) -> None:
    """One `map<string, Value>` entry into `into` (None for an empty Value); a repeated key replaces its entry.

    An entry holding any other field (or key / value with another wire type) is not inserted: upb keeps
    such an entry whole among the parent's unknown fields.
    """
    end = len(data)
    # The shape serialization gives: key (field 1) then value (field 2), both with one-byte lengths.
    if end >= 4 and data[0] == 0x0A and data[1] < 0x80:
        key_stop = 2 + data[1]
        if (key_stop + 2 <= end and data[key_stop] == 0x12 and data[key_stop + 1] < 0x80
                and key_stop + 2 + data[key_stop + 1] == end):
            into[data[2:key_stop].decode("utf-8")] = _decode_value(data[key_stop + 2:])
            return
    key_start = key_stop = 0
    value_spans: List[Tuple[int, int]] = []
    has_unknown = False
    pos = 0
    while pos < end:
        tag = data[pos]
        if tag < 0x80:
            pos += 1
        else:
            tag, pos = _tag_at(data, pos)
        if tag == 0x0A or tag == 0x12:
            length = data[pos]
            if length < 0x80:
                pos += 1
                stop = pos + length
                if stop > end:
                    raise ValueError(f"truncated length-delimited field at byte {pos - 1}")
            else:
                pos, stop = _length_at(data, pos)
            if tag == 0x0A:
                key_start, key_stop = pos, stop
            else:
                value_spans.append((pos, stop))
            pos = stop
        elif tag < 8:
            raise ValueError(f"field number 0 at byte {pos}")
        else:
            pos = _skip_field(data, pos, tag)
            has_unknown = True
    if has_unknown:
        return
    if not value_spans:
        value = None
    elif len(value_spans) == 1:
        start, stop = value_spans[0]
        value = _decode_value(data[start:stop])
    else:  # the value field repeated: protobuf merges the messages, i.e. parses their concatenation
        value = _decode_value(b"".join(data[start:stop] for start, stop in value_spans))
    into[data[key_start:key_stop].decode("utf-8")] = value


def decode_node(
    fields: Tuple[int, ...], data: bytes
) -> Tuple[Optional[int], Optional[int], Optional[str], Optional[int], Optional[str], Optional[str], Optional[str],
           Properties, Properties, Tuple[str, ...]]:
    """Decodes a serialized Artifact / Execution / Context into the values of a `NodeRecord`.

    Args:
      fields: the message's field numbers, as `encode_node` takes them (0 = no such field).
      data: the serialized message; serialize it deterministically so struct / Any bytes are canonical.

    Returns:
      (id, type_id, uri, state, name, external_id, type_name, properties, custom_properties, empty_values):
      the optional fields are None when absent; the property maps hold {key: (PropertyType, value)}, with
      struct / Any values as the nested message's bytes; empty_values lists the keys whose Value had no
      member set, properties' first, each map in order of first appearance. Timestamps and system_metadata
      are skipped.

    Raises:
      ValueError: the bytes are not a well-formed message (UnicodeDecodeError for a string that is not UTF-8).

    Example: `decode_node(wire_fields(ARTIFACT), artifact.SerializeToString(deterministic=True))`.
    """
    try:
        return _decode_node(fields, data)
    except IndexError as exc:  # a varint, tag or length ran past the end of its message
        raise ValueError("truncated message") from exc


def _decode_node(fields: Tuple[int, ...], data: bytes) -> tuple:
    f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, _, _, f_ext = fields
    node_id = type_id = state = None
    spans: Dict[int, Tuple[int, int]] = {}  # string field number -> (start, stop) of its last occurrence
    props: Dict[str, Optional[Tuple[int, object]]] = {}
    custom: Dict[str, Optional[Tuple[int, object]]] = {}
    pos, end = 0, len(data)
    while pos < end:
        tag = data[pos]
        if tag < 0x80:
            pos += 1
        else:
            tag, pos = _tag_at(data, pos)
        number = tag >> 3
        wire_type = tag & 7
        if number == 0:
            raise ValueError(f"field number 0 at byte {pos}")
        if wire_type == 2:
            length = data[pos]
            if length < 0x80:
                pos += 1
                stop = pos + length
                if stop > end:
                    raise ValueError(f"truncated length-delimited field at byte {pos - 1}")
            else:
                pos, stop = _length_at(data, pos)
            if number == f_props:
                _decode_entry(data[pos:stop], props)
            elif number == f_custom:
                _decode_entry(data[pos:stop], custom)
            elif number == f_uri or number == f_name or number == f_type or number == f_ext:
                spans[number] = (pos, stop)
            pos = stop
        elif wire_type == 0 and (number == f_id or number == f_type_id or number == f_state):
            value, pos = _varint_at(data, pos)
            if number == f_id:
                node_id = value - (1 << 64) if value >> 63 else value
            elif number == f_type_id:
                type_id = value - (1 << 64) if value >> 63 else value
            else:
                value &= 0xFFFFFFFF  # an enum is an int32: the varint's low 32 bits
                value = value - (1 << 32) if value >> 31 else value
                if 0 <= value <= _STATE_MAX:
                    state = value
        else:
            pos = _skip_field(data, pos, tag)
    strings = {number: data[start:stop].decode("utf-8") for number, (start, stop) in spans.items()}
    empty: Tuple[str, ...] = ()
    if None in props.values() or None in custom.values():
        empty = tuple(key for key, value in props.items() if value is None)
        empty += tuple(key for key, value in custom.items() if value is None)
        props = {key: value for key, value in props.items() if value is not None}
        custom = {key: value for key, value in custom.items() if value is not None}
    return (node_id, type_id, strings.get(f_uri), state, strings.get(f_name), strings.get(f_ext),
            strings.get(f_type), props, custom, empty)



# Framing stored events ------------------------------------------------------------------------------------
# A read of many events fetches their stored bodies as one value, joined back to back by SQLite (one row
# for the driver instead of one per event), and puts them in MLMD's order here rather than with a sort in
# SQL. Joined messages would parse as one merged message, so the kernel finds where each begins: every stored
# event starts with field 1 (encode_event writes artifact_id first, always) and holds it once.


_EVENT_TYPE_MAX = 7  # Event.Type's largest value (PENDING_OUTPUT)


def decode_event(data: bytes) -> Tuple[Optional[int], Optional[int], Optional[bytes], Optional[int], Optional[int]]:
    """Decodes a serialized Event into the values of an `EventRecord`.

    Returns:
      (artifact_id, execution_id, path, type, milliseconds_since_epoch), each None when absent: path as the
      serialized Event.Path (None when empty, as MLMD drops an empty path), type only when it is a value of
      Event.Type (protobuf keeps any other among the unknown fields, and says the field is unset).
      system_metadata is skipped.

    Raises:
      ValueError: the bytes are not a well-formed message.
    """
    try:
        return _decode_event(data)
    except IndexError as exc:  # a varint, tag or length ran past the end of its message
        raise ValueError("truncated message") from exc


def _decode_event(data: bytes) -> Tuple[Optional[int], Optional[int], Optional[bytes], Optional[int], Optional[int]]:
    ints: List[Optional[int]] = [None] * 6  # by field number: artifact_id 1, execution_id 2, type 4, milliseconds 5
    path: Optional[bytes] = None
    pos, end = 0, len(data)
    while pos < end:
        tag, pos = _tag_at(data, pos)
        number = tag >> 3
        if number == 0:
            raise ValueError(f"field number 0 at byte {pos}")
        if tag & 7 == 0 and number in (1, 2, 4, 5):
            value, pos = _varint_at(data, pos)
            if number == 4:
                value &= 0xFFFFFFFF  # an enum is an int32: the varint's low 32 bits
                value = value - (1 << 32) if value >> 31 else value
                if not 0 <= value <= _EVENT_TYPE_MAX:
                    continue
            else:
                value = value - (1 << 64) if value >> 63 else value
            ints[number] = value
        elif tag == 0x1A:  # path: a repeated occurrence merges, as protobuf merges it
            pos, stop = _length_at(data, pos)
            path = data[pos:stop] if path is None else path + data[pos:stop]
            pos = stop
        else:
            pos = _skip_field(data, pos, tag)
    return ints[1], ints[2], path or None, ints[4], ints[5]


_EVENT_TAG = varint(1 << 3 | 2)  # the container's repeated field 1
_EVENT_KEY_SLOTS = {1: 0, 2: 1, 4: 2}  # Event.artifact_id, execution_id and type: their place in the sort key
_INT64_MAX = (1 << 63) - 1


def frame_events(joined: bytes, count: int, ids: Optional[str] = None) -> bytes:
    """Frames `count` stored events, joined back to back, as the repeated field 1 of a container, in MLMD's order.

    Args:
      joined: the events' bodies as `encode_event` writes them, back to back.
      count: how many events `joined` holds.
      ids: None to order the events as MLMD's reads by artifact return them, by (artifact_id, execution_id,
        type); or the events' ids, comma-separated in the order of `joined`, to order them as its reads by
        execution do, by (execution_id, id).

    Returns:
      The framed events: `frame(bodies in that order)`.

    Raises:
      ValueError: `joined` is not `count` events that each begin with field 1 (or a field is truncated), or
        `ids` is not `count` comma-separated ids.
    """
    try:
        events = _joined_events(joined)
    except IndexError as exc:  # a varint, tag or length ran past the end
        raise ValueError("truncated message") from exc
    if len(events) != count:
        raise ValueError(f"expected {count} joined events, found {len(events)}")
    if ids is not None:
        keys = _event_ids(ids)
        if len(keys) != count:
            raise ValueError(f"expected {count} event ids, found {len(keys)}")
        events = [(event[1], key, 0, *event[3:]) for event, key in zip(events, keys)]
    events.sort()  # no two events share a key (the identity and the id are unique), so the order is total
    return b"".join(_EVENT_TAG + varint(stop - start) + joined[start:stop] for _, _, _, _, start, stop in events)


def _joined_events(joined: bytes) -> List[Tuple[int, int, int, int, int, int]]:
    """(artifact_id, execution_id, type, position, start, stop) of each event in `joined`."""
    events: List[List[int]] = []
    pos, end = 0, len(joined)
    while pos < end:
        field_start = pos
        tag, pos = _tag_at(joined, pos)
        number = tag >> 3
        if number == 1:
            if events:
                events[-1][5] = field_start
            events.append([0, 0, 0, len(events), field_start, end])
        elif not events:
            raise ValueError("the joined events do not begin with field 1")
        if tag & 7 == 0 and number in _EVENT_KEY_SLOTS:
            value, pos = _varint_at(joined, pos)
            events[-1][_EVENT_KEY_SLOTS[number]] = value - (1 << 64) if value >> 63 else value
        else:
            pos = _skip_field(joined, pos, tag)
    return [(a, e, t, i, start, stop) for a, e, t, i, start, stop in events]


def _event_ids(ids: str) -> List[int]:
    if not ids:
        return []
    keys = []
    for text in ids.split(","):
        if not (text.isascii() and text.isdigit()) or int(text) > _INT64_MAX:
            raise ValueError(f"not an event id: {text!r}")
        keys.append(int(text))
    return keys
