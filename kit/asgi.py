"""The little of ASGI that a lean HTTP endpoint needs: its request, a bounded read of
its body, a JSON answer.

For endpoints served past Django's request machinery (the webhook edge), where a
request costs what its own work costs. ASGI 3: https://asgi.readthedocs.io.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_HEADERS = ((b"content-type", b"application/json"),)


class ClientDisconnected(Exception):
    """The client went away before its request's body arrived whole."""


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request's head: the body is read apart (`read_body`)."""

    method: str
    path: str
    # Names in lower case; a header sent more than once is joined with commas, as
    # WSGI servers join it.
    headers: Mapping[str, str]
    scheme: str

    @classmethod
    def of(cls, scope: Scope) -> Request:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = (
                raw_name.decode("latin-1").lower(),
                raw_value.decode("latin-1"),
            )
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        return cls(
            method=scope["method"],
            path=scope["path"],
            headers=headers,
            scheme=scope.get("scheme", "http"),
        )

    def declared_length(self) -> int | None:
        """The Content-Length header, or None when it is missing or no number."""
        try:
            return int(self.headers.get("content-length", ""))
        except ValueError:
            return None


async def read_body(receive: Receive, *, limit: int) -> bytes | None:
    """The request's body, or None as soon as it passes `limit` bytes (read no
    further).

    :raises ClientDisconnected: when the client goes away first.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def json_body(value: Any) -> bytes:
    """`value` as Django's `JsonResponse` writes it."""
    return json.dumps(value).encode("utf-8")


async def send_answer(
    send: Send,
    status: int,
    body: bytes,
    headers: Iterable[tuple[bytes, bytes]] = JSON_HEADERS,
) -> None:
    """Send a whole answer: its status, headers and body."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *headers,
                (b"content-length", str(len(body)).encode("latin-1")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
