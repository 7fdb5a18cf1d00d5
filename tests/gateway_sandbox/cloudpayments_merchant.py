"""The merchant's side of the CloudPayments conformance tests.

The unmodified SDK client pointed at the sandbox, raw calls with the same Basic auth
(for what the SDK cannot send), and a notification endpoint on loopback.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from cloudpayments import CloudPayments

from gateway_sandbox.app import Sandbox
from gateway_sandbox.cloudpayments import SimulatedCloudPayments, encode_cryptogram


def client_for(sandbox_url: str, sandbox: Sandbox) -> CloudPayments:
    client = CloudPayments(
        sandbox.config.cloudpayments_public_id, sandbox.config.cloudpayments_api_secret
    )
    client.URL = sandbox_url + "/"
    return client


def gateway_of(sandbox: Sandbox) -> SimulatedCloudPayments:
    gateway = next(g for g in sandbox.gateways if g.name == "cloudpayments")
    assert isinstance(gateway, SimulatedCloudPayments)
    return gateway


def cryptogram(number: str, *, exp: str = "1230", name: str = "IVAN PETROV") -> str:
    return encode_cryptogram(number=number, exp=exp, cvv="123", name=name)


def api_post(
    sandbox_url: str,
    sandbox: Sandbox,
    path: str,
    payload: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> requests.Response:
    """POST to a CloudPayments path like the SDK, with fields the SDK cannot send."""
    return requests.post(
        f"{sandbox_url}/{path}",
        json=payload,
        auth=(
            sandbox.config.cloudpayments_public_id,
            sandbox.config.cloudpayments_api_secret,
        ),
        headers=headers,
        timeout=timeout,
    )


def sandbox_now(sandbox_url: str) -> dt.datetime:
    response = requests.get(f"{sandbox_url}/__sandbox/clock", timeout=5)
    return dt.datetime.fromisoformat(response.json()["now"])


def advance_clock(sandbox_url: str, seconds: float) -> None:
    response = requests.post(
        f"{sandbox_url}/__sandbox/clock", json={"advance_seconds": seconds}, timeout=5
    )
    response.raise_for_status()


def set_faults(sandbox_url: str, **knobs: Any) -> None:
    response = requests.post(f"{sandbox_url}/__sandbox/faults", json=knobs, timeout=5)
    response.raise_for_status()


def ledger(sandbox_url: str, **filters: str) -> dict[str, Any]:
    query = {"gateway": "cloudpayments", **filters}
    response = requests.get(f"{sandbox_url}/__sandbox/ledger", params=query, timeout=5)
    return response.json()


def flush_notifications(sandbox_url: str) -> None:
    response = requests.post(
        f"{sandbox_url}/__sandbox/cp/notifications/flush", timeout=30
    )
    response.raise_for_status()


def notification_log(sandbox_url: str) -> list[dict[str, Any]]:
    response = requests.get(f"{sandbox_url}/__sandbox/cp/notifications", timeout=5)
    return response.json()["deliveries"]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def fields(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8")))


class _QuietServer(ThreadingHTTPServer):
    # The sandbox hangs up on a slow Check on purpose; the broken pipe is expected.
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class NotificationReceiver:
    """A merchant endpoint on 127.0.0.1 that records what it gets.

    `replies` are (status, body) pairs used in turn; the last one repeats.
    """

    def __init__(
        self, replies: list[tuple[int, bytes]] | None = None, delay: float = 0.0
    ) -> None:
        self.replies = list(replies or [(200, b'{"code": 0}')])
        self.delay = delay
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        # A short poll keeps shutdown quick; the default waits up to half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> NotificationReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def of_kind(self, kind: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.rstrip("/").endswith(kind)]

    def _reply(self) -> tuple[int, bytes]:
        with self._lock:
            index = min(len(self.received), len(self.replies)) - 1
            return self.replies[max(index, 0)]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body)
                    )
                status, reply = receiver._reply()
                # A slow merchant is what `delay` is for: the sandbox's timeouts
                # are the behaviour under test, so this wait is the point.
                time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def configure_notification(
    sandbox_url: str, sandbox: Sandbox, kind: str, address: str
) -> None:
    response = api_post(
        sandbox_url,
        sandbox,
        f"site/notifications/{kind}/update",
        {"IsEnabled": True, "Address": address, "HttpMethod": "POST"},
    )
    assert response.json() == {"Success": True, "Message": None}
