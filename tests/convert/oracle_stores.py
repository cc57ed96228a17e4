"""Builds MLMD stores with the real ml-metadata 1.17.1 and records its answers to every read on them.

Usage (in the oracle's interpreter): python oracle_stores.py OUTDIR [MIX_SEEDS]
                                     python oracle_stores.py OUTDIR --server mysql|postgresql PREFIX NAME...

Writes, for each store NAME, `NAME.db` (the store as MLMD left it, never opened again) and `NAME.json`
(`{"version": schema version, "calls": [...], "answers": [...]}`, store_reads.py's calls and MLMD's answers,
recorded on a copy). The stores:
  - kinds: every property kind, type versions, base types, external ids, input/output types, updated nodes,
    events with paths, every link;
  - tfx: a TFX-style pipeline (pipeline, run and node contexts, components that read and write artifacts);
  - tfx-long: the same pipeline run 60 times (the kill -9 loop converts it);
  - mix-SEED: the random call sequences of tests/differential (fuzz_calls.py), made on MLMD's own store;
  - legacy: `kinds` without the proto and bool values versions before 10 cannot hold;
  - legacy-vN: `legacy` stepped down by MLMD's own downgrade_schema to version N; its answers are MLMD's on a
    copy MLMD upgraded back (what MLMD shows of that store).
With --server, the stores NAME... (kinds, tfx, tfx-long, mix-SEED) are made in databases `PREFIX_NAME` (`-` as
`_`) of the loopback MariaDB or PostgreSQL server, and their answers recorded on them as made (reading changes
nothing); only NAME.json is written. MLMD keeps 32-bit int properties on those servers, so `kinds` keeps its ints
within them there.
Imports only ml_metadata, protobuf and the modules next to it (and tests/differential's generator).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "differential"), os.path.join(os.path.dirname(HERE), "api")]

from ml_metadata import metadata_store as mlmd  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as pb  # noqa: E402
from store_reads import read_calls, run_calls  # noqa: E402

DOWNGRADES = (9, 8, 7, 6, 5)


def config(path: str) -> pb.ConnectionConfig:
    out = pb.ConnectionConfig()
    out.sqlite.filename_uri = path
    out.retry_options.max_num_retries = 1
    return out


def tick() -> None:
    time.sleep(0.002)  # a millisecond of its own for each write, so update times differ from create times


def server_config(backend: str, database: str) -> pb.ConnectionConfig:
    out = pb.ConnectionConfig()
    if backend == "mysql":
        out.mysql.host, out.mysql.port, out.mysql.user, out.mysql.database = "127.0.0.1", 3306, "root", database
    else:
        out.postgresql.host, out.postgresql.port, out.postgresql.user = "127.0.0.1", "5432", "postgres"
        out.postgresql.dbname = database
    out.retry_options.max_num_retries = 1
    return out


def build_kinds(store: mlmd.MetadataStore, legacy: bool = False, wide: int = 2 ** 62) -> None:
    """`legacy`: what MLMD's downgrade can keep, for the older versions: no proto or bool values (before 10; the
    downgrade leaves their rows without a value, and MLMD then fails every read of them) and no two versions of
    one type name (before 6)."""
    at = pb.ArtifactType(name="Data", version="v1", description="rows", external_id="tx1",
                         base_type=pb.ArtifactType.DATASET)
    for name, kind in dict(n=pb.INT, d=pb.DOUBLE, s=pb.STRING, st=pb.STRUCT, pr=pb.PROTO, b=pb.BOOLEAN).items():
        at.properties[name] = kind
    data = store.put_artifact_type(at)
    # Two versions of one type: versions before 6 keep no version, so there the second is a type of its own name.
    data2 = store.put_artifact_type(pb.ArtifactType(name="Data2" if legacy else "Data", version="v2",
                                                    properties={"n": pb.INT}))
    model = store.put_artifact_type(pb.ArtifactType(name="Model", base_type=pb.ArtifactType.MODEL))
    et = pb.ExecutionType(name="Trainer", description="fits", base_type=pb.ExecutionType.TRAIN, external_id="tx2")
    et.properties["n"] = pb.INT
    et.input_type.dict.properties["examples"].list.element.any.SetInParent()
    et.output_type.union_type.candidates.add().none.SetInParent()
    et.output_type.union_type.candidates.add().tuple.elements.add().any.SetInParent()
    trainer = store.put_execution_type(et)
    plain = store.put_execution_type(pb.ExecutionType(name="Plain"))
    run = store.put_context_type(pb.ContextType(name="Run", properties={"s": pb.STRING}, external_id="tx3"))
    store.put_context_type(pb.ContextType(name="Empty"))
    artifacts = []
    for i in range(12):
        a = pb.Artifact(type_id=[data, data2, model][i % 3])
        if i % 4:
            a.uri = f"gs://bucket/model/{i}" if i % 2 else f"s3://b/{i}"
        if i % 5 != 1:
            a.name = f"a{i}" if i != 2 else ""
        if i % 3 == 0:
            a.external_id = f"ax{i}"
            a.properties["n"].int_value = i - 6
            a.properties["d"].double_value = i / 7
            a.properties["s"].string_value = ["a", "hé", "", "mlmd-ish"][i % 4]
            a.properties["st"].struct_value.update({"k": [i, "x", None, {"deep": True}]})
            if not legacy:
                a.properties["pr"].proto_value.Pack(pb.Artifact(name=f"inner{i}"))
                a.properties["b"].bool_value = bool(i % 2)
        if i % 3 == 1:
            a.properties["n"].int_value = wide + i
        if i % 2:
            a.state = [pb.Artifact.LIVE, pb.Artifact.PENDING, pb.Artifact.DELETED][i % 3]
        a.custom_properties["c"].string_value = f"c{i}"
        if i % 4 == 0:
            if not legacy:
                a.custom_properties["b"].bool_value = True
            a.custom_properties["st"].struct_value.update({"x": 1.5})
            a.custom_properties["d"].double_value = 1e-300 * i
        artifacts.append(a)
        tick()
    ids = store.put_artifacts(artifacts)
    executions = []
    for i in range(6):
        e = pb.Execution(type_id=trainer if i % 2 else plain, name=f"e{i}" if i % 3 else None)
        if i % 2:
            e.properties["n"].int_value = i
            e.last_known_state = pb.Execution.COMPLETE
        if i == 4:
            e.external_id = "ex4"
        executions.append(e)
    tick()
    eids = store.put_executions(executions)
    contexts = [pb.Context(type_id=run, name=f"c{i}", properties={"s": pb.Value(string_value="a")} if i % 2 else {})
                for i in range(5)]
    contexts[0].external_id = "x1"
    tick()
    cids = store.put_contexts(contexts)
    events = []
    for i, artifact_id in enumerate(ids):
        ev = pb.Event(artifact_id=artifact_id, execution_id=eids[i % len(eids)],
                      type=[pb.Event.INPUT, pb.Event.OUTPUT, pb.Event.DECLARED_OUTPUT][i % 3])
        if i % 2:
            ev.path.steps.add().key = f"k{i}"
            ev.path.steps.add().index = i
        if i % 5 == 0:
            ev.milliseconds_since_epoch = 1000 + i
        events.append(ev)
    tick()
    store.put_events(events)
    store.put_attributions_and_associations(
        [pb.Attribution(context_id=cids[i % 3], artifact_id=a) for i, a in enumerate(ids)],
        [pb.Association(context_id=cids[i % 2], execution_id=e) for i, e in enumerate(eids)])
    store.put_parent_contexts([pb.ParentContext(child_id=cids[1], parent_id=cids[0]),
                               pb.ParentContext(child_id=cids[2], parent_id=cids[0]),
                               pb.ParentContext(child_id=cids[3], parent_id=cids[2])])
    for i in (0, 3, 7):  # updates: last_update_time moves, create time stays
        tick()
        changed = store.get_artifacts_by_id([ids[i]])[0]
        changed.custom_properties["updated"].int_value = i
        store.put_artifacts([changed])
    tick()
    renamed = store.get_contexts_by_id([cids[4]])[0]
    renamed.name = "c4-renamed"
    store.put_contexts([renamed])


def build_tfx(store: mlmd.MetadataStore, runs: int = 3) -> None:
    """A pipeline as TFX records it: contexts pipeline > run > node, and per component an execution that reads
    the artifacts the component before it wrote."""
    pipeline_t = store.put_context_type(pb.ContextType(name="pipeline"))
    run_t = store.put_context_type(pb.ContextType(name="pipeline_run"))
    node_t = store.put_context_type(pb.ContextType(name="node"))
    artifact_types = {name: store.put_artifact_type(pb.ArtifactType(
        name=name, properties={"span": pb.INT, "split_names": pb.STRING, "version": pb.INT}))
        for name in ("Examples", "Schema", "Model", "ModelBlessing")}
    components = [("CsvExampleGen", [], "Examples"), ("SchemaGen", ["Examples"], "Schema"),
                  ("Trainer", ["Examples", "Schema"], "Model"), ("Evaluator", ["Examples", "Model"], "ModelBlessing")]
    exec_types = {name: store.put_execution_type(pb.ExecutionType(name=name, properties={"component_id": pb.STRING}))
                  for name, _, _ in components}
    [pipeline] = store.put_contexts([pb.Context(type_id=pipeline_t, name="taxi")])
    nodes = {}
    for name, _, _ in components:
        [nodes[name]] = store.put_contexts([pb.Context(type_id=node_t, name=f"taxi.{name}")])
        store.put_parent_contexts([pb.ParentContext(child_id=nodes[name], parent_id=pipeline)])
    for r in range(runs):
        [run_id] = store.put_contexts([pb.Context(type_id=run_t, name=f"run-{r:03d}")])
        store.put_parent_contexts([pb.ParentContext(child_id=run_id, parent_id=pipeline)])
        produced = {}
        for name, inputs, output in components:
            tick()
            execution = pb.Execution(type_id=exec_types[name], last_known_state=pb.Execution.RUNNING,
                                     name=f"run-{r:03d}.{name}")
            execution.properties["component_id"].string_value = name
            execution.custom_properties["tfx_version"].string_value = "1.15.0"
            contexts = [store.get_contexts_by_id([c])[0] for c in (pipeline, run_id, nodes[name])]
            in_pairs = []
            for key in inputs:
                ev = pb.Event(type=pb.Event.INPUT)
                ev.path.steps.add().key = key.lower()
                ev.path.steps.add().index = 0
                in_pairs.append((store.get_artifacts_by_id([produced[key]])[0], ev))
            eid, _, _ = store.put_execution(execution, in_pairs, contexts)
            tick()
            out = pb.Artifact(type_id=artifact_types[output], uri=f"/pipelines/taxi/{name}/{output.lower()}/{r}",
                              state=pb.Artifact.PENDING)
            out.properties["span"].int_value = r
            out.properties["split_names"].string_value = '["train", "eval"]'
            out.custom_properties["span"].int_value = r
            ev = pb.Event(type=pb.Event.OUTPUT)
            ev.path.steps.add().key = output.lower()
            ev.path.steps.add().index = 0
            execution = store.get_executions_by_id([eid])[0]
            execution.last_known_state = pb.Execution.COMPLETE
            out.state = pb.Artifact.LIVE
            _, [aid], _ = store.put_execution(execution, [(out, ev)], contexts)
            produced[output] = aid


def build_mix(store: mlmd.MetadataStore, seed: int) -> None:
    from fuzz_calls import generate
    from fuzz_replay import run_call

    def execute(made: dict) -> dict:
        tick()
        return run_call(store, made)

    generate(seed, 150, execute)


def record(path: str, answers_from, out_json: str, version: int) -> None:  # noqa: ANN001
    store = mlmd.MetadataStore(config(answers_from) if isinstance(answers_from, str) else answers_from,
                               enable_upgrade_migration=True)
    calls = read_calls(store)
    with open(out_json, "w", encoding="utf-8") as fh:
        json.dump({"version": version, "calls": calls, "answers": run_calls(store, calls)}, fh)
    del store


def make(outdir: str, name: str, build, *args) -> str:  # noqa: ANN001
    path = os.path.join(outdir, f"{name}.db")
    store = mlmd.MetadataStore(config(path))
    build(store, *args)
    del store
    answers_from = os.path.join(outdir, f"{name}.answers.db")
    shutil.copy(path, answers_from)
    record(path, answers_from, os.path.join(outdir, f"{name}.json"), 10)
    return path


def main(outdir: str, mix_seeds: int) -> None:
    make(outdir, "kinds", build_kinds)
    legacy = make(outdir, "legacy", build_kinds, True)
    make(outdir, "tfx", build_tfx)
    make(outdir, "tfx-long", build_tfx, 60)
    for seed in range(mix_seeds):
        make(outdir, f"mix-{seed}", build_mix, seed)
    for version in DOWNGRADES:
        path = os.path.join(outdir, f"legacy-v{version}.db")
        shutil.copy(legacy, path)
        mlmd.downgrade_schema(config(path), version)
        answers_from = os.path.join(outdir, f"legacy-v{version}.answers.db")
        shutil.copy(path, answers_from)
        record(path, answers_from, os.path.join(outdir, f"legacy-v{version}.json"), version)


def main_server(outdir: str, backend: str, prefix: str, names: list) -> None:
    builders = {"kinds": (build_kinds, False, 2 ** 30), "tfx": (build_tfx,), "tfx-long": (build_tfx, 60)}
    for name in names:
        build, *args = builders.get(name) or (build_mix, int(name.split("-")[1]))
        config = server_config(backend, f"{prefix}_{name.replace('-', '_')}")
        store = mlmd.MetadataStore(config)
        build(store, *args)
        del store
        record("", config, os.path.join(outdir, f"{name}.json"), 10)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "--server":
        main_server(sys.argv[1], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4)
