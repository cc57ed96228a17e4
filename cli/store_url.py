"""Store URLs -> the config message `ml_metadata.metadata_store.MetadataStore` takes.

    memory:                                  a private in-memory store (fake_database)
    sqlite:///relative/path.db               an SQLite file (four slashes for an absolute path, as SQLAlchemy)
    sqlite:///path.db?mode=ro|rw|rwc         ... opened read-only, read-write, or created if missing
    mysql://user:pass@host:3306/db           MySQLDatabaseConfig (?socket=..., ?skip_db_creation=true)
    postgresql://user:pass@host:5432/db      PostgreSQLDatabaseConfig (also postgres://; ?sslmode=...)
    grpc://host:8080                         MetadataStoreClientConfig (?client_timeout_sec=...)
    PATH                                     an SQLite file, or a text-format ConnectionConfig or
                                             MetadataStoreClientConfig (MLMD's config files)

Only the mapping lives here; whether a backend is there to open is the API's to say.
"""
from __future__ import annotations

import os
from typing import Dict, List, Union
from urllib.parse import parse_qs, unquote, urlsplit

from google.protobuf import text_format

from ml_metadata.proto import metadata_store_pb2 as pb

Config = Union[pb.ConnectionConfig, pb.MetadataStoreClientConfig]
SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_MODES = {
    "ro": pb.SqliteMetadataSourceConfig.READONLY,
    "rw": pb.SqliteMetadataSourceConfig.READWRITE,
    "rwc": pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE,
}
_TRUE = ("1", "true", "yes")


class StoreUrlError(ValueError):
    """A store URL or config file that names no store."""


def parse_store(url: str, writable: bool = False) -> Config:
    """The config for `url`.

    Args:
      url: a store URL (see the module's docstring) or a path.
      writable: for an SQLite file whose URL names no mode, open it read-write and create it if missing;
        otherwise it is opened read-only, so that reading a mistyped path does not create a file.

    Raises:
      StoreUrlError: the URL's scheme is unknown, a part is malformed, or a config file does not parse.
    """
    url = url.strip()
    if not url:
        raise StoreUrlError("no store given: pass --store URL or set FASTMLMD_STORE")
    if url in ("memory:", "memory://", ":memory:"):
        config = pb.ConnectionConfig()
        config.fake_database.SetInParent()
        return config
    scheme = url.split(":", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        return _sqlite(url, writable)
    if scheme == "mysql":
        return _mysql(url)
    if scheme in ("postgresql", "postgres"):
        return _postgresql(url)
    if scheme == "grpc":
        return _grpc(url)
    if scheme:
        raise StoreUrlError(f"unknown store URL scheme {scheme!r} in {url!r}; use memory:, sqlite:///PATH, "
                            "mysql://, postgresql:// or grpc://HOST:PORT, or a config file's path")
    return _path(url, writable)


def _query(url: str, allowed: List[str]) -> Dict[str, str]:
    found = {key: values[-1] for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
    unknown = sorted(set(found) - set(allowed))
    if unknown:
        raise StoreUrlError(f"unknown option {unknown[0]!r} in {url!r}; this scheme takes {', '.join(allowed)}")
    return found


def _port(url: str) -> int:
    try:
        port = urlsplit(url).port
    except ValueError as exc:
        raise StoreUrlError(f"bad port in {url!r}: {exc}") from exc
    return 0 if port is None else port


def _sqlite(url: str, writable: bool) -> pb.ConnectionConfig:
    # sqlite:///a.db -> "a.db", sqlite:////tmp/a.db -> "/tmp/a.db": the text after the third slash.
    rest = url.split("://", 1)[1]
    if not rest.startswith("/"):
        raise StoreUrlError(f"an SQLite URL has three slashes before a relative path, four before an absolute "
                            f"one (sqlite:///store.db, sqlite:////tmp/store.db), got {url!r}")
    path = unquote(rest[1:].split("?", 1)[0])
    if not path:
        raise StoreUrlError(f"no file in {url!r}; write sqlite:///store.db")
    options = _query(url, ["mode"])
    config = _sqlite_config(path, writable)
    if "mode" in options:
        if options["mode"] not in _SQLITE_MODES:
            raise StoreUrlError(f"unknown SQLite mode {options['mode']!r}; use ro, rw or rwc")
        config.sqlite.connection_mode = _SQLITE_MODES[options["mode"]]
    return config


def _sqlite_config(path: str, writable: bool) -> pb.ConnectionConfig:
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = _SQLITE_MODES["rwc" if writable else "ro"]
    return config


def _mysql(url: str) -> pb.ConnectionConfig:
    parts = urlsplit(url)
    options = _query(url, ["socket", "skip_db_creation"])
    config = pb.ConnectionConfig()
    mysql = config.mysql
    mysql.SetInParent()
    if parts.hostname:
        mysql.host = parts.hostname
    port = _port(url)
    if port:
        mysql.port = port
    if parts.username is not None:
        mysql.user = unquote(parts.username)
    if parts.password is not None:
        mysql.password = unquote(parts.password)
    database = unquote(parts.path.lstrip("/"))
    if database:
        mysql.database = database
    if "socket" in options:
        mysql.socket = options["socket"]
    if "skip_db_creation" in options:
        mysql.skip_db_creation = options["skip_db_creation"].lower() in _TRUE
    return config


def _postgresql(url: str) -> pb.ConnectionConfig:
    parts = urlsplit(url)
    ssl_keys = ["sslmode", "sslcert", "sslkey", "sslpassword", "sslrootcert"]
    options = _query(url, ["hostaddr", "passfile", "skip_db_creation", *ssl_keys])
    config = pb.ConnectionConfig()
    pg = config.postgresql
    pg.SetInParent()
    if parts.hostname:
        pg.host = parts.hostname
    port = _port(url)
    if port:
        pg.port = str(port)  # a string in PostgreSQLDatabaseConfig, as libpq takes it
    if parts.username is not None:
        pg.user = unquote(parts.username)
    if parts.password is not None:
        pg.password = unquote(parts.password)
    dbname = unquote(parts.path.lstrip("/"))
    if dbname:
        pg.dbname = dbname
    for key in ("hostaddr", "passfile"):
        if key in options:
            setattr(pg, key, options[key])
    if "skip_db_creation" in options:
        pg.skip_db_creation = options["skip_db_creation"].lower() in _TRUE
    for key in ssl_keys:
        if key in options:
            setattr(pg.ssloption, key, options[key])
    return config


def _grpc(url: str) -> pb.MetadataStoreClientConfig:
    parts = urlsplit(url)
    options = _query(url, ["client_timeout_sec"])
    if not parts.hostname or not _port(url):
        raise StoreUrlError(f"a gRPC URL names a host and a port (grpc://localhost:8080), got {url!r}")
    config = pb.MetadataStoreClientConfig(host=parts.hostname, port=_port(url))
    if "client_timeout_sec" in options:
        try:
            config.client_timeout_sec = float(options["client_timeout_sec"])
        except ValueError as exc:
            raise StoreUrlError(f"client_timeout_sec is a number of seconds, got "
                                f"{options['client_timeout_sec']!r}") from exc
    return config


def _path(path: str, writable: bool) -> Config:
    """A path: an SQLite file (or a new one, when writable), else a text-format config file."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
            if head != SQLITE_MAGIC and head:
                handle.seek(0)
                return parse_config_text(handle.read().decode("utf-8", "replace"), path)
    except FileNotFoundError:
        if not writable:
            raise StoreUrlError(f"no such store file: {path!r} (a new store needs sqlite:///PATH or a command "
                                "that writes)") from None
    except IsADirectoryError:
        raise StoreUrlError(f"{path!r} is a directory, not a store") from None
    return _sqlite_config(os.fspath(path), writable)


def parse_config_text(text: str, source: str = "config") -> Config:
    """A text-format ConnectionConfig or MetadataStoreClientConfig, whichever parses (in that order)."""
    problems = []
    for message_class in (pb.ConnectionConfig, pb.MetadataStoreClientConfig):
        message = message_class()
        try:
            text_format.Parse(text, message)
            return message
        except text_format.ParseError as exc:
            problems.append(f"{message_class.__name__}: {exc}")
    raise StoreUrlError(f"{source} is neither an SQLite file nor a text-format config ({'; '.join(problems)})")
