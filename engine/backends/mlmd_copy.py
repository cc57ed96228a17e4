"""Conversion by copy: an MLMD store on SQLite, MySQL or PostgreSQL into a new fastmlmd store on any of them.

The source is only read, in one snapshot (a read transaction). The target is written so that an interrupted
copy leaves no store there: a new SQLite file is moved into place once complete (sqlite_mlmd_convert.py), a
PostgreSQL database is filled in one transaction, a MySQL one gets its tables by one RENAME TABLE
(mysql_mlmd.py). SQLite to SQLite keeps its own faster path; every other pair goes through mlmd_rows.py.
The drivers of MySQL and PostgreSQL are imported only when a config names them.
"""
from __future__ import annotations

import contextlib
import sqlite3
from typing import Any, Iterator, Optional, Tuple

from .. import errors
from ..db import migrate_to
from ..schema import SCHEMA_VERSION
from .mlmd_rows import ServerTables, copy_rows, is_mlmd_store
from .sqlite import MODE_READONLY, SQLITE, _sqlite_uri
from .sqlite_mlmd_convert import Counts, Progress, StructTypeCodec, convert_copy, write_new_file
from .sqlite_mlmd_source import read_tables, tables_found


def copy_store(source: Any, target: Any, struct_type: StructTypeCodec,
               progress: Optional[Progress] = None) -> Counts:
    """Copies the MLMD store `source` names into a new fastmlmd store at `target` (both ConnectionConfigs).

    Raises:
      errors.FailedPreconditionError: the source holds no MLMD store, or the target is not new (an existing file,
        a database with tables).
      errors.DataLossError: a row MLMD itself could not read back.
      ValueError: a config of no database (fake_database, none set).
    """
    kinds = source.WhichOneof("config"), target.WhichOneof("config")
    for kind in kinds:
        if kind not in ("sqlite", "mysql", "postgresql"):
            raise ValueError(f"a copy reads and writes SQLite, MySQL or PostgreSQL stores, not {kind or 'none'}")
    if kinds == ("sqlite", "sqlite"):
        return convert_copy(source.sqlite.filename_uri, target.sqlite.filename_uri, struct_type, progress)
    with _source(source) as (read, tables):
        if kinds[1] == "sqlite":
            def fill(cur: sqlite3.Cursor) -> Counts:
                cur.execute("BEGIN")
                migrate_to(cur, 0, SCHEMA_VERSION)
                counts = copy_rows(read, cur, tables, struct_type, progress)
                cur.execute("COMMIT")
                return counts
            return write_new_file(target.sqlite.filename_uri, fill)
        if kinds[1] == "mysql":
            from . import mysql, mysql_mlmd
            my_conn, my_backend = mysql.connect(target.mysql)
            try:
                return mysql_mlmd.copy_into(my_conn, target.mysql, read, tables, struct_type, progress)
            except my_backend.Error as exc:
                raise my_backend.classify(exc) from exc
            finally:
                my_conn.close()
        from . import postgresql, postgresql_mlmd
        pg_conn, pg_backend = postgresql.connect(target.postgresql)
        try:
            return postgresql_mlmd.copy_into(pg_conn, read, tables, struct_type, progress)
        except pg_backend.Error as exc:
            raise pg_backend.classify(exc) from exc
        finally:
            pg_conn.close()


def _no_store(where: str) -> errors.FailedPreconditionError:
    return errors.FailedPreconditionError(f"{where} holds no MLMD store (no MLMDEnv or Type table)")


@contextlib.contextmanager
def _source(config: Any) -> Iterator[Tuple[Any, ServerTables]]:
    """A cursor on the MLMD store `config` names, in a read transaction, and where its tables are."""
    kind = config.WhichOneof("config")
    if kind == "sqlite":
        path = config.sqlite.filename_uri
        conn = sqlite3.connect(_sqlite_uri(path, MODE_READONLY), uri=True, isolation_level=None)
        try:
            lite = conn.cursor()
            lite.execute("BEGIN")
            if not is_mlmd_store(tables_found(lite)):
                raise _no_store(path)
            found = read_tables(lite)
            yield lite, ServerTables(name=found.name, columns=found.columns, version=found.version,
                                    proto_is_base64=True, path_order="ORDER BY event_id, rowid")
        except sqlite3.Error as exc:
            raise SQLITE.classify(exc) from exc
        finally:
            conn.close()
    elif kind == "mysql":
        from . import mysql, mysql_mlmd
        my_conn, my_backend = mysql.session(config.mysql, create_database=False)
        try:
            my_cur = my_conn.cursor()
            database = config.mysql.database
            if not is_mlmd_store(mysql_mlmd.tables_of(my_cur, database)):
                raise _no_store(f"the MySQL database {database!r}")
            tables = mysql_mlmd.source_tables(my_cur, database)
            read_conn = mysql_mlmd.reader(config.mysql, database)
            try:
                read = read_conn.cursor()
                read.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                yield read, tables
            finally:
                read_conn.close()
        except my_backend.Error as exc:
            raise my_backend.classify(exc) from exc
        finally:
            my_conn.close()
    else:
        from . import postgresql, postgresql_mlmd
        pg_conn = postgresql.session(config.postgresql, create_database=False)
        try:
            pg_cur = pg_conn.cursor()
            pg_cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            schema = str(pg_cur.execute("SELECT current_schema()").fetchone()[0])
            if not is_mlmd_store(postgresql_mlmd.tables_of(pg_cur, schema)):
                raise _no_store(f"the PostgreSQL database {config.postgresql.dbname!r}")
            yield pg_cur, postgresql_mlmd.source_tables(pg_cur, schema)
        except postgresql.POSTGRESQL.Error as exc:
            raise postgresql.POSTGRESQL.classify(exc) from exc
        finally:
            pg_conn.close()
