"""Node reads: encoded bodies by id, type, name, uri, external id and context, and paged listings."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from . import errors
from .access import Access, listing_source, plans
from .backends.base import Backend, Cursor, of
from .catalog import NodeLayout, TypeKind
from .sqlutil import CHUNK, chunks, placeholders

# ListOperationOptions.OrderByField.Field numbers -> sort column.
ORDER_COLUMNS = {1: "create_time", 2: "update_time", 3: "id"}


def bodies_where(cur: Cursor, layout: NodeLayout, where: str, params: Sequence[object]) -> List[bytes]:
    """Encoded nodes matching an engine-written condition, ascending id."""
    return [row[0] for row in cur.execute(f"SELECT body FROM {layout.table} WHERE {where} ORDER BY id", params)]


def bodies_by_ids(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> List[bytes]:
    """Encoded nodes with these ids, ascending id, duplicates collapsed, unknown ids skipped."""
    unique = sorted({int(i) for i in ids})
    if len(unique) <= CHUNK:
        return bodies_where(cur, layout, f"id IN ({placeholders(unique)})", unique) if unique else []
    found: List[Tuple[int, bytes]] = []
    for batch in chunks(unique):
        found += cur.execute(f"SELECT id, body FROM {layout.table} WHERE id IN ({placeholders(batch)})",
                             batch).fetchall()
    found.sort()
    return [body for _, body in found]


def type_ids_of(cur: Cursor, layout: NodeLayout, ids: Sequence[int]) -> List[int]:
    """The distinct type ids of these nodes, in the order of each type's first node by id (as MLMD lists them)."""
    unique = sorted({int(i) for i in ids})
    rows: List[Tuple[int, int]] = []
    for batch in chunks(unique):
        rows += cur.execute(f"SELECT id, type_id FROM {layout.table} WHERE id IN ({placeholders(batch)})",
                            batch).fetchall()
    rows.sort()
    return list(dict.fromkeys(type_id for _, type_id in rows))


def bodies_by_external_ids(cur: Cursor, layout: NodeLayout, external_ids: Sequence[str]) -> List[bytes]:
    """Encoded nodes with these external ids; [] for no input, NotFoundError when none matches."""
    if not external_ids:
        return []
    found: List[Tuple[int, bytes]] = []
    for batch in chunks(list(dict.fromkeys(external_ids))):
        found += cur.execute(
            f"SELECT id, body FROM {layout.table} WHERE external_id IN ({placeholders(batch)})", batch).fetchall()
    if not found:
        raise errors.NotFoundError(
            f"No {layout.noun}s found for external_ids. No {layout.noun} has any of the given external ids")
    found.sort()
    return [body for _, body in found]


@dataclass(frozen=True)
class Scope:
    """Restricts a listing to the nodes linked to one context (get_*_by_context)."""

    link_table: str  # "attribution" / "association"
    node_column: str  # "artifact_id" / "execution_id"
    context_id: int

    @staticmethod
    def of_context(layout: NodeLayout, context_id: Optional[int]) -> Optional["Scope"]:
        """The scope of `layout`'s nodes linked to `context_id` (None: no scope)."""
        if context_id is None:
            return None
        if layout.kind == TypeKind.ARTIFACT:
            return Scope("attribution", "artifact_id", context_id)
        return Scope("association", "execution_id", context_id)


@dataclass(frozen=True)
class PageAfter:
    """Where the previous page ended: the sort value and id of its last row."""

    field_value: int
    node_id: int


def listing_sql(
    backend: Backend,
    layout: NodeLayout,
    page_size: int,
    order_field: int,
    is_asc: bool,
    after: Optional[PageAfter],
    scope: Optional[Scope] = None,
    access: Optional[Access] = None,
    paged: bool = True,
    ids_first: bool = False,
) -> Tuple[str, List[object]]:
    """The SELECT of a listing in (sort column, id) order.

    `paged`: one page, (body, id, sort value) rows, one more than `page_size` (to tell whether more follow);
    otherwise the bodies alone, at most `page_size` of them (see stream).
    `access` is the filter, as access.py planned it for this page; when it walks, the order's index drives.
    `ids_first`: on a backend that `sorts_ids_apart`, a listing of every match too selects its ids first and
    reads the bodies by id after (as a page always does there; see `listed_in_order`).
    """
    column = ORDER_COLUMNS[order_field]
    params: List[object] = []
    if scope is not None:
        params.append(scope.context_id)
    if access is not None:
        params.extend(access.params)
    if after is not None:
        params += [after.node_id] if column == "id" else [after.field_value, after.field_value, after.node_id]
    params.append(page_size + 1 if paged else page_size)
    # A page of a context's nodes stays one statement unless `ids_first` asks (by id it walks the link table's key).
    sql = _listing_text(backend, layout.table, column, is_asc, after is not None, scope,
                        None if access is None else access.condition, access is not None and access.walk, paged,
                        backend.sorts_ids_apart and (ids_first or (page_size < UNLIMITED and scope is None)))
    return sql, params


def listed_in_order(cur: Cursor, page_size: int, listing: Callable[[bool], Tuple[str, List[object]]]
                    ) -> Tuple[str, List[object]]:
    """A listing's statement, `listing(ids_first)`: on a backend that sorts ids apart, a listing of every match
    reads its ids first where the database's plan would carry the bodies through a temporary table (MariaDB
    sorting a join's matches: a context's nodes of one type 1.33k -> 1.54k calls/s); elsewhere it reads the
    bodies with the ids, which a point filter's few rows do faster."""
    sql, params = listing(False)
    backend = of(cur)
    if (backend.sorts_ids_apart and page_size >= UNLIMITED and not backend.plan_depends_on_values(sql)
            and plans(cur).carries_rows(cur, sql, params)):
        return listing(True)
    return sql, params


@functools.lru_cache(maxsize=1024)
def _listing_text(backend: Backend, table: str, column: str, is_asc: bool, resumes: bool, scope: Optional[Scope],
                  condition: Optional[str], walk: bool, paged: bool, ids_first: bool) -> str:
    """listing_sql's statement: the same for every run of one shape, so it is built once."""
    direction = "ASC" if is_asc else "DESC"
    compare = ">" if is_asc else "<"
    where: List[str] = []
    joins = ""
    node_id = "n.id"
    if scope is not None:
        joins = f" JOIN {scope.link_table} s ON s.{scope.node_column} = n.id AND s.context_id = ?"
        # The same id, named by the link table: its primary key (context_id, node id) then serves the order and
        # the page's start, so a page of a large context costs a range walk instead of sorting the context.
        node_id = f"s.{scope.node_column}"
    if condition is not None:
        where.append(condition)
    if resumes:
        if column == "id":
            where.append(f"{node_id} {compare} ?")
        else:
            where.append(f"(n.{column} {compare} ? OR (n.{column} = ? AND n.id {compare} ?))")
    order = f"{node_id} {direction}" if column == "id" else f"n.{column} {direction}, n.id {direction}"
    source = listing_source(backend, table, column, walk and scope is None)
    result = f"n.body, n.id, n.{column}" if paged else "n.body"
    select = backend.walk_select if walk and scope is None else "SELECT"
    rest = f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT ?"
    if ids_first and not (walk and scope is None):
        # The page's ids (and sort values) first, then its bodies by primary key, in the same order: sorted by
        # the page's columns, which MariaDB sorts alone (by the joined table's, it sorts the bodies too).
        keys = "n.id" if column == "id" else f"n.id, n.{column}"
        outer_order = f"page.id {direction}" if column == "id" else f"page.{column} {direction}, page.id {direction}"
        return (f"SELECT {result} FROM (SELECT {keys} FROM {source}{joins}{rest}) AS page JOIN {table} n "
                f"ON n.id = page.id ORDER BY {outer_order}")
    return f"{select} {result} FROM {source}{joins}{rest}"


def run_page(cur: Cursor, page_size: int, sql: str, params: Sequence[object],
             filtered: bool) -> Tuple[List[bytes], Optional[PageAfter]]:
    """Runs a `listing_sql` statement: the page's bodies, and where it ended when more rows follow.

    Paging is keyset paging on (sort value, id), so a page costs an index seek wherever it starts.
    """
    rows = _execute(cur, sql, params, filtered).fetchall()
    if len(rows) <= page_size:
        return [row[0] for row in rows], None
    rows = rows[:page_size]
    last = rows[-1]
    return [row[0] for row in rows], PageAfter(field_value=last[2], node_id=last[1])


def _execute(cur: Cursor, sql: str, params: Sequence[object], filtered: bool) -> Cursor:
    try:
        return cur.execute(sql, params)
    except of(cur).OperationalError as exc:
        backend = of(cur)
        if not filtered or backend.interrupted(exc) or type(backend.classify(exc)) is not errors.InternalError:
            # An interrupt is the time limit's (Database.run); a lost connection or lock is what it says (a
            # server may report it at this statement, sent in one flight with the time limit's); anything else
            # is the query's size.
            raise
        # The database's own limits (SQLite's expression depth, parser stack) on a legal but enormous query.
        raise errors.InvalidArgumentError(f"Invalid `filter_query`: the query is too large to run: {exc}") from exc


STREAM_BATCH = 1000  # bodies handed over at a time by stream
UNLIMITED = 2**62  # a listing's row limit when it has none


def row_limit(limit: Optional[int]) -> int:
    """The LIMIT of a listing of `limit` nodes, or of all (None); SQL's integers end below 2**63."""
    return UNLIMITED if limit is None else min(limit, UNLIMITED)


def stream(cur: Cursor, sql: str, params: Sequence[object], filtered: bool,
           consume: Callable[[List[bytes]], None], after_batch: Callable[[], None] = lambda: None) -> None:
    """Runs a `listing_sql` statement that is not `paged`: hands its bodies to `consume`
    STREAM_BATCH at a time, calling `after_batch` after each."""
    rows = _execute(cur, sql, params, filtered)
    while True:
        batch = rows.fetchmany(STREAM_BATCH)
        if batch:
            consume([row[0] for row in batch])
        if len(batch) < STREAM_BATCH:  # the statement is done: no call to learn it again
            return
        after_batch()
