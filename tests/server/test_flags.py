"""The server's command line: MLMD's flags with their names, defaults and gflags spellings."""
from __future__ import annotations

from pathlib import Path

import pytest

from fastmlmd.server import flags
from ml_metadata.proto import metadata_store_pb2 as pb

# Collected into docs/differences.md by tools/differences.py.
DIFFERENCES_FROM_MLMD = {
    "test_config_file_that_is_not_a_server_config":
        "an unreadable or unparsable --metadata_store_server_config_file stops the server with a message; "
        "MLMD's falls back to the MySQL flags, or to an in-memory store, without a word",
    "test_migration_flags_apply_to_a_config_file":
        "--enable_database_upgrade and --downgrade_db_schema_version apply to the store of a config file too; "
        "MLMD's reads them only beside the --mysql_config_* flags",
}


def test_defaults_are_mlmds() -> None:
    settings = flags.parse([])
    assert (settings.host, settings.port, settings.connection_retries) == ("0.0.0.0", 8080, 5)
    assert settings.config.connection_config.WhichOneof("config") == "fake_database"
    assert not settings.config.migration_options.enable_upgrade_migration
    assert dict(settings.channel_arguments)["grpc.max_receive_message_length"] > 4 * 1024 * 1024


@pytest.mark.parametrize("argv", [
    pytest.param(["--grpc_port=9090"], id="equals"),
    pytest.param(["--grpc_port", "9090"], id="separate"),
    pytest.param(["-grpc_port=9090"], id="single-dash"),
])
def test_gflags_spellings(argv: list) -> None:
    assert flags.parse(argv).port == 9090


@pytest.mark.parametrize(("argv", "expected"), [
    pytest.param(["--enable_database_upgrade"], True, id="bare"),
    pytest.param(["--enable_database_upgrade=true"], True, id="true"),
    pytest.param(["--enable_database_upgrade=false"], False, id="false"),
    pytest.param(["--noenable_database_upgrade"], False, id="no-prefix"),
])
def test_bool_flags(argv: list, expected: bool) -> None:
    assert flags.parse(argv).config.migration_options.enable_upgrade_migration is expected


def test_channel_arguments_ints_and_strings_and_overrides() -> None:
    settings = flags.parse(["--grpc_channel_arguments=grpc.max_connection_age_ms=2000,grpc.x=abc,"
                            "grpc.max_receive_message_length=1024"])
    arguments = dict(settings.channel_arguments)
    assert arguments["grpc.max_connection_age_ms"] == 2000
    assert arguments["grpc.x"] == "abc"
    assert arguments["grpc.max_receive_message_length"] == 1024
    assert [key for key, _ in settings.channel_arguments].count("grpc.max_receive_message_length") == 1


def test_mysql_flags_make_a_mysql_config() -> None:
    settings = flags.parse(["--mysql_config_host=db", "--mysql_config_port=3306", "--mysql_config_database=m",
                            "--mysql_config_user=u", "--mysql_config_password=p"])
    assert settings.config.connection_config.mysql == pb.MySQLDatabaseConfig(
        host="db", port=3306, database="m", user="u", password="p")


def test_config_file_overrides_mysql_flags(tmp_path: Path) -> None:
    path = tmp_path / "server.pbtxt"
    path.write_text('connection_config { sqlite { filename_uri: "/tmp/x.db" } }\n'
                    'migration_options { enable_upgrade_migration: true }\n')
    settings = flags.parse([f"--metadata_store_server_config_file={path}", "--mysql_config_host=db",
                            "--mysql_config_port=1", "--mysql_config_database=m"])
    assert settings.config.connection_config.sqlite.filename_uri == "/tmp/x.db"
    assert settings.config.migration_options.enable_upgrade_migration


@pytest.mark.parametrize(("argv", "message"), [
    pytest.param(["--mysql_config_host=db"], "all of --mysql_config_host", id="partial-mysql"),
    pytest.param(["--enable_database_upgrade", "--downgrade_db_schema_version=3"], "cannot be set together",
                 id="upgrade-and-downgrade"),
    pytest.param(["--grpc_port=-1"], "grpc_port is invalid", id="negative-port"),
    pytest.param(["--grpc_channel_arguments=novalue"], "is not key=value", id="bad-channel-argument"),
    pytest.param(["--metadata_store_server_config_file=/nonexistent/x.pbtxt"], "cannot read", id="missing-file"),
])
def test_invalid_flags_say_why(argv: list, message: str) -> None:
    with pytest.raises(flags.FlagError, match=message):
        flags.parse(argv)


def test_config_file_that_is_not_a_server_config(tmp_path: Path) -> None:
    path = tmp_path / "bad.pbtxt"
    path.write_text("no_such_field: 1\n")
    with pytest.raises(flags.FlagError, match="not a text-format MetadataStoreServerConfig"):
        flags.parse([f"--metadata_store_server_config_file={path}"])


def test_migration_flags_apply_to_a_config_file(tmp_path: Path) -> None:
    path = tmp_path / "server.pbtxt"
    path.write_text('connection_config { sqlite { filename_uri: "/tmp/x.db" } }\n')
    settings = flags.parse([f"--metadata_store_server_config_file={path}", "--downgrade_db_schema_version=4"])
    assert settings.config.migration_options.downgrade_to_schema_version == 4
    settings = flags.parse([f"--metadata_store_server_config_file={path}", "--enable_database_upgrade"])
    assert settings.config.migration_options.enable_upgrade_migration


def test_the_readme_flag_table_is_the_parsers() -> None:
    """README's table under "## Server" lists every flag the parser takes, with the parser's default where the
    table gives a literal one (in backticks) and "none" where the default is empty."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Server\n"):]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `--")]
    table = {row[0].strip("| `"): row[1] for row in rows}
    options = {action.dest: action.default for action in flags._parser()._actions if action.dest != "help"}
    assert sorted(table) == sorted(f"--{name}" for name in options)
    for name, default in options.items():
        cell = table[f"--{name}"]
        if cell == "none":
            assert default == "", name
        elif cell.startswith("`"):
            shown = str(default).lower() if isinstance(default, bool) else f"{default:g}" \
                if isinstance(default, float) else str(default)
            assert cell == f"`{shown}`", name
