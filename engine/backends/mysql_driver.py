"""Which client library the MySQL backend (mysql.py) speaks through, and every way the two differ.

mysqlclient (`import MySQLdb`, C, on libmariadb or libmysqlclient) when it is installed, PyMySQL (pure Python,
`pip install 'fastmlmd[mysql]'`) otherwise; FASTMLMD_MYSQL_DRIVER=mysqlclient|pymysql chooses one (read once,
when the backend is first imported). Both raise the server's error numbers in `args[0]` and the same DB-API
classes, read the same rows (text columns as str, decided by the column's character set, not by its binary
collation; binary columns and every column of a session without `use_unicode` as bytes), and speak MySQL's
multi-statement protocol. What differs is kept here:

- statement text: PyMySQL quotes parameters into str, which it encodes as it sends; mysqlclient quotes into
  bytes, sent as they are. `mogrify` and `join` make the text in the driver's own type, so neither decodes a
  body's bytes to send them.
- settings: mysqlclient takes TLS as a mode (`ssl_mode`, as MLMD's own client does) where PyMySQL takes a
  `check_hostname` key (libmariadb checks the host name whenever it checks the certificate), and its REQUIRED
  mode is checked here (libmariadb falls back to a session in the clear);
  its multi-row INSERTs of `executemany` are cut at 64 KiB unless told PyMySQL's size.
- a lost session: PyMySQL marks its connection closed, mysqlclient's stays open and fails each statement
  again; nor does mysqlclient show the server's transaction status. mysql.py tracks both itself, the loss by
  the error numbers, the same way for either driver.
- host "localhost" without a socket: libmariadb goes through the server's default Unix socket (as MLMD's own
  client does), PyMySQL through TCP to localhost. A server that cannot be reached is errno 2002 in libmariadb,
  2003 in PyMySQL (both mean it to mysql.py).
"""
from __future__ import annotations

import functools
import os
from typing import Any, Dict, List, Sequence, Union

Text = Union[str, bytes]  # a statement as the driver sends it
# PyMySQL's size of the INSERT statements its executemany writes (the two drivers write the same statements).
EXECUTEMANY_BYTES = 1024000

_INSTALL = {"mysqlclient": "pip install mysqlclient (it builds against the MariaDB or MySQL client library: "
                           "apt-get install libmariadb-dev pkg-config, and a C compiler)",
            "pymysql": "pip install 'fastmlmd[mysql]'"}
CHOSEN = os.environ.get("FASTMLMD_MYSQL_DRIVER", "").strip().lower()
if CHOSEN not in ("", "mysqlclient", "pymysql"):
    raise RuntimeError(f"FASTMLMD_MYSQL_DRIVER={CHOSEN!r}: it names 'mysqlclient' or 'pymysql' (unset: "
                       "mysqlclient when it is installed, else PyMySQL)")

NAME = ""
if CHOSEN in ("", "mysqlclient"):
    try:
        import MySQLdb as _driver
        from MySQLdb.constants import CLIENT as _CLIENT

        NAME = "mysqlclient"
    except ImportError as exc:
        if CHOSEN:
            raise RuntimeError(f"FASTMLMD_MYSQL_DRIVER=mysqlclient, but mysqlclient is not installed: "
                               f"{_INSTALL['mysqlclient']}") from exc
if not NAME:
    try:
        import pymysql as _driver
        from pymysql.constants import CLIENT as _CLIENT

        NAME = "pymysql"
    except ImportError as exc:
        if CHOSEN:
            raise RuntimeError(f"FASTMLMD_MYSQL_DRIVER=pymysql, but PyMySQL is not installed: "
                               f"{_INSTALL['pymysql']}") from exc
        raise RuntimeError(f"The mysql backend needs PyMySQL or mysqlclient: {_INSTALL['pymysql']}, or "
                           f"{_INSTALL['mysqlclient']}") from exc

Error = _driver.Error
IntegrityError = _driver.IntegrityError
OperationalError = _driver.OperationalError
InterfaceError = _driver.InterfaceError  # the driver's own: its connection was closed


def connect(host: str, port: int, user: Any, password: str, unix_socket: Any, ssl: Any, charset: str,
            use_unicode: bool) -> Any:
    """A connection in autocommit, with multi-statements, bytes sent as `_binary'...'`. `ssl`: None, or
    the MySQLDatabaseConfig.SSLOptions fields set (key, cert, ca, capath, cipher) and `verify_server_cert`."""
    settings: Dict[str, Any] = dict(host=host, port=port, password=password, charset=charset,
                                    use_unicode=use_unicode, autocommit=True, binary_prefix=True,
                                    client_flag=_CLIENT.MULTI_STATEMENTS)
    if user is not None:
        settings["user"] = user
    if unix_socket is not None:
        settings["unix_socket"] = unix_socket
    if ssl is not None:
        ssl = dict(ssl)
        verify = ssl.pop("verify_server_cert")
        if NAME == "pymysql":
            # TLS is required; the certificate is checked when a CA is given, its host name too when asked.
            settings["ssl"] = dict(ssl, check_hostname=verify)
        else:
            settings["ssl"] = ssl
            settings["ssl_mode"] = ("VERIFY_IDENTITY" if verify else "VERIFY_CA") if (
                "ca" in ssl or "capath" in ssl) else "REQUIRED"
    raw = _driver.connect(**settings)
    if ssl is not None and NAME == "mysqlclient":
        _require_tls(raw)
    return raw


def _require_tls(raw: Any) -> None:
    """Refuses a session in the clear: libmariadb's REQUIRED falls back to one when the server has no TLS and
    no certificate is to be checked, where PyMySQL refuses it."""
    cur = raw.cursor()
    cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
    row = cur.fetchone()
    if not row or not row[1]:
        raw.close()
        raise _driver.OperationalError(2026, "TLS/SSL error: SSL is required, but the server does not support it")


def cursor(raw: Any) -> Any:
    """A cursor of `raw`, whose executemany writes the INSERTs PyMySQL's does."""
    cur = raw.cursor()
    if NAME == "mysqlclient":
        cur.max_stmt_length = EXECUTEMANY_BYTES
    return cur


if NAME == "mysqlclient":
    @functools.lru_cache(maxsize=4096)
    def _encoded(sql: str, encoding: str) -> bytes:
        return sql.encode(encoding)

    def mogrify(raw_cursor: Any, sql: str, parameters: Sequence[Any]) -> Text:
        """`sql` (`%s` placeholders, `%%` for `%`) with `parameters` quoted in, as the driver sends it."""
        conn = raw_cursor.connection
        literal = conn.literal  # ids, the most common parameter, are written here: a third of a read's time
        return _encoded(sql, conn.encoding) % tuple(b"%d" % value if type(value) is int else literal(value)
                                                    for value in parameters)

    def join(separator: str, texts: List[Any]) -> Text:
        return separator.encode("ascii").join(texts)
else:
    def mogrify(raw_cursor: Any, sql: str, parameters: Sequence[Any]) -> Text:
        """`sql` (`%s` placeholders, `%%` for `%`) with `parameters` quoted in, as the driver sends it."""
        return raw_cursor.mogrify(sql, tuple(parameters))

    def join(separator: str, texts: List[Any]) -> Text:
        return separator.join(texts)
