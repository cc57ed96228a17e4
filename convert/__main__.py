"""`python -m fastmlmd.convert SRC DST`: copies the store ml-metadata made at SRC into a new fastmlmd store at DST.

    python -m fastmlmd.convert metadata.sqlite sqlite:///converted.db
    python -m fastmlmd.convert mysql://root@127.0.0.1:3306/mlmd postgresql://postgres@127.0.0.1/ours

SRC is only read, in one snapshot. DST must be new: a file that does not exist, or a database that is missing
or empty. An interrupted run leaves nothing at DST and can simply be run again (a file is written next to it
and moved into place once complete, a PostgreSQL database filled in one transaction, a MySQL one given its
tables by one RENAME TABLE). SRC and DST are file paths, store URLs (`sqlite:///relative/path`,
`sqlite:////absolute/path`, `mysql://user@host:3306/db`, `postgresql://user@host:5432/db`, as `fastmlmd
--store` takes them) or MLMD's text-format ConnectionConfig files. A progress bar is drawn on a terminal only; errors are
one line on stderr and exit status 1. To convert a store in place instead, open it with
`MetadataStore(config, enable_upgrade_migration=True)`.

    python -m fastmlmd.convert --to-mlmd converted.db mlmd.sqlite

goes back: mlmd.sqlite must be an empty store made by ml-metadata (`MetadataStore(config)` on a new file); it
receives every row, in one transaction.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Callable, List, Optional, TextIO

from fastmlmd.cli.store_url import StoreUrlError, parse_store
from fastmlmd.engine import errors
from fastmlmd.engine.backends.mlmd_copy import copy_store
from fastmlmd.engine.backends.sqlite_mlmd_convert import Progress
from fastmlmd.engine.backends.sqlite_mlmd_export import export_file
from ml_metadata._mlmd_stores import struct_type_from_json, struct_type_to_json
from ml_metadata.proto import metadata_store_pb2

_SQLITE_URL = "sqlite:///"


def store_path(text: str) -> str:
    """The SQLite file a store argument of --to-mlmd names: a path, or a `sqlite:///` URL (four slashes for an
    absolute path).

    Raises:
      ValueError: a URL of another database, which --to-mlmd cannot read or write yet.
    """
    if text.startswith(_SQLITE_URL):
        return text[len(_SQLITE_URL):]
    if "://" in text:
        raise ValueError(f"{text!r}: --to-mlmd reads and writes SQLite stores only (a path, or sqlite:///path)")
    return text


def store_config(text: str, new: bool) -> metadata_store_pb2.ConnectionConfig:
    """The ConnectionConfig a store argument names (a path, a store URL or a config file); `new` for DST.

    Raises:
      ValueError: an argument that names no SQLite, MySQL or PostgreSQL store.
    """
    config = parse_store(text, writable=new)
    if not isinstance(config, metadata_store_pb2.ConnectionConfig) or config.WhichOneof("config") not in (
            "sqlite", "mysql", "postgresql"):
        raise ValueError(f"{text!r}: a copy reads and writes SQLite, MySQL or PostgreSQL stores only")
    return config


def progress_bar(out: TextIO, width: int = 30) -> Progress:
    """A one-line bar redrawn in place, at most ten times a second."""
    last = [0.0]
    started = time.monotonic()

    def draw(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.1 and stage != "done":
            return
        last[0] = now
        share = done / total if total else 1.0
        filled = int(share * width)
        rate = done / max(now - started, 1e-9)
        out.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {share:4.0%} {done:,}/{total:,} rows "
                  f"({rate:,.0f}/s) {stage:<10}")
        if stage == "done":
            out.write("\n")
        out.flush()
    return draw


def main(argv: Optional[List[str]] = None, stderr: TextIO = sys.stderr, stdout: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastmlmd.convert",
                                     description="Copy a store ml-metadata made into a new fastmlmd store.")
    parser.add_argument("source", metavar="SRC", help="the MLMD store (only read): a path, sqlite:///path, "
                        "mysql://user@host:port/db, postgresql://user@host:port/db or a config file")
    parser.add_argument("target", metavar="DST", help="the new fastmlmd store, in the same forms: a file that "
                        "does not exist, or a missing or empty database")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    parser.add_argument("--to-mlmd", action="store_true",
                        help="the other way: SRC is a fastmlmd store, DST an empty store made by ml-metadata "
                             "(MetadataStore(config) on a new file), which receives every row of SRC")
    args = parser.parse_args(argv)
    if args.to_mlmd:
        return _to_mlmd(args, stderr, stdout)
    report: Optional[Callable[[str, int, int], None]] = None
    if not args.quiet and stderr.isatty():
        report = progress_bar(stderr)
    try:
        source, target = store_config(args.source, new=False), store_config(args.target, new=True)
        counts = copy_store(source, target, struct_type_from_json, report)
    except (ValueError, StoreUrlError, RuntimeError, errors.StatusError) as exc:
        stderr.write(f"error: {getattr(exc, 'message', exc)}\n")
        return 1
    if not args.quiet:
        stdout.write(f"converted {counts.nodes:,} nodes, {counts.rows.get('event', 0):,} events and "
                     f"{counts.rows.get('type', 0):,} types into {args.target} in {counts.seconds:.1f}s "
                     f"({counts.nodes / max(counts.seconds, 1e-9):,.0f} nodes/s)\n")
    return 0


def _to_mlmd(args: argparse.Namespace, stderr: TextIO, stdout: TextIO) -> int:
    try:
        source, target = store_path(args.source), store_path(args.target)
        written = export_file(source, target, struct_type_to_json)
    except (ValueError, errors.StatusError) as exc:
        stderr.write(f"error: {getattr(exc, 'message', exc)}\n")
        return 1
    if not args.quiet:
        nodes = sum(written.get(table, 0) for table in ("Artifact", "Execution", "Context"))
        stdout.write(f"exported {nodes:,} nodes, {written.get('Event', 0):,} events and {written.get('Type', 0):,} "
                     f"types into the MLMD store {target}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
