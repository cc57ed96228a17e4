"""Writing rows of data as a table sized to the terminal, as one JSON document, or as JSON lines."""
from __future__ import annotations

import json
import shutil
import sys
from typing import Any, Dict, List, Optional, Sequence, TextIO

FORMATS = ("table", "json", "jsonl")
_MIN_WIDTH = 6  # a column is never squeezed below this (it then shows its first characters and an ellipsis)


def write_rows(rows: Sequence[Dict[str, Any]], columns: Sequence[str], fmt: str,
               out: Optional[TextIO] = None) -> None:
    """Writes `rows` (dicts) in `fmt`; a table shows `columns`, JSON shows every key of each row."""
    out = out or sys.stdout
    if fmt == "json":
        json.dump(list(rows), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    else:
        out.write(table(rows, columns, terminal_width()))


def write_document(document: Any, fmt: str, out: Optional[TextIO] = None) -> None:
    """Writes one record: JSON (indented), one JSON line, or as a table of key and value."""
    out = out or sys.stdout
    if fmt == "jsonl":
        out.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    elif fmt == "json":
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        rows = [{"field": key, "value": value} for key, value in document.items()]
        out.write(table(rows, ["field", "value"], terminal_width()))


def terminal_width() -> int:
    return shutil.get_terminal_size((100, 24)).columns


def cell(value: Any) -> str:
    """A value as one line of table text: nested values as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    else:
        text = str(value)
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")


def table(rows: Sequence[Dict[str, Any]], columns: Sequence[str], width: int) -> str:
    """A plain-text table of `columns` no wider than `width`: the widest columns give way first."""
    texts = [[cell(row.get(col)) for col in columns] for row in rows]
    widths = [max([len(col)] + [len(line[i]) for line in texts]) for i, col in enumerate(columns)]
    _fit(widths, width - 2 * (len(columns) - 1))
    lines = ["  ".join(col.upper().ljust(w)[:w] for col, w in zip(columns, widths)).rstrip()]
    for line in texts:
        lines.append("  ".join(_clip(text, w).ljust(w) for text, w in zip(line, widths)).rstrip())
    return "\n".join(lines) + "\n"


def _fit(widths: List[int], room: int) -> None:
    """Narrows the widest columns, one character at a time, until they fit in `room` (or reach the floor)."""
    while sum(widths) > room:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] <= _MIN_WIDTH:
            return
        widths[widest] -= 1


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"
