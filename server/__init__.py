"""fastmlmd's gRPC metadata store server: `python -m fastmlmd.server`, a drop-in for MLMD's metadata_store_server.

Needs the server extra (`pip install 'fastmlmd[server]'`): grpcio and grpcio-health-checking.
"""
