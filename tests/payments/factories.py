"""Payments records for tests, made through the services against the in-memory gateway.

A payment, a refund, a card setup and a checkout session move through their state
machines and post to the ledger, so their factories call the use cases; a saved card
and a received gateway event stand alone and are written directly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import factory

from billing.money import Money
from payments.gateways import get_gateway
from payments.gateways.base import (
    ChargeResult,
    PaymentState,
    RequiresAction,
    ThreeDsChallenge,
)
from payments.gateways.fake import FakeGateway
from payments.models import (
    CardSetup,
    CheckoutSession,
    Discrepancy,
    DiscrepancyKind,
    GatewayEventRecord,
    Payment,
    PaymentMethod,
    PaymentMismatch,
    ReconciliationRun,
    ReconciliationSighting,
    ReconciliationStatus,
    Refund,
    RefundReason,
    RefundRequest,
)
from payments.services import (
    create_checkout_session,
    file_refund_request,
    refund_payment,
    start_card_payment,
    start_card_setup,
)
from tests.billing.factories import PayerFactory
from tests.payments import staff

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
AMOUNT = Money(99_900, "RUB")
ACTOR = "system:test"
CARD_PAYLOAD = "sbx1:cryptogram"
VERIFICATION_AMOUNT = Money(100, "RUB")
PURPOSE = "subscription:7f1c1a8e-0000-4000-8000-000000000001"


class PaymentFactory(factory.Factory[Payment]):
    """A first payment with a card just entered (`start_card_payment`): SUCCEEDED,
    or AUTHORIZED with `capture=False`, unless the gateway is scripted otherwise."""

    class Meta:
        model = Payment

    payer_id = factory.LazyFunction(uuid.uuid4)
    gateway = "fake"
    amount = AMOUNT
    card_payload = CARD_PAYLOAD
    now = NOW
    actor = ACTOR
    pays = ""
    capture = True

    @classmethod
    def _create(cls, model_class: type[Payment], *args: Any, **kwargs: Any) -> Payment:
        return start_card_payment(**kwargs)


class RefundFactory(factory.Factory[Refund]):
    """A refund of a succeeded payment (`refund_payment`), in full by default."""

    class Meta:
        model = Refund

    payment = factory.SubFactory(PaymentFactory)
    amount = None
    reason = RefundReason.REQUESTED_BY_CUSTOMER
    requested_by = ACTOR
    now = NOW

    @classmethod
    def _create(cls, model_class: type[Refund], *args: Any, **kwargs: Any) -> Refund:
        payment: Payment = kwargs.pop("payment")
        return refund_payment(payment_id=payment.id, **kwargs)


class RefundRequestFactory(factory.Factory[RefundRequest]):
    """A PENDING request, filed by support (`file_refund_request`), to refund a
    succeeded payment in full by default."""

    class Meta:
        model = RefundRequest

    payment = factory.SubFactory(PaymentFactory)
    amount = None
    reason = RefundReason.REQUESTED_BY_CUSTOMER
    note = "The customer wrote in."
    user = factory.LazyFunction(staff.support)
    now = NOW

    @classmethod
    def _create(
        cls, model_class: type[RefundRequest], *args: Any, **kwargs: Any
    ) -> RefundRequest:
        payment: Payment = kwargs.pop("payment")
        return file_refund_request(payment_id=payment.id, **kwargs)


class CardSetupFactory(factory.Factory[CardSetup]):
    """A card verified without charging it (`start_card_setup`), for a trial."""

    class Meta:
        model = CardSetup

    payer_id = factory.LazyFunction(uuid.uuid4)
    gateway = "fake"
    card_payload = CARD_PAYLOAD
    verification_amount = VERIFICATION_AMOUNT
    now = NOW
    actor = ACTOR
    purpose = PURPOSE
    return_url = "https://billing.example/card-setups/3ds/return"

    @classmethod
    def _create(
        cls, model_class: type[CardSetup], *args: Any, **kwargs: Any
    ) -> CardSetup:
        return start_card_setup(**kwargs)


class CheckoutSessionFactory(factory.Factory[CheckoutSession]):
    """An OPEN checkout session (`create_checkout_session`), paying the amount."""

    class Meta:
        model = CheckoutSession

    payer_id = factory.LazyFunction(uuid.uuid4)
    amount = AMOUNT
    gateway = "fake"
    success_url = "https://cinema.example/welcome"
    failure_url = "https://cinema.example/sorry"
    created_by = ACTOR
    now = NOW

    @classmethod
    def _create(
        cls, model_class: type[CheckoutSession], *args: Any, **kwargs: Any
    ) -> CheckoutSession:
        return create_checkout_session(**kwargs)


class PaymentMethodFactory(factory.django.DjangoModelFactory[PaymentMethod]):
    """A card saved at the gateway (not the payer's default unless set so)."""

    class Meta:
        model = PaymentMethod

    payer = factory.SubFactory(PayerFactory)
    gateway = "fake"
    token = factory.Sequence(lambda n: f"tok_fake_saved_{n}")
    token_digest = factory.LazyAttribute(
        lambda card: PaymentMethod.digest(card.gateway, card.token)
    )
    brand = "Visa"
    first6 = "424242"
    last4 = "4242"
    exp_month = 12
    exp_year = 2030
    created_at = NOW
    updated_at = NOW


class PaymentMismatchFactory(factory.Factory[PaymentMismatch]):
    """A first payment whose gateway reported taking less than it was asked: the
    settlement rule left the payment PENDING and recorded the report."""

    class Meta:
        model = PaymentMismatch

    taken = Money(100, AMOUNT.currency)

    @classmethod
    def _create(
        cls, model_class: type[PaymentMismatch], *args: Any, **kwargs: Any
    ) -> PaymentMismatch:
        gateway = get_gateway("fake")
        assert isinstance(gateway, FakeGateway)
        reference = f"fake_mismatch_{uuid.uuid4().hex[:12]}"
        gateway.script(
            "charge", ChargeResult(reference, PaymentState.SUCCEEDED, kwargs["taken"])
        )
        payment: Payment = PaymentFactory.create()
        return payment.mismatches.get()


class GatewayEventRecordFactory(factory.django.DjangoModelFactory[GatewayEventRecord]):
    """A verified gateway event, received and not yet processed."""

    class Meta:
        model = GatewayEventRecord

    gateway = "fake"
    kind = "payment.succeeded"
    external_id = factory.Sequence(lambda n: f"evt_fake_{n}")
    payload = factory.LazyAttribute(lambda event: {"id": event.external_id})
    received_at = NOW


def pay_by_card(
    *, capture: bool = True, pays: str = "", payer_id: uuid.UUID | None = None
) -> Payment:
    """A first payment with a card just entered, through the "fake" gateway."""
    return PaymentFactory.create(
        capture=capture, pays=pays, payer_id=payer_id or uuid.uuid4()
    )


def pay_into_3ds_challenge(fake_gateway: FakeGateway) -> Payment:
    """A first payment that the gateway holds for 3-D Secure."""
    fake_gateway.script("charge", _challenge("tx-3ds"))
    return pay_by_card()


def set_up_card(
    *, payer_id: uuid.UUID | None = None, gateway: str = "fake"
) -> CardSetup:
    """A card verified without charging it, for a subscription's trial."""
    return CardSetupFactory.create(payer_id=payer_id or uuid.uuid4(), gateway=gateway)


def set_up_into_3ds_challenge(fake_gateway: FakeGateway) -> CardSetup:
    """A card setup that the gateway holds for 3-D Secure."""
    fake_gateway.script("setup_card", _challenge("tx-setup-3ds"))
    return set_up_card()


def _challenge(gateway_reference: str) -> RequiresAction:
    return RequiresAction(
        ThreeDsChallenge(
            gateway_reference=gateway_reference,
            url="https://acs.example/",
            form_fields={"PaReq": "pareq", "MD": gateway_reference},
        )
    )


class ReconciliationRunFactory(factory.django.DjangoModelFactory[ReconciliationRun]):
    """A completed reconciliation of a fake gateway's day that found nothing."""

    class Meta:
        model = ReconciliationRun

    gateway = "fake"
    day = factory.Sequence(lambda n: NOW.date() - dt.timedelta(days=n + 1))
    status = ReconciliationStatus.COMPLETED
    started_by = ACTOR
    started_at = NOW
    heartbeat_at = NOW
    finished_at = NOW


class DiscrepancyFactory(factory.django.DjangoModelFactory[Discrepancy]):
    """A capture the gateway made that we have no payment for, still open."""

    class Meta:
        model = Discrepancy

    run = factory.SubFactory(ReconciliationRunFactory)
    gateway = factory.SelfAttribute("run.gateway")
    day = factory.SelfAttribute("run.day")
    kind = DiscrepancyKind.MISSING_HERE
    gateway_reference = factory.Sequence(lambda n: f"fake_unknown_{n}")
    subject = factory.LazyAttribute(lambda d: f"transaction:{d.gateway_reference}")
    amount_minor = AMOUNT.amount_minor
    currency = AMOUNT.currency
    reason = "the gateway SUCCEEDED money that we have no payment for"
    detected_at = NOW


class ReconciliationSightingFactory(
    factory.django.DjangoModelFactory[ReconciliationSighting]
):
    """A payment of ours seen in the gateway's list by a run that is under way."""

    class Meta:
        model = ReconciliationSighting

    run = factory.SubFactory(
        ReconciliationRunFactory, status=ReconciliationStatus.RUNNING
    )
    object_id = factory.LazyFunction(lambda: pay_by_card().id)
