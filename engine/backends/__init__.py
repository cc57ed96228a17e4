"""The databases a store can live in, one module each; `of(cur)` is the backend of a cursor.

base.py states what the engine asks of a database (`Backend`); sqlite.py (with sqlite_schema.py and
sqlite_words.py) answers for SQLite, mysql.py for MySQL / MariaDB and postgresql.py for PostgreSQL (each with
its *_schema.py; imported only when a config names them, as their drivers are extras). Only these modules
import a driver or write a database's own SQL.
"""
from __future__ import annotations

from .base import Backend, Cursor, of
from .sqlite import SQLITE  # the built-in backend: registers sqlite3's cursor

__all__ = ["Backend", "Cursor", "of", "SQLITE"]
