"""The filter tables against the real ml-metadata 1.17.1: every expected value is the oracle's, and every
error message starts (and points) like MLMD's, by the rules of tests/api/message_audit.py.

All scenario modules of this folder run in one subprocess of the oracle interpreter
(tests/api/oracle_client.py), with its stores in memory, then on each loopback server; each row then
passes or fails on its own here. Rows marked
`oracle=False` are not compared; scenarios_filter_quirks.py instead checks that MLMD answers what
those rows say it does. scenarios_filter_model.py checks the in-Python model that the hypothesis
test relies on.

Run: FASTMLMD_ORACLE_PYTHON=/path/to/python3.11-with-ml-metadata \\
     .venv/bin/python -m pytest tests/filters -q -k oracle
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Dict

import pytest
from message_audit import FILTER_STABLE, check_row, has_error, unused_rules
from oracle_client import ORACLE_BACKENDS, check_case, oracle_results
from scenario_kit import run_recording

FILTERS = Path(__file__).resolve().parent
# Order matters: the quirk rows import the first three modules, which the runner has loaded by then.
MODULES = ["scenarios_filters", "scenarios_filter_injection", "scenarios_filter_names",
           "scenarios_filter_quirks", "scenarios_filter_model"]


def _compared_rows() -> list:
    params = []
    for module in MODULES:
        for case in importlib.import_module(module).CASES:
            if case.oracle:
                params.append(pytest.param(module, case, id=f"{module}::{case.id}"))
    return params


@pytest.mark.oracle
@pytest.mark.parametrize("backend", ORACLE_BACKENDS)
@pytest.mark.parametrize(("module", "case"), _compared_rows())
def test_oracle_agrees(module: str, case: Any, backend: str) -> None:
    outcome = oracle_results([FILTERS / f"{m}.py" for m in MODULES], backend)[module][case.id]
    check_case(outcome, case, backend, f"{module}::{case.id}")


# --- the message audit (tests/api/message_audit.py) -----------------------------------------------------

_BROKEN_REWRITE = ("MLMD's enum rewrite edits the query text before ZetaSQL parses it, and on artifacts it turns "
                   "`last_known_state = NEW` into malformed text ('Syntax error: Unexpected end of expression' past "
                   "its end); ours says that artifacts have no last_known_state")
_SPACED_DOT = ("our grammar reads a dotted path as one word and refuses a space before a dot as a syntax error "
               "that says so; ZetaSQL parses `x .y` as a path and then cannot resolve its head "
               "('Unrecognized name')")
_WRAPPED = ("MLMD's enum rewrite wraps `state = LIVE` in parentheses before ZetaSQL parses it, so its column is one "
            "past the name; ours points at the name as written")

# Rows whose messages do not start with MLMD's, on purpose (module::case id).
DELIBERATE: Dict[str, str] = {
    "scenarios_filters::attr-a-no-last_known_state-enum": _BROKEN_REWRITE,
    "scenarios_filters::scope-a-rejects-column": _BROKEN_REWRITE,
    "scenarios_filters::alias-a-contexts-no-properties":
        "MLMD's rewrite turns `contexts_a.properties.owner.string_value` into the field `properties_owner`, a name "
        "the query never wrote; ours says 'Field name properties does not exist in contexts_a' and that an alias "
        "offers no properties",
    "scenarios_filters::alias-a-space-before-dot": _SPACED_DOT,
    "scenarios_filters::prop-rejects-space-before-dot": _SPACED_DOT,
    "scenarios_filters::type-bytes-literal":
        "we do not lex BYTES literals (b'...'): no filterable value is BYTES, so ours is a syntax error at the "
        "string; MLMD's analyser reads one and then finds no `STRING = BYTES` signature",
    "scenarios_filter_injection::inject-union-select":
        "we refuse a subquery where it starts ('subqueries are not supported'); ZetaSQL parses it and then "
        "looks for its FROM table in MLMD's schema ('Table not found: Artifact')",
}
# Rows whose messages start like MLMD's but point elsewhere, on purpose.
POSITION_DIFFERS: Dict[str, str] = {
    "scenarios_filters::attr-c-no-state": _WRAPPED,
    "scenarios_filters::attr-c-no-last_known_state": _WRAPPED,
    "scenarios_filters::alias-a-contexts-no-state": _WRAPPED,
}


def _error_rows() -> list:
    return [param for param in _compared_rows() if has_error(param.values[1].expected)]


def _why(module: str, case: Any) -> str:
    """A row's reason to differ in outcome: its `ours_why`, or for a quirk row the `why` of the row it checks."""
    if not case.id.startswith("mlmd:"):
        return case.ours_why
    original = case.id[len("mlmd:"):]
    return next(c.why for m in MODULES[:3] for c in importlib.import_module(m).CASES if c.id == original)


@pytest.mark.oracle
@pytest.mark.parametrize(("module", "case"), _error_rows())
def test_message_starts_like_mlmds(module: str, case: Any) -> None:
    outcome = oracle_results([FILTERS / f"{m}.py" for m in MODULES])[module][case.id]
    assert outcome["status"] == "ok", outcome.get("error")
    _, ours = run_recording(case.scenario)
    check_row(f"{module}::{case.id}", outcome["errors"], ours, DELIBERATE, POSITION_DIFFERS, _why(module, case))


@pytest.mark.oracle
def test_every_filter_rule_is_used() -> None:
    """Each filter rule matches some MLMD message of these tables, and each listed row is an error row."""
    results = oracle_results([FILTERS / f"{m}.py" for m in MODULES])
    messages = [message for cases in results.values() for outcome in cases.values()
                for _, message in outcome.get("errors", ())]
    unused = unused_rules(FILTER_STABLE, messages)
    assert not unused, f"filter STABLE rules that match no MLMD message of the tables: {unused}"
    rows = {param.id for param in _error_rows()}
    listed = set(DELIBERATE) | set(POSITION_DIFFERS)
    assert listed <= rows, f"listed rows that are not error rows: {listed - rows}"
