"""Checkout pages that hold an amount (AUTHORIZE) for a caller's reference."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.clock import billing_now
from billing.money import Money
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)
from payments.services import (
    CheckoutReferenceTaken,
    InvalidCheckoutSession,
    InvalidOneOffPayment,
    PaymentInProgress,
    settle_unknown_payments,
)
from tests.payments.checkout_sessions import (
    ACS_URL,
    NOW,
    PAYER,
    challenge,
    open_hold,
    open_session,
    pay_with_reply_lost,
    query_of,
    submit_card,
)
from tests.payments.factories import PaymentFactory

pytestmark = pytest.mark.django_db

ORDER = "order:5b0e7a52-3c4d-4e1f-9a8b-7c6d5e4f3a2b"
_DECLINE = Declined(reason_code="5051", message="Not enough money.", hard=False)


def _hold_elsewhere(reference: str = ORDER) -> Payment:
    """The reference held on a card another way (as AuthorizePayment does)."""
    payment: Payment = PaymentFactory.create(
        payer_id=PAYER, pays=reference, capture=False, now=billing_now()
    )
    assert payment.status == PaymentStatus.AUTHORIZED
    return payment


class TestOpenHold:
    def test_opens_a_page_that_holds_for_the_reference(self) -> None:
        session = open_hold(ORDER)

        assert session.mode == CheckoutSessionMode.AUTHORIZE
        assert session.pays == ORDER
        assert session.status == CheckoutSessionStatus.OPEN

    @pytest.mark.parametrize(
        "reference", ["", "order", "invoice:42", "checkout:1", "Order:1", "order:a b"]
    )
    def test_a_hold_needs_a_callers_reference(self, reference: str) -> None:
        with pytest.raises(InvalidOneOffPayment):
            open_hold(reference)

        assert not CheckoutSession.objects.exists()

    def test_a_hold_verifies_no_card_for_a_purpose(self) -> None:
        with pytest.raises(InvalidCheckoutSession):
            open_session(
                mode=CheckoutSessionMode.AUTHORIZE,
                pays=ORDER,
                setup_purpose="subscription:1",
            )

    def test_a_description_longer_than_the_page_shows_is_refused(self) -> None:
        with pytest.raises(InvalidCheckoutSession):
            open_session(description="x" * 201)

    def test_a_reference_held_already_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        _hold_elsewhere()

        with pytest.raises(PaymentInProgress):
            open_hold(ORDER)

        assert not CheckoutSession.objects.exists()

    def test_a_reference_with_an_open_page_is_refused(self) -> None:
        open_hold(ORDER)

        with pytest.raises(CheckoutReferenceTaken):
            open_hold(ORDER)

        assert CheckoutSession.objects.count() == 1

    def test_a_page_past_its_expiry_unused_gives_way_to_a_new_one(self) -> None:
        stale = open_hold(ORDER, created_at=billing_now() - dt.timedelta(hours=1))

        fresh = open_hold(ORDER)

        stale.refresh_from_db()
        assert stale.status == CheckoutSessionStatus.EXPIRED
        assert fresh.status == CheckoutSessionStatus.OPEN

    def test_a_page_whose_card_was_declined_gives_way_to_a_new_one(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", _DECLINE)
        declined = open_hold(ORDER)
        submit_card(Client(), declined)

        fresh = open_hold(ORDER)

        declined.refresh_from_db()
        assert declined.status == CheckoutSessionStatus.FAILED
        assert fresh.status == CheckoutSessionStatus.OPEN


class TestPayHold:
    def test_holds_the_amount_without_capturing_and_saves_the_card(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_hold(ORDER)

        response = submit_card(Client(), session)

        assert response.status_code == 302
        assert query_of(response["Location"])["status"] == "succeeded"
        (sent,) = fake_gateway.calls_to("charge")
        assert sent["request"].capture is False
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        payment = Payment.objects.get()
        assert session.payment_id == payment.id
        assert payment.status == PaymentStatus.AUTHORIZED
        assert payment.kind == PaymentKind.ORDER
        assert payment.pays == ORDER
        assert payment.captured_minor == 0
        card = PaymentMethod.objects.get(payer_id=PAYER)
        assert card.is_default
        assert payment.payment_method_id == card.id

    def test_a_3ds_card_is_held_once_the_bank_says_yes(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_hold(ORDER)
        browser = Client()
        sent = submit_card(browser, session)

        back = browser.post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "pares"}
        )

        assert f'action="{ACS_URL}"' in sent.content.decode()
        assert query_of(back["Location"])["status"] == "succeeded"
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        payment = Payment.objects.get()
        assert payment.status == PaymentStatus.AUTHORIZED
        assert payment.captured_minor == 0

    def test_a_declined_card_fails_the_page_with_no_hold(
        self, fake_gateway: FakeGateway
    ) -> None:
        """The caller's order hears of the decline: the page takes no other card."""
        fake_gateway.script("charge", _DECLINE)
        session = open_hold(ORDER)

        response = submit_card(Client(), session)

        assert response["Location"].startswith("https://shop.example/sorry?")
        assert query_of(response["Location"])["reason"] == "5051"
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.FAILED
        assert Payment.objects.get().status == PaymentStatus.FAILED

    def test_a_hold_settled_by_the_janitor_completes_its_page(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        session = open_hold(ORDER, created_at=NOW)
        pay_with_reply_lost(fake_gateway, session)

        with django_capture_on_commit_callbacks(execute=True):
            settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.payment is not None
        assert session.payment.status == PaymentStatus.AUTHORIZED

    def test_a_hold_made_another_way_is_not_the_pages(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """Held on a saved card while the page waits: the page cannot hold twice."""
        session = open_hold(ORDER)
        with django_capture_on_commit_callbacks(execute=True):
            _hold_elsewhere()

        response = submit_card(Client(), session)

        assert response.status_code == 409
        assert "already paid" in response.content.decode()
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.OPEN
        assert session.payment_id is None
        assert session.claimed_at is None
        assert len(fake_gateway.calls_to("charge")) == 1


class TestHoldPage:
    def test_says_the_amount_is_held_not_charged(self) -> None:
        session = open_hold(ORDER)

        response = Client().get(f"/checkout/{session.id}/")

        html = response.content.decode()
        assert response.status_code == 200
        assert "<title>Hold 499.00 RUB</title>" in html
        assert "held on your card, not charged" in html
        assert "Snacks: 3 items" in html
        assert '"hold": true' in html
        assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]

    def test_a_payment_page_says_nothing_of_a_hold(self) -> None:
        html = Client().get(f"/checkout/{open_session().id}/").content.decode()

        assert "not charged" not in html
        assert '"hold": false' in html


class TestHoldSync:
    def test_a_new_page_follows_its_own_payment_not_the_old_pages(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        fake_gateway.script("charge", _DECLINE)
        declined = open_hold(ORDER)
        submit_card(Client(), declined)
        fresh = open_hold(ORDER)

        with django_capture_on_commit_callbacks(execute=True):
            response = submit_card(Client(), fresh)

        assert query_of(response["Location"])["status"] == "succeeded"
        declined.refresh_from_db()
        fresh.refresh_from_db()
        assert declined.status == CheckoutSessionStatus.FAILED
        assert fresh.status == CheckoutSessionStatus.COMPLETED
        assert fresh.payment_id != declined.payment_id
        assert Money(fresh.amount_minor, fresh.currency) == Money(49_900, "RUB")
