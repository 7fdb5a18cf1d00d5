"""Forgetting a payer (privacy request) on the in-memory gateway: subscriptions
canceled, cards revoked, no token or cryptogram left anywhere, the books kept."""

from __future__ import annotations

import uuid

import pytest

from billing.clock import billing_now
from billing.models import BillingEvent, Invoice, InvoiceStatus, Payer, StatusChange
from billing.money import Money
from billing.services import PayerForgotten, PayerNotFound
from payments.gateways.base import Unavailable
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    GatewayEventRecord,
    Payment,
    PaymentMethod,
    PaymentMethodStatus,
    PaymentStatus,
)
from payments.services import GatewayUnavailable, charge_saved_card
from subscriptions.models import SubscriptionStatus
from subscriptions.services import ForgottenPayer, forget_payer, subscribe
from tests.subscriptions.factories import ACTOR, CARD_PAYLOAD
from tests.subscriptions.forgetting import (
    LEFT_BEHIND_CRYPTOGRAM,
    books_problems,
    payer_with_history,
    secrets_left,
    stored_text,
)

pytestmark = pytest.mark.django_db

REASON = "privacy request #42"


def _forget(payer_id: uuid.UUID) -> ForgottenPayer:
    return forget_payer(
        payer_id=payer_id, now=billing_now(), actor=ACTOR, reason=REASON
    )


class TestForgetPayer:
    def test_cancels_the_subscriptions_now_and_keeps_the_books(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()
        invoices = set(Invoice.objects.filter(payer_id=payer.id).values_list("id"))
        payments = set(Payment.objects.filter(payer_id=payer.id).values_list("id"))

        forgotten = _forget(payer.id)

        payer.subscription.refresh_from_db()
        assert payer.subscription.status == SubscriptionStatus.CANCELED
        assert forgotten.subscriptions_canceled == 1
        assert set(Invoice.objects.filter(payer_id=payer.id).values_list("id")) == (
            invoices
        )
        assert set(Payment.objects.filter(payer_id=payer.id).values_list("id")) == (
            payments
        )
        paid = Invoice.objects.get(payer_id=payer.id, status=InvoiceStatus.PAID)
        assert paid.total_minor > 0
        assert not fake_gateway.calls_to("refund")
        assert books_problems() == []

    def test_leaves_no_token_or_cryptogram_anywhere(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()

        forgotten = _forget(payer.id)

        assert secrets_left(payer.id) == []
        dump = stored_text()
        assert not [token for token in payer.tokens if token in dump]
        assert LEFT_BEHIND_CRYPTOGRAM not in dump
        assert CARD_PAYLOAD not in dump
        assert fake_gateway.revoked_tokens == payer.tokens
        assert forgotten.tokens_dropped == len(payer.tokens)

    def test_keeps_brand_and_last_four_and_masks_the_rest_of_the_card(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()

        _forget(payer.id)

        method = PaymentMethod.objects.get(payer_id=payer.id)
        assert method.status == PaymentMethodStatus.REVOKED
        assert not method.is_default
        assert (method.brand, method.last4) == ("Visa", "4242")
        assert (method.first6, method.exp_month, method.exp_year) == ("", None, None)
        message = GatewayEventRecord.objects.get(payment__payer_id=payer.id)
        assert message.payload == {
            "CardFirstSix": "[forgotten]",
            "CardLastFour": "4242",
            "Amount": 999,
        }
        session = CheckoutSession.objects.get(payer_id=payer.id)
        assert session.status == CheckoutSessionStatus.EXPIRED

    def test_is_audited_and_announced_once_however_often_it_is_asked(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()

        first = _forget(payer.id)
        second = _forget(payer.id)

        assert (first.newly_forgotten, second.newly_forgotten) == (True, False)
        assert second.forgotten_at == first.forgotten_at
        assert Payer.objects.get(id=payer.id).forgotten_at == first.forgotten_at
        events = BillingEvent.objects.filter(type="payer.forgotten", payer_id=payer.id)
        assert [event.payload["payer_id"] for event in events] == [str(payer.id)]
        audit = StatusChange.objects.get(object_type="payer", object_id=str(payer.id))
        assert (audit.to_status, audit.actor, audit.reason) == (
            "FORGOTTEN",
            ACTOR,
            REASON,
        )
        assert REASON not in str(events[0].payload)
        assert len(fake_gateway.revoked_tokens) == len(payer.tokens)

    def test_an_unknown_payer_is_not_found(self) -> None:
        with pytest.raises(PayerNotFound):
            _forget(uuid.uuid4())


class TestGatewayDown:
    def test_the_payer_is_forgotten_and_a_repeat_finishes_the_revocation(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()
        fake_gateway.script("revoke_card", Unavailable("down"))

        with pytest.raises(GatewayUnavailable) as raised:
            _forget(payer.id)

        assert raised.value.http_status == 503
        assert secrets_left(payer.id) == ["PaymentMethod.token"]
        method = PaymentMethod.objects.get(payer_id=payer.id)
        assert method.status == PaymentMethodStatus.REVOKED
        assert Payer.objects.get(id=payer.id).forgotten_at is not None

        finished = _forget(payer.id)

        assert finished.tokens_dropped == 1
        assert secrets_left(payer.id) == []


class TestForgottenPayerIsNeverChargedAgain:
    def test_a_saved_card_charge_is_refused(self, fake_gateway: FakeGateway) -> None:
        payer = payer_with_history()
        _forget(payer.id)

        with pytest.raises(PayerForgotten):
            charge_saved_card(
                payer_id=payer.id,
                amount=Money(1_000, "RUB"),
                now=billing_now(),
                actor=ACTOR,
            )

        assert not Payment.objects.filter(
            payer_id=payer.id, status=PaymentStatus.PENDING
        ).exists()

    def test_a_new_card_and_a_new_subscription_are_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        payer = payer_with_history()
        _forget(payer.id)

        with pytest.raises(PayerForgotten):
            subscribe(
                payer_id=payer.id,
                plan_code=payer.subscription.plan.code,
                now=billing_now(),
                actor=ACTOR,
                card_payload=CARD_PAYLOAD,
                with_trial=False,
            )
