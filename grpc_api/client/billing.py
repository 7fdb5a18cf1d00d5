"""A BillingService stub that sends a bearer token with every call, and the
request id of the caller's work (`kit.correlation`) when it has one, so that
billing's lines about the call carry the same id as the caller's.

```python
from grpc_api.client import connect_billing
from grpc_api.generated.billing.v1 import billing_pb2

billing = connect_billing("127.0.0.1:50051", token=access_token)
plans = billing.ListPlans(billing_pb2.ListPlansRequest()).plans
```
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import grpc

from grpc_api.client.channel import bearer_metadata, open_channel
from grpc_api.generated.billing.v1 import billing_pb2_grpc
from kit import correlation


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: Any
    compression: Any


class _AddsMetadata(
    grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor
):
    """Adds `metadata()` to every call of a channel."""

    def metadata(self) -> tuple[tuple[str, str], ...]:
        raise NotImplementedError

    def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return continuation(self._with_metadata(details), request)

    def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return continuation(self._with_metadata(details), request)

    def _with_metadata(self, details: Any) -> _CallDetails:
        return _CallDetails(
            method=details.method,
            timeout=details.timeout,
            metadata=[*(details.metadata or ()), *self.metadata()],
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
            compression=details.compression,
        )


class BearerToken(_AddsMetadata):
    """Adds `authorization: Bearer <token>` to every call of a channel."""

    def __init__(self, token: str) -> None:
        self._metadata = bearer_metadata(token)

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata


class RequestId(_AddsMetadata):
    """Adds `x-request-id` with the id of the caller's work, when it has one."""

    def metadata(self) -> tuple[tuple[str, str], ...]:
        request_id = correlation.current()
        return ((correlation.GRPC_METADATA_KEY, request_id),) if request_id else ()


def authenticated_channel(target: str, *, token: str) -> grpc.Channel:
    """A channel to `target` whose every call carries `token` and the request id."""
    return grpc.intercept_channel(open_channel(target), BearerToken(token), RequestId())


def connect_billing(target: str, *, token: str) -> billing_pb2_grpc.BillingServiceStub:
    """A BillingService stub on a channel of its own that sends `token`."""
    return billing_pb2_grpc.BillingServiceStub(
        authenticated_channel(target, token=token)
    )
