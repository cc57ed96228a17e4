"""Shared fixtures: both twins of each compiled kernel, fresh stores, the oracle interpreter."""
from __future__ import annotations

import importlib
import os
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
