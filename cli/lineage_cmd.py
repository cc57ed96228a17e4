"""`fastmlmd lineage KIND ID`: the lineage around a node as DOT, Mermaid, SVG or an HTML page."""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys

from fastmlmd.cli.lineage_graph import DIRECTIONS, Graph, read_lineage
from fastmlmd.cli.lineage_html import to_html
from fastmlmd.cli.lineage_layout import to_svg
from fastmlmd.cli.lineage_text import to_dot, to_mermaid
from fastmlmd.cli.stores import CliError, node_kind, open_store, store_url

FORMATS = ("dot", "mermaid", "svg", "html")
LAYOUTS = ("auto", "graphviz", "python")


def svg_of(graph: Graph, layout: str) -> str:
    """SVG through Graphviz's `dot` when it is installed (or asked for), else the pure-Python layout."""
    dot = shutil.which("dot")
    if layout == "graphviz" and dot is None:
        raise CliError("--layout graphviz needs Graphviz's `dot` on PATH; --layout python needs nothing")
    if dot is not None and layout != "python":
        done = subprocess.run([dot, "-Tsvg"], input=to_dot(graph), capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise CliError(f"dot failed ({done.returncode}): {done.stderr.strip() or 'no message'}")
        return done.stdout
    return to_svg(graph)


def cmd_lineage(args: argparse.Namespace) -> int:
    if args.hops < 0:
        raise CliError(f"--hops is a number of hops, 0 or more, not {args.hops}")
    store = open_store(store_url(args.store))
    graph = read_lineage(store, node_kind(args.kind), args.id, args.hops, args.direction)
    if args.format == "dot":
        text = to_dot(graph)
    elif args.format == "mermaid":
        text = to_mermaid(graph)
    elif args.format == "svg":
        text = svg_of(graph, args.layout)
    else:
        text = to_html(graph)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        if sys.stderr.isatty():
            print(f"wrote {args.output}: {len(graph.nodes)} nodes, {len(graph.edges)} events", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def add_command(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    lineage = commands.add_parser("lineage", help="draw the lineage around a node")
    lineage.add_argument("kind", metavar="KIND", help="artifact, execution or context (its nodes)")
    lineage.add_argument("id", metavar="ID", type=int)
    lineage.add_argument("--hops", metavar="N", type=int, default=3, help="hops to walk (default 3)")
    lineage.add_argument("--direction", choices=sorted(DIRECTIONS), default="both",
                         help="up: what it came from, down: what came of it (default both)")
    lineage.add_argument("--format", choices=FORMATS, default="dot", help="output format (default dot)")
    lineage.add_argument("--layout", choices=LAYOUTS, default="auto",
                         help="SVG layout: Graphviz when installed (auto), or the built-in one (python)")
    lineage.add_argument("-o", "--output", metavar="FILE", help="write here instead of to stdout")
    lineage.set_defaults(run=cmd_lineage)
    return lineage
