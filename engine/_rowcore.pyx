# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled twin of `_rowcore_py.py`: encodes stored rows as protobuf wire bytes.

Must produce exactly the bytes of the pure-Python twin (tests/test_rowcore.py checks both, and a
hypothesis test checks they agree). boundscheck/wraparound are off because every index below is a
non-negative position we have just computed from the buffer's own length.
"""
from libc.stdint cimport uint64_t, int64_t
from libc.string cimport memcpy

import struct

_pack_double = struct.Struct("<d").pack

cdef enum:
    _INT = 1
    _DOUBLE = 2
    _STRING = 3
    _STRUCT = 4
    _PROTO = 5
    _BOOLEAN = 6


cdef inline void _put_varint(bytearray out, uint64_t value):
    cdef unsigned char buf[10]
    cdef Py_ssize_t n = 0
    while value > 0x7F:
        buf[n] = <unsigned char>((value & 0x7F) | 0x80)
        value >>= 7
        n += 1
    buf[n] = <unsigned char>value
    n += 1
    out.extend((<char*>buf)[:n])


cdef inline uint64_t _as_u64(object value):
    cdef int64_t signed_value = value
    return <uint64_t>signed_value


def varint(value):
    """Encodes an int64 as a protobuf varint (negative numbers as their 64-bit two's complement)."""
    cdef bytearray out = bytearray()
    _put_varint(out, _as_u64(value))
    return bytes(out)


cdef inline void _put_len_field(bytearray out, int number, bytes payload):
    _put_varint(out, <uint64_t>(number << 3 | 2))
    _put_varint(out, <uint64_t>len(payload))
    out.extend(payload)


cdef inline void _put_int_field(bytearray out, int number, object value):
    _put_varint(out, <uint64_t>(number << 3))
    _put_varint(out, _as_u64(value))


cdef void _put_value(bytearray out, int kind, object value) except *:
    if kind == _INT:
        _put_int_field(out, 1, value)
    elif kind == _BOOLEAN:
        _put_int_field(out, 6, 1 if value else 0)
    elif kind == _DOUBLE:
        _put_varint(out, <uint64_t>(2 << 3 | 1))
        out.extend(_pack_double(value))
    elif kind == _STRING:
        _put_len_field(out, 3, (<str>value).encode("utf-8"))
    elif kind == _STRUCT:
        _put_len_field(out, 4, bytes(value))
    elif kind == _PROTO:
        _put_len_field(out, 5, bytes(value))
    else:
        raise KeyError(kind)


def encode_value(int kind, object value):
    """Encodes one `ml_metadata.Value` message."""
    cdef bytearray out = bytearray()
    _put_value(out, kind, value)
    return bytes(out)


cdef void _put_properties(bytearray out, int number, dict properties) except *:
    cdef bytearray entry
    cdef bytearray value_bytes
    for key in sorted(properties):
        kind, value = properties[key]
        value_bytes = bytearray()
        _put_value(value_bytes, kind, value)
        entry = bytearray()
        _put_len_field(entry, 1, (<str>key).encode("utf-8"))
        _put_len_field(entry, 2, bytes(value_bytes))
        _put_len_field(out, number, bytes(entry))


def encode_properties(int number, dict properties):
    """Encodes a `map<string, Value>` field as its entries, in key order."""
    cdef bytearray out = bytearray()
    _put_properties(out, number, properties)
    return bytes(out)


def encode_node(tuple fields, node_id, type_id, uri, state, name, str type_name, create_time, update_time,
                external_id, dict properties, dict custom_properties):
    """Encodes a whole Artifact / Execution / Context message (see the pure-Python twin)."""
    cdef int f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, f_create, f_update, f_ext
    f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, f_create, f_update, f_ext = fields
    cdef list parts = []
    cdef bytearray piece
    cdef int number
    # Field numbers are small (<= 11), so emitting in ascending order is a scan over 1..11.
    cdef int top = max(fields)
    for number in range(1, top + 1):
        piece = bytearray()
        if number == f_id:
            _put_int_field(piece, f_id, node_id)
        elif number == f_type_id:
            _put_int_field(piece, f_type_id, type_id)
        elif number == f_uri:
            if uri is not None:
                _put_len_field(piece, f_uri, (<str>uri).encode("utf-8"))
        elif number == f_props:
            if properties:
                _put_properties(piece, f_props, properties)
        elif number == f_custom:
            if custom_properties:
                _put_properties(piece, f_custom, custom_properties)
        elif number == f_state:
            if state is not None:
                _put_int_field(piece, f_state, state)
        elif number == f_name:
            if name is not None:
                _put_len_field(piece, f_name, (<str>name).encode("utf-8"))
        elif number == f_type:
            _put_len_field(piece, f_type, type_name.encode("utf-8"))
        elif number == f_create:
            _put_int_field(piece, f_create, create_time)
        elif number == f_update:
            _put_int_field(piece, f_update, update_time)
        elif number == f_ext:
            if external_id is not None:
                _put_len_field(piece, f_ext, (<str>external_id).encode("utf-8"))
        if piece:
            parts.append(bytes(piece))
    return b"".join(parts)


def encode_event(artifact_id, execution_id, path, event_type, milliseconds):
    """Encodes an `ml_metadata.Event` message (path is the serialized Event.Path)."""
    cdef bytearray out = bytearray()
    _put_int_field(out, 1, artifact_id)
    _put_int_field(out, 2, execution_id)
    if path is not None:
        _put_len_field(out, 3, bytes(path))
    _put_int_field(out, 4, event_type)
    if milliseconds is not None:
        _put_int_field(out, 5, milliseconds)
    return bytes(out)


def frame(bodies, int number=1):
    """Frames encoded messages as the repeated field `number` of a container message."""
    cdef bytearray out = bytearray()
    cdef bytes body
    cdef uint64_t tag = <uint64_t>(number << 3 | 2)
    for body in bodies:
        _put_varint(out, tag)
        _put_varint(out, <uint64_t>len(body))
        out.extend(body)
    return bytes(out)
