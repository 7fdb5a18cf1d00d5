"""A gRPC server in this process on a free port, and a channel to it."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from grpc_api.server import GrpcServer, build_server


@pytest.fixture
def server() -> Iterator[GrpcServer]:
    """Needs `django_db(transaction=True)`: its threads read committed rows only."""
    built = build_server(host="127.0.0.1", port=0)
    built.start()
    yield built
    built.stop(grace=0)


@pytest.fixture
def channel(server: GrpcServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as opened:
        yield opened
