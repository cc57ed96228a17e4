"""API scenario tables (see scenario_kit.py); a package so test module names cannot clash."""
