"""The installed script on MariaDB, on PostgreSQL and through the gRPC server: each command answers there as
the API does (and as on SQLite), or, where the server has no RPC for it, fails in one line that says so."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NamedTuple

import pytest
from google.protobuf import json_format

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from .conftest import fill_pipeline, run_script
from .test_transfer import _getters, _open, fill_everything

TESTS = Path(__file__).resolve().parent.parent


def _on_tests_path(folder: str) -> None:
    path = str(TESTS / folder)
    if path not in sys.path:
        sys.path.insert(0, path)


class Served(NamedTuple):
    """A store on one backend: its URL for the script and its API handle."""

    url: str
    store: metadata_store.MetadataStore


def _database_store(backend: str) -> Served:
    _on_tests_path("api")
    import server_stores  # the session's databases on the loopback servers, dropped at its end

    config = server_stores.stores(backend).config()
    if backend == "mysql":
        url = f"mysql://{config.mysql.user}@{config.mysql.host}:{config.mysql.port}/{config.mysql.database}"
    else:
        url = f"postgresql://{config.postgresql.user}@{config.postgresql.host}:{config.postgresql.port}/" \
              f"{config.postgresql.dbname}"
    return Served(url, metadata_store.MetadataStore(config))


@pytest.fixture(params=[pytest.param("mysql", marks=pytest.mark.server),
                        pytest.param("postgresql", marks=pytest.mark.server), "grpc"])
def new_store(request: pytest.FixtureRequest) -> Iterator[Callable[[], Served]]:
    """Makes empty stores on one backend: a database on the loopback server, or a gRPC server's own memory."""
    servers: List[Any] = []

    def make() -> Served:
        if request.param != "grpc":
            return _database_store(request.param)
        pytest.importorskip("grpc", reason="the gRPC client needs grpcio (pip install 'fastmlmd[server]')")
        _on_tests_path("server")
        from server_kit import ServerProcess

        servers.append(ServerProcess())
        config = pb.MetadataStoreClientConfig(host="127.0.0.1", port=servers[-1].port)
        return Served(f"grpc://127.0.0.1:{servers[-1].port}", metadata_store.MetadataStore(config))

    yield make
    for server in servers:
        server.kill()  # its store is memory: nothing to drain


@pytest.fixture
def backend(request: pytest.FixtureRequest, new_store: Callable[[], Served]) -> str:
    return str(request.node.callspec.params["new_store"])


def _ok(*argv: str, **kwargs: Any) -> str:
    done = run_script(*argv, **kwargs)
    assert done.returncode == 0, (argv, done.stderr)
    assert done.stderr == ""
    return done.stdout


def _refused(words: str, *argv: str) -> None:
    done = run_script(*argv)
    assert done.returncode == 1 and done.stdout == "", (argv, done.stdout)
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("fastmlmd: error: ") and words in done.stderr, \
        done.stderr


def _dicts(messages: List[Any]) -> List[Dict[str, Any]]:
    return [json_format.MessageToDict(m, preserving_proto_field_name=True) for m in messages]


_LISTINGS = [
    ("artifacts", "get_artifacts", metadata_store.ListOptions(filter_query="type = 'Model' AND uri LIKE 'gs://%'"),
     ["--type", "Model", "--filter", "uri LIKE 'gs://%'"]),
    ("contexts", "get_contexts", metadata_store.ListOptions(
        filter_query="artifacts_a.name = 'model-1' OR name = 'run-0'", order_by=metadata_store.OrderByField.ID,
        is_asc=False, limit=5), ["--filter", "artifacts_a.name = 'model-1' OR name = 'run-0'", "--order-by", "id",
                                 "--desc", "--limit", "5"]),
]
# Commands whose output on the pipeline store must be SQLite's, up to the times each store stamps.
_AS_ON_SQLITE = [["show", "artifact", "2", "--format", "json"], ["events", "artifact", "2", "--format", "json"],
                 ["lineage", "artifact", "2", "--format", "dot"]]


def _without_times(value: Any) -> Any:
    """`value` with the fields each store stamps itself (times) left out: two fills differ only there."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if not k.endswith(("_since_epoch", "time"))}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _timeless(text: str, fmt: str) -> Any:
    if fmt == "json":
        return _without_times(json.loads(text))
    return [_without_times(json.loads(line)) for line in text.splitlines()] if fmt == "jsonl" else text


def test_reading_commands(new_store, backend, run, tmp_path) -> None:
    served = new_store()
    fill_pipeline(served.store)
    for kind, getter, options, flags in _LISTINGS:
        listed = json.loads(_ok("--store", served.url, "ls", kind, *flags, "--format", "json"))
        assert listed == _dicts(getattr(served.store, getter)(list_options=options)), flags
        assert listed, f"{flags} should list something"
    twin = tmp_path / "twin.db"
    fill_pipeline(_open(twin))
    for argv in _AS_ON_SQLITE:
        on_sqlite = run("--store", str(twin), *argv)  # in-process: the reference, not what is tested here
        assert on_sqlite.status == 0, on_sqlite.err
        assert _timeless(_ok("--store", served.url, *argv), argv[-1]) == _timeless(on_sqlite.out, argv[-1]), argv
    stats = json.loads(_ok("--store", served.url, "stats", "--format", "json"))
    assert {(row["kind"], row["type"]): row["count"] for row in stats["types"]} == {
        ("artifact", "Dataset"): 2, ("artifact", "Model"): 2, ("execution", "Trainer"): 2,
        ("execution", "Evaluator"): 2, ("context", "run"): 2}
    assert stats["nodes"] == 10 and stats["store"] == served.url
    if backend == "grpc":
        _refused("no RPC", "--store", served.url, "explain", "artifacts", "uri LIKE 'gs://%'")
    else:
        explained = _ok("--store", served.url, "explain", "artifacts", "contexts_a.name = 'run-1'")
        assert explained.startswith("filter: contexts_a.name = 'run-1'\n") and "access:" in explained


def _exported(url: str, path: Path) -> List[str]:
    _ok("--store", url, "export", str(path))
    return path.read_text().splitlines()


def _remapped_view(value: Any) -> Any:
    """`value` without type ids: an import with --remap-ids writes the types kind by kind, so they number
    otherwise (node ids, by kind, and everything else stay)."""
    if isinstance(value, dict):
        return {k: _remapped_view(v) for k, v in value.items() if k != "type_id"}
    return [_remapped_view(v) for v in value] if isinstance(value, list) else value


def _timeless_getters(store: metadata_store.MetadataStore) -> List[Any]:
    """_getters without times and type ids: what a --remap-ids copy into a fresh store keeps."""
    answers = [_without_times(_dicts(answer)) for answer in _getters(store, "grpc")]
    for types in answers[:3]:
        for found in types:
            del found["id"]
    return _remapped_view(answers)


def test_export_then_import_gives_back_the_same_store(new_store, backend, tmp_path) -> None:
    source = new_store()
    fill_everything(source.store, backend)
    exported = tmp_path / "first.jsonl"
    first = _exported(source.url, exported)
    twin = tmp_path / "twin.db"
    fill_everything(_open(twin), backend)
    on_sqlite = [_timeless(line, "json") for line in _exported(str(twin), tmp_path / "twin.jsonl")]
    assert [_timeless(line, "json") for line in first] == on_sqlite
    target = new_store()
    if backend == "grpc":
        # The service has no RPC that writes given ids and times: refused in one line; --remap-ids goes through
        # the ordinary calls, and a fresh store gives the same ids in the same order.
        _refused("--remap-ids", "--store", target.url, "import", str(exported))
        _ok("--store", target.url, "import", "--remap-ids", str(exported))
        assert _timeless_getters(target.store) == _timeless_getters(source.store)
        return
    _ok("--store", target.url, "import", str(exported))
    # Equal records (a map's keys may come in another order: MySQL gives a type's properties in its own)
    assert [json.loads(line) for line in _exported(target.url, tmp_path / "second.jsonl")] == [
        json.loads(line) for line in first]
    assert _getters(target.store, backend) == _getters(source.store, backend)


def test_copy_from_sqlite(new_store, backend, tmp_path) -> None:
    source = tmp_path / "rich.db"
    fill_everything(_open(source), backend)
    target = new_store()
    if backend == "grpc":
        _refused("--remap-ids", "copy", str(source), target.url)
        _ok("copy", "--remap-ids", str(source), target.url)
        assert _timeless_getters(target.store) == _timeless_getters(_open(source))
        return
    _ok("copy", "--batch", "3", str(source), target.url)
    assert _getters(target.store, backend) == _getters(_open(source), backend)
    _ok("copy", "--resume", str(source), target.url)  # a finished copy: nothing left to write
    assert _getters(target.store, backend) == _getters(_open(source), backend)


def _state(store: metadata_store.MetadataStore) -> Dict[str, Any]:
    """Every node id, event and link of the store."""
    executions = store.get_executions()
    contexts = store.get_contexts()
    return {"artifacts": [a.id for a in store.get_artifacts()], "executions": [e.id for e in executions],
            "contexts": [c.id for c in contexts],
            "events": [(e.artifact_id, e.execution_id, e.type)
                       for e in store.get_events_by_execution_ids([e.id for e in executions])],
            "links": [(c.id, sorted(a.id for a in store.get_artifacts_by_context(c.id)),
                       sorted(e.id for e in store.get_executions_by_context(c.id))) for c in contexts]}


def test_delete_and_gc(new_store, backend) -> None:
    served = new_store()
    fill_pipeline(served.store)
    before = _state(served.store)
    if backend == "grpc":
        _refused("no RPC", "--store", served.url, "delete", "artifact", "2", "--cascade", "--dry-run")
        _refused("no RPC", "--store", served.url, "gc", "--type", "Model", "--dry-run")
        assert _state(served.store) == before
        return
    dry = json.loads(_ok("--store", served.url, "delete", "artifact", "2", "--cascade", "--dry-run", "--format",
                         "json"))
    assert _state(served.store) == before and dry["dry_run"]
    done = json.loads(_ok("--store", served.url, "delete", "artifact", "2", "--cascade", "--format", "json"))
    assert {**dry, "dry_run": False} == done and done["artifact_ids"] == [2]
    after = _state(served.store)
    assert after["artifacts"] == [1, 3, 4] and after["links"][0] == (1, [1], [1, 2])
    assert all(a in after["artifacts"] and e in after["executions"] for a, e, _ in after["events"])
    assert [a for a, _, _ in after["events"]] == [1, 3, 4, 4]
    collected = _ok("--store", served.url, "gc", "--type", "Model", "--format", "jsonl")
    assert [json.loads(line)["id"] for line in collected.splitlines() if json.loads(line)["kind"] == "artifact"] \
        == [4]
    final = _state(served.store)
    assert final["artifacts"] == [1, 3]
    assert all(a in final["artifacts"] and e in final["executions"] for a, e, _ in final["events"])
    assert all(set(arts) <= set(final["artifacts"]) and set(execs) <= set(final["executions"])
               for _, arts, execs in final["links"])
