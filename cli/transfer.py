"""export, import and copy: a store's records to JSON lines, from them, and from one store to another.

Ids are kept by default, through `MetadataStore.import_records` (timestamps too), and only into a store with no
types and no nodes of its own: the copy is then exact. `--remap-ids` writes through the ordinary API calls
instead, into any store, and maps each old id to the new one (timestamps are the store's own then).

Records go in batches of one kind, each one `import_records` call (one transaction, its rows in a few multi-row
statements on every backend), read and written a page at a time: memory holds a batch whatever the store's
size. A copy stopped part way (killed, a lost connection) goes on with `copy --resume` (resume.py).
"""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from fastmlmd.cli.progress import Progress
from fastmlmd.cli.records import PAGE, Record, Start, header_line, read_lines, store_records, to_line
from fastmlmd.cli.resume import resume_start
from fastmlmd.cli.stores import CliError, last_node, list_nodes, open_store, store_url, types_of
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

# import_records' argument for each record kind.
_IMPORT_ARGS = {"artifact_type": "types", "execution_type": "types", "context_type": "types",
                "context": "contexts", "artifact": "artifacts", "execution": "executions", "event": "events",
                "attribution": "attributions", "association": "associations", "parent_context": "parent_contexts"}


def _is_empty(store: metadata_store.MetadataStore) -> bool:
    return not any(types_of(store, kind) or list_nodes(store, kind, metadata_store.ListOptions(limit=1))
                   for kind in ("artifact", "execution", "context"))


class KeptIds:
    """Writes records in batches of one kind, ids and timestamps kept; each batch is one transaction."""

    def __init__(self, store: metadata_store.MetadataStore, resuming: bool = False) -> None:
        if not resuming and not _is_empty(store):
            raise CliError("the target store already holds types or nodes; ids are kept only into an empty store "
                           "(pass --remap-ids to add the records under new ids, or --resume to go on with a copy "
                           "that stopped)")
        self.store = store

    def write(self, kind: str, messages: List[Any]) -> None:
        arguments: Dict[str, Any] = {_IMPORT_ARGS[kind]: messages}
        self.store.import_records(**arguments)


class RemappedIds:
    """Writes records through the ordinary API calls; each old id maps to the id the store gives."""

    def __init__(self, store: metadata_store.MetadataStore) -> None:
        self.store = store
        self.ids: Dict[str, Dict[int, int]] = {"type": {}, "artifact": {}, "execution": {}, "context": {}}

    def _id(self, kind: str, old: int, record: str) -> int:
        try:
            return self.ids[kind][old]
        except KeyError:
            raise CliError(f"a {record} names {kind} {old}, which the input did not hold before it") from None

    def write(self, kind: str, messages: List[Any]) -> None:
        store = self.store
        if kind.endswith("_type"):
            type_puts: Dict[str, Callable[..., int]] = {
                "artifact_type": store.put_artifact_type, "execution_type": store.put_execution_type,
                "context_type": store.put_context_type}
            put = type_puts[kind]
            for message in messages:
                old = message.id
                message.ClearField("id")
                # A type the store has already is evolved to hold both versions' properties.
                self.ids["type"][old] = put(message, can_add_fields=True, can_omit_fields=True)
        elif kind in ("artifact", "execution", "context"):
            olds = [m.id for m in messages]
            for message in messages:
                message.ClearField("id")
                # Built-in types (ids below 10) are the same in every store; the input's own types were mapped.
                message.type_id = self.ids["type"].get(message.type_id, message.type_id)
                for field in ("type", "create_time_since_epoch", "last_update_time_since_epoch"):
                    message.ClearField(field)
            node_puts: Dict[str, Callable[..., List[int]]] = {
                "artifact": store.put_artifacts, "execution": store.put_executions, "context": store.put_contexts}
            put_nodes = node_puts[kind]
            self.ids[kind].update(zip(olds, put_nodes(messages)))
        elif kind == "event":
            for event in messages:
                event.artifact_id = self._id("artifact", event.artifact_id, "event")
                event.execution_id = self._id("execution", event.execution_id, "event")
            store.put_events(messages)
        elif kind == "attribution":
            store.put_attributions_and_associations([pb.Attribution(
                context_id=self._id("context", m.context_id, kind), artifact_id=self._id("artifact", m.artifact_id, kind))
                for m in messages], [])
        elif kind == "association":
            store.put_attributions_and_associations([], [pb.Association(
                context_id=self._id("context", m.context_id, kind),
                execution_id=self._id("execution", m.execution_id, kind)) for m in messages])
        else:
            store.put_parent_contexts([pb.ParentContext(
                child_id=self._id("context", m.child_id, kind), parent_id=self._id("context", m.parent_id, kind))
                for m in messages])


# The id each kind of record goes by in its stream (records.py), for the progress bar.
_POSITIONS: Dict[str, Callable[[Any], int]] = {
    "context": lambda m: m.id, "artifact": lambda m: m.id, "execution": lambda m: m.id,
    "event": lambda m: m.execution_id, "attribution": lambda m: m.context_id, "association": lambda m: m.context_id,
    "parent_context": lambda m: m.child_id}


def write_records(records: Iterable[Record], writer: Any, progress: Progress, page: int = PAGE) -> None:
    """Hands the records to `writer` in batches of one kind, at most `page` a batch."""
    batch: List[Any] = []
    batch_kind: Optional[str] = None

    def flush() -> None:
        assert batch_kind is not None
        writer.write(batch_kind, batch)
        position = _POSITIONS.get(batch_kind)
        progress.add(batch_kind, len(batch), position(batch[-1]) if position else 0)

    for kind, message in records:
        if batch and (kind != batch_kind or len(batch) >= page):
            flush()
            batch = []
        batch_kind = kind
        batch.append(message)
    if batch:
        flush()


def stream_ends(store: metadata_store.MetadataStore) -> Dict[str, int]:
    """The highest id each kind of record goes by (see _POSITIONS): where the progress bar of each kind ends."""
    last = {kind: getattr(last_node(store, kind), "id", 0) for kind in ("artifact", "execution", "context")}
    return {**last, "event": last["execution"], "attribution": last["context"], "association": last["context"],
            "parent_context": last["context"]}


def _writer(store: metadata_store.MetadataStore, remap: bool, resuming: bool = False) -> Any:
    return RemappedIds(store) if remap else KeptIds(store, resuming)


def cmd_export(args: argparse.Namespace) -> int:
    store = open_store(store_url(args.store))
    progress = Progress("exported")
    handle = sys.stdout if args.file == "-" else open(args.file, "w", encoding="utf-8", newline="\n")
    try:
        handle.write(header_line())
        for kind, message in store_records(store):
            handle.write(to_line(kind, message))
            progress.add(kind)
    finally:
        if handle is not sys.stdout:
            handle.close()
    progress.done()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    store = open_store(store_url(args.store), writable=True)
    writer = _writer(store, args.remap_ids)
    progress = Progress("imported")
    handle = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    try:
        write_records(read_lines(handle, args.file), writer, progress, page=args.batch)
    finally:
        if handle is not sys.stdin:
            handle.close()
    progress.done()
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    if args.resume and args.remap_ids:
        raise CliError("--resume goes on with a copy that kept ids; a --remap-ids copy cannot be resumed")
    source = open_store(args.source)
    target = open_store(args.target, writable=True)
    start = resume_start(source, target) if args.resume else Start()
    progress = Progress("copied", ends=stream_ends(source))
    write_records(store_records(source, page=args.batch, start=start),
                  _writer(target, args.remap_ids, args.resume), progress, page=args.batch)
    progress.done()
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def add_commands(commands: argparse._SubParsersAction) -> Tuple[argparse.ArgumentParser, ...]:
    export = commands.add_parser("export", help="write the store as JSON lines (MLMD's protos, one a line)")
    export.add_argument("file", metavar="FILE.jsonl", help="where to write ('-': stdout)")
    export.set_defaults(run=cmd_export)
    imported = commands.add_parser("import", help="read an export into the store")
    imported.add_argument("file", metavar="FILE.jsonl", help="an export ('-': stdin)")
    imported.add_argument("--remap-ids", action="store_true",
                          help="let the store give new ids (into any store); default: keep ids (into an empty store)")
    imported.add_argument("--batch", type=_positive, default=PAGE, metavar="N",
                          help=f"records a transaction (default {PAGE})")
    imported.set_defaults(run=cmd_import)
    copy = commands.add_parser("copy", help="copy every record of one store into another")
    copy.add_argument("source", metavar="SRC_URL")
    copy.add_argument("target", metavar="DST_URL")
    copy.add_argument("--remap-ids", action="store_true", help="as for import")
    copy.add_argument("--resume", action="store_true",
                      help="go on with a copy into DST_URL that stopped part way (ids kept): what the target holds "
                           "of the source is left out")
    copy.add_argument("--batch", type=_positive, default=PAGE, metavar="N",
                      help=f"records read a page and written a transaction (default {PAGE})")
    copy.set_defaults(run=cmd_copy)
    return export, imported, copy
