"""Puts this folder and tests/api (oracle_client) on sys.path, as oracle_stores.py sees them."""
from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
for _path in (os.path.join(os.path.dirname(_HERE), "api"), _HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)
