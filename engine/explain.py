"""EXPLAIN for filter queries: the access path access.py chooses for a listing, in words.

It shows what the planner saw (each part of the filter, its estimated rows), what it chose and why, the
statement it runs with SQLite's own plan for it, and what running it found (the rows it reads, and every
part's real count, which the estimates only bound). Tests use it as the fixture of the plans we certify.
"""
from __future__ import annotations

from typing import List, Optional

from . import access, reads
from .access import PLAIN, Estimate
from .backends.base import Cursor, of
from .catalog import NodeLayout
from .planner import compile_filter

_ORDER_NAMES = {1: "create_time", 2: "update_time", 3: "id"}


def _estimate(estimate: Optional[Estimate]) -> str:
    if estimate is None or not estimate.seekable:
        return "cannot seek: tested on each node"
    if estimate.rows is None:
        return "seeks; not dived (the choice was made without it)"
    return f"estimated {'at least ' if estimate.capped else ''}{estimate.rows} rows"


def _count(cur: Cursor, select: str, params: List[object]) -> int:
    return cur.execute(f"SELECT count(*) FROM ({select}) AS counted", params).fetchone()[0]


def explain(cur: Cursor, layout: NodeLayout, query: str, limit: Optional[int], order_field: int,
            is_asc: bool) -> str:
    """The plan of `query`'s listing, ordered by `order_field`: its first `limit` nodes, or all (None)."""
    backend = of(cur)
    filter_sql, params = compile_filter(layout, query, backend)
    rows = reads.row_limit(limit)

    def listing(found: access.Access, ids_first: bool = False):  # noqa: ANN202 - (sql, params)
        return reads.listing_sql(backend, layout, rows, order_field, is_asc, None, None, found, False, ids_first)

    found = access.plan_access(cur, filter_sql, params, rows, listing)
    sql, sql_params = reads.listed_in_order(cur, rows, lambda ids_first: listing(found, ids_first))
    choice = found.choice
    by_key = {e.key: e for e in choice.estimates}
    lines = [f"filter: {query}",
             f"listing: {layout.noun}s by {_ORDER_NAMES[order_field]} {'ascending' if is_asc else 'descending'}, "
             + ("every match" if limit is None else f"the first {limit}"),
             "parts:"]
    candidates = access.prepared(filter_sql).candidates
    labels = {}
    for key, label, select, part in candidates:
        union = key != PLAIN and filter_sql.groups[key].union
        labels[key] = label + (" (an OR: a union of one seek per item)" if union else "")
        role = ("drives" if key == choice.driver else
                "filters each node" if key == PLAIN else "probes each node")
        actual = _count(cur, select, list(params[part]))
        lines.append(f"  {labels[key]}: {_estimate(by_key.get(key))}; actual {actual} rows; {role}")
    how = (f"walks {layout.table} in {_ORDER_NAMES[order_field]} order" if found.walk
           else "the database's own choice" if choice.driver == PLAIN and not filter_sql.groups
           else f"drives from {labels[choice.driver]}")  # type: ignore[index]
    lines += [f"access: {how}: {choice.reason}", f"{backend.name} plan:"]
    lines += [f"  {detail}" for detail in access.plans(cur).details(cur, sql, sql_params)]
    lines += [f"sql: {sql}", f"params: {sql_params!r}", f"rows: {_count(cur, sql, sql_params)}"]
    return "\n".join(lines)
