"""Where the packages come from: the checkout never shadows an installed package."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _origins() -> dict:
    import fastmlmd.bench
    import fastmlmd.engine
    import fastmlmd.grammar
    import ml_metadata

    return {module.__name__: Path(module.__file__).resolve()
            for module in (ml_metadata, fastmlmd.engine, fastmlmd.grammar, fastmlmd.bench)}


def test_no_folder_at_the_root_is_named_like_an_installed_package() -> None:
    top_level = {"ml_metadata", "fastmlmd"}
    assert not [p.name for p in REPO.iterdir() if p.is_dir() and p.name in top_level]


@pytest.mark.skipif(os.environ.get("FASTMLMD_EXPECT_INSTALLED") != "1",
                    reason="the regular-install run (make test-installed) sets FASTMLMD_EXPECT_INSTALLED=1")
def test_the_suite_runs_on_the_installed_packages() -> None:
    site = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    for name, origin in _origins().items():
        assert site & set(origin.parents), f"{name} was not imported from site-packages: {origin}"


def test_the_package_and_the_bench_runner_import_from_the_repository_root() -> None:
    # `python -c` and `python -m` put the current directory first on sys.path.
    probe = "import ml_metadata.metadata_store, fastmlmd.engine.store; print('ok')"
    assert subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip() == "ok"
    usage = subprocess.run([sys.executable, "-m", "fastmlmd.bench", "--help"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout
    assert usage.startswith("usage: python -m fastmlmd.bench")
