"""Which tables a connection has doubled since their last statistics: when a server backend runs ANALYZE.

A server plans from statistics it gathers now and then: PostgreSQL's autovacuum (which may be off, and wakes
once a minute at most), InnoDB's background recalculation (after a tenth of a table changed, some time later).
A store just filled is then planned from guesses: a probe scanned a whole link table for every node it tested
on PostgreSQL, and MariaDB walked the primary key for a uri prefix its index seeks in 0.2 ms. So each
connection counts the rows its committed INSERTs wrote into each table, and after a commit that doubled a table
since its last statistics (its rows then as the server reported them, read once a connection), the backend
analyzes it. Estimates within a factor of two choose the same plans, and doubling bounds the ANALYZEs of a fill
to about twice the cost of the last one; a table below MIN_ROWS new rows is never worth one.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional

MIN_ROWS = 500  # new rows of a table that make an ANALYZE worth its cost


class TableGrowth:
    """One connection's inserted rows per table: the running attempt's, and the committed ones since each
    table's last statistics."""

    def __init__(self) -> None:
        self._inserting: Dict[str, int] = {}
        self._inserted: Dict[str, int] = {}
        self._table_rows: Optional[Dict[str, float]] = None  # each table's rows when last analyzed, as read

    def begin(self) -> None:
        """A new attempt: what a failed one counted was never written."""
        self._inserting.clear()

    def inserting(self, sql: str, rows: int) -> None:
        """Counts the rows an `INSERT INTO table ...` statement of the running attempt writes."""
        if sql.startswith("INSERT INTO "):
            table = sql[12:sql.find(" ", 12)]
            self._inserting[table] = self._inserting.get(table, 0) + rows

    def committed(self, table_rows: Callable[[], Dict[str, float]]) -> List[str]:
        """After a commit: the tables it (with the earlier commits since their statistics) doubled, to analyze
        now; `table_rows` reads every table's rows as the server's statistics have them (called once)."""
        inserting, self._inserting = self._inserting, {}
        due = []
        for table, rows in inserting.items():
            written = self._inserted[table] = self._inserted.get(table, 0) + rows
            if written >= MIN_ROWS:
                due.append(table)
        if not due:
            return []
        if self._table_rows is None:
            self._table_rows = table_rows()
        known = self._table_rows
        return [table for table in due if table in known and self._inserted[table] >= known[table]]

    def analyzed(self, tables: List[str]) -> None:
        """The server now has statistics of `tables` as they are."""
        assert self._table_rows is not None
        for table in tables:
            self._table_rows[table] = max(self._table_rows[table], 0) + self._inserted.pop(table)
