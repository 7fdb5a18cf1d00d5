"""The reminder after each failed renewal: the next retry, or a new card by when."""

from __future__ import annotations

import pytest
from django.core import mail
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.directory import InMemoryPayerDirectory
from billing.models import NoticeKind, NoticeStatus, PayerNotice
from payments.gateways.fake import FakeGateway
from payments.models import Payment
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.tasks import send_dunning_reminder
from tests.subscriptions.test_renewals import (
    active_subscription,
    hard,
    invoices_of,
    reloaded,
    renew_at,
    soft,
)

pytestmark = pytest.mark.django_db


def _renew_failing(
    subscription: Subscription, capture: DjangoCaptureOnCommitCallbacks
) -> Subscription:
    with capture(execute=True):
        renew_at(subscription.current_period_ends_at)
    return reloaded(subscription)


@pytest.fixture
def known_payer(
    payer_directory: type[InMemoryPayerDirectory], fake_gateway: FakeGateway
) -> Subscription:
    subscription = active_subscription()
    payer_directory.add(subscription.payer_id, email="ann@example.com", name="Ann")
    return subscription


class TestDunningReminder:
    def test_tells_the_payer_when_the_card_is_tried_again(
        self,
        known_payer: Subscription,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        fake_gateway.script("charge", soft())

        subscription = _renew_failing(known_payer, django_capture_on_commit_callbacks)

        assert subscription.next_retry_at is not None
        (message,) = mail.outbox
        assert message.to == ["ann@example.com"]
        retry_day = f"{subscription.next_retry_at:%-d %B %Y}"
        assert retry_day in message.subject
        assert retry_day in message.body
        assert subscription.plan.name in message.body
        assert invoices_of(subscription)[-1].display_number in message.body
        payment = Payment.objects.filter(status="FAILED").get()
        notice = PayerNotice.objects.get(kind=NoticeKind.DUNNING)
        assert notice.object_key == f"payment:{payment.id}"
        assert notice.status == NoticeStatus.SENT

    def test_asks_for_a_new_card_by_the_end_of_the_grace_after_a_hard_decline(
        self,
        known_payer: Subscription,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        fake_gateway.script("charge", hard())

        subscription = _renew_failing(known_payer, django_capture_on_commit_callbacks)

        assert subscription.due_at is not None
        kinds = set(PayerNotice.objects.values_list("kind", flat=True))
        assert kinds == {NoticeKind.DUNNING, NoticeKind.CARD_EXPIRED}
        (reminder,) = [m for m in mail.outbox if "payment failed" in m.subject]
        assert "update your card" in reminder.subject
        assert f"{subscription.due_at:%-d %B %Y}" in reminder.body
        assert "will try the card again" not in reminder.body

    def test_reminds_again_after_each_failed_retry_but_once_per_failure(
        self,
        known_payer: Subscription,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        fake_gateway.script("charge", soft(), soft())
        subscription = _renew_failing(known_payer, django_capture_on_commit_callbacks)
        notice = PayerNotice.objects.get()

        with django_capture_on_commit_callbacks(execute=True):
            renew_at(subscription.next_retry_at)  # type: ignore[arg-type]
        send_dunning_reminder.delay(
            subscription_id=str(subscription.id),
            invoice_id=invoices_of(subscription)[-1].id,
            payment_id=notice.object_key.removeprefix("payment:"),
            attempt=0,
        )

        assert len(mail.outbox) == 2
        assert PayerNotice.objects.filter(kind=NoticeKind.DUNNING).count() == 2

    def test_sends_nothing_once_the_subscription_has_recovered(
        self,
        known_payer: Subscription,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        fake_gateway.script("charge", soft())
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            renew_at(known_payer.current_period_ends_at)
        renew_at(reloaded(known_payer).next_retry_at)  # type: ignore[arg-type]
        assert reloaded(known_payer).status == SubscriptionStatus.ACTIVE

        for callback in callbacks:
            callback()

        assert mail.outbox == []
        assert not PayerNotice.objects.exists()

    def test_is_skipped_for_a_payer_the_directory_does_not_know(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        subscription = active_subscription()
        fake_gateway.script("charge", soft())

        _renew_failing(subscription, django_capture_on_commit_callbacks)

        assert mail.outbox == []
        assert PayerNotice.objects.get().status == NoticeStatus.SKIPPED
