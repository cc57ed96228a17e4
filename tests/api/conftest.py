"""Puts tests/api on sys.path.

The scenario modules import `scenario_kit` by its plain name, exactly as they do when
oracle_runner.py loads them into the ml-metadata 1.17.1 interpreter.
"""
from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _server_databases():
    """Drops the databases the session made on the loopback servers (server_stores.py)."""
    yield
    import server_stores
    server_stores.close()


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.server)])
def each_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a scenario test once per backend: on MySQL, `scenario_kit.new_store` opens an empty store there."""
    if request.param == "mysql":
        import scenario_kit
        import server_stores
        monkeypatch.setattr(scenario_kit, "fake_config", server_stores.mysql_stores().config)
    return request.param
