"""ML Metadata, the drop-in API: `from ml_metadata import metadata_store, errors` works as with MLMD.

Implemented by fastmlmd on its own embedded engine (see fastmlmd.engine).
"""
from ml_metadata import proto
from ml_metadata.metadata_store import ListOptions, MetadataStore, OrderByField, downgrade_schema
from ml_metadata.version import __version__

__all__ = [
    "downgrade_schema",
    "ListOptions",
    "MetadataStore",
    "OrderByField",
]
