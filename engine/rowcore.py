"""Selects the compiled row kernel, or its pure-Python twin when FASTMLMD_PURE_PYTHON=1 or not compiled.

FASTMLMD_REQUIRE_COMPILED=1 (CI sets it) turns a missing compiled kernel into an ImportError instead of a
quiet fall-back, so a broken build cannot pass as the pure-Python path.
"""
from __future__ import annotations

import contextlib
import importlib
import os
from types import ModuleType
from typing import TYPE_CHECKING


def _pick() -> ModuleType:
    if os.environ.get("FASTMLMD_PURE_PYTHON") != "1":
        if os.environ.get("FASTMLMD_REQUIRE_COMPILED") == "1":
            return importlib.import_module("._rowcore", __package__)
        with contextlib.suppress(ImportError):
            return importlib.import_module("._rowcore", __package__)
    return importlib.import_module("._rowcore_py", __package__)


_impl = _pick()
IMPLEMENTATION = "cython" if _impl.__name__.endswith("._rowcore") else "python"

if TYPE_CHECKING:
    from ._rowcore_py import (
        decode_event, decode_node, encode_event, encode_events, encode_node, encode_nodes, encode_properties,
        encode_value, frame, frame_events, property_rows,
    )
else:
    decode_event = _impl.decode_event
    decode_node = _impl.decode_node
    encode_event = _impl.encode_event
    encode_node = _impl.encode_node
    encode_nodes = _impl.encode_nodes
    encode_events = _impl.encode_events
    encode_properties = _impl.encode_properties
    encode_value = _impl.encode_value
    property_rows = _impl.property_rows
    frame = _impl.frame
    frame_events = _impl.frame_events
