"""Builds the gRPC server: the services, health, reflection, limits, metrics, logging.

An RPC not built yet is inherited from the generated base class and answers
UNIMPLEMENTED; reflection already lists the whole contract.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from django.conf import settings
from django.db import connections
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from billing.event_wakeups import EventWakeups
from grpc_api.generated.auth.v1 import auth_pb2, auth_pb2_grpc
from grpc_api.generated.billing.v1 import (
    billing_pb2,
    billing_pb2_grpc,
    events_pb2,
    events_pb2_grpc,
)
from grpc_api.health import DatabaseHealthServicer
from grpc_api.interceptors import (
    AccessLogInterceptor,
    AuthenticationInterceptor,
    ErrorInterceptor,
    RequestIdInterceptor,
)
from grpc_api.metrics import MetricsInterceptor
from grpc_api.servicers.auth import AuthServicer
from grpc_api.servicers.billing import BillingServicer
from grpc_api.servicers.events import EventServicer

# The services this server answers, by full name (as clients and reflection see them).
SERVICE_NAMES: tuple[str, ...] = (
    billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name,
    events_pb2.DESCRIPTOR.services_by_name["EventService"].full_name,
    auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name,
)


@dataclass
class GrpcServer:
    """A built server bound to its port; `start()` serves, `stop()` drains."""

    server: grpc.Server
    pool: futures.ThreadPoolExecutor
    pool_size: int
    health: DatabaseHealthServicer
    events: EventServicer
    wakeups: EventWakeups
    port: int
    # Set by `stop()`: every event stream ends with UNAVAILABLE at once.
    shutdown: threading.Event = field(default_factory=threading.Event)
    # Stopping twice is harmless: the second time finds the pool closed.
    pool_closed: bool = False

    def start(self) -> None:
        self.health.start()
        self.wakeups.start()
        self.server.start()

    def stop(self, grace: float | None = None) -> None:
        """Refuse new calls, let calls in flight finish for `grace` seconds, end.

        Event streams never finish on their own: they end at once with UNAVAILABLE,
        which tells their clients to reconnect (elsewhere) with their last cursor.
        """
        self.health.stop()
        self.shutdown.set()
        self.wakeups.wake_all()
        if grace is None:
            grace = settings.GRPC_SHUTDOWN_GRACE_SECONDS
        self.server.stop(grace).wait()
        self.wakeups.stop()
        if not self.pool_closed:
            self.pool_closed = True
            close_pool_connections(self.pool, size=self.pool_size)


def close_pool_connections(pool: futures.ThreadPoolExecutor, *, size: int) -> None:
    """Close the database connections that the pool's threads hold, and the pool.

    Each serving thread keeps its own connection open between calls (CONN_MAX_AGE);
    only that thread may close it. One task per thread, held at a barrier until
    all have started (so that no thread takes two), closes each.
    """
    everyone_started = threading.Barrier(size)

    def close_own_connections() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            everyone_started.wait(timeout=5)
        connections.close_all()

    for task in [pool.submit(close_own_connections) for _ in range(size)]:
        task.result()
    pool.shutdown(wait=True)


def build_server(*, host: str = "[::]", port: int | None = None) -> GrpcServer:
    """The server on `host:port` (port 0: a free one, see `GrpcServer.port`)."""
    max_message = settings.GRPC_MAX_MESSAGE_BYTES
    pool_size = settings.GRPC_MAX_WORKERS
    pool = futures.ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="grpc")
    server = grpc.server(
        pool,
        interceptors=[
            MetricsInterceptor(),
            RequestIdInterceptor(),
            AccessLogInterceptor(),
            AuthenticationInterceptor(),
            ErrorInterceptor(),
        ],
        options=[
            ("grpc.max_concurrent_streams", settings.GRPC_MAX_CONCURRENT_STREAMS),
            ("grpc.max_receive_message_length", max_message),
            ("grpc.max_send_message_length", max_message),
        ],
    )
    billing_pb2_grpc.add_BillingServiceServicer_to_server(BillingServicer(), server)
    shutdown = threading.Event()
    wakeups = EventWakeups()
    events = EventServicer(
        wakeups=wakeups,
        shutdown=shutdown,
        batch_size=settings.GRPC_EVENTS_BATCH_SIZE,
        idle_seconds=settings.GRPC_EVENTS_REPOLL_SECONDS
        if wakeups.listens
        else settings.GRPC_EVENTS_POLL_SECONDS,
    )
    events_pb2_grpc.add_EventServiceServicer_to_server(events, server)
    auth_pb2_grpc.add_AuthServiceServicer_to_server(AuthServicer(), server)
    health_servicer = DatabaseHealthServicer(
        list(SERVICE_NAMES), interval=settings.GRPC_HEALTH_CHECK_INTERVAL_SECONDS
    )
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    health_name = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
    reflection.enable_server_reflection(
        (*SERVICE_NAMES, health_name, reflection.SERVICE_NAME), server
    )
    bound = server.add_insecure_port(
        f"{host}:{settings.GRPC_PORT if port is None else port}"
    )
    return GrpcServer(
        server=server,
        pool=pool,
        pool_size=pool_size,
        health=health_servicer,
        events=events,
        wakeups=wakeups,
        port=bound,
        shutdown=shutdown,
    )
