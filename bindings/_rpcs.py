"""How MetadataStoreService names its per-kind RPCs and their fields: written once for client and server.

The three node kinds share every RPC shape; only the noun changes (`GetArtifactsByID` with field
`artifact_ids`, `GetContextsByID` with `context_ids`), so a name is the pattern with the kind's noun.
"""
from __future__ import annotations

from typing import Any, Dict

from fastmlmd.engine.catalog import TypeKind
from ml_metadata.proto import metadata_store_service_pb2 as svc

NOUNS: Dict[TypeKind, str] = {TypeKind.ARTIFACT: "Artifact", TypeKind.EXECUTION: "Execution",
                              TypeKind.CONTEXT: "Context"}
SERVICE_NAME = "ml_metadata.MetadataStoreService"


def rpc(kind: TypeKind, pattern: str) -> str:
    """The RPC's name: `pattern` with `{N}` replaced by the kind's noun, e.g. rpc(ARTIFACT, "Get{N}sByID")."""
    return pattern.format(N=NOUNS[kind])


def field(kind: TypeKind, pattern: str) -> str:
    """A request or response field: `pattern` with `{n}` the lower-case noun, e.g. "{n}_ids" -> "artifact_ids"."""
    return pattern.format(n=NOUNS[kind].lower())


def request_class(name: str) -> Any:
    return getattr(svc, name + "Request")


def response_class(name: str) -> Any:
    return getattr(svc, name + "Response")
