"""The backend seam (engine/backends/): only backend modules know a database, and what they decide is keyed by them."""
from __future__ import annotations

import ast
import sqlite3
from pathlib import Path
from typing import List

import pytest

from fastmlmd.engine import access, planner
from fastmlmd.engine import errors as engine_errors
from fastmlmd.engine.backends import SQLITE, of
from fastmlmd.engine.backends.sqlite import SqliteBackend
from fastmlmd.engine.catalog import ARTIFACT

ENGINE = Path(__file__).resolve().parent.parent / "engine"
# The drivers a backend module may import; no other engine module imports one.
DRIVERS = {"sqlite3", "pymysql", "MySQLdb", "psycopg", "psycopg2"}
# Text that only SQLite reads: none of it may be written outside engine/backends/.
SQLITE_ONLY = ("INSERT OR ", "json_each", "PRAGMA", "WITHOUT ROWID", "INDEXED BY", "NOT INDEXED",
               "EXPLAIN QUERY PLAN", "sqlite_master", "group_concat", "MATCH ?", "fts5", "IS 1", "IS 0")


def _engine_modules() -> List[Path]:
    return sorted(p for p in ENGINE.glob("*.py") if p.name != "_rowcore_py.py")


@pytest.mark.parametrize("path", _engine_modules(), ids=lambda p: p.name)
def test_only_backend_modules_import_a_driver(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert not imported & DRIVERS


@pytest.mark.parametrize("path", _engine_modules(), ids=lambda p: p.name)
def test_only_backend_modules_write_sqlite_only_sql(path: Path) -> None:
    strings = [node.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    docstrings = {node.body[0].value.value for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = [(text, s) for s in strings if s not in docstrings for text in SQLITE_ONLY if text in s]
    assert not found


def _coded(cls: type, text: str, code: int) -> sqlite3.Error:
    error = cls(text)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]  # as the driver sets it from Python 3.11
    return error


@pytest.mark.parametrize(("error", "engine_class"), [
    pytest.param(_coded(sqlite3.OperationalError, "some text", 5), engine_errors.AbortedError, id="busy"),
    pytest.param(_coded(sqlite3.OperationalError, "some text", 6 | (1 << 8)), engine_errors.AbortedError,
                 id="locked-shared-cache"),
    pytest.param(_coded(sqlite3.DatabaseError, "some text", 26), engine_errors.DataLossError, id="not-a-database"),
    pytest.param(_coded(sqlite3.OperationalError, "database is locked", 13), engine_errors.ResourceExhaustedError,
                 id="full-whatever-the-text"),
    pytest.param(_coded(sqlite3.OperationalError, "disk I/O error", 1), engine_errors.InternalError,
                 id="generic-whatever-the-text"),
])
def test_sqlite_errors_are_classified_by_their_code_where_the_driver_gives_one(error: sqlite3.Error,
                                                                               engine_class: type) -> None:
    assert type(SQLITE.classify(error)) is engine_class
    assert SQLITE.is_busy(error) == (engine_class is engine_errors.AbortedError)


def test_an_interrupt_is_told_by_its_code() -> None:
    assert SQLITE.interrupted(_coded(sqlite3.OperationalError, "some text", 9))
    assert not SQLITE.interrupted(_coded(sqlite3.OperationalError, "interrupted", 1))


def test_the_backend_of_a_cursor_is_found_by_its_class_or_named_by_a_wrapper() -> None:
    conn = sqlite3.connect(":memory:")
    try:
        assert of(conn.cursor()) is SQLITE

        class Tracing:
            backend = SQLITE

        assert of(Tracing()) is SQLITE  # type: ignore[arg-type]
    finally:
        conn.close()


class _Hinting(SqliteBackend):
    """SQLite with another way of saying "not through an index", to tell its plans apart."""

    name = "sqlite-hinting"

    def no_index(self, expression: str) -> str:
        return f"({expression} + 0)"


def test_plans_are_compiled_and_cached_per_backend() -> None:
    # An event type compared where the event's other node is pinned: the planner keeps that column from an index.
    query = "events_0.execution_id = 1 AND events_0.type = INPUT"
    other = _Hinting()
    for _ in range(2):  # the second round comes from the plan cache
        mine, params = planner.compile_filter(ARTIFACT, query, SQLITE)
        theirs, their_params = planner.compile_filter(ARTIFACT, query, other)
        assert params == their_params
        assert "+j" in access.compose(mine, params, access.Choice(None, (), "")).condition
        assert "+ 0)" in access.compose(theirs, their_params, access.Choice(None, (), "")).condition
