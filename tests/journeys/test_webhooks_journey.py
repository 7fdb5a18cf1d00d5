"""Webhooks end to end: the sandbox posts real signed notifications to the service,
through each entry point (Django's live server, and the ASGI edge under uvicorn).

Every notification is delivered twice and each batch in reverse order (the
sandbox's `duplicate_notification_rate: 1` and `reorder_notifications: true`), and
the replies that would settle the payments are lost on the way back, so that the
webhooks alone must settle them: each message is stored once and applied once,
and the payment ends where the gateway's ledger says.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from billing.models import BillingEvent, StatusChange
from billing.money import Money
from billing.services import ensure_payer, set_stripe_customer
from config.edge import WebhookEdge
from gateway_sandbox.server import SandboxThread
from payments.gateways import get_gateway, reset_gateways
from payments.gateways.base import PayerAccount
from payments.models import (
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentStatus,
)
from payments.services import EdgeIntake, capture_payment, refund_payment
from tests.edge_server import EdgeServer
from tests.fixtures.webhooks import ENTRY_POINTS
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.journeys.cards import CARDS, entered_card, set_faults
from tests.payments.factories import PaymentFactory
from tests.payments.webhook_messages import NOW
from tests.polling import wait_until

# The service answers from another thread: its writes must really commit.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sandbox]

GATEWAYS = ["cloudpayments", "stripe"]
ACTOR = "system:journey"


@pytest.fixture(scope="module", params=ENTRY_POINTS)
def service_url(request: pytest.FixtureRequest, django_db_setup: None) -> Iterator[str]:
    """Where the gateways' notifications go: Django's live server (the WSGI views),
    or the ASGI edge under uvicorn, with the store it has on this database (its
    pool opens on the test database, hence after `django_db_setup`)."""
    if request.param == "wsgi":
        live_server: LiveServer = request.getfixturevalue("live_server")
        yield live_server.url
        return
    edge = EdgeServer(WebhookEdge(EdgeIntake.for_database())).start()
    yield edge.url
    edge.stop()


@pytest.fixture(scope="module")
def notifying_sandbox(service_url: str) -> Iterator[SandboxThread]:
    """A sandbox that notifies the service, twice and out of order."""
    config = dataclasses.replace(
        SANDBOX_CONFIG,
        cloudpayments_notification_url=f"{service_url}/webhooks/cloudpayments/",
        stripe_webhook_url=f"{service_url}/webhooks/stripe/",
        faults={"duplicate_notification_rate": 1, "reorder_notifications": True},
    )
    server = SandboxThread(config).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox_url(notifying_sandbox: SandboxThread, settings: Settings) -> Iterator[str]:
    """The reset sandbox, both adapters pointed at it with its credentials."""
    url = notifying_sandbox.url
    requests.post(f"{url}/__sandbox/reset", timeout=5).raise_for_status()
    # Deliveries wait for `_flush`: the test's thread is then blocked on the
    # flush, so the live server's thread is the only one using the in-memory
    # database that the two share.
    requests.post(
        f"{url}/__sandbox/notifications/settings",
        json={"auto_deliver": False},
        timeout=5,
    ).raise_for_status()
    settings.CLOUDPAYMENTS_API_URL = f"{url}/"
    settings.CLOUDPAYMENTS_PUBLIC_ID = SANDBOX_CONFIG.cloudpayments_public_id
    settings.CLOUDPAYMENTS_API_SECRET = SANDBOX_CONFIG.cloudpayments_api_secret
    settings.STRIPE_API_BASE = url
    settings.STRIPE_SECRET_KEY = SANDBOX_CONFIG.stripe_secret_key
    settings.STRIPE_WEBHOOK_SECRET = SANDBOX_CONFIG.stripe_webhook_secret
    reset_gateways()
    yield url
    reset_gateways()


def _payer(gateway: str) -> uuid.UUID:
    """A payer the gateway already knows, so that a charge is a single call."""
    payer = ensure_payer(payer_id=uuid.uuid4())
    if gateway == "stripe":
        account = get_gateway(gateway).ensure_customer(PayerAccount(payer_id=payer.id))
        assert account.customer_reference
        set_stripe_customer(payer=payer, customer_reference=account.customer_reference)
    return payer.id


def _pay(
    url: str, gateway: str, *, capture: bool = True, lose_reply: bool = False
) -> Payment:
    payer_id = _payer(gateway)
    card = entered_card(url, gateway, CARDS[gateway]["success"])
    with _replies_lost(url, lose=lose_reply):
        return PaymentFactory.create(
            payer_id=payer_id,
            gateway=gateway,
            amount=Money(125_000, "RUB" if gateway == "cloudpayments" else "USD"),
            card_payload=card,
            now=NOW,
            actor=ACTOR,
            capture=capture,
        )


@contextlib.contextmanager
def _replies_lost(url: str, *, lose: bool = True) -> Iterator[None]:
    """The gateway carries requests out and its replies are lost (drop_reply)."""
    if lose:
        set_faults(url, drop_reply_rate=1)
    try:
        yield
    finally:
        set_faults(url, drop_reply_rate=0)


def _flush(url: str) -> list[dict[str, Any]]:
    """Deliver every queued notification now, and wait until what they stored is
    processed; return the delivery log.

    The views process on commit, before they answer; the edge answers first and
    asks for processing from a thread of its own.
    """
    response = requests.post(f"{url}/__sandbox/notifications/flush", timeout=60)
    response.raise_for_status()
    deliveries: list[dict[str, Any]] = response.json()["deliveries"]
    waiting = GatewayEventRecord.objects.filter(
        status=GatewayEventStatus.RECEIVED
    ).exclude(kind="cloudpayments.check")
    wait_until(
        lambda: not waiting.exists(),
        timeout=30,
        message="every stored notification is processed",
    )
    return deliveries


def _assert_stored_exactly_once(deliveries: list[dict[str, Any]]) -> None:
    """Each message came twice, was acknowledged twice and is stored once."""
    assert deliveries
    assert all(delivery["state"] == "delivered" for delivery in deliveries)
    bodies = {delivery["body"] for delivery in deliveries}
    assert len(deliveries) == 2 * len(bodies)
    # Check is answered within the payment request, never queued or flushed.
    queued = GatewayEventRecord.objects.exclude(kind="cloudpayments.check")
    assert queued.count() == len(bodies)
    # Every one was processed: none left waiting, failed or without its payment.
    unsettled = (
        GatewayEventStatus.RECEIVED,
        GatewayEventStatus.FAILED,
        GatewayEventStatus.ORPHANED,
    )
    assert not GatewayEventRecord.objects.filter(status__in=unsettled).exists()


def _payment_changes(payment: Payment) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(object_type="payment", object_id=str(payment.id))
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def _contains_key(value: object, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(_contains_key(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_contains_key(item, key) for item in value)
    return False


@pytest.mark.parametrize("gateway", GATEWAYS)
class TestWebhookJourneys:
    def test_a_payment_whose_reply_was_lost_is_settled_by_its_notifications(
        self, gateway: str, sandbox_url: str
    ) -> None:
        payment = _pay(sandbox_url, gateway, lose_reply=True)
        assert payment.status == PaymentStatus.UNKNOWN

        deliveries = _flush(sandbox_url)

        payment.refresh_from_db()
        assert (payment.status, payment.captured_minor) == (
            PaymentStatus.SUCCEEDED,
            125_000,
        )
        assert payment.payment_method is not None
        assert _payment_changes(payment) == [
            (PaymentStatus.PENDING, PaymentStatus.UNKNOWN),
            (PaymentStatus.UNKNOWN, PaymentStatus.SUCCEEDED),
        ]
        assert BillingEvent.objects.filter(type="payment.succeeded").count() == 1
        _assert_stored_exactly_once(deliveries)
        payloads = GatewayEventRecord.objects.values_list("payload", flat=True)
        assert not any(_contains_key(p, "Token") for p in payloads)
        assert not any(_contains_key(p, "client_secret") for p in payloads)

    def test_a_capture_whose_reply_was_lost_ends_captured_despite_the_order(
        self, gateway: str, sandbox_url: str
    ) -> None:
        """The capture's news arrives before the authorization's and wins."""
        payment = _pay(sandbox_url, gateway, capture=False)
        assert payment.status == PaymentStatus.AUTHORIZED
        with _replies_lost(sandbox_url):
            payment = capture_payment(payment_id=payment.id, now=NOW, actor=ACTOR)
        assert payment.status == PaymentStatus.UNKNOWN

        deliveries = _flush(sandbox_url)

        payment.refresh_from_db()
        assert (payment.status, payment.captured_minor) == (
            PaymentStatus.SUCCEEDED,
            125_000,
        )
        assert _payment_changes(payment)[-1] == (
            PaymentStatus.UNKNOWN,
            PaymentStatus.SUCCEEDED,
        )
        assert BillingEvent.objects.filter(type="payment.succeeded").count() == 1
        _assert_stored_exactly_once(deliveries)

    def test_a_refund_notification_confirms_the_refund_and_records_nothing_new(
        self, gateway: str, sandbox_url: str
    ) -> None:
        payment = _pay(sandbox_url, gateway)
        refund = refund_payment(
            payment_id=payment.id,
            reason="REQUESTED_BY_CUSTOMER",
            requested_by=ACTOR,
            now=NOW,
        )

        deliveries = _flush(sandbox_url)

        payment.refresh_from_db()
        assert (refund.status, payment.refunded_minor) == ("SUCCEEDED", 125_000)
        assert payment.refunds.count() == 1
        refunds = GatewayEventRecord.objects.filter(
            kind__in=("cloudpayments.refund", "stripe.refund.created")
        )
        assert [(r.status, r.error) for r in refunds] == [
            (GatewayEventStatus.PROCESSED, "")
        ]
        _assert_stored_exactly_once(deliveries)
