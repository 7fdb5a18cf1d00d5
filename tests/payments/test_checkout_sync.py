"""Checkout sessions that follow a payment settled later, and expire unused."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.models import StatusChange
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.receivers import (
    enqueue_checkout_session_sync,
)
from payments.services import (
    expire_checkout_sessions,
    settle_unknown_payments,
    sync_checkout_session,
)
from tests.payments.checkout_sessions import (
    NOW,
    PAYER,
    open_paying,
    open_session,
    pay_with_reply_lost,
    query_of,
    submit_card,
)

pytestmark = pytest.mark.django_db


class TestSyncCheckoutSession:
    def test_a_payment_the_janitor_settles_completes_its_session(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """Through the signal, its receiver and the task, once the payment commits."""
        session = open_session(created_at=NOW)
        pay_with_reply_lost(fake_gateway, session)

        with django_capture_on_commit_callbacks(execute=True):
            settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED

    def test_a_failed_payment_fails_its_session_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Repeating the sync changes nothing and audits the move once."""
        session = open_session(created_at=NOW)
        payment = pay_with_reply_lost(fake_gateway, session)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.FAILED)

        first = sync_checkout_session(payment_id=payment.id, now=NOW)
        second = sync_checkout_session(payment_id=payment.id, now=NOW)

        assert first is not None and second is not None
        assert first.status == second.status == CheckoutSessionStatus.FAILED
        assert (
            StatusChange.objects.filter(
                object_type="checkout_session", object_id=str(session.id)
            ).count()
            == 1
        )

    def test_a_session_waits_while_its_payment_is_open(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session(created_at=NOW)
        payment = pay_with_reply_lost(fake_gateway, session)

        synced = sync_checkout_session(payment_id=payment.id, now=NOW)

        assert synced is not None
        assert synced.status == CheckoutSessionStatus.OPEN

    @pytest.mark.parametrize(
        ("pays", "enqueued"), [("checkout:" + str(PAYER), 1), ("invoice:7", 0)]
    )
    def test_only_checkout_payments_are_enqueued(
        self,
        pays: str,
        enqueued: int,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        with django_capture_on_commit_callbacks() as callbacks:
            enqueue_checkout_session_sync(
                sender=Payment,
                payment_id=uuid.uuid4(),
                pays=pays,
                from_status=PaymentStatus.UNKNOWN,
                to_status=PaymentStatus.SUCCEEDED,
            )

        assert len(callbacks) == enqueued


class TestExpireCheckoutSessions:
    def test_an_unused_session_expires_at_its_expiry_and_not_before(self) -> None:
        session = open_session(created_at=NOW)

        early = expire_checkout_sessions(now=session.expires_at - dt.timedelta(0, 1))
        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert (early, expired) == (0, 1)
        assert session.status == CheckoutSessionStatus.EXPIRED
        assert StatusChange.objects.filter(
            object_id=str(session.id), to_status="EXPIRED"
        ).exists()

    def test_a_session_whose_payment_failed_expires(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session(created_at=NOW)
        payment = pay_with_reply_lost(fake_gateway, session)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.FAILED)

        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert expired == 1
        assert session.status == CheckoutSessionStatus.EXPIRED

    def test_a_session_whose_payment_is_open_follows_its_payment(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session(created_at=NOW)
        pay_with_reply_lost(fake_gateway, session)

        expired = expire_checkout_sessions(now=session.expires_at)

        session.refresh_from_db()
        assert expired == 0
        assert session.status == CheckoutSessionStatus.OPEN

    def test_a_session_claimed_moments_ago_is_left_to_its_request(self) -> None:
        """A claim without a payment row yet is a pay request still in flight."""
        session = open_session(created_at=NOW)
        CheckoutSession.objects.filter(id=session.id).update(
            claimed_at=session.expires_at - dt.timedelta(seconds=1)
        )

        in_flight = expire_checkout_sessions(now=session.expires_at)
        abandoned = expire_checkout_sessions(
            now=session.expires_at + dt.timedelta(minutes=15)
        )

        assert (in_flight, abandoned) == (0, 1)


class TestPayingSomethingElse:
    def test_the_payment_pays_what_the_session_was_opened_for(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_paying("order:42")

        response = submit_card(Client(), session)

        assert query_of(response["Location"])["status"] == "succeeded"
        payment = Payment.objects.get()
        assert payment.pays == "order:42"
        assert payment.kind == PaymentKind.INITIAL
        session.refresh_from_db()
        assert session.payment_id == payment.id
        assert session.status == CheckoutSessionStatus.COMPLETED

    def test_a_payment_settled_later_completes_its_session(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        session = open_paying("order:42", created_at=NOW)
        pay_with_reply_lost(fake_gateway, session)

        with django_capture_on_commit_callbacks(execute=True):
            settle_unknown_payments(now=NOW + dt.timedelta(minutes=5))

        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED

    def test_a_sync_leaves_other_sessions_alone(
        self, fake_gateway: FakeGateway
    ) -> None:
        mine = open_paying("order:42", created_at=NOW)
        other = open_paying("order:43", created_at=NOW)
        payment = pay_with_reply_lost(fake_gateway, mine)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.SUCCEEDED)

        synced = sync_checkout_session(payment_id=payment.id, now=NOW)

        other.refresh_from_db()
        assert synced is not None and synced.id == mine.id
        assert synced.status == CheckoutSessionStatus.COMPLETED
        assert other.status == CheckoutSessionStatus.OPEN
        assert other.payment_id is None

    def test_a_session_whose_payment_failed_expires(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_paying("order:42", created_at=NOW)
        payment = pay_with_reply_lost(fake_gateway, session)
        Payment.objects.filter(id=payment.id).update(status=PaymentStatus.FAILED)

        expired = expire_checkout_sessions(now=session.expires_at)

        assert expired == 1

    @pytest.mark.parametrize(
        ("kind", "to_status", "enqueued"),
        [
            (PaymentKind.INITIAL, PaymentStatus.SUCCEEDED, 1),
            (PaymentKind.INITIAL, PaymentStatus.FAILED, 1),
            (PaymentKind.INITIAL, PaymentStatus.REQUIRES_ACTION, 0),
            (PaymentKind.ORDER, PaymentStatus.AUTHORIZED, 1),
            (PaymentKind.ORDER, PaymentStatus.FAILED, 1),
            (PaymentKind.ORDER, PaymentStatus.REQUIRES_ACTION, 0),
            (PaymentKind.RECURRING, PaymentStatus.SUCCEEDED, 0),
            (PaymentKind.ONE_OFF, PaymentStatus.FAILED, 0),
        ],
    )
    def test_only_checkout_kinds_of_payments_are_enqueued_when_settled(
        self,
        kind: str,
        to_status: str,
        enqueued: int,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """A first payment or a hold may be a checkout's (PAYMENT, AUTHORIZE); a
        renewal's or a one-off charge's never is: it gets no task."""
        with django_capture_on_commit_callbacks() as callbacks:
            enqueue_checkout_session_sync(
                sender=Payment,
                payment_id=uuid.uuid4(),
                pays="invoice:7",
                kind=kind,
                from_status=PaymentStatus.PENDING,
                to_status=to_status,
            )

        assert len(callbacks) == enqueued
