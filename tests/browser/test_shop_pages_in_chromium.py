"""Every page of the shop that the journeys do not pass through, in Chromium:
each passes axe-core with no serious problem and fits a 360 px phone, also when
its form shows errors."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import Page, expect

from snacks.services import place_order
from tests.accounts.factories import UserFactory
from tests.browser.conftest import Shop
from tests.browser.shop import IN_A_BROWSER, check_page, signed_in_as
from tests.snacks.factories import SnackFactory

pytestmark = IN_A_BROWSER


class TestEveryPage:
    def test_the_admins_pages_pass_axe_and_fit_a_phone(
        self, fresh_page: Page, shop: Shop
    ) -> None:
        snack = SnackFactory.create(name="Almonds", currency="RUB")
        member = UserFactory.create(name="Max Member")
        place_order(member=member, purchases=[(snack.id, 3)], now=timezone.now())
        page = fresh_page
        signed_in_as(page, shop.url, UserFactory.create(shop_admin=True))

        for path in (
            "/shop/members/",
            "/shop/manage/snacks/",
            "/shop/manage/snacks/new/",
            f"/shop/manage/snacks/{snack.id}/edit/",
            f"/shop/manage/snacks/{snack.id}/retire/",
            "/shop/statistics/?grain=month&from=2026-01-01&to=2026-12-31",
            "/shop/orders/",
            "/shop/orders/new/",
        ):
            page.goto(f"{shop.url}{path}")
            check_page(page)

    def test_forms_showing_their_errors_pass_axe_and_fit_a_phone(
        self, fresh_page: Page, shop: Shop
    ) -> None:
        SnackFactory.create(name="Almonds", currency="RUB")
        page = fresh_page
        signed_in_as(page, shop.url, UserFactory.create(shop_admin=True))

        page.goto(f"{shop.url}/shop/manage/snacks/new/")
        page.get_by_label("Amount").fill("2.505")
        page.get_by_role("button", name="Add the snack").click()
        expect(page.locator("#id_price_errors")).to_be_visible()
        check_page(page)
        page.goto(f"{shop.url}/shop/orders/new/")
        page.get_by_role("button", name="Place the order").click()
        expect(page.locator(".form-errors")).to_be_visible()
        check_page(page)
        page.goto(
            f"{shop.url}/shop/statistics/?grain=day&from=2026-12-31&to=2026-01-01"
        )
        expect(page.locator(".field-errors").first).to_be_visible()
        check_page(page)
