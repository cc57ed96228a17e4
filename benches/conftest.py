"""pytest-benchmark suites (`make bench`). Plain `pytest` never comes here: testpaths is `tests`.

Benchmark files are named `bench_*.py`; this hook collects them when pytest is pointed at `benches/`.
Shared stores are built once per session from the runner's synthetic dataset (fixed seed).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Optional

import pytest

from fastmlmd.bench.data import Dataset
from fastmlmd.bench.meter import Meter
from fastmlmd.bench.workloads import ApiSide

FILL = ("fill_types", "fill_contexts", "fill_executions", "fill_artifacts", "fill_context_edges", "fill_events")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Optional[pytest.Module]:
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def filled_store(scale: str, backend: str = "memory", workdir: str = "") -> ApiSide:
    """A store filled with the synthetic dataset of `scale`, with the ids of every node it put."""
    ds = Dataset(scale)
    side = ApiSide(backend, workdir)
    for name in FILL:
        side.run(name, ds, Meter(name))
    return side


@pytest.fixture(scope="session")
def dataset_10k() -> Dataset:
    """The runner's `small` dataset: 320 pipeline runs × 10 components, 9,928 nodes."""
    return Dataset("small")


@pytest.fixture(scope="session")
def store_10k(dataset_10k: Dataset) -> Iterator[ApiSide]:
    """An in-memory fastmlmd store holding `dataset_10k` (built once; the benchmarks only read it)."""
    yield filled_store("small")
