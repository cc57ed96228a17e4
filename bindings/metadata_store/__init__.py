"""Init module for ML Metadata's store API."""
from ml_metadata.metadata_store.delete_result import DeleteResult
from ml_metadata.metadata_store.metadata_store import ListOptions, MetadataStore, OrderByField, downgrade_schema

__all__ = [
    "DeleteResult",
    "downgrade_schema",
    "ListOptions",
    "MetadataStore",
    "OrderByField",
]
