"""Differential check: the grammar rejects what ml-metadata 1.17.1 rejects as malformed, and parses the rest.

"Malformed" is what MLMD's parser (ZetaSQL) refuses: messages with "Syntax error", "Invalid integer
literal" or "IS DISTINCT FROM is not supported". Whatever MLMD accepts, or refuses only after parsing
("Unrecognized name", "No matching signature", ...), must parse here: the planner takes it from there.
The queries run in ONE subprocess of the oracle interpreter ($FASTMLMD_ORACLE_PYTHON, by default
<repo>/.venv-oracle/bin/python); without it every row is skipped and says why. Every query then also goes
through our store, and its error (or its answer) is compared with MLMD's by the message audit
(tests/api/message_audit.py): same class, our message starting with MLMD's stable phrase, same position.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from message_audit import check_row

from fastmlmd.grammar import FilterSyntaxError, parse

pytestmark = pytest.mark.oracle

REPO = Path(__file__).resolve().parents[2]
_MALFORMED_MARKS = ("Syntax error", "Invalid integer literal", "IS DISTINCT FROM is not supported")

# Both sides agree: True = malformed (MLMD's parser and ours reject it).
AGREED = {
    # accepted
    "id = 1": False,
    "id=1": False,
    "(id) = 1": False,
    "(id = 1) = TRUE": False,
    "1 = id": False,
    "TRUE": False,
    "NULL": False,  # not a boolean: the planner's error
    "id = NULL": False,  # "Operands of = cannot be literal NULL": the planner's error
    "id IN (1)": False,
    "id NOT IN (2, 3)": False,
    "id IN (1, NULL)": False,
    "id IN(1,2)": False,
    "id BETWEEN 1 AND 2 AND id = 1": False,
    "name NOT LIKE 'x%'": False,
    "name IS NOT NULL": False,
    "NOT NOT id = 1": False,
    "NoT Id = 1 aNd TrUe": False,
    "NOT(id=1)AND(name='x')": False,
    "name='a'AND id=1": False,
    "id = 1 AND\n name = 'x'": False,
    "id = - 1": False,
    "id = +1": False,
    "id = - -1": False,
    "id = 1.": False,
    "id = .5": False,
    "id = -.5": False,
    "id = 1e3": False,
    "id = 1E+3": False,
    "id = 1.e3": False,
    "id = 1e400": False,
    "id = 0x1F": False,
    "id = 01": False,
    "id = 18446744073709551615": False,
    "id = -9223372036854775808": False,
    "name = 'a\\'b'": False,
    'name = "a\\"b"': False,
    "name = '\\x41\\101\\u0041\\U00000041\\X41'": False,
    "name = '\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\`'": False,
    "name = r'\\d'": False,
    "name = R\"\\d\"": False,
    "name = r'a\\'b'": False,
    "name = '''a'b'''": False,
    'name = """x\ny"""': False,
    "name = ''": False,
    "name = ''''''": False,
    "name = 'a\x00b'": False,
    "`name` = 'ds1'": False,
    "name = `ds1`": False,  # "Unrecognized name: ds1": the planner's error
    "contexts_a.`name` = 'x'": False,
    "custom_properties.`my key`.string_value = 'x'": False,
    "custom_properties.`it's`.string_value = 'x'": False,
    "custom_properties.`p%;--`.string_value = 'x'": False,
    "custom_properties.`café`.string_value = 'x'": False,
    "custom_properties.`tab\tx`.string_value = 'x'": False,
    "`n\\x61me` = 'ds1'": False,  # GoogleSQL decodes escapes in back-quoted names
    "`\\156ame` = 'ds1'": False,
    "`a\\`b` = 1": False,  # "Unrecognized name": the planner's error
    "`\\x00` = 1": False,
    "custom_properties.`a b\\x41`.string_value = 'x'": False,  # MLMD's rewrite fails after parsing
    "properties.1abc.int_value = 3": False,
    "properties.and.int_value = 3": False,
    "properties.select.int_value = 3": False,
    "Properties.span.int_value = 3": False,  # "Unrecognized name: Properties"
    "state = LIVE": False,
    "state IN (LIVE, PENDING)": False,
    "state = live": False,  # "Unsupported enum value": the planner's error
    "contexts_a.foo = 'x'": False,  # "Field name foo does not exist": the planner's error
    # rejected
    "   ": True,
    "id == 1": True,
    "id = 1;": True,
    "id IN ()": True,
    "id IN (1,)": True,
    "id IN 1": True,
    "id = 1 = TRUE": True,
    "id < 2 < 3": True,
    "id = 1 IS TRUE": True,
    "id = NOT TRUE": True,
    "AND id = 1": True,
    "x NOT NULL": True,
    "x BETWEEN 1": True,
    "id =": True,
    "(id = 1": True,
    "id = 1)": True,
    "'ds' 'x'": True,
    "id = --1": True,  # "--" opens a comment, in MLMD too
    "name = 'abc": True,
    "name = 'a\nb'": True,
    "name = '''abc''": True,
    "name = r'a\\'": True,
    "name = 'a\\qb'": True,
    "name = 'a\\N'": True,
    "name = 'a\\x4'": True,
    "name = 'a\\0'": True,
    "name = 'a\\08'": True,
    "name = 'a\\400'": True,
    "name = 'a\\uD800'": True,
    "name = 'a\\U00110000'": True,
    "id = 1e": True,
    "id=1AND id=1": True,
    "id = 1and id = 1": True,
    "id = 1.5.5": True,
    "id = 1..5": True,
    "id = 99999999999999999999": True,
    "id = -9223372036854775809": True,
    "id IS DISTINCT FROM 1": True,
    "id IS NOT DISTINCT FROM 1": True,
    "name LIKE 'a' ESCAPE 'b'": True,
    "custom_properties.`a\nb`.string_value = 'y'": True,
    "`na\\me` = 'ds1'": True,
    "`\\u00` = 1": True,
    "`\\uD800` = 1": True,
    "`name\\` = 'ds1'": True,
    "`a\\\nb` = 1": True,

    "custom_properties.my key.string_value = 'y'": True,
}

# MLMD's parser refuses these; we parse them on purpose: a store can hold an empty property name, so a
# filter must be able to name it. The planner refuses an empty name anywhere else (`` = 1).
LOOSER_WHY = ("GoogleSQL refuses an empty back-quoted name, but a store can hold an empty property name: we "
               "parse it, and refuse it (as a syntax error too) only where it cannot be a property name")
LOOSER = [
    "custom_properties.``.string_value = 'y'",
    "properties.``.int_value = 1",
    "`` = 1",
]

# ZetaSQL accepts these (docs/mlmd-interface.md §3.3, tier "quirk"); we reject them on purpose, with a hint.
STRICTER_WHY = ("ZetaSQL parses it (comments, arithmetic, functions, subqueries, a spaced path, BYTES); we refuse "
                 "it as a syntax error that says what is not supported")
STRICTER = [
    "id = 1 -- c",
    "id = 1 /* c */",
    "id = 1 # c",
    "id + 1 = 2",
    "id = -id",
    "id = -(1)",
    "LOWER(name) = 'ds1'",
    "id IN (SELECT 1)",
    "properties . span . int_value = 1",  # MLMD: "Unrecognized name: properties"
    "name = b'x'",  # MLMD: a BYTES literal, then a type error
]

_ORACLE_SCRIPT = r"""
import json, sys
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
config = metadata_store_pb2.ConnectionConfig()
config.fake_database.SetInParent()
store = metadata_store.MetadataStore(config)
out = {}
for query in json.load(sys.stdin):
    try:
        store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))
        out[query] = ["ok", ""]
    except Exception as exc:
        out[query] = [type(exc).__name__, str(exc)]
print(json.dumps(out))
"""


def _oracle_python() -> str:
    return os.environ.get("FASTMLMD_ORACLE_PYTHON") or str(REPO / ".venv-oracle" / "bin" / "python")


@functools.lru_cache(maxsize=None)
def _oracle() -> Tuple[str, Dict[str, list]]:
    python = _oracle_python()
    if not os.access(python, os.X_OK):
        return f"oracle interpreter {python} not found; set FASTMLMD_ORACLE_PYTHON or run `make oracle`", {}
    queries = list(AGREED) + STRICTER + LOOSER
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run([python, "-c", _ORACLE_SCRIPT], input=json.dumps(queries), capture_output=True,
                         text=True, env=env, timeout=600)
    if run.returncode != 0:
        return f"oracle run failed: {run.stderr.strip()[-500:]}", {}
    return "", json.loads(run.stdout.strip().splitlines()[-1])


def _malformed_for_mlmd(query: str) -> bool:
    why, results = _oracle()
    if why:
        pytest.skip(why)
    kind, message = results[query]
    return kind == "InvalidArgumentError" and any(mark in message for mark in _MALFORMED_MARKS)


def _malformed_for_us(query: str) -> bool:
    try:
        parse(query)
    except FilterSyntaxError:
        return True
    return False


@pytest.mark.parametrize(("query", "malformed"), [pytest.param(q, m, id=repr(q)) for q, m in AGREED.items()])
def test_agrees_with_mlmd(query: str, malformed: bool) -> None:
    assert _malformed_for_mlmd(query) is malformed
    assert _malformed_for_us(query) is malformed


@pytest.mark.parametrize("query", [pytest.param(q, id=repr(q)) for q in STRICTER])
def test_stricter_than_mlmd(query: str) -> None:
    assert not _malformed_for_mlmd(query)
    assert _malformed_for_us(query)


@pytest.mark.parametrize("query", [pytest.param(q, id=repr(q)) for q in LOOSER])
def test_looser_than_mlmd(query: str) -> None:
    assert _malformed_for_mlmd(query)
    assert not _malformed_for_us(query)


# --- the message audit ----------------------------------------------------------------------------------

# Queries whose messages (or outcomes) differ from MLMD's on purpose, besides STRICTER and LOOSER.
DELIBERATE = {
    "custom_properties.`a b\\x41`.string_value = 'x'":
        "a back-quoted name takes the escapes of a string literal (GoogleSQL): we decode them and answer; "
        "MLMD's property rewrite fails on any backslash ('Query cannot be rewritten successfully')",
}
# Queries whose messages start like MLMD's but point elsewhere, on purpose.
POSITION_DIFFERS = {
    "id = --1": "ZetaSQL reads `--` as a comment that runs to the end and reports the end of the query; we do "
                "not take comments, and point at the `--`",
    "custom_properties.`a\nb`.string_value = 'y'":
        "MLMD's property rewrite reads the back-quoted name across the line break and edits the text before "
        "ZetaSQL lexes it, which then reports 1:1; ours points at the backquote that is not closed, as ZetaSQL "
        "does for `custom_properties.`abc` (1:19)",
}


@functools.lru_cache(maxsize=None)
def _our_store() -> object:
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.fake_database.SetInParent()
    return metadata_store.MetadataStore(config)


def _our_errors(query: str) -> List[List[str]]:
    from ml_metadata.metadata_store import metadata_store

    try:
        _our_store().get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))  # type: ignore
    except Exception as exc:  # every error class is compared
        return [[type(exc).__name__, str(getattr(exc, "message", exc))]]
    return []


_WHY = {**{q: STRICTER_WHY for q in STRICTER}, **{q: LOOSER_WHY for q in LOOSER}}


@pytest.mark.parametrize("query", [pytest.param(q, id=repr(q)) for q in [*AGREED, *STRICTER, *LOOSER]])
def test_message_starts_like_mlmds(query: str) -> None:
    why, results = _oracle()
    if why:
        pytest.skip(why)
    kind, message = results[query]
    theirs = [] if kind == "ok" else [[kind, message]]
    check_row(query, theirs, _our_errors(query), DELIBERATE, POSITION_DIFFERS, _WHY.get(query, ""))


def test_listed_queries_are_in_the_tables() -> None:
    listed = set(DELIBERATE) | set(POSITION_DIFFERS)
    assert listed <= set(AGREED), f"listed queries that are not AGREED rows: {listed - set(AGREED)}"
