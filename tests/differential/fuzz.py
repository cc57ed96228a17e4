"""Random differential run of the MetadataStore API against ml-metadata 1.17.1, from the command line.

    .venv/bin/python -m tests.differential.fuzz --seeds 0:500            # summary of 500 sequences
    .venv/bin/python -m tests.differential.fuzz --seeds 0:500 --shrink   # + a minimal repro per new group
    .venv/bin/python -m tests.differential.fuzz --seeds 17 --show        # every call of seed 17
    .venv/bin/python -m tests.differential.fuzz --seeds 0:200 --self-check  # does any outcome depend on timing?

Prints how many calls were made, compared and agreed, then every group of divergences: the entry of
known_differences.py that explains it (KNOWN: deliberate or issue 9; OPEN: a bug still to fix), or
"new". `--shrink` cuts the first example of each new group (or, with `--shrink-all`, of every group)
down to a short sequence and prints it as a runnable script, with both sides' outcomes of its last
call. The oracle is $FASTMLMD_ORACLE_PYTHON or .venv-oracle/bin/python (`make oracle`).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import List

HERE = Path(__file__).resolve().parent
for _path in (str(HERE.parent / "api"), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import pytest  # noqa: E402  (oracle_client reports a missing oracle with pytest.skip)

from fuzz_compare import agree, comparable, describe  # noqa: E402
from fuzz_oracle import oracle_outcomes  # noqa: E402
from fuzz_replay import replay  # noqa: E402
from fuzz_run import LENGTH, Run, group_key, groups, run_seeds  # noqa: E402
from fuzz_shrink import Shrinker, render  # noqa: E402
from known_differences import classify  # noqa: E402


def _seeds(text: str) -> List[int]:
    """`0:500` (a range), `3,17,40` (a list) or `17`."""
    if ":" in text:
        start, stop = text.split(":")
        return list(range(int(start), int(stop)))
    return [int(s) for s in text.split(",")]


def _summary(run: Run, elapsed: float) -> None:
    share = 100.0 * run.agreed / run.compared if run.compared else 0.0
    print(f"\n{len(run.seeds)} sequences, {run.made} calls made, {run.compared} compared "
          f"(a sequence stops being compared after a difference that may leave the stores apart), "
          f"{run.agreed} agree ({share:.2f}%), in {elapsed:.0f} s")
    by_group = groups(run)
    if not by_group:
        print("no divergences")
    for key, found in by_group.items():
        first = found[0]
        print(f"{len(found):5d}  {key}\n       e.g. {first.label}, call {first.index}: {first.summary}")
    messages = sum(len(c.message_differences) for c in run.comparisons)
    print(f"\n{messages} calls raised the same error class with another message (not counted as divergences)")


def _shrink(run: Run, everything: bool) -> None:
    shrinker = Shrinker(lambda d: group_key(d, classify(d)))
    for key, found in groups(run).items():
        if not everything and not key.startswith("new"):
            continue
        started = time.time()
        calls = shrinker.shrink(found[0])
        ours, theirs = replay(calls)[-1], oracle_outcomes([calls])[0][-1]
        print(f"\n=== {key}\n# from {found[0].label}, call {found[0].index}: {len(calls)} calls "
              f"({time.time() - started:.0f} s)")
        print(render(calls))
        print(f"# ours:   {json.dumps(ours, ensure_ascii=False)[:1500]}")
        print(f"# MLMD:   {json.dumps(theirs, ensure_ascii=False)[:1500]}")
        print(f"# {describe(ours, theirs)}")
        print(f"# json: {json.dumps(calls, ensure_ascii=False)}")


def _show(run: Run) -> None:
    for label, calls, ours, theirs in zip(run.seeds, run.calls, run.ours, run.theirs):
        print(f"\n--- seed {label}")
        for index, (made, mine, other) in enumerate(zip(calls, ours, theirs)):
            mark = "  " if mine == other else "~ " if agree(comparable(made, mine), comparable(made, other)) else "!!"
            print(f"{mark} {index:3d} {json.dumps(made, ensure_ascii=False)}\n"
                  f"         ours: {json.dumps(mine, ensure_ascii=False)[:300]}")
            if mine != other:
                print(f"         MLMD: {json.dumps(other, ensure_ascii=False)[:300]}")


def _self_check(run: Run) -> None:
    """Replays every sequence once more on each side: an outcome that changes depends on timing."""
    again_ours = [replay(calls) for calls in run.calls]
    again_theirs = oracle_outcomes(run.calls)
    for side, first, second in (("ours", run.ours, again_ours), ("MLMD", run.theirs, again_theirs)):
        changed = [(seed, i, made["op"]) for seed, calls, a, b in zip(run.seeds, run.calls, first, second)
                   for i, (made, x, y) in enumerate(zip(calls, a, b))
                   if not agree(comparable(made, x), comparable(made, y))]
        print(f"{side}: {len(changed)} calls answered otherwise the second time"
              + "".join(f"\n   seed {seed}, call {i}: {op}" for seed, i, op in changed[:20]))


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0:100", help="a range 0:500, a list 3,17,40 or one seed")
    parser.add_argument("--length", type=int, default=LENGTH, help="calls per sequence")
    parser.add_argument("--batch", type=int, default=100, help="sequences per oracle subprocess")
    parser.add_argument("--shrink", action="store_true", help="shrink one example of each new group")
    parser.add_argument("--shrink-all", action="store_true", help="shrink one example of every group")
    parser.add_argument("--show", action="store_true", help="print every call and outcome")
    parser.add_argument("--self-check", action="store_true",
                        help="replay every sequence once more on each side and report outcomes that change")
    options = parser.parse_args(argv)
    started = time.time()
    try:
        run = run_seeds(_seeds(options.seeds), options.length, options.batch, progress=print)
    except pytest.skip.Exception as exc:
        print(f"no oracle: {exc}", file=sys.stderr)
        return 2
    except pytest.fail.Exception as exc:
        print(f"the oracle run failed: {exc}", file=sys.stderr)
        return 1
    if options.show:
        _show(run)
    _summary(run, time.time() - started)
    if options.self_check:
        _self_check(run)
    if options.shrink or options.shrink_all:
        _shrink(run, options.shrink_all)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
