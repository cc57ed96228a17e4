"""The reading commands: ls, show, events, explain, stats."""
from __future__ import annotations

import argparse
import datetime
import os
from collections import Counter
from typing import Any, Dict, List

from google.protobuf import json_format

from fastmlmd.cli import output
from fastmlmd.cli.store_url import parse_store
from fastmlmd.cli.stores import (EVENT_TYPE_NAMES, NODE_KINDS, CliError, iter_nodes, list_nodes, node_kind,
                                 one_node, open_store, quote, store_url, types_of)
from fastmlmd.engine.schema import SCHEMA_VERSION
from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

_ORDER_FIELDS = {"id": metadata_store.OrderByField.ID, "create_time": metadata_store.OrderByField.CREATE_TIME,
                 "update_time": metadata_store.OrderByField.UPDATE_TIME}
_TABLE_COLUMNS = {
    "artifact": ["id", "type", "name", "uri", "state", "created", "properties"],
    "execution": ["id", "type", "name", "state", "created", "properties"],
    "context": ["id", "type", "name", "created", "properties"],
    "type": ["kind", "id", "name", "version", "properties"],
}


def as_json(message: Any) -> Dict[str, Any]:
    """A message as the JSON object protobuf's JSON mapping gives (field names as in the .proto)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def plain_value(value: Dict[str, Any]) -> Any:
    # A Value's JSON form is {"int_value": "3"} and the like: the table shows the bare value.
    return next(iter(value.values()), None) if value else None


def when(milliseconds: Any) -> str:
    if milliseconds is None:
        return ""
    moment = datetime.datetime.fromtimestamp(int(milliseconds) / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def node_row(node: Any) -> Dict[str, Any]:
    """A node's table row: its JSON, with the times readable and the properties as name: value."""
    data = as_json(node)
    properties = {name: plain_value(v) for name, v in data.get("properties", {}).items()}
    properties.update({name: plain_value(v) for name, v in data.get("custom_properties", {}).items()})
    return {**data, "state": data.get("state", data.get("last_known_state")),
            "created": when(data.get("create_time_since_epoch")), "properties": properties or None}


def cmd_ls(args: argparse.Namespace) -> int:
    store = open_store(store_url(args.store))
    what = args.what.lower().rstrip("s")
    if what == "type":
        if args.filter or args.desc or args.order_by != "id":
            raise CliError("ls types takes --type (artifact, execution or context) and --limit; --filter, "
                           "--order-by and --desc list nodes")
        if args.type and args.type not in NODE_KINDS:
            raise CliError(f"ls types --type takes artifact, execution or context, not {args.type!r}")
        rows = []
        for kind in NODE_KINDS:
            if args.type and args.type != kind:
                continue
            for found in types_of(store, kind):
                rows.append({"kind": kind, **as_json(found)})
        output.write_rows(rows[:args.limit] if args.limit else rows, _TABLE_COLUMNS["type"], args.format)
        return 0
    kind = node_kind(args.what)
    query = args.filter or ""
    if args.type:
        query = f"type = {quote(args.type)}" + (f" AND ({query})" if query else "")
    if args.order_by not in _ORDER_FIELDS:
        raise CliError(f"--order-by takes {', '.join(_ORDER_FIELDS)}, not {args.order_by!r}")
    options = metadata_store.ListOptions(limit=args.limit or None, order_by=_ORDER_FIELDS[args.order_by],
                                         is_asc=not args.desc, filter_query=query or None)
    nodes = list_nodes(store, kind, options)
    if args.format == "table":
        output.write_rows([node_row(n) for n in nodes], _TABLE_COLUMNS[kind], "table")
    else:
        output.write_rows([as_json(n) for n in nodes], [], args.format)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    store = open_store(store_url(args.store))
    kind = node_kind(args.kind)
    node = one_node(store, kind, args.id)
    document = as_json(node)
    if kind == "context":
        document["parent_contexts"] = [c.id for c in store.get_parent_contexts_by_context(args.id)]
        document["child_contexts"] = [c.id for c in store.get_children_contexts_by_context(args.id)]
    else:
        document["contexts"] = [c.id for c in _contexts_of(store, kind, args.id)]
    output.write_document(document, args.format)
    return 0


def _contexts_of(store: metadata_store.MetadataStore, kind: str, node_id: int) -> List[Any]:
    try:
        return (store.get_contexts_by_artifact if kind == "artifact" else store.get_contexts_by_execution)(node_id)
    except errors.NotFoundError:  # MLMD's answer for a node in no context
        return []


def cmd_events(args: argparse.Namespace) -> int:
    store = open_store(store_url(args.store))
    kind = node_kind(args.kind)
    if kind == "context":
        raise CliError("events belong to artifacts and executions; for a context, ls artifacts --filter "
                       f"'contexts_a.id = {args.id}'")
    one_node(store, kind, args.id)  # an unknown id says so, rather than listing no events
    events = (store.get_events_by_artifact_ids if kind == "artifact" else store.get_events_by_execution_ids)([args.id])
    if args.format == "table":
        rows = [{**as_json(e), "type": EVENT_TYPE_NAMES.get(e.type, str(e.type)), "time": when(
            e.milliseconds_since_epoch if e.HasField("milliseconds_since_epoch") else None),
            "path": ".".join(str(s.key if s.HasField("key") else s.index) for s in e.path.steps) or None}
                for e in events]
        output.write_rows(rows, ["artifact_id", "execution_id", "type", "path", "time"], "table")
    else:
        output.write_rows([as_json(e) for e in events], [], args.format)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    store = open_store(store_url(args.store))
    kind = node_kind(args.kind)
    print(store.explain_filter(kind + "s", args.filter).rstrip("\n"))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    url = store_url(args.store)
    store = open_store(url)
    rows: List[Dict[str, Any]] = []
    for kind in NODE_KINDS:
        counts = Counter(node.type for node in iter_nodes(store, kind))
        for found in types_of(store, kind):
            counts.setdefault(found.name, 0)  # a type with no nodes still shows, with 0
        for type_name, count in sorted(counts.items()):
            rows.append({"kind": kind, "type": type_name, "count": count})
    config = parse_store(url)
    summary: Dict[str, Any] = {"store": url, "schema_version": _schema_version(config),
                               "size_bytes": _size(config), "nodes": sum(r["count"] for r in rows)}
    if args.format == "table":
        for key, value in summary.items():
            print(f"{key}: {'' if value is None else value}")
        print()
        output.write_rows(rows, ["kind", "type", "count"], "table")
    else:
        output.write_document({**summary, "types": rows}, args.format)
    return 0


def _schema_version(config: Any) -> Any:
    # The API opens a store only at this library's schema version (an older one needs upgrade migration), so
    # a store it opened in-process is at this version; a server keeps its own.
    return SCHEMA_VERSION if isinstance(config, pb.ConnectionConfig) else None


def _size(config: Any) -> Any:
    """Bytes on disk of an SQLite store (its WAL included); None for other stores."""
    if not isinstance(config, pb.ConnectionConfig) or config.WhichOneof("config") != "sqlite":
        return None
    path = config.sqlite.filename_uri
    if path.startswith("file:"):
        return None
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
