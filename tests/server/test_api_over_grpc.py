"""The API, lineage and filter scenario tables once more, each case through the gRPC client and a loopback server.

Every case must give over gRPC what it gives in-process (`expected_for_us`). The filter cases share a few
seeded stores (filter_store's caches), so their servers live for the whole module; every other case gets
a server of its own, stopped after it.
"""
from __future__ import annotations

import importlib
import sys
from typing import Iterator

import pytest
import scenario_kit
from loopback import LoopbackServers
from scenario_kit import Case

MODULES = ("scenarios_types", "scenarios_nodes", "scenarios_getters", "scenarios_listing", "scenarios_events",
           "scenarios_contexts", "scenarios_compound", "scenarios_fidelity", "scenarios_call_order",
           "scenarios_lineage")
FILTER_MODULES = ("scenarios_filters",)
CACHED_STORE_MODULES = ("filter_store", "filter_model")  # their lru_caches hold seeded stores


def _cases(modules: tuple) -> list:
    params = []
    for name in modules:
        module = importlib.import_module(name)
        params.extend(pytest.param(case, id=f"{name[len('scenarios_'):]}-{case.id}") for case in module.CASES)
    return params


def _serve_new_stores(monkeypatch: pytest.MonkeyPatch, servers: LoopbackServers) -> None:
    in_process = scenario_kit.new_store
    for module in list(sys.modules.values()):  # each module that took new_store by name
        if getattr(module, "new_store", None) is in_process:
            monkeypatch.setattr(module, "new_store", servers.new_store)


def _clear_cached_stores() -> None:
    for name in CACHED_STORE_MODULES:
        for value in vars(importlib.import_module(name)).values():
            if hasattr(value, "cache_clear"):
                value.cache_clear()


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopbackServers]:
    started = LoopbackServers()
    _serve_new_stores(monkeypatch, started)
    yield started
    started.stop_all()


@pytest.fixture(scope="module")
def filter_servers() -> Iterator[LoopbackServers]:
    started = LoopbackServers()
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clear_cached_stores()  # stores seeded in-process by an earlier test must not answer here
        _serve_new_stores(monkeypatch, started)
        yield started
        _clear_cached_stores()  # nor may later tests get clients of servers stopped below
    started.stop_all()


@pytest.mark.parametrize("case", _cases(MODULES))
def test_case_over_grpc(servers: LoopbackServers, case: Case) -> None:
    assert case.scenario() == case.expected_for_us
    assert servers.running, "the case never made a store: it did not go through the server"


@pytest.mark.parametrize("case", _cases(FILTER_MODULES))
def test_filter_case_over_grpc(filter_servers: LoopbackServers, case: Case) -> None:
    assert case.scenario() == case.expected_for_us
    assert filter_servers.running, "the case never made a store: it did not go through the server"
