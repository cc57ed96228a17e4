"""`python -m fastmlmd.bench`: the mlmd_bench-like workloads on fastmlmd, side by side with MLMD and raw SQLite.

    python -m fastmlmd.bench --scale small --against /path/to/mlmd-venv/bin/python --json bench.json

Each side (ours, MLMD under `--against`, the raw-SQLite floors) runs in its own worker process, one after
another, on each backend; the table compares items per second and peak RSS. There are two floors
(`--floor-schema`): "plain" (floor.py: hand-written SQL on an MLMD-like schema with fewer indexes, every
workload but the planner's) and "same-index" (same_index_floor.py: the same logical writes as ours, on our
own schema and indexes, write workloads only). By default both run, and each has its own columns.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

from fastmlmd.bench import data, report, worker
from fastmlmd.bench.workloads import SERVER_BACKENDS, drop_server_database

WORKER = os.path.abspath(worker.__file__)
# --floor-schema -> (result key, worker side) of each floor it runs; the keys are the report's.
FLOORS: Dict[str, Tuple[Tuple[str, str], ...]] = {"plain": (("floor", "floor"),),
                                                  "same-index": (("same-index", "same-index-floor"),)}
FLOORS["both"] = FLOORS["plain"] + FLOORS["same-index"]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def _spawn(python: str, side: str, backend: str, args: argparse.Namespace, label: str, database: str) -> dict:
    """Runs one worker process and returns its JSON; a crash becomes {"error": ...} with no results."""
    with tempfile.TemporaryDirectory(prefix="fastmlmd-bench-out-") as tmp:
        out = os.path.join(tmp, "result.json")
        command = [python, WORKER, "--side", side, "--scale", args.scale, "--backend", backend,
                   "--seed", str(args.seed), "--label", label, "--out", out]
        if backend in SERVER_BACKENDS:
            command += ["--server", args.server, "--database", database]
        if args.budget:
            command += ["--budget", str(args.budget)]
        if args.only:
            command += ["--only", args.only]
        if args.workdir:
            command += ["--workdir", args.workdir]
        code = subprocess.call(command)
        if code != 0 or not os.path.exists(out):
            return {"side": python, "error": f"worker exited with status {code}", "results": {}}
        with open(out) as handle:
            return json.load(handle)


def _keep_best(sides: dict, key: str, found: dict) -> None:
    """Merges one run of a side into `sides`, keeping each workload's fastest successful run (noise only slows)."""
    kept = sides.get(key)
    if kept is None or kept.get("error"):
        sides[key] = found
        return
    for name, result in found.get("results", {}).items():
        old = kept["results"].get(name)
        if old is None or old["status"] != "ok" or (result["status"] == "ok"
                                                     and result["items_per_s"] > old["items_per_s"]):
            kept["results"][name] = result


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fastmlmd.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(data.SCALES, key=lambda scale: data.SCALES[scale]), default="small",
                        help="tiny ~300 nodes, small ~10k, medium ~100k, large ~1M (default: small)")
    parser.add_argument("--backend", choices=("memory", "file", "both", *SERVER_BACKENDS), default="both",
                        help="fake_database in memory, a SQLite file in a temporary directory, both (default), or "
                             "a store on a PostgreSQL or MySQL server (--server), in a database each side creates "
                             "and the runner drops; the SQLite floors do not run there")
    parser.add_argument("--server", default="", metavar="HOST:PORT:USER",
                        help="the server of --backend postgresql|mysql (default: this machine's, "
                             "127.0.0.1:5432:postgres or 127.0.0.1:3306:root; passwords from PGPASSWORD / MYSQL_PWD)")
    parser.add_argument("--against", metavar="PYTHON",
                        help="an interpreter with another ml_metadata (e.g. the real ml-metadata 1.17.1) to compare")
    parser.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the raw-sqlite3 floor(s) of --floor-schema (default: on)")
    parser.add_argument("--floor-schema", choices=tuple(FLOORS), default="both",
                        help="plain: an MLMD-like schema with fewer indexes (reads and writes); same-index: our own "
                             "schema, the same logical writes (writes only); both (default)")
    parser.add_argument("--budget", type=float, default=3.0,
                        help="seconds of measured time after which a read workload stops (0 = none; default 3)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every side N times (sides interleaved) and keep each workload's best rate")
    parser.add_argument("--only", default="", help="comma-separated workloads to run (fill workloads always run)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--workdir", help="directory for the temporary stores (default: the system's)")
    parser.add_argument("--in-process", action="store_true",
                        help="run our side and the floor in this process (quick checks; RSS is then shared)")
    parser.add_argument("--profile", metavar="WORKLOAD",
                        help="run our side only, in this process, with WORKLOAD under cProfile (stats on stderr)")
    args = parser.parse_args(argv)
    if args.profile:
        if args.profile not in data.WORKLOAD_NAMES:
            parser.error(f"unknown workload {args.profile}; workloads are: {', '.join(data.WORKLOAD_NAMES)}")
        args.in_process, args.floor = True, False
        args.only = args.only or args.profile
    unknown = [name for name in args.only.split(",") if name and name not in data.WORKLOAD_NAMES]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; workloads are: {', '.join(data.WORKLOAD_NAMES)}")
    if args.in_process and args.against:
        parser.error("--against needs worker processes; drop --in-process and --profile")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the benchmark; prints the table to stdout and returns 0 (1 when a side failed to run at all)."""
    args = parse_args(argv)
    backends = ["memory", "file"] if args.backend == "both" else [args.backend]
    sides = [("ours", "api", sys.executable)]
    if args.against:
        sides.append(("mlmd", "api", args.against))
    if args.floor and args.backend not in SERVER_BACKENDS:  # the floors are raw SQLite
        sides += [(key, side, sys.executable) for key, side in FLOORS[args.floor_schema]]
    results: dict = {}
    for attempt in range(args.repeat):
        for backend in backends:
            for key, side, python in sides:
                label = f"{key} {backend} {args.scale}" + (f" #{attempt + 1}" if args.repeat > 1 else "")
                database = f"fastmlmd_bench_{os.getpid()}_{key}_{attempt}"
                try:
                    if args.in_process:
                        only = [name for name in args.only.split(",") if name] or None
                        found = worker.run_side(side, args.scale, backend, args.budget or None, args.seed, only,
                                                label, args.workdir, args.profile, args.server, database)
                    else:
                        found = _spawn(python, side, backend, args, label, database)
                finally:
                    if backend in SERVER_BACKENDS:
                        drop_server_database(backend, args.server, database)
                _keep_best(results.setdefault(backend, {}), key, found)
    doc = {
        "meta": {
            "scale": args.scale, "nodes": data.Dataset(args.scale, args.seed).n_nodes, "seed": args.seed,
            "budget": args.budget, "repeat": args.repeat, "machine": _machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": "python -m fastmlmd.bench " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)),
        },
        "results": results,
    }
    print(report.render(doc))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(doc, handle, indent=1)
    failed = any(found.get("error") for sides_ in results.values() for found in sides_.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
