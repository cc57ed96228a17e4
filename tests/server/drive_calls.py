"""A run of the common calls, printed as JSON: run by the real ml-metadata 1.17.1 and by fastmlmd, in-process
or through a server, so that test_oracle_client.py can compare the answers.

    python drive_calls.py memory          # an in-process fake database
    python drive_calls.py 127.0.0.1:8080  # a metadata store server

Imports only ml_metadata and google.protobuf, so the oracle's interpreter runs it unchanged. Timestamps
are left out of the output (they differ between runs).
"""
import json
import sys

from google.protobuf import json_format

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

TIMES = ("createTimeSinceEpoch", "lastUpdateTimeSinceEpoch", "millisecondsSinceEpoch")


def shown(value):
    if isinstance(value, (list, tuple)):
        return [shown(v) for v in value]
    if hasattr(value, "DESCRIPTOR"):
        found = json_format.MessageToDict(value)
        return _without_times(found)
    return value


def _without_times(value):
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in sorted(value.items()) if k not in TIMES}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def connect(where):
    if where == "memory":
        return metadata_store.MetadataStore(pb.ConnectionConfig(fake_database=pb.FakeDatabaseConfig()))
    host, port = where.rsplit(":", 1)
    return metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host=host, port=int(port),
                                                                     client_timeout_sec=30))


def main(where):
    s = connect(where)
    out = {}

    def record(name, call):
        try:
            out[name] = shown(call())
        except errors.StatusError as exc:
            out[name] = ["error", type(exc).__name__]

    data = pb.ArtifactType(name="DataSet", external_id="t-data")
    data.properties["day"] = pb.INT
    data.properties["split"] = pb.STRING
    model = pb.ArtifactType(name="Model", version="v1")
    model.properties["acc"] = pb.DOUBLE
    trainer = pb.ExecutionType(name="Trainer")
    trainer.properties["state"] = pb.STRING
    run = pb.ContextType(name="Run")
    run.properties["owner"] = pb.STRING
    ids = {"data": s.put_artifact_type(data), "model": s.put_artifact_type(model),
           "trainer": s.put_execution_type(trainer), "run": s.put_context_type(run)}
    out["type_ids"] = ids
    evolved = pb.ArtifactType(name="DataSet")
    evolved.properties["day"] = pb.INT
    evolved.properties["split"] = pb.STRING
    evolved.properties["rows"] = pb.INT
    record("evolve_type", lambda: s.put_artifact_type(evolved, can_add_fields=True))
    record("evolve_refused", lambda: s.put_artifact_type(pb.ArtifactType(name="DataSet")))

    artifacts = []
    for i in range(7):
        a = pb.Artifact(type_id=ids["data"], uri=f"gs://data/{i % 3}", name=f"d{i}", external_id=f"x{i}")
        a.properties["day"].int_value = i
        a.properties["split"].string_value = "train" if i % 2 else "eval"
        a.custom_properties["note"].string_value = f"n{i}"
        artifacts.append(a)
    out["artifact_ids"] = a_ids = s.put_artifacts(artifacts)
    record("duplicate_name", lambda: s.put_artifacts([pb.Artifact(type_id=ids["data"], name="d0")]))
    update = pb.Artifact(id=a_ids[0], type_id=ids["data"], uri="gs://moved")
    record("masked_update", lambda: s.put_artifacts([update], field_mask_paths=["uri"]))
    e_ids = s.put_executions([pb.Execution(type_id=ids["trainer"], name=f"t{i}",
                                           last_known_state=pb.Execution.RUNNING) for i in range(3)])
    c_ids = s.put_contexts([pb.Context(type_id=ids["run"], name=f"r{i}") for i in range(3)])
    out["execution_ids"], out["context_ids"] = e_ids, c_ids
    s.put_events([pb.Event(artifact_id=a_ids[i], execution_id=e_ids[i % 3],
                           type=pb.Event.INPUT if i % 2 else pb.Event.OUTPUT) for i in range(5)])
    s.put_attributions_and_associations(
        [pb.Attribution(context_id=c_ids[0], artifact_id=a) for a in a_ids[:4]],
        [pb.Association(context_id=c_ids[0], execution_id=e) for e in e_ids])
    s.put_parent_contexts([pb.ParentContext(child_id=c_ids[1], parent_id=c_ids[0]),
                           pb.ParentContext(child_id=c_ids[2], parent_id=c_ids[0])])
    record("cycle_refused", lambda: s.put_parent_contexts([pb.ParentContext(child_id=c_ids[0],
                                                                            parent_id=c_ids[1])]))
    event = pb.Event(type=pb.Event.OUTPUT)
    event.path.steps.add().key = "model"
    trained = pb.Artifact(type_id=ids["model"], uri="gs://model", name="m1")
    trained.properties["acc"].double_value = 0.9
    record("put_execution", lambda: s.put_execution(
        pb.Execution(type_id=ids["trainer"], name="t9"), [(trained, event), (pb.Artifact(id=a_ids[1]),)],
        [pb.Context(type_id=ids["run"], name="r9")]))
    record("put_lineage_subgraph", lambda: s.put_lineage_subgraph(
        [pb.Execution(type_id=ids["trainer"])], [pb.Artifact(type_id=ids["model"], uri="gs://m2")],
        [pb.Context(type_id=ids["run"], name="r10")], [(0, 0, pb.Event(type=pb.Event.OUTPUT))]))

    record("artifact_types", s.get_artifact_types)
    record("execution_types", s.get_execution_types)
    record("context_types", s.get_context_types)
    record("type_by_name", lambda: s.get_artifact_type("Model", "v1"))
    record("type_missing", lambda: s.get_artifact_type("Model"))
    record("types_by_id", lambda: s.get_artifact_types_by_id([ids["model"], 1, 999]))
    record("types_by_external_ids", lambda: s.get_artifact_types_by_external_ids(["t-data"]))
    record("by_id", lambda: s.get_artifacts_by_id([a_ids[2], a_ids[0], 999]))
    record("and_types", lambda: s.get_artifacts_and_types_by_artifact_ids(a_ids[:2]))
    record("by_type", lambda: s.get_artifacts_by_type("DataSet"))
    record("by_type_and_name", lambda: s.get_artifact_by_type_and_name("DataSet", "d3"))
    record("by_type_and_name_missing", lambda: s.get_artifact_by_type_and_name("DataSet", "none"))
    record("by_uri", lambda: s.get_artifacts_by_uri("gs://data/1"))
    record("by_external_ids", lambda: s.get_artifacts_by_external_ids(["x2", "x5"]))
    record("external_ids_none", lambda: s.get_artifacts_by_external_ids(["nope"]))
    record("executions_by_id", lambda: s.get_executions_by_id(e_ids))
    record("contexts_by_type", lambda: s.get_contexts_by_type("Run"))
    record("context_by_name", lambda: s.get_context_by_type_and_name("Run", "r9"))
    record("all_artifacts", s.get_artifacts)
    for name, options in (
            ("limit", metadata_store.ListOptions(limit=3)),
            ("desc", metadata_store.ListOptions(order_by=metadata_store.OrderByField.ID, is_asc=False, limit=4)),
            ("by_create_time", metadata_store.ListOptions(order_by=metadata_store.OrderByField.CREATE_TIME)),
            ("filter_property", metadata_store.ListOptions(filter_query="properties.split.string_value = 'train'")),
            ("filter_context", metadata_store.ListOptions(filter_query="contexts_a.name = 'r0' AND uri LIKE 'gs://data%'")),
            ("filter_event", metadata_store.ListOptions(filter_query="events_0.type = INPUT")),
            ("filter_type", metadata_store.ListOptions(filter_query="type = 'Model'")),
            ("filter_bad", metadata_store.ListOptions(filter_query="uri = ")),
    ):
        record(f"list_{name}", lambda options=options: s.get_artifacts(list_options=options))
    record("executions_filtered", lambda: s.get_executions(list_options=metadata_store.ListOptions(
        filter_query="name = 't1' OR name = 't9'")))
    record("contexts_listed", lambda: s.get_contexts(list_options=metadata_store.ListOptions(limit=2, is_asc=False)))
    record("events_by_execution", lambda: s.get_events_by_execution_ids(e_ids))
    record("events_by_artifact", lambda: s.get_events_by_artifact_ids(a_ids))
    record("contexts_by_artifact", lambda: s.get_contexts_by_artifact(a_ids[0]))
    record("contexts_by_execution", lambda: s.get_contexts_by_execution(e_ids[1]))
    record("parents", lambda: s.get_parent_contexts_by_context(c_ids[1]))
    record("children", lambda: s.get_children_contexts_by_context(c_ids[0]))
    record("artifacts_by_context", lambda: s.get_artifacts_by_context(c_ids[0]))
    record("executions_by_context", lambda: s.get_executions_by_context(c_ids[0]))
    query = pb.LineageSubgraphQueryOptions(
        starting_artifacts=pb.LineageSubgraphQueryOptions.StartingNodes(filter_query="uri = 'gs://data/1'"),
        max_num_hops=3)
    record("lineage_subgraph", lambda: s.get_lineage_subgraph(query))
    record("lineage_subgraph_masked", lambda: s.get_lineage_subgraph(query, ["artifacts", "events",
                                                                             "execution_types"]))
    print(json.dumps(out, sort_keys=True, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
