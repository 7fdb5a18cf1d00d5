# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""On-session 3-D Secure: requires_action and the sandbox's challenge page (C5.4)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe

from tests.gateway_sandbox.stripe_merchant import (
    complete_3ds,
    ledger,
)

pytestmark = pytest.mark.sandbox

RETURN_URL = "https://shop.example/pay/return?order=7"


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


def pay_on_session(
    client: stripe.StripeClient, magic_id: str, **extra: object
) -> stripe.PaymentIntent:
    params: Any = {
        "amount": 1999,
        "currency": "usd",
        "payment_method": magic_id,
        "confirm": True,
        "allowed_payment_method_types": ["card"],
        **extra,
    }
    return client.v1.payment_intents.create(params=params)


class TestThreeDSecure:
    def test_3ds_card_requires_action_with_a_redirect(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = pay_on_session(
            client, "pm_card_threeDSecure2Required", return_url=RETURN_URL
        )
        events = client.v1.events.list(
            params={"type": "payment_intent.requires_action"}
        )

        assert intent.status == "requires_action"
        assert intent.next_action.type == "redirect_to_url"
        redirect = intent.next_action.redirect_to_url
        assert redirect.url == f"{sandbox_url}/__sandbox/stripe/3ds/{intent.id}"
        assert redirect.return_url == RETURN_URL
        assert [e.data.object.id for e in events.data] == [intent.id]
        assert ledger(sandbox_url)["entries"] == []

    def test_without_return_url_the_action_is_for_stripe_js(
        self, client: stripe.StripeClient
    ) -> None:
        intent = pay_on_session(client, "pm_card_threeDSecureRequired")

        assert intent.status == "requires_action"
        assert intent.next_action.type == "use_stripe_sdk"
        assert intent.next_action.use_stripe_sdk.stripe_js.endswith(f"/3ds/{intent.id}")

    def test_completed_challenge_finishes_the_payment(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = pay_on_session(client, "pm_card_authenticationRequired")

        answer = complete_3ds(sandbox_url, intent.id, "success")
        paid = client.v1.payment_intents.retrieve(
            intent.id, params={"expand": ["latest_charge"]}
        )

        assert answer["status"] == "succeeded"
        assert paid.status == "succeeded"
        assert paid.next_action is None
        three_d_secure = paid.latest_charge.payment_method_details.card.three_d_secure
        assert three_d_secure.result == "authenticated"
        assert [e["kind"] for e in ledger(sandbox_url)["entries"]] == ["capture"]

    def test_failed_challenge_fails_the_payment(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = pay_on_session(client, "pm_card_threeDSecure2Required")

        complete_3ds(sandbox_url, intent.id, "fail")
        failed = client.v1.payment_intents.retrieve(intent.id)
        events = client.v1.events.list(params={"type": "payment_intent.payment_failed"})

        assert failed.status == "requires_payment_method"
        assert failed.last_payment_error.code == "payment_intent_authentication_failure"
        assert failed.payment_method is None
        assert [e.request.id for e in events.data] == [None]
        assert ledger(sandbox_url)["entries"] == []

    def test_3178_card_declines_after_a_passed_challenge(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = pay_on_session(
            client, "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"
        )

        complete_3ds(sandbox_url, intent.id, "success")
        declined = client.v1.payment_intents.retrieve(intent.id)

        assert intent.status == "requires_action"
        assert declined.status == "requires_payment_method"
        assert declined.last_payment_error.decline_code == "insufficient_funds"
        assert declined.latest_charge.startswith("ch_")

    def test_error_on_requires_action_declines_instead(
        self, client: stripe.StripeClient
    ) -> None:
        with pytest.raises(stripe.CardError) as raised:
            pay_on_session(
                client, "pm_card_threeDSecure2Required", error_on_requires_action=True
            )

        assert raised.value.code == "authentication_required"

    def test_challenge_requested_for_a_plain_card(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        """`request_three_d_secure=any` challenges even a card that needs none."""
        intent = pay_on_session(
            client,
            "pm_card_visa",
            payment_method_options={"card": {"request_three_d_secure": "any"}},
        )

        assert intent.status == "requires_action"
        assert complete_3ds(sandbox_url, intent.id, "success")["status"] == "succeeded"


class TestChallengePage:
    def test_page_offers_complete_and_fail(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = pay_on_session(
            client, "pm_card_threeDSecure2Required", return_url=RETURN_URL
        )

        page = requests.get(str(intent.next_action.redirect_to_url.url), timeout=10)

        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Complete" in page.text and "Fail" in page.text
        assert f'action="/__sandbox/stripe/3ds/{intent.id}/complete"' in page.text
        assert "19.99 usd" in page.text

    def test_browser_form_redirects_back_like_stripe(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = pay_on_session(
            client, "pm_card_threeDSecure2Required", return_url=RETURN_URL
        )

        response = requests.post(
            f"{sandbox_url}/__sandbox/stripe/3ds/{intent.id}/complete",
            data={"result": "success"},
            allow_redirects=False,
            timeout=10,
        )

        assert response.status_code == 303
        location = urlsplit(response.headers["Location"])
        query = parse_qs(location.query)
        assert f"{location.scheme}://{location.netloc}{location.path}" == (
            "https://shop.example/pay/return"
        )
        assert query["order"] == ["7"]
        assert query["payment_intent"] == [intent.id]
        assert query["payment_intent_client_secret"] == [intent.client_secret]
        assert query["redirect_status"] == ["succeeded"]

    def test_unknown_intent_page_is_escaped(self, sandbox_url: str) -> None:
        response = requests.get(
            f"{sandbox_url}/__sandbox/stripe/3ds/<img src=x onerror=alert(1)>",
            timeout=10,
        )

        assert response.status_code == 404
        assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
        assert "<img" not in response.text

    def test_completion_of_an_intent_not_waiting_is_refused(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        paid = pay_on_session(client, "pm_card_visa")
        url = f"{sandbox_url}/__sandbox/stripe/3ds/{paid.id}/complete"

        not_waiting = requests.post(url, json={"result": "success"}, timeout=10)
        bad_result = requests.post(url, json={"result": "maybe"}, timeout=10)

        assert not_waiting.status_code == 409
        assert bad_result.status_code == 400
