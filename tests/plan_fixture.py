"""Plan fixtures: a test renders the plans (or SQL) it expects, and a file under tests/fixtures holds them as they
were recorded. Set FASTMLMD_UPDATE_FIXTURES=1 to rewrite a fixture after an intended change."""
from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest


def assert_matches_fixture(path: Path, rendered: str, header: str = "") -> None:
    """`rendered` equals the fixture at `path` (rewritten from it first under FASTMLMD_UPDATE_FIXTURES=1). A
    `header` names where the plans come from (a database and its version): a fixture recorded elsewhere skips,
    since another version may plan otherwise."""
    if os.environ.get("FASTMLMD_UPDATE_FIXTURES") == "1":
        path.write_text(rendered)
    recorded = path.read_text()
    if not recorded.startswith(header):
        pytest.skip(f"the fixture was recorded elsewhere ({recorded.splitlines()[0]}); its plan lines may differ here")
    # A helper module's assert is not rewritten by pytest: the diff goes in the message.
    assert rendered == recorded, "".join(difflib.unified_diff(
        recorded.splitlines(keepends=True), rendered.splitlines(keepends=True), "recorded", "rendered"))
