"""Runs every workload of one side in this process and writes the results as JSON.

A side is an `ml_metadata` implementation (whichever one this interpreter imports: fastmlmd, or the real
ml-metadata under `--against`) or a raw-SQLite floor: "floor" on a plain MLMD-like schema (floor.py), or
"same-index-floor" on our own schema, writes only (same_index_floor.py; it needs fastmlmd). The runner starts one worker per side and backend,
one after another, by path:

    python bench/worker.py --side api --scale small --backend memory --out result.json

Run by path, this directory is on sys.path and its modules import as top-level modules, so the baseline
interpreter needs nothing but ml-metadata; imported as `fastmlmd.bench.worker` (tests, `--in-process`) it
uses the package.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import traceback
from typing import Iterable, Optional

if __package__:
    from fastmlmd.bench import data, meter
else:  # run by path under an interpreter that may not have fastmlmd
    import data  # type: ignore[no-redef,import-not-found]
    import meter  # type: ignore[no-redef,import-not-found]

# Exceptions that mean "this side does not offer the operation" rather than "the workload broke".
NOT_AVAILABLE = ("UnimplementedError", "NotImplementedError")


def describe(side: str) -> str:
    """What is being measured: the implementation behind `ml_metadata` here, or the floor's schema and SQLite."""
    if side == "floor":
        return f"raw sqlite3, plain MLMD-like schema with fewer indexes (SQLite {sqlite3.sqlite_version})"
    if side == "same-index-floor":
        return f"raw sqlite3, fastmlmd's own schema and indexes, write workloads only (SQLite {sqlite3.sqlite_version})"
    import ml_metadata

    version = getattr(ml_metadata, "__version__", "?")
    try:
        from importlib.metadata import version as installed_version

        from fastmlmd.engine import rowcore
    except ImportError:
        return f"ml-metadata {version} (SQLite {sqlite3.sqlite_version})"
    return (f"fastmlmd {installed_version('fastmlmd')} ({rowcore.IMPLEMENTATION} row kernel, "
            f"SQLite {sqlite3.sqlite_version})")


def _make_side(side: str, backend: str, workdir: str, server: str = "", database: str = "") -> object:
    if side == "floor":
        if __package__:
            from fastmlmd.bench.floor import FloorSide
        else:
            from floor import FloorSide  # type: ignore[no-redef,import-not-found]
        return FloorSide(backend, workdir)
    if side == "same-index-floor":
        from fastmlmd.bench.same_index_floor import SameIndexFloor  # runs under our interpreter only

        return SameIndexFloor(backend, workdir)
    if __package__:
        from fastmlmd.bench.workloads import ApiSide
    else:
        from workloads import ApiSide  # type: ignore[no-redef,import-not-found]
    return ApiSide(backend, workdir, server, database)


def run_side(side: str, scale: str, backend: str, budget: Optional[float], seed: int = 17,
             only: Optional[Iterable[str]] = None, label: Optional[str] = None,
             workdir: Optional[str] = None, profile: Optional[str] = None, server: str = "",
             database: str = "") -> dict:
    """Builds the synthetic store on one side and runs the workloads on it, in order.

    Args:
        side: "api" (the `ml_metadata` this interpreter imports), "floor" (raw sqlite3, plain schema) or
            "same-index-floor" (raw sqlite3, our schema; it runs the fill and write workloads only).
        scale: a key of `data.SCALES`.
        backend: "memory" (fake_database / ":memory:"), "file" (a SQLite file in a temporary directory), or
            "postgresql" / "mysql" (a store in `database` on `server`, "host:port:user"; API sides only).
        budget: seconds of measured time after which a read workload stops early; None = run every operation.
        seed: the dataset's seed.
        only: names of the non-fill workloads to run (the fill workloads always run: they build the store).
        label: the progress line's prefix.
        workdir: where the temporary directory goes (default: the system's).
        profile: a workload to run under cProfile; its top functions are printed to stderr.

    Returns:
        {"side": description, "results": {workload: {items, ops, seconds, items_per_s, peak_rss_mb, ...}}}.
    """
    wanted = set(only) if only else None
    ds = data.Dataset(scale, seed)
    progress = meter.Progress(label or f"{side} {backend}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="fastmlmd-bench-", dir=workdir) as tmp:
        impl = _make_side(side, backend, tmp, server, database)
        phases = getattr(impl, "PHASES", None)  # a side that runs some phases only leaves the others out
        for name, unit, phase in data.WORKLOADS:
            if (wanted is not None and phase != "fill" and name not in wanted) or (phases and phase not in phases):
                continue
            reads = phase == "read"
            watch = meter.Meter(name, progress, budget=budget if reads else None, warmup=reads)
            meter.reset_peak_rss()
            status, detail = "ok", ""
            try:
                if not hasattr(impl, name):  # the same words for every such workload: the report lists them on one line
                    raise NotImplementedError("no such workload on this side")
                if name == profile:
                    _profiled(impl, name, ds, watch)
                else:
                    impl.run(name, ds, watch)  # type: ignore[attr-defined]
            except Exception as exc:  # reported per workload: one failure must not hide the other numbers
                status = "n/a" if type(exc).__name__ in NOT_AVAILABLE else "error"
                detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                if status == "error":
                    traceback.print_exc(file=sys.stderr)
            result = watch.result()
            result.update(unit=unit, phase=phase, status=status, detail=detail, peak_rss_mb=meter.peak_rss_mb())
            results[name] = result
            summary = (f"{result['items']} {unit} in {result['seconds']:.2f}s" if status == "ok"
                       else f"{status} ({detail})")
            progress.finish(name, summary)
        del impl
    return {"side": describe(side), "python": sys.version.split()[0], "results": results}


def _profiled(impl: object, name: str, ds: data.Dataset, watch: meter.Meter) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(impl.run, name, ds, watch)  # type: ignore[attr-defined]
    stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
    for order in ("tottime", "cumulative"):
        sys.stderr.write(f"\n== {name}: top functions by {order}\n")
        stats.sort_stats(order).print_stats(25)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=("api", "floor", "same-index-floor"), default="api")
    parser.add_argument("--scale", choices=sorted(data.SCALES), default="small")
    parser.add_argument("--backend", choices=("memory", "file", "postgresql", "mysql"), default="memory")
    parser.add_argument("--server", default="", help="host:port:user of a server backend's server")
    parser.add_argument("--database", default="", help="a server backend's database (the runner drops it)")
    parser.add_argument("--budget", type=float, default=None)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--only", default="", help="comma-separated workload names (fill always runs)")
    parser.add_argument("--label", default=None)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--out", required=True, help="where to write the JSON result")
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name] or None
    result = run_side(args.side, args.scale, args.backend, args.budget, args.seed, only, args.label, args.workdir,
                      server=args.server, database=args.database)
    with open(args.out, "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
