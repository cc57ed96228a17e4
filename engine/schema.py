"""The schema's version and the shape of a migration, the same on every backend.

Each backend writes the statements of every version in its own dialect (backends/sqlite_schema.py for
SQLite); they all end at SCHEMA_VERSION and keep the version in VERSION_TABLE. Version numbers continue
MLMD's (its library schema is 10): the layout is our own, but tools and scripts that compare or pass schema
versions (`downgrade_schema(config, 9)`, "version 9 is older than library version 10") behave as they do
with MLMD. Versions below 9 hold no tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from .catalog import LAYOUTS

SCHEMA_VERSION = 14

# The version lives in the database itself, in a table no MLMD schema has.
VERSION_TABLE = "fastmlmd_schema"
VERSION_TABLE_DDL = f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)"

# Version 14 holds the servers' search indexes for LIKE filters on uri and names (SQLite's are version
# 11's word index): each server backend writes its own, SQLite has none to add.

# Version 13: the highest id ever deleted from each node table, so that a deleted node's id is never given
# again (MLMD never reuses ids). A node's id is max(max(id), deleted_to) + 1 (Backend.next_id); only
# deletes (engine/delete.py) write it. Each backend creates the table with a row per node table, at 0: no
# store before version 13 could delete.
HIGH_WATER_TABLE = "id_high_water"
HIGH_WATER_NODE_TABLES = frozenset(layout.table for layout in LAYOUTS.values())
HIGH_WATER_ROWS = tuple(f"INSERT INTO {HIGH_WATER_TABLE} (node_table, deleted_to) VALUES ('{table}', 0)"
                        for table in sorted(HIGH_WATER_NODE_TABLES))


@dataclass(frozen=True)
class Migration:
    """Statements that take the schema from `version - 1` to `version`, and back."""

    version: int
    description: str
    upgrade: Tuple[str, ...]
    downgrade: Tuple[str, ...]
    # The upgrade builds the word index: where the backend keeps none it is skipped, and the version still counts.
    builds_word_index: bool = False
