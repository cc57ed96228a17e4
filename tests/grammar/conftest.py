"""Puts tests/api on sys.path: the oracle syntax test shares the message audit (message_audit.py)."""
from __future__ import annotations

import os
import sys

_API = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api")
if _API not in sys.path:
    sys.path.insert(0, _API)
