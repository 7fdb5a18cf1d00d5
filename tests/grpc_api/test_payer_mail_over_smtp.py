"""A receipt end to end: the payer's address from AuthService over a real channel,
the mail through Django's SMTP backend to a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django.fixtures import Settings

from accounts.service_tokens import issue_service_token
from billing.models import NoticeStatus, PayerNotice
from grpc_api.server import GrpcServer
from tests.accounts.factories import UserFactory
from tests.billing.factories import InvoiceFactory
from tests.fixtures.smtp import SmtpServer
from tests.payments.factories import pay_by_card

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def wired(settings: Settings, server: GrpcServer, smtp_server: SmtpServer) -> None:
    """Production's wiring: the gRPC directory and the SMTP backend, on loopback."""
    settings.BILLING_PAYER_DIRECTORY = "grpc_api.payer_directory.AuthServiceDirectory"
    settings.AUTH_GRPC_TARGET = f"127.0.0.1:{server.port}"
    settings.AUTH_GRPC_TOKEN = issue_service_token(
        name="billing",
        scopes=["auth.users.read"],
        days=1,
        now=dt.datetime.now(tz=dt.UTC),
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "Billing <billing@shop.example>"


@pytest.mark.usefixtures("wired")
class TestReceiptOverSmtp:
    def test_the_payer_receives_the_receipt_with_the_invoice_pdf(
        self, smtp_server: SmtpServer
    ) -> None:
        user = UserFactory.create(email="ann@example.com", name="Ann")
        invoice = InvoiceFactory.create(payer_id=user.id, currency="RUB")

        payment = pay_by_card(pays=f"invoice:{invoice.id}", payer_id=user.id)

        ((recipients, message),) = smtp_server.received.messages
        assert recipients == ["ann@example.com"]
        assert message["To"] == "ann@example.com"
        assert message["From"] == "Billing <billing@shop.example>"
        assert message["Subject"] == f"Receipt: {payment.captured.format()} paid"
        body = message.get_body(preferencelist=("plain",))
        assert body is not None and "Hello Ann" in body.get_content()
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"{invoice.display_number}.pdf"
        assert attachment.get_content().startswith(b"%PDF")
        assert PayerNotice.objects.get().status == NoticeStatus.SENT

    def test_a_payer_unknown_to_the_auth_service_gets_nothing(
        self, smtp_server: SmtpServer
    ) -> None:
        invoice = InvoiceFactory.create(currency="RUB")

        pay_by_card(pays=f"invoice:{invoice.id}", payer_id=invoice.payer_id)

        assert smtp_server.received.messages == []
        assert PayerNotice.objects.get().status == NoticeStatus.SKIPPED
