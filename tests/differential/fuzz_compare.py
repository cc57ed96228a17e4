"""Compares the outcomes of one call sequence on our store and on ml-metadata 1.17.1.

Two outcomes agree when both raised the same error class or both returned equal values; messages
are kept apart (`Comparison.message_differences`), since ours say more on purpose. After a divergence
the two stores may hold different things, so the rest of the sequence is not compared (see `compare`).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, List, Optional

from fuzz_replay import READ_OPS

Call = Dict[str, Any]
Outcome = Dict[str, Any]


# Lists whose order ml-metadata 1.17.1 leaves to chance: the same sequence run twice on it returns
# a lineage subgraph's attributions and associations in different orders.
UNORDERED = {"get_lineage_subgraph": ("attributions", "associations")}


def comparable(call: Call, outcome: Outcome) -> Outcome:
    """`outcome` with the lists whose order is unspecified sorted."""
    fields = UNORDERED.get(call["op"])
    if not fields or not isinstance(outcome.get("value"), dict):
        return outcome
    value = dict(outcome["value"])
    for field in fields:
        if field in value:
            value[field] = sorted(value[field], key=lambda item: sorted(item.items()))
    return {**outcome, "value": value}


def agree(ours: Outcome, theirs: Outcome) -> bool:
    """Same error class, or equal values."""
    if "error" in ours or "error" in theirs:
        return ours.get("error") == theirs.get("error")
    return ours["value"] == theirs["value"]


def first_difference(ours: Any, theirs: Any, path: str = "") -> str:
    """Where two JSON values first differ, e.g. `[1].artifact_types[0].base_type: 'MODEL' != (unset)`."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in theirs:
                return f"{path}.{key}: {_short(ours[key])} != (unset)"
            if key not in ours:
                return f"{path}.{key}: (unset) != {_short(theirs[key])}"
            if ours[key] != theirs[key]:
                return first_difference(ours[key], theirs[key], f"{path}.{key}")
    if isinstance(ours, list) and isinstance(theirs, list):
        ids_ours, ids_theirs = _ids(ours), _ids(theirs)
        if ids_ours is not None and ids_theirs is not None and ids_ours != ids_theirs:
            if sorted(ids_ours) == sorted(ids_theirs):
                return f"{path}: order of ids {ids_ours} != {ids_theirs}"
            return f"{path}: ids {ids_ours} != {ids_theirs}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if a != b:
                return first_difference(a, b, f"{path}[{i}]")
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} items != {len(theirs)} items"
    return f"{path or 'value'}: {_short(ours)} != {_short(theirs)}"


def _ids(items: List[Any]) -> Optional[List[Any]]:
    if items and all(isinstance(i, dict) and "id" in i for i in items):
        return [i["id"] for i in items]
    return None


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def describe(ours: Outcome, theirs: Outcome) -> str:
    """One line: how two outcomes differ."""
    if "error" in ours and "error" in theirs:
        return f"ours raised {ours['error']}, MLMD raised {theirs['error']}"
    if "error" in ours:
        return f"ours raised {ours['error']}, MLMD answered"
    if "error" in theirs:
        return f"MLMD raised {theirs['error']}, ours answered"
    return "different values: " + first_difference(ours["value"], theirs["value"])


@dataclasses.dataclass
class Divergence:
    """A call whose outcomes differ, with the calls that led to it."""

    label: str  # which sequence, e.g. "seed 12"
    index: int
    calls: List[Call]  # the sequence up to and including this call
    ours: Outcome
    theirs: Outcome
    history: List[Outcome]  # our outcomes of the calls before this one

    @property
    def call(self) -> Call:
        return self.calls[-1]

    @property
    def op(self) -> str:
        return self.call["op"]

    @property
    def summary(self) -> str:
        return f"{self.op}: {describe(self.ours, self.theirs)}"


@dataclasses.dataclass
class Comparison:
    """One sequence compared: how many calls were compared, how many agreed, and where they did not."""

    label: str
    compared: int
    agreed: int
    divergences: List[Divergence]
    message_differences: List[Divergence]


def compare(label: str, calls: List[Call], ours: List[Outcome], theirs: List[Outcome],
            goes_on_after: Callable[[Divergence], bool] = lambda divergence: False) -> Comparison:
    """Walks one sequence; stops at its first divergence unless `goes_on_after` it.

    A difference may leave the two stores holding different things, and a write that agreed may
    have stored different things (which a later read then shows), so by default nothing after the
    first divergence is compared. `goes_on_after` names the divergences known to leave the stores
    alike (a read that presents the same data differently), after which comparing stays meaningful.
    """
    compared = agreed = 0
    found: List[Divergence] = []
    messages: List[Divergence] = []
    for index, (made, mine, other) in enumerate(zip(calls, ours, theirs)):
        mine, other = comparable(made, mine), comparable(made, other)
        compared += 1
        if agree(mine, other):
            agreed += 1
            if "error" in mine and mine.get("message") != other.get("message"):
                messages.append(Divergence(label, index, calls[:index + 1], mine, other, ours[:index]))
            continue
        found.append(Divergence(label, index, calls[:index + 1], mine, other, ours[:index]))
        if made["op"] not in READ_OPS or not goes_on_after(found[-1]):
            break
    return Comparison(label, compared, agreed, found, messages)
