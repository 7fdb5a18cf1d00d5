"""The sandbox's stand-in for Stripe.js, in a browser: intents confirmed in the page
with the publishable key and the client secret, as Stripe.js does."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from playwright.sync_api import Page

from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG

pytestmark = [pytest.mark.sandbox, pytest.mark.browser]

# Any page of the sandbox's origin: the script runs there, as on a merchant's page.
PAGE = "/__sandbox/health"
MOUNT = """key => {
  window.stripe = Stripe(key);
  window.card = stripe.elements().create("card");
  const target = document.createElement("div");
  target.id = "card-element";
  document.body.appendChild(target);
  card.mount("#card-element");
}"""


@pytest.fixture
def page(fresh_page: Page, sandbox_url: str) -> Page:
    """A page with the stand-in loaded and a card element mounted."""
    fresh_page.goto(f"{sandbox_url}{PAGE}")
    fresh_page.add_script_tag(url=f"{sandbox_url}/__sandbox/stripe/v3.js")
    fresh_page.evaluate(MOUNT, SANDBOX_CONFIG.stripe_publishable_key)
    return fresh_page


def _enter(page: Page, number: str) -> None:
    card = page.frame_locator("#card-element iframe")
    card.locator("input[name=cardnumber]").fill(number)
    card.locator("input[name=exp-date]").fill("12 / 30")
    card.locator("input[name=cvc]").fill("123")


def _confirm(page: Page, call: str, client_secret: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        f"secret => stripe.{call}(secret, {{payment_method: {{card: card}}}})",
        client_secret,
    )
    return result


def _intent(stripe_client: stripe.StripeClient) -> stripe.PaymentIntent:
    return stripe_client.v1.payment_intents.create(
        params={"amount": 1_500, "currency": "usd"}
    )


class TestStripeJsStandIn:
    def test_confirm_card_payment_shows_a_decline_then_pays_with_another_card(
        self, page: Page, stripe_client: stripe.StripeClient
    ) -> None:
        intent = _intent(stripe_client)
        assert intent.client_secret is not None
        _enter(page, "4000 0000 0000 0002")
        declined = _confirm(page, "confirmCardPayment", intent.client_secret)
        _enter(page, "4242 4242 4242 4242")

        paid = _confirm(page, "confirmCardPayment", intent.client_secret)

        assert declined["error"]["decline_code"] == "generic_decline"
        assert paid["paymentIntent"]["status"] == "succeeded"
        retrieved = stripe_client.v1.payment_intents.retrieve(intent.id)
        assert retrieved.status == "succeeded"

    def test_3ds_goes_through_the_challenge_and_handle_next_action_reads_it(
        self, page: Page, stripe_client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = _intent(stripe_client)
        assert intent.client_secret is not None
        _enter(page, "4000 0027 6000 3184")

        page.evaluate(
            "secret => { stripe.confirmCardPayment(secret, "
            "{payment_method: {card: card}}); }",
            intent.client_secret,
        )
        page.wait_for_url("**/__sandbox/stripe/3ds/**")
        page.get_by_role("button", name="Complete").click()
        page.wait_for_url(f"**{PAGE}?payment_intent={intent.id}*")
        page.add_script_tag(url=f"{sandbox_url}/__sandbox/stripe/v3.js")
        result = page.evaluate(
            "([key, secret]) => Stripe(key).handleNextAction({clientSecret: secret})",
            [SANDBOX_CONFIG.stripe_publishable_key, intent.client_secret],
        )

        assert result["paymentIntent"]["status"] == "succeeded"

    def test_confirm_card_setup_saves_the_card(
        self, page: Page, stripe_client: stripe.StripeClient
    ) -> None:
        setup = stripe_client.v1.setup_intents.create(params={})
        assert setup.client_secret is not None
        _enter(page, "4242 4242 4242 4242")

        result = _confirm(page, "confirmCardSetup", setup.client_secret)

        assert result["setupIntent"]["status"] == "succeeded"
        assert result["setupIntent"]["payment_method"].startswith("pm_")

    def test_another_intents_client_secret_is_refused(
        self, page: Page, stripe_client: stripe.StripeClient
    ) -> None:
        intent = _intent(stripe_client)
        other = _intent(stripe_client)
        assert other.client_secret is not None
        forged = other.client_secret.replace(other.id, intent.id)
        _enter(page, "4242 4242 4242 4242")

        result = _confirm(page, "confirmCardPayment", forged)

        assert result["error"]["param"] == "client_secret"
        assert stripe_client.v1.payment_intents.retrieve(intent.id).status == (
            "requires_payment_method"
        )
