"""The server tests: skipped as a whole where grpcio is not installed (the core package works without it).

Puts tests/api, tests/lineage, tests/filters and this folder on sys.path (modules import each other by plain name), so the API scenario tables can run again through the gRPC client.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE.parent / "api"), str(_HERE.parent / "lineage"), str(_HERE.parent / "filters"), str(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

if importlib.util.find_spec("grpc") is None or importlib.util.find_spec("grpc_health") is None:
    collect_ignore_glob = ["test_*.py"]
