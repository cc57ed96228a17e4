"""`python -m fastmlmd.convert SRC DST`: copies the store ml-metadata made at SRC into a new fastmlmd store at DST.

    python -m fastmlmd.convert metadata.sqlite sqlite:///converted.db

SRC is only read. DST must not exist: the copy is written next to it and moved into place once complete, so an
interrupted run leaves nothing at DST and can simply be run again. SRC and DST are file paths or SQLAlchemy-style
`sqlite:///relative/path` / `sqlite:////absolute/path` URLs. A progress bar is drawn on a terminal only; errors are
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

from fastmlmd.engine import errors
from fastmlmd.engine.backends.sqlite_mlmd_convert import Progress, convert_copy
from fastmlmd.engine.backends.sqlite_mlmd_export import export_file
from ml_metadata._mlmd_stores import struct_type_from_json, struct_type_to_json

_SQLITE_URL = "sqlite:///"


def store_path(text: str) -> str:
    """The SQLite file a store argument names: a path, or a `sqlite:///` URL (four slashes for an absolute path).

    Raises:
      ValueError: a URL of another database, which this command cannot read or write yet.
    """
    if text.startswith(_SQLITE_URL):
        return text[len(_SQLITE_URL):]
    if "://" in text:
        raise ValueError(f"{text!r}: only SQLite stores (a path, or sqlite:///path) can be converted so far")
    return text


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
    parser.add_argument("source", metavar="SRC", help="the MLMD store: a path or sqlite:///path (only read)")
    parser.add_argument("target", metavar="DST", help="the new fastmlmd store: a path or sqlite:///path")
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
        source, target = store_path(args.source), store_path(args.target)
        counts = convert_copy(source, target, struct_type_from_json, report)
    except (ValueError, errors.StatusError) as exc:
        stderr.write(f"error: {getattr(exc, 'message', exc)}\n")
        return 1
    if not args.quiet:
        stdout.write(f"converted {counts.nodes:,} nodes, {counts.rows.get('event', 0):,} events and "
                     f"{counts.rows.get('type', 0):,} types into {target} in {counts.seconds:.1f}s "
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
