"""Client helpers for billing's gRPC API, importable without Django."""

from grpc_api.client.billing import (
    BearerToken,
    authenticated_channel,
    connect_billing,
)
from grpc_api.client.channel import bearer_metadata, open_channel
from grpc_api.client.cursors import CursorStore, FileCursorStore
from grpc_api.client.errors import error_info, error_reason
from grpc_api.client.events import EventConsumer, event_payload
from grpc_api.client.reflection import describe_service, list_services

__all__ = [
    "BearerToken",
    "CursorStore",
    "EventConsumer",
    "FileCursorStore",
    "authenticated_channel",
    "bearer_metadata",
    "connect_billing",
    "describe_service",
    "error_info",
    "error_reason",
    "event_payload",
    "list_services",
    "open_channel",
]
