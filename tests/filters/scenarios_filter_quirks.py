"""What ml-metadata 1.17.1 itself answers where our tables expect something else on purpose.

One row per `oracle=False` row of scenarios_filters.py, scenarios_filter_injection.py and
scenarios_filter_names.py (built by filter_kit.quirk_cases). Only the oracle run uses this module: it
confirms each `why`.
"""
from __future__ import annotations

import scenarios_filter_injection
import scenarios_filter_names
import scenarios_filters

CASES = (list(scenarios_filters.MLMD_QUIRKS) + list(scenarios_filter_injection.MLMD_QUIRKS)
         + list(scenarios_filter_names.MLMD_QUIRKS))
