"""One writer of test_server_kill.py: put_execution calls on a store of a database server (our MetadataStore, in
this process) that the test kills with -9 and starts again meanwhile, until the stop file appears.

    python kill_writer.py CONFIG_HEX WRITER_INDEX OUT_FILE STOP_FILE

One MetadataStore object makes every call, across the restart. Every call's outcome is appended to OUT_FILE
as one JSON line as soon as it is known: the execution's name, "ok" with the ids returned and what a read
of them gave back, or the error's class and message. Retries are off, so each outcome is one attempt's.
"""
import json
import os
import sys
import time

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

OUTPUTS = 2


def main(config_hex: str, index: int, out_path: str, stop_path: str) -> None:
    config = pb.ConnectionConfig.FromString(bytes.fromhex(config_hex))
    config.retry_options.max_num_retries = 0  # one attempt a call: its outcome is what the store did with it
    store = metadata_store.MetadataStore(config)
    model = store.get_artifact_type("Model").id
    train = store.get_execution_type("Train").id
    run = store.get_context_type("Run").id
    n = 0
    with open(out_path, "a") as out:
        while not os.path.exists(stop_path):
            n += 1
            name = f"w{index}-{n}"
            pairs = [(pb.Artifact(type_id=model, uri=f"gs://{name}/{k}"), pb.Event(type=pb.Event.OUTPUT))
                     for k in range(OUTPUTS)]
            record: dict = {"name": name}
            try:
                execution_id, artifact_ids, context_ids = store.put_execution(
                    pb.Execution(type_id=train, name=name), pairs,
                    [pb.Context(type_id=run, name=f"run{index}"), pb.Context(type_id=run, name="shared")],
                    reuse_context_if_already_exist=True)
                record["ok"] = [execution_id, list(artifact_ids), list(context_ids)]
                record["read"] = sorted(a.uri for a in store.get_artifacts_by_id(artifact_ids))
            except errors.StatusError as exc:
                record["error"] = type(exc).__name__
                record["message"] = str(exc)[:500]
                time.sleep(0.01)  # the server is away: leave the cores to its restart
            out.write(json.dumps(record) + "\n")
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
