"""Receipts and expired-card notices: sent once per fact, to the directory's address."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from billing.directory import DirectoryUnavailable, InMemoryPayerDirectory
from billing.models import NoticeKind, NoticeStatus, PayerNotice
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import Payment
from payments.services import charge_saved_card
from payments.tasks import send_card_expired_notice, send_payment_receipt
from tests.billing.factories import InvoiceFactory
from tests.payments.factories import ACTOR, AMOUNT, NOW, pay_by_card

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture
def retrying_eagerly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eager tasks retry in place, as a worker would later, instead of raising."""
    monkeypatch.setitem(send_payment_receipt.app.conf, "task_eager_propagates", False)


def _only_mail() -> EmailMultiAlternatives:
    (message,) = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    return message


def _html(message: EmailMultiAlternatives) -> str:
    ((content, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return str(content)


def _pay_invoice(capture: Capture, payer_id: uuid.UUID) -> Payment:
    invoice = InvoiceFactory.create(payer_id=payer_id, currency="RUB")
    with capture(execute=True):
        return pay_by_card(pays=f"invoice:{invoice.id}", payer_id=payer_id)


class TestPaymentReceipt:
    def test_mails_the_payer_a_receipt_with_the_invoice_pdf(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com", name="Ann")

        payment = _pay_invoice(django_capture_on_commit_callbacks, payer_id)

        message = _only_mail()
        assert message.to == ["ann@example.com"]
        assert "Receipt" in message.subject
        assert payment.captured.format() in message.subject
        assert "Hello Ann" in message.body
        assert str(payment.id) in message.body and str(payment.id) in _html(message)
        ((filename, content, mimetype),) = message.attachments
        assert filename.endswith(".pdf") and mimetype == "application/pdf"
        assert content.startswith(b"%PDF")
        notice = PayerNotice.objects.get()
        assert (notice.kind, notice.status) == (NoticeKind.RECEIPT, NoticeStatus.SENT)
        assert notice.object_key == f"payment:{payment.id}"

    def test_attaches_nothing_to_a_payment_for_no_invoice(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com")

        with django_capture_on_commit_callbacks(execute=True):
            pay_by_card(payer_id=payer_id, pays="order:42")

        message = _only_mail()
        assert message.attachments == []
        assert "attached" not in message.body

    def test_never_shows_the_card_number_or_token(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        first = pay_by_card()
        payer_directory.add(first.payer_id, email="ann@example.com")

        with django_capture_on_commit_callbacks(execute=True):
            renewal = charge_saved_card(
                payer_id=first.payer_id, amount=AMOUNT, now=NOW, actor=ACTOR
            )

        method = renewal.payment_method
        assert method is not None
        message = _only_mail()
        for text in (message.subject, message.body, _html(message)):
            assert method.token
            assert method.token not in text
            assert method.first6 not in text
        assert f"{method.brand} •••• {method.last4}" in message.body

    def test_is_sent_once_however_often_the_payment_is_announced(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        """A replayed webhook or a re-run task finds the notice and sends nothing."""
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com")
        payment = _pay_invoice(django_capture_on_commit_callbacks, payer_id)

        send_payment_receipt.delay(payment_id=str(payment.id))
        send_payment_receipt.delay(payment_id=str(payment.id))

        assert len(mail.outbox) == 1
        assert PayerNotice.objects.count() == 1
        assert payer_directory.asked == [payer_id]

    def test_is_skipped_for_a_payer_the_directory_does_not_know(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        payer_id = uuid.uuid4()

        payment = _pay_invoice(django_capture_on_commit_callbacks, payer_id)
        send_payment_receipt.delay(payment_id=str(payment.id))

        assert mail.outbox == []
        assert PayerNotice.objects.get().status == NoticeStatus.SKIPPED
        assert payer_directory.asked == [payer_id]

    @pytest.mark.usefixtures("retrying_eagerly")
    def test_is_retried_while_the_directory_is_down(
        self, payer_directory: type[InMemoryPayerDirectory]
    ) -> None:
        """The task (run eagerly, as a worker would, retrying) tries again later."""
        payment = pay_by_card()
        payer_directory.add(payment.payer_id, email="ann@example.com")
        payer_directory.fail_next(times=2)

        result = send_payment_receipt.apply(kwargs={"payment_id": str(payment.id)})

        assert result.successful()
        assert len(mail.outbox) == 1
        assert payer_directory.asked == [payment.payer_id] * 3
        assert PayerNotice.objects.get().status == NoticeStatus.SENT

    @pytest.mark.usefixtures("retrying_eagerly")
    def test_gives_up_after_five_retries_and_leaves_the_notice_to_send(
        self, payer_directory: type[InMemoryPayerDirectory]
    ) -> None:
        payment = pay_by_card()
        payer_directory.add(payment.payer_id, email="ann@example.com")
        payer_directory.fail_next(times=7)

        result = send_payment_receipt.apply(kwargs={"payment_id": str(payment.id)})

        assert result.failed()
        assert isinstance(result.result, DirectoryUnavailable)
        assert mail.outbox == []
        assert len(payer_directory.asked) == 6
        assert PayerNotice.objects.get().status == NoticeStatus.PENDING

    def test_sends_nothing_for_a_payment_that_did_not_succeed(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com")
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="…", hard=False)
        )

        with django_capture_on_commit_callbacks(execute=True):
            payment = pay_by_card(payer_id=payer_id)
        send_payment_receipt.delay(payment_id=str(payment.id))

        assert mail.outbox == []
        assert PayerNotice.objects.count() == 0


def _card_refused_for_good(
    directory: type[InMemoryPayerDirectory], gateway: FakeGateway, capture: Capture
) -> Payment:
    """A first payment whose card a later charge finds expired; the payer is known."""
    first = pay_by_card()
    directory.add(first.payer_id, email="ann@example.com")
    gateway.script(
        "charge", Declined(reason_code="5054", message="Expired card", hard=True)
    )
    with capture(execute=True):
        charge_saved_card(payer_id=first.payer_id, amount=AMOUNT, now=NOW, actor=ACTOR)
    return first


class TestCardExpiredNotice:
    def test_asks_the_payer_to_update_a_card_refused_for_good(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        first = _card_refused_for_good(
            payer_directory, fake_gateway, django_capture_on_commit_callbacks
        )

        method = first.payment_method
        assert method is not None
        message = _only_mail()
        assert message.to == ["ann@example.com"]
        assert "update" in message.subject
        assert f"{method.brand} •••• {method.last4}" in message.body
        assert method.token
        assert method.token not in message.body + _html(message)
        notice = PayerNotice.objects.get()
        assert notice.kind == NoticeKind.CARD_EXPIRED
        assert notice.object_key == f"payment_method:{method.id}"

    def test_is_sent_once_per_card(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: Capture,
    ) -> None:
        first = _card_refused_for_good(
            payer_directory, fake_gateway, django_capture_on_commit_callbacks
        )

        send_card_expired_notice.delay(payment_method_id=str(first.payment_method_id))

        assert len(mail.outbox) == 1

    def test_sends_nothing_for_a_card_still_usable(
        self, payer_directory: type[InMemoryPayerDirectory]
    ) -> None:
        first = pay_by_card()
        payer_directory.add(first.payer_id, email="ann@example.com")

        send_card_expired_notice.delay(payment_method_id=str(first.payment_method_id))

        assert mail.outbox == []
