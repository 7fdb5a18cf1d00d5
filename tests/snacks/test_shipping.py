"""The shop's shipping client against the sandbox's partner over HTTP: a shipment
registered once per key however the partner fails, and each failure classed as
worth a retry or not."""

from __future__ import annotations

import datetime as dt
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_django.fixtures import Settings

from snacks.shipping import (
    Recipient,
    Shipment,
    ShipmentItem,
    ShippingRefused,
    ShippingUnavailable,
    register_shipment,
    retry_delay,
)
from tests.gateway_sandbox.shipping_merchant import (
    registered,
    set_shipping_faults,
    shipping_stats,
)

pytestmark = pytest.mark.sandbox

ARRIVAL = dt.date(2030, 1, 15)
RECIPIENT = Recipient(name="Ann Lee", email="ann@example.com")
ITEMS = [ShipmentItem(name="Mars", quantity=2), ShipmentItem(name="Bounty", quantity=1)]
Answer = tuple[int, str, bytes]


def _register(
    reference: str, *, key: str | None = None, items: Sequence[ShipmentItem] = ITEMS
) -> Shipment:
    return register_shipment(
        reference=reference,
        recipient=RECIPIENT,
        items=items,
        expected_arrival=ARRIVAL,
        idempotency_key=key or f"shipment:{reference}",
    )


def _new_reference() -> str:
    return f"order:{uuid.uuid4()}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def odd_partner(settings: Settings) -> Iterator[Callable[[Answer], None]]:
    """A stand-in partner with one fixed answer, for answers the sandbox never
    gives; the shop's client points at it."""
    answers: list[Answer] = [(200, "application/json", b"{}")]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, content_type, body = answers[-1]
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SHOP_SHIPPING_URL = f"http://127.0.0.1:{server.server_port}/v1"
    yield answers.append
    server.shutdown()
    server.server_close()


class TestRegisterShipment:
    def test_registers_the_order_with_the_partner(self, shipping_partner: str) -> None:
        reference = _new_reference()

        shipment = _register(reference, key="order-task:1")

        assert shipment.reference == reference
        assert shipment.status == "registered"
        assert shipment.tracking_number
        assert shipment.created_at.tzinfo is not None
        assert shipment.replayed is False
        [kept] = registered(shipping_partner, reference)["shipments"]
        assert kept["shipment_id"] == shipment.shipment_id
        assert kept["idempotency_key"] == "order-task:1"
        assert kept["recipient"] == {"name": "Ann Lee", "email": "ann@example.com"}
        assert kept["items"] == [
            {"name": "Mars", "quantity": 2},
            {"name": "Bounty", "quantity": 1},
        ]
        assert kept["expected_arrival"] == "2030-01-15"

    def test_the_same_key_answers_the_first_shipment(
        self, shipping_partner: str
    ) -> None:
        reference = _new_reference()
        first = _register(reference)

        again = _register(reference)

        assert again.shipment_id == first.shipment_id
        assert again.replayed is True
        assert registered(shipping_partner)["per_reference"] == {reference: 1}


class TestUnavailable:
    """Worth a retry with the same key."""

    def test_a_5xx_answer(self, shipping_partner: str) -> None:
        set_shipping_faults(shipping_partner, failure_rate=1)

        with pytest.raises(ShippingUnavailable) as raised:
            _register(_new_reference())

        assert raised.value.extra["status"] == 503
        assert raised.value.extra["partner_code"] == "unavailable"

    def test_a_429_answer(self, shipping_partner: str) -> None:
        set_shipping_faults(shipping_partner, rate_limit_rate=1)

        with pytest.raises(ShippingUnavailable) as raised:
            _register(_new_reference())

        assert raised.value.extra["status"] == 429

    def test_a_timeout_after_which_the_retry_finds_the_shipment(
        self, shipping_partner: str, settings: Settings
    ) -> None:
        reference = _new_reference()
        settings.SHOP_SHIPPING_TIMEOUT_SECONDS = 0.2
        set_shipping_faults(
            shipping_partner,
            timeout_rate=1,
            timeout_registered_rate=1,
            timeout_seconds=1,
        )

        with pytest.raises(ShippingUnavailable) as raised:
            _register(reference)
        set_shipping_faults(shipping_partner, timeout_rate=0)
        retried = _register(reference)

        assert raised.value.extra == {"reference": reference, "reason": "timeout"}
        assert retried.replayed is True
        assert registered(shipping_partner)["per_reference"] == {reference: 1}

    def test_a_partner_that_cannot_be_reached(self, settings: Settings) -> None:
        settings.SHOP_SHIPPING_URL = f"http://127.0.0.1:{_free_port()}/shipping/v1"

        with pytest.raises(ShippingUnavailable) as raised:
            _register(_new_reference())

        assert raised.value.extra["reason"] == "connection"
        assert raised.value.code == "shipping_unavailable"

    @pytest.mark.parametrize(
        "answer",
        [
            (200, "text/html", b"<html>registered</html>"),
            (201, "application/json", b'{"shipment_id": "shp_1"}'),
            (201, "application/json", b'["shp_1"]'),
            (502, "text/html", b"<html>Bad Gateway</html>"),
        ],
    )
    def test_an_answer_that_cannot_be_read(
        self, odd_partner: Callable[[Answer], None], answer: Answer
    ) -> None:
        """It may have registered the shipment: the same key will tell."""
        odd_partner(answer)

        with pytest.raises(ShippingUnavailable):
            _register(_new_reference())


class TestRefused:
    """Asking again cannot help."""

    def test_another_api_key(self, shipping_partner: str, settings: Settings) -> None:
        settings.SHOP_SHIPPING_API_KEY = "ship_test_someone-else"

        with pytest.raises(ShippingRefused) as raised:
            _register(_new_reference())

        assert raised.value.extra["status"] == 401
        assert raised.value.extra["partner_code"] == "unauthorized"
        assert raised.value.code == "shipping_refused"

    def test_a_bad_request_with_the_partners_reason(
        self, shipping_partner: str
    ) -> None:
        with pytest.raises(ShippingRefused) as raised:
            _register(_new_reference(), items=[ShipmentItem(name="Mars", quantity=0)])

        assert raised.value.extra["status"] == 400
        assert "items[0].quantity" in raised.value.message
        assert registered(shipping_partner)["shipments"] == []

    def test_a_key_used_for_another_shipment(self, shipping_partner: str) -> None:
        _register(_new_reference(), key="shipment:1")

        with pytest.raises(ShippingRefused) as raised:
            _register(_new_reference(), key="shipment:1")

        assert raised.value.extra["status"] == 409
        assert raised.value.extra["partner_code"] == "idempotency_key_reused"

    def test_a_redirect(self, odd_partner: Callable[[Answer], None]) -> None:
        """A partner that moved is a configuration to fix, not a call to repeat."""
        odd_partner((301, "text/html", b""))

        with pytest.raises(ShippingRefused) as raised:
            _register(_new_reference())

        assert raised.value.extra["status"] == 301


class TestRetriesWithOneKey:
    def test_register_each_order_exactly_once(
        self, shipping_partner: str, settings: Settings
    ) -> None:
        """Half the calls fail and a fifth time out, some after registering; each
        order keeps its key through its retries and is registered once."""
        settings.SHOP_SHIPPING_TIMEOUT_SECONDS = 0.15
        set_shipping_faults(
            shipping_partner,
            failure_rate=0.5,
            timeout_rate=0.2,
            timeout_registered_rate=0.5,
            timeout_seconds=0.4,
            seed=2024,
        )
        references = [_new_reference() for _ in range(20)]
        jitter = random.Random(1)

        shipments = {}
        for reference in references:
            for attempt in range(1, 41):
                try:
                    shipments[reference] = _register(reference)
                    break
                except ShippingUnavailable:
                    time.sleep(retry_delay(attempt, base=0.001, cap=0.01, rng=jitter))

        kept = registered(shipping_partner)
        stats = shipping_stats(shipping_partner)
        assert sorted(shipments) == sorted(references)
        assert kept["per_reference"] == dict.fromkeys(references, 1)
        assert {s["reference"]: s["shipment_id"] for s in kept["shipments"]} == {
            reference: shipment.shipment_id for reference, shipment in shipments.items()
        }
        assert stats["failed"] > 0
        assert stats["timed_out"] > 0
        assert stats["timed_out_carried_out"] > 0
        assert any(shipment.replayed for shipment in shipments.values())


class TestRetryDelay:
    def test_stays_under_the_doubled_base_and_the_cap(self) -> None:
        rng = random.Random(5)

        delays = {
            attempt: [
                retry_delay(attempt, base=0.5, cap=10, rng=rng) for _ in range(200)
            ]
            for attempt in range(1, 9)
        }

        for attempt, drawn in delays.items():
            ceiling = min(10, 0.5 * 2 ** (attempt - 1))
            assert all(0 <= delay <= ceiling for delay in drawn)
        assert max(delays[8]) > 9

    def test_spreads_over_the_whole_range(self) -> None:
        """Full jitter: from nearly nothing to nearly the ceiling."""
        rng = random.Random(6)

        drawn = [retry_delay(3, base=1, cap=60, rng=rng) for _ in range(500)]

        assert min(drawn) < 0.2
        assert max(drawn) > 3.8

    def test_keeps_to_the_cap_far_out(self) -> None:
        delay = retry_delay(10_000, base=2, cap=300, rng=random.Random(7))

        assert 0 <= delay <= 300

    def test_is_reproducible_with_a_seeded_generator(self) -> None:
        first = [retry_delay(n, base=1, cap=60, rng=random.Random(8)) for n in (1, 4)]
        again = [retry_delay(n, base=1, cap=60, rng=random.Random(8)) for n in (1, 4)]

        assert first == again

    def test_is_zero_with_a_zero_base(self) -> None:
        assert retry_delay(3, base=0, cap=60, rng=random.Random(9)) == 0

    @pytest.mark.parametrize(
        ("attempt", "base", "cap"), [(0, 1.0, 60.0), (1, -1.0, 60.0), (1, 1.0, -1.0)]
    )
    def test_refuses_what_has_no_meaning(
        self, attempt: int, base: float, cap: float
    ) -> None:
        with pytest.raises(ValueError):
            retry_delay(attempt, base=base, cap=cap, rng=random.Random(10))
