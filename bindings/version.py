"""The version of the ml_metadata API this package implements (MLMD 1.17.1)."""

__version__ = "1.17.1"
