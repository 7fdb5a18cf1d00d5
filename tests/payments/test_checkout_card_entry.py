"""What the checkout takes as a card, refused cards, and whose 3-D Secure return
it accepts."""

from __future__ import annotations

import importlib
import logging

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from billing.clock import billing_now
from billing.money import Money
from payments.api.checkout_security import BINDING_COOKIE
from payments.gateways.base import Declined
from payments.gateways.fake import FakeGateway
from payments.models import (
    CheckoutSession,
    CheckoutSessionStatus,
    Payment,
    PaymentStatus,
)
from payments.services import (
    CardNumberRefused,
    CardPayloadRefused,
    check_card_payload,
    sync_checkout_session,
)
from tests.payments.checkout_sessions import (
    challenge,
    open_session,
    query_of,
    submit_card,
)

pytestmark = pytest.mark.django_db

# The shape CloudPayments' checkout script hands out: a version, BIN, last four,
# YYMM and key version in the clear, then the RSA ciphertext in base64.
REAL_CRYPTOGRAM = "014242424242203001" + "q" * 342 + "=="
CARD_NUMBERS = [
    "4242424242424242",
    "4242 4242 4242 4242",
    "4000-0566-5566-5556",
    "4242424242424241",  # not Luhn-valid: still someone's mistyped card
    "6011000990139424123",  # 19 digits
    "4000000000000",  # 13 digits
]
GATEWAY_CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD", "fake": "RUB"}


def _session_for(gateway: str) -> CheckoutSession:
    return open_session(
        gateway=gateway, amount=Money(49_900, GATEWAY_CURRENCIES[gateway])
    )


class TestCheckCardPayload:
    @pytest.mark.parametrize("gateway", ["cloudpayments", "stripe", "fake"])
    @pytest.mark.parametrize("number", CARD_NUMBERS)
    @pytest.mark.parametrize("sandbox", [True, False])
    def test_refuses_what_looks_like_a_card_number(
        self, gateway: str, number: str, sandbox: bool
    ) -> None:
        with pytest.raises(CardNumberRefused):
            check_card_payload(number, gateway=gateway, sandbox=sandbox)

    @pytest.mark.parametrize(
        ("payload", "gateway"),
        [
            (REAL_CRYPTOGRAM, "cloudpayments"),
            ("pm_1QbcDeFgHiJkLmNoPqRsTuVw", "stripe"),
        ],
    )
    def test_takes_the_gateways_own_payloads_outside_sandbox_mode(
        self, payload: str, gateway: str
    ) -> None:
        check_card_payload(payload, gateway=gateway, sandbox=False)

    @pytest.mark.parametrize(
        ("payload", "gateway", "sandbox"),
        [
            ("sbx1:eyJudW1iZXIiOiI0MjQyIn0", "cloudpayments", False),
            ("sbx1:eyJudW1iZXIiOiI0MjQyIn0", "fake", False),
            ("sbx1:eyJudW1iZXIiOiI0MjQyIn0", "stripe", True),
            ("pm_1QbcDeFgHiJkLmNoPqRsTuVw", "cloudpayments", True),
            (REAL_CRYPTOGRAM, "stripe", True),
            ("tok_visa", "stripe", True),
            ("4242424242424242|12/30|123", "cloudpayments", True),
        ],
    )
    def test_refuses_other_shapes_and_sandbox_packets_outside_sandbox_mode(
        self, payload: str, gateway: str, sandbox: bool
    ) -> None:
        with pytest.raises(CardPayloadRefused) as refused:
            check_card_payload(payload, gateway=gateway, sandbox=sandbox)

        assert refused.value.code == "card_payload_refused"
        assert payload not in str(refused.value.extra)


class TestPayEndpointRefusals:
    @pytest.mark.parametrize("gateway", ["cloudpayments", "stripe", "fake"])
    def test_a_card_number_is_a_422_that_stores_and_logs_nothing(
        self,
        gateway: str,
        fake_gateway: FakeGateway,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        session = _session_for(gateway)
        caplog.set_level(logging.DEBUG)

        response = submit_card(Client(), session, payload="4242 4242 4242 4242")

        assert response.status_code == 422
        assert response.json() == {
            "code": "card_number_refused",
            "message": "Card numbers are not accepted here: enter the card in the "
            "gateway's card form.",
            "extra": {"field": "card_payload", "gateway": gateway},
        }
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.OPEN
        assert not session.is_claimed
        assert not Payment.objects.exists()
        assert fake_gateway.calls == []
        assert "4242" not in caplog.text
        assert BINDING_COOKIE not in response.cookies

    def test_a_sandbox_packet_is_refused_outside_sandbox_mode(
        self, settings: Settings
    ) -> None:
        settings.CHECKOUT_SANDBOX_PAYLOADS = False
        session = _session_for("cloudpayments")

        response = submit_card(Client(), session, payload="sbx1:eyJudW1iZXIiOjF9")

        assert response.status_code == 422
        assert response.json()["code"] == "card_payload_refused"
        assert not Payment.objects.exists()

    def test_only_local_and_test_settings_take_sandbox_packets(
        self, settings: Settings
    ) -> None:
        """The base settings, which production builds on, leave them refused."""
        base = importlib.import_module("config.settings.base")
        local = importlib.import_module("config.settings.local")

        assert base.CHECKOUT_SANDBOX_PAYLOADS is False
        assert local.CHECKOUT_SANDBOX_PAYLOADS is True
        assert settings.CHECKOUT_SANDBOX_PAYLOADS is True


class TestRefusedCard:
    def test_shows_the_reason_and_another_card_pays(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )
        session = open_session()
        browser = Client()

        refused = submit_card(browser, session)
        paid = submit_card(browser, session)

        assert refused.status_code == 402
        assert "The card was declined (5051). Try another card." in (
            refused.content.decode()
        )
        assert paid.status_code == 302
        assert query_of(paid["Location"])["status"] == "succeeded"
        session.refresh_from_db()
        first, second = Payment.objects.order_by("created_at")
        assert first.status == PaymentStatus.FAILED
        assert second.status == PaymentStatus.SUCCEEDED
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.payment_id == second.id

    def test_the_refusals_own_notice_during_the_request_leaves_it_to_the_request(
        self,
        fake_gateway: FakeGateway,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    ) -> None:
        """The failed payment's signal runs its session's sync as soon as the
        failure commits, before the pay request has given the session back."""
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )
        session = open_session()

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            refused = submit_card(Client(), session)

        assert callbacks
        assert refused.status_code == 402
        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.OPEN
        assert not session.is_claimed

    def test_a_late_notice_of_the_refused_payment_leaves_the_session_open(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )
        session = open_session()
        submit_card(Client(), session)
        refused = Payment.objects.get()

        sync_checkout_session(payment_id=refused.id, now=billing_now())

        session.refresh_from_db()
        assert session.status == CheckoutSessionStatus.OPEN
        assert Client().get(f"/checkout/{session.id}/").status_code == 200


class TestThreeDsReturnBinding:
    def test_posting_the_card_sets_a_signed_http_only_lax_cookie_for_the_session(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_session()

        response = submit_card(Client(), session)

        cookie = response.cookies[BINDING_COOKIE]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["path"] == f"/checkout/{session.id}/"
        assert cookie.value.startswith(f"{session.id}:")
        assert cookie.value != str(session.id)

    def test_a_return_from_another_browser_is_refused_and_changes_nothing(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge(form_fields={}))
        session = open_session()
        payer = Client()
        submit_card(payer, session)
        other = Client()
        # A cookie made up without the signing key is not the payer's.
        other.cookies[BINDING_COOKIE] = str(session.id)

        refused = other.get(
            f"/checkout/{session.id}/3ds", {"payment_intent": "fake_3ds_1"}
        )

        assert refused.status_code == 403
        assert "started in another browser" in refused.content.decode()
        assert fake_gateway.calls_to("complete_3ds") == []
        assert Payment.objects.get().status == PaymentStatus.REQUIRES_ACTION
        back = payer.get(
            f"/checkout/{session.id}/3ds", {"payment_intent": "fake_3ds_1"}
        )
        assert query_of(back["Location"])["status"] == "succeeded"

    def test_a_cross_site_post_is_posted_again_from_this_site(
        self, fake_gateway: FakeGateway
    ) -> None:
        """A SameSite=Lax cookie stays off the ACS's cross-site POST: the answer
        comes back through a same-site form, and only then counts."""
        fake_gateway.script("charge", challenge())
        session = open_session()
        payer = Client()
        submit_card(payer, session)
        answer = {"MD": "fake_3ds_1", "PaRes": "pares", "extra": "dropped"}

        cross_site = Client().post(f"/checkout/{session.id}/3ds", answer)
        form = cross_site.content.decode()
        again = payer.post(
            f"/checkout/{session.id}/3ds",
            {"MD": "fake_3ds_1", "PaRes": "pares", "resubmitted": "1"},
        )

        assert cross_site.status_code == 200
        assert f'action="/checkout/{session.id}/3ds"' in form
        assert '<input type="hidden" name="PaRes" value="pares">' in form
        assert '<input type="hidden" name="resubmitted" value="1">' in form
        assert "dropped" not in form
        assert query_of(again["Location"])["status"] == "succeeded"
        assert len(fake_gateway.calls_to("complete_3ds")) == 1

    def test_a_post_again_without_the_cookie_is_refused(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", challenge())
        session = open_session()
        submit_card(Client(), session)

        refused = Client().post(
            f"/checkout/{session.id}/3ds",
            {"MD": "fake_3ds_1", "PaRes": "pares", "resubmitted": "1"},
        )

        assert refused.status_code == 403
        assert fake_gateway.calls_to("complete_3ds") == []
