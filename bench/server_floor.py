"""The floor of a write call on a database server: the same rows written by the raw driver in the fewest round
trips our schema allows, one transaction a call, side by side with our store making the same call.

`python -m fastmlmd.bench.server_floor --backend postgresql|mysql`. Three calls, each timed in rounds that
alternate floor and ours (the machine is shared: every round is printed):

- put_execution: a component publishing, 2 new artifacts (a property and a custom property each) with their
  OUTPUT events, its execution updated, linked to 2 stored contexts. Floor: BEGIN, the write lock and one read
  (the next ids and the stored execution) in one round trip; every write and COMMIT in a second.
- fill_artifacts: 100 new artifacts with 2 property rows each. Floor: the next id in one round trip, the
  rows and COMMIT in a second.
- put_type: a new artifact type with 2 properties. Floor: the look-up (is it stored?) in one round trip, then
  BEGIN, the write lock, the type, its properties (the id taken from the row just written) and COMMIT in a
  second.

COMMIT's flush to disk is in every call of both sides; the server's durability settings are left as they are.
Round trips are batched with psycopg's pipeline mode and PyMySQL's multi-statement packets, as our backends do.
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any, Callable, Dict, List, Tuple

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from fastmlmd.bench.workloads import drop_server_database, server_config

BODY = bytes(range(60))  # an encoded node's size, about


class _Floor:
    """The raw driver on the store's database: each call's statements in as few round trips as the schema allows."""

    def __init__(self, backend: str, database: str, server: str) -> None:
        host, port, user = server.split(":")
        self.backend = backend
        self.conn: Any
        if backend == "postgresql":
            import psycopg

            self.conn = psycopg.connect(host=host, port=int(port), user=user, dbname=database, autocommit=True)
        else:
            import pymysql
            from pymysql.constants import CLIENT

            self.conn = pymysql.connect(host=host, port=int(port), user=user, database=database, autocommit=True,
                                        binary_prefix=True, client_flag=CLIENT.MULTI_STATEMENTS)
        self.now = int(time.time() * 1000)

    def call(self, first: List[Tuple[str, tuple]], second: Callable[[List[Any]], List[Tuple[str, tuple]]]) -> None:
        """Sends `first` in one round trip (its last statement's rows go to `second`), then the statements
        `second` makes and COMMIT in another."""
        if self.backend == "postgresql":
            with self.conn.pipeline():
                cur = self.conn.cursor()
                for sql, params in first[:-1]:
                    cur.execute(sql, params or None)
                reading = self.conn.cursor()  # its own cursor: the queued statements' results go to the other
                reading.execute(first[-1][0], first[-1][1] or None)
                rows = reading.fetchall()
                for sql, params in second(rows):
                    cur.execute(sql, params or None)
                cur.execute("COMMIT")
            return
        cur = self.conn.cursor()
        cur.execute(";\n".join(cur.mogrify(sql, params) for sql, params in first))
        while cur.nextset():
            pass
        rows = list(cur.fetchall() or [])
        cur.execute(";\n".join([*(cur.mogrify(sql, params) for sql, params in second(rows)), "COMMIT"]))
        while cur.nextset():
            pass

    def begin(self) -> List[Tuple[str, tuple]]:
        lock = ("UPDATE fastmlmd_write_lock SET writes = writes + 1 WHERE id = 1", ())
        if self.backend == "postgresql":
            return [("BEGIN ISOLATION LEVEL READ COMMITTED", ()), lock]
        return [("START TRANSACTION", ()), lock]

    def put_execution(self, type_ids: Dict[str, int], execution_id: int, context_ids: List[int], serial: int) -> None:
        self.call(self.begin() + [(
            "SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM artifact), (SELECT COALESCE(MAX(id), 0) + 1 FROM event), "
            "(SELECT body FROM execution WHERE id = %s)", (execution_id,))],
            lambda rows: self._publish(rows[0], type_ids, execution_id, context_ids, serial))

    def _publish(self, row: Any, type_ids: Dict[str, int], execution_id: int, context_ids: List[int],
                 serial: int) -> List[Tuple[str, tuple]]:
        next_artifact, next_event, _ = row
        now = self.now
        artifacts = [next_artifact, next_artifact + 1]
        rows: List[Tuple[str, tuple]] = [
            ("INSERT INTO artifact (id, type_id, uri, state, name, external_id, create_time, update_time, body) "
             "VALUES (%s, %s, %s, 2, %s, NULL, %s, %s, %s), (%s, %s, %s, 2, %s, NULL, %s, %s, %s)",
             tuple(v for i, a in enumerate(artifacts) for v in (a, type_ids["artifact"], f"/floor/{serial}/{i}",
                                                                 f"floor-{serial}-{i}", now, now, BODY))),
            ("INSERT INTO artifact_property (node_id, is_custom, name, kind, int_value, double_value, string_value, "
             "bool_value) VALUES " + ", ".join(["(%s, %s, %s, %s, %s, NULL, %s, NULL)"] * 4),
             tuple(v for a in artifacts for row in ((a, 0, "span", 1, 7, None), (a, 1, "tag", 3, None, "nightly"))
                   for v in row)),
            ("UPDATE execution SET last_known_state = 3, update_time = %s, body = %s WHERE id = %s",
             (now, BODY, execution_id)),
            ("INSERT INTO event (id, artifact_id, execution_id, type, milliseconds_since_epoch, body) VALUES "
             "(%s, %s, %s, 4, %s, %s), (%s, %s, %s, 4, %s, %s)",
             tuple(v for i, a in enumerate(artifacts) for v in (next_event + i, a, execution_id, now, BODY))),
            (self._insert_or_ignore("attribution", "artifact_id", 4),
             tuple(v for c in context_ids for a in artifacts for v in (c, a))),
            (self._insert_or_ignore("association", "execution_id", 2),
             tuple(v for c in context_ids for v in (c, execution_id))),
        ]
        return rows

    def _insert_or_ignore(self, table: str, column: str, count: int) -> str:
        values = ", ".join(["(%s, %s)"] * count)
        if self.backend == "postgresql":
            return f"INSERT INTO {table} (context_id, {column}) VALUES {values} ON CONFLICT DO NOTHING"
        return f"INSERT INTO {table} (context_id, {column}) VALUES {values} ON DUPLICATE KEY UPDATE context_id = context_id"

    def fill_artifacts(self, type_id: int, serial: int) -> None:
        self.call(self.begin() + [("SELECT COALESCE(MAX(id), 0) + 1 FROM artifact", ())],
                  lambda rows: self._fill_rows(rows[0][0], type_id, serial))

    def _fill_rows(self, next_id: int, type_id: int, serial: int) -> List[Tuple[str, tuple]]:
        now, ids = self.now, range(next_id, next_id + 100)
        return [
            ("INSERT INTO artifact (id, type_id, uri, state, name, external_id, create_time, update_time, body) "
             "VALUES " + ", ".join(["(%s, %s, %s, 2, %s, NULL, %s, %s, %s)"] * 100),
             tuple(v for a in ids for v in (a, type_id, f"/fill/{serial}/{a}", f"fill-{serial}-{a}", now, now, BODY))),
            ("INSERT INTO artifact_property (node_id, is_custom, name, kind, int_value, double_value, string_value, "
             "bool_value) VALUES " + ", ".join(["(%s, %s, %s, %s, %s, NULL, %s, NULL)"] * 200),
             tuple(v for a in ids for row in ((a, 0, "span", 1, 7, None), (a, 1, "tag", 3, None, "nightly"))
                   for v in row)),
        ]

    def put_type(self, name: str) -> None:
        if self.backend == "postgresql":
            insert = ("WITH t AS (INSERT INTO type (id, kind, name) SELECT COALESCE(MAX(id), 0) + 1, 1, %s FROM type "
                      "RETURNING id) INSERT INTO type_property (type_id, name, data_type) "
                      "SELECT id, p.name, p.data_type FROM t, (VALUES ('span', 1), ('tag', 3)) AS p(name, data_type)")
            props: List[Tuple[str, tuple]] = []
        else:
            insert = "INSERT INTO type (kind, name) VALUES (1, %s)"
            props = [("INSERT INTO type_property (type_id, name, data_type) VALUES (LAST_INSERT_ID(), 'span', 1), "
                      "(LAST_INSERT_ID(), 'tag', 3)", ())]
        lookup = [("SELECT id FROM type WHERE kind = 1 AND name = %s", (name,))]
        self.call(lookup, lambda rows: self.begin() + [(insert, (name,))] + props)


def _rates(label: str, rounds: int, per_round: int, floor: Callable[[int], None], ours: Callable[[int], None]
           ) -> Dict[str, List[float]]:
    found: Dict[str, List[float]] = {"floor": [], "ours": []}
    serial = 0
    for _ in range(rounds):
        for side, call in (("floor", floor), ("ours", ours)):
            started = time.perf_counter()
            for _ in range(per_round):
                call(serial)
                serial += 1
            found[side].append(per_round / (time.perf_counter() - started))
    ratios = [o / f for o, f in zip(found["ours"], found["floor"])]
    print(f"{label}: calls/s floor {['%.0f' % r for r in found['floor']]} ours {['%.0f' % r for r in found['ours']]}; "
          f"ours/floor per round {['%.2f' % r for r in ratios]}, median {statistics.median(ratios):.2f}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "mysql"), required=True)
    parser.add_argument("--server", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=40, help="calls per side per round")
    args = parser.parse_args()
    server = args.server or ("127.0.0.1:5432:postgres" if args.backend == "postgresql" else "127.0.0.1:3306:root")
    database = f"fastmlmd_floor_{uuid.uuid4().hex[:8]}"
    store = metadata_store.MetadataStore(server_config(args.backend, server, database))
    try:
        model = pb.ArtifactType(name="Model", properties={"span": pb.INT})
        type_ids = {"artifact": store.put_artifact_type(model),
                    "execution": store.put_execution_type(pb.ExecutionType(name="Trainer")),
                    "context": store.put_context_type(pb.ContextType(name="run"))}
        floor = _Floor(args.backend, database, server)
        contexts = store.get_contexts_by_id(store.put_contexts(
            [pb.Context(type_id=type_ids["context"], name=n) for n in ("pipeline", "run")]))
        executions = store.put_executions([pb.Execution(type_id=type_ids["execution"]) for _ in range(2)])
        stored_execution = store.get_executions_by_id(executions[:1])[0]

        def ours_put_execution(serial: int) -> None:
            pairs = []
            for i in range(2):
                artifact = pb.Artifact(type_id=type_ids["artifact"], uri=f"/ours/{serial}/{i}", name=f"ours-{serial}-{i}",
                                       state=pb.Artifact.LIVE)
                artifact.properties["span"].int_value = 7
                artifact.custom_properties["tag"].string_value = "nightly"
                pairs.append((artifact, pb.Event(type=pb.Event.OUTPUT)))
            stored_execution.last_known_state = pb.Execution.COMPLETE if serial % 2 else pb.Execution.RUNNING
            store.put_execution(stored_execution, pairs, contexts)

        def ours_fill(serial: int) -> None:
            batch = []
            for i in range(100):
                artifact = pb.Artifact(type_id=type_ids["artifact"], uri=f"/ours-fill/{serial}/{i}",
                                       name=f"ours-fill-{serial}-{i}", state=pb.Artifact.LIVE)
                artifact.properties["span"].int_value = 7
                artifact.custom_properties["tag"].string_value = "nightly"
                batch.append(artifact)
            store.put_artifacts(batch)

        def ours_type(serial: int) -> None:
            store.put_artifact_type(pb.ArtifactType(name=f"ours-{serial}", properties={"span": pb.INT, "tag": pb.STRING}))

        print(f"backend {args.backend} at {server}, {args.rounds} rounds of {args.calls} calls a side")
        _rates("put_execution", args.rounds, args.calls,
               lambda s: floor.put_execution(type_ids, executions[1], [c.id for c in contexts], s), ours_put_execution)
        _rates("fill_artifacts (100 a call)", args.rounds, max(args.calls // 4, 1),
               lambda s: floor.fill_artifacts(type_ids["artifact"], s), ours_fill)
        _rates("put_type", args.rounds, args.calls, lambda s: floor.put_type(f"floor-{s}"), ours_type)
    finally:
        store._engine.close()  # the database is dropped below: no session may hold it
        drop_server_database(args.backend, server, database)


if __name__ == "__main__":
    main()
