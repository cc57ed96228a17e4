"""Filtered listings on a 10k-node store (the runner's `small` dataset, seed 17), through the public API."""
from __future__ import annotations

from typing import Callable, Dict

import pytest

from fastmlmd.bench.data import Dataset
from fastmlmd.bench.workloads import ApiSide
from ml_metadata.metadata_store import ListOptions, OrderByField


def _listings(side: ApiSide, ds: Dataset) -> Dict[str, Callable[[], list]]:
    store = side.store
    artifact = side.ids["artifact"][ds.main_output(170, 5)]
    run_context = side.ids["context"][ds.pipelines + 170]

    def artifacts(query: str, **options: object) -> Callable[[], list]:
        return lambda: store.get_artifacts(list_options=ListOptions(filter_query=query, **options))

    return {
        "first-page": lambda: store.get_artifacts(list_options=ListOptions(limit=100)),
        "id-desc-250": artifacts(f"id <= {artifact}", limit=250, order_by=OrderByField.ID, is_asc=False),
        "property-eq": artifacts("properties.span.int_value = 170"),
        "name-eq": artifacts("name = 'run-000170.Trainer.Model'"),
        "uri-prefix": artifacts("uri LIKE '/pipelines/pipeline-02/run-000170/%'"),
        "type-and-state": artifacts("type = 'Model' AND state = LIVE", limit=100, order_by=OrderByField.CREATE_TIME,
                                    is_asc=False),
        "context-join": artifacts("contexts_a.name = 'run-000170' AND type = 'Model'"),
        "event-join": lambda: store.get_executions(list_options=ListOptions(
            filter_query=f"events_0.artifact_id = {artifact} AND events_0.type = INPUT")),
        "pipeline-paged": lambda: store.get_executions(list_options=ListOptions(
            filter_query="contexts_a.name = 'pipeline-02' AND type = 'Trainer'", limit=100,
            order_by=OrderByField.CREATE_TIME, is_asc=False)),
        "by-context": lambda: store.get_artifacts_by_context(run_context),
        "by-context-filtered": lambda: store.get_artifacts_by_context(
            run_context, list_options=ListOptions(filter_query="properties.score.double_value > 0.5")),
    }


NAMES = ("first-page", "id-desc-250", "property-eq", "name-eq", "uri-prefix", "type-and-state", "context-join",
         "event-join", "pipeline-paged", "by-context", "by-context-filtered")


@pytest.mark.parametrize("name", NAMES)
def test_listing(benchmark, store_10k: ApiSide, dataset_10k: Dataset, name: str) -> None:
    benchmark.group = "listing-10k"
    listing = _listings(store_10k, dataset_10k)[name]
    assert listing(), f"{name} found nothing: the benchmark would measure an empty answer"
    benchmark(listing)
