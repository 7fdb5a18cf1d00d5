"""Client helpers for billing's gRPC API, importable without Django."""

from grpc_api.client.channel import bearer_metadata, open_channel
from grpc_api.client.cursors import CursorStore, FileCursorStore
from grpc_api.client.events import EventConsumer, event_payload

__all__ = [
    "CursorStore",
    "EventConsumer",
    "FileCursorStore",
    "bearer_metadata",
    "event_payload",
    "open_channel",
]
