"""Runs seeded random call sequences on both implementations and compares them.

Shared by the pytest test (test_fuzz_against_oracle.py) and the command line (fuzz.py).
"""
from __future__ import annotations

import dataclasses
import re
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from fuzz_calls import generate
from fuzz_compare import Call, Comparison, Divergence, Outcome, compare, describe, first_difference
from fuzz_oracle import oracle_outcomes
from fuzz_replay import Replayer
from known_differences import Difference, classify

LENGTH = 40  # calls per sequence


@dataclasses.dataclass
class Run:
    """The calls of some seeds, both sides' outcomes, and their comparisons."""

    seeds: List[int]
    calls: List[List[Call]]
    ours: List[List[Outcome]]
    theirs: List[List[Outcome]]
    comparisons: List[Comparison]

    @property
    def made(self) -> int:
        return sum(len(c) for c in self.calls)

    @property
    def compared(self) -> int:
        return sum(c.compared for c in self.comparisons)

    @property
    def agreed(self) -> int:
        return sum(c.agreed for c in self.comparisons)

    @property
    def divergences(self) -> List[Divergence]:
        return [d for c in self.comparisons for d in c.divergences]

    def classified(self) -> List[Tuple[Divergence, Optional[Difference]]]:
        return [(d, classify(d)) for d in self.divergences]


def ours_for_seed(seed: int, length: int = LENGTH) -> Tuple[List[Call], List[Outcome]]:
    """Draws a sequence while running it on our store: the calls and our outcomes."""
    replayer = Replayer()
    outcomes: List[Outcome] = []

    def execute(made: Call) -> Outcome:
        outcomes.append(replayer.run(made))
        return outcomes[-1]

    return generate(seed, length, execute), outcomes


def run_seeds(seeds: Iterable[int], length: int = LENGTH, batch: int = 100,
              progress: Callable[[str], None] = lambda _: None) -> Run:
    """Draws and runs each seed's sequence on ours, replays it on ml-metadata 1.17.1, compares."""
    seeds = list(seeds)
    run = Run(seeds, [], [], [], [])
    for start in range(0, len(seeds), batch):
        chunk = seeds[start:start + batch]
        calls, ours = zip(*(ours_for_seed(seed, length) for seed in chunk))
        theirs = oracle_outcomes(list(calls))
        run.calls += calls
        run.ours += ours
        run.theirs += theirs
        run.comparisons += [compare(f"seed {seed}", c, o, t, goes_on_after=leaves_stores_alike)
                            for seed, c, o, t in zip(chunk, calls, ours, theirs)]
        progress(f"seeds {chunk[0]}..{chunk[-1]}: {run.agreed} of {run.compared} compared calls agree")
    return run


def leaves_stores_alike(divergence: Divergence) -> bool:
    """Whether a known difference is one of presentation, after which the stores are still alike."""
    entry = classify(divergence)
    return entry is not None and entry.leaves_stores_alike


def group_key(divergence: Divergence, entry: Optional[Difference]) -> str:
    """What makes two divergences 'the same': their table entry, else method and kind of difference."""
    if entry is not None:
        return f"{entry.table}: {entry.name}"
    text = describe(divergence.ours, divergence.theirs)
    if "error" not in divergence.ours and "error" not in divergence.theirs:
        where = first_difference(divergence.ours["value"], divergence.theirs["value"]).split(":")[0]
        text = "different values at " + re.sub(r"\[\d+\]", "[]", where)
    return f"new: {divergence.op}: {text}"


def groups(run: Run) -> Dict[str, List[Divergence]]:
    """The divergences of a run by group_key, most frequent first."""
    out: Dict[str, List[Divergence]] = {}
    for divergence, entry in run.classified():
        out.setdefault(group_key(divergence, entry), []).append(divergence)
    return dict(sorted(out.items(), key=lambda kv: -len(kv[1])))
