"""One client of test_fault.py: put_execution calls (and a read of what each wrote) against a server that the
test kills and restarts meanwhile, until the stop file appears.

    python fault_client.py ADDRESS CLIENT_INDEX OUT_FILE STOP_FILE

Every call's outcome is appended to OUT_FILE as one JSON line as soon as it is known: the execution's name,
"ok" with the ids the server returned, or the error class. Retries are off, so each outcome is the one
attempt's: a failed put_execution either wrote everything or nothing, which the test then checks.
"""
import json
import os
import sys
import time

from ml_metadata import errors, metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb


def main(address: str, index: int, out_path: str, stop_path: str) -> None:
    host, port = address.rsplit(":", 1)
    store = metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host=host, port=int(port)))
    store._service.max_num_retries = 0  # one attempt a call: its outcome is what the server did with it
    model = store.get_artifact_type("Model").id
    train = store.get_execution_type("Train").id
    run = store.get_context_type("Run").id
    n = 0
    with open(out_path, "a") as out:
        while not os.path.exists(stop_path):
            n += 1
            name = f"c{index}-{n}"
            pairs = [(pb.Artifact(type_id=model, uri=f"gs://{name}/{k}"), pb.Event(type=pb.Event.OUTPUT))
                     for k in range(2)]
            record = {"name": name}
            try:
                execution_id, artifact_ids, context_ids = store.put_execution(
                    pb.Execution(type_id=train, name=name), pairs, [pb.Context(type_id=run, name=f"run{index}")],
                    reuse_context_if_already_exist=True)
                record.update(ok=[execution_id, list(artifact_ids), list(context_ids)])
                read = store.get_artifacts_by_id(artifact_ids)
                record["read"] = sorted(a.uri for a in read)
            except errors.StatusError as exc:
                record["error"] = type(exc).__name__
                time.sleep(0.01)  # the server is down: leave the cores to its restart
            out.write(json.dumps(record) + "\n")
            out.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
