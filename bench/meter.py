"""Stopwatch, item counter, peak-RSS probe and progress line of one workload (standard library only)."""
from __future__ import annotations

import re
import resource
import sys
import time
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, TypeVar

T = TypeVar("T")
U = TypeVar("U")
_HWM = re.compile(r"VmHWM:\s+(\d+)\s+kB")


def reset_peak_rss() -> bool:
    """Restarts the kernel's peak-RSS counter of this process (Linux ≥ 4.0); False where that is impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Peak resident set size in MiB since the last reset (or since the process started)."""
    try:
        with open("/proc/self/status") as handle:
            found = _HWM.search(handle.read())
        if found:
            return int(found.group(1)) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


class Progress:
    """One self-rewriting line on stderr when it is a terminal, else one line per finished workload."""

    def __init__(self, label: str, stream=None) -> None:  # noqa: ANN001 - any text stream
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0

    def update(self, workload: str, done: int, total: Optional[int]) -> None:
        """Redraws the line at most 5 times a second."""
        now = time.monotonic()
        if not self.live or now - self._last < 0.2:
            return
        self._last = now
        of = f"/{total}" if total else ""
        self.stream.write(f"\r\x1b[K[{self.label}] {workload} {done}{of}")
        self.stream.flush()

    def finish(self, workload: str, summary: str) -> None:
        prefix = "\r\x1b[K" if self.live else ""
        self.stream.write(f"{prefix}[{self.label}] {workload}: {summary}\n")
        self.stream.flush()


class Meter:
    """Times only the body of each operation (not the making of its inputs) and counts its items.

    Usage, in a workload::

        for batch in meter.each(plan):
            got = store.get_artifacts_by_id(batch)
            meter.add(len(got), returned=len(got))

    A workload whose calls take messages it must build (the writes) loops over `each_prepared(plan, prepare)`
    instead: `prepare` makes each operation's inputs untimed, just before the call, as mlmd_bench's SetUp does
    (its SetUp is "not included into the performance evaluation"). A side is then timed on its own work, not
    its caller's: building a protobuf message can take as long as storing it. The body does nothing but the
    call and its bookkeeping.

    With `warmup`, the first operation runs untimed and uncounted. With a `budget` (seconds of measured time)
    the loop stops after the operation that crosses it, so slow sides do fewer operations of the same plan.
    `latencies` keeps the seconds of every counted operation (operations[first_counted:], in order), for the
    workloads that report more than a rate: they put derived figures (percentiles, page costs) in `figures`,
    which the result carries.
    """

    def __init__(self, workload: str, progress: Optional[Progress] = None, budget: Optional[float] = None,
                 warmup: bool = False) -> None:
        self.workload = workload
        self.progress = progress
        self.budget = budget
        self.warmup = warmup
        self.seconds = 0.0
        self.items = 0
        self.ops = 0
        self.returned = 0
        self.cut = False
        self.latencies: List[float] = []
        self.first_counted = 1 if warmup else 0
        self.figures: Dict[str, dict] = {}

    def add(self, items: int, returned: int = 0) -> None:
        """Counts the items an operation handled and the rows it returned (for cross-checking sides)."""
        self.items += items
        self.returned += returned

    def each(self, ops: Iterable[T], total: Optional[int] = None) -> Iterator[T]:
        """Yields the operations, timing the caller's body between one yield and the next."""
        return self.each_prepared(ops, None, total)

    def each_prepared(self, ops: Iterable[T], prepare: Optional[Callable[[T], U]],
                      total: Optional[int] = None) -> Iterator[U]:
        """Yields `prepare(op)` of each operation, made before its timer starts; times the body as `each`.

        `prepare` runs only when the operation is about to be timed, so it may read what earlier calls
        returned (the ids a put gave)."""
        if total is None and hasattr(ops, "__len__"):
            total = len(ops)  # type: ignore[arg-type]
        skip = self.warmup
        for op in ops:
            item = prepare(op) if prepare is not None else op
            start = time.perf_counter()
            yield item  # type: ignore[misc]
            elapsed = time.perf_counter() - start
            if skip:
                skip = False
                self.items = self.returned = 0
                continue
            self.seconds += elapsed
            self.ops += 1
            self.latencies.append(elapsed)
            if self.progress is not None:
                self.progress.update(self.workload, self.ops, total)
            if self.budget is not None and self.seconds > self.budget:
                self.cut = True
                break

    def result(self) -> dict:
        """The numbers the report shows, as JSON-ready values."""
        rate = self.items / self.seconds if self.seconds > 0 else 0.0
        return {"items": self.items, "ops": self.ops, "seconds": round(self.seconds, 6),
                "items_per_s": rate, "returned": self.returned, "cut_by_budget": self.cut, **self.figures}

    def latency_ms(self) -> Dict[str, float]:
        """{"p50", "p99", "max"} of the counted operations, in milliseconds; {} when none ran."""
        ordered = sorted(self.latencies)
        if not ordered:
            return {}
        return {"p50": round(percentile(ordered, 0.5) * 1000, 4), "p99": round(percentile(ordered, 0.99) * 1000, 4),
                "max": round(ordered[-1] * 1000, 4)}


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of an ascending, non-empty sequence (fraction 0.5 = the median)."""
    rank = max(1, -(-int(round(fraction * 1000)) * len(ordered) // 1000))  # ceil(fraction * n), in integers
    return ordered[min(rank, len(ordered)) - 1]

