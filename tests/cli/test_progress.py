"""Progress is drawn on a terminal only."""
from __future__ import annotations

import io

from fastmlmd.cli.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal() -> None:
    quiet, shown = io.StringIO(), _Terminal()
    for stream in (quiet, shown):
        progress = Progress("copied", stream)
        progress.add("artifact", 1000)
        progress.add("event", 5)
        progress.done()
    assert quiet.getvalue() == ""
    assert shown.getvalue().endswith("copied 1005 records (1000 artifact, 5 event)\n")
