"""Access paths: which part of a compiled filter finds the nodes, and which parts only test them.

A filter (planner.FilterSql) is a condition on the node's own columns (`plain`) and groups that join other
rows. Any of them that an index can answer may drive: its ids are found first, and each is then tested
against the rest, every group as an EXISTS probe (a few index seeks a node). The driver is the candidate
whose rows cost least to read and test (each of its rows, and a probe of every other group), its rows
estimated by a bounded index dive: count at most `cap` rows of its SELECT, first with
a small cap, then a larger one, as MySQL's optimizer dives into index ranges (a candidate under the small
cap drives at once: no other could save more probes than diving into it would cost). A dive is exact for small
answers and a lower bound for large ones; it is never stale, even right after a bulk load, and costs
writes nothing. When every candidate is large, a page walks the listing's own order (the primary key or
a time index) and probes each node it meets, so a page costs the same wherever it starts, unless a deeper dive
shows that driving from one candidate reads fewer nodes than the walk would (_walk_or_drive).

Whether a candidate can seek at all comes from the database's own plan of it (Backend.plan_seeks: on SQLite,
EXPLAIN QUERY PLAN shows no SCAN of a table): a dive into a candidate that would scan could cost the whole
table, so such a candidate never drives.

Each store keeps a `History`: a filter shape whose dives keep choosing the same path takes it without
diving, and checks again every RECHECK-th run.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Tuple

from .backends.base import Backend, Cursor, of
from .planner import FilterSql

DIVE_CAPS = (64, 1024)  # rows counted by the first and the second dive of each candidate
WALK_DIVE_CAP = 16_384  # a page weighs walking against driving from a candidate counted up to this many rows
MAX_DIVED = 8  # candidates dived into, in the order of the filter; the others only probe
PLAIN = -1  # Choice.driver: the condition on the node's own columns drives
LIMITED_PAGE = 10_000  # a page of at most this many rows may walk; a larger one (a whole listing) does not
Candidate = Tuple[int, str, str, slice]  # a possible driver: key, label, its SELECT of ids, its parameters' slice


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


@dataclass  # not frozen: one is made on every run, and a frozen dataclass is slower to make
class Access:
    """A filter as one WHERE condition on alias `n`, and whether the listing's order must drive (`walk`)."""

    condition: str
    params: List[object]
    walk: bool
    choice: Choice

    def from_item(self, backend: Backend, table: str, order_column: str) -> str:
        """The FROM item of a listing of `table` (alias `n`) in `order_column`'s order, under this access path."""
        return listing_source(backend, table, order_column, self.walk)


def listing_source(backend: Backend, table: str, order_column: str, walk: bool) -> str:
    """The FROM item of a listing of `table` (alias `n`): when it `walk`s, `order_column`'s index drives."""
    return backend.walk_in_order(table, "n", order_column) if walk else f"{table} n"


class Prepared:
    """What every run of one compiled filter shares: its candidates, and its condition for each driver.

    Built once per FilterSql (plans are cached, so the same object comes back for the same text or shape);
    a run then only slices its parameters.
    """

    def __init__(self, filter_sql: FilterSql) -> None:
        self.filter_sql = filter_sql
        at = filter_sql.plain_params
        self.plain = slice(0, at)
        self.drivers: List[slice] = []
        self.probes: List[slice] = []
        for group in filter_sql.groups:
            self.drivers.append(slice(at, at + group.driver_params))
            at += group.driver_params
            self.probes.append(slice(at, at + group.probe_params))
            at += group.probe_params
        self.candidates: List[Tuple[int, str, str, slice]] = []
        if filter_sql.plain:
            self.candidates.append((PLAIN, "own columns", _plain_select(filter_sql), self.plain))
        self.candidates += [(index, group.label, group.driver, self.drivers[index])
                            for index, group in enumerate(filter_sql.groups)]
        # Each union's SELECTs with their parameters' slices, for dives that count them apart (`_dive_candidate`).
        self.branches: Dict[int, List[Tuple[str, slice]]] = {}
        for index, group in enumerate(filter_sql.groups):
            start = self.drivers[index].start
            for select, count in group.branches:
                self.branches.setdefault(index, []).append((select, slice(start, start + count)))
                start += count
        self._conditions: Dict[Optional[int], Tuple[str, Tuple[slice, ...]]] = {}
        # A LIKE pattern changes SQLite's plan with its value: such a filter on own columns is left to SQLite (and
        # to PostgreSQL, whose LIKE is ILIKE).
        self.has_like = " LIKE " in filter_sql.plain or " ILIKE " in filter_sql.plain
        self.sorts: Dict[Hashable, bool] = {}  # by listing shape: SQLite's plan for the own-column filter sorts

    def condition(self, driver: Optional[int]) -> Tuple[str, Tuple[slice, ...]]:
        """The WHERE condition when `driver` drives, and the slices of the parameters it takes, in order."""
        found = self._conditions.get(driver)
        if found is None:
            terms: List[str] = []
            slices: List[slice] = []
            plain = self.filter_sql.plain
            pushed = bool(plain) and driver is not None and driver != PLAIN
            if plain and not pushed:
                terms.append(plain)
                slices.append(self.plain)
            for index, group in enumerate(self.filter_sql.groups):
                if index == driver and pushed:
                    # The own columns tested as the group's ids are found, before they go into the IN list:
                    # the list (a temporary B-tree SQLite builds) then holds only the nodes that pass.
                    terms.append(f"n.id IN (SELECT n.id FROM ({group.driver}) AS d JOIN {self.filter_sql.table} n "
                                 f"ON n.id = d.id WHERE {plain})")
                    slices += [self.drivers[index], self.plain]
                elif index == driver:
                    terms.append(f"n.id IN ({group.driver})")
                    slices.append(self.drivers[index])
                else:
                    terms.append(group.probe)
                    slices.append(self.probes[index])
            condition = terms[0] if len(terms) == 1 else " AND ".join(f"({t})" for t in terms)
            found = self._conditions[driver] = (condition, tuple(slices))
        return found


_PREPARED: Dict[int, Prepared] = {}  # by id(): hashing a FilterSql hashes all of its SQL text on every run


def prepared(filter_sql: FilterSql) -> Prepared:
    """The Prepared of this very FilterSql object (the plan cache hands out the same object for a text or shape)."""
    found = _PREPARED.get(id(filter_sql))
    if found is not None and found.filter_sql is filter_sql:  # holding the object keeps its id from reuse
        return found
    if len(_PREPARED) >= 4096:
        _PREPARED.clear()
    found = _PREPARED[id(filter_sql)] = Prepared(filter_sql)
    return found


class _QueryPlans:
    """One backend's plans of statements, by their text (unless the backend says a statement's plan depends on
    its values: on SQLite, through LIKE patterns)."""

    def __init__(self, backend: Backend, size: int = 1024) -> None:
        self.backend = backend
        self._known: "OrderedDict[str, Tuple[str, ...]]" = OrderedDict()
        self._seeks: Dict[str, bool] = {}
        self._sorts: Dict[str, bool] = {}
        self._carries: Dict[str, bool] = {}
        self._size = size
        self._lock = threading.Lock()

    def details(self, cur: Cursor, sql: str, params: Sequence[object]) -> Tuple[str, ...]:
        cacheable = not self.backend.plan_depends_on_values(sql)
        found = self._known.get(sql) if cacheable else None
        if found is not None:
            return found
        found = self.backend.plan_details(cur, sql, params)
        if cacheable:
            with self._lock:
                self._known[sql] = found
                if len(self._known) > self._size:
                    self._known.popitem(last=False)
                    self._seeks.clear()
                    self._sorts.clear()
                    self._carries.clear()
        return found

    def seeks(self, cur: Cursor, sql: str, params: Sequence[object]) -> bool:
        """No table is scanned: every row the statement reads, an index finds."""
        return self._judged(self._seeks, self.backend.plan_seeks, cur, sql, params)

    def sorts(self, cur: Cursor, sql: str, params: Sequence[object]) -> bool:
        """The statement collects its rows to sort them: it cannot stop at its LIMIT."""
        return self._judged(self._sorts, self.backend.plan_sorts, cur, sql, params)

    def carries_rows(self, cur: Cursor, sql: str, params: Sequence[object]) -> bool:
        """The statement copies its result rows through a temporary table (Backend.plan_carries_rows)."""
        return self._judged(self._carries, self.backend.plan_carries_rows, cur, sql, params)

    def _judged(self, known: Dict[str, bool], judge: Callable[[Sequence[str]], bool], cur: Cursor, sql: str,
                params: Sequence[object]) -> bool:
        found = known.get(sql)
        if found is None:
            found = judge(self.details(cur, sql, params))
            if not self.backend.plan_depends_on_values(sql):
                known[sql] = found  # a dictionary of booleans as bounded as _known: cleared with it
        return found


# Plans depend on the schema only, which every store of this version on one backend shares.
_PLANS: Dict[Backend, _QueryPlans] = {}
_PLANS_LOCK = threading.Lock()


def plans(cur: Cursor) -> _QueryPlans:
    """The plan readings of the backend `cur` reads."""
    backend = of(cur)
    found = _PLANS.get(backend)
    if found is None:
        with _PLANS_LOCK:
            found = _PLANS.setdefault(backend, _QueryPlans(backend))
    return found


def _plain_select(filter_sql: FilterSql) -> str:
    return f"SELECT n.id FROM {filter_sql.table} n WHERE {filter_sql.plain}"


def _dive(cur: Cursor, select: str, params: Sequence[object], cap: int) -> int:
    return cur.execute(f"SELECT count(*) FROM ({select} LIMIT {cap}) AS dived", params).fetchone()[0]


def _dive_candidate(cur: Cursor, filter_sql: FilterSql, candidate: Candidate, params: Sequence[object],
                    cap: int) -> int:
    """`_dive` of a candidate's rows. A union's rows are counted a SELECT at a time, each up to what the cap
    leaves, where the database builds a union whole before its LIMIT applies (MariaDB: 40 ms for 64 rows of a
    random filter's OR, as for 1,024): the same count, a UNION ALL's rows being its SELECTs' rows."""
    key, _, select, part = candidate
    branches = prepared(filter_sql).branches.get(key) if of(cur).dives_union_by_branch else None
    if not branches:
        return _dive(cur, select, params[part], cap)
    total = 0
    for branch, branch_part in branches:
        total += _dive(cur, branch, params[branch_part], cap - total)
        if total >= cap:
            break
    return total


DATABASES_OWN = Choice(PLAIN, (), "the filter joins nothing: the database seeks or scans the node table by itself")


def choose(cur: Cursor, filter_sql: FilterSql, params: Sequence[object], limited: bool,
           page_size: Optional[int] = None) -> Choice:
    """The access path for this filter and these values on the store `cur` reads.

    `limited`: the caller reads one page (it may stop early), so walking the listing order is an option;
    `page_size`, when known, lets a page whose every part is large weigh that walk against driving.
    """
    if not filter_sql.groups:
        return DATABASES_OWN
    estimates: List[Estimate] = []
    seeking = []
    for key, label, select, part in prepared(filter_sql).candidates:
        if plans(cur).seeks(cur, select, params[part]):
            seeking.append((key, label, select, part))
        else:
            estimates.append(Estimate(key, label, None, False, False))
    if not seeking:
        return Choice(None, tuple(estimates), "no part of the filter can seek an index: walk the listing order")
    if len(seeking) == 1 and not limited:
        key, label = seeking[0][:2]
        return Choice(key, tuple(estimates + [Estimate(key, label, None, False, True)]),
                      f"{label} is the only part that seeks")
    dived = seeking[:MAX_DIVED]
    counts: Dict[int, int] = {}
    to_dive = dived
    for cap in DIVE_CAPS:
        for candidate in to_dive:
            key, label = candidate[:2]
            counts[key] = _dive_candidate(cur, filter_sql, candidate, params, cap)
            if counts[key] < DIVE_CAPS[0]:
                # Few enough to drive: another candidate could save at most that many probes, less than
                # diving into it would cost.
                return Choice(key, _estimates(estimates, dived, counts, cap), f"{label} selects {counts[key]} nodes")
        # A count at the cap is a lower bound: the cheapest candidate drives if its count is exact.
        best = _cheapest(filter_sql, dived, counts)
        if counts[best[0]] < cap:
            return Choice(best[0], _estimates(estimates, dived, counts, cap), _costs_least(filter_sql, best, counts))
        to_dive = [c for c in dived if counts[c[0]] >= cap]
    cap = DIVE_CAPS[-1]
    final = _estimates(estimates, dived, counts, cap)
    exact = [c for c in dived if counts[c[0]] < cap]
    if limited and not exact:
        if page_size is not None:
            return _walk_or_drive(cur, filter_sql, params, estimates, dived, counts, page_size)
        return Choice(None, final, f"every part selects {cap} nodes or more: walk the listing order, "
                                   "testing each node, until the page is full")
    best = _cheapest(filter_sql, exact or dived, counts)
    if exact:
        return Choice(best[0], final, _costs_least(filter_sql, best, counts))
    return Choice(best[0], final, f"every part selects {cap} nodes or more: {best[1]} drives, "
                                  f"{_node_cost(filter_sql, best[0]) - 1} probe seeks each")


def _walk_or_drive(cur: Cursor, filter_sql: FilterSql, params: Sequence[object], known: List[Estimate],
                   dived: Sequence[Candidate], counts: Dict[int, int], page_size: int) -> Choice:
    """A page whose every part selects DIVE_CAPS[-1] nodes or more: walk the listing order, or drive?

    Walking stops when the page is full, after about page_size / (the share of the table that matches) nodes,
    the share taken as the product of each part's share (as if they were independent). Two parts of 10% each
    make a page of 100 walk 10,000 nodes, where driving from either reads a tenth of the table: so each part
    is counted on, up to WALK_DIVE_CAP, and a part with an exact count drives if that costs less than the walk.
    Unless the counts so far settle it: counting on only makes each share larger (a shorter walk) and each
    drive longer, so a walk no longer than the cheapest drive at those counts wins without another dive (one
    part of a tenth of the table: a union of ORs counted to 7k rows took a random filter 100 ms on MariaDB).
    """
    nodes = max(cur.execute(f"SELECT max(id) FROM {filter_sql.table}").fetchone()[0] or 0, 1)
    longest_walk = page_size / _share(dived, counts, nodes)
    shortest_drive = min(counts[key] * _node_cost(filter_sql, key) for key, _, _, _ in dived)
    if longest_walk <= shortest_drive:
        return Choice(None, _estimates(known, dived, counts, DIVE_CAPS[-1]),
                      f"walk the listing order: at most about {longest_walk:.0f} nodes for the page, where each part "
                      f"selects {DIVE_CAPS[-1]} nodes or more")
    for candidate in dived:
        counts[candidate[0]] = _dive_candidate(cur, filter_sql, candidate, params, WALK_DIVE_CAP)
    final = _estimates(known, dived, counts, WALK_DIVE_CAP)
    exact = [c for c in dived if counts[c[0]] < WALK_DIVE_CAP]
    if exact:
        walked = page_size / _share(dived, counts, nodes)
        best = _cheapest(filter_sql, exact, counts)
        if counts[best[0]] * _node_cost(filter_sql, best[0]) < walked:
            return Choice(best[0], final, f"{_costs_least(filter_sql, best, counts)}, where a walk of the listing "
                                          f"order would read about {walked:.0f} nodes for the page")
        return Choice(None, final, f"walk the listing order: about {walked:.0f} nodes for the page, where "
                                   f"{best[1]} would read {counts[best[0]]} nodes")
    return Choice(None, final, f"every part selects {WALK_DIVE_CAP} nodes or more: walk the listing order, "
                               "testing each node, until the page is full")


def _share(dived: Sequence[Candidate], counts: Dict[int, int], nodes: int) -> float:
    """The share of the table's `nodes` that every dived part matches, the parts taken as independent."""
    share = 1.0
    for key, _, _, _ in dived:
        share *= min(counts[key] / nodes, 1.0)
    return share


def _cheapest(filter_sql: FilterSql, candidates: Sequence[Candidate], counts: Dict[int, int]) -> Candidate:
    """The candidate whose counted rows cost least to read and test (_node_cost each)."""
    return min(candidates, key=lambda c: counts[c[0]] * _node_cost(filter_sql, c[0]))


def _costs_least(filter_sql: FilterSql, best: Candidate, counts: Dict[int, int]) -> str:
    return f"{best[1]} costs least: {counts[best[0]]} nodes, {_node_cost(filter_sql, best[0]) - 1} probe seeks each"


PROBE_SEEKS = 2  # index seeks an EXISTS probe of a group costs a node (a link or event row, then its target)


def _node_cost(filter_sql: FilterSql, driver: int) -> int:
    """The reads each node `driver` finds costs: its own row, and a probe of every group that does not drive.

    The own-column condition is tested on the row at no cost: driving from a group can beat driving from
    fewer nodes whose every group must be probed.
    """
    probes = len(filter_sql.groups) - (0 if driver == PLAIN else 1)
    return 1 + PROBE_SEEKS * probes


def _estimates(known: List[Estimate], dived: Sequence[Candidate], counts: Dict[int, int],
               cap: int) -> Tuple[Estimate, ...]:
    found = [Estimate(key, label, counts.get(key), counts.get(key, 0) >= cap, True) for key, label, _, _ in dived]
    return tuple(known + found)


def compose(filter_sql: FilterSql, params: Sequence[object], choice: Choice) -> Access:
    """The WHERE condition for `choice`: the driving group as an IN list, every other group as a probe."""
    condition, slices = prepared(filter_sql).condition(choice.driver)
    values = list(params[slices[0]]) if len(slices) == 1 else [value for part in slices for value in params[part]]
    return Access(condition, values, choice.driver is None, choice)


class History:
    """One store's recent choices for each filter shape: a shape whose dives keep choosing alike stops diving.

    Programs run the same filter shapes again and again with other values (a run's artifacts, a type's
    page); once SETTLED runs of a shape in a row chose the same path, the next runs take it without diving,
    and every RECHECK-th run dives again, so a store whose data changed is noticed. A settled path is a
    guess for values it has not seen; every path gives the same answer, only its cost can differ.
    """

    SETTLED = 4
    RECHECK = 64

    def __init__(self, size: int = 512) -> None:
        self._runs: "OrderedDict[Tuple[int, int], _Runs]" = OrderedDict()  # by (id of the Prepared, page size)
        self._size = size

    def settled(self, key: Tuple[int, int], owner: Prepared) -> Optional[Choice]:
        runs = self._runs.get(key)
        if runs is None or runs.owner is not owner or runs.streak < self.SETTLED:
            return None
        runs.uses += 1
        return None if runs.uses % self.RECHECK == 0 else runs.choice

    def record(self, key: Tuple[int, int], owner: Prepared, choice: Choice) -> None:
        runs = self._runs.get(key)
        if runs is not None and runs.owner is owner and runs.choice.driver == choice.driver:
            runs.streak += 1
            runs.choice = choice
            return
        self._runs[key] = _Runs(owner, choice)
        if len(self._runs) > self._size:
            self._runs.popitem(last=False)


@dataclass
class _Runs:
    """One filter shape's recent runs on a store: the path they chose, how many in a row, how often reused."""

    owner: Prepared  # held so that the id in the key is never reused while this entry lives
    choice: Choice
    streak: int = 1
    uses: int = 0


def plan_access(cur: Cursor, filter_sql: FilterSql, params: Sequence[object], page_size: int,
                listing: Optional[Callable[[Access], Tuple[str, List[object]]]] = None,
                history: Optional[History] = None, listing_shape: Optional[Hashable] = None) -> Access:
    """The access path for a listing that reads at most `page_size` rows; `listing` makes its statement.

    A filter on the node's own columns alone is left to SQLite, unless its plan would collect every match
    to sort it for one page: then, if it matches many nodes, the page walks the listing order instead.
    With a `history`, a filter shape that keeps choosing the same path takes it without diving.
    `listing_shape` names the listing statement apart from its values, to remember whether SQLite sorts it.
    """
    limited = page_size <= LIMITED_PAGE
    owner = prepared(filter_sql)
    if not filter_sql.groups:  # the common point filters (name, id, uri): as little work as can be
        access = Access(filter_sql.plain, list(params), False, DATABASES_OWN)
        if not limited or listing is None or owner.has_like:
            return access
        sorts = owner.sorts.get(listing_shape) if listing_shape is not None else None
        if sorts is None:
            sorts = plans(cur).sorts(cur, *listing(access))
            if listing_shape is not None:
                owner.sorts[listing_shape] = sorts
        if not sorts:
            return access
    key = (id(owner), page_size if limited else 0)
    if not filter_sql.settles:
        history = None
    if history is not None:
        settled = history.settled(key, owner)
        if settled is not None:
            return compose(filter_sql, params, settled)
    access = _plan(cur, filter_sql, params, page_size, limited, listing)
    if history is not None:
        history.record(key, owner, access.choice)
    return access


def _plan(cur: Cursor, filter_sql: FilterSql, params: Sequence[object], page_size: int, limited: bool,
          listing: Optional[Callable[[Access], Tuple[str, List[object]]]]) -> Access:
    access = compose(filter_sql, params, choose(cur, filter_sql, params, limited, page_size if limited else None))
    if filter_sql.groups or not limited or listing is None:
        return access
    select, plain = _plain_select(filter_sql), list(params[:filter_sql.plain_params])
    if plans(cur).seeks(cur, select, plain):
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
