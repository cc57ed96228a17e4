"""Listing: ListOptions limit/order/direction, paging past 100 rows, by-context listings (2.9).

Filter queries are covered elsewhere; every case here leaves `filter_query` unset.
"""
from __future__ import annotations

from typing import Any

from scenario_kit import (
    Case,
    Json,
    artifact,
    catch,
    catch_msg,
    context,
    execution,
    ids,
    mlmd,
    pb,
    store_with_types,
    tick,
)


def opts(**kwargs: Any) -> Any:
    """`ListOptions(...)` with `order_by` given by name ("ID", "CREATE_TIME", "UPDATE_TIME")."""
    if isinstance(kwargs.get("order_by"), str):
        kwargs["order_by"] = mlmd.OrderByField[kwargs["order_by"]]
    return mlmd.ListOptions(**kwargs)


def _artifacts(n: int) -> Any:
    s, a, _, _ = store_with_types()
    s.put_artifacts([artifact(a) for _ in range(n)])
    return s


def _listed(n: int, **kwargs: Any) -> list:
    return ids(_artifacts(n).get_artifacts(list_options=opts(**kwargs)))


def no_options_is_everything_by_id() -> Json:
    return ids(_artifacts(5).get_artifacts())


def default_options_is_everything_by_id() -> Json:
    return _listed(5)


def limit_takes_first_rows() -> Json:
    return _listed(5, limit=2)


def limit_one() -> Json:
    return _listed(5, limit=1)


def limit_above_count() -> Json:
    return _listed(3, limit=50)


def limit_zero_means_unlimited() -> Json:
    return _listed(4, limit=0)


def limit_none_means_unlimited() -> Json:
    return _listed(4, limit=None)


def negative_limit_rejected() -> Json:
    s = _artifacts(2)
    return catch_msg("Invalid list_options.limit value passed. list_options.limit is expected "
                     "to be greater than 1", s.get_artifacts, list_options=opts(limit=-1))


def negative_limit_rejected_everywhere() -> Json:
    s = _artifacts(1)
    return [catch(s.get_executions, opts(limit=-5)), catch(s.get_contexts, opts(limit=-5)),
            catch(s.get_artifacts_by_context, 1, opts(limit=-5)),
            catch(s.get_executions_by_context, 1, opts(limit=-5))]


def order_by_id_descending() -> Json:
    return _listed(4, order_by="ID", is_asc=False)


def descending_without_order_by_is_id_descending() -> Json:
    return _listed(4, is_asc=False)


def descending_with_limit() -> Json:
    return _listed(6, is_asc=False, limit=2)


def order_by_create_time() -> Json:
    return [_listed(4, order_by="CREATE_TIME"), _listed(4, order_by="CREATE_TIME", is_asc=False)]


def order_by_update_time() -> Json:
    s = _artifacts(3)
    tick()
    s.put_artifacts([artifact(10, id=2, uri="touched")])
    tick()
    s.put_artifacts([artifact(10, id=1, uri="touched")])
    return [ids(s.get_artifacts(list_options=opts(order_by="UPDATE_TIME"))),
            ids(s.get_artifacts(list_options=opts(order_by="UPDATE_TIME", is_asc=False))),
            ids(s.get_artifacts(list_options=opts(order_by="UPDATE_TIME", limit=2)))]


def order_by_create_time_unaffected_by_updates() -> Json:
    s = _artifacts(3)
    tick()
    s.put_artifacts([artifact(10, id=1, uri="touched")])
    return ids(s.get_artifacts(list_options=opts(order_by="CREATE_TIME", is_asc=False)))


def executions_and_contexts_listing() -> Json:
    s, _, e, c = store_with_types()
    s.put_executions([execution(e) for _ in range(4)])
    s.put_contexts([context(c, name=f"c{i}") for i in range(4)])
    return [ids(s.get_executions(opts(limit=3, is_asc=False))),
            ids(s.get_contexts(opts(order_by="CREATE_TIME", limit=2)))]


# -- more than one page (the wrapper asks for 100 rows at a time) -------------------------------


def unlimited_options_pages_through_everything() -> Json:
    got = _listed(250)
    return [len(got), got == list(range(1, 251))]


def limit_above_one_page() -> Json:
    got = _listed(250, limit=150)
    return [len(got), got[0], got[-1]]


def descending_pages() -> Json:
    got = _listed(250, order_by="ID", is_asc=False, limit=120)
    return [len(got), got[0], got[-1], got == list(range(250, 130, -1))]


def create_time_pages_keep_every_row_once() -> Json:
    got = _listed(230, order_by="CREATE_TIME", is_asc=False)
    return [len(got), got == list(range(230, 0, -1))]


def update_time_pages_keep_every_row_once() -> Json:
    got = _listed(230, order_by="UPDATE_TIME")
    return [len(got), got == list(range(1, 231))]


def no_options_returns_more_than_100() -> Json:
    return len(_artifacts(205).get_artifacts())


def by_context_pages() -> Json:
    s = _artifacts(130)
    s.put_contexts([context(12, name="x")])
    s.put_attributions_and_associations(
        [pb.Attribution(artifact_id=i, context_id=1) for i in range(1, 131)], [])
    got = ids(s.get_artifacts_by_context(1, list_options=opts(is_asc=False)))
    return [len(got), got[:2], got[-1], len(ids(s.get_artifacts_by_context(1)))]


# -- by-context listings ------------------------------------------------------------------------


def _context_with_executions() -> Any:
    s, _, e, c = store_with_types()
    s.put_contexts([context(c, name="x")])
    for _ in range(3):  # one per call: distinct create times
        s.put_executions([execution(e)])
        tick()
    s.put_executions([execution(e), execution(e)])  # possibly the same millisecond
    s.put_attributions_and_associations(
        [], [pb.Association(execution_id=i, context_id=1) for i in (2, 5, 1, 4, 3)])
    return s


def executions_by_context_default_newest_first() -> Json:
    return ids(_context_with_executions().get_executions_by_context(1))


def executions_by_context_empty_options_is_id_order() -> Json:
    return ids(_context_with_executions().get_executions_by_context(1, list_options=opts()))


def executions_by_context_with_limit() -> Json:
    s = _context_with_executions()
    return [ids(s.get_executions_by_context(1, list_options=opts(limit=2))),
            ids(s.get_executions_by_context(1, list_options=opts(limit=2, order_by="CREATE_TIME",
                                                                 is_asc=False)))]


def artifacts_by_context_with_options() -> Json:
    s = _artifacts(5)
    s.put_contexts([context(12, name="x")])
    s.put_attributions_and_associations(
        [pb.Attribution(artifact_id=i, context_id=1) for i in (4, 2, 5)], [])
    return [ids(s.get_artifacts_by_context(1)),
            ids(s.get_artifacts_by_context(1, list_options=opts(is_asc=False))),
            ids(s.get_artifacts_by_context(1, list_options=opts(limit=2))),
            ids(s.get_artifacts_by_context(1, list_options=opts(order_by="UPDATE_TIME",
                                                                is_asc=False, limit=1)))]


CASES = [
    Case("no-options-is-everything-by-id", no_options_is_everything_by_id, [1, 2, 3, 4, 5]),
    Case("default-options-is-everything-by-id", default_options_is_everything_by_id,
         [1, 2, 3, 4, 5]),
    Case("limit-takes-first-rows", limit_takes_first_rows, [1, 2]),
    Case("limit-one", limit_one, [1]),
    Case("limit-above-count", limit_above_count, [1, 2, 3]),
    Case("limit-zero-means-unlimited", limit_zero_means_unlimited, [1, 2, 3, 4]),
    Case("limit-none-means-unlimited", limit_none_means_unlimited, [1, 2, 3, 4]),
    Case("negative-limit-rejected", negative_limit_rejected, [
        "error", "InvalidArgumentError",
        "Invalid list_options.limit value passed. list_options.limit is expected to be greater "
        "than 1"]),
    Case("negative-limit-rejected-everywhere", negative_limit_rejected_everywhere, [
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"],
        ["error", "InvalidArgumentError"], ["error", "InvalidArgumentError"]]),
    Case("order-by-id-descending", order_by_id_descending, [4, 3, 2, 1]),
    Case("descending-without-order-by-is-id-descending",
         descending_without_order_by_is_id_descending, [4, 3, 2, 1]),
    Case("descending-with-limit", descending_with_limit, [6, 5]),
    Case("order-by-create-time", order_by_create_time, [[1, 2, 3, 4], [4, 3, 2, 1]]),
    Case("order-by-update-time", order_by_update_time, [[3, 2, 1], [1, 2, 3], [3, 2]]),
    Case("order-by-create-time-unaffected-by-updates",
         order_by_create_time_unaffected_by_updates, [3, 2, 1]),
    Case("executions-and-contexts-listing", executions_and_contexts_listing,
         [[4, 3, 2], [1, 2]]),
    Case("unlimited-options-pages-through-everything",
         unlimited_options_pages_through_everything, [250, True]),
    Case("limit-above-one-page", limit_above_one_page, [150, 1, 150]),
    Case("descending-pages", descending_pages, [120, 250, 131, True]),
    Case("create-time-pages-keep-every-row-once", create_time_pages_keep_every_row_once,
         [230, True]),
    Case("update-time-pages-keep-every-row-once", update_time_pages_keep_every_row_once,
         [230, True]),
    Case("no-options-returns-more-than-100", no_options_returns_more_than_100, 205),
    Case("by-context-pages", by_context_pages, [130, [130, 129], 1, 130]),
    Case("executions-by-context-default-newest-first",
         executions_by_context_default_newest_first, [5, 4, 3, 2, 1]),
    Case("executions-by-context-empty-options-is-id-order",
         executions_by_context_empty_options_is_id_order, [1, 2, 3, 4, 5]),
    Case("executions-by-context-with-limit", executions_by_context_with_limit,
         [[1, 2], [5, 4]]),
    Case("artifacts-by-context-with-options", artifacts_by_context_with_options,
         [[2, 4, 5], [5, 4, 2], [2, 4], [5]]),
]
