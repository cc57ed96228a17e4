"""Stores MLMD made on MySQL / MariaDB: found when our backend opens their database, converted in place or by copy.

MLMD 1.17.1 names its tables as MLMD_TABLES spells them (`Type`, `Artifact`, ...). MySQL's DDL is not
transactional (each CREATE, DROP or RENAME commits), so a conversion in place cannot be one transaction as
on SQLite and PostgreSQL. Instead:

  1. our tables are built and filled in a database of their own, `<db>__fastmlmd_new`, while MLMD's stay
     where they are, untouched;
  2. one RENAME TABLE statement moves MLMD's tables out to `<db>__mlmd_old` and ours in. A multi-table
     RENAME TABLE is atomic, crash-safe since MariaDB 10.6's atomic DDL and MySQL 8.0's: after it, every
     table is moved, or none is;
  3. `<db>__mlmd_old` is dropped.

A failure or a kill -9 before step 2 leaves the MLMD store as it was (the half-built database is dropped by
the next attempt, which starts afresh); after it, the finished conversion (a left-over `<db>__mlmd_old` is
dropped at the next opening). Conversions of one database take turns on a named lock (GET_LOCK, released
when its session ends, however it ends).

Text: the client inside ml-metadata 1.17.1 talks latin1 to the server (its default), and hands the bytes it gets
to protobuf as they are, UTF-8. The server converts between latin1 and the tables' utf8mb4, so a name "hé" sent
as UTF-8 bytes is stored as the four characters of "hÃ©", and read back as "hé". What MLMD reads is what a
conversion must keep: the rows are read by a latin1 session of their own, undecoded, and the bytes taken as
UTF-8 (a server that sets its clients' character set itself then gives both the same bytes).

MLMD's own writers are not stopped while the rows are read; a write that lands before the swap changes the
MLMD tables' CHECKSUM TABLE, which is taken before the rows are read and again on the moved tables after the
swap. Then the swap is undone (one more atomic RENAME) and the conversion runs again, from the new rows.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .. import errors
from ..db import migrate_to
from ..schema import SCHEMA_VERSION
from . import mysql_schema
from .mlmd_rows import ServerTables, check_version, copy_rows, is_mlmd_store, read_columns
from .mysql import MySQLConnection, identifier, session
from .mysql_driver import Error as DriverError
from .sqlite_mlmd_convert import Counts, Progress, StructTypeCodec, log_progress, refuse_unless_converting
from .sqlite_mlmd_source import MLMD_TABLES

LOG = logging.getLogger("fastmlmd.convert")
NEW_SUFFIX, OLD_SUFFIX = "__fastmlmd_new", "__mlmd_old"
LOCK_SECONDS = 600  # how long a conversion waits for another one of the same database
ATTEMPTS = 3  # conversions run again after MLMD's writers changed the store meanwhile


def _q(name: str) -> str:
    return f"`{identifier(name)}`"


def tables_of(cur: Any, database: str) -> List[str]:
    return [str(row[0]) for row in cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", (database,))]


def _databases(cur: Any, names: Sequence[str]) -> List[str]:
    return [str(row[0]) for row in cur.execute(
        f"SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ({', '.join('?' * len(names))})",
        tuple(names))]


def source_tables(cur: Any, database: str) -> ServerTables:
    """MLMD's tables in `database`, their columns and version.

    Raises:
      errors.FailedPreconditionError: a version the reader does not read.
    """
    stored = {t.lower(): t for t in tables_of(cur, database)}  # as the server spells them (lower_case_table_names)
    names = {table: stored.get(table.lower(), table) for table in MLMD_TABLES}
    columns = read_columns(cur, database, names)

    def name(table: str) -> str:
        return f"{_q(database)}.{_q(names[table])}"
    # EventPath has no key: InnoDB keeps its rows in the order they were written, and reads them so, by its
    # event_id index or by a scan, as MLMD does. Sorting them by event_id, stably, keeps that order per event.
    return ServerTables(name=name, columns=columns, version=check_version(cur, name, columns),
                        proto_is_base64=True, path_order="", sort_paths=True, text=_utf8)


def _utf8(value: bytes) -> str:
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.DataLossError(f"the MLMD store holds text that is not UTF-8 as MLMD reads it ({exc}); MLMD "
                                   "itself cannot read it back") from exc


def reader(config: Any, database: str) -> MySQLConnection:
    """A session that reads MLMD's rows as MLMD does (see the module's docstring)."""
    return session(config, create_database=False, database=database, text_as_mlmd=True)[0]


def upgrade_if_mlmd_store(connection: MySQLConnection, enable_upgrade_migration: bool, struct_type: StructTypeCodec,
                          config: Any, progress: Optional[Progress] = None) -> Optional[Counts]:
    """The opening hook (mysql.connect's `on_open`): when the database holds an MLMD store, converts it (if asked
    to) or says how to; drops what an interrupted conversion left. Anything else is left for the opening.

    Raises:
      errors.FailedPreconditionError: an MLMD store, and `enable_upgrade_migration` is false; or a version or
        layout that cannot be converted.
    """
    cur = connection.cursor()
    try:
        database = str(cur.execute("SELECT DATABASE()").fetchone()[0])
        if not is_mlmd_store(tables_of(cur, database)):
            if _databases(cur, (database + NEW_SUFFIX, database + OLD_SUFFIX)):
                with _turn(cur, database):
                    _drop_leftovers(cur, database)
            return None
        version = source_tables(cur, database).version
        refuse_unless_converting(version, False, enable_upgrade_migration)
        with _turn(cur, database):
            counts = convert_in_place(connection, config, database, struct_type, progress or log_progress())
    except DriverError as exc:
        raise connection.backend.classify(exc) from exc
    if counts is not None:
        LOG.info("converted the MLMD store in MySQL database %s in place: %d nodes in %.1fs", database,
                 counts.nodes, counts.seconds)
    return counts


class _turn:
    """Holds the named lock of `database`'s conversions."""

    def __init__(self, cur: Any, database: str) -> None:
        self.cur, self.name = cur, f"fastmlmd.convert:{database}"[:64]

    def __enter__(self) -> None:
        got = self.cur.execute("SELECT GET_LOCK(?, ?)", (self.name, LOCK_SECONDS)).fetchone()[0]
        if got != 1:
            raise errors.AbortedError(f"another process has been converting this MLMD store for {LOCK_SECONDS}s")

    def __exit__(self, *exc: object) -> None:
        try:
            self.cur.execute("SELECT RELEASE_LOCK(?)", (self.name,))
        except DriverError:
            pass  # a lost session has released it already


def _drop_leftovers(cur: Any, database: str) -> None:
    """Drops the half-built tables of an interrupted conversion, and MLMD's tables after a finished swap."""
    cur.execute(f"DROP DATABASE IF EXISTS {_q(database + NEW_SUFFIX)}")
    # MLMD's tables moved out are kept until ours are in (the swap is atomic, so never both); an empty one goes.
    if not is_mlmd_store(tables_of(cur, database)) or not tables_of(cur, database + OLD_SUFFIX):
        cur.execute(f"DROP DATABASE IF EXISTS {_q(database + OLD_SUFFIX)}")


def convert_in_place(connection: MySQLConnection, config: Any, database: str, struct_type: StructTypeCodec,
                     progress: Optional[Progress] = None) -> Optional[Counts]:
    """Converts the MLMD store in `database` into ours (see the module's docstring); the caller holds the
    conversions' lock. Returns None when the database holds no MLMD store any more."""
    cur = connection.cursor()
    new, old = database + NEW_SUFFIX, database + OLD_SUFFIX
    for name in (new, old):
        if len(name) > 64:
            raise errors.FailedPreconditionError(
                f"the database name {database!r} is too long to convert in place (MySQL names hold 64 characters, "
                f"and the conversion works in {name!r}); convert a copy: python -m fastmlmd.convert SRC DST")
    for _ in range(ATTEMPTS):
        _drop_leftovers(cur, database)
        present = tables_of(cur, database)
        if not is_mlmd_store(present):
            return None
        moved = [t for t in present if t.lower() in {m.lower() for m in MLMD_TABLES}]
        before = _checksums(cur, database, moved)
        cur.execute(f"CREATE DATABASE {_q(new)} DEFAULT CHARACTER SET utf8mb4")
        read = reader(config, database)
        try:
            counts = _build(config, new, read.cursor(), source_tables(cur, database), struct_type, progress)
        finally:
            read.close()
        ours = tables_of(cur, new)
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {_q(old)} DEFAULT CHARACTER SET utf8mb4")
        # The swap: one statement, so all of it happens or none (MLMD's tables out first: with
        # lower_case_table_names their names are ours).
        cur.execute("RENAME TABLE " + ", ".join(
            [f"{_q(database)}.{_q(t)} TO {_q(old)}.{_q(t)}" for t in moved] +
            [f"{_q(new)}.{_q(t)} TO {_q(database)}.{_q(t)}" for t in ours]))
        if _checksums(cur, old, moved) == before:
            if progress is not None:
                rows = counts.nodes + counts.rows.get("event", 0)
                progress("swapped", rows, rows)
            _drop_leftovers(cur, database)
            return counts
        LOG.warning("MLMD wrote to the store %s while it was being converted; converting it again", database)
        cur.execute("RENAME TABLE " + ", ".join(
            [f"{_q(database)}.{_q(t)} TO {_q(new)}.{_q(t)}" for t in ours] +
            [f"{_q(old)}.{_q(t)} TO {_q(database)}.{_q(t)}" for t in moved]))
    raise errors.AbortedError(f"MLMD kept writing to the store {database} while it was being converted "
                              f"({ATTEMPTS} attempts); stop its writers and open it again")


def _checksums(cur: Any, database: str, tables: Sequence[str]) -> Dict[str, Tuple[Any, ...]]:
    """Each table's row count and CHECKSUM TABLE: any row written, changed or removed changes them."""
    out: Dict[str, Tuple[Any, ...]] = {}
    for table in tables:
        name = f"{_q(database)}.{_q(table)}"
        checksum = cur.execute(f"CHECKSUM TABLE {name}").fetchone()[1]
        out[table] = (checksum, cur.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
    return out


def _build(config: Any, new: str, read: Any, src: ServerTables, struct_type: StructTypeCodec,
           progress: Optional[Progress]) -> Counts:
    """Our schema and every row of `src` (read through `read`), in the database `new`, through a session of its
    own (the rows in one transaction)."""
    writer, _ = session(config, create_database=False, database=new)
    try:
        write = writer.cursor()
        migrate_to(write, 0, SCHEMA_VERSION)  # DDL: each statement commits
        write.execute("START TRANSACTION")
        counts = copy_rows(read, write, src, struct_type, progress)
        write.execute("COMMIT")
        return counts
    finally:
        writer.close()


def copy_into(write_connection: MySQLConnection, config: Any, read: Any, src: ServerTables,
              struct_type: StructTypeCodec, progress: Optional[Progress] = None) -> Counts:
    """Copies the MLMD store `src` (read through the cursor `read`, on any backend) into the empty database of
    `write_connection`: built in `<db>__fastmlmd_new` and moved in by one RENAME TABLE, so an interrupted copy
    leaves the database as empty as it was.

    Raises:
      errors.FailedPreconditionError: the database holds tables already.
    """
    cur = write_connection.cursor()
    database = str(cur.execute("SELECT DATABASE()").fetchone()[0])
    found = [t for t in tables_of(cur, database) if t != mysql_schema.WRITE_LOCK_TABLE]
    if found:
        raise errors.FailedPreconditionError(
            f"the MySQL database {database!r} holds tables already ({sorted(found)}); the copy goes into a new or "
            "empty database")
    new = database + NEW_SUFFIX
    with _turn(cur, database):
        cur.execute(f"DROP DATABASE IF EXISTS {_q(new)}")
        cur.execute(f"CREATE DATABASE {_q(new)} DEFAULT CHARACTER SET utf8mb4")
        try:
            counts = _build(config, new, read, src, struct_type, progress)
            cur.execute("RENAME TABLE " + ", ".join(
                f"{_q(new)}.{_q(t)} TO {_q(database)}.{_q(t)}" for t in tables_of(cur, new)))
        finally:
            cur.execute(f"DROP DATABASE IF EXISTS {_q(new)}")
    return counts
