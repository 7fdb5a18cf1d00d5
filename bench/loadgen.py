"""A lean HTTP/1.1 load generator: keep-alive connections over asyncio streams.

A full HTTP client spends more CPU per request than the servers measured here, so on a
two-core machine it, not the server, would set the pace. This one writes prepared
request bytes and reads just the status line, the headers and the body.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(slots=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    seconds: float


class LoadGenerator:
    """Sends requests from `requests` over `connections` keep-alive connections."""

    def __init__(self, base_url: str, *, connections: int) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._connections = connections

    async def run(
        self, requests: Iterator[Request], on_reply: Callable[[Request, Reply], None]
    ) -> float:
        """Send every request; return the wall-clock seconds it took."""
        return await self.run_streams([requests] * self._connections, on_reply)

    async def run_streams(
        self,
        streams: Sequence[Iterator[Request]],
        on_reply: Callable[[Request, Reply], None],
    ) -> float:
        """Send each stream's requests in order over a connection of its own, the
        next one once the last is answered; return the wall-clock seconds it took."""
        started = time.perf_counter()
        await asyncio.gather(*(self._connection(s, on_reply) for s in streams))
        return time.perf_counter() - started

    async def _connection(
        self, requests: Iterator[Request], on_reply: Callable[[Request, Reply], None]
    ) -> None:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        try:
            for request in requests:
                sent_at = time.perf_counter()
                writer.write(self._encode(request))
                status, body, keep_alive = await self._read_reply(reader)
                on_reply(request, Reply(status, body, time.perf_counter() - sent_at))
                if not keep_alive:
                    # Servers without keep-alive (gunicorn's sync workers) close
                    # after each reply; opening the next connection is part of the cost.
                    writer.close()
                    reader, writer = await asyncio.open_connection(
                        self._host, self._port
                    )
        finally:
            writer.close()

    def _encode(self, request: Request) -> bytes:
        head = [
            f"{request.method} {request.path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            f"Content-Length: {len(request.body)}",
            *(f"{name}: {value}" for name, value in request.headers.items()),
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + request.body

    @staticmethod
    async def _read_reply(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        keep_alive = True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                keep_alive = False
        body = await reader.readexactly(length) if length else b""
        return status, body, keep_alive
