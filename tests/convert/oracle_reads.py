"""Makes store_reads.py's recorded calls on stores, in the oracle's interpreter, or creates empty stores.

Usage: python oracle_reads.py OUT.json (CALLS.json STORE.db)...   answers of each store to its calls
       python oracle_reads.py --create STORE.db...                 empty stores made by ml-metadata
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ml_metadata import metadata_store  # noqa: E402
from store_reads import config, run_calls  # noqa: E402

if __name__ == "__main__":
    if sys.argv[1] == "--create":
        for path in sys.argv[2:]:
            metadata_store.MetadataStore(config(path))
    else:
        pairs = sys.argv[2:]
        out = []
        for calls_path, store_path in zip(pairs[::2], pairs[1::2]):
            with open(calls_path, encoding="utf-8") as fh:
                calls = json.load(fh)["calls"]
            out.append(run_calls(metadata_store.MetadataStore(config(store_path)), calls))
        with open(sys.argv[1], "w", encoding="utf-8") as fh:
            json.dump(out, fh)
