"""Instruction counts per call of one bench workload, by callgrind: the A/B measure for write-path work.

    python tools/callgrind_workload.py put_execution            # ours, tiny scale, in memory
    python tools/callgrind_workload.py put_execution --side same-index-floor

Runs the tiny store's fill workloads, then the first N1 and, in a second process, the first N2 operations of
the workload (a fill workload stops the run where it stops), each under
`PYTHONHASHSEED=0 valgrind --tool=callgrind`; prints (I_N2 - I_N1) / (N2 - N1), the instructions of one
operation with every warm-up cost (imports, statement compiles, the schema) cancelled out.
With `--run N` it only runs the workload's first N operations, without valgrind (what each measured process runs).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from typing import Callable, Iterable, Iterator, Optional, TypeVar

from fastmlmd.bench import data, meter, worker

T = TypeVar("T")
U = TypeVar("U")


class _FirstOps(meter.Meter):
    """A meter that yields only the first `limit` operations (every one, uncut by a time budget), prepared as
    the workload asks (`each` goes through `each_prepared`)."""

    def __init__(self, workload: str, limit: Optional[int]) -> None:
        super().__init__(workload)
        self.limit = limit

    def each_prepared(self, ops: Iterable[T], prepare: Optional[Callable[[T], U]],
                      total: Optional[int] = None) -> Iterator[U]:
        for number, op in enumerate(ops):
            if self.limit is not None and number >= self.limit:
                return
            yield prepare(op) if prepare is not None else op  # type: ignore[misc]


def run(side: str, workload: str, operations: int, scale: str, seed: int) -> None:
    ds = data.Dataset(scale, seed)
    with tempfile.TemporaryDirectory(prefix="fastmlmd-callgrind-") as tmp:
        impl = worker._make_side(side, "memory", tmp)
        for name, _, phase in data.WORKLOADS:
            if name == workload:
                impl.run(name, ds, _FirstOps(name, operations))  # type: ignore[attr-defined]
                return
            if phase == "fill":
                impl.run(name, ds, _FirstOps(name, None))  # type: ignore[attr-defined]


def _instructions(args: argparse.Namespace, operations: int) -> int:
    with tempfile.TemporaryDirectory(prefix="fastmlmd-callgrind-out-") as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
                        os.path.abspath(__file__), args.workload, "--side", args.side, "--scale", args.scale,
                        "--seed", str(args.seed), "--run", str(operations)],
                       check=True, env={**os.environ, "PYTHONHASHSEED": "0"},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(out) as handle:
            found = re.search(r"^summary: (\d+)", handle.read(), re.MULTILINE)
        assert found is not None, "callgrind wrote no summary"
        return int(found.group(1))


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=data.WORKLOAD_NAMES)
    parser.add_argument("--side", choices=("api", "floor", "same-index-floor"), default="api")
    parser.add_argument("--scale", choices=sorted(data.SCALES), default="tiny")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--n1", type=int, default=1)
    parser.add_argument("--n2", type=int, default=3)
    parser.add_argument("--run", type=int, help="run the first RUN operations only, without valgrind")
    args = parser.parse_args(argv)
    if args.run is not None:
        run(args.side, args.workload, args.run, args.scale, args.seed)
        return 0
    first, second = _instructions(args, args.n1), _instructions(args, args.n2)
    per_op = (second - first) / (args.n2 - args.n1)
    print(f"{args.workload} {args.side}: {per_op / 1e6:.3f}M instructions per operation "
          f"(I_{args.n2} {second} - I_{args.n1} {first}) / {args.n2 - args.n1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
