"""The shop from end to end in Chromium, as its people use it: a member joins,
rates snacks, orders and pays on billing's card page through 3-D Secure; an admin
approves, orders, ships and completes the order; the member sees the money taken
and downloads the invoice. Billing runs beside the shop (gRPC and its event
stream), the card page is the sandbox gateway's, and nothing is faked.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from snacks.models import Order, OrderStatus
from tests.accounts.factories import PASSWORD, UserFactory
from tests.browser.conftest import Shop
from tests.browser.shop import (
    BILLING_TIMEOUT_MS,
    IN_A_BROWSER,
    Person,
    Screenshot,
    check_page,
    join,
    move_order,
    order_snacks,
    pay_on_the_card_page,
    sign_in,
    sign_out,
)
from tests.snacks.factories import SnackFactory

pytestmark = IN_A_BROWSER

MILA = Person("Mila Member", "mila@example.com", "snack-lover-2026")
SUCCESS_3DS = "4242 4242 4242 4242"
INSUFFICIENT_FUNDS = "4000 0566 5566 5556"


def _arrival() -> str:
    return (timezone.localdate() + dt.timedelta(days=3)).isoformat()


def _payment(page: Page) -> str:
    return page.locator("[data-payment-state]").inner_text()


class TestTheShopFromEndToEnd:
    def test_a_member_pays_through_3ds_and_an_admin_sees_the_order_through(
        self, fresh_page: Page, shop: Shop, screenshot: Screenshot
    ) -> None:
        SnackFactory.create(name="Almonds", amount_minor=12_900, currency="RUB")
        SnackFactory.create(name="Biscuits", amount_minor=25_000, currency="RUB")
        admin = UserFactory.create(name="Ada Admin", shop_admin=True)
        page = fresh_page

        join(page, shop.url, MILA)
        page.get_by_role("button", name="Hate Almonds").click()
        expect(page.locator("[data-shelf] .snack-name").first).to_have_text("Biscuits")
        order_snacks(page, {"Almonds": 1, "Biscuits": 2})
        expect(page.locator("[data-order-total]")).to_have_text(
            re.compile(r"^RUB\s629\.00 \(3 snacks\)$")
        )
        screenshot(page, "order-form")
        page.get_by_role("button", name="Place the order").click()
        expect(page.locator("[data-cp=cardNumber]")).to_be_visible()
        screenshot(page, "card-page")
        pay_on_the_card_page(page, SUCCESS_3DS, three_d_secure=True)
        expect(page.locator(".notice")).to_have_text(
            "Thank you — your card was accepted."
        )
        expect(page.locator("[data-payment-state]")).to_have_text(
            re.compile(r"RUB\s629\.00 is held on your card"), timeout=BILLING_TIMEOUT_MS
        )
        check_page(page)
        order = Order.objects.get(member__email=MILA.email)
        sign_out(page)

        sign_in(page, shop.url, admin.email, PASSWORD)
        page.get_by_role("link", name="Orders", exact=True).click()
        check_page(page)
        page.get_by_role("link", name=re.compile("^Open the order")).first.click()
        move_order(page, "Approved")
        move_order(page, "Ordered", arrival=_arrival())
        expect(page.locator("[data-payment-state]")).to_contain_text(
            "was taken from the member's card", timeout=BILLING_TIMEOUT_MS
        )
        move_order(page, "Shipping")
        expect(page.get_by_text("Tracking number", exact=True)).to_be_visible(
            timeout=BILLING_TIMEOUT_MS
        )
        move_order(page, "Completed")
        expect(page.locator(".page-head .badge")).to_have_text("completed")
        screenshot(page, "order-admin")
        check_page(page)
        page.get_by_role("link", name="Statistics").click()
        expect(page.locator("body")).to_have_attribute("data-charts-drawn", "yes")
        charted = page.evaluate(
            """() => Chart.getChart("orders-chart").data.datasets
                 .flatMap((set) => set.data).reduce((a, b) => a + b, 0)"""
        )
        screenshot(page, "statistics")
        check_page(page)
        sign_out(page)

        sign_in(page, shop.url, MILA.email, MILA.password)
        page.get_by_role("link", name="Orders", exact=True).click()
        page.get_by_role("link", name=re.compile("^Open the order")).first.click()
        expect(page.locator("[data-payment-state]")).to_have_text(
            re.compile(r"RUB\s629\.00 was taken from your card")
        )
        expect(page.locator("[data-task-state]").first).to_have_text("done")
        screenshot(page, "order-member")
        with page.expect_download() as invoice:
            page.get_by_role("link", name="Download the invoice (PDF)").click()

        assert charted == 1
        assert invoice.value.suggested_filename.endswith(".pdf")
        with open(invoice.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        order.refresh_from_db()
        assert order.status == OrderStatus.COMPLETED
        assert order.hold_status == "CAPTURED"

    def test_a_declined_card_is_shown_and_the_member_tries_again(
        self, fresh_page: Page, shop: Shop
    ) -> None:
        SnackFactory.create(name="Crisps", amount_minor=9_900, currency="RUB")
        page = fresh_page
        join(page, shop.url, MILA)
        order_snacks(page, {"Crisps": 1})
        page.get_by_role("button", name="Place the order").click()

        pay_on_the_card_page(page, INSUFFICIENT_FUNDS, three_d_secure=False)

        expect(page.locator(".notice")).to_have_text(
            "The card was declined: insufficient funds."
        )
        expect(page.locator("[data-payment-state]")).to_have_text(
            "The card was declined: insufficient funds", timeout=BILLING_TIMEOUT_MS
        )
        check_page(page)
        page.get_by_role("button", name="Try again").click()
        pay_on_the_card_page(page, SUCCESS_3DS, three_d_secure=True)
        expect(page.locator("[data-payment-state]")).to_have_text(
            re.compile(r"RUB\s99\.00 is held on your card"), timeout=BILLING_TIMEOUT_MS
        )
        statuses = sorted(
            Order.objects.filter(member__email=MILA.email).values_list(
                "status", "hold_status"
            )
        )
        assert statuses == [("CANCELED", "FAILED"), ("CREATED", "AUTHORIZED")]

    def test_an_illegal_move_is_refused_with_its_reason(
        self, fresh_page: Page, shop: Shop
    ) -> None:
        hated = SnackFactory.create(
            name="Liquorice", amount_minor=5_000, currency="RUB", likes=1, hates=4
        )
        member = UserFactory.create(name="Hal Hater")
        admin = UserFactory.create(shop_admin=True)
        page = fresh_page
        sign_in(page, shop.url, member.email, PASSWORD)
        order_snacks(page, {hated.name: 1})
        page.get_by_role("button", name="Place the order").click()
        expect(page.locator("[data-cp=cardNumber]")).to_be_visible()
        page.goto(f"{shop.url}/shop/")
        sign_out(page)
        sign_in(page, shop.url, admin.email, PASSWORD)
        order = Order.objects.get(member=member)
        page.goto(f"{shop.url}/shop/orders/{order.id}/")

        move_order(page, "Approved")

        expect(page.get_by_role("alert")).to_contain_text("Liquorice")
        expect(page.locator(".page-head .badge")).to_have_text("created")
        check_page(page)
        order.refresh_from_db()
        assert order.status == OrderStatus.CREATED
