"""Servers inside the test process, one per fresh store, each on its own loopback port.

The API scenario tables build a fresh store for every case (scenario_kit.new_store); `LoopbackServers`
answers each such call with a client `MetadataStore` talking to a new server in front of a new in-memory
store, so every case runs through the whole gRPC path (client, wire, servicer, store) in isolation.
"""
from __future__ import annotations

from typing import Any, List

from fastmlmd.server import app
from fastmlmd.server.flags import ServerSettings
from ml_metadata import metadata_store
from ml_metadata._local import LocalService
from ml_metadata.proto import metadata_store_pb2 as pb


def settings(config: Any = None, **overrides: Any) -> ServerSettings:
    server_config = pb.MetadataStoreServerConfig()
    server_config.connection_config.fake_database.SetInParent()
    if config is not None:
        server_config.connection_config.CopyFrom(config)
    fields = dict(host="127.0.0.1", port=0, channel_arguments=[], config=server_config, connection_retries=0,
                  workers=4, shutdown_grace_seconds=5.0, log_requests=False)
    fields.update(overrides)
    return ServerSettings(**fields)


class LoopbackServers:
    """Starts a server per `new_store()`; `stop_all` stops every one."""

    def __init__(self) -> None:
        self.running: List[app.RunningServer] = []

    def new_store(self) -> metadata_store.MetadataStore:
        chosen = settings()
        running = app.start(chosen, LocalService(chosen.config.connection_config, enable_upgrade_migration=False))
        self.running.append(running)
        return metadata_store.MetadataStore(pb.MetadataStoreClientConfig(host="127.0.0.1", port=running.port))

    def stop_all(self) -> None:
        for running in self.running:
            running.stop(0)
        self.running.clear()
