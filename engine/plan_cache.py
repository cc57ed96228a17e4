"""Plans of filter queries, cached by text and by shape.

A text seen before costs a dictionary lookup. A new text whose shape was seen before (the same query with
other plain literals, see `grammar/shape.py`) costs one scan: its values are bound into the shape's plan.
A new shape is planned from its text, and then learned only if a second text of that shape — the same
query with every literal changed — plans to the same SQL, with each parameter either equal in both plans
or equal to one literal in each. A shape whose plan depends on its values in any other way (a negative
number read as `-` and a literal, say) is remembered as not shareable, and its texts are planned one by one.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Dict, Hashable, List, Optional, Sequence, Tuple, Union

from . import errors
from ..grammar.shape import Literal, Shape, literal_shape

# A compiled query (any value that compares equal for the same plan: planner.FilterSql) and its parameters.
Plan = Tuple[Hashable, Tuple[object, ...]]
# How to fill each parameter of a shared plan: (None, value) for a constant, (_SLOT, k) for the k-th literal.
_SLOT = object()
Filler = Tuple[object, object]
Template = Tuple[Hashable, Tuple[Filler, ...]]

MAX_CACHED_CHARS = 4096  # longer queries are rare, slow to plan anyway, and would bloat the caches


class _NotShared:
    """The mark of a shape whose texts must each be planned."""


NOT_SHARED = _NotShared()


class PlanCache:
    """`plan(scope, query)`: `compile_text(scope, query)`'s result, cached by text and by shape.

    `scope` is anything hashable that `compile_text` takes besides the text (the node kind). Errors are
    never cached: a text that fails is planned again, and fails again, with its own message.
    """

    def __init__(self, compile_text: Callable[[Hashable, str], Plan], size: int = 2048) -> None:
        self._compile = compile_text
        self._size = size
        self._by_text: "OrderedDict[Tuple[Hashable, str], Plan]" = OrderedDict()
        self._by_shape: "OrderedDict[Tuple[Hashable, str], Union[Template, _NotShared]]" = OrderedDict()
        self._lock = threading.Lock()  # the dictionaries are shared by every store in the process

    def plan(self, scope: Hashable, query: str) -> Plan:
        if len(query) > MAX_CACHED_CHARS:
            return self._compile(scope, query)
        text_key = (scope, query)
        found = self._by_text.get(text_key)
        if found is not None:
            return found
        plan = self._plan_by_shape(scope, query)
        if plan is None:
            plan = self._compile(scope, query)
        self._remember(self._by_text, text_key, plan)
        return plan

    def clear(self) -> None:
        with self._lock:
            self._by_text.clear()
            self._by_shape.clear()

    def _plan_by_shape(self, scope: Hashable, query: str) -> Optional[Plan]:
        shape = literal_shape(query)
        if shape is None:
            return None
        shape_key = (scope, shape.key)
        template = self._by_shape.get(shape_key)
        if template is None:
            template = self._learn(scope, query, shape)
            self._remember(self._by_shape, shape_key, template)
        if template is NOT_SHARED:
            return None
        sql, fillers = template  # type: ignore[misc]
        values = shape.values
        return sql, tuple(values[arg] if how is _SLOT else arg for how, arg in fillers)  # type: ignore[index]

    def _learn(self, scope: Hashable, query: str, shape: Shape) -> Union[Template, _NotShared]:
        sql, params = self._compile(scope, query)  # a query that fails raises here and teaches nothing
        others = _other_values(shape.values)
        other_query = shape.with_values(query, others)
        try:
            other_sql, other_params = self._compile(scope, other_query)
        except errors.StatusError:
            return NOT_SHARED
        reread = literal_shape(other_query)
        if reread is None or reread.key != shape.key or reread.values != others:
            return NOT_SHARED  # the new values did not land where the old ones were
        if other_sql != sql or len(other_params) != len(params):
            return NOT_SHARED
        slot_of_other: Dict[Tuple[type, object], int] = {
            (type(other), other): index for index, other in enumerate(others)}  # all distinct
        fillers: List[Filler] = []
        for mine, theirs in zip(params, other_params):
            if type(mine) is type(theirs) and mine == theirs:
                fillers.append((None, mine))
                continue
            slot = slot_of_other.get((type(theirs), theirs))
            if slot is None or type(mine) is not type(shape.values[slot]) or mine != shape.values[slot]:
                return NOT_SHARED
            fillers.append((_SLOT, slot))
        return sql, tuple(fillers)

    def _remember(self, table: OrderedDict, key: object, value: object) -> None:
        with self._lock:
            table[key] = value
            if len(table) > self._size:
                table.popitem(last=False)


def _other_values(values: Sequence[Literal]) -> Tuple[Literal, ...]:
    """For each literal a different value of the same kind: all distinct, unlike any constant a plan holds."""
    others: List[Literal] = []
    for index, value in enumerate(values):
        if isinstance(value, str):
            others.append(f"{value}~shape{index}~")
        else:
            other = 10**17 + index  # 18 digits, like the largest literal a shape takes
            others.append(other if other != value else 2 * 10**17 + index)
    return tuple(others)
