"""Store URLs and config files map to the config messages the API takes."""
from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import text_format

from fastmlmd.cli.store_url import StoreUrlError, parse_store
from ml_metadata.proto import metadata_store_pb2 as pb

RO = pb.SqliteMetadataSourceConfig.READONLY
RWC = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE


@pytest.mark.parametrize(
    ("url", "writable", "expected"),
    [
        pytest.param("memory:", False, "fake_database {}", id="memory"),
        pytest.param("sqlite:///store.db", False, f'sqlite {{ filename_uri: "store.db" connection_mode: {RO} }}',
                     id="sqlite-relative-read"),
        pytest.param("sqlite:////tmp/s.db", True, f'sqlite {{ filename_uri: "/tmp/s.db" connection_mode: {RWC} }}',
                     id="sqlite-absolute-write"),
        pytest.param("sqlite:///my%20store.db?mode=rw", False,
                     'sqlite { filename_uri: "my store.db" connection_mode: READWRITE }', id="sqlite-mode"),
        pytest.param("mysql://ann:p%40ss@db.local:3307/mlmd?skip_db_creation=true", False,
                     'mysql { host: "db.local" port: 3307 database: "mlmd" user: "ann" password: "p@ss" '
                     'skip_db_creation: true }', id="mysql"),
        pytest.param("mysql://root@localhost/mlmd?socket=/run/mysqld.sock", False,
                     'mysql { host: "localhost" database: "mlmd" user: "root" socket: "/run/mysqld.sock" }',
                     id="mysql-socket"),
        pytest.param("postgresql://bob:pw@pg:5432/meta?sslmode=require", False,
                     'postgresql { host: "pg" port: "5432" user: "bob" password: "pw" dbname: "meta" '
                     'ssloption { sslmode: "require" } }', id="postgresql"),
        pytest.param("postgres://pg/meta", False, 'postgresql { host: "pg" dbname: "meta" }', id="postgres-alias"),
    ],
)
def test_connection_urls(url: str, writable: bool, expected: str) -> None:
    assert parse_store(url, writable) == text_format.Parse(expected, pb.ConnectionConfig())


def test_grpc_url_is_a_client_config() -> None:
    config = parse_store("grpc://metadata.svc:8080?client_timeout_sec=2.5")
    assert config == pb.MetadataStoreClientConfig(host="metadata.svc", port=8080, client_timeout_sec=2.5)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("", "no store given", id="empty"),
        pytest.param("redis://x", "unknown store URL scheme 'redis'", id="scheme"),
        pytest.param("sqlite://store.db", "three slashes", id="sqlite-two-slashes"),
        pytest.param("sqlite:///s.db?mode=wx", "unknown SQLite mode 'wx'", id="sqlite-mode"),
        pytest.param("sqlite:///s.db?cache=1", "unknown option 'cache'", id="sqlite-option"),
        pytest.param("grpc://host", "a host and a port", id="grpc-no-port"),
        pytest.param("mysql://h:99999/db", "bad port", id="port-range"),
        pytest.param("no/such/file.db", "no such store file", id="missing-path"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    with pytest.raises(StoreUrlError, match=message):
        parse_store(url)


def test_a_missing_path_is_created_only_by_writers(tmp_path: Path) -> None:
    config = parse_store(str(tmp_path / "new.db"), writable=True)
    assert (config.sqlite.filename_uri, config.sqlite.connection_mode) == (str(tmp_path / "new.db"), RWC)


def test_config_files_in_text_format(tmp_path: Path) -> None:
    connection = tmp_path / "connection.pbtxt"
    connection.write_text('mysql { host: "db" port: 3306 database: "m" }\nretry_options { max_num_retries: 2 }\n')
    client = tmp_path / "client.pbtxt"
    client.write_text('host: "localhost"\nport: 8080\n')
    assert parse_store(str(connection)) == text_format.Parse(connection.read_text(), pb.ConnectionConfig())
    assert parse_store(str(client)) == pb.MetadataStoreClientConfig(host="localhost", port=8080)
    garbage = tmp_path / "garbage.txt"
    garbage.write_text("this is not a config")
    with pytest.raises(StoreUrlError, match="neither an SQLite file nor a text-format config"):
        parse_store(str(garbage))


def test_an_sqlite_file_by_its_path(tmp_path: Path, store_path: Path) -> None:
    config = parse_store(str(store_path))
    assert (config.sqlite.filename_uri, config.sqlite.connection_mode) == (str(store_path), RO)
