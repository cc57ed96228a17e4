"""What each page of `fastmlmd ui` reads from the store; ui_pages turns it into HTML, ui_server into HTTP.

Every view only reads, through the public API. Listings page by keyset with ListOptions: a page asks for one
node more than it shows (to know whether another page follows) and continues past the last node it showed, so
a page costs the same wherever it is in a large store. A listing in a time's order continues past that node's
(time, id), the order MLMD lists in; the link names the node by id, and the next page reads its time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from fastmlmd.cli import ui_pages
from fastmlmd.cli.lineage_graph import DIRECTIONS, read_lineage
from fastmlmd.cli.lineage_html import CONTENT_SECURITY_POLICY, to_html
from fastmlmd.cli.stores import NODE_KINDS, list_nodes, nodes_by_id, quote, types_of
from ml_metadata import errors, metadata_store

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_HOPS = 20  # a page drawn in the browser; deeper walks are for `fastmlmd lineage`
MEMBERS_SHOWN = 100  # a context's artifacts and executions on its page


class HttpError(Exception):
    """A request the ui cannot answer, with the HTTP status to say so."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Answer:
    """A page, its HTTP status, and the Content-Security-Policy to send with it."""

    body: str
    status: int = 200
    policy: str = ui_pages.CONTENT_SECURITY_POLICY


def _int(params: Mapping[str, str], name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    text = params.get(name, "")
    if text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise HttpError(400, f"{name} is a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise HttpError(400, f"{name} is between {low} and {high}, not {value}")
    return value


def types_view(store: metadata_store.MetadataStore, params: Mapping[str, str]) -> Answer:
    return Answer(ui_pages.types_page({kind: types_of(store, kind) for kind in NODE_KINDS}))


# The listing orders the ui offers: (ListOptions' field, the node's field a page continues past).
ORDERS = {"id": (metadata_store.OrderByField.ID, "id"),
          "create_time": (metadata_store.OrderByField.CREATE_TIME, "create_time_since_epoch"),
          "last_update_time": (metadata_store.OrderByField.UPDATE_TIME, "last_update_time_since_epoch")}


def listing_view(store: metadata_store.MetadataStore, kind: str, params: Mapping[str, str]) -> Answer:
    """One page of nodes: `type`, `filter`, `order_by` (id, create_time or last_update_time), `order` (asc or
    desc), `limit`, and `after` or `before` a node's id."""
    size = _int(params, "limit", PAGE_SIZE, 1, MAX_PAGE_SIZE) or PAGE_SIZE
    after = _int(params, "after", None, 0, 2 ** 63 - 1)
    before = _int(params, "before", None, 0, 2 ** 63 - 1)
    order = params.get("order", "asc")
    if order not in ("asc", "desc"):
        raise HttpError(400, f"order is asc or desc, not {order!r}")
    order_by = params.get("order_by", "") or "id"
    if order_by not in ORDERS:
        raise HttpError(400, f"order_by is {', '.join(ORDERS)}, not {order_by!r}")
    if after is not None and before is not None:
        raise HttpError(400, "a page is after an id or before one, not both")
    user_filter, type_name = params.get("filter", "").strip(), params.get("type", "")
    shown = {"type": type_name, "filter": user_filter, "order_by": "" if order_by == "id" else order_by,
             "order": order, "limit": "" if size == PAGE_SIZE else str(size)}
    type_names = [t.name for t in types_of(store, kind)]
    try:
        nodes, more = _page(store, kind, user_filter, type_name, order_by, order == "asc", after, before, size)
    except errors.InvalidArgumentError as exc:
        return Answer(ui_pages.listing_page(kind, [], shown, type_names, [], error=str(exc)), status=400)
    return Answer(ui_pages.listing_page(kind, nodes, shown, type_names, _pager(nodes, more, after, before, shown)))


def _page(store: metadata_store.MetadataStore, kind: str, user_filter: str, type_name: str, order_by: str,
          ascending: bool, after: Optional[int], before: Optional[int], size: int) -> Tuple[List[Any], bool]:
    """The page's nodes in the listing's order, and whether more lie beyond it (in the direction it was read)."""
    backwards = before is not None  # the page before `before`: read in the opposite order, then turned round
    read_ascending = ascending != backwards
    bound = before if backwards else after
    field, column = ORDERS[order_by]
    parts = [f"type = {quote(type_name)}"] if type_name else []
    if bound is not None:
        parts.append(_past(store, kind, column, bound, ">" if read_ascending else "<"))
    if user_filter:
        parts.append(f"({user_filter})" if parts else user_filter)
    query = " AND ".join(parts)
    options = metadata_store.ListOptions(limit=size + 1, order_by=field, is_asc=read_ascending,
                                         filter_query=query or None)
    try:
        nodes = list_nodes(store, kind, options)
    except errors.InvalidArgumentError:
        if user_filter and query != user_filter:
            # Say what is wrong with the user's filter as they wrote it, columns and caret included.
            list_nodes(store, kind, metadata_store.ListOptions(limit=1, filter_query=user_filter))
        raise
    more = len(nodes) > size
    nodes = nodes[:size]
    if backwards:
        nodes.reverse()
    return nodes, more


def _past(store: metadata_store.MetadataStore, kind: str, column: str, node_id: int, compare: str) -> str:
    """The filter of the nodes that come after node `node_id` (`compare` '>') or before it ('<'), in the order of
    `column` then id."""
    if column == "id":
        return f"id {compare} {node_id}"
    found = nodes_by_id(store, kind, [node_id])
    if not found:
        raise HttpError(404, f"the page starts at {kind} {node_id}, which is no longer stored: open the first page")
    value = getattr(found[0], column)
    return f"({column} {compare} {value} OR ({column} = {value} AND id {compare} {node_id}))"


def _pager(nodes: List[Any], more: bool, after: Optional[int], before: Optional[int],
           shown: Dict[str, str]) -> List[Tuple[str, Dict[str, Any]]]:
    links: List[Tuple[str, Dict[str, Any]]] = []
    earlier = more if before is not None else after is not None
    later = more if before is None else True
    if earlier:
        links.append(("« first page", dict(shown)))
        if nodes:
            links.append(("‹ previous page", {**shown, "before": nodes[0].id}))
    if later and nodes:
        links.append(("next page ›", {**shown, "after": nodes[-1].id}))
    return links


def _one(store: metadata_store.MetadataStore, kind: str, node_id: int) -> Any:
    found = nodes_by_id(store, kind, [node_id])
    if not found:
        raise HttpError(404, f"no {kind} with id {node_id}")
    return found[0]


def _or_none(call: Any, *args: Any) -> List[Any]:
    try:
        return list(call(*args))
    except errors.NotFoundError:  # MLMD's answer for a node in no context
        return []


def node_view(store: metadata_store.MetadataStore, kind: str, node_id: int, params: Mapping[str, str]) -> Answer:
    node = _one(store, kind, node_id)
    related: Dict[str, Tuple[str, List[Any]]] = {}
    events: List[Any] = []
    if kind == "context":
        related["parent contexts"] = ("context", _or_none(store.get_parent_contexts_by_context, node_id))
        related["child contexts"] = ("context", _or_none(store.get_children_contexts_by_context, node_id))
        first = metadata_store.ListOptions(limit=MEMBERS_SHOWN, order_by=metadata_store.OrderByField.ID)
        related["artifacts"] = ("artifact", store.get_artifacts_by_context(node_id, list_options=first))
        related["executions"] = ("execution", store.get_executions_by_context(node_id, list_options=first))
    elif kind == "artifact":
        related["contexts"] = ("context", _or_none(store.get_contexts_by_artifact, node_id))
        events = store.get_events_by_artifact_ids([node_id])
    else:
        related["contexts"] = ("context", _or_none(store.get_contexts_by_execution, node_id))
        events = store.get_events_by_execution_ids([node_id])
    return Answer(ui_pages.node_page(kind, node, related, events, MEMBERS_SHOWN))


def lineage_view(store: metadata_store.MetadataStore, kind: str, node_id: int,
                 params: Mapping[str, str]) -> Answer:
    """lineage_html's page for the node, with `hops` (default 3) and `direction` (up, down, both)."""
    hops = _int(params, "hops", 3, 0, MAX_HOPS)
    direction = params.get("direction", "both")
    if direction not in DIRECTIONS:
        raise HttpError(400, f"direction is one of {', '.join(sorted(DIRECTIONS))}, not {direction!r}")
    _one(store, kind, node_id)
    graph = read_lineage(store, kind, node_id, 3 if hops is None else hops, direction)
    return Answer(to_html(graph, back=(f"/{kind}s/{node_id}", f"back to {kind} {node_id}")),
                  policy=CONTENT_SECURITY_POLICY)
