"""Payment use cases against the in-memory gateway."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction

from billing.errors import InvalidStatusTransition
from billing.models import BillingEvent, StatusChange
from billing.money import Money
from payments.gateways.base import (
    ChargeResult,
    Declined,
    OutcomeUnknown,
    PaymentState,
    Unavailable,
)
from payments.gateways.fake import CARD, FakeGateway
from payments.models import Payment, PaymentMethod, PaymentMethodStatus, PaymentStatus
from payments.services import (
    CaptureExceedsAuthorization,
    NoUsablePaymentMethod,
    PaymentInProgress,
    RefundExceedsCaptured,
    capture_payment,
    charge_saved_card,
    complete_3ds,
    expire_stale_payments,
    refund_payment,
    settle_unknown_payments,
    void_payment,
)
from tests.payments.factories import (
    ACTOR,
    AMOUNT,
    NOW,
    pay_by_card,
    pay_into_3ds_challenge,
)

pytestmark = pytest.mark.django_db


def _events(payment: Payment) -> list[str]:
    return list(
        BillingEvent.objects.filter(payload__payment_id=str(payment.id))
        .order_by("cursor")
        .values_list("type", flat=True)
    )


class TestStartCardPayment:
    def test_a_success_saves_the_card_as_default_and_wipes_the_cryptogram(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.captured_minor == AMOUNT.amount_minor
        assert payment.cryptogram is None and payment.cryptogram_expires_at is None
        method = PaymentMethod.objects.get(payer=payment.payer)
        assert (method.last4, method.is_default) == ("4242", True)
        assert payment.payment_method_id == method.id
        assert _events(payment) == ["payment.succeeded"]
        assert StatusChange.objects.filter(object_id=str(payment.id)).count() == 1

    def test_sends_the_saved_idempotency_key_and_our_reference(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        request = fake_gateway.calls_to("charge")[0]["request"]
        assert (
            request.idempotency_key
            == payment.idempotency_key
            == f"payment:{payment.id}"
        )
        assert request.reference == f"payment:{payment.id}"

    def test_a_decline_fails_with_the_gateways_reason(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "charge",
            Declined(reason_code="5051", message="Insufficient funds", hard=False),
        )

        payment = pay_by_card()

        assert payment.status == PaymentStatus.FAILED
        assert (payment.failure_code, payment.failure_message) == (
            "5051",
            "Insufficient funds",
        )
        assert not PaymentMethod.objects.exists()
        assert _events(payment) == ["payment.failed"]

    def test_an_unavailable_gateway_fails_the_attempt_so_it_can_be_retried(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", Unavailable("HTTP 503"))

        payment = pay_by_card(pays="order:1")
        retry = pay_by_card(pays="order:1")

        assert payment.status == PaymentStatus.FAILED
        assert payment.failure_code == "gateway_unavailable"
        assert retry.status == PaymentStatus.SUCCEEDED

    def test_a_paid_object_cannot_be_paid_twice(
        self, fake_gateway: FakeGateway
    ) -> None:
        pay_by_card(pays="invoice:7")

        with pytest.raises(PaymentInProgress):
            pay_by_card(pays="invoice:7")

        assert Payment.objects.filter(pays="invoice:7").count() == 1
        assert len(fake_gateway.calls_to("charge")) == 1


class TestSavedCards:
    def test_a_token_another_payer_saved_gives_this_payer_a_method_of_its_own(
        self, fake_gateway: FakeGateway
    ) -> None:
        """One card in two accounts may come back with one token: neither payer
        is given, nor charged through, the other's saved method."""
        first = pay_by_card()
        first_method = PaymentMethod.objects.get(payer=first.payer)
        fake_gateway.script(
            "charge",
            ChargeResult(
                "fake_pay_shared",
                PaymentState.SUCCEEDED,
                AMOUNT,
                token=first_method.token,
                card=CARD,
            ),
        )

        second = pay_by_card()

        second.refresh_from_db()
        second_method = PaymentMethod.objects.get(payer=second.payer)
        assert second.payment_method_id == second_method.id != first_method.id
        assert second_method.token == first_method.token
        assert second_method.is_default
        first_method.refresh_from_db()
        assert (first_method.payer_id, first_method.is_default) == (
            first.payer_id,
            True,
        )

    def test_the_same_token_again_for_the_same_payer_is_one_method(
        self, fake_gateway: FakeGateway
    ) -> None:
        first = pay_by_card()
        method = PaymentMethod.objects.get(payer=first.payer)
        fake_gateway.script(
            "charge",
            ChargeResult(
                "fake_pay_again",
                PaymentState.SUCCEEDED,
                AMOUNT,
                token=method.token,
                card=CARD,
            ),
        )

        again = pay_by_card(payer_id=first.payer_id)

        again.refresh_from_db()
        assert again.payment_method_id == method.id
        assert PaymentMethod.objects.filter(payer=first.payer).count() == 1


class TestThreeDs:
    def test_a_challenge_waits_for_the_payer(self, fake_gateway: FakeGateway) -> None:
        payment = pay_into_3ds_challenge(fake_gateway)

        assert payment.status == PaymentStatus.REQUIRES_ACTION
        assert payment.action == {
            "url": "https://acs.example/",
            "form_fields": {"PaReq": "pareq", "MD": "tx-3ds"},
        }
        assert payment.cryptogram is None
        assert _events(payment) == ["payment.requires_action"]

    def test_completing_twice_asks_the_gateway_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_into_3ds_challenge(fake_gateway)

        first = complete_3ds(
            payment_id=payment.id, authentication_result="pares", now=NOW, actor=ACTOR
        )
        second = complete_3ds(
            payment_id=payment.id, authentication_result="pares", now=NOW, actor=ACTOR
        )

        assert first.status == second.status == PaymentStatus.SUCCEEDED
        assert len(fake_gateway.calls_to("complete_3ds")) == 1
        assert first.action is None
        assert PaymentMethod.objects.filter(payer=payment.payer).count() == 1

    def test_a_failed_authentication_fails_the_payment(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_into_3ds_challenge(fake_gateway)
        fake_gateway.script(
            "complete_3ds",
            Declined(reason_code="5206", message="Authentication failed", hard=False),
        )

        failed = complete_3ds(
            payment_id=payment.id, authentication_result="x", now=NOW, actor=ACTOR
        )

        assert failed.status == PaymentStatus.FAILED
        assert failed.failure_code == "5206"


class TestChargeSavedCard:
    def test_charges_the_default_card_off_session(
        self, fake_gateway: FakeGateway
    ) -> None:
        first = pay_by_card()

        renewal = charge_saved_card(
            payer_id=first.payer_id, amount=AMOUNT, now=NOW, actor=ACTOR, scheduled=True
        )

        request = fake_gateway.calls_to("charge")[1]["request"]
        assert renewal.status == PaymentStatus.SUCCEEDED
        assert renewal.payment_method_id == first.payment_method_id
        assert request.merchant_initiated and request.scheduled
        assert request.source.token == first.payment_method.token  # type: ignore[union-attr]

    def test_a_hard_decline_retires_the_card_and_asks_for_a_new_one(
        self, fake_gateway: FakeGateway
    ) -> None:
        first = pay_by_card()
        fake_gateway.script(
            "charge", Declined(reason_code="5054", message="Expired card", hard=True)
        )

        renewal = charge_saved_card(
            payer_id=first.payer_id, amount=AMOUNT, now=NOW, actor=ACTOR
        )

        method = PaymentMethod.objects.get(payments=first)
        assert renewal.status == PaymentStatus.FAILED
        assert method.status == PaymentMethodStatus.EXPIRED and not method.is_default
        assert BillingEvent.objects.filter(type="payment_method.expired").count() == 1
        with pytest.raises(NoUsablePaymentMethod):
            charge_saved_card(
                payer_id=first.payer_id, amount=AMOUNT, now=NOW, actor=ACTOR
            )

    def test_a_soft_decline_keeps_the_card(self, fake_gateway: FakeGateway) -> None:
        first = pay_by_card()
        fake_gateway.script(
            "charge",
            Declined(reason_code="5051", message="Insufficient funds", hard=False),
        )

        charge_saved_card(payer_id=first.payer_id, amount=AMOUNT, now=NOW, actor=ACTOR)

        assert PaymentMethod.objects.get(payments=first).is_usable

    def test_a_payer_without_cards_is_told_so(self, fake_gateway: FakeGateway) -> None:
        with pytest.raises(NoUsablePaymentMethod):
            charge_saved_card(
                payer_id=uuid.uuid4(), amount=AMOUNT, now=NOW, actor=ACTOR
            )

        assert fake_gateway.calls_to("charge") == []


class TestUnknownOutcomes:
    def test_a_lost_reply_is_settled_later_and_never_charged_again(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", OutcomeUnknown("read timeout"))

        payment = pay_by_card()
        early = settle_unknown_payments(now=NOW + dt.timedelta(minutes=4))
        settled = settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        payment.refresh_from_db()
        assert (early, settled) == (0, 1)
        assert payment.status == PaymentStatus.SUCCEEDED
        assert len(fake_gateway.calls_to("charge")) == 1
        assert _events(payment) == ["payment.outcome_unknown", "payment.succeeded"]

    def test_an_interrupted_payment_fails_once_the_gateway_has_never_seen_it(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()
        Payment.objects.filter(id=payment.id).update(
            status=PaymentStatus.PENDING, cryptogram="sbx1:left-behind"
        )
        fake_gateway.payments.clear()

        expire_stale_payments(now=NOW + dt.timedelta(minutes=16))
        moments = [NOW + dt.timedelta(days=day, minutes=30) for day in range(0, 6)]
        for moment in moments:
            settle_unknown_payments(now=moment)

        payment.refresh_from_db()
        assert payment.cryptogram is None
        assert payment.status == PaymentStatus.FAILED
        assert payment.failure_code == "not_at_gateway"
        assert payment.outcome_checks == 5


class TestTwoStep:
    def test_capture_part_of_an_authorization_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card(capture=False)

        captured = capture_payment(
            payment_id=payment.id, amount=Money(50_000, "RUB"), now=NOW, actor=ACTOR
        )
        again = capture_payment(payment_id=payment.id, now=NOW, actor=ACTOR)

        assert payment.status == PaymentStatus.AUTHORIZED
        assert captured.status == again.status == PaymentStatus.SUCCEEDED
        assert again.captured_minor == 50_000
        assert len(fake_gateway.calls_to("capture")) == 1
        assert _events(payment) == ["payment.authorized", "payment.captured"]

    def test_capture_above_the_authorization_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card(capture=False)

        with pytest.raises(CaptureExceedsAuthorization):
            capture_payment(
                payment_id=payment.id, amount=Money(99_901, "RUB"), now=NOW, actor=ACTOR
            )

        assert fake_gateway.calls_to("capture") == []

    def test_void_releases_and_a_paid_payment_cannot_be_voided(
        self, fake_gateway: FakeGateway
    ) -> None:
        held = pay_by_card(capture=False)
        paid = pay_by_card()

        voided = void_payment(payment_id=held.id, now=NOW, actor=ACTOR)

        assert voided.status == PaymentStatus.CANCELED
        assert _events(held) == ["payment.authorized", "payment.voided"]
        with pytest.raises(InvalidStatusTransition):
            void_payment(payment_id=paid.id, now=NOW, actor=ACTOR)


class TestRefunds:
    def test_refunds_add_up_to_the_capture_and_no_further(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        refund_payment(
            payment_id=payment.id,
            amount=Money(40_000, "RUB"),
            reason="REQUESTED_BY_CUSTOMER",
            requested_by=ACTOR,
            now=NOW,
        )
        rest = refund_payment(
            payment_id=payment.id, reason="OTHER", requested_by=ACTOR, now=NOW
        )
        with pytest.raises(RefundExceedsCaptured):
            refund_payment(
                payment_id=payment.id,
                amount=Money(1, "RUB"),
                reason="OTHER",
                requested_by=ACTOR,
                now=NOW,
            )

        payment.refresh_from_db()
        assert rest.amount_minor == 59_900
        assert payment.refunded_minor == payment.captured_minor
        assert payment.refund_state == "REFUNDED"
        assert BillingEvent.objects.filter(type="payment.refunded").count() == 2

    def test_a_refund_whose_outcome_is_lost_stays_reserved(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()
        fake_gateway.script("refund", OutcomeUnknown("reply lost"))

        unknown = refund_payment(
            payment_id=payment.id, reason="OTHER", requested_by=ACTOR, now=NOW
        )

        assert unknown.status == "UNKNOWN"
        with pytest.raises(RefundExceedsCaptured):
            refund_payment(
                payment_id=payment.id,
                amount=Money(1, "RUB"),
                reason="OTHER",
                requested_by=ACTOR,
                now=NOW,
            )

    def test_the_database_refuses_refunding_more_than_was_captured(
        self, fake_gateway: FakeGateway
    ) -> None:
        payment = pay_by_card()

        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.filter(id=payment.id).update(
                refunded_minor=AMOUNT.amount_minor + 1
            )


class TestStateMachine:
    def test_terminal_states_refuse_every_transition(self) -> None:
        payment = Payment(status=PaymentStatus.SUCCEEDED)

        with pytest.raises(InvalidStatusTransition):
            payment.transition_to(PaymentStatus.FAILED, at=NOW)

        assert payment.status == PaymentStatus.SUCCEEDED
