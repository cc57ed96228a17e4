"""The user guide's walkthrough runs unchanged and prints what the real MLMD prints (timestamps aside)."""
from __future__ import annotations

import filecmp
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import google.protobuf
import pytest

REPO = Path(__file__).resolve().parent.parent
WALKTHROUGH = REPO / "examples" / "seed_walkthrough.py"
EXPECTED = REPO / "tests" / "fixtures" / "walkthrough_expected.txt"  # the real MLMD 1.17.1's output
SHARED_COPY = REPO.parent / "shared" / "spec" / "seed_walkthrough.py"


def _run(*args: str) -> str:
    result = subprocess.run([sys.executable, str(WALKTHROUGH), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return "\n".join(line for line in result.stdout.splitlines() if "time_since_epoch" not in line) + "\n"


def _sections(text: str) -> List[List[str]]:
    # Newer protobuf runtimes print fields in number order, 4.x in declaration order: compare each
    # section's lines as a multiset, and the exact text where the runtime prints as MLMD's does.
    sections: List[List[str]] = []
    for line in text.splitlines():
        if line.startswith("== ") or not sections:
            sections.append([])
        sections[-1].append(line)
    return [sorted(section) for section in sections]


@pytest.mark.parametrize("backend", ["fake_database", "sqlite_file"])
def test_walkthrough_prints_what_mlmd_prints(backend: str, tmp_path: Path) -> None:
    output = _run(str(tmp_path / "walkthrough.db")) if backend == "sqlite_file" else _run()
    expected = EXPECTED.read_text()
    assert _sections(output) == _sections(expected)
    if google.protobuf.__version__.startswith("4."):
        assert output == expected


def test_walkthrough_is_the_guides_script() -> None:
    if not SHARED_COPY.exists():
        pytest.skip(f"the shared spec is not beside this checkout ({SHARED_COPY})")
    assert filecmp.cmp(WALKTHROUGH, SHARED_COPY, shallow=False)


def test_expected_output_has_every_step() -> None:
    headers = re.findall(r"^== (.*)$", EXPECTED.read_text(), flags=re.M)
    assert headers == ["artifact types", "execution type", "artifacts", "by id / uri / conditions", "executions",
                       "executions with conditions", "experiment artifacts", "experiment executions",
                       "neighbourhood queries"]
