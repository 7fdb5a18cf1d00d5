"""Paying a checkout session through its page, with and without 3-D Secure."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from billing.clock import billing_now
from billing.models import StatusChange
from billing.money import Money
from payments.gateways import reset_gateways
from payments.gateways.base import (
    Declined,
    OutcomeUnknown,
)
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.services import (
    CheckoutSessionExpired,
    CheckoutSessionUsed,
    GatewayNotConfigured,
    pay_checkout_session,
)
from tests.payments.checkout_sessions import (
    ACS_URL,
    FAILURE_URL,
    PAYER,
    challenge,
    open_card_check,
    open_session,
    query_of,
    submit_card,
)

pytestmark = pytest.mark.django_db


class TestPay:
    def test_success_redirects_to_the_success_url(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session()

        response = submit_card(Client(), session)

        assert response.status_code == 302
        assert response["Location"].startswith("https://shop.example/thanks?")
        assert query_of(response["Location"]) == {
            "order": "42",
            "checkout": str(session.id),
            "status": "succeeded",
        }
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.completed_at is not None
        payment = Payment.objects.get(pays=f"checkout:{session.id}")
        assert session.payment_id == payment.id
        assert payment.status == PaymentStatus.SUCCEEDED
        assert payment.kind == PaymentKind.INITIAL
        assert payment.pays == f"checkout:{session.id}"
        assert payment.payer_id == PAYER

    def test_charges_the_sessions_amount_with_the_widgets_payload(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session()

        submit_card(Client(), session, payload="sbx1:the-card")

        [call] = fake_gateway.calls_to("charge")
        request = call["request"]
        assert request.amount == Money(49_900, "RUB")
        assert request.source.payload == "sbx1:the-card"
        assert request.return_url == f"http://testserver/checkout/{session.id}/3ds"

    def test_a_third_decline_redirects_to_the_failure_url_with_the_reason(
        self, fake_gateway: FakeGateway
    ) -> None:
        """The first two refused cards show the page again; the third ends it."""
        fake_gateway.script(
            "charge",
            *(
                Declined(reason_code="5051", message="No funds", hard=False)
                for _ in range(3)
            ),
        )
        session = open_session()
        browser = Client()
        submit_card(browser, session)
        submit_card(browser, session)

        response = submit_card(browser, session)

        assert response.status_code == 302
        assert response["Location"].startswith(FAILURE_URL)
        assert query_of(response["Location"]) == {
            "checkout": str(session.id),
            "status": "failed",
            "reason": "5051",
        }
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.FAILED

    def test_a_session_pays_once(self, fake_gateway: FakeGateway) -> None:
        session = open_session()
        submit_card(Client(), session)

        again = submit_card(Client(), session)

        assert again.status_code == 410
        assert "already been used" in again.content.decode()
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_a_second_claim_is_refused_by_the_service(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_session()
        arguments: dict[str, Any] = {
            "session_id": session.id,
            "card_payload": "sbx1:card",
            "ip_address": "127.0.0.1",
            "return_url": "https://billing.example/3ds",
            "now": billing_now(),
        }
        pay_checkout_session(**arguments)

        with pytest.raises(CheckoutSessionUsed):
            pay_checkout_session(**arguments)

    def test_an_expired_session_is_refused_and_marked_expired(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session(created_at=billing_now() - dt.timedelta(minutes=31))

        response = submit_card(Client(), session)

        assert response.status_code == 410
        assert fake_gateway.calls_to("charge") == []
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.EXPIRED
        assert StatusChange.objects.filter(
            object_type="checkout_session", to_status="EXPIRED"
        ).exists()

    def test_the_service_refuses_an_expired_session(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session()

        with pytest.raises(CheckoutSessionExpired):
            pay_checkout_session(
                session_id=session.id,
                card_payload="sbx1:card",
                ip_address=None,
                return_url="https://billing.example/3ds",
                now=session.expires_at,
            )

    def test_a_missing_card_payload_is_a_400_page(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session()

        response = Client().post(f"/checkout/{session.id}/pay", {})

        assert response.status_code == 400
        assert fake_gateway.calls_to("charge") == []

    def test_the_form_post_needs_the_csrf_token(
        self, fake_gateway: FakeGateway
    ) -> None:
        session = open_session()
        client = Client(enforce_csrf_checks=True)

        refused = submit_card(client, session)
        client.get(f"/checkout/{session.id}/")
        token = client.cookies["csrftoken"].value
        accepted = client.post(
            f"/checkout/{session.id}/pay",
            {"card_payload": "sbx1:card", "csrfmiddlewaretoken": token},
        )

        assert refused.status_code == 403
        assert accepted.status_code == 302

    @pytest.mark.parametrize(
        "open_page", [open_session, open_card_check], ids=["payment", "card_check"]
    )
    def test_a_failure_before_any_attempt_gives_the_session_back(
        self,
        fake_gateway: FakeGateway,
        settings: Settings,
        open_page: Callable[[], CheckoutSession],
    ) -> None:
        """The same error for a payment page and a card-check page."""
        session = open_page()
        settings.PAYMENT_GATEWAYS = {}
        reset_gateways()

        with pytest.raises(GatewayNotConfigured):
            pay_checkout_session(
                session_id=session.id,
                card_payload="sbx1:card",
                ip_address=None,
                return_url="https://billing.example/3ds",
                now=billing_now(),
            )

        session.refresh_from_db()
        assert session.claimed_at is None
        assert session.status == CheckoutSessionStatus.OPEN

    def test_an_unknown_outcome_shows_a_waiting_page(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", OutcomeUnknown("reply lost"))
        session = open_session()

        response = submit_card(Client(), session)

        assert response.status_code == 202
        assert "Do not pay again" in response.content.decode()
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.OPEN


class TestThreeDs:
    def test_cloudpayments_style_challenge_auto_posts_to_the_acs(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_session()

        response = submit_card(Client(), session)

        html = response.content.decode()
        assert response.status_code == 200
        assert f'action="{ACS_URL}"' in html
        assert '<input type="hidden" name="PaReq" value="pareq-value">' in html
        assert '<input type="hidden" name="MD" value="fake_3ds_1">' in html
        term_url = f"http://testserver/checkout/{session.id}/3ds"
        assert f'<input type="hidden" name="TermUrl" value="{term_url}">' in html
        assert ".submit()" in html
        assert "csrfmiddlewaretoken" not in html

    def test_the_acs_posting_back_finishes_the_payment(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_session()
        paying = Client()
        submit_card(paying, session)
        # The same browser (its cookies), now checking CSRF as a real one does.
        browser = Client(enforce_csrf_checks=True)
        browser.cookies = paying.cookies

        response = browser.post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "pares"}
        )

        assert response.status_code == 302
        assert query_of(response["Location"])["status"] == "succeeded"
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert fake_gateway.calls_to("complete_3ds") == [
            {"gateway_reference": "fake_3ds_1"}
        ]

    def test_stripe_style_challenge_redirects_and_returns_by_get(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge(form_fields={}))
        session = open_session()

        browser = Client()
        sent = submit_card(browser, session)
        back = browser.get(
            f"/checkout/{session.id}/3ds", {"payment_intent": "fake_3ds_1"}
        )

        assert sent.status_code == 302
        assert sent["Location"] == ACS_URL
        assert back.status_code == 302
        assert back["Location"].startswith("https://shop.example/thanks?")

    def test_a_failed_authentication_redirects_to_the_failure_url(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        fake_gateway.script(
            "complete_3ds",
            Declined(reason_code="5206", message="Not authenticated", hard=False),
        )
        session = open_session()
        browser = Client()
        submit_card(browser, session)

        response = browser.post(
            f"/checkout/{session.id}/3ds", {"MD": "fake_3ds_1", "PaRes": "bad"}
        )

        assert response["Location"].startswith(FAILURE_URL)
        assert query_of(response["Location"])["reason"] == "5206"

    def test_an_answer_for_another_payment_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_session()
        browser = Client()
        submit_card(browser, session)

        response = browser.post(
            f"/checkout/{session.id}/3ds", {"MD": "someone_else", "PaRes": "pares"}
        )

        assert response.status_code == 400
        assert fake_gateway.calls_to("complete_3ds") == []
        payment = Payment.objects.get(pays=f"checkout:{session.id}")
        assert payment.status == PaymentStatus.REQUIRES_ACTION

    def test_a_replayed_answer_redirects_again_without_a_second_call(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_session()
        browser = Client()
        submit_card(browser, session)
        answer = {"MD": "fake_3ds_1", "PaRes": "pares"}
        browser.post(f"/checkout/{session.id}/3ds", answer)

        replay = browser.post(f"/checkout/{session.id}/3ds", answer)

        assert replay.status_code == 302
        assert query_of(replay["Location"])["status"] == "succeeded"
        assert len(fake_gateway.calls_to("complete_3ds")) == 1

    @pytest.mark.parametrize("answer", [{}, {"MD": "fake_3ds_1"}])
    def test_a_return_without_a_pending_payment_is_refused(
        self, fake_gateway: FakeGateway, answer: dict[str, str]
    ) -> None:
        session = open_session()

        response = Client().post(
            f"/checkout/{session.id}/3ds", {**answer, "resubmitted": "1"}
        )

        assert response.status_code == 403
        assert fake_gateway.calls_to("complete_3ds") == []

    def test_an_unknown_session_is_a_404_page(self) -> None:
        response = Client().get(
            f"/checkout/{uuid.uuid4()}/3ds", {"payment_intent": "pi_1"}
        )

        assert response.status_code == 404
        assert re.search(r"<h1>Checkout not found</h1>", response.content.decode())
