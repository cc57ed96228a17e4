"""Row helpers for the filter-query tables; like scenario_kit, they import only `ml_metadata`.

A row is a scenario_kit `Case` whose scenario runs one filter query and returns the ids found (in the
order the API returns them) or `["error", "<Class>", "Invalid `filter_query`: "]`. An
`InvalidArgumentError` message that does not start with that prefix shows in full, so a wrong
message fails the row like a wrong class does.

Rows that differ from ml-metadata 1.17.1 on purpose carry `oracle=False`, a `why`, and `mlmd=`:
what MLMD itself answers. `quirk_cases()` turns those into rows the oracle run checks too, so every
`why` is confirmed against the real library rather than taken on trust.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from scenario_kit import Case, catch_msg, ids, mlmd

import filter_store

PREFIX = "Invalid `filter_query`: "
# What every rejected query answers, here and (nearly always) in MLMD.
INVALID = ["error", "InvalidArgumentError", PREFIX]
# MLMD's answer when its analyser accepts a query whose SQL then fails (docs/mlmd-interface.md §3.7); class only.
INTERNAL = ["error", "InternalError"]
MLMD_INVALID = ["error", "InvalidArgumentError"]

ARTIFACT, EXECUTION, CONTEXT = "artifact", "execution", "context"
ALL_ARTIFACTS = list(range(1, 16))
ALL_EXECUTIONS = list(range(1, 9))
ALL_CONTEXTS = list(range(1, 8))


@dataclasses.dataclass(frozen=True)
class FilterCase(Case):
    """A `Case` that also records `mlmd`: ml-metadata's own answer where `oracle=False`."""

    mlmd: Any = None


def quote_name(name: str) -> str:
    """`name` as a back-quoted path part, e.g. ``custom_properties.{quote_name(key)}.int_value``.

    Back-quoted names take the escapes of string literals (GoogleSQL); this writes the fewest: a
    backslash, a backquote and the line breaks, which a name cannot hold as they are. Any other
    character stays as it is. (The product's own `fastmlmd.grammar.quote_name` escapes more; both
    must read back as `name`, see test_property_names.py.)
    """
    escaped = (name.replace("\\", "\\\\").replace("`", "\\`").replace("\n", "\\n")
               .replace("\r", "\\r"))
    return f"`{escaped}`"


def list_options(query: str | None, options: dict | None = None) -> Any:
    """`ListOptions(filter_query=query, **options)`; `order_by` may be given by name."""
    kwargs = dict(options or {})
    if isinstance(kwargs.get("order_by"), str):
        kwargs["order_by"] = mlmd.OrderByField[kwargs["order_by"]]
    return mlmd.ListOptions(filter_query=query, **kwargs)


def find(store: Any, kind: str, query: str | None, scope: int | None = None,
         options: dict | None = None) -> Any:
    """The ids `query` selects among the `kind` nodes (of context `scope`, when given), or the error."""
    opts = list_options(query, options)
    if scope is None:
        method: Callable[[], Any] = lambda: getattr(store, f"get_{kind}s")(list_options=opts)
    else:
        method = lambda: getattr(store, f"get_{kind}s_by_context")(scope, list_options=opts)
    return catch_msg(PREFIX, lambda: ids(method()))


def class_only(result: Any) -> Any:
    """`result` with an error cut down to `["error", "<Class>"]` (MLMD's own messages vary)."""
    if isinstance(result, list) and result[:1] == ["error"]:
        return result[:2]
    return result


def row(case_id: str, kind: str, query: str, expected: Any, *, scope: int | None = None,
        options: dict | None = None, timed: bool = False, store: Callable[[], Any] | None = None,
        oracle: bool = True, why: str = "", mlmd: Any = None, ours: Any = None,
        ours_why: str = "") -> FilterCase:
    """One table row on the shared store (`filter_store.shared()`, or `store()` when given).

    `timed=True` fills `{a7_ct}`-style fields of `query` from the store's timestamps
    (`filter_store.times`). `mlmd` is required exactly when `oracle=False`. A deliberate difference
    is written either way: `oracle=False, why=..., mlmd=<MLMD's answer>` with `expected` ours, or
    `expected` MLMD's (checked by the oracle run) with `ours=..., ours_why=...`.
    """
    assert oracle == (mlmd is None), f"{case_id}: give mlmd= exactly for oracle=False rows"
    assert oracle or why, f"{case_id}: an intentional difference needs a why"
    assert bool(ours_why) == (ours is not None), f"{case_id}: give ours= and ours_why= together"
    build = store or filter_store.shared

    def scenario() -> Any:
        s = build()
        text = query.format_map(filter_store.times(s)) if timed else query
        return find(s, kind, text, scope, options)

    return FilterCase(case_id, scenario, expected, oracle=oracle, why=why, mlmd=mlmd, ours=ours,
                      ours_why=ours_why)


def quirk_cases(cases: list) -> list:
    """For each `oracle=False` row, a row the oracle must pass: same query, MLMD's answer.

    Errors compare by class only; MLMD's InternalError messages quote its generated SQL.
    """
    out = []
    for case in cases:
        if case.oracle:
            continue
        def scenario(case: Case = case) -> Any:
            return class_only(case.scenario())
        out.append(Case(f"mlmd:{case.id}", scenario, class_only(case.mlmd)))
    return out
