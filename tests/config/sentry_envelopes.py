"""A local Sentry endpoint: an HTTP server that keeps every envelope posted to it."""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class EnvelopeServer:
    """Serves on a free loopback port; `dsn` points an SDK at it."""

    def __init__(self) -> None:
        self.envelopes: list[str] = []
        envelopes = self.envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                envelopes.append(body.decode("utf-8", errors="replace"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads the envelopes, not an access log."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self._server.server_port}/1"

    def start(self) -> EnvelopeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, text: str, *, timeout: float = 60) -> str:
        """The first envelope holding `text`, waiting for it to arrive.

        :raises AssertionError: when none arrives in time.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [envelope for envelope in self.envelopes if text in envelope]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no Sentry envelope with {text!r} arrived")

    def wait_for_event(self, text: str, *, timeout: float = 60) -> dict[str, Any]:
        """The error event of the first envelope holding `text`, as it was sent.

        :raises AssertionError: when none arrives in time, or it holds no event.
        """
        return event_of(self.wait_for(text, timeout=timeout))


def event_of(envelope: str) -> dict[str, Any]:
    """The payload of the envelope's `event` item (an error report).

    An envelope is a header line, then each item's header line and payload line.

    :raises AssertionError: when the envelope holds no event.
    """
    lines = envelope.splitlines()
    for header, payload in zip(lines[1::2], lines[2::2], strict=False):
        if json.loads(header).get("type") == "event":
            event: dict[str, Any] = json.loads(payload)
            return event
    raise AssertionError("the envelope holds no event")
