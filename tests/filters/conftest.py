"""The filter-query suite: makes tests/api (scenario_kit, oracle_runner) and this folder importable.

The scenario modules here, like those in tests/api, import only `ml_metadata`; the oracle run
(test_filters_against_oracle.py) executes them unchanged under the real ml-metadata 1.17.1.
"""
from __future__ import annotations

import sys
from pathlib import Path

FILTERS = Path(__file__).resolve().parent
API = FILTERS.parent / "api"

for _path in (str(API), str(FILTERS)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
