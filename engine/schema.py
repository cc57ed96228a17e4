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

SCHEMA_VERSION = 12

# The version lives in the database itself, in a table no MLMD schema has.
VERSION_TABLE = "fastmlmd_schema"
VERSION_TABLE_DDL = f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)"


@dataclass(frozen=True)
class Migration:
    """Statements that take the schema from `version - 1` to `version`, and back."""

    version: int
    description: str
    upgrade: Tuple[str, ...]
    downgrade: Tuple[str, ...]
    # The upgrade builds the word index: where the backend keeps none it is skipped, and the version still counts.
    builds_word_index: bool = False
