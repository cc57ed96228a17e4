"""The message audit: every error in the API scenario tables starts the way MLMD's does.

Code in the wild matches MLMD's error messages with regexes, so ours start with MLMD's wording and add
our explanation after it. For every row of tests/api/scenarios_*.py whose `expected` holds an error, the
errors the row's `catch` / `catch_msg` calls caught on ml-metadata 1.17.1 (recorded by oracle_runner.py)
are compared, one by one, with ours: same class, and our message starts with MLMD's message, or with its
stable part where MLMD's message carries variable parts (a node printed as a text proto, SQL, its own
ids); `STABLE` says which part that is, and why. `DELIBERATE` lists the rows where we knowingly do not
start with MLMD's words, each with its reason; rows with `ours_why` differ as that says.
"""
from __future__ import annotations

import dataclasses
import importlib
import re
from typing import Dict, List, Optional

import pytest
from oracle_client import API_SCENARIOS, oracle_results
from scenario_kit import Case, Json, run_recording

pytestmark = pytest.mark.oracle

# MLMD appends the message (or node) it was given as a text proto, which ends the stable part; its type
# evolution messages label them first ("stored_type: ...", "stored type: ...").
_PROTO = r"(?:stored type: |\w+ \{|\w+: ).*"


@dataclasses.dataclass(frozen=True)
class Stable:
    """MLMD messages that fully match `pattern` are stable only in its group `stable`, for the reason `why`."""

    pattern: str
    why: str

    def stable_part(self, message: str) -> Optional[str]:
        found = re.fullmatch(self.pattern, message, re.DOTALL)
        return found.group("stable") if found else None


def _then_proto(*phrases: str) -> str:
    return "(?P<stable>" + "|".join(re.escape(p) for p in phrases) + "): " + _PROTO


STABLE = [
    Stable(_then_proto(
        "Given event.artifact_id is not aligned with the artifact",
        "Request's event.execution_id does not match with the given execution",
        "Context is missing a name", "Context is missing a type_id",
        "Given node already exists", "Given event already exists", "Given parent_context already exists",
        "Given parent / child id in the parent_context cannot be found",
        "Missing parent / child id in the parent_context",
        "Event_edge is missing an execution. Could not find either an execution_index or an "
        "event.execution_id",
        "Event_edge is missing an artifact. Could not find either an artifact_index or an event.artifact_id",
        "Type already exists with different properties: can_add_fields is false while the given type has "
        "more properties",
        "Type already exists with different properties: can_omit_fields is false while stored type has more "
        "properties",
        "Type already exists with different properties: Conflicting property value type found in stored and "
        "given types",
    ), "MLMD prints the offending request (or the stored type) as a text proto after its phrase"),
    Stable(r"(?P<stable>Conflict of external_id: .* Found already existing \w+ type with the same external_id): "
           + _PROTO, "MLMD prints the stored type as a table of its columns after the phrase"),
    Stable(r"(?P<stable>(The event_edge has an|Missing|\w+ ID mismatch\. The referenced) .*?\.) "
           r"(Event_edge|Execution|Artifact): .*",
           "MLMD prints the event_edge and the node as text protos after the sentence"),
    Stable(r"(?P<stable>Error when executing query: .*?) query: .*",
           "MLMD appends the SQL statement it ran; ours is another schema"),
    Stable(r"Cannot validate properties of .*\}(?P<stable>Found (unknown property|unmatched property type): .*)",
           "MLMD prefixes its finding with the node as a text proto; the finding is the stable phrase"),
    Stable(r"Cannot find type for .*?(?P<stable>No type found for query, type_id: -?\d+)",
           "MLMD prefixes its finding with the node as a text proto; the finding is the stable phrase"),
    Stable(r"(?P<stable>Cannot create node for type_id: \d+).*Context name should not be empty",
           "MLMD prints the context as a text proto; ours keeps only its type_id, then MLMD's finding"),
    Stable(r"(?P<stable>MLMD database version \d+ is older than library version \d+\. .*? current database\.) "
           r"For more details, please refer to ml-metadata g3doc/.*",
           "MLMD ends with a path in Google's internal docs; ours says which call upgrades the database"),
]

# Rows (area/case id) whose messages do not start with MLMD's, on purpose.
DELIBERATE: Dict[str, str] = {
    "connections/mysql-unreachable-server":
        "MLMD reports a failed connection; fastmlmd has no MySQL backend yet and says so",
    "connections/postgresql-unreachable-server":
        "MLMD reports a failed connection; fastmlmd has no PostgreSQL backend yet and says so",
}


def _has_error(value: Json) -> bool:
    if isinstance(value, list):
        if len(value) >= 2 and value[0] == "error" and isinstance(value[1], str):
            return True
        return any(_has_error(v) for v in value)
    if isinstance(value, dict):
        return any(_has_error(v) for v in value.values())
    return False


def _error_rows() -> list:
    rows = []
    for path in API_SCENARIOS:
        module = importlib.import_module(path.stem)
        area = path.stem[len("scenarios_"):]
        rows += [pytest.param(path.stem, case, id=f"{area}/{case.id}") for case in module.CASES
                 if case.oracle and _has_error(case.expected)]
    return rows


def expected_start(mlmd_message: str) -> str:
    """What our message must start with: MLMD's stable part when a `STABLE` rule names one, else all of it."""
    for rule in STABLE:
        stable = rule.stable_part(mlmd_message)
        if stable is not None:
            return stable
    return mlmd_message


# Python's own words when an argument cannot be converted ("'str' object cannot be interpreted as an
# integer"), not MLMD's: only the class is compared, and ours name the argument instead.
ARGUMENT_ERRORS = ("TypeError", "ValueError")


def _mismatches(theirs: List[list], ours: List[list]) -> List[str]:
    found = [f"MLMD caught {len(theirs)} errors, we caught {len(ours)}"] if len(theirs) != len(ours) else []
    for (their_class, their_message), (our_class, our_message) in zip(theirs, ours):
        start = "" if their_class in ARGUMENT_ERRORS else expected_start(their_message)
        if their_class != our_class or not our_message.startswith(start):
            found.append(f"MLMD: {their_class}: {their_message!r}\n  must start: {start!r}\n"
                         f"  ours: {our_class}: {our_message!r}")
    return found


@pytest.mark.parametrize(("module", "case"), _error_rows())
def test_message_starts_like_mlmds(module: str, case: Case) -> None:
    outcome = oracle_results(API_SCENARIOS)[module][case.id]
    assert outcome["status"] == "ok", outcome.get("error")
    _, ours = run_recording(case.scenario)
    mismatches = _mismatches(outcome["errors"], ours)
    row = f"{module[len('scenarios_'):]}/{case.id}"
    if row in DELIBERATE:
        # Keeps the list true: a row that starts matching MLMD leaves it.
        assert mismatches, f"{row} now starts like MLMD; drop it from DELIBERATE"
        pytest.skip(f"deliberate difference from ml-metadata 1.17.1: {DELIBERATE[row]}")
    if case.ours_why and mismatches:  # the row pins another outcome than MLMD's, as its ours_why says
        pytest.skip(f"deliberate difference from ml-metadata 1.17.1: {case.ours_why}")
    assert not mismatches, "\n".join(mismatches)


def test_every_rule_is_used() -> None:
    """Each STABLE rule matches some MLMD message of the tables, and each DELIBERATE row is an error row."""
    results = oracle_results(API_SCENARIOS)
    messages = [message for cases in results.values() for outcome in cases.values()
                for _, message in outcome.get("errors", ())]
    unused = [rule.pattern for rule in STABLE if not any(rule.stable_part(m) is not None for m in messages)]
    assert not unused, f"STABLE rules that match no MLMD message of the tables: {unused}"
    rows = {param.id for param in _error_rows()}
    assert set(DELIBERATE) <= rows, f"DELIBERATE rows that are not error rows: {set(DELIBERATE) - rows}"
