"""Stores on the loopback database servers, for running the scenario tables on another backend.

`MySQLStores` hands out `ConnectionConfig`s of databases it creates on the MariaDB / MySQL server at
127.0.0.1:3306 (user root, no password), `PostgreSQLStores` on the PostgreSQL server at 127.0.0.1:5432
(user postgres, trust); both drop them when the session ends, and never change the server's own settings. Each
config names a store emptied for it, so every scenario starts from an empty store as it does on `fake_database`. A
few databases are used in turn, so the stores one scenario opens are distinct. `MySQLOracleStores` and
`PostgreSQLOracleStores` do the same for ml-metadata 1.17.1 itself, in its own schema, for one oracle run on a server
(oracle_client.py). Under CI=true a server that cannot be reached fails the tests instead of skipping them.
"""
from __future__ import annotations

import contextlib
import os
import threading
import uuid
from typing import Any, List, Optional

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

from fastmlmd.engine.catalog import WORD_INDEX_MARKS, WORD_TABLES
from fastmlmd.engine.schema import HIGH_WATER_TABLE

HOST, PORT, USER = "127.0.0.1", 3306, "root"
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
# The store's tables that hold rows of a test (the built-in types, ids 1-9, stay).
_TABLES = ("type_property", "artifact", "artifact_property", "execution", "execution_property", "context",
           "context_property", "event", "attribution", "association", "parent_context")
POOL = 3  # databases used in turn: more than the stores any one scenario opens


def unavailable(why: str) -> None:
    """Skips, or under CI=true fails, a test that needs a server it cannot have."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {why}")
    pytest.skip(why)


class _DatabasePool:
    """A server's test databases, used in turn: `config` empties one for each store, `kept_config` makes one a
    store keeps. Subclasses connect an admin session, then say how a database is named in a config, emptied
    and dropped."""

    def __init__(self) -> None:
        self._prefix = f"fastmlmd_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self._made: List[str] = []
        self._next = 0

    def config(self) -> Any:
        """The config of an empty store (its database made the first time round, emptied after)."""
        database = f"{self._prefix}_{self._next % POOL}"
        self._next += 1
        if database in self._made:
            self._empty(database)
        else:
            self._create(database)
        self._made.append(database)
        return self.config_of(database)

    def kept_config(self) -> Any:
        """The config of an empty store in a database of its own, which `config` never empties."""
        database = f"{self._prefix}_kept_{len(self._made)}"
        self._create(database)
        self._made.append(database)
        return self.config_of(database)

    def _create(self, database: str) -> None:
        """Makes `database` before its store first opens it, where the server takes settings per database; else
        the store makes it."""

    @staticmethod
    def config_of(database: str) -> Any:
        raise NotImplementedError

    def _empty(self, database: str) -> None:
        raise NotImplementedError


class MySQLStores(_DatabasePool):
    """Databases on the MySQL server, created on first use and dropped by `close`."""

    def __init__(self) -> None:
        try:
            import pymysql
        except ImportError:
            unavailable("PyMySQL is not installed (pip install 'fastmlmd[mysql]')")
        try:
            self._admin = pymysql.connect(host=HOST, port=PORT, user=USER, password="", autocommit=True)
        except pymysql.Error as exc:
            unavailable(f"no MySQL server at {HOST}:{PORT} ({exc})")
        super().__init__()

    @staticmethod
    def config_of(database: str) -> Any:
        config = pb.ConnectionConfig()
        config.mysql.host, config.mysql.port, config.mysql.user = HOST, PORT, USER
        config.mysql.database = database
        return config

    def _empty(self, database: str) -> None:
        cur = self._admin.cursor()
        for table in _TABLES:
            cur.execute(f"DELETE FROM `{database}`.{table}")
        cur.execute(f"DELETE FROM `{database}`.type WHERE id > 9")
        cur.execute(f"ALTER TABLE `{database}`.type AUTO_INCREMENT = 10")
        # A scenario that deleted nodes left its highest ids taken (schema version 13): ids start at 1 again.
        cur.execute(f"UPDATE `{database}`.{HIGH_WATER_TABLE} SET deleted_to = 0")
        # The word index (engine/backends/mysql_words.py) holds no node, and takes them in from the first.
        for table in WORD_TABLES:
            cur.execute(f"DELETE FROM `{database}`.{table}")
        cur.execute(f"UPDATE `{database}`.{WORD_INDEX_MARKS} SET indexed_to = 0")

    def close(self) -> None:
        cur = self._admin.cursor()
        for database in set(self._made):
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        self._admin.close()


class PostgreSQLStores(_DatabasePool):
    """Databases on the PostgreSQL server, created on first use and dropped by `close`."""

    def __init__(self) -> None:
        try:
            import psycopg
        except ImportError:
            unavailable("psycopg is not installed (pip install 'fastmlmd[postgresql]')")
        try:
            self._admin = psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres",
                                          autocommit=True)
        except psycopg.Error as exc:
            unavailable(f"no PostgreSQL server at {PG_HOST}:{PG_PORT} ({exc})")
        super().__init__()

    def _create(self, database: str) -> None:
        # A commit here need not wait for its WAL to reach the disk: a test's store outlives no crash (the fault
        # tests start servers of their own), and every MLMD call on the oracle's stores commits. The database's
        # own setting: the server's stay as they are.
        self._admin.execute(f'CREATE DATABASE "{database}" ENCODING \'UTF8\' TEMPLATE template0')
        self._admin.execute(f'ALTER DATABASE "{database}" SET synchronous_commit = off')

    @staticmethod
    def config_of(database: str) -> Any:
        config = pb.ConnectionConfig()
        config.postgresql.host, config.postgresql.port = PG_HOST, str(PG_PORT)
        config.postgresql.user, config.postgresql.dbname = PG_USER, database
        return config

    def _empty(self, database: str) -> None:
        import psycopg

        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {', '.join(_TABLES)}")
            conn.execute("DELETE FROM type WHERE id > 9")
            # A scenario that deleted nodes left its highest ids taken (schema version 13): ids start at 1 again.
            conn.execute(f"UPDATE {HIGH_WATER_TABLE} SET deleted_to = 0")

    def close(self) -> None:
        for database in set(self._made):
            # Connections a test left open (a store not yet collected) are ended first.
            self._admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self._admin.close()


# ml-metadata 1.17.1's own tables (schema version 10), which the oracle's stores empty; PostgreSQL folds the names to
# lower case. Its nine system types (mlmd.Dataset ... mlmd.Deploy, ids 1-9) come with the schema and stay.
MLMD_TABLES = ("Artifact", "ArtifactProperty", "Association", "Attribution", "Context", "ContextProperty", "Event",
               "EventPath", "Execution", "ExecutionProperty", "ParentContext", "ParentType", "TypeProperty")
MLMD_SCHEMA_VERSION = 10


# A statement of MLMD's on a server that runs longer than this is stopped (it then fails with InternalError): on
# MariaDB its one SELECT of a filter with many aliases spends many minutes choosing a join order, and MLMD has no
# time limit of its own.
ORACLE_STATEMENT_SECONDS = 10


class MySQLOracleStores(MySQLStores):
    """Databases on the MySQL server for ml-metadata 1.17.1 itself (the oracle's stores: tests/api/oracle_client.py):
    MLMD makes each database and its schema on first use; after that a database is emptied in MLMD's schema, its
    ids started again at 1, unless a scenario changed its schema (a downgrade): then it is dropped, to be made anew.
    A watcher stops MLMD's statements on them past ORACLE_STATEMENT_SECONDS (MySQL has no such setting per
    database, and the server's own settings stay as they are)."""

    def __init__(self) -> None:
        super().__init__()
        self._closing = threading.Event()
        self._watcher = threading.Thread(target=self._stop_long_statements, daemon=True)
        self._watcher.start()

    def _stop_long_statements(self) -> None:
        import pymysql

        watcher = pymysql.connect(host=HOST, port=PORT, user=USER, password="", autocommit=True)
        try:
            cur = watcher.cursor()
            while not self._closing.wait(1.0):
                cur.execute("SELECT id FROM information_schema.processlist WHERE db LIKE %s AND command = 'Query' "
                            "AND time >= %s", (self._prefix.replace("_", "\\_") + "%", ORACLE_STATEMENT_SECONDS))
                for (thread,) in cur.fetchall():
                    with contextlib.suppress(pymysql.Error):  # it may have ended meanwhile
                        cur.execute(f"KILL QUERY {int(thread)}")
        finally:
            watcher.close()

    def close(self) -> None:
        self._closing.set()
        self._watcher.join()
        super().close()

    def _empty(self, database: str) -> None:
        cur = self._admin.cursor()
        try:
            cur.execute(f"SELECT schema_version FROM `{database}`.MLMDEnv")
            reusable = cur.fetchall() == ((MLMD_SCHEMA_VERSION,),)
        except Exception:  # noqa: BLE001 - any failure to read the version means: make the store anew
            reusable = False
        if not reusable:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
            return
        for table in MLMD_TABLES:
            cur.execute(f"DELETE FROM `{database}`.{table}")
        cur.execute(f"DELETE FROM `{database}`.Type WHERE id > 9")
        # Ids start again where a new schema's do; an ALTER costs a table's metadata lock, so only where they moved.
        cur.execute("SELECT table_name, auto_increment FROM information_schema.tables WHERE table_schema = %s "
                    "AND auto_increment IS NOT NULL", (database,))
        for table, next_id in cur.fetchall():
            first = 10 if table == "Type" else 1
            if next_id != first:
                cur.execute(f"ALTER TABLE `{database}`.{table} AUTO_INCREMENT = {first}")


class PostgreSQLOracleStores(PostgreSQLStores):
    """`MySQLOracleStores` on the PostgreSQL server, where the time limit is the database's statement_timeout."""

    def _create(self, database: str) -> None:
        super()._create(database)
        self._admin.execute(f'ALTER DATABASE "{database}" SET statement_timeout = {ORACLE_STATEMENT_SECONDS * 1000}')

    def _empty(self, database: str) -> None:
        import psycopg

        try:
            with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True) as conn:
                if conn.execute("SELECT schema_version FROM mlmdenv").fetchall() == [(MLMD_SCHEMA_VERSION,)]:
                    for table in MLMD_TABLES:
                        conn.execute(f"DELETE FROM {table}")
                    conn.execute("DELETE FROM type WHERE id > 9")
                    for (sequence,) in conn.execute("SELECT sequence_name FROM information_schema.sequences "
                                                    "WHERE sequence_schema = current_schema()").fetchall():
                        table = sequence[:-len("_id_seq")]
                        conn.execute(f"SELECT setval('{sequence}', (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), "
                                     "false)")
                    return
        except psycopg.Error:
            pass  # make the store anew
        self._admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self._create(database)


def oracle_stores(backend: str) -> Any:
    """New databases on the server of `backend` for one run of ml-metadata 1.17.1; `close` drops them."""
    return MySQLOracleStores() if backend == "mysql" else PostgreSQLOracleStores()


_STORES: Optional[MySQLStores] = None
_PG_STORES: Optional[PostgreSQLStores] = None


def mysql_stores() -> MySQLStores:
    """The session's MySQLStores (made on first use)."""
    global _STORES
    if _STORES is None:
        _STORES = MySQLStores()
    return _STORES


def postgresql_stores() -> PostgreSQLStores:
    """The session's PostgreSQLStores (made on first use)."""
    global _PG_STORES
    if _PG_STORES is None:
        _PG_STORES = PostgreSQLStores()
    return _PG_STORES


def stores(backend: str) -> Any:
    """The session's stores on the server of `backend` ("mysql" or "postgresql")."""
    return mysql_stores() if backend == "mysql" else postgresql_stores()


def close() -> None:
    global _STORES, _PG_STORES
    if _STORES is not None:
        _STORES.close()
        _STORES = None
    if _PG_STORES is not None:
        _PG_STORES.close()
        _PG_STORES = None
