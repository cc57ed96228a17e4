"""What the fault tests that kill a server share: polling until a condition holds, and reading the JSON lines a
writer (or client) process appends to its output file."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Callable, List


def wait_for(condition: Callable[[], bool], what: str, patience: int) -> None:
    """Polls `condition` every 50 ms, at most `patience` times; fails the test naming `what` if it never holds."""
    for _ in range(patience):
        if condition():
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"timed out waiting until {what}")


def read_records(out: Path) -> List[dict]:
    """The records a process has written to `out` so far."""
    if not out.exists():
        return []
    # The last line may be half-written while the process runs: read complete lines only.
    return [json.loads(line) for line in out.read_text().splitlines(keepends=True) if line.endswith("\n")]
