"""Runs the server: opens the store, serves MetadataStoreService and gRPC health, drains on SIGTERM.

* The store is opened once at start (schema created, upgraded or downgraded as the migration options say),
  with `--metadata_store_connection_retries` retries while opening aborts, as MLMD's server does.
* Calls run on a thread pool. A store in memory is one connection that every thread shares (it exists only
  there); any other store gets a connection per thread, so reads run side by side (StorePool).
* A call whose client set a deadline runs under it (engine/retry.py, caller_deadline): once it passes, the
  store stops the call's statements and rolls it back, so a client that gave up finds nothing half-done.
* TLS as `MetadataStoreServerConfig.ssl_config` says: server key and certificate, and with `client_verify`
  a client certificate signed by `custom_ca` is required.
* SIGTERM or SIGINT: health turns NOT_SERVING, new calls are refused, calls in flight get
  `--shutdown_grace_seconds` to finish, then the store is closed.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent import futures
from typing import Any, Callable, Dict, List, Optional

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from fastmlmd.engine import retry
from ml_metadata import errors
from ml_metadata._local import LocalService
from ml_metadata._rpcs import SERVICE_NAME, request_class
from ml_metadata.metadata_store import downgrade_schema
from ml_metadata.proto import metadata_store_pb2 as pb

from .flags import ServerSettings
from .servicer import Handler, Servicer

logger = logging.getLogger("fastmlmd.server")
# A deadline further off than this is gRPC's "none" (time_remaining() is then about 9.2e18 seconds).
NO_DEADLINE_SECONDS = 10 * 365 * 24 * 3600.0
_STATUS_BY_CODE = {status.value[0]: status for status in grpc.StatusCode}


def in_memory(config: pb.ConnectionConfig) -> bool:
    """Whether the store lives only in this connection (so every thread must share it)."""
    which = config.WhichOneof("config")
    return which == "fake_database" or (which == "sqlite" and config.sqlite.filename_uri in ("", ":memory:"))


class StorePool:
    """The store each serving thread uses: the one opened at start, or the thread's own connection to it."""

    def __init__(self, first: LocalService, config: pb.ConnectionConfig) -> None:
        self._first = first
        self._config = config
        self._shared = in_memory(config)
        self._local = threading.local()
        self._opened: List[LocalService] = [first]
        self._lock = threading.Lock()

    def __call__(self) -> LocalService:
        if self._shared:
            return self._first
        store: Optional[LocalService] = getattr(self._local, "store", None)
        if store is None:
            # Opened once for every call this thread will serve: not cut short by the first one's deadline.
            with retry.caller_deadline(None):
                store = LocalService(self._config, enable_upgrade_migration=False)  # migrated at start
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._opened:
                store.close()
            self._opened.clear()


def open_store(settings: ServerSettings) -> LocalService:
    """The store the config names, migrated as asked; opening is retried while it aborts (as MLMD)."""
    connection = settings.config.connection_config
    upgrade = settings.config.migration_options.enable_upgrade_migration
    for attempt in range(settings.connection_retries + 1):
        try:
            return LocalService(connection, upgrade)
        except errors.AbortedError as exc:
            if attempt == settings.connection_retries:
                raise
            logger.warning("Connection Aborted with error: %s; retry attempt %d", exc.message, attempt)
    raise AssertionError("unreachable")


def _serialize(response: Any) -> bytes:
    return response if isinstance(response, bytes) else response.SerializeToString()


def _deadline(context: grpc.ServicerContext) -> Optional[float]:
    """Seconds left until the client's deadline; None when it set none (gRPC then counts to the end of time)."""
    remaining = context.time_remaining()
    return None if remaining is None or remaining > NO_DEADLINE_SECONDS else remaining


def _rpc(name: str, handler: Handler, log_requests: bool) -> Callable[[Any, grpc.ServicerContext], Any]:
    """The handler as gRPC calls it: ml_metadata errors become the status of their code."""
    def serve(request: Any, context: grpc.ServicerContext) -> Any:
        started = time.perf_counter()
        status = grpc.StatusCode.OK
        try:
            # The client's deadline bounds the call's work here too: past it, the store stops and rolls back.
            with retry.caller_deadline(_deadline(context)):
                return handler(request)
        except errors.StatusError as exc:
            status = _STATUS_BY_CODE.get(exc.error_code, grpc.StatusCode.UNKNOWN)
            context.abort(status, exc.message)
        except (TypeError, ValueError) as exc:  # a request field the store cannot take
            status = grpc.StatusCode.INVALID_ARGUMENT
            context.abort(status, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - reported to the caller, and logged here with its traceback
            status = grpc.StatusCode.INTERNAL
            logger.exception("%s failed", name)
            context.abort(status, f"{type(exc).__name__}: {exc}")
        finally:
            if log_requests:
                logger.info("%s from %s: %s in %.1f ms", name, context.peer(), status.name,
                            (time.perf_counter() - started) * 1000)
    return serve


def _credentials(ssl: pb.MetadataStoreServerConfig.SSLConfig) -> grpc.ServerCredentials:
    if ssl.client_verify and not ssl.custom_ca:
        raise ValueError("ssl_config.client_verify needs ssl_config.custom_ca: the CA that signs client certificates")
    return grpc.ssl_server_credentials(
        [(ssl.server_key.encode("ascii"), ssl.server_cert.encode("ascii"))],
        root_certificates=ssl.custom_ca.encode("ascii") if ssl.custom_ca else None,
        require_client_auth=ssl.client_verify)


class RunningServer:
    """A started server: its port, its health, and `stop` (drain, then close the store)."""

    def __init__(self, server: grpc.Server, port: int, health_servicer: health.HealthServicer,
                 pool: StorePool) -> None:
        self.server, self.port, self.health, self._pool = server, port, health_servicer, pool

    def stop(self, grace_seconds: float) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace_seconds).wait()
        self._pool.close()


def start(settings: ServerSettings, store: LocalService) -> RunningServer:
    """Serves `store` on the settings' address; returns once it listens."""
    pool = StorePool(store, settings.config.connection_config)
    servicer = Servicer(pool)
    handlers: Dict[str, grpc.RpcMethodHandler] = {
        name: grpc.unary_unary_rpc_method_handler(
            _rpc(name, handler, settings.log_requests), request_deserializer=request_class(name).FromString,
            response_serializer=_serialize)
        for name, handler in servicer.handlers.items()}
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="mlmd"),
                         options=settings.channel_arguments)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"{settings.host}:{settings.port}"
    if settings.config.HasField("ssl_config"):
        port = server.add_secure_port(address, _credentials(settings.config.ssl_config))
    else:
        port = server.add_insecure_port(address)
    server.start()
    for service in ("", SERVICE_NAME):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server, port, health_servicer, pool)


def run(settings: ServerSettings) -> int:
    """Opens the store and serves it until SIGTERM or SIGINT; returns the exit status."""
    connection = settings.config.connection_config
    downgrade_to = settings.config.migration_options.downgrade_to_schema_version
    if settings.config.migration_options.HasField("downgrade_to_schema_version") and downgrade_to >= 0:
        downgrade_schema(connection, downgrade_to)
        logger.info("Downgraded the store's schema to version %d; not serving (as MLMD's server)", downgrade_to)
        return 0
    if connection.WhichOneof("config") == "fake_database":
        logger.warning("The connection_config is not given. Using in memory fake database, any metadata will not "
                       "be persistent")
    store = open_store(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    running = start(settings, store)
    scheme = "TLS" if settings.config.HasField("ssl_config") else "insecure"
    logger.info("Server listening on %s:%d (%s, %d workers)", settings.host, running.port, scheme, settings.workers)
    while not stop.wait(0.5):
        pass
    logger.info("Shutting down: draining calls in flight for up to %gs", settings.shutdown_grace_seconds)
    running.stop(settings.shutdown_grace_seconds)
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Python restores the default action while it finalizes: a repeated signal would then turn this
        # clean exit into death by signal.
        signal.signal(signum, signal.SIG_IGN)
    logger.info("Server stopped")
    return 0
