"""Expensive filters end: AND-ed aliases run as separate joins, and anything else stops at a time limit."""
from __future__ import annotations

import pytest

from fastmlmd.engine import store as engine_store
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


@pytest.fixture(scope="module")
def dense() -> metadata_store.MetadataStore:
    """50 artifacts, each attributed to the same 30 contexts: every alias has 30 rows per artifact."""
    config = pb.ConnectionConfig()
    config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(pb.ArtifactType(name="T"))
    context_type = store.put_context_type(pb.ContextType(name="C"))
    artifact_ids = store.put_artifacts([pb.Artifact(type_id=type_id) for _ in range(50)])
    context_ids = store.put_contexts([pb.Context(type_id=context_type, name=f"c{i}") for i in range(30)])
    store.put_attributions_and_associations(
        [pb.Attribution(artifact_id=a, context_id=c) for a in artifact_ids for c in context_ids], [])
    return store


def _ids(store: metadata_store.MetadataStore, query: str) -> list:
    return [a.id for a in store.get_artifacts(list_options=metadata_store.ListOptions(filter_query=query))]


def test_many_anded_aliases_do_not_multiply(dense: metadata_store.MetadataStore) -> None:
    # 40 aliases x 30 contexts each would be 30**40 joined rows as one join; as 40 joins it is instant.
    query = " AND ".join(f"contexts_{i}.name = 'c{i % 30}'" for i in range(40))
    assert _ids(dense, query) == list(range(1, 51))


def test_same_alias_stays_one_row_across_conjuncts(dense: metadata_store.MetadataStore) -> None:
    assert _ids(dense, "contexts_a.name = 'c1' AND contexts_a.name = 'c2'") == []
    assert _ids(dense, "contexts_a.name = 'c1' AND contexts_b.name = 'c2'") == list(range(1, 51))


def test_a_query_past_the_time_limit_is_stopped(dense: metadata_store.MetadataStore,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_store, "QUERY_TIME_LIMIT_SECONDS", 1.0)
    # Under NOT the aliases must join together, and no combination matches: all 30**8 of an artifact are tried.
    query = "NOT (" + " AND ".join(f"contexts_{i}.id != -1" for i in range(8)) + ")"
    with pytest.raises(errors.InvalidArgumentError, match="was stopped"):
        _ids(dense, query)
    assert _ids(dense, "contexts_a.name = 'c3'") == list(range(1, 51))  # the store still answers


def test_an_or_of_aliases_seeks_each_item(dense: metadata_store.MetadataStore,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_store, "QUERY_TIME_LIMIT_SECONDS", 1.0)
    # Each item of the OR is a SELECT of its own that starts from its alias's index: no item matches, and no
    # other alias is joined at all (as one join this was 30**8 combinations per artifact).
    assert _ids(dense, " OR ".join(f"contexts_{i}.id = -1" for i in range(8))) == []


def test_an_item_of_an_or_joins_only_its_own_aliases(dense: metadata_store.MetadataStore,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_store, "QUERY_TIME_LIMIT_SECONDS", 1.0)
    # The first item matches every artifact; the other aliases only need to exist (an EXISTS test each), so
    # their 30 rows per artifact are never multiplied with the first's (joined, 30**8 combinations per artifact).
    query = " OR ".join(f"contexts_{i}.id = {1 if i == 0 else -1}" for i in range(8))
    assert _ids(dense, query) == list(range(1, 51))
