"""The message audit: every error of a differential table starts the way MLMD's does, and points where it does.

Code in the wild matches MLMD's error messages with regexes, so ours start with MLMD's wording and add our
explanation after it. For each error a table row caught on ml-metadata 1.17.1 and on our package, in order:

* the class is the same;
* our message starts with MLMD's message, or with its stable part where a `STABLE` rule says that MLMD's
  text goes on with parts that describe its internals (a node as a text proto, SQL, ZetaSQL's grammar
  states or function catalogue) rather than the call;
* where MLMD's message gives a position (`[at line:column]`), ours gives the same one.

The rule for a filter message (one rule for all of them): MLMD's stable phrase, then `; ` and our
explanation, then the position, which always ends the first line (a caret under it follows on the next
lines). Where MLMD puts the position right after its phrase, ours comes after our explanation instead:
the position is compared on its own, and stays next to the caret it belongs to.

Python's own TypeError/ValueError texts are compared by class only. Each table's test lists its deliberate
exceptions (a row whose message or position differs on purpose, with the reason) and passes them to
`check_row`, which also fails an exception that no longer differs, so every list stays true. The tests:
tests/api/test_error_messages.py, tests/filters/test_filters_against_oracle.py,
tests/grammar/test_oracle_syntax.py, tests/lineage/test_lineage_oracle.py.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Dict, Iterable, List, Optional, Sequence

import pytest

from scenario_kit import Json

# MLMD appends the message (or node) it was given as a text proto, which ends the stable part; its type
# evolution messages label them first ("stored_type: ...", "stored type: ...").
_PROTO = r"(?:stored type: |\w+ \{|\w+: ).*"
_FILTER = re.escape("Invalid `filter_query`: ")
_AT = r" \[at \d+:\d+\]"


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


# The API's messages (tests/api/scenarios_*.py).
API_STABLE = [
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

# The filter queries' messages (tests/filters, tests/grammar, tests/lineage). Tried in order: the first
# three cut ZetaSQL's internals, the last only moves the position out of the phrase.
FILTER_STABLE = [
    Stable(rf"(?P<stable>{_FILTER}Syntax error: ).*{_AT}",
           "ZetaSQL's parser wording names its grammar, not the query ('Expected end of input but got keyword "
           "KEY', 'Parenthesized expression cannot be parsed as an expression, struct constructor, or "
           "subquery'): no phrase to rely on. Ours says what is wrong and what would work, and points at "
           "the same place wherever both parsers stop at the same token"),
    Stable(rf"(?P<stable>{_FILTER}No matching signature for operator .+? for argument types: .+?)\. Supported "
           rf"signatures?: .*{_AT}",
           "ZetaSQL then lists the signatures of its function catalogue (BYTES LIKE BYTES, INT64 = UINT64), "
           "which the filter language does not have; ours says what to compare instead"),
    Stable(rf"(?P<stable>{_FILTER}Field name .+? does not exist in )STRUCT<.*{_AT}",
           "MLMD names the neighbourhood by the STRUCT type its rewrite builds (with a 'Did you mean' guess "
           "at times); ours names the alias as written and lists its fields"),
    Stable(rf"(?P<stable>{_FILTER}.*?){_AT}",
           "The position is compared on its own: ours ends the first line, after our explanation"),
]

STABLE = API_STABLE + FILTER_STABLE

# Python's own words when an argument cannot be converted ("'str' object cannot be interpreted as an
# integer"), not MLMD's: only the class is compared, and ours name the argument instead.
ARGUMENT_ERRORS = ("TypeError", "ValueError")
_POSITION = re.compile(r" \[at (\d+:\d+)\]")


def has_error(value: Json) -> bool:
    """Whether a row's expected value holds an `["error", "<Class>", ...]` anywhere."""
    if isinstance(value, list):
        if len(value) >= 2 and value[0] == "error" and isinstance(value[1], str):
            return True
        return any(has_error(v) for v in value)
    if isinstance(value, dict):
        return any(has_error(v) for v in value.values())
    return False


def expected_start(mlmd_message: str) -> str:
    """What our message must start with: MLMD's stable part when a `STABLE` rule names one, else all of it."""
    for rule in STABLE:
        stable = rule.stable_part(mlmd_message)
        if stable is not None:
            return stable
    return mlmd_message


def position(message: str) -> Optional[str]:
    """The `line:column` a message points at: MLMD's last `[at l:c]`, ours at the end of the first line."""
    found = _POSITION.findall(message.split("\n", 1)[0])
    return found[-1] if found else None


def mismatches(theirs: Sequence[Sequence[str]], ours: Sequence[Sequence[str]],
               positions: bool = True) -> List[str]:
    """How our caught errors differ from MLMD's: class, start of the message and (if `positions`) position."""
    found = [f"MLMD caught {len(theirs)} errors, we caught {len(ours)}"] if len(theirs) != len(ours) else []
    for (their_class, their_message), (our_class, our_message) in zip(theirs, ours):
        start = "" if their_class in ARGUMENT_ERRORS else expected_start(their_message)
        if their_class != our_class or not our_message.startswith(start):
            found.append(f"MLMD: {their_class}: {their_message!r}\n  must start: {start!r}\n"
                         f"  ours: {our_class}: {our_message.split(chr(10))[0]!r}")
        elif positions and position(their_message) not in (None, position(our_message)):
            found.append(f"MLMD points at {position(their_message)}, ours at {position(our_message)}:\n"
                         f"  MLMD: {their_message!r}\n  ours: {our_message.split(chr(10))[0]!r}")
    return found


def position_differs(theirs: Sequence[Sequence[str]], ours: Sequence[Sequence[str]]) -> bool:
    """Whether some error's position differs while its class and phrase agree."""
    return bool(mismatches(theirs, ours)) and not mismatches(theirs, ours, positions=False)


def check_row(row: str, theirs: Sequence[Sequence[str]], ours: Sequence[Sequence[str]],
              deliberate: Dict[str, str], position_exceptions: Optional[Dict[str, str]] = None,
              why: str = "") -> None:
    """Asserts that row `row`'s errors start and point like MLMD's, or skips for a listed reason.

    `deliberate` and `position_exceptions` map rows to why their message or position differs on purpose;
    `why` is the row's own reason for a deliberate difference of outcome (`ours_why`, a quirk row's `why`),
    used only where the row differs. A listed row that no longer differs fails, so that the lists stay true.
    """
    if row in deliberate:
        assert mismatches(theirs, ours), f"{row} now starts like MLMD; drop it from the deliberate differences"
        pytest.skip(f"deliberate difference from ml-metadata 1.17.1: {deliberate[row]}")
    if position_exceptions and row in position_exceptions:
        assert position_differs(theirs, ours), f"{row} now points where MLMD does; drop it from the exceptions"
        pytest.skip(f"points elsewhere than ml-metadata 1.17.1 on purpose: {position_exceptions[row]}")
    found = mismatches(theirs, ours)
    if why and found:
        pytest.skip(f"deliberate difference from ml-metadata 1.17.1: {why}")
    assert not found, "\n".join(found)


def unused_rules(rules: Iterable[Stable], messages: Iterable[str]) -> List[str]:
    """The patterns of `rules` that match none of `messages` (each rule must earn its place)."""
    messages = list(messages)
    return [rule.pattern for rule in rules if not any(rule.stable_part(m) is not None for m in messages)]
