"""Channels to the billing gRPC server and the metadata every call carries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc


def open_channel(
    target: str, *, options: Sequence[tuple[str, Any]] = ()
) -> grpc.Channel:
    """A plaintext channel to `target` (`host:port`); TLS ends at the proxy in front.

    A channel reconnects by itself; keep one per process and close it at the end.
    """
    return grpc.insecure_channel(target, options=list(options))


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    """The `authorization` metadata of a call made with `token` (none when empty)."""
    return (("authorization", f"Bearer {token}"),) if token else ()
