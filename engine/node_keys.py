"""Unique keys of nodes within one write call: who holds each one, element by element, in list order.

A node's unique keys are its external_id (one node of a kind per value) and its name within its type. MLMD
writes the elements of a call one at a time, so an element may take a key an earlier element of the same call
let go of, and fails when it takes a key another node holds at that moment: an insert with AlreadyExistsError,
an update with InternalError (the raw UNIQUE violation, as MLMD surfaces it).

We write a call in batches, so `KeyLedger` replays those rules over the nodes the call itself writes, whose
keys it knows. A clash with a stored node the call does not touch (which never lets its key go) is found by
the database's UNIQUE indexes when the batch is written; `first_stored_clash` names the earliest such element
when the order matters: after the write failed, when a later element fails its checks first, or when a key
was held only for a while within the call (its holder let it go again, so the written rows do not show it).
"""
from __future__ import annotations

from typing import AbstractSet, Dict, Iterable, List, NamedTuple, Optional, Tuple

from . import errors
from .backends.base import Cursor
from .catalog import NodeLayout
from .sqlutil import chunks, placeholders

# ("external_id", value) or ("name", type_id, name).
Key = Tuple[object, ...]


def keys_of(type_id: int, name: Optional[str], external_id: Optional[str]) -> Tuple[Key, ...]:
    """The unique keys a node with these fields holds; an unset name or external_id holds none ("" is a value).

    external_id first: a fixed order, in which a record taking both is reported for its external_id.
    """
    if external_id is None:
        return () if name is None else (("name", type_id, name),)
    return (("external_id", external_id),) if name is None else (("external_id", external_id), ("name", type_id, name))


class Take(NamedTuple):
    """Element `position` of the call made node `node_id` hold `key` (it did not before).

    The ledger keeps its takes as plain tuples of these fields (cheaper on every insert); `Take(*t)` names them.
    """

    position: int
    key: Key
    node_id: int
    is_insert: bool


def clash_error(layout: NodeLayout, take: Take, holder: str) -> errors.StatusError:
    """The error MLMD gives for `take` while `holder` (a description) holds the key, in MLMD's words first."""
    table = layout.table.capitalize()
    if take.key[0] == "external_id":
        constraint = f"UNIQUE constraint failed: {table}.external_id"
        what = f"external_id {take.key[1]!r} is held by {holder}"
    else:
        constraint = f"UNIQUE constraint failed: {table}.type_id, {table}.name"
        what = f"name {take.key[2]!r} of type {take.key[1]} is held by {holder}"
    if take.is_insert:
        return errors.AlreadyExistsError(
            f"Given node already exists: {what} ({constraint}; element {take.position} of the call)")
    return errors.InternalError(
        f"Error when executing query: {constraint} (cannot update {layout.noun} {take.node_id}: {what}; "
        f"element {take.position} of the call)")


class KeyLedger:
    """Who holds each unique key among the nodes one call writes, as its elements take effect in list order."""

    def __init__(self, layout: NodeLayout) -> None:
        self.layout = layout
        self.takes: List[Tuple[int, Key, int, bool]] = []  # each a Take's fields, in order
        # Whether a key taken in the call was let go again: the written rows will not show that take.
        self.held_for_a_while = False
        self._holder: Dict[Key, int] = {}
        self._new: Dict[int, int] = {}  # node id -> position, for the nodes this call inserts

    def holder(self, key: Key) -> Optional[int]:
        """The node of the call holding `key` now, if one does."""
        return self._holder.get(key)

    def hold(self, node_id: int, keys: Tuple[Key, ...]) -> None:
        """A stored node joins the call with the keys it holds before the call."""
        for key in keys:
            self._holder[key] = node_id

    def insert(self, position: int, node_id: int, keys: Tuple[Key, ...]) -> None:
        """Element `position` inserts node `node_id`, which takes `keys`.

        Raises:
          AlreadyExistsError: another node of the call holds one of them.
        """
        self._new[node_id] = position
        holders = self._holder
        for key in keys:  # the hot path of every insert: plain tuples, no Take until a clash
            if key in holders:
                raise clash_error(self.layout, Take(position, key, node_id, True), self._describe(holders[key]))
            holders[key] = node_id
            self.takes.append((position, key, node_id, True))

    def update(self, position: int, node_id: int, before: Tuple[Key, ...], after: Tuple[Key, ...]) -> None:
        """Element `position` takes node `node_id` from holding `before` to holding `after`.

        Raises:
          InternalError: another node of the call holds a key it takes.
        """
        if before == after:
            return
        for key in before:
            if key not in after and self._holder.get(key) == node_id:
                del self._holder[key]
                self.held_for_a_while = self.held_for_a_while or any(t[1] == key for t in self.takes)
        for key in after:
            if key in before:
                continue
            holder = self._holder.get(key)
            if holder is not None and holder != node_id:
                raise clash_error(self.layout, Take(position, key, node_id, False), self._describe(holder))
            self._holder[key] = node_id
            self.takes.append((position, key, node_id, False))

    def _describe(self, node_id: int) -> str:
        position = self._new.get(node_id)
        if position is not None:
            return f"the new {self.layout.noun} of element {position}"
        return f"{self.layout.noun} {node_id}"


def first_stored_clash(cur: Cursor, layout: NodeLayout, takes: Iterable[Tuple[int, Key, int, bool]],
                       touched: AbstractSet[int]) -> Optional[errors.StatusError]:
    """The error of the earliest take whose key a stored node outside `touched` (the call's nodes) holds."""
    named = sorted((Take(*t) for t in takes), key=lambda t: t.position)
    external_ids = sorted({str(t.key[1]) for t in named if t.key[0] == "external_id"})
    names = sorted({str(t.key[2]) for t in named if t.key[0] == "name"})
    holders: Dict[Key, int] = {}
    for batch in chunks(external_ids):
        for node_id, external_id in cur.execute(
                f"SELECT id, external_id FROM {layout.table} WHERE external_id IN ({placeholders(batch)})", batch):
            if node_id not in touched:
                holders[("external_id", external_id)] = node_id
    for batch in chunks(names):
        for node_id, type_id, name in cur.execute(
                f"SELECT id, type_id, name FROM {layout.table} WHERE name IN ({placeholders(batch)})", batch):
            if node_id not in touched:
                holders[("name", type_id, name)] = node_id
    for take in named:
        if take.key in holders:
            return clash_error(layout, take, f"{layout.noun} {holders[take.key]}")
    return None
