"""Comparing our answers on a converted server store with MLMD's on the original: what MLMD leaves undefined there.

On SQLite, MLMD's answers are compared exactly (store_reads.differences). On MariaDB and PostgreSQL, ml-metadata
1.17.1 answers some reads differently from its own SQLite answers, and those answers are not something a
converted store can (or should) repeat. Each such case is named here and checked against MLMD's own answers to
other calls, never skipped:

  - Order where MLMD's query has no ORDER BY: a getter called without ListOptions (by id, by type, by external
    id, by context, events by node, the lists inside a lineage subgraph). MLMD returns rows in whatever order the
    server's plan reads them (PostgreSQL: heap order, updated rows last; MariaDB: events by execution in event
    id order), where on SQLite it returns them by id, as we do. Compared as multisets: every element equal,
    whole messages. Calls with ListOptions are ordered by MLMD, and compared exactly.
  - PostgreSQL: a filtered listing ordered by UPDATE_TIME with a limit fails in MLMD with InternalError ("for
    SELECT DISTINCT, ORDER BY expressions must appear in select list", MLMD's own SQL). Ours must equal MLMD's
    answer to the same filter without order or limit (recorded too), ordered by update time and id descending,
    first `limit` rows.
  - Text compared in filters. MLMD on PostgreSQL: LIKE is case-sensitive (PostgreSQL's), where MLMD on SQLite
    folds ASCII case, as our PostgreSQL backend does. MLMD on MariaDB: LIKE and `=` follow its tables'
    collation, utf8mb4_general_ci (case and accents ignored); our MySQL backend compares as MLMD on SQLite: `=`
    byte for byte, LIKE folding ASCII case only. For a
    filter of one such comparison (`name|uri LIKE '...'`, `[custom_]properties.<p>.string_value = '...'`):
    MLMD's answer must be what its way of comparing picks among all the nodes MLMD listed (checked, so that is
    the only difference), and ours what ours picks, ordered as the call asks (with a limit: by update time
    and id). Multisets without a limit: MLMD's order then is the server's.
  - MariaDB: get_<kind>_type(name) leaves the external_id out (on SQLite it gives it). Ours must equal the same
    type as MLMD's get_<kind>_types_by_id gives it, which carries it.
"""
from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Dict, List, Optional

PG_DISTINCT_BUG = "for SELECT DISTINCT, ORDER BY expressions must appear in select list"


def _canonical(value: Any) -> Any:
    """A list of messages, or a message's lists of messages (a lineage graph's), in one order: as multisets. The
    messages themselves stay whole (a path's steps and a struct's lists keep their order)."""
    def as_multiset(items: List[Any]) -> List[Any]:
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return [as_multiset(v) for v in value]  # get_artifacts_and_types_by_artifact_ids: (artifacts, types)
    if isinstance(value, list):
        return as_multiset(value)
    if isinstance(value, dict):
        return {k: as_multiset(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


def _ordered_by_mlmd(made: Dict[str, Any]) -> bool:
    return "list_options" in made["kwargs"]


def _unordered_filter_answer(recorded: Dict[str, Any], made: Dict[str, Any]) -> Optional[List[Dict]]:
    """MLMD's answer to the same filter with no limit and no order (store_reads.read_calls records both)."""
    query = made["kwargs"]["list_options"]["@list_options"]["filter_query"]
    for other, answer in zip(recorded["calls"], recorded["answers"]):
        options = other["kwargs"].get("list_options", {}).get("@list_options", {})
        if (other["op"] == made["op"] and options.get("filter_query") == query and options.get("limit") is None
                and "value" in answer):
            return answer["value"]
    return None


def _types_by_id(recorded: Dict[str, Any], kind_op: str) -> Dict[str, Dict]:
    """MLMD's get_<kind>_types_by_id answer, by type id (it carries the external ids)."""
    for other, answer in zip(recorded["calls"], recorded["answers"]):
        if other["op"] == kind_op + "s_by_id" and "value" in answer:
            return {t["id"]: t for t in answer["value"]}
    return {}


def _with_external_ids(recorded: Dict[str, Any], made: Dict[str, Any], theirs: Dict[str, Any]) -> Dict[str, Any]:
    """MariaDB: get_<kind>_type(name) with the type as MLMD's by-id getter gives it."""
    if "value" not in theirs:
        return theirs
    return {"value": _types_by_id(recorded, made["op"]).get(theirs["value"].get("id"), theirs["value"])}


# A filter of one string comparison: `name LIKE '...'`, `uri LIKE '...'` or `<properties>.<name>.string_value = '...'`.
_STRING_FILTER = re.compile(r"^(?:(name|uri) (LIKE)|(properties|custom_properties)\.(\w+)\.string_value (=)) '([^']*)'$")
# How each side compares text in such a filter, by backend: (LIKE, =).
_MLMD_TEXT = {"postgresql": ("bytes", "bytes"), "mysql": ("general_ci", "general_ci")}
_OUR_TEXT = {"postgresql": ("ascii_ci", "bytes"), "mysql": ("ascii_ci", "bytes"), "sqlite": ("ascii_ci", "bytes")}


def _fold(text: str, how: str) -> str:
    if how == "ascii_ci":
        return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"))
    if how == "general_ci":  # utf8mb4_general_ci: accents and case ignored
        return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).casefold()
    return text


def _compares(value: Optional[str], operator: str, literal: str, how: str) -> bool:
    if value is None:
        return False
    value, literal = _fold(value, how), _fold(literal, how)
    if operator == "=":
        return value.rstrip(" ") == literal.rstrip(" ") if how == "general_ci" else value == literal
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in literal)
    return re.fullmatch(body, value, re.DOTALL) is not None


def _all_nodes(recorded: Dict[str, Any], op: str) -> Optional[List[Dict]]:
    for other, answer in zip(recorded["calls"], recorded["answers"]):
        if other["op"] == op and not other["args"] and not other["kwargs"] and "value" in answer:
            return answer["value"]
    return None


def _string_filter(recorded: Dict[str, Any], made: Dict[str, Any], theirs: Dict[str, Any],
                   backend: str, ours: str) -> Optional[Dict[str, Any]]:
    """Ours (on the backend `ours`) for a filter of one string comparison that MLMD on `backend` makes
    differently (see the module's docstring), after checking MLMD's answer is what its way of comparing gives;
    None for another call."""
    options = made["kwargs"].get("list_options", {}).get("@list_options", {})
    found = _STRING_FILTER.match(options.get("filter_query") or "")
    nodes = _all_nodes(recorded, made["op"])
    if not found or nodes is None:
        return None
    field, like, properties, name, equals, literal = found.groups()
    operator = like or equals
    side = 0 if like else 1
    if _MLMD_TEXT[backend][side] == _OUR_TEXT[ours][side]:
        return None

    def value(node: Dict) -> Optional[str]:
        if field:
            return node.get(field)
        return node.get(properties, {}).get(name, {}).get("string_value")

    def matching(how: str) -> List[Dict]:
        rows = [n for n in nodes if _compares(value(n), operator, literal, how)]
        if options.get("limit") is not None:
            assert options["order_by"] == "UPDATE_TIME", made
            rows.sort(key=lambda n: (int(n["last_update_time_since_epoch"]), int(n["id"])),
                      reverse=not options["is_asc"])
            return rows[:options["limit"]]
        return rows
    if "value" in theirs:  # else MLMD's DISTINCT failure (above)
        assert _canonical(matching(_MLMD_TEXT[backend][side])) == _canonical(theirs["value"]), \
            f"MLMD's text comparison is not what we think: {made}"
    return {"value": matching(_OUR_TEXT[ours][side])}


def expected(recorded: Dict[str, Any], index: int, backend: str, ours: str) -> Dict[str, Any]:
    """What our answer to call `index` on the backend `ours` must be, from MLMD's answers on `backend` (see the
    module's docstring)."""
    made, theirs = recorded["calls"][index], recorded["answers"][index]
    compared = _string_filter(recorded, made, theirs, backend, ours)
    if compared is not None:
        return compared
    if "error" in theirs and theirs["error"] == "InternalError" and PG_DISTINCT_BUG in theirs.get("message", ""):
        options = made["kwargs"]["list_options"]["@list_options"]
        unordered = _unordered_filter_answer(recorded, made)
        assert unordered is not None and options["order_by"] == "UPDATE_TIME", made
        rows = sorted(unordered, key=lambda n: (int(n["last_update_time_since_epoch"]), int(n["id"])),
                      reverse=not options["is_asc"])
        return {"value": rows[:options["limit"]]}
    if backend == "mysql" and made["op"] in ("get_artifact_type", "get_execution_type", "get_context_type"):
        return _with_external_ids(recorded, made, theirs)
    return theirs


def server_differences(recorded: Dict[str, Any], answers: List[Dict[str, Any]], backend: str,
                       our_backend: Optional[str] = None) -> List[str]:
    """The calls whose answers (ours, on `our_backend`: `backend` unless a copy went elsewhere) differ from what
    MLMD's answers on `backend` say they must be."""
    found = []
    for index, (made, ours) in enumerate(zip(recorded["calls"], answers)):
        want = expected(recorded, index, backend, our_backend or backend)
        if "error" in want or "error" in ours:
            same = want.get("error") == ours.get("error")
        elif _ordered_by_mlmd(made) and not _STRING_FILTER.match(
                made["kwargs"]["list_options"]["@list_options"].get("filter_query") or ""):
            same = want["value"] == ours["value"]
        else:
            same = _canonical(want["value"]) == _canonical(ours["value"])
        if not same:
            found.append(f"{json.dumps(made)[:300]}\n  MLMD: {json.dumps(want)[:600]}\n  ours: {json.dumps(ours)[:600]}")
    return found
