"""SQLite's planner hints, in one place: the only SQL we write that tells SQLite how to run a query, not what.

The access planner (access.py) decides which index finds the nodes; these say so in SQLite's terms. A
backend for another database states the same decisions in its own dialect (or leaves them out).
"""
from __future__ import annotations


def no_index(expression: str) -> str:
    """`expression` compared as it is, but never through an index: SQLite's unary `+`."""
    return f"+{expression}"


def walk_in_order(table: str, alias: str, order_column: str) -> str:
    """The FROM item that walks `table` in `order_column`'s order, whatever index the WHERE clause offers.

    Ids are the rowid, so NOT INDEXED leaves the primary key; the time columns have their (time, id) index
    (schema.py names them `<table>_<column>`).
    """
    if order_column == "id":
        return f"{table} {alias} NOT INDEXED"
    return f"{table} {alias} INDEXED BY {table}_{order_column}"
