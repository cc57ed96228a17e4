"""Checks of the Python arguments of public methods: what MLMD accepts, and the TypeError / ValueError it gives.

MLMD's wrapper copies every argument into a request message, so protobuf decides what is refused; these
helpers apply the same rules, once, where arguments enter, and name the argument in the message:

* an integer field takes anything with `__index__` (int, bool, numpy integers), never a float or a str;
  out of its range is ValueError;
* a string field takes str (encodable as UTF-8: a lone surrogate is ValueError) or UTF-8 bytes;
* a message field takes a message of exactly its class;
* a list argument is iterated (a dict gives its keys, a str its characters, as in MLMD); where MLMD builds
  the request with keyword arguments, None counts as empty (`none_ok`) and a dict as a message's fields.

Nothing past these checks can make the database driver fail on a value's type or size.
"""
from __future__ import annotations

import operator
from typing import Any, Iterable, List, Optional, Type, TypeVar

from google.protobuf.message import Message

M = TypeVar("M", bound=Message)

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
_INTS = {int}
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def _index(value: Any, what: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an integer, not {type(value).__name__}") from None


def int64(value: Any, what: str) -> int:
    """An id or other int64 field; TypeError for a non-integer, ValueError outside int64."""
    number = value if type(value) is int else _index(value, what)
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"{what} is out of the int64 range: {number}")
    return number


def int32(value: Any, what: str) -> int:
    """An int32 field (an index into a request's list)."""
    number = _index(value, what)
    if not INT32_MIN <= number <= INT32_MAX:
        raise ValueError(f"{what} is out of the int32 range: {number}")
    return number


def iterate(values: Any, what: str, none_ok: bool = False) -> Iterable[Any]:
    """An iterator over a list argument; TypeError naming the argument when it is not iterable."""
    if values is None and none_ok:
        return ()
    try:
        return iter(values)
    except TypeError:
        raise TypeError(f"{what} must be a list, not {type(values).__name__}") from None


def int64s(values: Any, what: str, none_ok: bool = False) -> List[int]:
    """A list of ids: each an int64 (see `int64`)."""
    items = values if type(values) is list else list(iterate(values, what, none_ok))
    # The common case, plain ints in range, checked in C (a Python loop over the ids cost more than the read).
    if set(map(type, items)) == _INTS and INT64_MIN <= min(items) and max(items) <= INT64_MAX:
        return items
    return [int64(v, f"{what}[{i}]") for i, v in enumerate(items)]


def text(value: Any, what: str) -> str:
    """A string field: str encodable as UTF-8, or UTF-8 bytes (decoded)."""
    if isinstance(value, str):
        if not value.isascii():
            value.encode("utf-8")  # UnicodeEncodeError (a ValueError) names a lone surrogate and its position
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8")  # UnicodeDecodeError (a ValueError) for bytes that are not UTF-8
    raise TypeError(f"{what} must be a str, not {type(value).__name__}")


def optional_text(value: Any, what: str) -> Optional[str]:
    """An optional string (a type version): MLMD sets it only when truthy, so a falsy value means none."""
    return text(value, what) if value else None


def texts(values: Any, what: str, none_ok: bool = False, allow_bytes: bool = True) -> List[str]:
    """A list of strings (external ids, field mask paths)."""
    items = values if type(values) is list else list(iterate(values, what, none_ok))
    for v in items:  # the common case: plain ASCII strs
        if type(v) is not str or not v.isascii():
            break
    else:
        return items
    out = []
    for i, v in enumerate(items):
        if not allow_bytes and not isinstance(v, str):
            raise TypeError(f"{what}[{i}] must be a str, not {type(v).__name__}")
        out.append(text(v, f"{what}[{i}]"))
    return out


def flag(value: Any, what: str, none_ok: bool = True) -> bool:
    """A bool field: anything with `__index__` (None is False where MLMD passes it as a keyword argument)."""
    if value is None and none_ok:
        return False
    if type(value) is bool:
        return value
    return bool(int64(value, what))


def message(value: Any, cls: Type[M], what: str, none_ok: bool = False) -> M:
    """A message of exactly `cls`; with `none_ok` (keyword-built in MLMD) None is an empty one and a dict its fields."""
    if isinstance(value, cls):
        return value
    if none_ok and value is None:
        return cls()
    if none_ok and isinstance(value, dict):
        return cls(**value)
    raise TypeError(f"{what} must be a {cls.DESCRIPTOR.full_name} message, not {type(value).__name__}")


def messages(values: Any, cls: Type[M], what: str, none_ok: bool = False) -> List[M]:
    """A list of messages of exactly `cls`."""
    items = list(iterate(values, what, none_ok))
    if len(set(map(type, items))) <= 1 and (not items or type(items[0]) is cls):
        return items  # the common case, every item exactly `cls`: checked in C, no Python loop over a batch
    for i, v in enumerate(items):
        if not isinstance(v, cls):
            raise TypeError(f"{what}[{i}] must be a {cls.DESCRIPTOR.full_name} message, not {type(v).__name__}")
    return items


def integer(value: Any, what: str) -> int:
    """Any integer, unbounded (a listing's limit): TypeError for anything else."""
    return _index(value, what)
