"""What a failed HTTP exchange with a gateway means for the money: sent or not.

Both SDKs talk through `requests`, so one reading of its exceptions serves both
adapters. The question is always the same: could the gateway have carried out the
request? Only failures that happen before a byte of the request left this machine
prove that it did not:

| failure                                                  | meaning                  |
| -------------------------------------------------------- | ------------------------ |
| ConnectTimeout, connection refused, DNS failure          | not sent -> Unavailable  |
| ReadTimeout, connection reset or closed before or during | maybe done ->            |
| the reply (RemoteDisconnected), truncated body           | OutcomeUnknown           |
| (ChunkedEncodingError, ContentDecodingError)             |                          |
| TLS failure (certificate, proxy)                         | GatewayError: retrying   |
|                                                          | cannot help              |
| a request that could not be built (bad URL, header)      | GatewayError: our bug    |

A reset of a reused keep-alive connection is reported as "maybe done" too: it is
indistinguishable from a reset after the gateway read the request, and idempotency
keys make asking again safe.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from payments.gateways.base import GatewayError, OutcomeUnknown, Unavailable

# urllib3's NewConnectionError (refused, unreachable) and NameResolutionError are
# ConnectTimeoutError subclasses: every one of them fails before the request is sent.
_NOT_SENT = (ConnectTimeoutError, ConnectionRefusedError, socket.gaierror)
_MAYBE_DONE = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def failure_for(exc: BaseException, *, gateway: str, operation: str) -> GatewayError:
    """The contract's error for a network failure of `operation` (never raises).

    The message names the failure's type only: `requests` puts URLs in its own
    messages, and callers chain the original exception for the details.
    """
    what = f"{gateway} {operation}: {type(exc).__name__}"
    if isinstance(exc, requests.exceptions.SSLError):
        return GatewayError(f"{what} (TLS failure; nothing was sent)")
    if was_not_sent(exc):
        return Unavailable(f"{what} (the request was not sent)")
    if isinstance(exc, _MAYBE_DONE):
        return OutcomeUnknown(f"{what} (the request may have been carried out)")
    return GatewayError(f"{what} (the request could not be made)")


def was_not_sent(exc: BaseException) -> bool:
    """Whether the failure happened before the request left this machine."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    return any(isinstance(cause, _NOT_SENT) for cause in _causes(exc))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and everything it wraps: chained causes, args, MaxRetryError reasons."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [current.__cause__, current.__context__, *current.args]
        if isinstance(current, MaxRetryError):
            nested.append(current.reason)
        pending.extend(item for item in nested if isinstance(item, BaseException))
