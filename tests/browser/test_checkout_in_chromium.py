"""Hosted checkout in a real browser: the gateways' scripts (the sandbox's drop-ins)
make the card payload in the page, 3-D Secure goes through the issuer's page, and
the payer lands on the shop's page."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from payments.models import CheckoutSession, CheckoutSessionStatus, Payment
from subscriptions.models import Subscription, SubscriptionStatus
from tests.journeys.checkout_pages import open_checkout
from tests.journeys.subscribing import make_plan

# The live server answers from its own thread: its writes must really commit.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.sandbox,
    pytest.mark.browser,
]

SHOP = "https://cinema.example/"
SUCCESS_URL = f"{SHOP}paid"
FAILURE_URL = f"{SHOP}not-paid"


def _open_checkout(**fields: object) -> dict[str, Any]:
    return open_checkout(success_url=SUCCESS_URL, failure_url=FAILURE_URL, **fields)


def _visit(page: Page, live_server: LiveServer, body: dict[str, Any]) -> None:
    path = urllib.parse.urlsplit(body["url"]).path
    page.goto(f"{live_server.url}{path}")


def _enter_stripe_card(page: Page, number: str) -> None:
    card = page.frame_locator("#card-element iframe")
    card.locator("input[name=cardnumber]").fill(number)
    card.locator("input[name=exp-date]").fill("12 / 30")
    card.locator("input[name=cvc]").fill("123")


def _sent_to_shop(page: Page, pay: Callable[[], None]) -> dict[str, str]:
    """The query the payer is sent back to the shop with after `pay()` (the shop's
    page itself is not there to load)."""
    with page.expect_request(lambda request: request.url.startswith(SHOP)) as shop:
        pay()
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(shop.value.url).query))


class TestCheckoutInChromium:
    def test_cloudpayments_3ds_card_pays_through_the_acs_to_the_shop(
        self, browser_page: Page, live_server: LiveServer
    ) -> None:
        """The ACS posts back cross-site (127.0.0.1 to localhost): the page posts
        the answer again same-site, with the cookie of the browser that paid."""
        body = _open_checkout(
            amount_minor=129_900,
            currency="RUB",
            gateway="cloudpayments",
            description="Cinema, monthly plan",
        )
        page = browser_page
        _visit(page, live_server, body)

        page.fill("[data-cp=cardNumber]", "4242 4242 4242 4242")
        page.fill("[data-cp=expDateMonth]", "12")
        page.fill("[data-cp=expDateYear]", "30")
        page.fill("[data-cp=cvv]", "123")
        page.fill("[data-cp=name]", "IVAN PETROV")
        page.click("#pay-button")
        page.wait_for_url(re.compile(r"/__sandbox/cp/acs$"))
        authenticate = page.get_by_role("button", name="Authenticate")

        assert _sent_to_shop(page, authenticate.click) == {
            "checkout": body["id"],
            "status": "succeeded",
        }
        session = CheckoutSession.objects.get(id=body["id"])
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.payment is not None
        assert session.payment.captured_minor == 129_900

    def test_stripe_shows_a_decline_then_another_card_pays(
        self, browser_page: Page, live_server: LiveServer
    ) -> None:
        body = _open_checkout(amount_minor=1_500, currency="USD", gateway="stripe")
        page = browser_page
        _visit(page, live_server, body)

        _enter_stripe_card(page, "4000 0000 0000 0002")
        page.click("#pay-button")
        expect(page.locator("#card-errors")).to_contain_text("The card was declined")
        _enter_stripe_card(page, "4242 4242 4242 4242")

        query = _sent_to_shop(page, lambda: page.click("#pay-button"))

        assert query["status"] == "succeeded"
        payments = Payment.objects.filter(pays=f"checkout:{body['id']}")
        assert sorted(p.status for p in payments) == ["FAILED", "SUCCEEDED"]

    def test_a_plan_with_a_trial_checks_the_card_and_starts_the_trial(
        self, browser_page: Page, live_server: LiveServer
    ) -> None:
        plan = make_plan("stripe", trial_days=14)
        body = _open_checkout(plan=plan.code)
        page = browser_page
        _visit(page, live_server, body)
        expect(page.locator("#amount")).to_have_text("Nothing is charged now")

        _enter_stripe_card(page, "4242 4242 4242 4242")

        query = _sent_to_shop(page, lambda: page.click("#pay-button"))

        assert query["status"] == "succeeded"
        subscription = Subscription.objects.get(id=body["subscription_id"])
        assert subscription.status == SubscriptionStatus.TRIALING
        assert not Payment.objects.filter(payer_id=subscription.payer_id).exists()
