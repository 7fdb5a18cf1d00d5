"""`send_payer_notice`: once per fact, and an outage of the mail server is retryable."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

import pytest
from django.core import mail
from pytest_django.fixtures import Settings

from billing.directory import InMemoryPayerDirectory
from billing.models import NoticeKind, NoticeStatus, PayerNotice
from billing.services import MailServerUnavailable, NoticeMessage, send_payer_notice
from tests.billing.factories import NOW

pytestmark = pytest.mark.django_db


def _message() -> NoticeMessage:
    return NoticeMessage(
        template="payments/email/card_expired", context={"card": "Visa •••• 4242"}
    )


def _send(payer_id: uuid.UUID, key: str = "payment_method:1") -> PayerNotice:
    return send_payer_notice(
        kind=NoticeKind.CARD_EXPIRED,
        object_key=key,
        payer_id=payer_id,
        compose=_message,
        now=NOW,
    )


class TestSendPayerNotice:
    def test_sends_from_the_services_address_and_records_it(
        self, payer_directory: type[InMemoryPayerDirectory], settings: Settings
    ) -> None:
        settings.DEFAULT_FROM_EMAIL = "Billing <billing@shop.example>"
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com")

        notice = _send(payer_id)

        (message,) = mail.outbox
        assert message.from_email == "Billing <billing@shop.example>"
        assert "\n" not in message.subject
        assert (notice.status, notice.settled_at) == (NoticeStatus.SENT, NOW)

    def test_sends_each_fact_once_and_another_fact_again(
        self, payer_directory: type[InMemoryPayerDirectory]
    ) -> None:
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com")

        _send(payer_id, "payment_method:1")
        _send(payer_id, "payment_method:1")
        _send(payer_id, "payment_method:2")

        assert len(mail.outbox) == 2
        assert PayerNotice.objects.count() == 2

    def test_an_unreachable_mail_server_is_retryable_and_leaves_it_to_send(
        self, payer_directory: type[InMemoryPayerDirectory], settings: Settings
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
        settings.EMAIL_USE_TLS = False
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com")

        with pytest.raises(MailServerUnavailable):
            _send(payer_id)

        assert PayerNotice.objects.get().status == NoticeStatus.PENDING

    @pytest.mark.parametrize(
        ("locale", "greeting"),
        [("ru", "Здравствуйте"), ("ru-RU", "Здравствуйте"), ("de-CH", "Hello")],
    )
    def test_writes_russian_to_a_russian_locale_and_english_to_the_rest(
        self,
        payer_directory: type[InMemoryPayerDirectory],
        locale: str,
        greeting: str,
    ) -> None:
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com", locale=locale)

        _send(payer_id)

        (message,) = mail.outbox
        assert message.body.startswith(greeting)
        assert "Visa •••• 4242" in message.subject


class TestDunningReminderInRussian:
    def test_names_the_retry_day_in_russian(
        self, payer_directory: type[InMemoryPayerDirectory]
    ) -> None:
        """Dates follow the template's language (genitive month names)."""
        payer_id = uuid.uuid4()
        payer_directory.add(payer_id, email="ann@example.com", name="Аня", locale="ru")
        message = NoticeMessage(
            template="subscriptions/email/dunning",
            context={
                "plan": "Кино",
                "amount": "599.00 RUB",
                "invoice_number": "INV-00000001",
                "needs_new_card": False,
                "next_retry_at": dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC),
            },
        )

        send_payer_notice(
            kind=NoticeKind.DUNNING,
            object_key="payment:1",
            payer_id=payer_id,
            compose=lambda: message,
            now=NOW,
        )

        (sent,) = mail.outbox
        assert sent.subject.endswith("«Кино»: попробуем снова 3 февраля 2026")
        assert sent.body.startswith("Здравствуйте, Аня!")
