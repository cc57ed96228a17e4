"""Stores on the loopback database servers, for running the scenario tables on another backend.

`MySQLStores` hands out `ConnectionConfig`s of databases it creates on the MariaDB / MySQL server at
127.0.0.1:3306 (user root, no password), `PostgreSQLStores` on the PostgreSQL server at 127.0.0.1:5432
(user postgres, trust); both drop them when the session ends, and never change the server's own settings. Each config names a store emptied for it, so every scenario starts from an empty store as it does on
`fake_database`. A few databases are used in turn, so the stores one scenario opens are distinct.
Under CI=true a server that cannot be reached fails the tests instead of skipping them.
"""
from __future__ import annotations

import os
import uuid
from typing import Any, List, Optional

import pytest
from ml_metadata.proto import metadata_store_pb2 as pb

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
        self._made.append(database)
        return self.config_of(database)

    def kept_config(self) -> Any:
        """The config of an empty store in a database of its own, which `config` never empties."""
        database = f"{self._prefix}_kept_{len(self._made)}"
        self._made.append(database)
        return self.config_of(database)

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
