"""Builds the gRPC server: the services, health, reflection, limits and logging.

An RPC not built yet is inherited from the generated base class and answers
UNIMPLEMENTED; reflection already lists the whole contract.
"""

from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass

import grpc
from django.conf import settings
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

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
)
from grpc_api.servicers.auth import AuthServicer
from grpc_api.servicers.billing import BillingServicer

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
    health: DatabaseHealthServicer
    port: int

    def start(self) -> None:
        self.health.start()
        self.server.start()

    def stop(self, grace: float | None = None) -> None:
        """Refuse new calls, let calls in flight finish for `grace` seconds, end."""
        self.health.stop()
        if grace is None:
            grace = settings.GRPC_SHUTDOWN_GRACE_SECONDS
        self.server.stop(grace).wait()


def build_server(*, host: str = "[::]", port: int | None = None) -> GrpcServer:
    """The server on `host:port` (port 0: a free one, see `GrpcServer.port`)."""
    max_message = settings.GRPC_MAX_MESSAGE_BYTES
    server = grpc.server(
        futures.ThreadPoolExecutor(
            max_workers=settings.GRPC_MAX_WORKERS, thread_name_prefix="grpc"
        ),
        interceptors=[
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
    # The generated bases answer UNIMPLEMENTED; the stubs call them abstract.
    billing_pb2_grpc.add_BillingServiceServicer_to_server(
        BillingServicer(),  # type: ignore[abstract]
        server,
    )
    events_pb2_grpc.add_EventServiceServicer_to_server(
        events_pb2_grpc.EventServiceServicer(),  # type: ignore[abstract]
        server,
    )
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
    return GrpcServer(server=server, health=health_servicer, port=bound)
