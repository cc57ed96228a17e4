"""tools/where_time_goes.py charges each sampled stack to what ran in it, and counts only the workload's API calls."""
from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("where_time_goes", REPO / "tools" / "where_time_goes.py")
tool = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(tool)  # type: ignore[union-attr]

OUTER = ("<module> (tools/where_time_goes.py:120);ApiSide.put_execution (bench/workloads.py:522);"
         "MetadataStore.put_execution (bindings/metadata_store/metadata_store.py:478)")


def _line(tail: str, count: int, outer: str = OUTER) -> str:
    return f"{outer};{tail} {count}\n"


SAMPLES = [
    # SQLite under the engine's INSERT: charged to SQLite, and to the Python function that ran it.
    _line("write_inserts (engine/nodes.py:480);_pysqlite_query_execute (cursor.c:895);sqlite3_step "
          "(libsqlite3.so.0.8.6)", 5),
    # The interpreter itself (a libpython frame is no library of ours): Python.
    _line("_types_for (engine/nodes.py:153);_PyEval_EvalFrameDefault (libpython3.11.so.1.0)", 3),
    _line("_types_for (engine/nodes.py:141)", 1),
    # The row kernel and protobuf.
    _line("node_record (bindings/_convert.py:46);__pyx_f_8_rowcore_decode (_rowcore.cpython-311.so)", 2),
    _line("node_record (bindings/_convert.py:46);PyUpb_Message_SerializeToString (_message.abi3.so)", 4),
    # The caller building its messages (no MetadataStore call on the stack): left out.
    _line("_artifact (bench/workloads.py:150);PyUpb_Message_Init (_message.abi3.so)", 7,
          "<module> (x.py:1);ApiSide.put_execution (bench/workloads.py:500)"),
    # Another workload's calls: left out.
    _line("write_inserts (engine/nodes.py:480);sqlite3_step (libsqlite3.so.0.8.6)", 9,
          "<module> (x.py:1);ApiSide.fill_artifacts (bench/workloads.py:190);MetadataStore.put_artifacts (m.py:1)"),
]


def test_samples_are_charged_to_what_ran_inside_the_workloads_calls() -> None:
    total, by_kind, by_function = tool.summarize(SAMPLES, "put_execution")
    assert total == 15
    assert by_kind == {tool.SQLITE: 5, tool.PYTHON: 4, tool.KERNEL: 2, tool.PROTOBUF: 4}
    assert by_function[(tool.SQLITE, "write_inserts (engine/nodes.py)")] == 5
    assert by_function[(tool.PYTHON, "_types_for (engine/nodes.py)")] == 4  # both lines of one function
    text = tool.report("put_execution", total, by_kind, by_function)
    assert text.splitlines()[:2] == ["put_execution: 15 samples inside its MetadataStore calls",
                                     "  SQLite      33.3%"]


def test_no_sample_inside_the_calls_says_what_to_change() -> None:
    total, by_kind, by_function = tool.summarize(SAMPLES, "update_artifacts")
    assert total == 0
    assert "more --rounds" in tool.report("update_artifacts", total, by_kind, by_function)
