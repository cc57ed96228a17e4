"""serve, convert and bench: the tools with front doors of their own (`python -m fastmlmd.server`,
`python -m fastmlmd.convert`, `python -m fastmlmd.bench`) as `fastmlmd` subcommands.

Each takes its own arguments and help unchanged, so the command line hands them everything after the
subcommand's name rather than parsing them twice.
"""
from __future__ import annotations

import argparse
import importlib
from typing import Dict, List, Optional, Tuple

# subcommand -> (module whose main(argv) runs it, what it does)
FRONT_DOORS: Dict[str, Tuple[str, str]] = {
    "serve": ("fastmlmd.server.__main__", "run the gRPC server (MLMD's metadata_store_server flags)"),
    "convert": ("fastmlmd.convert.__main__", "copy a store ml-metadata made into a new fastmlmd store"),
    "bench": ("fastmlmd.bench.__main__", "run the benchmark, side by side with ml-metadata if asked"),
}


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Lists them in `fastmlmd --help`; `front_door` runs them before the parser sees their arguments."""
    for name, (_, summary) in FRONT_DOORS.items():
        commands.add_parser(name, help=f"{summary} (see fastmlmd {name} --help)", add_help=False)


def front_door(argv: List[str]) -> Optional[Tuple[str, List[str]]]:
    """(subcommand, its arguments) when `argv` names one of these tools, else None.

    A `--store` given before the name is dropped: these tools name their stores in their own arguments.
    """
    index = 0
    while index < len(argv) and argv[index].startswith("--store"):
        index += 1 if "=" in argv[index] else 2
    if index < len(argv) and argv[index] in FRONT_DOORS:
        return argv[index], argv[index + 1:]
    return None


def run(name: str, argv: List[str]) -> int:
    module = importlib.import_module(FRONT_DOORS[name][0])
    return int(module.main(argv) or 0)
