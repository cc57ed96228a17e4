"""docs/differences.md lists every deliberate difference the tests pin: it is what tools/differences.py writes."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _tool() -> object:
    spec = importlib.util.spec_from_file_location("differences_tool", REPO / "tools" / "differences.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  # dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_the_differences_table_is_current() -> None:
    tool = _tool()
    differences = tool.collect()  # type: ignore[attr-defined]
    assert differences, "no deliberate differences found: the collectors lost their sources"
    written = (REPO / "docs" / "differences.md").read_text(encoding="utf-8")
    assert written == tool.render(differences), "docs/differences.md is out of date: run python tools/differences.py"  # type: ignore[attr-defined]


def test_every_difference_gives_a_reason_and_a_pin() -> None:
    for difference in _tool().collect():  # type: ignore[attr-defined]
        assert difference.why.strip(), difference
        assert difference.pinned_by, difference
