"""MLMD stores on the loopback MariaDB and PostgreSQL servers, made by the real ml-metadata 1.17.1, for the tests.

`ServerMlmdStores(backend)` has oracle_stores.py make each store once, in a database of its own (never opened by
fastmlmd), with MLMD's answers to every read; `clone(name)` gives a test a database holding a copy of it, row for
row (EventPath's rows in their written order), and drops it at the end. `mlmd_rows(backend, database)` reads every
MLMD table of a database, for comparing a store before and after.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from typing import Any, Dict, List, Tuple

from server_stores import HOST, PG_HOST, PG_PORT, PG_USER, PORT, USER, unavailable

from fastmlmd.engine.backends.sqlite_mlmd_source import MLMD_TABLES

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_STORES = ("kinds", "tfx", "tfx-long", "mix-0", "mix-1")


class ServerMlmdStores:
    def __init__(self, backend: str, outdir: str) -> None:
        from oracle_client import oracle_env, real_oracle_python

        self.backend = backend
        self.prefix = f"fastmlmd_mlmd_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.outdir = outdir
        self.made: List[str] = []
        self.admin = _admin(backend)
        self.made = [self.database(name) for name in SERVER_STORES]
        run = subprocess.run([real_oracle_python(), os.path.join(HERE, "oracle_stores.py"), outdir, "--server",
                              backend, self.prefix, *SERVER_STORES], capture_output=True, text=True,
                             env=oracle_env(()), timeout=900, cwd=outdir)
        if run.returncode != 0:
            self.close()
            raise AssertionError(run.stderr[-3000:])

    def database(self, name: str) -> str:
        return f"{self.prefix}_{name.replace('-', '_')}"

    def recorded(self, name: str) -> Dict[str, Any]:
        with open(os.path.join(self.outdir, f"{name}.json"), encoding="utf-8") as fh:
            return json.load(fh)

    def config(self, database: str) -> Any:
        return server_config(self.backend, database)

    def url(self, database: str) -> str:
        return server_url(self.backend, database)

    def new_database(self) -> str:
        database = f"{self.prefix}_t{len(self.made)}"
        self.made.append(database)
        return database

    def clone(self, name: str) -> str:
        """A new database holding a copy of the store `name`, row for row."""
        source, target = self.database(name), self.new_database()
        if self.backend == "mysql":
            cur = self.admin.cursor()
            cur.execute(f"CREATE DATABASE `{target}`")
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (source,))
            for (table,) in cur.fetchall():
                cur.execute(f"CREATE TABLE `{target}`.`{table}` LIKE `{source}`.`{table}`")
                # No ORDER BY: a scan reads EventPath (no key) in its written order, and writes it so.
                cur.execute(f"INSERT INTO `{target}`.`{table}` SELECT * FROM `{source}`.`{table}`")
        else:
            self.admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        return target

    def drop(self, database: str) -> None:
        if self.backend == "mysql":
            cur = self.admin.cursor()
            for name in (database, database + "__fastmlmd_new", database + "__mlmd_old"):
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        else:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def databases(self) -> List[str]:
        """Every database of this session's prefix on the server (leftovers included)."""
        if self.backend == "mysql":
            cur = self.admin.cursor()
            cur.execute("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
                        (self.prefix + "%",))
            return [row[0] for row in cur.fetchall()]
        return [row[0] for row in self.admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (self.prefix + "%",))]

    def tables(self, database: str) -> List[str]:
        if self.backend == "mysql":
            cur = self.admin.cursor()
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (database,))
            return sorted(row[0] for row in cur.fetchall())
        with _pg(database) as conn:
            return sorted(row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))

    def mlmd_rows(self, database: str) -> Dict[str, List[Tuple]]:
        """Every row of every MLMD table in `database`, in storage order (EventPath's order is part of the store)."""
        out: Dict[str, List[Tuple]] = {}
        present = {t.lower(): t for t in self.tables(database)}
        if self.backend == "mysql":
            import pymysql

            conn = pymysql.connect(host=HOST, port=PORT, user=USER, password="", database=database)
            try:
                cur = conn.cursor()
                for table in MLMD_TABLES:
                    if table.lower() in present:
                        cur.execute(f"SELECT * FROM `{present[table.lower()]}`")
                        out[table] = list(cur.fetchall())
            finally:
                conn.close()
            return out
        with _pg(database) as conn:
            for table in MLMD_TABLES:
                if table.lower() in present:
                    out[table] = [tuple(row) for row in conn.execute(f"SELECT * FROM {table.lower()}")]
        return out

    def wait_idle(self, database: str, seconds: float = 120.0) -> None:
        """Waits until no session of a killed process is left on `database` (the server notices it is gone)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.backend == "mysql":
                cur = self.admin.cursor()
                cur.execute("SELECT count(*) FROM information_schema.processlist WHERE (db = %s OR db LIKE %s) "
                            "AND id != CONNECTION_ID()", (database, database + "\\_\\_%"))
                busy = cur.fetchone()[0]
            else:
                busy = self.admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                          (database,)).fetchone()[0]
            if not busy:
                return
            time.sleep(0.1)
        raise AssertionError(f"sessions still on {database} after {seconds}s")

    def close(self) -> None:
        for database in set(self.made) | set(self.databases()):
            self.drop(database)


def server_config(backend: str, database: str) -> Any:
    from ml_metadata.proto import metadata_store_pb2 as pb

    out = pb.ConnectionConfig()
    if backend == "mysql":
        out.mysql.host, out.mysql.port, out.mysql.user, out.mysql.database = HOST, PORT, USER, database
    else:
        out.postgresql.host, out.postgresql.port, out.postgresql.user = PG_HOST, str(PG_PORT), PG_USER
        out.postgresql.dbname = database
    return out


def server_url(backend: str, database: str) -> str:
    if backend == "mysql":
        return f"mysql://{USER}@{HOST}:{PORT}/{database}"
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def drop_database(backend: str, database: str) -> None:
    admin = _admin(backend)
    try:
        if backend == "mysql":
            admin.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        admin.close()


def _admin(backend: str) -> Any:
    if backend == "mysql":
        try:
            import pymysql
        except ImportError:
            unavailable("PyMySQL is not installed (pip install 'fastmlmd[mysql]')")
        try:
            return pymysql.connect(host=HOST, port=PORT, user=USER, password="", autocommit=True)
        except pymysql.Error as exc:
            unavailable(f"no MySQL server at {HOST}:{PORT} ({exc})")
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install 'fastmlmd[postgresql]')")
    try:
        return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True)
    except psycopg.Error as exc:
        unavailable(f"no PostgreSQL server at {PG_HOST}:{PG_PORT} ({exc})")


def _pg(database: str) -> Any:
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True)
