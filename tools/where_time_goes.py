"""Where one bench workload's API calls spend their time, by native sampling: SQLite, protobuf, the row kernel,
or Python.

    pip install py-spy
    python tools/where_time_goes.py put_execution              # ours, small scale, in memory, 20 rounds
    python tools/where_time_goes.py update_artifacts --rounds 10 --backend file

cProfile (`python -m fastmlmd.bench --profile`) charges every C call to the Python function that made it and
slows Python down by its own hooks, so it cannot say how much of a call is SQLite's. py-spy samples the running
process, native frames included, from outside. Each sample taken inside one of the workload's `MetadataStore`
calls (so the caller building its messages is left out) is charged to the innermost Python function on the stack
and to what runs below it: SQLite (libsqlite3 or the sqlite3 module), protobuf (upb), the row kernel (_rowcore)
or, when none of them, Python itself.

The tool runs the bench's fill workloads and then WORKLOAD on a fresh store, ROUNDS times, in a child process
that py-spy records (`--run` is what that child runs).
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, Iterable, List, Optional, Tuple

SQLITE, PROTOBUF, KERNEL, PYTHON = "SQLite", "protobuf", "row kernel", "Python"
# A native frame's library, by what py-spy prints in its parentheses.
_NATIVE = ((SQLITE, ("libsqlite3", "_sqlite3", "cursor.c", "statement.c", "connection.c")),
           (PROTOBUF, ("_message", "upb")),
           (KERNEL, ("_rowcore",)))
_LINE_NUMBER = re.compile(r":\d+\)$")


def _is_python(frame: str) -> bool:
    return ".py:" in frame


def charge(frames: List[str]) -> Tuple[str, str]:
    """(what ran, the innermost Python function) of one sampled stack, outermost frame first."""
    python = [i for i, frame in enumerate(frames) if _is_python(frame)]
    innermost = python[-1] if python else -1
    below = frames[innermost + 1:]
    function = _LINE_NUMBER.sub(")", frames[innermost]) if python else "?"
    for name, marks in _NATIVE:
        if any(mark in frame for frame in below for mark in marks):
            return name, function
    return PYTHON, function


def summarize(lines: Iterable[str], workload: str) -> Tuple[int, Dict[str, int], Dict[Tuple[str, str], int]]:
    """(samples, samples by what ran, samples by (what ran, innermost Python function)) of py-spy's raw output
    ("frame;frame;... count" lines), counting only the samples inside a `MetadataStore` call of the workload."""
    total = 0
    by_kind: Dict[str, int] = collections.Counter()
    by_function: Dict[Tuple[str, str], int] = collections.Counter()
    marker = f"ApiSide.{workload} ("
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if not any(marker in frame for frame in frames) or not any(
                frame.startswith("MetadataStore.") for frame in frames):
            continue
        samples = int(count)
        kind, function = charge(frames)
        total += samples
        by_kind[kind] += samples
        by_function[(kind, function)] += samples
    return total, by_kind, by_function


def report(workload: str, total: int, by_kind: Dict[str, int], by_function: Dict[Tuple[str, str], int],
           top: int = 12) -> str:
    if not total:
        return f"{workload}: no sample fell inside its API calls (more --rounds, or a higher --rate)"
    lines = [f"{workload}: {total} samples inside its MetadataStore calls"]
    lines += [f"  {kind:<10} {count / total:6.1%}" for kind, count in sorted(by_kind.items(), key=lambda kv: -kv[1])]
    for kind, heading in ((PYTHON, "Python, by function"), (SQLITE, "SQLite, by the Python function that ran it")):
        found = sorted(((count, function) for (k, function), count in by_function.items() if k == kind), reverse=True)
        if found:
            lines.append(f"{heading}:")
            lines += [f"  {count / total:6.1%}  {function}" for count, function in found[:top]]
    return "\n".join(lines)


def run(workload: str, scale: str, backend: str, rounds: int) -> None:
    """The child: the bench's run of our side (the fill workloads, then `workload`) on a fresh store, `rounds`
    times."""
    from fastmlmd.bench import worker

    for _ in range(rounds):
        worker.run_side("api", scale, backend, None, only=[workload])


def main(argv: Optional[List[str]] = None) -> int:
    from fastmlmd.bench import data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=data.WORKLOAD_NAMES)
    parser.add_argument("--scale", choices=sorted(data.SCALES), default="small")
    parser.add_argument("--backend", choices=("memory", "file"), default="memory")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=1000, help="samples a second (py-spy's --rate)")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run(args.workload, args.scale, args.backend, args.rounds)
        return 0
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=os.path.dirname(sys.executable))
    if spy is None:
        parser.error("py-spy is not installed: pip install py-spy")
    with tempfile.TemporaryDirectory(prefix="fastmlmd-where-out-") as tmp:
        raw = os.path.join(tmp, "samples.txt")
        subprocess.run([spy, "record", "--native", "--rate", str(args.rate), "--format", "raw", "--output", raw,
                        "--", sys.executable, os.path.abspath(__file__), args.workload, "--scale", args.scale,
                        "--backend", args.backend, "--rounds", str(args.rounds), "--run"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(raw) as handle:
            print(report(args.workload, *summarize(handle, args.workload)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
