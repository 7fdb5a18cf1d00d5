"""Retries of one-off payments: concurrent calls under one key, expired deadlines."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from billing.models import ClientRequest
from grpc_api.generated.billing.v1 import billing_pb2
from payments.gateways.base import ChargeRequest, ChargeResult
from payments.gateways.fake import FakeGateway
from payments.models import Payment, PaymentStatus
from tests.grpc_api.payment_calls import charge, one_off, saved_card
from tests.polling import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


class SlowGateway:
    """Holds every charge at the fake gateway until the test lets it through."""

    def __init__(self, gateway: FakeGateway) -> None:
        self.released = threading.Event()
        self._charge = gateway.charge

    def charge(self, request: ChargeRequest) -> ChargeResult:
        assert self.released.wait(timeout=30), "the test never released the charge"
        return self._charge(request)


@pytest.fixture
def slow_gateway(
    fake_gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SlowGateway]:
    slow = SlowGateway(fake_gateway)
    monkeypatch.setattr(fake_gateway, "charge", slow.charge)
    yield slow
    slow.released.set()


def test_concurrent_calls_with_one_key_make_one_payment(
    channel: grpc.Channel, fake_gateway: FakeGateway
) -> None:
    """Each answers the same payment; the gateway is asked once."""
    request = one_off(saved_card().payer_id)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(lambda _: charge(channel, request, key="same-key"), range(6))
        )

    assert len({answer.id for answer in answers}) == 1
    assert Payment.objects.count() == 1
    assert ClientRequest.objects.count() == 1
    assert len(fake_gateway.calls_to("charge")) == 1
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_an_expired_deadline_cancels_nothing_and_the_retry_answers_the_payment(
    channel: grpc.Channel, fake_gateway: FakeGateway, slow_gateway: SlowGateway
) -> None:
    """The client gives up; the server finishes; the retry is not a second charge."""
    request = one_off(saved_card().payer_id)

    with pytest.raises(grpc.RpcError) as expired:
        charge(channel, request, key="slow-key", timeout=0.5)
    slow_gateway.released.set()
    wait_until(
        lambda: Payment.objects.filter(status=PaymentStatus.SUCCEEDED).exists(),
        message="the payment completes on the server",
    )
    retried = charge(channel, request, key="slow-key")

    assert expired.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    payment = Payment.objects.get()
    assert retried.id == str(payment.id)
    assert retried.status == billing_pb2.PAYMENT_STATUS_SUCCEEDED
    assert len(fake_gateway.calls_to("charge")) == 1
    assert len(fake_gateway.payments) == 1


def test_a_retry_while_the_first_call_is_at_the_gateway_names_its_payment(
    channel: grpc.Channel, fake_gateway: FakeGateway, slow_gateway: SlowGateway
) -> None:
    """The payment row and key are committed before the gateway is asked."""
    request = one_off(saved_card().payer_id)
    with pytest.raises(grpc.RpcError):
        charge(channel, request, key="slow-key", timeout=0.5)

    pending = charge(channel, request, key="slow-key")
    slow_gateway.released.set()

    assert pending.status == billing_pb2.PAYMENT_STATUS_PENDING
    wait_until(
        lambda: Payment.objects.get(id=pending.id).status == PaymentStatus.SUCCEEDED,
        message="the first call completes the payment",
    )
    assert len(fake_gateway.calls_to("charge")) == 1
