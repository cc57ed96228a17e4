"""The filter-query planner: AST -> parameterised SQL over our schema (filter issue).

Until it lands, a filter query is refused loudly rather than ignored.
"""
from __future__ import annotations

from typing import List, Tuple

from fastmlmd.engine import errors
from fastmlmd.engine.catalog import NodeLayout


def compile_filter(layout: NodeLayout, query: str) -> Tuple[str, List[object]]:
    """Returns `(sql, params)`: a condition on the node alias `n` that holds for the nodes `query` selects."""
    raise errors.UnimplementedError(
        f"filter_query is not supported yet by fastmlmd ({layout.noun} query {query!r}); "
        "it is refused rather than ignored"
    )
