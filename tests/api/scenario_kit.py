"""Helpers shared by the API scenario tables; they run unchanged on our package and on upstream.

Everything here imports only `ml_metadata` and `google.protobuf`, so the same scenario modules can be
executed by our interpreter (tests/api/test_<area>.py) and by the real ml-metadata 1.17.1
(tests/api/test_against_oracle.py, through oracle_runner.py).

`ml_metadata` itself is imported lazily (on first attribute access of `pb`, `mlmd`, `errors`), so a
scenario module can always be imported -- for collection, or to read its expectations -- even while
the implementation under test cannot be imported yet. Each case then fails on its own.
"""
from __future__ import annotations

import base64
import dataclasses
import functools
import importlib
import time
from typing import Any, Callable, Dict, TypeVar

# Output-only timestamps: their absolute values differ between runs, so `show` drops them.
TIME_FIELDS = frozenset(
    {"create_time_since_epoch", "last_update_time_since_epoch", "milliseconds_since_epoch"}
)


class _LazyModule:
    """Imports a module on first attribute access."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


mlmd = _LazyModule("ml_metadata")
pb = _LazyModule("ml_metadata.proto.metadata_store_pb2")
errors = _LazyModule("ml_metadata.errors")


# What a scenario returns: None, bool, int, float, str, and lists / str-keyed dicts of those.
Json = Any


@dataclasses.dataclass(frozen=True)
class Case:
    """One row of a scenario table.

    `scenario()` builds its own store, makes the calls and returns a JSON-able value that must equal
    `expected`. `oracle=False` marks an intentional difference from ml-metadata 1.17.1 (`why` says
    which); the differential run skips such rows.
    """

    id: str
    scenario: Callable[[], Json]
    expected: Json
    oracle: bool = True
    why: str = ""
    # Where we knowingly differ from a confirmed MLMD row (a feature still to come, say), what we give
    # instead and why; the oracle run still checks `expected`.
    ours: Json = None
    ours_why: str = ""

    @property
    def expected_for_us(self) -> Json:
        """What our implementation must return: `ours` when set (with `ours_why`), else `expected`."""
        return self.ours if self.ours_why else self.expected


# -- stores -------------------------------------------------------------------------------------


T = TypeVar("T")


def fake_config() -> Any:
    """A `ConnectionConfig` for a private in-memory store."""
    return pb.ConnectionConfig(fake_database=pb.FakeDatabaseConfig())


def new_store() -> Any:
    """A fresh, empty in-memory `MetadataStore`."""
    return mlmd.MetadataStore(fake_config())


# The config of a store a cached builder keeps for the whole session: tests/conftest.py's `each_backend` gives it
# a database of its own on a server, which no later scenario empties.
kept_config = fake_config


def once_per_backend(build: Callable[[], T]) -> Callable[[], T]:
    """`build()` once per interpreter and kind of store (a builder of a store the table rows only read), its
    `new_store` calls given a kept store."""
    built: Dict[Any, T] = {}

    @functools.wraps(build)
    def cached() -> T:
        global fake_config
        key = kept_config
        if key not in built:
            fresh, fake_config = fake_config, kept_config
            try:
                built[key] = build()
            finally:
                fake_config = fresh
        return built[key]

    cached.cache_clear = built.clear  # type: ignore[attr-defined]  # as functools.lru_cache's
    return cached


# -- calling ------------------------------------------------------------------------------------

# Every error `catch` and `catch_msg` caught while the current case ran: [class name, message] each.
# The message audit (test_error_messages.py) compares them, row by row, with MLMD's.
_CAUGHT: list = []


def run_recording(scenario: Callable[[], Json]) -> tuple:
    """Runs one scenario; returns its result and the `[class name, message]` of each error it caught."""
    del _CAUGHT[:]
    result = scenario()
    return result, [list(pair) for pair in _CAUGHT]


def _caught(exc: Exception) -> str:
    """Records a caught error for the message audit; returns its message."""
    message = str(getattr(exc, "message", exc))
    _CAUGHT.append((type(exc).__name__, message))
    return message


def catch(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`show(fn(*args, **kwargs))`, or `["error", "<ExceptionClassName>"]` if it raised.

    The message is not part of the result; the message audit still compares it with MLMD's.
    """
    try:
        return show(fn(*args, **kwargs))
    except Exception as exc:  # every exception kind is part of the observable behaviour
        _caught(exc)
        return ["error", type(exc).__name__]


def catch_msg(prefix: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Like `catch`, but an error also reports its message.

    The message is cut down to `prefix` when it starts with it, so a table can pin the stable start
    of a message (`["error", "NotFoundError", "No type found"]`) while a mismatch shows the whole text.
    """
    try:
        return show(fn(*args, **kwargs))
    except Exception as exc:
        message = _caught(exc)
        return ["error", type(exc).__name__, prefix if message.startswith(prefix) else message]


# -- normalising results ------------------------------------------------------------------------


def show(value: Any, keep_times: bool = False) -> Any:
    """A JSON-able, protobuf-version-independent view of a result.

    Messages become dicts of their *set* fields (enums by name, maps as dicts, bytes as base64);
    lists and tuples become lists. The output-only timestamps in TIME_FIELDS are dropped unless
    `keep_times`.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (list, tuple)):
        return [show(v, keep_times) for v in value]
    if isinstance(value, dict):
        return {str(k): show(v, keep_times) for k, v in value.items()}
    if hasattr(value, "ListFields"):
        return _show_message(value, keep_times)
    if hasattr(value, "keys") and hasattr(value, "__getitem__"):  # protobuf map containers
        return {str(k): show(value[k], keep_times) for k in sorted(value.keys())}
    if hasattr(value, "__iter__"):  # repeated containers
        return [show(v, keep_times) for v in value]
    raise TypeError(f"cannot show {type(value).__name__}: {value!r}")


def _show_message(msg: Any, keep_times: bool) -> dict:
    out = {}
    for fd, val in msg.ListFields():
        if fd.name in TIME_FIELDS and not keep_times:
            continue
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            out[fd.name] = {
                str(k): _show_scalar(value_fd, val[k], keep_times) for k in sorted(val)
            }
        elif _is_repeated(fd):
            out[fd.name] = [_show_scalar(fd, v, keep_times) for v in val]
        else:
            out[fd.name] = _show_scalar(fd, val, keep_times)
    return out


def _is_repeated(fd: Any) -> bool:
    if hasattr(fd, "is_repeated"):  # protobuf >= 6
        return bool(fd.is_repeated)
    return fd.label == fd.LABEL_REPEATED


def _show_scalar(fd: Any, val: Any, keep_times: bool) -> Any:
    if fd.enum_type is not None:
        named = fd.enum_type.values_by_number.get(val)
        return named.name if named is not None else val
    return show(val, keep_times)


def ids(nodes: Any) -> list:
    """The `id` of each node, in order."""
    return [n.id for n in nodes]


def names(nodes: Any) -> list:
    """The `name` of each node or type, in order."""
    return [n.name for n in nodes]


def compare(earlier: int, later: int) -> str:
    """'equal', 'greater' or 'less': how `later` relates to `earlier` (for timestamps)."""
    if later == earlier:
        return "equal"
    return "greater" if later > earlier else "less"


def tick() -> None:
    """Waits long enough for the millisecond clock to move on."""
    time.sleep(0.005)


# -- builders -----------------------------------------------------------------------------------


def _typed(cls_name: str, name: str | None, props: dict, fields: dict) -> Any:
    msg = getattr(pb, cls_name)(**fields)
    if name is not None:
        msg.name = name
    for key, kind in props.items():
        msg.properties[key] = pb.PropertyType.Value(kind)
    return msg


def artifact_type(name: str | None = None, *, props: dict | None = None, **fields: Any) -> Any:
    """`ArtifactType(name=..., properties={k: PropertyType[v]})`, e.g. `props={"acc": "DOUBLE"}`."""
    return _typed("ArtifactType", name, props or {}, fields)


def execution_type(name: str | None = None, *, props: dict | None = None, **fields: Any) -> Any:
    """`ExecutionType`, built like `artifact_type`."""
    return _typed("ExecutionType", name, props or {}, fields)


def context_type(name: str | None = None, *, props: dict | None = None, **fields: Any) -> Any:
    """`ContextType`, built like `artifact_type`."""
    return _typed("ContextType", name, props or {}, fields)


def value(v: Any) -> Any:
    """A `pb.Value` from a Python value (bool, int, float, str, dict -> struct); a `Value` passes."""
    if hasattr(v, "ListFields"):
        return v
    if isinstance(v, bool):
        return pb.Value(bool_value=v)
    if isinstance(v, int):
        return pb.Value(int_value=v)
    if isinstance(v, float):
        return pb.Value(double_value=v)
    if isinstance(v, str):
        return pb.Value(string_value=v)
    if isinstance(v, dict):
        out = pb.Value()
        out.struct_value.update(v)
        return out
    raise TypeError(f"no Value for {v!r}")


def _node(cls_name: str, type_id: int | None, properties: dict | None,
          custom_properties: dict | None, fields: dict) -> Any:
    msg = getattr(pb, cls_name)(**fields)
    if type_id is not None:
        msg.type_id = type_id
    for key, v in (properties or {}).items():
        msg.properties[key].CopyFrom(value(v))
    for key, v in (custom_properties or {}).items():
        msg.custom_properties[key].CopyFrom(value(v))
    return msg


def artifact(type_id: int | None = None, *, properties: dict | None = None,
             custom_properties: dict | None = None, **fields: Any) -> Any:
    """`Artifact(type_id=..., **fields)` with plain-Python property values."""
    return _node("Artifact", type_id, properties, custom_properties, fields)


def execution(type_id: int | None = None, *, properties: dict | None = None,
              custom_properties: dict | None = None, **fields: Any) -> Any:
    """`Execution`, built like `artifact`."""
    return _node("Execution", type_id, properties, custom_properties, fields)


def context(type_id: int | None = None, *, properties: dict | None = None,
            custom_properties: dict | None = None, **fields: Any) -> Any:
    """`Context`, built like `artifact`."""
    return _node("Context", type_id, properties, custom_properties, fields)


def event(artifact_id: int | None = None, execution_id: int | None = None,
          type: str | None = "INPUT", *, path: list | None = None, **fields: Any) -> Any:
    """`Event`; `type` is an `Event.Type` name; `path` is a list of int indexes / str keys."""
    msg = pb.Event(**fields)
    if artifact_id is not None:
        msg.artifact_id = artifact_id
    if execution_id is not None:
        msg.execution_id = execution_id
    if type is not None:
        msg.type = pb.Event.Type.Value(type)
    for step in path or []:
        if isinstance(step, int):
            msg.path.steps.add(index=step)
        else:
            msg.path.steps.add(key=step)
    return msg


# -- small seeded stores ------------------------------------------------------------------------


def store_with_types() -> tuple:
    """A store with artifact type 'A' (10), execution type 'E' (11) and context type 'C' (12).

    Each type declares `p: INT` and `s: STRING`.
    """
    store = new_store()
    props = {"p": "INT", "s": "STRING"}
    a = store.put_artifact_type(artifact_type("A", props=props))
    e = store.put_execution_type(execution_type("E", props=props))
    c = store.put_context_type(context_type("C", props=props))
    return store, a, e, c
