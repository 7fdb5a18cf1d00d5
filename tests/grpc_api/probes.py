"""Health and reflection calls made through the channel's generic methods.

The stubs of grpcio-health-checking and grpcio-reflection do not declare their
clients' methods; the generic calls are typed and send the same messages.
"""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2


def health_status(channel: grpc.Channel, service: str = "") -> int:
    """`grpc.health.v1.Health/Check` for `service` ("" is the whole server)."""
    check = channel.unary_unary(
        "/grpc.health.v1.Health/Check",
        request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
        response_deserializer=health_pb2.HealthCheckResponse.FromString,
    )
    response = check(health_pb2.HealthCheckRequest(service=service), timeout=10)
    return int(response.status)


def reflect(
    channel: grpc.Channel, request: reflection_pb2.ServerReflectionRequest
) -> reflection_pb2.ServerReflectionResponse:
    """One request to server reflection and its one answer."""
    info = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    (response,) = info(iter([request]), timeout=10)
    return response
