"""Driving an ASGI application in-process, as uvicorn would: one request, or its
lifespan.

httpx is not a dependency; the few ASGI messages a request needs are sent here. A
request made with `request` runs the app's event loop in another thread while
Django's sync code (`sync_to_async`) runs back in the caller's, so a test's
transaction sees what the app writes through Django's connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

Message = MutableMapping[str, Any]
App = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]
CHUNK = 64 * 1024


@dataclass
class AsgiReply:
    """An answer as a test reads it (the attributes of Django's test response)."""

    status_code: int
    headers: dict[str, str]
    body: bytes
    # How many bytes of the request's body the app asked for.
    body_read: int = 0
    messages: list[Message] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]


async def call(
    app: App,
    *,
    method: str = "POST",
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str | None = "testserver",
    content_length: int | None = None,
    disconnect_after: int | None = None,
) -> AsgiReply:
    """One HTTP request through `app`; `disconnect_after` bytes of body, then the
    client goes away."""
    names = {name.lower(): value for name, value in (headers or {}).items()}
    if host is not None:
        names.setdefault("host", host)
    if content_length is not None or disconnect_after is None:
        names["content-length"] = str(
            len(body) if content_length is None else content_length
        )
    sent = body if disconnect_after is None else body[:disconnect_after]
    pending: list[Message] = [
        {
            "type": "http.request",
            "body": sent[start : start + CHUNK],
            "more_body": start + CHUNK < len(sent) or disconnect_after is not None,
        }
        for start in range(0, max(len(sent), 1), CHUNK)
    ]
    reply = AsgiReply(status_code=0, headers={}, body=b"")

    async def receive() -> Message:
        if pending:
            message = pending.pop(0)
            reply.body_read += len(message["body"])
            return message
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        reply.messages.append(message)
        if message["type"] == "http.response.start":
            reply.status_code = message["status"]
            reply.headers = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in message["headers"]
            }
        elif message["type"] == "http.response.body":
            reply.body += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in names.items()
        ],
        "server": ("127.0.0.1", 8001),
        "client": ("127.0.0.1", 50000),
    }
    await app(scope, receive, send)
    return reply


def request(app: App, **kwargs: Any) -> AsgiReply:
    """`call`, from sync code (a test).

    As Django's test clients do, the request's signals do not close the database
    connection: it holds the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        return async_to_sync(call)(app, **kwargs)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@contextlib.asynccontextmanager
async def lifespan(app: App) -> AsyncIterator[None]:
    """Run the app's lifespan around the block, as a server does around its life.

    :raises RuntimeError: when the app reports that its startup failed.
    """
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    task: asyncio.Future[None] = asyncio.ensure_future(
        app({"type": "lifespan"}, inbox.get, outbox.put)
    )
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        await task
        raise RuntimeError(f"the app did not start: {started}")
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task
