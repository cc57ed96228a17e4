"""The server's command line: MLMD's `metadata_store_server` flags, plus a few of fastmlmd's own.

MLMD's flags keep their names, defaults and meaning (gflags syntax too: `--flag=value`, `--flag value`,
`-flag`, and `--flag` / `--noflag` for booleans):

* `--grpc_port` (8080), `--grpc_channel_arguments` ("key=value,key=value"; a value that parses as an
  integer is passed as one);
* `--metadata_store_server_config_file`: a text-format MetadataStoreServerConfig (connection_config,
  ssl_config, migration_options); when given it overrides the --mysql_config_* flags;
* `--mysql_config_host/port/database/user/password`: a MySQL store (host, port and database together);
* `--enable_database_upgrade`, `--downgrade_db_schema_version`;
* `--metadata_store_connection_retries` (5): how often opening the store is retried when it aborts.

With neither a config file nor MySQL flags the store is in memory, as with MLMD. fastmlmd adds
`--grpc_host` (MLMD listens on 0.0.0.0), `--grpc_workers`, `--grpc_max_message_bytes`,
`--shutdown_grace_seconds` and `--log_requests`.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
from typing import List, Optional, Sequence, Tuple, Union

from google.protobuf import text_format

from ml_metadata.proto import metadata_store_pb2 as pb

ChannelArgument = Tuple[str, Union[int, str]]
# gRPC's default receive limit is 4 MiB, which a page of large nodes or a big put_execution passes.
DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class FlagError(ValueError):
    """A flag or the config file it names is invalid; the message says which and why."""


@dataclasses.dataclass
class ServerSettings:
    """Everything the command line decides."""

    host: str
    port: int
    channel_arguments: List[ChannelArgument]
    config: pb.MetadataStoreServerConfig
    connection_retries: int
    workers: int
    shutdown_grace_seconds: float
    log_requests: bool


def default_workers() -> int:
    """Threads serving calls: SQLite and gRPC release the GIL while they wait, so a few per core pay off."""
    return min(32, (os.cpu_count() or 1) * 2 + 2)


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "t", "yes", "y"):
        return True
    if lowered in ("0", "false", "f", "no", "n"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def parse_channel_arguments(text: str) -> List[ChannelArgument]:
    """MLMD's `--grpc_channel_arguments`: comma-separated key=value; integer-looking values become ints."""
    parsed: List[ChannelArgument] = []
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise FlagError(f"--grpc_channel_arguments: {item!r} is not key=value")
        try:
            parsed.append((key, int(value)))
        except ValueError:
            parsed.append((key, value))
    return parsed


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m fastmlmd.server",
                                description="fastmlmd's gRPC metadata store server, a drop-in for MLMD's "
                                            "metadata_store_server.")
    p.add_argument("--grpc_port", type=int, default=8080, help="port to listen on (default 8080)")
    p.add_argument("--grpc_host", default="0.0.0.0", help="address to listen on (default 0.0.0.0, all interfaces)")
    p.add_argument("--grpc_channel_arguments", default="",
                   help="comma-separated gRPC server arguments, e.g. grpc.max_connection_age_ms=2000")
    p.add_argument("--metadata_store_server_config_file", default="",
                   help="a text-format MetadataStoreServerConfig; overrides the --mysql_config_* flags")
    p.add_argument("--metadata_store_connection_retries", type=int, default=5,
                   help="retries of opening the store when it aborts (default 5)")
    p.add_argument("--mysql_config_host", default="")
    p.add_argument("--mysql_config_port", type=int, default=0)
    p.add_argument("--mysql_config_database", default="")
    p.add_argument("--mysql_config_user", default="")
    p.add_argument("--mysql_config_password", default="")
    p.add_argument("--enable_database_upgrade", type=_bool, nargs="?", const=True, default=False,
                   help="upgrade an older schema at start")
    p.add_argument("--downgrade_db_schema_version", type=int, default=-1,
                   help="downgrade the store's schema to this version, then exit")
    p.add_argument("--grpc_workers", type=int, default=default_workers(),
                   help="threads serving calls (default: 2 per core + 2, at most 32)")
    p.add_argument("--grpc_max_message_bytes", type=int, default=DEFAULT_MAX_MESSAGE_BYTES,
                   help="largest request or response (default 256 MiB; gRPC's own default is 4 MiB); "
                        "grpc.max_*_message_length channel arguments override it")
    p.add_argument("--shutdown_grace_seconds", type=float, default=30.0,
                   help="on SIGTERM or SIGINT, how long calls in flight may take to finish (default 30)")
    p.add_argument("--log_requests", type=_bool, nargs="?", const=True, default=False,
                   help="log each call: method, peer, status and milliseconds")
    return p


def _gflags_style(argv: Sequence[str]) -> List[str]:
    """gflags spellings as argparse reads them: `-flag` is `--flag`, `--noflag` is `--flag=false`."""
    out = []
    for arg in argv:
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            arg = "-" + arg
        if arg in ("--noenable_database_upgrade", "--nolog_requests"):
            arg = f"--{arg[4:]}=false"
        out.append(arg)
    return out


def _read_config_file(path: str) -> pb.MetadataStoreServerConfig:
    try:
        with open(path, encoding="utf-8") as fh:
            return text_format.Parse(fh.read(), pb.MetadataStoreServerConfig())
    except OSError as exc:
        raise FlagError(f"--metadata_store_server_config_file: cannot read {path!r}: {exc}") from exc
    except text_format.ParseError as exc:
        raise FlagError(f"--metadata_store_server_config_file: {path!r} is not a text-format "
                        f"MetadataStoreServerConfig: {exc}") from exc


def _mysql_config(ns: argparse.Namespace) -> Optional[pb.ConnectionConfig]:
    if not ns.mysql_config_host and not ns.mysql_config_database and ns.mysql_config_port == 0:
        return None
    if not ns.mysql_config_host or not ns.mysql_config_database or ns.mysql_config_port <= 0:
        raise FlagError("To use mysql store, all of --mysql_config_host, --mysql_config_port, "
                        "--mysql_config_database needs to be provided")
    return pb.ConnectionConfig(mysql=pb.MySQLDatabaseConfig(
        host=ns.mysql_config_host, port=ns.mysql_config_port, database=ns.mysql_config_database,
        user=ns.mysql_config_user, password=ns.mysql_config_password))


def parse(argv: Sequence[str]) -> ServerSettings:
    """The settings the command line asks for; FlagError (or argparse's exit) when it is invalid."""
    ns = _parser().parse_args(_gflags_style(argv))
    if ns.grpc_port < 0:  # 0 (fastmlmd only): any free port, which the server logs
        raise FlagError(f"grpc_port is invalid: {ns.grpc_port}")
    if ns.grpc_workers <= 0:
        raise FlagError(f"--grpc_workers must be at least 1, got {ns.grpc_workers}")
    if ns.enable_database_upgrade and ns.downgrade_db_schema_version >= 0:
        raise FlagError("Both --enable_database_upgrade=true and --downgrade_db_schema_version >= 0 cannot be set "
                        "together. Only one of the flags needs to be set")
    config = pb.MetadataStoreServerConfig()
    mysql = _mysql_config(ns)
    if ns.metadata_store_server_config_file:
        config = _read_config_file(ns.metadata_store_server_config_file)
    elif mysql is not None:
        config.connection_config.CopyFrom(mysql)
    else:
        config.connection_config.fake_database.SetInParent()  # MLMD's default: a store in memory
    # MLMD reads these two only beside the MySQL flags; here they apply to any store.
    if ns.enable_database_upgrade:
        config.migration_options.enable_upgrade_migration = True
    if ns.downgrade_db_schema_version >= 0:
        config.migration_options.downgrade_to_schema_version = ns.downgrade_db_schema_version
    arguments = [("grpc.max_receive_message_length", ns.grpc_max_message_bytes),
                 ("grpc.max_send_message_length", ns.grpc_max_message_bytes)]
    given = parse_channel_arguments(ns.grpc_channel_arguments)
    arguments = [a for a in arguments if a[0] not in {key for key, _ in given}] + given
    return ServerSettings(host=ns.grpc_host, port=ns.grpc_port, channel_arguments=arguments, config=config,
                          connection_retries=max(0, ns.metadata_store_connection_retries), workers=ns.grpc_workers,
                          shutdown_grace_seconds=ns.shutdown_grace_seconds, log_requests=ns.log_requests)
