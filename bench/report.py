"""The side-by-side table of a benchmark run (text), from the JSON document the runner writes."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

SIDES = ("ours", "mlmd", "floor", "same-index")
# The floors (result key, column label), each with its own two columns, rate and ours ÷ it: which floor a ratio
# uses is in its header. "floor" is the plain one's key since before there were two.
FLOORS = (("floor", "plain"), ("same-index", "same-index"))


def rate(value: float) -> str:
    """Items per second, three significant digits: 812, 12.3k, 1.05M."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            scaled = value / limit
            return f"{scaled:.3g}{suffix}" if scaled < 1000 else f"{scaled:.0f}{suffix}"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def ratio(ours: Optional[dict], theirs: Optional[dict]) -> str:
    """ours items/s ÷ theirs items/s, or "n/a" when either side has no number."""
    if not ours or not theirs or ours.get("status") != "ok" or theirs.get("status") != "ok":
        return "n/a"
    if theirs["items_per_s"] <= 0 or ours["items_per_s"] <= 0:
        return "n/a"
    value = ours["items_per_s"] / theirs["items_per_s"]
    return f"{value:.3g}×" if value < 100 else f"{value:.0f}×"


def _cell(result: Optional[dict]) -> str:
    if result is None:
        return "-"
    if result["status"] != "ok":
        return result["status"]
    return rate(result["items_per_s"]) + ("*" if result.get("cut_by_budget") else "")


def _rss(result: Optional[dict]) -> str:
    return "-" if result is None else f"{result['peak_rss_mb']:.0f}"


def _disagree(ours: Optional[dict], theirs: Optional[dict]) -> bool:
    """Same operations but a different number of rows back: a correctness flag, not a speed one."""
    if not ours or not theirs or ours.get("status") != "ok" or theirs.get("status") != "ok":
        return False
    return ours["ops"] == theirs["ops"] and ours["returned"] != theirs["returned"]


def ms(value: float) -> str:
    """Milliseconds, three significant digits: 0.0382, 1.46, 22.6, 1234."""
    return f"{value:.3g}" if value < 1000 else f"{value:.0f}"


def _table(rows: List[List[str]], indent: str = "", left: int = 2) -> List[str]:
    """Aligned text rows: the first `left` columns to the left, the others to the right, a rule under the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for number, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row[:left], widths[:left])]
        cells += [cell.rjust(width) for cell, width in zip(row[left:], widths[left:])]
        out.append((indent + "  ".join(cells)).rstrip())
        if number == 0:
            out.append(indent + "  ".join("-" * width for width in widths))
    return out


def _figure_tables(sides: dict, present: List[str], names: List[str]) -> List[str]:
    """The per-call latency percentiles and the page costs of the workloads whose results carry them."""
    def result(key: str, name: str) -> dict:
        return sides[key].get("results", {}).get(name) or {}

    def listed(figure: str) -> Tuple[List[str], List[str]]:  # the workloads, and the sides that have the figure
        which = [name for name in names if any(result(key, name).get(figure) for key in present)]
        return which, [key for key in present if any(result(key, name).get(figure) for name in which)]

    out: List[str] = []
    latency, keys = listed("latency_ms")
    if latency:
        rows = [["latency per call, ms"] + [f"{key} {p}" for key in keys for p in ("p50", "p99", "max")]]
        for name in latency:
            row = [name]
            for key in keys:
                found = result(key, name).get("latency_ms")
                row += [ms(found[p]) for p in ("p50", "p99", "max")] if found else ["-", "-", "-"]
            rows.append(row)
        out += [""] + _table(rows, "   ", left=1)
        failed = [f"{key} {result(key, name)['failed_calls']['internal_error']} in {name}" for name in latency
                  for key in keys if result(key, name).get("failed_calls", {}).get("internal_error")]
        if failed:
            out.append("   calls that failed with InternalError (counted as made): " + ", ".join(failed))
    pages, keys = listed("page_cost")
    if pages:
        rows = [["page cost, ms"] + [f"{key} {c}" for key in keys for c in ("page 1", "last page", "last÷first")]]
        for name in pages:
            row = [name]
            for key in keys:
                cost = result(key, name).get("page_cost")
                row += ([ms(cost["first_ms"]), f"{ms(cost['last_ms'])} (p.{cost['last_page']})",
                         f"{cost['ratio']:.2f}×"] if cost else ["-", "-", "-"])
            rows.append(row)
        out += [""] + _table(rows, "   ", left=1)
    return out


def render(doc: dict) -> str:
    """The whole report: one table per backend, with the ratios against MLMD and against the floor."""
    meta = doc["meta"]
    out: List[str] = []
    budget = f"{meta['budget']:g} s" if meta.get("budget") else "none"
    out.append(f"fastmlmd bench — scale {meta['scale']} ({meta['nodes']:,} nodes, seed {meta['seed']}), "
               f"read budget {budget} a workload" + (f", best of {meta['repeat']} runs" if meta.get("repeat", 1) > 1
                                                      else ""))
    out.append(f"machine: {meta['machine']}")
    out.append(f"command: {meta['command']}")
    for backend, sides in doc["results"].items():
        present = [key for key in SIDES if key in sides]
        out.append("")
        out.append(f"== backend: {backend}")
        width = max(len(key) for key in present)
        for key in present:
            out.append(f"   {key:{width}}: {sides[key].get('side', '?')} [Python {sides[key].get('python', '?')}]")
        header = ["workload", "unit", "items", "ours/s", "RSS"]
        if "mlmd" in present:
            header += ["mlmd/s", "RSS", "ours/mlmd"]
        floors = [(key, label) for key, label in FLOORS if key in present]
        for _, label in floors:
            header += [f"{label}/s", f"ours/{label}"]
        rows: List[List[str]] = [header]
        names: Dict[str, None] = {}
        for key in present:
            names.update(dict.fromkeys(sides[key].get("results", {})))
        for name in names:
            ours = sides.get("ours", {}).get("results", {}).get(name)
            mlmd = sides.get("mlmd", {}).get("results", {}).get(name)
            floor_results = [sides[key].get("results", {}).get(name) for key, _ in floors]
            unit = next(r["unit"] for r in (ours, mlmd, *floor_results) if r)
            row = [name, unit, str(ours["items"]) if ours else "-", _cell(ours), _rss(ours)]
            if "mlmd" in present:
                row += [_cell(mlmd), _rss(mlmd), ratio(ours, mlmd) + (" ≠" if _disagree(ours, mlmd) else "")]
            for floor in floor_results:  # a floor without this workload (the same-index floor's reads): "-"
                row += [_cell(floor), ratio(ours, floor) if floor else "-"]
            rows.append(row)
        out += _table(rows)
        out += _figure_tables(sides, present, list(names))
        # One line per side and reason, naming every workload it holds (a side lacking several says so once).
        reasons: Dict[Tuple[str, str], List[str]] = {}
        for key in present:
            for name, r in sides[key].get("results", {}).items():
                if r["status"] != "ok":
                    reasons.setdefault((key, r["detail"]), []).append(name)
            if sides[key].get("error"):
                reasons.setdefault((key, sides[key]["error"]), []).append("(worker)")
        if reasons:
            out.append("")
        for (key, detail), which in reasons.items():
            out.append(f"   {key} {', '.join(which)}: {detail}")
    out.append("")
    out.append("items/s of measured time only; RSS = peak MiB during the workload; ratios = ours ÷ theirs "
               "(> 1: we are faster); * = stopped by the read budget; ≠ = same operations, different row count; "
               "page cost = the median time of page 1 and of the last page the walk reached. Floors, raw sqlite3 "
               "with executemany, one transaction a call: plain = hand-written SQL on an MLMD-like schema with fewer "
               "indexes (side `floor`); same-index = the same logical writes as ours, into our own schema and "
               "indexes, bodies encoded by our row kernel (write workloads only; bench/same_index_floor.py).")
    return "\n".join(out)
