"""What the client-server backends (MySQL/MariaDB, PostgreSQL) share: writers take turns on one locked row.

Each such backend keeps a one-row table of its own (its schema module's WRITE_LOCK_TABLE, in no schema version)
whose row every write call locks at BEGIN and counts up: writers take turns as SQLite's do, so ids allocated as
max(id) + 1 stay unique, and the count tells another connection's caches that the store changed.
"""
from __future__ import annotations

import functools
from typing import Hashable, List, Tuple

from .. import errors
from ..catalog import NodeLayout
from ..schema import HIGH_WATER_NODE_TABLES, HIGH_WATER_TABLE, SCHEMA_VERSION, Migration
from .base import Backend, Cursor


class LockedRowBackend(Backend):
    """A Backend whose writers take turns on `write_lock_table`'s row; subclasses set the two names below."""

    write_lock_table = ""  # the backend's own one-row table
    walks_in_sql = True  # each statement is a round trip
    schema_tables: Tuple[str, ...] = ()  # every table of the current schema
    _migrations: Tuple[Migration, ...] = ()

    @property
    def data_version_select(self) -> str:  # type: ignore[override]
        return f"SELECT writes FROM {self.write_lock_table} WHERE id = 1"

    def data_version(self, cur: Cursor) -> Hashable:
        # Every write call counts itself as it takes the write lock, whichever connection makes it (this
        # one's own too: a view is then rebuilt once more than it must).
        return cur.execute(self.data_version_select).fetchone()[0]

    def migrations(self) -> Tuple[Migration, ...]:
        return self._migrations

    def table_names(self, cur: Cursor) -> List[str]:
        """The store's tables, less the write lock's (the backend's own, not the store's)."""
        raise NotImplementedError

    def check_schema(self, cur: Cursor) -> None:
        missing = sorted(set(self.schema_tables) - set(self.table_names(cur)))
        if missing:
            raise errors.DataLossError(
                f"the store's schema (version {SCHEMA_VERSION}) has lost {', '.join(missing)}; the database was "
                "changed by another program")

    def next_id(self, table: str) -> str:
        if table in HIGH_WATER_NODE_TABLES:  # past every id deleted too
            return (f"(SELECT GREATEST(COALESCE(MAX(id), 0), (SELECT deleted_to FROM {HIGH_WATER_TABLE} WHERE "
                    f"node_table = '{table}')) + 1 FROM {table})")
        return f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table})"

    @functools.lru_cache(maxsize=None)  # noqa: B019 - one backend object per server kind, never freed
    def next_ids(self, layout: NodeLayout) -> str:
        # The word index's mark, where the backend keeps one (mysql_words.py), for its `take_in`.
        fold_at = "NULL" if self.words is None else self.words.fold_at_column(layout)
        return f"{self.next_id(layout.table)}, {fold_at}"
