"""Every page of the shop that the journeys do not pass through, in Chromium:
each passes axe-core with no serious problem and fits a 360 px phone, also when
its form shows errors."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from accounts.models import User
from snacks.models import Snack
from snacks.services import place_order
from tests.accounts.factories import UserFactory
from tests.browser.conftest import Shop
from tests.browser.shop import IN_A_BROWSER, check_page, signed_in_as
from tests.snacks.factories import SnackFactory, png

pytestmark = IN_A_BROWSER


@pytest.fixture
def as_an_admin(fresh_page: Page, shop: Shop) -> Page:
    """A page with a shop admin's session."""
    signed_in_as(fresh_page, shop.url, UserFactory.create(shop_admin=True))
    return fresh_page


class TestEveryPage:
    def test_the_admins_pages_pass_axe_and_fit_a_phone(
        self, as_an_admin: Page, shop: Shop
    ) -> None:
        snack = SnackFactory.create(name="Almonds", currency="RUB")
        member = UserFactory.create(name="Max Member")
        place_order(member=member, purchases=[(snack.id, 3)], now=timezone.now())
        page = as_an_admin

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
        self, as_an_admin: Page, shop: Shop
    ) -> None:
        SnackFactory.create(name="Almonds", currency="RUB")
        page = as_an_admin

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


class TestTheAdminsDesk:
    def test_finds_a_member_and_makes_them_an_admin(
        self, as_an_admin: Page, shop: Shop
    ) -> None:
        UserFactory.create(name="Max Member", email="max@example.com")
        as_an_admin.goto(f"{shop.url}/shop/members/")
        as_an_admin.get_by_label("Name or e-mail").fill("max@")
        as_an_admin.get_by_role("button", name="Find").click()

        as_an_admin.get_by_role("button", name="Make admin Max Member").click()

        promoted = as_an_admin.get_by_text("Max Member is now an admin of the shop.")
        expect(promoted).to_be_visible()
        assert User.objects.get(email="max@example.com").is_shop_admin

    def test_adds_a_snack_with_a_picture_changes_it_and_retires_it(
        self, as_an_admin: Page, shop: Shop
    ) -> None:
        page = as_an_admin
        page.goto(f"{shop.url}/shop/manage/snacks/")
        page.get_by_role("link", name="Add a snack").click()
        page.get_by_label("Name").fill("Pistachios")
        page.get_by_label("Amount").fill("3.40")
        page.get_by_label("Currency").select_option("EUR")
        picture = FilePayload(name="nuts.png", mimeType="image/png", buffer=_png())
        page.get_by_label("Picture").set_input_files(files=[picture])
        page.get_by_role("button", name="Add the snack").click()
        page.get_by_role("link", name="Edit Pistachios").click()
        page.get_by_label("Amount").fill("3.90")
        page.get_by_role("button", name="Save the changes").click()
        page.get_by_role("button", name="Retire Pistachios").click()
        page.get_by_label("I understand").check()

        page.get_by_role("button", name="Retire Pistachios").click()

        expect(page.get_by_text("Pistachios is retired")).to_be_visible()
        snack = Snack.objects.get(name="Pistachios")
        assert (snack.amount_minor, snack.currency) == (390, "EUR")
        assert snack.image
        assert snack.retired_at is not None


def _png() -> bytes:
    return bytes(png().read())
