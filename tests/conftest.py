"""Shared fixtures: both twins of each compiled kernel, fresh stores, the oracle interpreter."""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent.parent


def _kernel_twins() -> list:
    params = [pytest.param("fastmlmd.engine._rowcore_py", id="python")]
    try:
        importlib.import_module("fastmlmd.engine._rowcore")
        params.append(pytest.param("fastmlmd.engine._rowcore", id="cython"))
    except ImportError:
        params.append(pytest.param("fastmlmd.engine._rowcore", id="cython",
                                   marks=pytest.mark.skip(reason="the Cython kernel is not compiled here")))
    return params


@pytest.fixture(params=_kernel_twins())
def impl(request: pytest.FixtureRequest) -> ModuleType:
    """Each twin of the row kernel in turn: the pure-Python one and the compiled one."""
    return importlib.import_module(request.param)


@pytest.fixture
def store() -> Iterator[object]:
    """A fresh in-memory store (fake_database)."""
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.fake_database.SetInParent()
    yield metadata_store.MetadataStore(config)


def oracle_python() -> str:
    """Path of the interpreter that has the real ml-metadata 1.17.1 (may not exist)."""
    return os.environ.get("FASTMLMD_ORACLE_PYTHON", str(REPO / ".venv-oracle" / "bin" / "python"))


@pytest.fixture(scope="session", autouse=True)
def _server_databases() -> Iterator[None]:
    """Drops the databases the session made on the loopback servers (tests/api/server_stores.py)."""
    yield
    server_stores = sys.modules.get("server_stores")  # imported only if a test used a server
    if server_stores is not None:
        server_stores.close()


def _use_backend(backend: str, monkeypatch: pytest.MonkeyPatch) -> str:
    if backend != "sqlite":
        import scenario_kit
        import server_stores
        stores = server_stores.stores(backend)
        monkeypatch.setattr(scenario_kit, "fake_config", stores.config)
        monkeypatch.setattr(scenario_kit, "kept_config", stores.kept_config)
    return backend


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.server),
                        pytest.param("postgresql", marks=pytest.mark.server)])
def each_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a scenario test once per backend: on MySQL and PostgreSQL, `scenario_kit.new_store` opens an empty
    store there (and `kept_config` a database of its own, for the stores cached builders keep).

    For tests/api and the folders that put it on sys.path (scenario_kit, server_stores).
    """
    return _use_backend(request.param, monkeypatch)
