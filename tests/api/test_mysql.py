"""What only the MySQL/MariaDB backend has to get right about its connection."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import Any, List, Tuple

import pytest
import server_stores
from google.protobuf import text_format
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

pytestmark = pytest.mark.server


@pytest.fixture
def config() -> Any:
    return server_stores.mysql_stores().config()


def _kill_sessions_of(database: str) -> int:
    """Ends every session on `database` (the store's own, never another's) from an admin session; how many."""
    import pymysql

    admin = pymysql.connect(host=server_stores.HOST, port=server_stores.PORT, user=server_stores.USER,
                            autocommit=True)
    try:
        cur = admin.cursor()
        cur.execute("SELECT id FROM information_schema.processlist WHERE db = %s AND id != CONNECTION_ID()",
                    (database,))
        sessions = [row[0] for row in cur.fetchall()]
        for session in sessions:
            cur.execute(f"KILL CONNECTION {int(session)}")
        return len(sessions)
    finally:
        admin.close()


def test_a_lost_connection_is_unavailable_then_reconnects(config: Any) -> None:
    store = metadata_store.MetadataStore(config)
    store.put_artifact_type(pb.ArtifactType(name="Before"))
    assert _kill_sessions_of(config.mysql.database)
    with pytest.raises(errors.UnavailableError):
        store.put_artifact_type(pb.ArtifactType(name="Lost"))
    store.put_artifact_type(pb.ArtifactType(name="After"))
    assert [t.name for t in store.get_artifact_types()] == ["Before", "After"]


def test_a_limited_call_on_a_lost_connection_is_unavailable_then_reconnects(config: Any) -> None:
    # A filtered listing runs under the query time limit, which is set on the session before the call.
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(pb.ArtifactType(name="T"))
    store.put_artifacts([pb.Artifact(type_id=type_id, uri="/a")])
    assert _kill_sessions_of(config.mysql.database)
    options = metadata_store.ListOptions(filter_query="uri = '/a'")
    with pytest.raises(errors.UnavailableError):
        store.get_artifacts(list_options=options)
    assert [a.uri for a in store.get_artifacts(list_options=options)] == ["/a"]


@pytest.mark.parametrize("limit", [None, 5.0], ids=["same-limit", "new-limit"])
def test_a_flight_that_sets_the_time_limit_keeps_each_statement_its_own_row_count(config: Any,
                                                                                    limit: Any) -> None:
    # A call's first flight carries the SET of a changed time limit before the statements that waited for it;
    # each waiting statement must still read its own result, not its neighbour's.
    from fastmlmd.engine.backends import mysql

    metadata_store.MetadataStore(config)  # the store's tables, the write lock's row among them
    conn, _ = mysql.connect(config.mysql)
    try:
        conn.time_limit = limit
        conn.cursor().execute("START TRANSACTION")
        hit = conn.cursor().execute("UPDATE fastmlmd_write_lock SET writes = writes + 1 WHERE id = 1")
        missed = conn.cursor().execute("UPDATE fastmlmd_write_lock SET writes = writes + 1 WHERE id = 2")
        assert conn.cursor().execute("SELECT 1").fetchall() == [(1,)]  # sends the flight
        assert (hit.rowcount, missed.rowcount) == (1, 0)
        conn.cursor().execute("COMMIT")
    finally:
        conn.close()


# The drivers (engine/backends/mysql_driver.py) --------------------------------------------------------------------
# Each process speaks through one driver, chosen when the backend is first imported: these tests run stores in
# processes of their own, one per driver. The rest of the suite runs on the driver the environment chooses (CI runs
# the MySQL backend's own tests once more under the other).
_DRIVER_MODULES = {"mysqlclient": "MySQLdb", "pymysql": "pymysql"}
_ROUND_TRIP = r"""
import json, sys
from google.protobuf import json_format, text_format
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

store = metadata_store.MetadataStore(text_format.Parse(sys.argv[1], pb.ConnectionConfig()))
if sys.argv[2] == "write":
    model = pb.ArtifactType(name="Modèle")
    model.properties["note"] = pb.STRING
    type_id = store.put_artifact_type(model)
    artifact = pb.Artifact(type_id=type_id, name="hé ✓ 𝔘 '%s' \\ _", uri="/m/%%?")
    artifact.properties["note"].string_value = "ÿ\x00é"
    artifact.custom_properties["third"].double_value = 0.1 + 0.2
    artifact.custom_properties["big"].int_value = 2 ** 62 + 1
    artifact.custom_properties["blob"].proto_value.Pack(pb.Value(string_value="\udcff".encode("utf-8", "surrogatepass").decode("latin-1")))
    artifact.custom_properties["flag"].bool_value = True
    store.put_artifacts([artifact])
found = {query: [json_format.MessageToDict(a) for a in store.get_artifacts(
    list_options=metadata_store.ListOptions(filter_query=query))]
    for query in ("name = 'hé ✓ 𝔘 \\'%s\\' \\\\ _'", "name LIKE 'Hé%'", "name LIKE 'hé ✓%'", "uri = '/m/%%?'",
                  "properties.note.string_value = 'ÿ\x00é'", "custom_properties.third.double_value > 0.3")}
for listed in found.values():
    for artifact in listed:
        artifact.pop("createTimeSinceEpoch"), artifact.pop("lastUpdateTimeSinceEpoch")
print(json.dumps({"driver": store._engine.db.backend.driver, "found": found}, sort_keys=True))
"""


def _run(code: str, *args: str, driver: str = "") -> "subprocess.CompletedProcess[str]":
    env = dict(os.environ, FASTMLMD_MYSQL_DRIVER=driver)
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120)


def _installed(driver: str) -> bool:
    return importlib.util.find_spec(_DRIVER_MODULES[driver]) is not None


@pytest.mark.parametrize("writer", sorted(_DRIVER_MODULES))
def test_each_driver_reads_what_either_wrote_as_it_was_written(config: Any, writer: str) -> None:
    if not all(map(_installed, _DRIVER_MODULES)):
        pytest.skip("needs both drivers: pip install 'fastmlmd[mysql]' mysqlclient")
    text = text_format.MessageToString(config, as_one_line=True)
    reader = "pymysql" if writer == "mysqlclient" else "mysqlclient"
    runs = [_run(_ROUND_TRIP, text, "write", driver=writer), _run(_ROUND_TRIP, text, "read", driver=reader),
            _run(_ROUND_TRIP, text, "read", driver=writer)]
    assert [run.returncode for run in runs] == [0, 0, 0], [run.stderr[-2000:] for run in runs]
    answers = [json.loads(run.stdout) for run in runs]
    assert [answer["driver"] for answer in answers] == [writer, reader, writer]
    written = answers[0]["found"]
    assert {query: len(listed) for query, listed in written.items()} == dict.fromkeys(written, 1)  # every filter found the artifact
    assert [answer["found"] for answer in answers[1:]] == [written, written]


def test_the_driver_is_mysqlclient_when_installed_unless_one_is_chosen(config: Any) -> None:
    text = text_format.MessageToString(config, as_one_line=True)
    which = "from google.protobuf import text_format; import sys; from ml_metadata import metadata_store; " \
            "from ml_metadata.proto import metadata_store_pb2 as pb; print(metadata_store.MetadataStore(" \
            "text_format.Parse(sys.argv[1], pb.ConnectionConfig()))._engine.db.backend.driver)"
    default = _run(which, text)
    assert default.stdout.split() == ["mysqlclient" if _installed("mysqlclient") else "pymysql"], default.stderr
    for driver in filter(_installed, _DRIVER_MODULES):
        assert _run(which, text, driver=driver).stdout.split() == [driver]


@pytest.mark.parametrize("driver", sorted(_DRIVER_MODULES))
def test_a_chosen_driver_that_is_not_installed_says_what_to_install(config: Any, driver: str) -> None:
    text = text_format.MessageToString(config, as_one_line=True)
    hidden = f"import sys; sys.modules[{_DRIVER_MODULES[driver]!r}] = None\n" + (
        "from google.protobuf import text_format; from ml_metadata import metadata_store; "
        "from ml_metadata.proto import metadata_store_pb2 as pb; "
        "metadata_store.MetadataStore(text_format.Parse(sys.argv[1], pb.ConnectionConfig()))")
    run = _run(hidden, text, driver=driver)
    assert run.returncode != 0
    assert f"RuntimeError: FASTMLMD_MYSQL_DRIVER={driver}, but" in run.stderr
    assert ("pip install mysqlclient" if driver == "mysqlclient" else "pip install 'fastmlmd[mysql]'") in run.stderr


def test_a_driver_name_that_is_neither_is_refused(config: Any) -> None:
    run = _run("import fastmlmd.engine.backends.mysql", driver="mariadb-connector")
    assert "FASTMLMD_MYSQL_DRIVER='mariadb-connector': it names 'mysqlclient' or 'pymysql'" in run.stderr


# MySQLDatabaseConfig's fields, on the driver in use ------------------------------------------------------------
def _admin_rows(sql: str, params: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    """The rows of one query, asked on an admin session of its own (not the store's)."""
    import pymysql

    admin = pymysql.connect(host=server_stores.HOST, port=server_stores.PORT, user=server_stores.USER)
    try:
        cur = admin.cursor()
        cur.execute(sql, params)
        return list(cur.fetchall())
    finally:
        admin.close()


def _session_hosts(database: str) -> List[str]:
    """The client host of every session on `database`: 'localhost' through a Unix socket, an address over TCP."""
    rows = _admin_rows("SELECT host FROM information_schema.processlist WHERE db = %s", (database,))
    return sorted(str(row[0]).split(":")[0] for row in rows)


def test_the_socket_is_the_way_to_the_server_when_given(config: Any) -> None:
    socket_path = str(_admin_rows("SELECT @@socket")[0][0])
    if not os.path.exists(socket_path):
        pytest.skip(f"the server's socket {socket_path} is not on this machine")
    over_tcp = metadata_store.MetadataStore(config)
    over_tcp.put_artifact_type(pb.ArtifactType(name="T"))
    assert set(_session_hosts(config.mysql.database)) == {"127.0.0.1"}
    through_socket = pb.ConnectionConfig()
    through_socket.mysql.CopyFrom(config.mysql)
    through_socket.mysql.ClearField("host")
    through_socket.mysql.ClearField("port")
    through_socket.mysql.socket = socket_path
    store = metadata_store.MetadataStore(through_socket)
    assert [t.name for t in store.get_artifact_types()] == ["T"]
    assert "localhost" in _session_hosts(config.mysql.database)


@pytest.mark.parametrize(("change", "errno"), [
    pytest.param(lambda mysql: setattr(mysql, "password", "not-the-password"), "1045", id="password"),
    pytest.param(lambda mysql: setattr(mysql, "user", "no_such_user_of_fastmlmd"), "1045|1698", id="user"),
    pytest.param(lambda mysql: setattr(mysql, "port", 1), "2002|2003", id="port"),  # libmariadb's, PyMySQL's
])
def test_a_config_the_server_refuses_fails_with_its_errno(config: Any, change: Any, errno: str) -> None:
    change(config.mysql)
    with pytest.raises(RuntimeError, match=f"^mysql_real_connect failed: errno: ({errno}), "):
        metadata_store.MetadataStore(config)


def test_skip_db_creation_needs_the_database_made(config: Any) -> None:
    config.mysql.database += "_never_made"
    config.mysql.skip_db_creation = True
    with pytest.raises(RuntimeError, match="^mysql_real_connect failed: errno: 1049, "):
        metadata_store.MetadataStore(config)


def test_ssl_options_require_tls(config: Any) -> None:
    have_ssl = str(_admin_rows("SELECT @@have_ssl")[0][0])
    config.mysql.ssl_options.cipher = "ECDHE-RSA-AES128-GCM-SHA256"
    if have_ssl == "YES":
        store = metadata_store.MetadataStore(config)
        assert store.get_artifact_types() == []
    else:  # a server without TLS is refused, never spoken to in the clear
        with pytest.raises(RuntimeError, match="^mysql_real_connect failed: errno: 2026, "):
            metadata_store.MetadataStore(config)
