"""The workloads, written against the public `ml_metadata` API only, so the same code measures any MLMD.

Imports nothing but `ml_metadata` and the standard library: the worker ships this file by path to the
baseline interpreter (the real ml-metadata 1.17.1), which does not have fastmlmd. The rows and the operation
plans come from a `data.Dataset`; each workload method reports through a `meter.Meter`.
"""
from __future__ import annotations

import os
import statistics
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, cast

from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as service

if TYPE_CHECKING:
    from fastmlmd.bench.data import Dataset, Props
    from fastmlmd.bench.meter import Meter

ListOptions = metadata_store.ListOptions
OrderByField = metadata_store.OrderByField
ARTIFACT, EXECUTION, CONTEXT = "artifact", "execution", "context"


def _set_properties(target, values: Props) -> None:  # noqa: ANN001 - a protobuf map<string, Value>
    for key, value in values.items():
        if isinstance(value, int):
            target[key].int_value = value
        elif isinstance(value, float):
            target[key].double_value = value
        else:
            target[key].string_value = value


def _event(event_type: int, key: str, artifact_id: int = 0, execution_id: int = 0) -> pb.Event:
    event = pb.Event(type=cast("pb.Event.Type", event_type))  # the stubs type enums as their wrapper class
    if artifact_id:
        event.artifact_id = artifact_id
        event.execution_id = execution_id
    event.path.steps.add().key = key
    event.path.steps.add().index = 0
    return event


def _artifacts_page(store: Any, options: pb.ListOperationOptions) -> Tuple[List[pb.Artifact], str]:
    """One page of GetArtifacts and its next_page_token.

    `get_artifacts` pages internally and hides the tokens, so this takes each library's private page call:
    fastmlmd's `_list_page`, the one its listing loop uses, or MLMD's `_call` of the GetArtifacts RPC.
    """
    if hasattr(store, "_list_page"):
        from fastmlmd.engine.catalog import TypeKind  # fastmlmd is there when its store is

        return store._list_page(TypeKind.ARTIFACT, options)
    response = service.GetArtifactsResponse()
    store._call("GetArtifacts", service.GetArtifactsRequest(options=options), response)
    return list(response.artifacts), response.next_page_token


# The server backends: a store in a database on a running server (the runner creates and drops it).
SERVER_BACKENDS = ("postgresql", "mysql")
DEFAULT_SERVERS = {"postgresql": "127.0.0.1:5432:postgres", "mysql": "127.0.0.1:3306:root"}


def server_config(backend: str, server: str, database: str) -> pb.ConnectionConfig:
    """The config of the store in `database` on `server` ("host:port:user"; the password, if any, from
    PGPASSWORD / MYSQL_PWD as the clients read it)."""
    host, port, user = (server or DEFAULT_SERVERS[backend]).split(":")
    config = pb.ConnectionConfig()
    if backend == "postgresql":
        config.postgresql.host, config.postgresql.port, config.postgresql.user = host, port, user
        config.postgresql.dbname = database
        if os.environ.get("PGPASSWORD"):
            config.postgresql.password = os.environ["PGPASSWORD"]
    else:
        config.mysql.host, config.mysql.port, config.mysql.user = host, int(port), user
        config.mysql.database = database
        if os.environ.get("MYSQL_PWD"):
            config.mysql.password = os.environ["MYSQL_PWD"]
    return config


def drop_server_database(backend: str, server: str, database: str) -> None:
    """Drops a store's database from `server` (as `server_config` names it) once a measurement is done."""
    host, port, user = (server or DEFAULT_SERVERS[backend]).split(":")
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True,
                             password=os.environ.get("PGPASSWORD")) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    else:
        import pymysql

        server_admin = pymysql.connect(host=host, port=int(port), user=user,
                                       password=os.environ.get("MYSQL_PWD", ""), autocommit=True)
        try:
            server_admin.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            server_admin.close()


class ApiSide:
    """One `MetadataStore` (fake_database or a SQLite file) and the id of every node the dataset put in it."""

    def __init__(self, backend: str, workdir: str, server: str = "", database: str = "") -> None:
        config = pb.ConnectionConfig()
        if backend == "memory":
            config.fake_database.SetInParent()
        elif backend in SERVER_BACKENDS:
            config = server_config(backend, server, database)
        else:
            config.sqlite.filename_uri = os.path.join(workdir, "mlmd.sqlite")
            config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        self.store = metadata_store.MetadataStore(config)
        self.ids: Dict[str, List[int]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}
        self.type_ids: Dict[str, List[int]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}
        self.type_names: Dict[str, List[str]] = {ARTIFACT: [], EXECUTION: [], CONTEXT: []}

    def run(self, name: str, ds: Dataset, meter: Meter) -> None:
        """Runs one workload by name."""
        getattr(self, name)(ds, meter)

    # Proto builders ------------------------------------------------------------------------------------
    def _context(self, ds: Dataset, index: int, with_id: bool = False) -> pb.Context:
        type_index, name, props = ds.context(index)
        msg = pb.Context(type_id=self.type_ids[CONTEXT][type_index], name=name)
        _set_properties(msg.properties, props)
        if with_id:
            msg.id = self.ids[CONTEXT][index]
        return msg

    def _execution(self, ds: Dataset, index: int, state: int = 3, node_id: Optional[int] = None) -> pb.Execution:
        type_index, name, state, props, custom = ds.execution(index, state)
        msg = pb.Execution(type_id=self.type_ids[EXECUTION][type_index], name=name,
                           last_known_state=cast("pb.Execution.State", state))
        _set_properties(msg.properties, props)
        _set_properties(msg.custom_properties, custom)
        if node_id is not None:
            msg.id = node_id
        return msg

    def _artifact(self, ds: Dataset, index: int, node_id: Optional[int] = None) -> pb.Artifact:
        type_index, name, uri, state, props, custom = ds.artifact(index)
        msg = pb.Artifact(type_id=self.type_ids[ARTIFACT][type_index], name=name, uri=uri,
                          state=cast("pb.Artifact.State", state))
        _set_properties(msg.properties, props)
        _set_properties(msg.custom_properties, custom)
        if node_id is not None:
            msg.id = node_id
        return msg

    # Fill: build the store -----------------------------------------------------------------------------
    def fill_types(self, ds: Dataset, meter: Meter) -> None:
        puts: Dict[str, Tuple[Callable[..., Any], Callable[[Any], int]]] = {
            ARTIFACT: (pb.ArtifactType, self.store.put_artifact_type),
            EXECUTION: (pb.ExecutionType, self.store.put_execution_type),
            CONTEXT: (pb.ContextType, self.store.put_context_type)}
        todo = [(kind, name, props, False) for kind in puts for name, props in ds.extra_types(kind)]
        todo += [(kind, name, props, True) for kind in puts for name, props in ds.types(kind)]

        def prepare(entry: tuple) -> Tuple[str, str, Any, bool]:  # (kind, name, properties, keep)
            kind, name, props, keep = entry
            msg = puts[kind][0](name=name)
            for key, data_type in props.items():
                msg.properties[key] = data_type
            return kind, name, msg, keep

        for kind, name, msg, keep in meter.each_prepared(todo, prepare):
            type_id = puts[kind][1](msg)
            if keep:
                self.type_ids[kind].append(type_id)
                self.type_names[kind].append(name)
            meter.add(1)

    def _fill_nodes(self, ds: Dataset, meter: Meter, kind: str, count: int) -> None:
        builders: Dict[str, Callable[[Dataset, int], Any]] = {
            CONTEXT: self._context, EXECUTION: self._execution, ARTIFACT: self._artifact}
        putters: Dict[str, Callable[[list], List[int]]] = {
            CONTEXT: self.store.put_contexts, EXECUTION: self.store.put_executions, ARTIFACT: self.store.put_artifacts}
        build, put = builders[kind], putters[kind]
        size = ds.node_batch
        batches = (range(start, min(start + size, count)) for start in range(0, count, size))
        for nodes in meter.each_prepared(batches, lambda batch: [build(ds, i) for i in batch], total=-(-count // size)):
            self.ids[kind].extend(put(nodes))
            meter.add(len(nodes))

    def fill_contexts(self, ds: Dataset, meter: Meter) -> None:
        self._fill_nodes(ds, meter, CONTEXT, ds.n_contexts)

    def fill_executions(self, ds: Dataset, meter: Meter) -> None:
        self._fill_nodes(ds, meter, EXECUTION, ds.n_executions)

    def fill_artifacts(self, ds: Dataset, meter: Meter) -> None:
        self._fill_nodes(ds, meter, ARTIFACT, ds.n_artifacts)

    def fill_context_edges(self, ds: Dataset, meter: Meter) -> None:
        ctx, exe, art = self.ids[CONTEXT], self.ids[EXECUTION], self.ids[ARTIFACT]

        def prepare(batch: Sequence[Tuple[str, int, int]]) -> Tuple[List[pb.Attribution], List[pb.Association]]:
            return ([pb.Attribution(context_id=ctx[c], artifact_id=art[n]) for kind, c, n in batch
                     if kind == "attribution"],
                    [pb.Association(context_id=ctx[c], execution_id=exe[n]) for kind, c, n in batch
                     if kind == "association"])

        for attributions, associations in meter.each_prepared(ds.chunks(ds.context_edges(), ds.edge_batch), prepare,
                                                              total=-(-ds.n_edges // ds.edge_batch)):
            self.store.put_attributions_and_associations(attributions, associations)
            meter.add(len(attributions) + len(associations))

    def fill_events(self, ds: Dataset, meter: Meter) -> None:
        exe, art = self.ids[EXECUTION], self.ids[ARTIFACT]
        for events in meter.each_prepared(ds.chunks(ds.events(), ds.node_batch),
                                          lambda batch: [_event(t, key, art[a], exe[e]) for a, e, t, key in batch]):
            self.store.put_events(events)
            meter.add(len(events))

    # Reads ---------------------------------------------------------------------------------------------
    def read_types(self, ds: Dataset, meter: Meter) -> None:
        store = self.store
        by_kind: Dict[str, Tuple[Callable[[], list], Callable[[str], Any], Callable[[List[int]], list]]] = {
            ARTIFACT: (store.get_artifact_types, store.get_artifact_type, store.get_artifact_types_by_id),
            EXECUTION: (store.get_execution_types, store.get_execution_type, store.get_execution_types_by_id),
            CONTEXT: (store.get_context_types, store.get_context_type, store.get_context_types_by_id),
        }
        for how, kind, name, indices in meter.each(ds.plan("read_types")):
            get_all, get_one, get_by_id = by_kind[kind]
            if how == "all":
                found = len(get_all())
            elif how == "by_name":
                found = 1 if get_one(name) else 0
            else:
                found = len(get_by_id([self.type_ids[kind][i] for i in indices]))
            meter.add(1, found)

    def _by_id(self, ds: Dataset, meter: Meter, kind: str, get) -> None:  # noqa: ANN001 - a store method
        ids = self.ids[kind]
        for batch in meter.each(ds.plan(f"read_{kind}s_by_id")):
            found = len(get([ids[i] for i in batch]))
            meter.add(found, found)

    def read_artifacts_by_id(self, ds: Dataset, meter: Meter) -> None:
        self._by_id(ds, meter, ARTIFACT, self.store.get_artifacts_by_id)

    def read_executions_by_id(self, ds: Dataset, meter: Meter) -> None:
        self._by_id(ds, meter, EXECUTION, self.store.get_executions_by_id)

    def read_artifacts_by_type(self, ds: Dataset, meter: Meter) -> None:
        for type_name in meter.each(ds.plan("read_artifacts_by_type")):
            found = len(self.store.get_artifacts_by_type(type_name))
            meter.add(found, found)

    def read_executions_by_type(self, ds: Dataset, meter: Meter) -> None:
        for type_name in meter.each(ds.plan("read_executions_by_type")):
            found = len(self.store.get_executions_by_type(type_name))
            meter.add(found, found)

    def read_nodes_by_type_and_name(self, ds: Dataset, meter: Meter) -> None:
        store = self.store
        for kind, index in meter.each(ds.plan("read_nodes_by_type_and_name")):
            found: Any
            if kind == ARTIFACT:
                type_index, name = ds.artifact(index)[:2]
                found = store.get_artifact_by_type_and_name(self.type_names[kind][type_index], name)
            elif kind == EXECUTION:
                type_index, name = ds.execution(index)[:2]
                found = store.get_execution_by_type_and_name(self.type_names[kind][type_index], name)
            else:
                type_index, name = ds.context(index)[:2]
                found = store.get_context_by_type_and_name(self.type_names[kind][type_index], name)
            meter.add(1, 1 if found is not None else 0)

    def read_artifacts_by_uri(self, ds: Dataset, meter: Meter) -> None:
        for index in meter.each(ds.plan("read_artifacts_by_uri")):
            meter.add(1, len(self.store.get_artifacts_by_uri(ds.artifact(index)[2])))

    def read_contexts_by_artifact(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]
        for index in meter.each(ds.plan("read_contexts_by_artifact")):
            meter.add(1, len(self.store.get_contexts_by_artifact(ids[index])))

    def read_contexts_by_execution(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[EXECUTION]
        for index in meter.each(ds.plan("read_contexts_by_execution")):
            meter.add(1, len(self.store.get_contexts_by_execution(ids[index])))

    def read_artifacts_by_context(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[CONTEXT]
        for index in meter.each(ds.plan("read_artifacts_by_context")):
            meter.add(1, len(self.store.get_artifacts_by_context(ids[index])))

    def read_executions_by_context(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[CONTEXT]
        for index in meter.each(ds.plan("read_executions_by_context")):
            meter.add(1, len(self.store.get_executions_by_context(ids[index])))

    def read_events_by_executions(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[EXECUTION]
        for batch in meter.each(ds.plan("read_events_by_executions")):
            found = len(self.store.get_events_by_execution_ids([ids[i] for i in batch]))
            meter.add(found, found)

    def read_events_by_artifacts(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]
        for batch in meter.each(ds.plan("read_events_by_artifacts")):
            found = len(self.store.get_events_by_artifact_ids([ids[i] for i in batch]))
            meter.add(found, found)

    # Filtered listings ---------------------------------------------------------------------------------
    def _filtered(self, meter: Meter, get, queries: Sequence[str], **options: Any) -> None:  # noqa: ANN001
        for query in meter.each(queries):
            meter.add(1, len(get(list_options=ListOptions(filter_query=query, **options))))

    def filter_by_property(self, ds: Dataset, meter: Meter) -> None:
        queries = [f"properties.span.int_value = {run}" for run in ds.plan("filter_by_property")]
        self._filtered(meter, self.store.get_artifacts, queries)

    def filter_by_name(self, ds: Dataset, meter: Meter) -> None:
        queries = [f"name = '{ds.artifact(i)[1]}'" for i in ds.plan("filter_by_name")]
        self._filtered(meter, self.store.get_artifacts, queries)

    def filter_uri_prefix(self, ds: Dataset, meter: Meter) -> None:
        queries = [f"uri LIKE '/pipelines/{ds.pipeline_name(run)}/{ds.run_name(run)}/%'"
                   for run in ds.plan("filter_uri_prefix")]
        self._filtered(meter, self.store.get_artifacts, queries)

    def filter_context_join(self, ds: Dataset, meter: Meter) -> None:
        names = self.type_names[ARTIFACT]
        queries = [f"contexts_a.name = '{ds.run_name(run)}' AND type = '{names[comp]}'"
                   for run, comp in ds.plan("filter_context_join")]
        self._filtered(meter, self.store.get_artifacts, queries)

    def filter_event_join(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]
        queries = [f"events_0.artifact_id = {ids[i]} AND events_0.type = INPUT" for i in ds.plan("filter_event_join")]
        self._filtered(meter, self.store.get_executions, queries)

    def list_paged(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]
        for index, limit in meter.each(ds.plan("list_paged")):
            options = ListOptions(limit=limit, order_by=OrderByField.ID, is_asc=False,
                                  filter_query=f"id <= {ids[index]}")
            found = len(self.store.get_artifacts(list_options=options))
            meter.add(found, found)

    def list_pipeline_paged(self, ds: Dataset, meter: Meter) -> None:
        names = self.type_names[EXECUTION]
        for pipeline, comp, limit in meter.each(ds.plan("list_pipeline_paged")):
            options = ListOptions(limit=limit, order_by=OrderByField.CREATE_TIME, is_asc=False,
                                  filter_query=f"contexts_a.name = 'pipeline-{pipeline:02d}' AND type = '{names[comp]}'")
            found = len(self.store.get_executions(list_options=options))
            meter.add(found, found)

    def list_context_paged(self, ds: Dataset, meter: Meter) -> None:
        """The newest executions of a pipeline context, by id, 100 a page (a UI listing a pipeline's runs)."""
        ids = self.ids[CONTEXT]
        for pipeline, limit in meter.each(ds.plan("list_context_paged")):
            options = ListOptions(limit=limit, order_by=OrderByField.ID, is_asc=False)
            found = len(self.store.get_executions_by_context(ids[pipeline], list_options=options))
            meter.add(found, found)

    def page_through_artifacts(self, ds: Dataset, meter: Meter) -> None:
        """Every artifact, 1,000 a page, as a program pages through a store (keyset paging on id)."""
        size = ds.page_through
        last = 0
        for _ in meter.each(ds.plan("page_through_artifacts")):
            options = ListOptions(limit=size, order_by=OrderByField.ID, is_asc=True, filter_query=f"id > {last}")
            page = self.store.get_artifacts(list_options=options)
            meter.add(len(page), len(page))
            last = page[-1].id if page else last

    def filter_context_event_conj(self, ds: Dataset, meter: Meter) -> None:
        """A run's outputs: a context type and name and an event type, three predicates over two joins."""
        queries = [f"contexts_a.type = 'pipeline_run' AND contexts_a.name = '{ds.run_name(run)}' "
                   f"AND events_0.type = OUTPUT" for run in ds.plan("filter_context_event_conj")]
        self._filtered(meter, self.store.get_artifacts, queries)

    def filter_or_properties(self, ds: Dataset, meter: Meter) -> None:
        """Ten runs' Models OR one tag: an OR of property predicates (each property an inner join in MLMD)."""
        queries = [f"(type = 'Model' AND properties.span.int_value >= {lo} AND properties.span.int_value < {lo + 10})"
                   f" OR custom_properties.tag.string_value = '{tag}'" for lo, tag in ds.plan("filter_or_properties")]
        self._filtered(meter, self.store.get_artifacts, queries)

    def filter_contains_like(self, ds: Dataset, meter: Meter) -> None:
        """A LIKE with a leading %: no index helps, every uri is matched."""
        trainer = self.type_names[EXECUTION][ds.components // 2]  # execution types are named after components
        queries = [f"uri LIKE '%/{ds.run_name(run)}/{trainer}/%'" for run in ds.plan("filter_contains_like")]
        self._filtered(meter, self.store.get_artifacts, queries)

    def list_type_first_page(self, ds: Dataset, meter: Meter) -> None:
        """The first 100 artifacts of a type (a UI's first screen), in the default order."""
        queries = [f"type = '{type_name}'" for type_name in ds.plan("list_type_first_page")]
        self._filtered(meter, self.store.get_artifacts, queries, limit=100)

    def walk_type_keyset(self, ds: Dataset, meter: Meter) -> None:
        """Every log artifact (half the store), 100 a page, by id: `type = ... AND id > last`."""
        type_name = self.type_names[ARTIFACT][-1]
        last = 0
        for page in meter.each(ds.plan("walk_type_keyset")):
            if page == 0:
                last = 0
            options = ListOptions(limit=ds.keyset_page, order_by=OrderByField.ID, is_asc=True,
                                  filter_query=f"type = '{type_name}' AND id > {last}")
            found = self.store.get_artifacts(list_options=options)
            meter.add(len(found), len(found))
            last = found[-1].id if found else last

    def page_filtered_join(self, ds: Dataset, meter: Meter) -> None:
        """One pipeline's artifacts through next_page_token, 20 a page; the result gets the page-cost figures.

        `page_cost` compares the first page with the last one the walk reached (the median of the walk's
        time and the repeats'), so a token that costs more the further it is shows as a ratio above 1.
        """
        plan = ds.plan("page_filtered_join")
        pipeline = ds.context(ds.join_pipeline)[1]
        options = pb.ListOperationOptions(max_result_size=ds.join_page, filter_query=(
            f"contexts_a.type = 'pipeline' AND contexts_a.name = '{pipeline}'"))
        options.order_by_field.field = pb.ListOperationOptions.OrderByField.ID
        options.order_by_field.is_asc = True
        tokens = {1: ""}  # page -> the token that fetches it
        for _, page in meter.each(plan):
            options.next_page_token = tokens[page]
            found, tokens[page + 1] = _artifacts_page(self.store, options)
            meter.add(1, len(found))
        timed: Dict[int, List[float]] = {}
        for (_, page), seconds in zip(plan[meter.first_counted:], meter.latencies):
            timed.setdefault(page, []).append(seconds)
        if 1 in timed:
            last = max(timed)
            first_ms = statistics.median(timed[1]) * 1000
            last_ms = statistics.median(timed[last]) * 1000
            meter.figures["page_cost"] = {"first_ms": round(first_ms, 4), "last_ms": round(last_ms, 4),
                                          "last_page": last, "ratio": round(last_ms / first_ms, 3)}

    def filter_grammar_fuzz(self, ds: Dataset, meter: Meter) -> None:
        """Random valid and invalid filters (filtergen.py), 100 results at most; latency percentiles."""
        gets: Dict[str, Callable[..., list]] = {ARTIFACT: self.store.get_artifacts,
                                                  EXECUTION: self.store.get_executions,
                                                  CONTEXT: self.store.get_contexts}
        failed = 0
        for kind, query in meter.each(ds.plan("filter_grammar_fuzz")):
            try:
                found = len(gets[kind](list_options=ListOptions(limit=100, filter_query=query)))
            except errors.InvalidArgumentError:
                found = 0  # a refused filter is a completed call
            except errors.InternalError:
                # MLMD's SQL for some valid filters fails on PostgreSQL ("syntax error at or near ..."): such a
                # call completed too, and the report counts them, so that one filter does not end the workload.
                found, failed = 0, failed + 1
            meter.add(1, found)
        meter.figures["latency_ms"] = meter.latency_ms()
        meter.figures["failed_calls"] = {"internal_error": failed}

    # Lineage -------------------------------------------------------------------------------------------
    def _lineage(self, ds: Dataset, meter: Meter, name: str) -> None:
        ids = self.ids[ARTIFACT]
        for index, hops, direction in meter.each(ds.plan(name)):
            options = pb.LineageSubgraphQueryOptions(max_num_hops=hops)
            options.starting_artifacts.filter_query = f"id = {ids[index]}"
            options.direction = cast("pb.LineageSubgraphQueryOptions.Direction",
                                     pb.LineageSubgraphQueryOptions.Direction.Value(direction))
            graph = self.store.get_lineage_subgraph(options)
            meter.add(1, len(graph.artifacts) + len(graph.executions))

    def lineage_2_hops(self, ds: Dataset, meter: Meter) -> None:
        self._lineage(ds, meter, "lineage_2_hops")

    def lineage_6_hops(self, ds: Dataset, meter: Meter) -> None:
        self._lineage(ds, meter, "lineage_6_hops")

    def lineage_upstream_20_hops(self, ds: Dataset, meter: Meter) -> None:
        self._lineage(ds, meter, "lineage_upstream_20_hops")

    # Closing writes ------------------------------------------------------------------------------------
    def update_artifacts(self, ds: Dataset, meter: Meter) -> None:
        ids = self.ids[ARTIFACT]

        def prepare(numbered: Tuple[int, Sequence[int]]) -> List[pb.Artifact]:
            number, batch = numbered
            updates = []
            for i in batch:
                msg = self._artifact(ds, i, ids[i])
                msg.custom_properties["bench_update"].int_value = number
                updates.append(msg)
            return updates

        for updates in meter.each_prepared(list(enumerate(ds.plan("update_artifacts"))), prepare):
            self.store.put_artifacts(updates)
            meter.add(len(updates))

    def put_execution(self, ds: Dataset, meter: Meter) -> None:
        """Components publishing as a pipeline runner does: register with inputs, then publish outputs."""
        store = self.store
        outputs: Dict[Tuple[int, int], pb.Artifact] = {}  # (run, component) -> published main output
        running: Dict[Tuple[int, int], int] = {}
        run_contexts: Dict[int, pb.Context] = {}

        def prepare(op: Tuple[str, int, int]) -> tuple:
            phase, run, comp = op
            index = run * ds.components + comp
            pipeline = self._context(ds, run % ds.pipelines, with_id=True)
            run_context = run_contexts.get(run)
            if run_context is None:
                run_context = pb.Context(type_id=self.type_ids[CONTEXT][1], name=ds.run_name(run))
                run_context.properties["pipeline_name"].string_value = ds.pipeline_name(run)
            if phase == "register":
                pairs = []
                for src_run, src_comp in ds.inputs(run, comp):
                    artifact = outputs.get((src_run, src_comp))
                    if artifact is None:
                        src = ds.main_output(src_run, src_comp)
                        artifact = self._artifact(ds, src, self.ids[ARTIFACT][src])
                    pairs.append((artifact, _event(3, "input")))
                execution = self._execution(ds, index, state=2)
            else:
                pairs = [(self._artifact(ds, index * 2), _event(4, "output")),
                         (self._artifact(ds, index * 2 + 1), _event(4, "log"))]
                execution = self._execution(ds, index, state=3, node_id=running[(run, comp)])
            return phase, run, comp, execution, pairs, [pipeline, run_context]

        for phase, run, comp, execution, pairs, contexts in meter.each_prepared(ds.plan("put_execution"), prepare):
            execution_id, artifact_ids, context_ids = store.put_execution(
                execution, pairs, contexts, reuse_context_if_already_exist=phase == "register")
            running[(run, comp)] = execution_id
            if run not in run_contexts:
                contexts[1].id = context_ids[1]
                run_contexts[run] = contexts[1]
            if phase == "publish":
                main = pairs[0][0]
                main.id = artifact_ids[0]
                outputs[(run, comp)] = main
            meter.add(1, len(artifact_ids))
