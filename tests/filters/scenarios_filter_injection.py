"""Injection corpus: hostile text through every place a query carries user text (docs/mlmd-interface.md §3, STYLE 3).

Each payload is stored as a node's name, uri and string property, as a custom property *name*, and
as the name of a context and an execution (injection_store()). Each row queries one channel for
one payload and must find exactly the node holding it, with the store unchanged afterwards (a full
dump before and after, filter_store.dump). Payloads are written into queries as escaped string
literals (`literal`) or as escaped back-quoted names (`custom_properties.<quote_name(payload)>.int_value`).

MLMD lower-cases (ASCII) the property name of a query, so the property-name channel stores and
names the payload in lower case; that way the rows hold whichever case rule we settle on.
"""
from __future__ import annotations

import functools
from typing import Any

from filter_kit import ARTIFACT as A, CONTEXT as C, EXECUTION as E, INTERNAL, INVALID, \
    MLMD_INVALID, FilterCase, find, quirk_cases, quote_name
from scenario_kit import (
    artifact,
    artifact_type,
    context,
    context_type,
    event,
    execution,
    execution_type,
    new_store,
    pb,
)

import filter_store

BIG = "x" * 100_000 + "!"

PAYLOADS = {
    # key: payload. Node ids follow this order (1-based); the last nodes are controls.
    "single-quote": "it's",
    "double-quote": 'say "hi"',
    "backslash": "back\\slash",
    "trailing-backslash": "trailing\\",
    "percent": "100%",
    "underscore": "a_b",
    "unicode": "ключ ü 名前 \U0001F642",
    "nul": "nul\x00byte",
    "drop-table": "'; DROP TABLE Artifact; --",
    "or-1-eq-1-double": 'a" OR 1=1 OR "',
    "or-1-eq-1-single": "x' OR '1'='1",
    "enum-rewrite-bait": "state = LIVE",
    "property-rewrite-bait": "properties.p.int_value",
    "backquote": "`tick`",
    "newline": "new\nline",
    "tab": "tab\there",
    "long-100k": BIG,
}
KEYS = list(PAYLOADS)
CONTROL = len(PAYLOADS) + 1  # the id of the control artifact / execution / context

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def prop_name(payload: str) -> str:
    """The payload as a custom property name: ASCII lower case (see the module docstring)."""
    return payload.translate(_ASCII_LOWER)


def literal(text: str, quote: str = "'") -> str:
    """`text` as a ZetaSQL string literal in `quote`s, with backslash escapes."""
    escaped = (text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n")
               .replace("\t", "\\t").replace("\r", "\\r").replace("\x00", "\\x00"))
    return quote + escaped + quote


@functools.lru_cache(maxsize=None)
def injection_store() -> Any:
    """Nodes 1..len(PAYLOADS) hold the payloads in order; node CONTROL of each kind holds 'control'.

    Artifact k: name, uri and `properties.p` = payload k, custom property prop_name(payload k) = k.
    Execution k: name and `properties.p` = payload k. Context k: name = payload k; it holds
    artifact k and execution k, and artifact k is an INPUT of execution k.
    """
    store = new_store()
    a_type = store.put_artifact_type(artifact_type("T", props={"p": "STRING"}))
    e_type = store.put_execution_type(execution_type("T", props={"p": "STRING"}))
    c_type = store.put_context_type(context_type("T", props={"p": "STRING"}))
    texts = list(PAYLOADS.values()) + ["control"]
    for k, text in enumerate(texts, start=1):
        store.put_artifacts([artifact(a_type, name=text, uri=text, properties={"p": text},
                                      custom_properties={prop_name(text): k})])
        store.put_executions([execution(e_type, name=text, properties={"p": text})])
        store.put_contexts([context(c_type, name=text, properties={"p": text})])
    store.put_attributions_and_associations(
        [pb.Attribution(context_id=k, artifact_id=k) for k in range(1, CONTROL + 1)],
        [pb.Association(context_id=k, execution_id=k) for k in range(1, CONTROL + 1)])
    store.put_events([event(k, k, "INPUT") for k in range(1, CONTROL + 1)])
    return store


def _probe(kind: str, query: str) -> Any:
    store = injection_store()
    before = filter_store.dump(store)
    found = find(store, kind, query)
    if filter_store.dump(store) != before:
        return {"found": found, "store": "changed"}
    return found


# channel: (node kind, query template for one payload)
CHANNELS = {
    "name": (A, lambda p, k: f"name = {literal(p)}"),
    "name-double-quoted": (A, lambda p, k: f"name = {literal(p, chr(34))}"),
    "uri": (A, lambda p, k: f"uri = {literal(p)}"),
    "string-property": (A, lambda p, k: f"properties.p.string_value = {literal(p)}"),
    "in-list": (A, lambda p, k: f"name IN ('control', {literal(p)}) AND id != {CONTROL}"),
    "property-name": (A, lambda p, k: f"custom_properties.{quote_name(prop_name(p))}.int_value = {k}"),
    "property-name-set": (A, lambda p, k: f"custom_properties.{quote_name(prop_name(p))}.int_value "
                                          "IS NOT NULL"),
    "execution-name": (E, lambda p, k: f"name = {literal(p)}"),
    "context-name": (C, lambda p, k: f"name = {literal(p)}"),
    "context-property": (C, lambda p, k: f"properties.p.string_value = {literal(p)}"),
    "neighbour-context-name": (A, lambda p, k: f"contexts_a.name = {literal(p)}"),
    "neighbour-artifact-uri": (C, lambda p, k: f"artifacts_a.uri = {literal(p)}"),
    "neighbour-execution-name": (C, lambda p, k: f"executions_a.name = {literal(p)}"),
}

_STRING_WHY = ("MLMD writes the decoded literal back into its SQL text with the escape still in "
               "it, so SQLite compares another string; we bind the value")
_NUL_WHY = "MLMD stores strings only up to a NUL; we keep the whole string"
_NAME_WHY = ("MLMD splices the property name into its SQL inside double quotes; we bind the name")
_ESCAPED_NAME_WHY = ("a back-quoted name takes the escapes of a string literal (GoogleSQL), so a "
                     "name holding a backslash, a backquote or a line break is written with escapes; "
                     "MLMD's property rewrite fails on any escape; we decode it and bind the name")

# (payload key, channel) -> (what MLMD answers, why): rows where MLMD misbehaves.
_STRING_CHANNELS = ["name", "name-double-quoted", "uri", "string-property", "in-list",
                    "execution-name", "context-name", "context-property",
                    "neighbour-context-name", "neighbour-artifact-uri", "neighbour-execution-name"]
MLMD_DIFFERS: dict = {}
for _channel in _STRING_CHANNELS:
    for _key in ("backslash", "trailing-backslash", "newline", "tab"):
        MLMD_DIFFERS[_key, _channel] = ([], _STRING_WHY)
    MLMD_DIFFERS["nul", _channel] = ([], _NUL_WHY)
for _channel in ("property-name", "property-name-set"):
    MLMD_DIFFERS["double-quote", _channel] = (INTERNAL, _NAME_WHY)
    MLMD_DIFFERS["nul", _channel] = (INTERNAL, _NUL_WHY)
    for _key in ("backslash", "trailing-backslash", "backquote", "newline"):
        MLMD_DIFFERS[_key, _channel] = (MLMD_INVALID, _ESCAPED_NAME_WHY)
# The NUL payload's property name is cut at the NUL by MLMD, so that artifact alone escapes.
MLMD_DIFFERS["or-1-eq-1-double", "property-name-set"] = (
    [k for k in range(1, CONTROL + 1) if k != KEYS.index("nul") + 1], _NAME_WHY)
_ENUM_BAIT_WHY = ("MLMD's enum rewrite also edits 'state = LIVE' inside string literals and "
                  "back-quoted names; we rewrite nothing")
_PROPERTY_BAIT_WHY = ("MLMD's property rewrite also edits 'properties.p.int_value' inside string "
                      "literals and back-quoted names; we rewrite nothing")
for _channel in CHANNELS:
    MLMD_DIFFERS["property-rewrite-bait", _channel] = ([], _PROPERTY_BAIT_WHY)
    if _channel == "execution-name":  # executions have no `state`, so nothing is rewritten
        continue
    MLMD_DIFFERS["enum-rewrite-bait", _channel] = (
        MLMD_INVALID if _channel.startswith("property-name") else [], _ENUM_BAIT_WHY)


def _row(key: str, channel: str) -> FilterCase:
    kind, template = CHANNELS[channel]
    k = KEYS.index(key) + 1
    query = template(PAYLOADS[key], k)
    expected: Any = [k]
    mlmd, why = MLMD_DIFFERS.get((key, channel), (None, ""))
    return FilterCase(f"inject-{key}-{channel}", lambda: _probe(kind, query), expected,
                      oracle=mlmd is None, why=why, mlmd=mlmd)


PAYLOAD_ROWS = [_row(key, channel) for key in KEYS for channel in CHANNELS]

_LIKE_LIMIT_WHY = ("SQLite refuses LIKE patterns over 50,000 bytes; MLMD passes that on as "
                   "InternalError; we refuse the query as invalid, saying why")
EXTRA_ROWS = [
    FilterCase("inject-long-like", lambda: _probe(A, f"name LIKE '{BIG[:-1]}%'"), INVALID,
               oracle=False, why=_LIKE_LIMIT_WHY, mlmd=INTERNAL),
    FilterCase("inject-like-percent-payload", lambda: _probe(A, "name LIKE '100%'"),
               [KEYS.index("percent") + 1]),
    FilterCase("inject-like-underscore-payload", lambda: _probe(A, "name LIKE 'a_b'"),
               [KEYS.index("underscore") + 1]),
    FilterCase("inject-statement-after-string", lambda: _probe(
        A, "name = 'control'; DROP TABLE Artifact; --"), INVALID),
    FilterCase("inject-or-true-after-string", lambda: _probe(
        A, "name = 'nothing' OR '1'='1'"), list(range(1, CONTROL + 1))),
    FilterCase("inject-unbalanced-quote", lambda: _probe(A, "name = 'it's'"), INVALID),
    FilterCase("inject-sql-comment", lambda: _probe(A, "name = 'control' --' OR TRUE"),
               INVALID, oracle=False, why="ZetaSQL comments; we refuse them", mlmd=[CONTROL]),
    FilterCase("inject-backquote-closes-name", lambda: _probe(
        A, "custom_properties.`x`.int_value = 1 OR `name` = 'control'"), []),
    FilterCase("inject-union-select", lambda: _probe(
        A, "id IN (SELECT id FROM Artifact)"), INVALID),
]

CASES = PAYLOAD_ROWS + EXTRA_ROWS
MLMD_QUIRKS = quirk_cases(CASES)
