"""Database servers of a test's own, to kill with -9 and start again: MariaDB and PostgreSQL in a temporary data
directory, on a free loopback port. The machine's own servers (3306, 5432) are never touched.

`ThrowawayServer.start()` runs the server in a process group of its own, `kill()` ends the whole group with
SIGKILL at once (PostgreSQL's postmaster and every backend: a crash, not a shutdown) and `start()` again
runs it on the same data directory, where it recovers. PostgreSQL refuses to run as root: under root the
server runs as `nobody`, in a data directory that user owns. A server binary that is missing skips the test
(under CI=true it fails it).
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, List, Optional

import server_stores
from ml_metadata.proto import metadata_store_pb2 as pb

READY_SECONDS = 60.0  # for the slowest machine; a working one is ready in a second or two
UNPRIVILEGED = "nobody"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayServer:
    """One server on one data directory and port, across kills and restarts. Subclasses say how it is made,
    run and reached."""

    kind = ""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"fastmlmd-{self.kind}-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.log = self.folder / "server.log"
        self.process: Optional[subprocess.Popen] = None
        self._user = UNPRIVILEGED if os.geteuid() == 0 and self.needs_unprivileged else None
        if self._user is not None:
            shutil.chown(self.folder, self._user)
            os.chmod(self.folder, 0o700)
        self.initialize()

    needs_unprivileged = False

    def initialize(self) -> None:
        raise NotImplementedError

    def command(self) -> List[str]:
        raise NotImplementedError

    def ping(self) -> bool:
        """Whether the server answers a query."""
        raise NotImplementedError

    def config(self, database: str) -> pb.ConnectionConfig:
        raise NotImplementedError

    def _run(self, command: List[str]) -> None:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, user=self._user,
                              cwd=self.folder, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout.decode(errors='replace')[-3000:]}")

    def start(self) -> None:
        """Runs the server on the data directory and waits until it answers."""
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, user=self._user,
                                            cwd=self.folder, start_new_session=True)
        deadline = time.monotonic() + READY_SECONDS
        while not self.ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"the {self.kind} server did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to the server's whole process group, and waits until it is gone."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(30)
        # The server's children (PostgreSQL's backends) die with it but are reaped by init: wait until none is
        # left to hold the port or the shared memory the restart takes.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        self.process = None

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


class ThrowawayMariaDB(ThrowawayServer):
    """mariadbd on a data directory made by mariadb-install-db; user root, no password (grant tables skipped)."""

    kind = "mariadb"

    def initialize(self) -> None:
        install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        server = shutil.which("mariadbd") or shutil.which("mysqld") or (
            "/usr/sbin/mariadbd" if os.path.exists("/usr/sbin/mariadbd") else None)
        if install is None or server is None:
            server_stores.unavailable("no mariadbd / mariadb-install-db to run a throwaway server")
        self._server = server
        self._run([install, "--no-defaults", f"--datadir={self.data}", "--auth-root-authentication-method=normal",
                   "--skip-test-db", *self._as_user()])

    def _as_user(self) -> List[str]:
        return ["--user=root"] if os.geteuid() == 0 else []

    def command(self) -> List[str]:
        return [self._server, "--no-defaults", f"--datadir={self.data}", f"--port={self.port}",
                "--bind-address=127.0.0.1", f"--socket={self.folder / 'mysqld.sock'}",
                f"--pid-file={self.folder / 'mysqld.pid'}", "--skip-grant-tables", "--skip-networking=0",
                "--innodb-buffer-pool-size=32M", "--skip-log-bin", *self._as_user()]

    def ping(self) -> bool:
        import pymysql

        try:
            pymysql.connect(host="127.0.0.1", port=self.port, user="root", connect_timeout=2).close()
        except pymysql.Error:
            return False
        return True

    def config(self, database: str) -> pb.ConnectionConfig:
        config = pb.ConnectionConfig()
        config.mysql.host, config.mysql.port, config.mysql.user = "127.0.0.1", self.port, "root"
        config.mysql.database = database
        return config


class ThrowawayPostgreSQL(ThrowawayServer):
    """postgres on a cluster made by initdb; user postgres, trust."""

    kind = "postgresql"
    needs_unprivileged = True

    def initialize(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        initdb = found[-1] if found else shutil.which("initdb")
        if initdb is None:
            server_stores.unavailable("no initdb / postgres to run a throwaway PostgreSQL server")
        self._bin = Path(initdb).parent
        self._run([str(initdb), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync",
                   "--no-instructions"])

    def command(self) -> List[str]:
        return [str(self._bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.folder),
                "-c", "listen_addresses=127.0.0.1", "-c", "shared_buffers=16MB", "-c", "max_connections=40",
                "-c", "logging_collector=off"]

    def ping(self) -> bool:
        import psycopg

        try:
            psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                            connect_timeout=2).close()
        except psycopg.Error:
            return False
        return True

    def config(self, database: str) -> pb.ConnectionConfig:
        config = pb.ConnectionConfig()
        config.postgresql.host, config.postgresql.port = "127.0.0.1", str(self.port)
        config.postgresql.user, config.postgresql.dbname = "postgres", database
        return config


def throwaway(kind: str) -> Any:
    """A new, initialized (not yet started) server of `kind` ("mysql" or "postgresql")."""
    return ThrowawayMariaDB() if kind == "mysql" else ThrowawayPostgreSQL()
