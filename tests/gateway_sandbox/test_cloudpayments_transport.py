"""Transport: Basic auth, X-Request-ID replay, and fault knobs as the SDK sees them."""

from __future__ import annotations

import decimal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from cloudpayments import CloudPayments, CloudPaymentsError
from requests.auth import HTTPBasicAuth

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import (
    advance_clock,
    api_post,
    cryptogram,
    gateway_of,
    ledger,
    set_faults,
)
from tests.polling import wait_until


@pytest.fixture
def client(cloudpayments_client: CloudPayments) -> CloudPayments:
    return cloudpayments_client


class PatientClient(CloudPayments):
    """The SDK sets no timeout; GATEWAYS.md F1 suggests adding one this way."""

    timeout = 0.5

    def _send_request(
        self, endpoint: str, params: Any = None, request_id: str | None = None
    ) -> Any:
        headers = {"X-Request-ID": request_id} if request_id is not None else None
        response = requests.post(
            self.URL + endpoint,
            json=params,
            auth=HTTPBasicAuth(self.public_id, self.api_secret),
            headers=headers,
            timeout=self.timeout,
        )
        return response.json(parse_float=decimal.Decimal)


def charge_payload(invoice_id: str = "inv-1") -> dict[str, Any]:
    return {
        "Amount": 25,
        "Currency": "RUB",
        "IpAddress": "203.0.113.7",
        "CardCryptogramPacket": cryptogram("4000000000003055"),
        "InvoiceId": invoice_id,
    }


def post_payment(
    sandbox_url: str,
    sandbox: Sandbox,
    request_id: str,
    path: str = "payments/cards/charge",
) -> requests.Response:
    """Send `charge_payload()` to `path` under the given X-Request-ID."""
    return api_post(
        sandbox_url,
        sandbox,
        path,
        charge_payload(),
        headers={"X-Request-ID": request_id},
    )


def captures(sandbox_url: str) -> list[str]:
    entries = ledger(sandbox_url)["entries"]
    return [e["transaction_id"] for e in entries if e["kind"] == "capture"]


class TestAuthentication:
    def test_wrong_credentials_get_401_with_an_empty_body(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        client = CloudPayments(sandbox.config.cloudpayments_public_id, "wrong-secret")
        client.URL = sandbox_url + "/"

        with pytest.raises(requests.exceptions.JSONDecodeError):
            client.test()

        raw = requests.post(f"{sandbox_url}/test", auth=("pk_other", "x"), timeout=5)
        assert (raw.status_code, raw.content) == (401, b"")

    def test_no_credentials_get_401(self, sandbox_url: str) -> None:
        response = requests.post(
            f"{sandbox_url}/payments/cards/charge", json=charge_payload(), timeout=5
        )

        assert response.status_code == 401
        assert captures(sandbox_url) == []


class TestIdempotency:
    def test_the_sdk_test_call_replays_its_answer(self, client: CloudPayments) -> None:
        first = client.test(request_id="ping-1")

        again = client.test(request_id="ping-1")
        other = client.test(request_id="ping-2")

        assert first == again
        assert other != first

    def test_a_repeated_charge_replays_byte_for_byte_and_charges_once(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        request_id = "charge-attempt-1"

        first = post_payment(sandbox_url, sandbox, request_id)
        again = post_payment(sandbox_url, sandbox, request_id)

        assert first.json()["Success"] is True
        assert again.content == first.content
        assert captures(sandbox_url) == [str(first.json()["Model"]["TransactionId"])]

    def test_the_key_includes_the_path(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        request_id = "shared-id"

        charged = post_payment(sandbox_url, sandbox, request_id)
        authorized = post_payment(
            sandbox_url, sandbox, request_id, path="payments/cards/auth"
        )

        assert charged.json()["Model"]["Status"] == "Completed"
        assert authorized.json()["Model"]["Status"] == "Authorized"

    def test_replies_are_forgotten_after_an_hour(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        request_id = "charge-attempt-2"
        first = post_payment(sandbox_url, sandbox, request_id)
        advance_clock(sandbox_url, 3600)

        later = post_payment(sandbox_url, sandbox, request_id)

        assert (
            later.json()["Model"]["TransactionId"]
            != first.json()["Model"]["TransactionId"]
        )
        assert len(captures(sandbox_url)) == 2

    def test_a_repeated_refund_refunds_once(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        payment = client.charge_card(
            cryptogram("4000000000003055"), 100, "RUB", "IVAN", "203.0.113.7"
        )

        first = client.refund(payment.id, 40, request_id="refund-1")
        again = client.refund(payment.id, 40, request_id="refund-1")

        refunds = [e for e in ledger(sandbox_url)["entries"] if e["kind"] == "refund"]
        assert first == again
        assert [e["amount_minor"] for e in refunds] == [4000]

    def test_a_refused_request_is_replayed_too(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """The first complete answer is kept, even a refusal."""
        payment = client.charge_card(
            cryptogram("4000000000003055"), 10, "RUB", "IVAN", "203.0.113.7"
        )
        with pytest.raises(CloudPaymentsError):
            client.refund(payment.id, 11, request_id="refund-2")

        with pytest.raises(CloudPaymentsError, match="more than the refundable"):
            client.refund(payment.id, 5, request_id="refund-2")

        assert [e["kind"] for e in ledger(sandbox_url)["entries"]] == ["capture"]


class TestFaults:
    def test_a_server_error_is_an_html_page_the_sdk_cannot_parse(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        set_faults(sandbox_url, error_rate=1)

        with pytest.raises(requests.exceptions.JSONDecodeError):
            client.charge_card(
                cryptogram("4000000000003055"), 10, "RUB", "IVAN", "203.0.113.7"
            )

        raw = requests.post(f"{sandbox_url}/test", timeout=5)
        assert raw.status_code == 500
        assert raw.headers["Content-Type"].startswith("text/html")
        assert captures(sandbox_url) == []

    def test_a_dropped_reply_still_captures_and_the_retry_replays(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """The charge happens, the reply is lost; the same X-Request-ID tells the
        client what happened without charging again."""
        set_faults(sandbox_url, drop_reply_rate=1)
        request_id = "lost-reply"

        with pytest.raises(requests.exceptions.ConnectionError):
            post_payment(sandbox_url, sandbox, request_id)
        captured = captures(sandbox_url)
        set_faults(sandbox_url, drop_reply_rate=0)
        retry = post_payment(sandbox_url, sandbox, request_id)

        assert len(captured) == 1
        assert str(retry.json()["Model"]["TransactionId"]) == captured[0]
        assert captures(sandbox_url) == captured

    def test_the_sdk_sees_a_dropped_reply_as_a_connection_error(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        set_faults(sandbox_url, drop_reply_rate=1)

        with pytest.raises(requests.exceptions.ConnectionError):
            client.charge_card(
                cryptogram("4000000000003055"), 10, "RUB", "IVAN", "203.0.113.7",
                invoice_id="inv-dropped",
            )  # fmt: skip

        assert ledger(sandbox_url, invoice_id="inv-dropped")["totals"] == {
            "RUB": {"captured_minor": 1000, "refunded_minor": 0}
        }

    def test_a_hung_reply_times_out_after_the_capture(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        set_faults(sandbox_url, timeout_rate=1, timeout_hang_seconds=2)
        client = PatientClient(
            sandbox.config.cloudpayments_public_id,
            sandbox.config.cloudpayments_api_secret,
        )
        client.URL = sandbox_url + "/"

        with pytest.raises(requests.exceptions.ReadTimeout):
            client.charge_card(
                cryptogram("4000000000003055"), 10, "RUB", "IVAN", "203.0.113.7",
                invoice_id="inv-hung",
            )  # fmt: skip

        entries = ledger(sandbox_url, invoice_id="inv-hung")["entries"]
        assert [e["kind"] for e in entries] == ["capture"]
        # The hung reply holds a concurrency slot until it ends; later tests need it.
        wait_until(
            lambda: gateway_of(sandbox).throttle.in_flight == 0,
            message="requests are still counted in flight",
        )

    def test_too_many_concurrent_requests_get_429(
        self, client: CloudPayments, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        wait_until(
            lambda: gateway_of(sandbox).throttle.in_flight == 0,
            message="requests are still counted in flight",
        )
        set_faults(sandbox_url, max_in_flight=1, latency_ms=400)

        def ping() -> str:
            try:
                return client.test()
            except CloudPaymentsError as exc:
                return f"refused: {exc}"

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda _: ping(), range(2)))

        assert sorted(r.startswith("refused") for r in results) == [False, True]
        assert "refused: Too many requests" in results

    def test_the_stats_count_each_request_refused_with_429(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        """`GET /__sandbox/stats` says how many requests each gateway refused."""
        set_faults(sandbox_url, rate_limit_rate=1)

        with pytest.raises(CloudPaymentsError, match="Too many requests"):
            client.test()
        stats = requests.get(f"{sandbox_url}/__sandbox/stats", timeout=5).json()

        assert stats == {"rate_limited": {"cloudpayments": 1, "stripe": 0}}

    def test_the_controls_are_never_faulted(self, sandbox_url: str) -> None:
        set_faults(sandbox_url, error_rate=1)

        response = requests.post(
            f"{sandbox_url}/__sandbox/cp/cryptogram",
            json={"number": "4000000000003055", "exp": "1230", "cvv": "123"},
            timeout=5,
        )

        assert response.status_code == 200
