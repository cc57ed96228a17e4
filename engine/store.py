"""The engine's entry point: one `Engine` per store, each method one transaction.

The bindings turn protos into records (engine/records.py) and call these methods; nodes and events come
back as encoded message bodies, which the bindings parse in one go.
"""
from __future__ import annotations

import time
from typing import AbstractSet, Callable, Dict, Hashable, List, Mapping, Optional, Sequence, Tuple, TypeVar

from . import access, bulk_import, compound, delete, explain, lineage, links, nodes, reads, types
from .backends.base import Cursor
from .catalog import ARTIFACT, CONTEXT, EXECUTION, LAYOUTS, NodeLayout, TypeKind
from .db import QUERY_TIME_LIMIT_SECONDS, Database, QueryTimeout, migrate_to, read_schema_version
from . import errors
from .planner import compile_filter
from .records import EventRecord, NodeRecord, TypeRecord
from .schema import SCHEMA_VERSION
from .sqlutil import CHUNK

T = TypeVar("T")


def now_ms() -> int:
    """Milliseconds since the Unix epoch, as MLMD stamps nodes and events."""
    return time.time_ns() // 1_000_000


class Engine:
    """A store: typed methods over one database, each run as a single transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.type_cache = types.TypeCache()
        self._type_writes = 0  # put_type calls made here: the data version counts only other connections'
        self._type_views: Dict[TypeKind, Tuple[Tuple[Hashable, int], object]] = {}
        self._plan_history = access.History()  # filter shapes' recent access paths on this store

    def close(self) -> None:
        self.db.close()

    def _read(self, fn: Callable[[Cursor], T]) -> T:
        return self.db.run(fn, write=False)

    def _read_statement(self, fn: Callable[[Cursor], T]) -> T:
        """A read that runs exactly one SELECT, atomic without an explicit transaction."""
        return self.db.run(fn, write=False, one_statement=True)

    def _write(self, fn: Callable[[Cursor], T]) -> T:
        return self.db.run(fn, write=True)

    def _read_user_query(self, fn: Callable[[Cursor], T], one_statement: bool = False) -> T:
        """A read that runs a user-written filter: stopped, with a clear error, if it runs too long."""
        try:
            return self.db.run(fn, write=False, time_limit=QUERY_TIME_LIMIT_SECONDS, one_statement=one_statement)
        except QueryTimeout as exc:
            raise errors.InvalidArgumentError(
                f"Invalid `filter_query`: the query ran for more than {QUERY_TIME_LIMIT_SECONDS:.0f}s and was "
                "stopped (FASTMLMD_QUERY_TIME_LIMIT_SECONDS sets the limit). Filters that combine neighbourhood "
                "aliases under OR or NOT join every linked row of each alias with every other; split such a "
                "query, or combine the aliases with AND.") from exc

    # Types ---------------------------------------------------------------------------------------------------
    def put_type(self, record: TypeRecord, can_add_fields: bool, can_omit_fields: bool) -> int:
        stored = True
        if not self.db.readonly:  # a read-only store refuses every put, as it always has
            stored, unchanged = self._read_statement(
                lambda cur: types.read_type_put(cur, record, can_add_fields, can_omit_fields))
            if unchanged is not None:
                return unchanged  # nothing written: the type views stay as they are
        try:
            return self._write(lambda cur: types.put_type(cur, record, can_add_fields, can_omit_fields,
                                                          read_absent=not stored))
        finally:
            self._type_writes += 1  # after the commit: a view taken in between is then rebuilt, never kept

    def put_types(self, records: Sequence[TypeRecord], can_add_fields: bool, can_omit_fields: bool) -> List[int]:
        """Creates or evolves several types in one transaction (the PutTypes RPC); their ids in order."""
        try:
            return self._write(lambda cur: [types.put_type(cur, record, can_add_fields, can_omit_fields)
                                            for record in records])
        finally:
            self._type_writes += 1

    def types_view(self, kind: TypeKind, build: Callable[[List[TypeRecord]], T],
                   seen_version: Optional[Hashable] = None) -> T:
        """`build(every type of kind, built-ins included, by id)`, rebuilt only when the types may have changed.

        Types change rarely and are read on every pipeline step, so the bindings keep them ready-encoded here.
        The view is stale once another connection commits (the backend's data_version moves) or this store
        writes a type; both are read before the types are, so a view is never newer than its mark claims.
        `seen_version`, a data version a call of this store has just read (LineageResult.data_version), spares the
        read of a view that matches it: that view holds the types of that call's snapshot.
        """
        if seen_version is not None:
            cached = self._type_views.get(kind)
            if cached is not None and cached[0] == (seen_version, self._type_writes):
                return cached[1]  # type: ignore[return-value]
        data_version = self.db.backend.data_version

        def mark(cur: Cursor) -> Tuple[Hashable, int]:
            return data_version(cur), self._type_writes

        def fresh_view(cur: Cursor) -> Optional[T]:
            cached = self._type_views.get(kind)
            return cached[1] if cached is not None and cached[0] == mark(cur) else None  # type: ignore[return-value]

        def rebuild(cur: Cursor) -> T:
            taken = mark(cur)
            view = build(types.types_of_kind(cur, kind))
            self._type_views[kind] = (taken, view)
            return view

        found = self._read_statement(fresh_view)
        return found if found is not None else self._read(rebuild)

    def get_types_by_external_ids(self, kind: TypeKind, external_ids: Sequence[str]) -> List[TypeRecord]:
        return self._read(lambda cur: types.types_by_external_ids(cur, kind, external_ids))

    # Nodes ---------------------------------------------------------------------------------------------------
    def put_nodes(self, kind: TypeKind, records: Sequence[NodeRecord], mask_paths: Sequence[str] = ()) -> List[int]:
        layout = LAYOUTS[kind]
        return self._write(lambda cur: nodes.put_nodes(cur, layout, records, now_ms(), self.type_cache, mask_paths))

    def nodes_by_ids(self, kind: TypeKind, ids: Sequence[int]) -> List[bytes]:
        read = self._read_statement if len(ids) <= CHUNK else self._read  # more ids: several statements
        return read(lambda cur: reads.bodies_by_ids(cur, LAYOUTS[kind], ids))

    def artifacts_and_types_by_ids(self, ids: Sequence[int]) -> Tuple[List[bytes], List[TypeRecord]]:
        def run(cur: Cursor) -> Tuple[List[bytes], List[TypeRecord]]:
            artifact_types = types.types_by_id(cur, TypeKind.ARTIFACT, reads.type_ids_of(cur, ARTIFACT, ids))
            return reads.bodies_by_ids(cur, ARTIFACT, ids), types.without_derived_fields(artifact_types)
        return self._read(run)

    def nodes_by_type(self, kind: TypeKind, type_name: str, type_version: Optional[str]) -> List[bytes]:
        layout = LAYOUTS[kind]

        return self._read_statement(lambda cur: reads.bodies_where(
            cur, layout, f"type_id = ({types.TYPE_ID_BY_NAME})", (int(kind), type_name, type_version or "")))

    def node_by_type_and_name(self, kind: TypeKind, type_name: str, node_name: str,
                              type_version: Optional[str]) -> Optional[bytes]:
        layout = LAYOUTS[kind]

        def run(cur: Cursor) -> Optional[bytes]:
            sql = f"SELECT body FROM {layout.table} WHERE type_id = ({types.TYPE_ID_BY_NAME}) AND name = ?"
            row = cur.execute(sql, (int(kind), type_name, type_version or "", node_name)).fetchone()  # unique
            return None if row is None else row[0]
        return self._read_statement(run)

    def artifacts_by_uri(self, uri: str) -> List[bytes]:
        return self._read_statement(lambda cur: reads.bodies_where(cur, ARTIFACT, "uri = ?", (uri,)))

    def nodes_by_external_ids(self, kind: TypeKind, external_ids: Sequence[str]) -> List[bytes]:
        return self._read(lambda cur: reads.bodies_by_external_ids(cur, LAYOUTS[kind], external_ids))

    def list_page(
        self,
        kind: TypeKind,
        page_size: int,
        order_field: int,
        is_asc: bool,
        after: Optional[reads.PageAfter],
        filter_query: str = "",
        context_id: Optional[int] = None,
        plans: Optional[Dict[str, access.Choice]] = None,
    ) -> Tuple[List[bytes], Optional[reads.PageAfter]]:
        """One page of a (filtered, context-scoped) listing, and where it ended when more rows follow (reads.run_page).

        `plans`, kept by a caller that reads page after page of one listing, holds the filter's access path
        from the first page, which the next pages reuse instead of planning again.
        """
        if page_size <= 0:
            raise errors.InvalidArgumentError(f"max_result_size field value is required to be greater than 0 "
                                              f"and less than or equal to 100, got {page_size}")
        plan, filtered = self._listing(kind, page_size, order_field, is_asc, after, filter_query, context_id, plans,
                                       paged=True)
        return self._read_listing(lambda cur: reads.run_page(cur, page_size, *plan(cur), filtered), filtered)

    def list_all(self, kind: TypeKind, consume: Callable[[List[bytes]], None], limit: Optional[int] = None,
                 order_field: int = 3, is_asc: bool = True, filter_query: str = "",
                 context_id: Optional[int] = None) -> None:
        """A whole (filtered, context-scoped) listing, or its first `limit` nodes, from one statement, handed
        to `consume` a batch at a time.

        The caller turns each batch into messages before the next is read: the bodies are never all held.
        One statement instead of MLMD's loop of pages: the filter is planned and its matches collected once.
        """
        plan, filtered = self._listing(kind, reads.row_limit(limit), order_field, is_asc, None, filter_query,
                                       context_id, None, paged=False)
        self._read_listing(lambda cur: reads.stream(cur, *plan(cur), filtered, consume, self.db.renew_time_limit),
                           filtered)

    def _listing(self, kind: TypeKind, rows: int, order_field: int, is_asc: bool, after: Optional[reads.PageAfter],
                 filter_query: str, context_id: Optional[int], plans: Optional[Dict[str, access.Choice]],
                 paged: bool) -> Tuple[Callable[[Cursor], Tuple[str, List[object]]], bool]:
        """A listing's statement, planned by the returned function inside the call that runs it; and whether
        a filter (a user's query, run under the time limit) is part of it."""
        layout = LAYOUTS[kind]
        if order_field not in reads.ORDER_COLUMNS:
            raise errors.InvalidArgumentError(f"Unsupported order_by_field: {order_field}")
        backend = self.db.backend
        compiled = compile_filter(layout, filter_query, backend) if filter_query else None
        scope = reads.Scope.of_context(layout, context_id)

        def statement(found: Optional[access.Access], ids_first: bool = False) -> Tuple[str, List[object]]:
            return reads.listing_sql(backend, layout, rows, order_field, is_asc, after, scope, found, paged, ids_first)

        # What the statement looks like apart from its values: the planner keeps the database's plan of it.
        shape = (order_field, is_asc, after is None, scope is None, paged)

        def plan(cur: Cursor) -> Tuple[str, List[object]]:
            if compiled is None:
                # A context's nodes in another order than its links' key are sorted: their ids apart, where
                # the database would carry the bodies through the sort (MariaDB, a context's executions).
                return (reads.listed_in_order(cur, rows, lambda ids_first: statement(None, ids_first))
                        if scope is not None else statement(None))
            reused = None if plans is None else plans.get(filter_query)
            found = access.compose(*compiled, reused) if reused is not None else access.plan_access(
                cur, *compiled, rows, statement, self._plan_history, shape)
            if plans is not None:
                plans[filter_query] = found.choice
            return reads.listed_in_order(cur, rows, lambda ids_first: statement(found, ids_first))

        return plan, compiled is not None

    def _read_listing(self, fn: Callable[[Cursor], T], filtered: bool) -> T:
        # A listing's rows come from one statement; the estimates the planner makes before it need no snapshot.
        return self._read_user_query(fn, one_statement=True) if filtered else self._read_statement(fn)

    def explain_filter(self, kind: TypeKind, filter_query: str, limit: Optional[int], order_field: int,
                       is_asc: bool) -> str:
        """The plan of a filter's listing (list_all), in words (see explain.py)."""
        layout = LAYOUTS[kind]
        return self._read_user_query(
            lambda cur: explain.explain(cur, layout, filter_query, limit, order_field, is_asc))

    # Edges ---------------------------------------------------------------------------------------------------
    def put_events(self, events: Sequence[EventRecord]) -> None:
        self._write(lambda cur: links.put_events(cur, events, now_ms()))

    def events_by_artifact_ids(self, ids: Sequence[int]) -> bytes:
        """The artifacts' encoded events, framed as a repeated field 1 (see links.events_by_node)."""
        read = self._read_statement if len(ids) <= CHUNK else self._read
        return read(lambda cur: links.events_by_node(cur, "artifact_id", ids, self.db.joins_blobs))

    def events_by_execution_ids(self, ids: Sequence[int]) -> bytes:
        """The executions' encoded events, framed as a repeated field 1 (see links.events_by_node)."""
        read = self._read_statement if len(ids) <= CHUNK else self._read
        return read(lambda cur: links.events_by_node(cur, "execution_id", ids, self.db.joins_blobs))

    def put_attributions_and_associations(self, attributions: Sequence[Tuple[Optional[int], Optional[int]]],
                                          associations: Sequence[Tuple[Optional[int], Optional[int]]]) -> None:
        self._write(lambda cur: links.put_attributions_and_associations(cur, attributions, associations))

    def put_parent_contexts(self, edges: Sequence[Tuple[Optional[int], Optional[int]]]) -> None:
        self._write(lambda cur: links.put_parent_contexts(cur, edges))

    def contexts_by_artifact(self, artifact_id: int) -> List[bytes]:
        return self._read_statement(lambda cur: links.contexts_of_node(cur, ARTIFACT, artifact_id))

    def contexts_by_execution(self, execution_id: int) -> List[bytes]:
        return self._read_statement(lambda cur: links.contexts_of_node(cur, EXECUTION, execution_id))

    def parent_contexts(self, context_id: int) -> List[bytes]:
        return self._read_statement(lambda cur: links.related_contexts(cur, context_id, parents=True))

    def children_contexts(self, context_id: int) -> List[bytes]:
        return self._read_statement(lambda cur: links.related_contexts(cur, context_id, parents=False))

    # Compound writes -----------------------------------------------------------------------------------------
    def put_execution(self, execution: NodeRecord, artifact_events: Sequence[Tuple[NodeRecord, Optional[EventRecord]]],
                      contexts: Sequence[NodeRecord], options: compound.ReuseOptions) -> Tuple[int, List[int], List[int]]:
        return self._write(lambda cur: compound.put_execution(cur, execution, artifact_events, contexts, options,
                                                              now_ms(), self.type_cache))

    def put_lineage_subgraph(self, executions: Sequence[NodeRecord], artifacts: Sequence[NodeRecord],
                             contexts: Sequence[NodeRecord],
                             event_edges: Sequence[Tuple[Optional[int], Optional[int], Optional[EventRecord]]],
                             options: compound.ReuseOptions) -> Tuple[List[int], List[int], List[int]]:
        return self._write(lambda cur: compound.put_lineage_subgraph(cur, executions, artifacts, contexts,
                                                                     event_edges, options, now_ms(),
                                                                     self.type_cache))

    # Import ------------------------------------------------------------------------------------------------------
    def import_records(self, type_records: Sequence[TypeRecord],
                       node_records: Mapping[TypeKind, Sequence[bulk_import.ImportedNode]],
                       events: Sequence[EventRecord], attributions: Sequence[Tuple[Optional[int], Optional[int]]],
                       associations: Sequence[Tuple[Optional[int], Optional[int]]],
                       parent_contexts: Sequence[Tuple[Optional[int], Optional[int]]]) -> None:
        """Writes records with their own ids and timestamps, in one transaction (see bulk_import.py)."""
        def run(cur: Cursor) -> None:
            bulk_import.import_types(cur, type_records)
            for kind in (TypeKind.CONTEXT, TypeKind.ARTIFACT, TypeKind.EXECUTION):
                bulk_import.import_nodes(cur, LAYOUTS[kind], node_records.get(kind, ()))
            links.put_events(cur, events, now_ms())
            links.put_attributions_and_associations(cur, attributions, associations)
            bulk_import.import_parent_contexts(cur, parent_contexts)
        try:
            self._write(run)
        finally:
            if type_records:
                self._type_writes += 1  # after the commit, as put_type: the type views are then rebuilt

    # Deleting ------------------------------------------------------------------------------------------------
    def delete_nodes(self, requested: Mapping[TypeKind, Sequence[int]], cascade: bool, orphans: bool,
                     dry_run: bool) -> delete.Deletion:
        """Deletes these nodes as engine/delete.py describes, in one transaction; a dry run only reads."""
        return self._delete(lambda cur: requested, cascade, orphans, dry_run)

    def collect_garbage(self, updated_before: Optional[int], type_names: Sequence[str],
                        keep: Sequence[Tuple[TypeKind, int]], dry_run: bool) -> delete.Deletion:
        """Deletes what delete.collect selects, with the edges of those nodes, in one transaction."""
        return self._delete(lambda cur: delete.collect(cur, updated_before, type_names, keep), True, False, dry_run)

    def _delete(self, select: Callable[[Cursor], Mapping[TypeKind, Sequence[int]]], cascade: bool, orphans: bool,
                dry_run: bool) -> delete.Deletion:
        def run(cur: Cursor) -> delete.Deletion:
            found = delete.plan(cur, select(cur), cascade, orphans)
            if not dry_run:
                delete.carry_out(cur, found)
            return found
        return self._read(run) if dry_run else self._write(run)

    # Lineage -------------------------------------------------------------------------------------------------
    def lineage_subgraph(self, query: lineage.SubgraphQuery,
                         fields: AbstractSet[str] = lineage.ALL_FIELDS) -> lineage.LineageResult:
        """GetLineageSubgraph's walk and the `fields` of the LineageGraph it fills; see engine/lineage.py."""
        return self._read_user_query(lambda cur: lineage.subgraph(cur, query, fields),
                                     one_statement=lineage.subgraph_in_one_statement(self.db.backend, query))

    def lineage_graph(self, query: lineage.GraphQuery) -> lineage.LineageResult:
        """GetLineageGraph's walk (MLMD's deprecated gRPC-only lineage query); see engine/lineage.py."""
        return self._read_user_query(lambda cur: lineage.graph(cur, query))

    # Schema --------------------------------------------------------------------------------------------------
    def downgrade(self, target_version: int) -> None:
        """Steps the schema down to `target_version` (0 <= target < SCHEMA_VERSION) in one transaction."""
        def run(cur: Cursor) -> None:
            current = read_schema_version(cur)
            if current is None:
                raise RuntimeError("Empty database is given. Downgrade operation is not needed.")
            if target_version > SCHEMA_VERSION:
                raise errors.InvalidArgumentError(
                    f"MLMD cannot be downgraded to schema_version: {target_version}. The target version should be "
                    f"greater or equal to 0, and the current library version: {SCHEMA_VERSION} needs to be "
                    "greater than the target version.")
            if target_version < current:
                migrate_to(cur, current, target_version)
        self._write(run)


__all__ = ["Engine", "SCHEMA_VERSION", "now_ms", "ARTIFACT", "EXECUTION", "CONTEXT", "NodeLayout"]
