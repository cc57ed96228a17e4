"""delete and gc: removing nodes with their edges, through `MetadataStore.delete_nodes` and `collect_garbage`.

Each command is one call, so one transaction: everything it names goes, or (after any error) nothing.
"""
from __future__ import annotations

import argparse
import re
import time
from typing import Any, Dict, List, Optional, Tuple

from fastmlmd.cli import output
from fastmlmd.cli.stores import EVENT_TYPE_NAMES, CliError, node_kind, open_store, store_url
from ml_metadata import metadata_store

_NODE_FIELDS = (("artifact", "artifact_ids", "orphan_artifact_ids"), ("execution", "execution_ids",
                "orphan_execution_ids"), ("context", "context_ids", "orphan_context_ids"))
_EDGE_FIELDS = (("event", "events", ("artifact_id", "execution_id", "type")),
                ("attribution", "attributions", ("context_id", "artifact_id")),
                ("association", "associations", ("context_id", "execution_id")),
                ("parent_context", "parent_contexts", ("child_id", "parent_id")))
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

GC_HELP = """Deletes every artifact, execution and context that is all of:
  * last updated more than --older-than ago (e.g. 90m, 12h, 30d, 2w; default: any time),
  * of a type named by --type (any version; repeatable; default: any type),
  * not kept: a node named by --keep-lineage-of KIND:ID (repeatable) is kept, with every artifact and
    execution upstream and downstream of it through events (of a context: of its artifacts and
    executions), every context these belong to, and those contexts' ancestors.
The events, attributions, associations and parent-context links of deleted nodes go with them; nodes not
selected stay, even if they lose edges. At least one of --older-than, --type or --keep-lineage-of is
required. One transaction: all of it, or nothing. --dry-run prints what would go and deletes nothing."""


def result_rows(result: metadata_store.DeleteResult) -> List[Dict[str, Any]]:
    """One row per deleted node and edge: {"kind": "artifact", "id": 3, "orphan": false, ...}."""
    data = result.to_dict()
    rows: List[Dict[str, Any]] = []
    for kind, ids_field, orphans_field in _NODE_FIELDS:
        orphans = set(data[orphans_field])
        rows += [{"kind": kind, "id": node_id, "orphan": node_id in orphans} for node_id in data[ids_field]]
    for kind, field, columns in _EDGE_FIELDS:
        for edge in data[field]:
            row: Dict[str, Any] = {"kind": kind, **dict(zip(columns, edge))}
            if kind == "event":
                row["type"] = EVENT_TYPE_NAMES.get(row["type"], row["type"])
            rows.append(row)
    return rows


def _summary(result: metadata_store.DeleteResult) -> List[Dict[str, Any]]:
    data = result.to_dict()
    rows = []
    for kind, ids_field, orphans_field in _NODE_FIELDS:
        orphans = set(data[orphans_field])
        rows.append({"kind": f"{kind}s", "count": len(data[ids_field]),
                     "ids": ", ".join(f"{i}{' (orphan)' if i in orphans else ''}" for i in data[ids_field])})
    for kind, field, columns in _EDGE_FIELDS:
        # An edge as its two ends, each with its kind's letter: a3:e1 is artifact 3 and execution 1.
        letters = [column[0] if column[0] in "ae" else "c" for column in columns[:2]]
        rows.append({"kind": f"{kind}s", "count": len(data[field]), "ids": ", ".join(
            ":".join(f"{letter}{end}" for letter, end in zip(letters, edge)) for edge in data[field])})
    return rows


def write_result(result: metadata_store.DeleteResult, fmt: str) -> None:
    """table: a row per kind, its count and ids (an edge as its ends: a3:e1 for artifact 3 and execution 1);
    json: DeleteResult.to_dict(); jsonl: a line per node and edge (result_rows)."""
    if fmt == "json":
        output.write_document(result.to_dict(), "json")
    elif fmt == "jsonl":
        output.write_rows(result_rows(result), [], "jsonl")
    else:
        print("would delete (dry run: nothing was deleted)" if result.dry_run else "deleted")
        output.write_rows(_summary(result), ["kind", "count", "ids"], "table")


def cmd_delete(args: argparse.Namespace) -> int:
    kind = node_kind(args.kind)
    store = open_store(store_url(args.store), writable=not args.dry_run)
    result = store.delete_nodes(**{f"{kind}_ids": args.ids}, cascade=args.cascade, delete_orphans=args.orphans,
                                dry_run=args.dry_run)
    write_result(result, args.format)
    return 0


def parse_duration(text: str) -> int:
    """Milliseconds in `30d`, `12h`, `90m`, `45s` or `2w`."""
    found = _DURATION.match(text.strip())
    if found is None:
        raise CliError(f"--older-than takes a number and a unit (s, m, h, d or w), e.g. 30d; not {text!r}")
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)] * 1000


def parse_kept(text: str) -> Tuple[str, int]:
    """('artifact', 3) from `artifact:3`."""
    kind, _, node_id = text.partition(":")
    if not node_id.strip().isdigit():
        raise CliError(f"--keep-lineage-of takes KIND:ID, e.g. artifact:3; not {text!r}")
    return node_kind(kind), int(node_id)


def cmd_gc(args: argparse.Namespace) -> int:
    if args.older_than is None and not args.type and not args.keep_lineage_of:
        raise CliError("gc needs at least one of --older-than, --type or --keep-lineage-of (to delete every node, "
                       "say --older-than 0s)")
    updated_before: Optional[int] = None
    if args.older_than is not None:
        updated_before = time.time_ns() // 1_000_000 - parse_duration(args.older_than)
    keep = [parse_kept(text) for text in args.keep_lineage_of]
    store = open_store(store_url(args.store), writable=not args.dry_run)
    result = store.collect_garbage(updated_before=updated_before, type_names=args.type, keep_lineage_of=keep,
                                   dry_run=args.dry_run)
    write_result(result, args.format)
    return 0


def add_commands(commands: argparse._SubParsersAction) -> Tuple[argparse.ArgumentParser, ...]:
    delete = commands.add_parser(
        "delete", help="delete nodes (with --cascade, their events and links too)",
        description="Deletes nodes in one transaction. A node with events or links is refused unless --cascade, "
                    "which deletes them with it; other nodes stay (--orphans also deletes those left with no edge "
                    "at all). Deleted ids are never given again.")
    delete.add_argument("kind", metavar="KIND", help="artifact, execution or context")
    delete.add_argument("ids", metavar="ID", type=int, nargs="+")
    delete.add_argument("--cascade", action="store_true",
                        help="delete the nodes' events, attributions, associations and parent-context links too")
    delete.add_argument("--orphans", action="store_true",
                        help="with --cascade: also delete the nodes the delete leaves without any edge")
    delete.add_argument("--dry-run", action="store_true", help="print what would go; delete nothing")
    delete.set_defaults(run=cmd_delete)
    gc = commands.add_parser("gc", help="delete old nodes outside the lineage of nodes to keep",
                             description=GC_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    gc.add_argument("--older-than", metavar="AGE", help="last updated more than AGE ago: 45s, 90m, 12h, 30d, 2w")
    gc.add_argument("--type", metavar="T", action="append", default=[], help="only nodes of type T (repeatable)")
    gc.add_argument("--keep-lineage-of", metavar="KIND:ID", action="append", default=[],
                    help="keep this node and its lineage (repeatable), e.g. artifact:3")
    gc.add_argument("--dry-run", action="store_true", help="print what would go; delete nothing")
    gc.set_defaults(run=cmd_gc)
    return delete, gc
