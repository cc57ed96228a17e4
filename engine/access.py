"""Access paths: which part of a compiled filter finds the nodes, and which parts only test them.

A filter (planner.FilterSql) is a condition on the node's own columns (`plain`) and groups that join other
rows. Any of them that an index can answer may drive: its ids are found first, and each is then tested
against the rest, every group as an EXISTS probe (a few index seeks a node). The driver is the candidate
with the fewest rows, estimated by a bounded index dive: count at most `cap` rows of its SELECT, first with
a small cap, then a larger one, as MySQL's optimizer dives into index ranges (a candidate under the small
cap drives at once: no other could save more probes than diving into it would cost). A dive is exact for small
answers and a lower bound for large ones; it is never stale, even right after a bulk load, and costs
writes nothing. When every candidate is large, a page walks the listing's own order (the primary key or
a time index) and probes each node it meets, so a page costs the same wherever it starts.

Whether a candidate can seek at all comes from SQLite's EXPLAIN QUERY PLAN (no SCAN of a table): a dive
into a candidate that would scan could cost the whole table, so such a candidate never drives.
"""
from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from .planner import FilterSql

DIVE_CAPS = (64, 1024)  # rows counted by the first and the second dive of each candidate
MAX_DIVED = 8  # candidates dived into, in the order of the filter; the others only probe
PLAIN = -1  # Choice.driver: the condition on the node's own columns drives
LIMITED_PAGE = 10_000  # a page of at most this many rows may walk; a larger one (a whole listing) does not


@dataclass(frozen=True)
class Estimate:
    """What the planner knows of one candidate driver: its rows (counted up to a cap), or why it cannot drive."""

    key: int  # the group's index, or PLAIN
    label: str
    rows: Optional[int]  # None: not dived
    capped: bool  # rows is the cap: the candidate has at least that many
    seekable: bool


@dataclass(frozen=True)
class Choice:
    """The access path for one run of a filter: `driver` (a group's index, PLAIN, or None to walk the order)."""

    driver: Optional[int]
    estimates: Tuple[Estimate, ...]
    reason: str


@dataclass(frozen=True)
class Access:
    """A filter as one WHERE condition on alias `n`, and whether the listing's order must drive (`walk`)."""

    condition: str
    params: List[object]
    walk: bool
    choice: Choice


@dataclass(frozen=True)
class _Parts:
    plain: List[object]
    drivers: List[List[object]]
    probes: List[List[object]]


def _parts(filter_sql: FilterSql, params: Sequence[object]) -> _Parts:
    at = filter_sql.plain_params
    plain, drivers, probes = list(params[:at]), [], []
    for group in filter_sql.groups:
        drivers.append(list(params[at:at + group.driver_params]))
        at += group.driver_params
        probes.append(list(params[at:at + group.probe_params]))
        at += group.probe_params
    return _Parts(plain, drivers, probes)


class _QueryPlans:
    """SQLite's EXPLAIN QUERY PLAN of a statement, by its text (values change a plan only through LIKE patterns)."""

    def __init__(self, size: int = 1024) -> None:
        self._known: "OrderedDict[str, Tuple[str, ...]]" = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def details(self, cur: sqlite3.Cursor, sql: str, params: Sequence[object]) -> Tuple[str, ...]:
        cacheable = " LIKE " not in sql
        found = self._known.get(sql) if cacheable else None
        if found is not None:
            return found
        found = tuple(row[-1] for row in cur.execute("EXPLAIN QUERY PLAN " + sql, params))
        if cacheable:
            with self._lock:
                self._known[sql] = found
                if len(self._known) > self._size:
                    self._known.popitem(last=False)
        return found

    def seeks(self, cur: sqlite3.Cursor, sql: str, params: Sequence[object]) -> bool:
        """No table is scanned: every row the statement reads, an index finds."""
        return not any(d.startswith("SCAN ") and "CONSTANT ROW" not in d and "VIRTUAL TABLE INDEX" not in d
                       for d in self.details(cur, sql, params))

    def sorts(self, cur: sqlite3.Cursor, sql: str, params: Sequence[object]) -> bool:
        """The statement collects its rows to sort them: it cannot stop at its LIMIT."""
        return any("TEMP B-TREE" in d for d in self.details(cur, sql, params))


PLANS = _QueryPlans()  # plans depend on the schema only, which every store of this version shares


def _plain_select(filter_sql: FilterSql) -> str:
    return f"SELECT n.id FROM {filter_sql.table} n WHERE {filter_sql.plain}"


def _dive(cur: sqlite3.Cursor, select: str, params: Sequence[object], cap: int) -> int:
    return cur.execute(f"SELECT count(*) FROM ({select} LIMIT {cap})", params).fetchone()[0]


def choose(cur: sqlite3.Cursor, filter_sql: FilterSql, params: Sequence[object], limited: bool) -> Choice:
    """The access path for this filter and these values on the store `cur` reads.

    `limited`: the caller reads one page (it may stop early), so walking the listing order is an option.
    """
    if not filter_sql.groups:
        return Choice(PLAIN, (), "the filter joins nothing: SQLite seeks or scans the node table by itself")
    parts = _parts(filter_sql, params)
    candidates: List[Tuple[int, str, str, List[object]]] = []
    estimates: List[Estimate] = []
    if filter_sql.plain:
        candidates.append((PLAIN, "own columns", _plain_select(filter_sql), parts.plain))
    for index, group in enumerate(filter_sql.groups):
        candidates.append((index, group.label, group.driver, parts.drivers[index]))
    seeking = []
    for key, label, select, select_params in candidates:
        if PLANS.seeks(cur, select, select_params):
            seeking.append((key, label, select, select_params))
        else:
            estimates.append(Estimate(key, label, None, False, False))
    if not seeking:
        return Choice(None, tuple(estimates), "no part of the filter can seek an index: walk the listing order")
    if len(seeking) == 1 and not limited:
        key, label = seeking[0][:2]
        return Choice(key, tuple(estimates + [Estimate(key, label, None, False, True)]),
                      f"{label} is the only part that seeks")
    dived = seeking[:MAX_DIVED]
    counts = {}
    for cap in DIVE_CAPS:
        for key, label, select, select_params in dived:
            counts[key] = _dive(cur, select, select_params, cap)
            if counts[key] < DIVE_CAPS[0]:
                # Few enough to drive: another candidate could save at most that many probes, less than
                # diving into it would cost.
                return Choice(key, _estimates(estimates, dived, counts, cap), f"{label} selects {counts[key]} nodes")
        best = min(dived, key=lambda c: counts[c[0]])
        if counts[best[0]] < cap:
            return Choice(best[0], _estimates(estimates, dived, counts, cap),
                          f"{best[1]} selects fewest nodes ({counts[best[0]]})")
        dived = [c for c in dived if counts[c[0]] >= cap]
    cap = DIVE_CAPS[-1]
    final = _estimates(estimates, seeking[:MAX_DIVED], counts, cap)
    if limited:
        return Choice(None, final, f"every part selects {cap} nodes or more: walk the listing order, "
                                   "testing each node, until the page is full")
    return Choice(seeking[0][0], final, f"every part selects {cap} nodes or more: {seeking[0][1]} drives")


def _estimates(known: List[Estimate], dived: Sequence[Tuple[int, str, str, List[object]]], counts: dict,
               cap: int) -> Tuple[Estimate, ...]:
    found = [Estimate(key, label, counts.get(key), counts.get(key, 0) >= cap, True) for key, label, _, _ in dived]
    return tuple(known + found)


def compose(filter_sql: FilterSql, params: Sequence[object], choice: Choice) -> Access:
    """The WHERE condition for `choice`: the driving group as an IN list, every other group as a probe."""
    parts = _parts(filter_sql, params)
    terms: List[str] = []
    values: List[object] = []
    if filter_sql.plain:
        terms.append(filter_sql.plain)
        values += parts.plain
    for index, group in enumerate(filter_sql.groups):
        if index == choice.driver:
            terms.append(f"n.id IN ({group.driver})")
            values += parts.drivers[index]
        else:
            terms.append(group.probe)
            values += parts.probes[index]
    condition = terms[0] if len(terms) == 1 else " AND ".join(f"({t})" for t in terms)
    return Access(condition, values, choice.driver is None, choice)


def plan_access(cur: sqlite3.Cursor, filter_sql: FilterSql, params: Sequence[object], page_size: int,
                listing: Optional[Callable[[Access], Tuple[str, List[object]]]] = None) -> Access:
    """The access path for a listing that reads at most `page_size` rows; `listing` makes its statement.

    A filter on the node's own columns alone is left to SQLite, unless its plan would collect every match
    to sort it for one page: then, if it matches many nodes, the page walks the listing order instead.
    """
    limited = page_size <= LIMITED_PAGE
    access = compose(filter_sql, params, choose(cur, filter_sql, params, limited))
    if filter_sql.groups or not limited or listing is None or not PLANS.sorts(cur, *listing(access)):
        return access
    select, plain = _plain_select(filter_sql), list(params[:filter_sql.plain_params])
    if PLANS.seeks(cur, select, plain):
        rows = _dive(cur, select, plain, DIVE_CAPS[-1])
        if rows < DIVE_CAPS[-1]:
            estimate = Estimate(PLAIN, "own columns", rows, False, True)
            return compose(filter_sql, params, Choice(PLAIN, (estimate,), f"own columns select {rows} nodes"))
        estimates: Tuple[Estimate, ...] = (Estimate(PLAIN, "own columns", rows, True, True),)
    else:
        estimates = (Estimate(PLAIN, "own columns", None, False, False),)
    return compose(filter_sql, params, Choice(None, estimates, "the filter's own-column index would collect every "
                                                             "match to sort it: walk the listing order instead"))


def probing(filter_sql: FilterSql, params: Sequence[object]) -> Tuple[str, List[object]]:
    """The filter as a test of given nodes: every group a probe (for callers that bring their own ids)."""
    access = compose(filter_sql, params, Choice(None, (), "the caller's nodes drive"))
    return access.condition, access.params
