# cython: language_level=3, boundscheck=False, wraparound=False
"""Compiled twin of `_rowcore_py.py`: encodes stored rows as protobuf wire bytes, and decodes written nodes.

Must produce exactly the bytes and records of the pure-Python twin (tests/test_rowcore.py and
tests/test_rowcore_decode.py check both, and hypothesis tests check they agree). boundscheck/wraparound are
off because every index below is a non-negative position we have just computed from the buffer's own length.
"""
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport qsort
from libc.string cimport memcpy


cdef enum:
    _INT = 1
    _DOUBLE = 2
    _STRING = 3
    _STRUCT = 4
    _PROTO = 5
    _BOOLEAN = 6


# Encoding -------------------------------------------------------------------------------------------------
# Each message is written twice by the same code: once into nothing, to measure it, then into one bytes object
# of exactly that size. No intermediate objects are made (UTF-8 of a str comes from the str's own cache), so a
# node with six properties costs one allocation instead of about eighty.

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object text, Py_ssize_t* size) except NULL
    char* PyBytes_AS_STRING(object data)
    Py_ssize_t PyBytes_GET_SIZE(object data)


cdef struct Out:
    char* buf  # NULL while measuring
    Py_ssize_t n  # bytes written (or measured) so far
    Py_ssize_t cap  # the size of buf: writes never pass it


cdef inline Py_ssize_t _varint_size(uint64_t value) noexcept:
    cdef Py_ssize_t n = 1
    while value > 0x7F:
        value >>= 7
        n += 1
    return n


cdef inline void _out_raw(Out* out, const char* data, Py_ssize_t size) noexcept:
    if out.buf != NULL and out.n + size <= out.cap:
        memcpy(out.buf + out.n, data, size)
    out.n += size


cdef inline void _out_varint(Out* out, uint64_t value) noexcept:
    cdef unsigned char buf[10]
    cdef Py_ssize_t n = 0
    while value > 0x7F:
        buf[n] = <unsigned char>((value & 0x7F) | 0x80)
        value >>= 7
        n += 1
    buf[n] = <unsigned char>value
    _out_raw(out, <char*>buf, n + 1)


cdef inline uint64_t _as_u64(object value) except? 0:
    cdef int64_t signed_value = value
    return <uint64_t>signed_value


cdef inline const char* _utf8(object text, Py_ssize_t* size) except NULL:
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return PyUnicode_AsUTF8AndSize(text, size)


cdef inline void _out_int_field(Out* out, int number, uint64_t value) noexcept:
    _out_varint(out, <uint64_t>(number << 3))
    _out_varint(out, value)


cdef inline void _out_len_field(Out* out, int number, const char* data, Py_ssize_t size) noexcept:
    _out_varint(out, <uint64_t>(number << 3 | 2))
    _out_varint(out, <uint64_t>size)
    _out_raw(out, data, size)


cdef int _out_str_field(Out* out, int number, object text) except -1:
    cdef Py_ssize_t size
    cdef const char* data = _utf8(text, &size)
    _out_len_field(out, number, data, size)
    return 0


cdef int _out_value(Out* out, int kind, object value) except -1:
    cdef double number
    cdef uint64_t bits
    cdef unsigned char little[8]
    cdef int i
    if kind == _INT:
        _out_int_field(out, 1, _as_u64(value))
    elif kind == _BOOLEAN:
        _out_int_field(out, 6, 1 if value else 0)
    elif kind == _DOUBLE:
        number = value
        memcpy(&bits, &number, 8)
        for i in range(8):  # little-endian whatever the host, as protobuf's fixed64
            little[i] = <unsigned char>((bits >> (8 * i)) & 0xFF)
        _out_varint(out, <uint64_t>(2 << 3 | 1))
        _out_raw(out, <char*>little, 8)
    elif kind == _STRING:
        _out_str_field(out, 3, value)
    elif kind == _STRUCT or kind == _PROTO:
        if not isinstance(value, bytes):
            value = bytes(value)
        _out_len_field(out, 4 if kind == _STRUCT else 5, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
    else:
        raise KeyError(kind)
    return 0


cdef int _out_properties(Out* out, int number, dict properties) except -1:
    for key in sorted(properties):
        kind, value = properties[key]
        _out_entry(out, number, key, kind, value)
    return 0


cdef int _out_entry(Out* out, int number, object key, int kind, object value) except -1:
    """One entry of a `map<string, Value>` field."""
    cdef Out measure
    cdef Py_ssize_t key_size, value_size
    cdef const char* key_data = _utf8(key, &key_size)
    _start(&measure)
    _out_value(&measure, kind, value)
    value_size = measure.n
    _out_varint(out, <uint64_t>(number << 3 | 2))
    _out_varint(out, <uint64_t>(1 + _varint_size(key_size) + key_size + 1 + _varint_size(value_size) + value_size))
    _out_len_field(out, 1, key_data, key_size)
    _out_varint(out, <uint64_t>(2 << 3 | 2))
    _out_varint(out, <uint64_t>value_size)
    _out_value(out, kind, value)
    return 0


cdef int _out_property_span(Out* out, int number, list rows, Py_ssize_t first, Py_ssize_t stop,
                            bint custom) except -1:
    """The entries of one map from property rows (node_id, is_custom, name, kind, value) already in name order."""
    cdef Py_ssize_t i
    cdef tuple row
    for i in range(first, stop):
        row = <tuple>rows[i]
        if bool(row[1]) == custom:
            _out_entry(out, number, row[2], row[3], row[4])
    return 0


cdef inline void _start(Out* out) noexcept:
    out.buf = NULL
    out.n = 0
    out.cap = 0


cdef object _allocate(Out* out):
    """The bytes object a measured message goes into; `out` then writes into it from the start."""
    result = PyBytes_FromStringAndSize(NULL, out.n)
    out.buf = PyBytes_AS_STRING(result)
    out.cap = out.n
    out.n = 0
    return result


cdef inline int _check_filled(Out* out) except -1:
    if out.n != out.cap:  # only if an argument changed between the passes
        raise RuntimeError("message size changed while encoding")
    return 0


def varint(value):
    """Encodes an int64 as a protobuf varint (negative numbers as their 64-bit two's complement)."""
    cdef uint64_t number = _as_u64(value)
    cdef Out out
    _start(&out)
    _out_varint(&out, number)
    result = _allocate(&out)
    _out_varint(&out, number)
    _check_filled(&out)
    return result


def encode_value(int kind, object value):
    """Encodes one `ml_metadata.Value` message."""
    cdef Out out
    _start(&out)
    _out_value(&out, kind, value)
    result = _allocate(&out)
    _out_value(&out, kind, value)
    _check_filled(&out)
    return result


def encode_properties(int number, dict properties):
    """Encodes a `map<string, Value>` field as its entries, in key order."""
    cdef Out out
    _start(&out)
    _out_properties(&out, number, properties)
    result = _allocate(&out)
    _out_properties(&out, number, properties)
    _check_filled(&out)
    return result


cdef int _out_node(Out* out, tuple fields, node_id, type_id, uri, state, name, str type_name, create_time,
                   update_time, external_id, dict properties, dict custom_properties, list rows=None,
                   Py_ssize_t first=0, Py_ssize_t stop=0) except -1:
    """The node's message; its properties come from the dicts, or from rows[first:stop] when `rows` is given."""
    cdef int f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, f_create, f_update, f_ext
    f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, f_create, f_update, f_ext = fields
    cdef int number
    # Field numbers are small (<= 11), so emitting in ascending order is a scan over 1..11.
    cdef int top = max(fields)
    for number in range(1, top + 1):
        if number == f_id:
            _out_int_field(out, f_id, _as_u64(node_id))
        elif number == f_type_id:
            _out_int_field(out, f_type_id, _as_u64(type_id))
        elif number == f_uri:
            if uri is not None:
                _out_str_field(out, f_uri, uri)
        elif number == f_props:
            if rows is not None:
                _out_property_span(out, f_props, rows, first, stop, False)
            elif properties:
                _out_properties(out, f_props, properties)
        elif number == f_custom:
            if rows is not None:
                _out_property_span(out, f_custom, rows, first, stop, True)
            elif custom_properties:
                _out_properties(out, f_custom, custom_properties)
        elif number == f_state:
            if state is not None:
                _out_int_field(out, f_state, _as_u64(state))
        elif number == f_name:
            if name is not None:
                _out_str_field(out, f_name, name)
        elif number == f_type:
            _out_str_field(out, f_type, type_name)
        elif number == f_create:
            _out_int_field(out, f_create, _as_u64(create_time))
        elif number == f_update:
            _out_int_field(out, f_update, _as_u64(update_time))
        elif number == f_ext:
            if external_id is not None:
                _out_str_field(out, f_ext, external_id)
    return 0


def encode_node(tuple fields, node_id, type_id, uri, state, name, str type_name, create_time, update_time,
                external_id, dict properties, dict custom_properties):
    """Encodes a whole Artifact / Execution / Context message (see the pure-Python twin)."""
    cdef Out out
    _start(&out)
    _out_node(&out, fields, node_id, type_id, uri, state, name, type_name, create_time, update_time, external_id,
              properties, custom_properties)
    result = _allocate(&out)
    _out_node(&out, fields, node_id, type_id, uri, state, name, type_name, create_time, update_time, external_id,
              properties, custom_properties)
    _check_filled(&out)
    return result


cdef inline Py_ssize_t _span_of(list rows, Py_ssize_t at, Py_ssize_t end, int64_t key) except -1:
    """The first of rows[at:end] (tuples ascending by their first item) whose first item is not below `key`."""
    while at < end and <int64_t>((<tuple>rows[at])[0]) < key:
        at += 1
    return at


cdef inline Py_ssize_t _span_end(list rows, Py_ssize_t at, Py_ssize_t end, int64_t key) except -1:
    """Past the last of the rows from `at` on whose first item is `key`."""
    while at < end and <int64_t>((<tuple>rows[at])[0]) == key:
        at += 1
    return at


cdef bint _prepare_span(list rows, Py_ssize_t first, Py_ssize_t stop, decode) except -1:
    """Replaces the rows of one node that need `decode`; whether each map's names come in strictly rising order
    (then the rows are encoded as they are, else through dicts, as the twin does)."""
    cdef Py_ssize_t i
    cdef tuple row
    cdef int kind
    cdef bint ordered = True
    last_declared = None
    last_custom = None
    for i in range(first, stop):
        row = <tuple>rows[i]
        kind = row[3]
        if not (_INT <= kind <= _STRING or kind == _BOOLEAN):
            row = decode(row)
            rows[i] = row
        if not ordered:
            continue
        if row[1]:
            ordered = last_custom is None or row[2] > last_custom
            last_custom = row[2]
        else:
            ordered = last_declared is None or row[2] > last_declared
            last_declared = row[2]
    return ordered


def encode_nodes(tuple fields, list nodes, list properties, dict type_names, decode):
    """Node-table rows with their encoded bodies, from node rows and property rows (see the pure-Python twin)."""
    cdef bint has_uri = fields[2] != 0, has_state = fields[5] != 0
    cdef Py_ssize_t at = 0, end = len(properties), first
    cdef list out = []
    cdef tuple node
    cdef dict declared, custom
    cdef list span
    cdef Out o
    for node in nodes:
        first = _span_of(properties, at, end, node[0])
        at = _span_end(properties, first, end, node[0])
        type_name = type_names.get(node[1], "")
        declared = custom = None
        span = properties
        if not _prepare_span(properties, first, at, decode):
            # Names out of order or repeated: through dicts, which sort them and keep the last, as the twin does.
            declared, custom, span = {}, {}, None
            for row in properties[first:at]:
                (custom if row[1] else declared)[row[2]] = (row[3], row[4])
        _start(&o)
        _out_node(&o, fields, node[0], node[1], node[2], node[3], node[4], type_name, node[6], node[7], node[5],
                  declared, custom, span, first, at)
        body = _allocate(&o)
        _out_node(&o, fields, node[0], node[1], node[2], node[3], node[4], type_name, node[6], node[7], node[5],
                  declared, custom, span, first, at)
        _check_filled(&o)
        uri = node[2]
        if has_uri and has_state:
            out.append((node[0], node[1], "" if uri is None else uri, node[3], node[4], node[5], node[6], node[7], body))
        elif has_state:
            out.append((node[0], node[1], node[3], node[4], node[5], node[6], node[7], body))
        elif has_uri:
            out.append((node[0], node[1], "" if uri is None else uri, node[4], node[5], node[6], node[7], body))
        else:
            out.append((node[0], node[1], node[4], node[5], node[6], node[7], body))
    return out


cdef int _out_event(Out* out, artifact_id, execution_id, path, event_type, milliseconds) except -1:
    _out_int_field(out, 1, _as_u64(artifact_id))
    _out_int_field(out, 2, _as_u64(execution_id))
    if path is not None:
        _out_len_field(out, 3, PyBytes_AS_STRING(path), PyBytes_GET_SIZE(path))
    _out_int_field(out, 4, _as_u64(event_type))
    if milliseconds is not None:
        _out_int_field(out, 5, _as_u64(milliseconds))
    return 0


def encode_event(artifact_id, execution_id, path, event_type, milliseconds):
    """Encodes an `ml_metadata.Event` message (path is the serialized Event.Path)."""
    if path is not None and not isinstance(path, bytes):
        path = bytes(path)
    cdef Out out
    _start(&out)
    _out_event(&out, artifact_id, execution_id, path, event_type, milliseconds)
    result = _allocate(&out)
    _out_event(&out, artifact_id, execution_id, path, event_type, milliseconds)
    _check_filled(&out)
    return result


cdef int _out_path(Out* out, list steps, Py_ssize_t first, Py_ssize_t stop) except -1:
    """An Event.Path's steps from rows (event_id, is_index_step, step_index, step_key): field 1 holds each Step,
    whose field 1 is an index and field 2 a key."""
    cdef Py_ssize_t i, size
    cdef uint64_t index
    cdef const char* data
    cdef tuple step
    for i in range(first, stop):
        step = <tuple>steps[i]
        if step[1]:
            index = _as_u64(step[2] or 0)
            _out_varint(out, <uint64_t>(1 << 3 | 2))
            _out_varint(out, <uint64_t>(1 + _varint_size(index)))
            _out_int_field(out, 1, index)
        else:
            data = _utf8(step[3] or "", &size)
            _out_varint(out, <uint64_t>(1 << 3 | 2))
            _out_varint(out, <uint64_t>(1 + _varint_size(<uint64_t>size) + size))
            _out_len_field(out, 2, data, size)
    return 0


cdef int _out_event_row(Out* out, tuple event, list steps, Py_ssize_t first, Py_ssize_t stop) except -1:
    cdef Out measure
    _out_int_field(out, 1, _as_u64(event[1]))
    _out_int_field(out, 2, _as_u64(event[2]))
    if stop > first:
        _start(&measure)
        _out_path(&measure, steps, first, stop)
        _out_varint(out, <uint64_t>(3 << 3 | 2))
        _out_varint(out, <uint64_t>measure.n)
        _out_path(out, steps, first, stop)
    _out_int_field(out, 4, _as_u64(event[3]))
    if event[4] is not None:
        _out_int_field(out, 5, _as_u64(event[4]))
    return 0


def encode_events(list events, list steps):
    """Event-table rows with their encoded bodies, from event rows and path steps (see the pure-Python twin)."""
    cdef Py_ssize_t at = 0, end = len(steps), first
    cdef list out = []
    cdef tuple event
    cdef Out o
    for event in events:
        first = _span_of(steps, at, end, event[0])
        at = _span_end(steps, first, end, event[0])
        _start(&o)
        _out_event_row(&o, event, steps, first, at)
        body = _allocate(&o)
        _out_event_row(&o, event, steps, first, at)
        _check_filled(&o)
        out.append((event[0], event[1], event[2], event[3], event[4], body))
    return out


def property_rows(node_id, int is_custom, dict properties):
    """The property-table rows of one map: (node_id, is_custom, name, kind, value) (see the pure-Python twin)."""
    cdef list rows = []
    cdef int kind
    for name, pair in properties.items():
        kind, value = pair
        if kind == _INT or kind == _DOUBLE or kind == _STRING:
            rows.append((node_id, is_custom, name, kind, value))
        elif kind == _BOOLEAN:
            rows.append((node_id, is_custom, name, kind, 1 if value else 0))
        elif kind == _STRUCT or kind == _PROTO:
            rows.append((node_id, is_custom, name, kind, None))
        else:
            raise KeyError(kind)
    return rows


def frame(bodies, int number=1):
    """Frames encoded messages as the repeated field `number` of a container message."""
    cdef uint64_t tag = <uint64_t>(number << 3 | 2)
    cdef Py_ssize_t tag_size = _varint_size(tag)
    cdef Py_ssize_t total = 0
    cdef Py_ssize_t size
    cdef bytes body
    cdef list items = bodies if type(bodies) is list else list(bodies)
    cdef Out out
    for body in items:
        size = PyBytes_GET_SIZE(body)
        total += tag_size + _varint_size(<uint64_t>size) + size
    _start(&out)
    out.n = total
    result = _allocate(&out)
    for body in items:
        _out_len_field(&out, number, PyBytes_AS_STRING(body), PyBytes_GET_SIZE(body))
    _check_filled(&out)
    return result


# Decoding -------------------------------------------------------------------------------------------------
# Same rules as the twin (see `_rowcore_py.decode_node`). The buffer is read through a raw pointer: every
# read below is preceded by an explicit check of its position against `end`, which never exceeds the length
# of the bytes object the pointer comes from, so boundscheck/wraparound (which only guard indexing of Python
# sequences and memoryviews anyway) have nothing left to check. Scalars and string spans are kept as C
# values while scanning; Python objects are made once per field that survives, at the end of its message.

# Artifact.State and Execution.State are closed proto2 enums (0..6 in MLMD 1.17.1): protobuf keeps any other
# number as an unknown field and leaves `state` unset, so the decoder skips it too.
cdef enum:
    _STATE_MAX = 6


cdef int _read_varint(const unsigned char* buf, Py_ssize_t end, Py_ssize_t* pos, uint64_t* out) except -1:
    """A varint of at most 10 bytes; bits past the 64th are dropped, as upb does."""
    cdef Py_ssize_t p = pos[0]
    cdef uint64_t value = 0
    cdef unsigned int shift = 0
    cdef unsigned char byte
    while True:
        if p >= end:
            raise ValueError("truncated varint")
        byte = buf[p]
        p += 1
        value |= (<uint64_t>(byte & 0x7F)) << shift  # shift <= 63 here; unsigned overflow just drops bits
        if byte < 0x80:
            break
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")
    pos[0] = p
    out[0] = value
    return 0


cdef int _read_tag(const unsigned char* buf, Py_ssize_t end, Py_ssize_t* pos, uint64_t* tag) except -1:
    """A field tag: at most 5 bytes and 32 bits (upb rejects anything longer)."""
    cdef Py_ssize_t start = pos[0]
    _read_varint(buf, end, pos, tag)
    if pos[0] - start > 5 or tag[0] > 0xFFFFFFFFu:
        raise ValueError(f"malformed tag at byte {start}")
    return 0


cdef int _read_length(const unsigned char* buf, Py_ssize_t end, Py_ssize_t* pos, Py_ssize_t* length) except -1:
    """A length prefix: at most 5 bytes, and no longer than what is left of the buffer."""
    cdef Py_ssize_t start = pos[0]
    cdef uint64_t value
    _read_varint(buf, end, pos, &value)
    if pos[0] - start > 5 or value > <uint64_t>(end - pos[0]):
        raise ValueError(f"truncated length-delimited field at byte {start}")
    length[0] = <Py_ssize_t>value
    return 0


cdef int _skip_scalar(const unsigned char* buf, Py_ssize_t end, Py_ssize_t* pos, int wire_type) except -1:
    cdef uint64_t ignored
    cdef Py_ssize_t length
    if wire_type == 0:
        _read_varint(buf, end, pos, &ignored)
    elif wire_type == 2:
        _read_length(buf, end, pos, &length)
        pos[0] += length
    elif wire_type == 1 or wire_type == 5:
        length = 8 if wire_type == 1 else 4
        if length > end - pos[0]:
            raise ValueError("truncated fixed-width field")
        pos[0] += length
    else:
        raise ValueError(f"unexpected wire type {wire_type} at byte {pos[0]}")
    return 0


cdef int _skip_field(const unsigned char* buf, Py_ssize_t end, Py_ssize_t* pos, uint64_t tag) except -1:
    """Skips the value of an unknown field whose tag was just read; a group up to its matching end tag."""
    cdef list open_groups  # groups are rare: a Python list is fine for their nesting
    if tag & 7 != 3:
        return _skip_scalar(buf, end, pos, <int>(tag & 7))
    open_groups = [tag >> 3]
    while True:
        _read_tag(buf, end, pos, &tag)
        if tag & 7 == 4:
            if tag >> 3 != open_groups.pop():
                raise ValueError(f"mismatched end-group tag at byte {pos[0]}")
            if not open_groups:
                return 0
        elif tag & 7 == 3:
            open_groups.append(tag >> 3)
        else:
            _skip_scalar(buf, end, pos, <int>(tag & 7))


cdef inline object _signed64(uint64_t value):
    return <int64_t>value


cdef object _decode_value(const unsigned char* buf, Py_ssize_t pos, Py_ssize_t end):
    """One Value message: (PropertyType, value), or None when no member is set (see the twin)."""
    cdef uint64_t tag, number_value = 0
    cdef int kind = 0
    cdef int member
    cdef Py_ssize_t start = 0, stop = 0, length, i
    cdef double double_value
    cdef list chunks = None  # a struct / Any member's occurrences beyond the first (rare)
    while pos < end:
        _read_tag(buf, end, &pos, &tag)
        if tag == 0x08 or tag == 0x30:  # int_value / bool_value, varint
            kind = _INT if tag == 0x08 else _BOOLEAN
            _read_varint(buf, end, &pos, &number_value)
        elif tag == 0x11:  # double_value, fixed64
            if 8 > end - pos:
                raise ValueError("truncated double")
            kind = _DOUBLE
            start = pos
            pos += 8
        elif tag == 0x1A or tag == 0x22 or tag == 0x2A:  # string_value / struct_value / proto_value
            _read_length(buf, end, &pos, &length)
            member = <int>(tag >> 3)
            if member != _STRING and kind == member:
                if chunks is None:
                    chunks = []
                chunks.append(PyBytes_FromStringAndSize(<const char*>buf + pos, length))
            else:
                kind = member
                start = pos
                stop = pos + length
                chunks = None
            pos += length
        elif tag >> 3 == 0:
            raise ValueError(f"field number 0 at byte {pos}")
        else:
            _skip_field(buf, end, &pos, tag)
    if kind == 0:
        return None
    if kind == _INT:
        return (_INT, _signed64(number_value))
    if kind == _BOOLEAN:
        return (_BOOLEAN, number_value != 0)
    if kind == _DOUBLE:
        number_value = 0
        for i in range(7, -1, -1):  # little-endian on the wire, whatever the host's byte order
            number_value = (number_value << 8) | buf[start + i]
        memcpy(&double_value, &number_value, 8)
        return (_DOUBLE, double_value)
    if kind == _STRING:
        return (_STRING, PyUnicode_DecodeUTF8(<const char*>buf + start, stop - start, "strict"))
    head = PyBytes_FromStringAndSize(<const char*>buf + start, stop - start)
    if chunks is not None:
        head = head + b"".join(chunks)
    return (kind, head)


cdef int _decode_entry(const unsigned char* buf, Py_ssize_t pos, Py_ssize_t end, dict into) except -1:
    """One map<string, Value> entry into `into` (None for an empty Value); a repeated key replaces its entry.

    An entry holding any other field is not inserted (upb keeps it whole among the parent's unknown fields).
    Returns 1 when it stored None, so the caller knows whether to look for empty values at all.
    """
    cdef uint64_t tag
    cdef Py_ssize_t length, key_start = 0, key_stop = 0, value_start = 0, value_stop = 0
    cdef int values = 0
    cdef bint has_unknown = False
    cdef bytes joined
    cdef list more = None  # the value field repeated (rare): protobuf merges, i.e. parses the concatenation
    while pos < end:
        _read_tag(buf, end, &pos, &tag)
        if tag == 0x0A or tag == 0x12:
            _read_length(buf, end, &pos, &length)
            if tag == 0x0A:
                key_start = pos
                key_stop = pos + length
            elif values == 0:
                value_start = pos
                value_stop = pos + length
                values = 1
            else:
                if more is None:
                    more = [PyBytes_FromStringAndSize(<const char*>buf + value_start, value_stop - value_start)]
                more.append(PyBytes_FromStringAndSize(<const char*>buf + pos, length))
            pos += length
        elif tag >> 3 == 0:
            raise ValueError(f"field number 0 at byte {pos}")
        else:
            _skip_field(buf, end, &pos, tag)
            has_unknown = True
    if has_unknown:
        return 0
    if values == 0:
        value = None
    elif more is None:
        value = _decode_value(buf, value_start, value_stop)
    else:
        joined = b"".join(more)
        value = _decode_value(<const unsigned char*>(<const char*>joined), 0, len(joined))
    into[PyUnicode_DecodeUTF8(<const char*>buf + key_start, key_stop - key_start, "strict")] = value
    return value is None


cdef inline object _span_str(const unsigned char* buf, Py_ssize_t start, Py_ssize_t stop):
    if start < 0:
        return None
    return PyUnicode_DecodeUTF8(<const char*>buf + start, stop - start, "strict")


def decode_node(tuple fields, bytes data not None):
    """Decodes a serialized Artifact / Execution / Context into the values of a `NodeRecord` (see the twin)."""
    cdef int f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, f_create, f_update, f_ext
    f_id, f_type_id, f_uri, f_props, f_custom, f_state, f_name, f_type, f_create, f_update, f_ext = fields
    cdef const unsigned char* buf = <const unsigned char*>(<const char*>data)
    cdef Py_ssize_t pos = 0, end = len(data), length, stop
    cdef uint64_t tag, value
    cdef int64_t number
    cdef int wire_type
    cdef int32_t state_value = 0
    cdef uint64_t id_value = 0, type_id_value = 0
    cdef bint has_id = False, has_type_id = False, has_state = False, stored_empty = False
    # (start, stop) of each string field's last occurrence; start -1 = absent.
    cdef Py_ssize_t uri_start = -1, uri_stop = 0, name_start = -1, name_stop = 0
    cdef Py_ssize_t type_start = -1, type_stop = 0, ext_start = -1, ext_stop = 0
    cdef dict props = {}, custom = {}
    cdef tuple empty = ()
    while pos < end:
        _read_tag(buf, end, &pos, &tag)
        number = <int64_t>(tag >> 3)
        wire_type = <int>(tag & 7)
        if number == 0:
            raise ValueError(f"field number 0 at byte {pos}")
        if wire_type == 0 and (number == f_id or number == f_type_id or number == f_state):
            _read_varint(buf, end, &pos, &value)
            if number == f_id:
                id_value = value
                has_id = True
            elif number == f_type_id:
                type_id_value = value
                has_type_id = True
            elif <int32_t>(<uint32_t>value) >= 0 and <int32_t>(<uint32_t>value) <= _STATE_MAX:
                state_value = <int32_t>(<uint32_t>value)  # an enum is an int32: the varint's low 32 bits
                has_state = True
        elif wire_type == 2:
            _read_length(buf, end, &pos, &length)
            stop = pos + length
            if number == f_props:
                stored_empty |= _decode_entry(buf, pos, stop, props)
            elif number == f_custom:
                stored_empty |= _decode_entry(buf, pos, stop, custom)
            elif number == f_uri:
                uri_start, uri_stop = pos, stop
            elif number == f_name:
                name_start, name_stop = pos, stop
            elif number == f_type:
                type_start, type_stop = pos, stop
            elif number == f_ext:
                ext_start, ext_stop = pos, stop
            pos = stop
        else:
            _skip_field(buf, end, &pos, tag)
    uri = _span_str(buf, uri_start, uri_stop)
    name = _span_str(buf, name_start, name_stop)
    ext = _span_str(buf, ext_start, ext_stop)
    type_name = _span_str(buf, type_start, type_stop)
    if stored_empty and (None in props.values() or None in custom.values()):  # a later entry may replace it
        empty = tuple([key for key, v in props.items() if v is None] +
                      [key for key, v in custom.items() if v is None])
        props = {key: v for key, v in props.items() if v is not None}
        custom = {key: v for key, v in custom.items() if v is not None}
    return (_signed64(id_value) if has_id else None, _signed64(type_id_value) if has_type_id else None, uri,
            state_value if has_state else None, name, ext, type_name, props, custom, empty)


# Framing stored events ------------------------------------------------------------------------------------
# See the twin. Each event is a span of the joined bytes with its sort key as C integers. The comparison is
# made total by the event's position, so whichever sort runs, the order is the twin's (a stable sort).

def decode_event(bytes data not None):
    """Decodes a serialized Event into the values of an `EventRecord` (see the pure-Python twin)."""
    cdef const unsigned char* buf = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t end = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t pos = 0, length
    cdef uint64_t tag, value
    cdef int32_t event_type
    artifact_id = execution_id = type_value = milliseconds = path = None
    while pos < end:
        _read_tag(buf, end, &pos, &tag)
        if tag >> 3 == 0:
            raise ValueError(f"field number 0 at byte {pos}")
        if tag == 0x08 or tag == 0x10 or tag == 0x20 or tag == 0x28:  # artifact_id, execution_id, type, milliseconds
            _read_varint(buf, end, &pos, &value)
            if tag == 0x08:
                artifact_id = _signed64(value)
            elif tag == 0x10:
                execution_id = _signed64(value)
            elif tag == 0x28:
                milliseconds = _signed64(value)
            else:
                event_type = <int32_t>(value & 0xFFFFFFFFu)  # an enum is an int32: the varint's low 32 bits
                if 0 <= event_type <= 7:  # Event.Type; protobuf keeps any other among the unknown fields
                    type_value = event_type
        elif tag == 0x1A:  # path: a repeated occurrence merges, as protobuf merges it
            _read_length(buf, end, &pos, &length)
            chunk = PyBytes_FromStringAndSize(<const char*>buf + pos, length)
            path = chunk if path is None else path + chunk
            pos += length
        else:
            _skip_field(buf, end, &pos, tag)
    return artifact_id, execution_id, path or None, type_value, milliseconds


cdef struct _Event:
    int64_t key[3]
    Py_ssize_t position
    Py_ssize_t start
    Py_ssize_t stop


cdef int _compare_events(const void* a, const void* b) noexcept nogil:
    cdef const _Event* x = <const _Event*>a
    cdef const _Event* y = <const _Event*>b
    cdef int i
    for i in range(3):
        if x.key[i] != y.key[i]:
            return -1 if x.key[i] < y.key[i] else 1
    return -1 if x.position < y.position else (1 if x.position > y.position else 0)


cdef void _insertion_sort(_Event* events, Py_ssize_t count) noexcept:
    cdef Py_ssize_t i, j
    cdef _Event moving
    for i in range(1, count):
        if _compare_events(&events[i - 1], &events[i]) > 0:
            moving = events[i]
            j = i
            while j > 0 and _compare_events(&events[j - 1], &moving) > 0:
                events[j] = events[j - 1]
                j -= 1
            events[j] = moving


cdef void _sort_events(_Event* events, Py_ssize_t count) noexcept:
    """Sorts by key. Events arrive grouped by the first part of their key, the groups in order (the query's
    outer loop), and a group is small: each is sorted by insertion. Anything else goes to qsort."""
    cdef Py_ssize_t start = 0, i
    for i in range(1, count + 1):
        if i < count and events[i].key[0] == events[start].key[0]:
            continue
        if i < count and events[i].key[0] < events[start].key[0]:
            qsort(events, count, sizeof(_Event), _compare_events)
            return
        if i - start > 64:
            qsort(events + start, i - start, sizeof(_Event), _compare_events)
        else:
            _insertion_sort(events + start, i - start)
        start = i


cdef inline int _event_key_slot(uint64_t number) noexcept:
    """Where Event.artifact_id, execution_id and type go in the sort key; -1 for the other fields."""
    if number == 1:
        return 0
    if number == 2:
        return 1
    if number == 4:
        return 2
    return -1


cdef Py_ssize_t _find_events(const unsigned char* buf, Py_ssize_t end, _Event* events,
                             Py_ssize_t count) except -1:
    """Fills `events` with the first `count` events of the joined bytes; returns how many there are."""
    cdef Py_ssize_t pos = 0, field_start, found = 0
    cdef uint64_t tag, value
    cdef unsigned int shift
    cdef unsigned char byte
    cdef int slot
    while pos < end:
        field_start = pos
        if buf[pos] < 0x80:  # the common one-byte tag
            tag = buf[pos]
            pos += 1
        else:
            _read_tag(buf, end, &pos, &tag)
        if tag >> 3 == 1:
            if 0 < found <= count:
                events[found - 1].stop = field_start
            if found < count:
                events[found].key[0] = events[found].key[1] = events[found].key[2] = 0
                events[found].position = found
                events[found].start = field_start
                events[found].stop = end
            found += 1
        elif found == 0:
            raise ValueError("the joined events do not begin with field 1")
        if tag & 7 == 0:
            if end - pos >= 10:  # a varint that cannot run past the end, read inline
                value = 0
                shift = 0
                while True:
                    byte = buf[pos]
                    pos += 1
                    value |= (<uint64_t>(byte & 0x7F)) << shift  # shift <= 63 here
                    if byte < 0x80:
                        break
                    shift += 7
                    if shift > 63:
                        raise ValueError("varint longer than 10 bytes")
            else:
                _read_varint(buf, end, &pos, &value)
            slot = _event_key_slot(tag >> 3)
            if slot >= 0 and found <= count:
                events[found - 1].key[slot] = <int64_t>value
        elif tag & 7 == 2 and pos < end and buf[pos] < 0x80:  # a length-delimited field under 128 bytes
            if buf[pos] > end - pos - 1:
                raise ValueError(f"truncated length-delimited field at byte {pos}")
            pos += 1 + buf[pos]
        else:
            _skip_field(buf, end, &pos, tag)
    return found


cdef int _order_by_ids(str ids, _Event* events, Py_ssize_t count) except -1:
    """Makes each event's key (execution_id, id), its id read from the comma-separated `ids`."""
    cdef Py_ssize_t size, pos = 0, found = 0, digits
    cdef const char* text = PyUnicode_AsUTF8AndSize(ids, &size)
    cdef uint64_t value
    cdef int digit
    if size == 0:
        found = 0
    else:
        while True:
            value = 0
            digits = 0
            while pos < size and text[pos] != b',':
                digit = text[pos] - 48  # '0'
                if digit < 0 or digit > 9 or value > (<uint64_t>0x7FFFFFFFFFFFFFFF - digit) // 10:
                    raise ValueError(f"not an event id in {ids!r}")
                value = value * 10 + digit
                digits += 1
                pos += 1
            if digits == 0:
                raise ValueError(f"not an event id in {ids!r}")
            if found < count:
                events[found].key[0] = events[found].key[1]
                events[found].key[1] = <int64_t>value
                events[found].key[2] = 0
            found += 1
            if pos == size:
                break
            pos += 1  # past the comma: another id follows
    if found != count:
        raise ValueError(f"expected {count} event ids, found {found}")
    return 0


def frame_events(bytes joined not None, Py_ssize_t count, str ids=None):
    """Frames `count` stored events, joined back to back, as the repeated field 1 of a container, in MLMD's
    order (see the twin)."""
    cdef const unsigned char* buf = <const unsigned char*>PyBytes_AS_STRING(joined)
    cdef Py_ssize_t end = PyBytes_GET_SIZE(joined)
    cdef Py_ssize_t found, total = 0, size, i
    cdef _Event* events
    cdef Out out
    if count < 0:
        raise ValueError(f"expected {count} joined events")
    events = <_Event*>PyMem_Malloc((count if count > 0 else 1) * sizeof(_Event))
    if events == NULL:
        raise MemoryError()
    try:
        found = _find_events(buf, end, events, count)
        if found != count:
            raise ValueError(f"expected {count} joined events, found {found}")
        if ids is not None:
            _order_by_ids(ids, events, count)
        _sort_events(events, count)
        for i in range(count):
            size = events[i].stop - events[i].start
            total += 1 + _varint_size(<uint64_t>size) + size
        _start(&out)
        out.n = total
        result = _allocate(&out)
        for i in range(count):
            _out_len_field(&out, 1, <const char*>buf + events[i].start, events[i].stop - events[i].start)
        _check_filled(&out)
        return result
    finally:
        PyMem_Free(events)
