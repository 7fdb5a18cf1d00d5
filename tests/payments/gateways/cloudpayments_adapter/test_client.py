"""The CloudPayments client's HTTP connections: kept alive per thread, timeouts kept."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
import requests
from requests.cookies import MockRequest, MockResponse

from payments.gateways.base import PaymentGateway
from payments.gateways.cloudpayments import _client
from payments.gateways.cloudpayments._client import CloudPaymentsClient
from tests.payments.gateways.sandbox_access import build


class RecordingSession(requests.Session):
    """A session that records each POST's keyword arguments and answers "Not found"."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, Any]] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> Any:
        self.posts.append({"url": url, "json": json, **kwargs})
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"Success": false, "Message": "Not found"}'
        return response


@pytest.fixture
def fresh_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_client, "_sessions", threading.local())


@pytest.mark.usefixtures("fresh_sessions")
class TestSession:
    def test_is_kept_for_the_calls_of_one_thread(self) -> None:
        """Successive calls in a thread share one session and so its connections."""
        assert _client.session() is _client.session()

    def test_is_one_per_thread(self) -> None:
        """A session is not shared between threads (requests does not promise it)."""
        mine = _client.session()
        theirs: list[requests.Session] = []
        thread = threading.Thread(target=lambda: theirs.append(_client.session()))
        thread.start()
        thread.join()

        assert theirs[0] is not mine

    def test_is_made_anew_in_a_forked_process(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A forked worker never writes to the sockets its parent holds."""
        parents = _client.session()
        monkeypatch.setattr(_client.os, "getpid", lambda: -1)

        assert _client.session() is not parents

    def test_keeps_no_cookies(self) -> None:
        """Each call stands alone, as it did with a connection of its own."""
        request = requests.Request("POST", "https://api.example/payments/find")

        # The standard library's types; requests adapts its own to them.
        response: Any = MockResponse(_SetsCookie())
        prepared: Any = MockRequest(request.prepare())
        _client.session().cookies.extract_cookies(response, prepared)

        assert len(_client.session().cookies) == 0


class _SetsCookie:
    """Response headers with a load balancer's cookie in them."""

    def get_all(self, name: str, default: list[str]) -> list[str]:
        return ["lb=node-1; Path=/"] if name.lower() == "set-cookie" else default


@pytest.mark.usefixtures("fresh_sessions")
def test_every_call_keeps_its_timeout_and_request_id() -> None:
    """The kept session changes how calls travel, not what each one sends."""
    recording = RecordingSession()
    _client._sessions.session, _client._sessions.pid = recording, _client.os.getpid()
    client = CloudPaymentsClient(
        "pk", "secret", url="http://gateway.test", timeout=2.5, request_id="key-1"
    )

    client.find_payment_model("payment:1")
    client.find_payment_model("payment:2")

    assert [post["timeout"] for post in recording.posts] == [2.5, 2.5]
    assert [post["headers"] for post in recording.posts] == [
        {"X-Request-ID": "key-1"},
        {"X-Request-ID": "key-1"},
    ]
    assert recording.posts[0]["url"] == "http://gateway.test/payments/find"
    assert recording.posts[0]["auth"] == requests.auth.HTTPBasicAuth("pk", "secret")


@pytest.mark.sandbox
@pytest.mark.usefixtures("fresh_sessions")
def test_calls_to_the_api_reuse_one_connection(gateway_settings: Any) -> None:
    """Three look-ups, one TCP connection: no handshake per call."""
    gateway: PaymentGateway = build("cloudpayments")

    for _ in range(3):
        assert gateway.find_payment(reference=f"payment:{uuid.uuid4()}") is None

    adapter: Any = _client.session().get_adapter(gateway_settings.CLOUDPAYMENTS_API_URL)
    # urllib3's pool container is not iterable: its keys are.
    opened = adapter.poolmanager.pools
    pools = [opened[key] for key in opened.keys()]  # noqa: SIM118
    assert [(pool.num_connections, pool.num_requests) for pool in pools] == [(1, 3)]
