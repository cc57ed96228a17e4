"""Opening stores, and what the commands share about node kinds."""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional

from fastmlmd.cli.store_url import parse_store
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

STORE_ENV = "FASTMLMD_STORE"
NODE_KINDS = ("artifact", "execution", "context")


class CliError(Exception):
    """A problem with what the command was asked to do, reported as one line."""


def store_url(given: Optional[str]) -> str:
    """`--store`, else $FASTMLMD_STORE."""
    url = given or os.environ.get(STORE_ENV, "")
    if not url:
        raise CliError(f"no store given: pass --store URL or set {STORE_ENV} (e.g. sqlite:///metadata.db)")
    return url


def open_store(url: str, writable: bool = False) -> metadata_store.MetadataStore:
    """The store `url` names, opened through the public API (read-only for an SQLite file unless writable)."""
    return metadata_store.MetadataStore(parse_store(url, writable))


def node_kind(word: str) -> str:
    """'artifact', 'execution' or 'context' from any of their singular or plural names."""
    kind = word.lower().rstrip("s")
    if kind not in NODE_KINDS:
        raise CliError(f"unknown kind {word!r}; use artifact, execution or context")
    return kind


def nodes_by_id(store: metadata_store.MetadataStore, kind: str, ids: List[int]) -> List[Any]:
    getter: Dict[str, Callable[[List[int]], List[Any]]] = {
        "artifact": store.get_artifacts_by_id, "execution": store.get_executions_by_id,
        "context": store.get_contexts_by_id}
    return getter[kind](ids)


def one_node(store: metadata_store.MetadataStore, kind: str, node_id: int) -> Any:
    found = nodes_by_id(store, kind, [node_id])
    if not found:
        raise CliError(f"no {kind} with id {node_id}")
    return found[0]


def types_of(store: metadata_store.MetadataStore, kind: str) -> List[Any]:
    getters: Dict[str, Callable[[], List[Any]]] = {"artifact": store.get_artifact_types, "execution": store.get_execution_types,
            "context": store.get_context_types}
    return getters[kind]()


def list_nodes(store: metadata_store.MetadataStore, kind: str,
               options: Optional[metadata_store.ListOptions] = None) -> List[Any]:
    getters: Dict[str, Callable[..., List[Any]]] = {"artifact": store.get_artifacts, "execution": store.get_executions,
            "context": store.get_contexts}
    return getters[kind](list_options=options)


def quote(text: str) -> str:
    """`text` as a filter-query string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


EVENT_TYPE_NAMES = {value: name for name, value in pb.Event.Type.items()}


def iter_nodes(store: metadata_store.MetadataStore, kind: str, filter_query: str = "",
               batch: int = 1000, after: int = 0) -> Any:
    """Every node of `kind` (matching `filter_query`) with an id above `after`, by ascending id, read `batch` at a
    time.

    Keyset pages through the public listing (`id > last`), so memory holds one batch whatever the store's size.
    """
    last = after
    while True:
        query = f"id > {last}" + (f" AND ({filter_query})" if filter_query else "")
        page = list_nodes(store, kind, metadata_store.ListOptions(
            limit=batch, order_by=metadata_store.OrderByField.ID, is_asc=True, filter_query=query))
        yield from page
        if len(page) < batch:
            return
        last = page[-1].id


def last_node(store: metadata_store.MetadataStore, kind: str, filter_query: str = "") -> Optional[Any]:
    """The node of `kind` (matching `filter_query`) with the highest id, or None."""
    found = list_nodes(store, kind, metadata_store.ListOptions(
        limit=1, order_by=metadata_store.OrderByField.ID, is_asc=False, filter_query=filter_query))
    return found[0] if found else None
