"""Every admin page of an object whose moves are audited shows its audit trail:
here the payer and the saved card that forgetting a payer moves."""

from __future__ import annotations

import pytest
from django.test import Client

from payments.gateways.fake import FakeGateway
from payments.models import PaymentMethod
from subscriptions.services import forget_payer
from tests.payments import staff
from tests.payments.factories import NOW, pay_by_card

pytestmark = pytest.mark.django_db


def test_a_forgotten_payer_and_their_card_show_what_happened(
    fake_gateway: FakeGateway,
) -> None:
    payment = pay_by_card()
    card = PaymentMethod.objects.get(payer_id=payment.payer_id)
    forget_payer(
        payer_id=payment.payer_id, now=NOW, actor="user:privacy", reason="Asked to."
    )
    client = Client()
    client.force_login(staff.support())

    payer_page = client.get(f"/admin/billing/payer/{payment.payer_id}/change/")
    card_page = client.get(f"/admin/payments/paymentmethod/{card.id}/change/")

    assert "KNOWN → FORGOTTEN" in payer_page.content.decode()
    assert "USABLE → REVOKED" in card_page.content.decode()
    assert "user:privacy" in card_page.content.decode()
