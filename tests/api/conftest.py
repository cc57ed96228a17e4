"""Puts tests/api on sys.path.

The scenario modules import `scenario_kit` by its plain name, exactly as they do when
oracle_runner.py loads them into the ml-metadata 1.17.1 interpreter.
"""
from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

