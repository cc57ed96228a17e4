"""The benchmark runner end to end at the tiny scale: every workload runs and reports a rate."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fastmlmd.bench import __main__ as runner
from fastmlmd.bench import data, worker

# Lineage is being built in parallel: until it lands, our side may answer UnimplementedError ("n/a").
MAY_BE_UNAVAILABLE = {"lineage_2_hops", "lineage_6_hops", "lineage_upstream_20_hops"}


def test_runner_in_process_reports_every_workload(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "bench.json"
    code = runner.main(["--scale", "tiny", "--backend", "memory", "--in-process", "--budget", "0.3",
                        "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["meta"]["scale"] == "tiny"
    sides = doc["results"]["memory"]
    assert set(sides) == {"ours", "floor"}
    for key, side in sides.items():
        results = side["results"]
        assert list(results) == list(data.WORKLOAD_NAMES), key
        for name, result in results.items():
            if key == "ours" and name in MAY_BE_UNAVAILABLE and result["status"] == "n/a":
                continue
            assert result["status"] == "ok", (key, name, result["detail"])
            assert result["items"] > 0 and result["items_per_s"] > 0, (key, name)
            assert result["peak_rss_mb"] > 0
    table = capsys.readouterr().out
    assert "ours/floor" in table and "read_artifacts_by_id" in table


def test_worker_runs_by_path(tmp_path: Path) -> None:
    """As under `--against`: the worker file, run by path, imports its siblings as top-level modules."""
    out = tmp_path / "side.json"
    subprocess.run([sys.executable, worker.__file__, "--side", "api", "--scale", "tiny", "--only", "read_types",
                    "--budget", "0.2", "--out", str(out)], check=True, capture_output=True, timeout=60)
    results = json.loads(out.read_text())["results"]
    assert results["read_types"]["status"] == "ok" and results["read_types"]["items"] > 0
    assert "put_execution" not in results  # --only skips everything but the fill workloads and those named
