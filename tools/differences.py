"""Writes docs/differences.md: every deliberate difference from ml-metadata 1.17.1, one row each, with the tests
that pin it.

The differences are facts of the tests, stated once, where they are checked; this tool only collects them:

* table rows (tests/{api,filters,lineage}/scenarios_*.py) marked `oracle=False, why=...` (we answer otherwise,
  MLMD's answer is not compared) or `ours=..., ours_why=...` (MLMD's answer is compared, ours differs);
* the hostile-argument sweep's `DIFFERENCES` (tests/api/test_hostile_sweep.py);
* the message audit's `STABLE` rules (tests/api/message_audit.py), and the `DELIBERATE` (message) and
  `POSITION_DIFFERS` (`[at line:column]`) rows of each test that audits messages;
* the grammar's `LOOSER` and `STRICTER` queries (tests/grammar/test_oracle_syntax.py);
* `DIFFERENCES_FROM_MLMD = {test function: why}` in any other test module, for a difference that one test
  pins without a table;
* the rows where MLMD on a MySQL or PostgreSQL server answers otherwise than on SQLite, while we answer as on SQLite
  on every backend (tests/api/server_differences.py).

Rows with the same reason in the same file are one difference. `tests/test_differences_doc.py` fails when the
file is not what this tool writes, so the table cannot fall behind the tests.

    python tools/differences.py          # rewrite docs/differences.md
    python tools/differences.py --check  # exit 1 if it is out of date
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
OUTPUT = ROOT / "docs" / "differences.md"
TABLE_FOLDERS = ("api", "filters", "lineage")


@dataclasses.dataclass
class Difference:
    """One deliberate difference: where it is pinned, why, and by which rows or tests."""

    source: str  # a path relative to the repository
    why: str
    pinned_by: List[str]


def _import(folder: Path, stem: str) -> object:
    for path in (str(TESTS), *(str(TESTS / name) for name in TABLE_FOLDERS), str(folder)):
        if path not in sys.path:
            sys.path.insert(0, path)
    return importlib.import_module(stem)


def _grouped(source: str, pairs: Sequence[Tuple[str, str]]) -> Iterator[Difference]:
    """(why, pinned by) pairs of one file, one Difference per reason, in order of first appearance."""
    by_why: Dict[str, Difference] = {}
    for why, pin in pairs:
        found = by_why.setdefault(why, Difference(source, why, []))
        found.pinned_by.append(pin)
    yield from by_why.values()


def table_rows() -> Iterator[Difference]:
    for name in TABLE_FOLDERS:
        folder = TESTS / name
        for path in sorted(folder.glob("scenarios_*.py")):
            module = _import(folder, path.stem)
            pairs = []
            for case in module.CASES:  # type: ignore[attr-defined]
                if not case.oracle:
                    pairs.append((case.why, case.id))
                elif case.ours_why:
                    pairs.append((case.ours_why, case.id))
            yield from _grouped(str(path.relative_to(ROOT)), pairs)


def hostile_sweep() -> Iterator[Difference]:
    module = _import(TESTS / "api", "test_hostile_sweep")
    pairs = [(why, f"{pattern} (MLMD {theirs}, ours {ours})")
             for pattern, theirs, ours, why in module.DIFFERENCES]  # type: ignore[attr-defined]
    yield from _grouped("tests/api/test_hostile_sweep.py", pairs)


# The tests that audit error messages against MLMD's, by folder.
MESSAGE_AUDITS = (("api", "test_error_messages"), ("filters", "test_filters_against_oracle"),
                  ("grammar", "test_oracle_syntax"))


def message_audit() -> Iterator[Difference]:
    rules = _import(TESTS / "api", "message_audit")
    yield from _grouped("tests/api/message_audit.py", [
        (f"Only the start of MLMD's message is kept: {rule.why}", rule.pattern)
        for rule in rules.STABLE])  # type: ignore[attr-defined]
    for folder, stem in MESSAGE_AUDITS:
        module = _import(TESTS / folder, stem)
        pairs = [(f"Message: {why}", row) for row, why in getattr(module, "DELIBERATE", {}).items()]
        pairs += [(f"Position: {why}", row) for row, why in getattr(module, "POSITION_DIFFERS", {}).items()]
        yield from _grouped(f"tests/{folder}/{stem}.py", pairs)


def grammar() -> Iterator[Difference]:
    module = _import(TESTS / "grammar", "test_oracle_syntax")
    pairs = [(module.LOOSER_WHY, q) for q in module.LOOSER]  # type: ignore[attr-defined]
    pairs += [(module.STRICTER_WHY, q) for q in module.STRICTER]  # type: ignore[attr-defined]
    yield from _grouped("tests/grammar/test_oracle_syntax.py", pairs)


def single_tests() -> Iterator[Difference]:
    for path in sorted(TESTS.rglob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if "DIFFERENCES_FROM_MLMD" not in text:
            continue
        module = _import(path.parent, path.stem)
        pairs = [(why, test) for test, why in module.DIFFERENCES_FROM_MLMD.items()]  # type: ignore[attr-defined]
        yield from _grouped(str(path.relative_to(ROOT)), pairs)


def server_rows() -> Iterator[Difference]:
    module = _import(TESTS / "api", "server_differences")
    for difference in module.DIFFERENCES:  # type: ignore[attr-defined]
        on = " and ".join({"mysql": "MySQL/MariaDB", "postgresql": "PostgreSQL"}[b] for b in difference.backends)
        yield Difference("tests/api/server_differences.py", f"ml-metadata 1.17.1 on {on} (not on SQLite): "
                         f"{difference.why}", list(difference.rows))


SOURCES = (table_rows, hostile_sweep, message_audit, grammar, single_tests, server_rows)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    """`text` as a Markdown code span; a line break or other unprintable character is shown escaped."""
    shown = text if text.isprintable() else repr(text)
    return f"`` {shown} ``" if "`" in shown else f"`{shown}`"


def render(differences: Sequence[Difference]) -> str:
    lines = [
        "# Deliberate differences from ml-metadata 1.17.1",
        "",
        "<!-- Written by `python tools/differences.py` from the tests; do not edit by hand. -->",
        "",
        "Every way fastmlmd knowingly behaves otherwise than the real ml-metadata 1.17.1, one row each, with the",
        "tests that pin it. Everything else the differential tests check (`make test` with the oracle installed:",
        "the scenario tables of tests/api, tests/filters and tests/lineage, MLMD's own shipped suite, the message",
        "audit, the hostile-argument sweep and the grammar corpus) matches MLMD. The table is collected from",
        "those tests by `tools/differences.py`, and `tests/test_differences_doc.py` fails when it falls behind.",
        "",
        f"{len(differences)} differences, pinned by {sum(len(d.pinned_by) for d in differences)} rows and tests.",
        "",
        "| # | How we differ, and why | Pinned by |",
        "|---|---|---|",
    ]
    for number, difference in enumerate(differences, 1):
        pins = ", ".join(_code(p) for p in difference.pinned_by)
        lines.append(f"| {number} | {_cell(difference.why)} | `{difference.source}`: {_cell(pins)} |")
    return "\n".join(lines) + "\n"


def collect() -> List[Difference]:
    return [difference for source in SOURCES for difference in source()]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/differences.md is out of date")
    options = parser.parse_args(argv)
    text = render(collect())
    if options.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python tools/differences.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
