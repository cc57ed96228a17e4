"""The synthetic store the benchmarks fill and query: N pipeline runs × K components, with lineage across runs.

Plain data only (ints, strings, dicts), computed from indices, so a million nodes cost no memory until a
workload asks for them. Both the `ml_metadata` side (workloads.py) and the raw-SQLite floor (floor.py) read
the same rows and the same operation plans from here, so all sides do the same work.

This file imports only the standard library: the worker runs it by path under a baseline interpreter that
has ml-metadata but not fastmlmd.

Layout, for run r (pipeline r % P) and component c (0 ≤ c < K):
    contexts:   0..P-1 pipelines ("pipeline-03"), then P + r the runs ("run-000017")
    executions: r*K + c                        ("run-000017.Trainer", state COMPLETE)
    artifacts:  (r*K + c)*2 + 0 the main output ("run-000017.Trainer.Model"), + 1 its log; each has a custom
                `tag`, one of TAGS, spread over artifacts by a hash
Component c reads the main output of c-1 (and, half the time, of one earlier component); the component in
the middle (the trainer) also warm-starts from the same component's output of one of the 3 runs before,
which links runs into long lineage chains.
"""
from __future__ import annotations

import random
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, TypeVar, Union

if __package__:
    from fastmlmd.bench import filtergen
else:  # run by path under an interpreter that may not have fastmlmd (see worker.py)
    import filtergen  # type: ignore[no-redef,import-not-found]

T = TypeVar("T")
PropValue = Union[int, float, str]
Props = Dict[str, PropValue]

INT, DOUBLE, STRING = 1, 2, 3  # ml_metadata.PropertyType numbers
INPUT, OUTPUT = 3, 4  # Event.Type numbers
LIVE = 2  # Artifact.State
RUNNING, COMPLETE = 2, 3  # Execution.State
ARTIFACT, EXECUTION, CONTEXT = "artifact", "execution", "context"

# Runs per scale: a run is 31 nodes (1 context, K=10 executions, 20 artifacts).
SCALES = {"tiny": 10, "small": 320, "medium": 3200, "large": 32000}
PIPELINES = 8
EXTRA_TYPES = 100  # fill_types also puts this many unrelated types of each kind, 5 properties each

COMPONENTS = ("ExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "Transform", "Trainer", "Tuner",
              "Evaluator", "InfraValidator", "Pusher")
OUTPUTS = ("Examples", "ExampleStatistics", "Schema", "ExampleAnomalies", "TransformGraph", "Model",
           "HyperParameters", "ModelEvaluation", "InfraBlessing", "PushedModel")
LOG_TYPE = "ExecutionLog"
TAGS = 100  # distinct artifact tags ("tag-07"): a tag marks about 1% of the artifacts

# (name, unit, phase): the order the worker runs them in. "fill" writes build the store the reads query;
# the closing writes (update, put_execution) come last so every side reads the same store.
WORKLOADS: Tuple[Tuple[str, str, str], ...] = (
    ("fill_types", "types", "fill"),
    ("fill_contexts", "nodes", "fill"),
    ("fill_executions", "nodes", "fill"),
    ("fill_artifacts", "nodes", "fill"),
    ("fill_context_edges", "edges", "fill"),
    ("fill_events", "events", "fill"),
    ("read_types", "calls", "read"),
    ("read_artifacts_by_id", "nodes", "read"),
    ("read_executions_by_id", "nodes", "read"),
    ("read_artifacts_by_type", "nodes", "read"),
    ("read_executions_by_type", "nodes", "read"),
    ("read_nodes_by_type_and_name", "calls", "read"),
    ("read_artifacts_by_uri", "calls", "read"),
    ("read_contexts_by_artifact", "calls", "read"),
    ("read_contexts_by_execution", "calls", "read"),
    ("read_artifacts_by_context", "calls", "read"),
    ("read_executions_by_context", "calls", "read"),
    ("read_events_by_executions", "events", "read"),
    ("read_events_by_artifacts", "events", "read"),
    ("filter_by_property", "calls", "read"),
    ("filter_by_name", "calls", "read"),
    ("filter_uri_prefix", "calls", "read"),
    ("filter_context_join", "calls", "read"),
    ("filter_event_join", "calls", "read"),
    ("list_paged", "nodes", "read"),
    ("list_pipeline_paged", "nodes", "read"),
    ("list_context_paged", "nodes", "read"),
    ("page_through_artifacts", "nodes", "read"),
    ("filter_context_event_conj", "calls", "read"),
    ("filter_or_properties", "calls", "read"),
    ("filter_contains_like", "calls", "read"),
    ("list_type_first_page", "calls", "read"),
    ("walk_type_keyset", "nodes", "read"),
    ("page_filtered_join", "calls", "read"),
    ("filter_grammar_fuzz", "calls", "read"),
    ("lineage_2_hops", "calls", "read"),
    ("lineage_6_hops", "calls", "read"),
    ("lineage_upstream_20_hops", "calls", "read"),
    ("update_artifacts", "nodes", "write"),
    ("put_execution", "calls", "write"),
)
WORKLOAD_NAMES = tuple(name for name, _, _ in WORKLOADS)

# Operations per read workload (before the time budget cuts them short) and batch sizes. Our fast workloads
# get enough operations for 0.1-0.3 s of measured time: at 300 calls of 50 us, one scheduling hiccup on a
# shared machine moved a ratio by 10-40%. ("batches" also sizes update_artifacts, a write: left as it was.)
OPS = {"types": 900, "batches": 200, "by_type": 20, "points": 3000, "events": 1000, "filters": 1000,
       "pages": 120, "lineage": 60, "fuzz": 4000}
NODE_BATCH, EDGE_BATCH, ID_BATCH, EVENT_ID_BATCH = 100, 200, 100, 20
PAGE_THROUGH = 1000  # page_through_artifacts: artifacts a page (fewer in stores of under 50 pages)
KEYSET_PAGE = 100  # walk_type_keyset: artifacts a page
JOIN_PAGE, JOIN_PIPELINE = 20, 3  # page_filtered_join: 20 a page through one pipeline's artifacts (400 pages at medium)
PAGE_REPEATS = 5  # page_filtered_join: the first and the last page, timed again this many times each
PUBLISH_RUNS = 20  # put_execution: new runs published component by component


class Dataset:
    """The synthetic store of one scale and seed, and the operation plan of every workload."""

    def __init__(self, scale: str, seed: int = 17) -> None:
        self.scale = scale
        self.seed = seed
        self.runs = SCALES[scale]
        self.components = len(COMPONENTS)
        self.pipelines = min(PIPELINES, self.runs)
        self.publish_runs = min(PUBLISH_RUNS, max(2, self.runs // 4))
        self.n_contexts = self.pipelines + self.runs
        self.n_executions = self.runs * self.components
        self.n_artifacts = self.n_executions * 2
        self.n_edges = self.n_executions * 2 * 3  # each execution and its 2 outputs, to 2 contexts
        self.node_batch, self.edge_batch = NODE_BATCH, EDGE_BATCH
        self.page_through = max(10, min(PAGE_THROUGH, self.n_artifacts // 50))
        self.keyset_page = KEYSET_PAGE
        self.join_page, self.join_pipeline = JOIN_PAGE, JOIN_PIPELINE % self.pipelines

    @property
    def n_nodes(self) -> int:
        """Nodes in the base store."""
        return self.n_contexts + self.n_executions + self.n_artifacts

    @staticmethod
    def chunks(items: Iterable[T], size: int) -> Iterator[List[T]]:
        """Yields lists of up to `size` consecutive items."""
        batch: List[T] = []
        for item in items:
            batch.append(item)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    # Types -------------------------------------------------------------------------------------------------
    def types(self, kind: str) -> List[Tuple[str, Dict[str, int]]]:
        """The store's types of one kind, as (name, {property: PropertyType}), in insertion order."""
        if kind == ARTIFACT:
            main = {"span": INT, "version": INT, "split_names": STRING, "score": DOUBLE}
            return [(name, dict(main)) for name in OUTPUTS] + [(LOG_TYPE, {"span": INT, "lines": INT})]
        if kind == EXECUTION:
            return [(name, {"component_id": STRING, "attempt": INT, "duration": DOUBLE}) for name in COMPONENTS]
        return [("pipeline", {}), ("pipeline_run", {"pipeline_name": STRING})]

    def extra_types(self, kind: str) -> List[Tuple[str, Dict[str, int]]]:
        """Unrelated types fill_types also puts (mlmd_bench's FillTypes: N types with properties)."""
        kinds = (INT, DOUBLE, STRING)
        return [(f"bench.{kind}_type_{i:03d}", {f"p{j}": kinds[(i + j) % 3] for j in range(5)})
                for i in range(EXTRA_TYPES)]

    # Nodes ---------------------------------------------------------------------------------------------------
    def run_name(self, run: int) -> str:
        """The name of a run's context ("run-000017"), also the prefix of its nodes' names."""
        return f"run-{run:06d}"

    def pipeline_name(self, run: int) -> str:
        """The name of the pipeline context a run belongs to ("pipeline-01")."""
        return f"pipeline-{run % self.pipelines:02d}"

    def context(self, index: int) -> Tuple[int, str, Props]:
        """(type index, name, properties)."""
        if index < self.pipelines:
            return 0, f"pipeline-{index:02d}", {}
        run = index - self.pipelines
        return 1, self.run_name(run), {"pipeline_name": self.pipeline_name(run)}

    def execution(self, index: int, state: int = COMPLETE) -> Tuple[int, str, int, Props, Props]:
        """(type index, name, state, properties, custom properties); index = run*K + component."""
        run, comp = divmod(index, self.components)
        props: Props = {"component_id": COMPONENTS[comp], "attempt": 1, "duration": _fraction(index) * 600.0}
        custom: Props = {"pipeline_name": self.pipeline_name(run), "run_id": self.run_name(run)}
        return comp, f"{self.run_name(run)}.{COMPONENTS[comp]}", state, props, custom

    def node_row(self, kind: str, index: int) -> Tuple[int, str, Optional[str], Optional[int], Props, Props]:
        """(type index, name, uri, state, properties, custom properties) of node `index` of any kind: the one
        shape in which the floors write every kind."""
        if kind == CONTEXT:
            type_index, name, props = self.context(index)
            return type_index, name, None, None, props, {}
        if kind == EXECUTION:
            type_index, name, state, props, custom = self.execution(index)
            return type_index, name, None, state, props, custom
        return self.artifact(index)

    def artifact(self, index: int) -> Tuple[int, str, str, int, Props, Props]:
        """(type index, name, uri, state, properties, custom properties); index = (run*K + component)*2 + log."""
        execution, log = divmod(index, 2)
        run, comp = divmod(execution, self.components)
        base = f"/pipelines/{self.pipeline_name(run)}/{self.run_name(run)}/{COMPONENTS[comp]}"
        custom: Props = {"tfx_version": "1.15.0", "is_external": 0, "tag": self.tag(int(_fraction(index + 7) * TAGS))}
        if log:
            return (len(OUTPUTS), f"{self.run_name(run)}.{COMPONENTS[comp]}.log", f"{base}/log", LIVE,
                    {"span": run, "lines": 100 + index % 900}, custom)
        props: Props = {"span": run, "version": run % 7, "split_names": '["train", "eval"]',
                        "score": _fraction(index)}
        return comp, f"{self.run_name(run)}.{COMPONENTS[comp]}.{OUTPUTS[comp]}", f"{base}/{OUTPUTS[comp]}", LIVE, \
            props, custom

    def tag(self, number: int) -> str:
        """The name of tag `number` (0 ≤ number < TAGS)."""
        return f"tag-{number:02d}"

    def join_pages(self) -> int:
        """Pages of page_filtered_join: the artifacts of the runs of pipeline `join_pipeline`, `join_page` a page."""
        runs = len(range(self.join_pipeline, self.runs, self.pipelines))
        return max(1, -(-runs * self.components * 2 // self.join_page))

    def main_output(self, run: int, comp: int) -> int:
        """Artifact index of a component's main output (run may be a published run beyond the base store)."""
        return (run * self.components + comp) * 2

    def inputs(self, run: int, comp: int) -> List[Tuple[int, int]]:
        """(run, component) of each main output this component reads."""
        rng = random.Random(self.seed * 1_000_003 + run * 101 + comp)
        found = []
        if comp >= 1:
            found.append((run, comp - 1))
        if comp >= 2 and rng.random() < 0.5:
            found.append((run, rng.randrange(comp - 1)))
        if comp == self.components // 2 and run >= 1:
            found.append((rng.randrange(max(0, run - 3), run), comp))
        return found

    # Edges ---------------------------------------------------------------------------------------------------
    def context_edges(self) -> Iterator[Tuple[str, int, int]]:
        """("attribution", context, artifact) and ("association", context, execution), run by run."""
        for run in range(self.runs):
            for ctx in (run % self.pipelines, self.pipelines + run):
                for comp in range(self.components):
                    execution = run * self.components + comp
                    yield "association", ctx, execution
                    yield "attribution", ctx, execution * 2
                    yield "attribution", ctx, execution * 2 + 1

    def events(self) -> Iterator[Tuple[int, int, int, str]]:
        """(artifact, execution, event type, path key), inputs then outputs of each execution."""
        for run in range(self.runs):
            for comp in range(self.components):
                execution = run * self.components + comp
                for src_run, src_comp in self.inputs(run, comp):
                    yield self.main_output(src_run, src_comp), execution, INPUT, OUTPUTS[src_comp].lower()
                yield execution * 2, execution, OUTPUT, OUTPUTS[comp].lower()
                yield execution * 2 + 1, execution, OUTPUT, "log"

    # Operation plans -------------------------------------------------------------------------------------
    def plan(self, name: str) -> list:
        """The operations of one workload, drawn with a seed of their own (the same list on every side)."""
        rng = random.Random(f"{self.seed}:{name}")
        runs, comps = self.runs, self.components
        n_art, n_exe = self.n_artifacts, self.n_executions

        def sample(population: int, k: int) -> List[int]:
            return sorted(rng.sample(range(population), min(k, population)))

        if name == "read_types":
            kinds = (ARTIFACT, EXECUTION, CONTEXT)
            ops: list = []
            for i in range(OPS["types"]):
                kind = kinds[i % 3]
                names = [type_name for type_name, _ in self.types(kind)]
                ops.append((("all", "by_name", "by_id")[i // 3 % 3], kind, rng.choice(names),
                            sorted(rng.sample(range(len(names)), min(3, len(names))))))
            return ops
        if name == "read_artifacts_by_id":
            return [sample(n_art, ID_BATCH) for _ in range(OPS["batches"])]
        if name == "read_executions_by_id":
            return [sample(n_exe, ID_BATCH) for _ in range(OPS["batches"])]
        if name == "read_artifacts_by_type":
            return [rng.choice(OUTPUTS) for _ in range(OPS["by_type"])]
        if name == "read_executions_by_type":
            return [rng.choice(COMPONENTS) for _ in range(OPS["by_type"])]
        if name == "read_nodes_by_type_and_name":
            kinds = (ARTIFACT, EXECUTION, CONTEXT)
            sizes = (n_art, n_exe, self.n_contexts)
            return [(kinds[i % 3], rng.randrange(sizes[i % 3])) for i in range(OPS["points"])]
        if name in ("read_artifacts_by_uri", "read_contexts_by_artifact", "filter_by_name"):
            return [rng.randrange(n_art) for _ in range(OPS["filters" if name.startswith("filter") else "points"])]
        if name == "read_contexts_by_execution":
            return [rng.randrange(n_exe) for _ in range(OPS["points"])]
        if name in ("read_artifacts_by_context", "read_executions_by_context"):
            return [self.pipelines + rng.randrange(runs) for _ in range(OPS["points"])]
        if name == "read_events_by_executions":
            return [sample(n_exe, EVENT_ID_BATCH) for _ in range(OPS["events"])]
        if name == "read_events_by_artifacts":
            return [sample(n_art, EVENT_ID_BATCH) for _ in range(OPS["events"])]
        if name in ("filter_by_property", "filter_uri_prefix"):
            return [rng.randrange(runs) for _ in range(OPS["filters"])]
        if name == "filter_context_join":
            return [(rng.randrange(runs), rng.randrange(comps)) for _ in range(OPS["filters"])]
        if name == "filter_event_join":
            # Main outputs: each has one to three consumers.
            return [rng.randrange(n_exe) * 2 for _ in range(OPS["filters"])]
        if name == "list_paged":
            # The 250 artifacts with the highest ids up to a random artifact: 3 pages of MLMD's 100.
            return [(rng.randrange(n_art), 250) for _ in range(OPS["pages"])]
        if name == "list_pipeline_paged":
            return [(rng.randrange(self.pipelines), rng.randrange(comps), 100) for _ in range(OPS["pages"])]
        if name == "list_context_paged":
            return [(rng.randrange(self.pipelines), 100) for _ in range(OPS["pages"])]
        if name == "page_through_artifacts":
            return list(range(-(-n_art // self.page_through)))  # every page: the store's artifacts are known
        if name in ("filter_context_event_conj", "filter_contains_like"):
            return [rng.randrange(runs) for _ in range(OPS["filters"])]
        if name == "filter_or_properties":
            # (lo, tag): Models with lo <= span < lo + 10, or artifacts with the tag.
            return [(rng.randrange(max(1, runs - 10)), self.tag(rng.randrange(TAGS))) for _ in range(OPS["filters"])]
        if name == "list_type_first_page":
            return [rng.choice(OUTPUTS + (LOG_TYPE,)) for _ in range(OPS["filters"])]
        if name == "walk_type_keyset":
            # Page numbers from 0 (a walk starts at 0): one page first (the warm-up), then the whole walk through
            # the log artifacts (half the store), its last page short or empty.
            return [0] + list(range(n_exe // self.keyset_page + 1))
        if name == "page_filtered_join":
            # ("walk", n): page n by the previous page's token. Page 1 comes first twice (the first is the
            # warm-up), then the first and the last page alternate, from saved tokens, to time them again.
            last = self.join_pages()
            return ([("walk", 1)] + [("walk", page) for page in range(1, last + 1)]
                    + [("again", page) for _ in range(PAGE_REPEATS) for page in (1, last)])
        if name == "filter_grammar_fuzz":
            return filtergen.random_filters(self.vocabulary(rng), OPS["fuzz"], f"{self.seed}:{name}")
        if name in ("lineage_2_hops", "lineage_6_hops"):
            hops = 2 if name == "lineage_2_hops" else 6
            return [(self.main_output(rng.randrange(runs), rng.randrange(comps)), hops, "BIDIRECTIONAL")
                    for _ in range(OPS["lineage"])]
        if name == "lineage_upstream_20_hops":
            return [(self.main_output(rng.randrange(runs), comps - 1), 20, "UPSTREAM")
                    for _ in range(OPS["lineage"])]
        if name == "update_artifacts":
            return [sample(n_art, NODE_BATCH) for _ in range(OPS["batches"] // 4)]
        if name == "put_execution":
            # Each component of each new run registers (inputs, RUNNING) then publishes (outputs, COMPLETE).
            return [(phase, run, comp) for run in range(runs, runs + self.publish_runs)
                    for comp in range(comps) for phase in ("register", "publish")]
        raise KeyError(f"no plan for workload {name!r}; workloads are: {', '.join(WORKLOAD_NAMES)}")

    def vocabulary(self, rng: random.Random) -> filtergen.Vocabulary:
        """The names and values of this store that random filters draw from (samples of the nodes)."""
        n_art, n_exe = self.n_artifacts, self.n_executions
        artifacts = [self.artifact(rng.randrange(n_art)) for _ in range(40)]
        executions = [self.execution(rng.randrange(n_exe)) for _ in range(40)]
        contexts = [self.context(rng.randrange(self.n_contexts)) for _ in range(20)]
        kinds = (ARTIFACT, EXECUTION, CONTEXT)

        def values(rows: List[Props]) -> Dict[str, List[filtergen.Value]]:
            found: Dict[str, List[filtergen.Value]] = {}
            for props in rows:
                for key, value in props.items():  # short doubles: MLMD keeps about 15 digits of a double
                    found.setdefault(key, []).append(round(value, 3) if isinstance(value, float) else value)
            return found

        run = rng.randrange(self.runs)
        return filtergen.Vocabulary(
            type_names={kind: [name for name, _ in self.types(kind)] + [self.extra_types(kind)[0][0]] for kind in kinds},
            properties={ARTIFACT: values([a[4] for a in artifacts]), EXECUTION: values([e[3] for e in executions]),
                        CONTEXT: values([c[2] for c in contexts])},
            custom_properties={ARTIFACT: values([a[5] for a in artifacts]), EXECUTION: values([e[4] for e in executions]),
                               CONTEXT: {}},
            node_names={ARTIFACT: [a[1] for a in artifacts], EXECUTION: [e[1] for e in executions],
                        CONTEXT: [c[1] for c in contexts]},
            uris=[a[2] for a in artifacts],
            like_patterns={"name": [f"{self.run_name(run)}.%", "%.Trainer%", "%.log", "pipeline-0_", "run-00001%"],
                           "uri": [f"/pipelines/{self.pipeline_name(run)}/%", "%/Trainer/%", "%/log", "%Model"]},
            max_ids={ARTIFACT: n_art, EXECUTION: n_exe, CONTEXT: self.n_contexts},
            max_type_id=3 * (EXTRA_TYPES + 12),
        )


def _fraction(index: int) -> float:
    """A deterministic pseudo-random number in [0, 1) (a multiplicative hash, not `random`, so it is cheap)."""
    return (index * 2654435761 % 4294967296) / 4294967296.0


class NodeFills:
    """The node fill workloads of a floor: every kind written through the floor's own `_fill`, from
    `Dataset.node_row`, so the floors share what they write and differ only in how."""

    ids: Dict[str, List[int]]  # the floor's stored node ids by kind, in the dataset's order

    def edge_ids(self, batch: Sequence[Tuple[str, int, int]]) -> Tuple[List[tuple], List[tuple]]:
        """A batch of `Dataset.context_edges` as stored ids: ((context, artifact) attributions, (context,
        execution) associations)."""
        ctx, exe, art = self.ids[CONTEXT], self.ids[EXECUTION], self.ids[ARTIFACT]
        return ([(ctx[c], art[n]) for kind, c, n in batch if kind == "attribution"],
                [(ctx[c], exe[n]) for kind, c, n in batch if kind == "association"])

    def _fill(self, meter, kind: str, count: int, size: int, row) -> None:  # noqa: ANN001 - a Meter, i -> row
        raise NotImplementedError

    def fill_contexts(self, ds: Dataset, meter) -> None:  # noqa: ANN001 - a Meter
        self._fill(meter, CONTEXT, ds.n_contexts, ds.node_batch, lambda i: ds.node_row(CONTEXT, i))

    def fill_executions(self, ds: Dataset, meter) -> None:  # noqa: ANN001 - a Meter
        self._fill(meter, EXECUTION, ds.n_executions, ds.node_batch, lambda i: ds.node_row(EXECUTION, i))

    def fill_artifacts(self, ds: Dataset, meter) -> None:  # noqa: ANN001 - a Meter
        self._fill(meter, ARTIFACT, ds.n_artifacts, ds.node_batch, ds.artifact)
