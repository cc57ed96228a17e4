"""Benchmarks: the mlmd_bench-like workload runner (`python -m fastmlmd.bench`) and its raw-SQLite floor.

`data`, `meter`, `workloads` and `floor` import only the standard library and the public `ml_metadata` API:
the runner ships them by path to an interpreter that has the real ml-metadata, so one workload code measures
both implementations.
"""
