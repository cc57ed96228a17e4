"""The random differential run: makes tests/api (scenario_kit, oracle_client) and this folder importable.

The fuzz_* modules import each other and scenario_kit by plain name, exactly as they do when the
oracle's interpreter replays a sequence (fuzz_oracle.py) or `python -m tests.differential.fuzz` runs.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (str(HERE.parent / "api"), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
