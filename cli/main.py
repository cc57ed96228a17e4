"""`fastmlmd`: the command line. Parses arguments, runs one command, and turns any failure into one line.

    fastmlmd --store sqlite:///metadata.db ls artifacts --filter "uri LIKE 'gs://%'" --format json
"""
from __future__ import annotations

import argparse
import sys
from typing import List, NoReturn, Optional

from fastmlmd.cli import deleting, front_doors, lineage_cmd, output, reading, transfer, ui_server
from fastmlmd.cli.store_url import StoreUrlError
from fastmlmd.cli.stores import STORE_ENV, CliError
from ml_metadata import errors

PROG = "fastmlmd"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, as every other failure: the usage is one `--help` away.
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def _store_option(parser: argparse.ArgumentParser, top: bool = False) -> None:
    # Accepted before or after the command; after it, it wins.
    parser.add_argument("--store", metavar="URL", default=None if top else argparse.SUPPRESS,
                        help=f"the store: memory:, sqlite:///PATH, mysql://..., postgresql://..., grpc://HOST:PORT, "
                             f"or a config file (default: ${STORE_ENV})")


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=output.FORMATS, default="table", help="output format (default: table)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Inspect, query, draw, export, import, copy and prune ML Metadata stores.")
    _store_option(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    ls = commands.add_parser("ls", help="list artifacts, executions, contexts or types")
    ls.add_argument("what", choices=["artifacts", "executions", "contexts", "types",
                                     "artifact", "execution", "context", "type"])
    ls.add_argument("--type", metavar="T", help="only nodes of this type (for types: artifact, execution or context)")
    ls.add_argument("--filter", metavar="Q", help="a filter query, as ListOptions.filter_query")
    ls.add_argument("--order-by", metavar="F", default="id", help="id, create_time or update_time (default: id)")
    ls.add_argument("--desc", action="store_true", help="newest / highest first")
    ls.add_argument("--limit", metavar="N", type=int, default=0, help="at most N nodes")
    ls.set_defaults(run=reading.cmd_ls)

    show = commands.add_parser("show", help="one node, with its contexts")
    show.add_argument("kind", metavar="KIND", help="artifact, execution or context")
    show.add_argument("id", metavar="ID", type=int)
    show.set_defaults(run=reading.cmd_show)

    events = commands.add_parser("events", help="the events of an artifact or execution")
    events.add_argument("kind", metavar="KIND", help="artifact or execution")
    events.add_argument("id", metavar="ID", type=int)
    events.set_defaults(run=reading.cmd_events)

    explain = commands.add_parser("explain", help="how the store runs a filter query")
    explain.add_argument("kind", metavar="KIND", help="artifacts, executions or contexts")
    explain.add_argument("filter", metavar="FILTER")
    explain.set_defaults(run=reading.cmd_explain)

    stats = commands.add_parser("stats", help="nodes per type, store size, schema version")
    stats.set_defaults(run=reading.cmd_stats)

    lineage_cmd.add_command(commands)
    transfer.add_commands(commands)
    removing = deleting.add_commands(commands)
    ui_server.add_command(commands)
    front_doors.add_commands(commands)

    for sub in (ls, show, events, stats, *removing):
        _format_option(sub)
    for sub in commands.choices.values():
        _store_option(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Runs one command; returns the exit status (0, or 1 after an error written as one line to stderr)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    door = front_doors.front_door(argv)
    if door is not None:
        return front_doors.run(*door)
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except BrokenPipeError:
        raise  # the reader of stdout went away: console_main ends quietly
    except (CliError, StoreUrlError, errors.StatusError, RuntimeError, ValueError, TypeError, OSError) as exc:
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


def one_line(exc: BaseException) -> str:
    """The message of `exc` on one line (filter errors carry a caret on a line of its own)."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, errors.StatusError):
        text = f"{type(exc).__name__}: {text}"
    return " | ".join(part.strip() for part in text.splitlines() if part.strip())


def console_main() -> NoReturn:
    """The console script's entry point."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `fastmlmd ls artifacts | head`: the reader went away, which is no error
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 0
    sys.exit(status)
