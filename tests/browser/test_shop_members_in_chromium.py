"""A person joins the shop, rates snacks and sees the ranking change, then
resigns and can no longer sign in: in Chromium, on the shop's pages."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from snacks.services import persist_reactions
from tests.accounts.factories import PASSWORD, UserFactory
from tests.browser.conftest import Shop
from tests.browser.shop import (
    IN_A_BROWSER,
    Person,
    Screenshot,
    check_page,
    join,
    sign_in,
    sign_out,
)
from tests.snacks.factories import SnackFactory

pytestmark = IN_A_BROWSER

NINA = Person("Nina Newcomer", "nina@example.com", "snack-lover-2026")


def _shelf_names(page: Page) -> list[str]:
    return page.locator("[data-shelf] .snack-name").all_inner_texts()


def _press(page: Page, kind: str, snack: str) -> None:
    """Press a snack's Like or Hate button (its name says which snack)."""
    button = page.get_by_role("button", name=f"{kind} {snack}")
    pressed = button.get_attribute("aria-pressed")
    button.click()
    expect(button).not_to_have_attribute("aria-pressed", pressed or "")


class TestAMember:
    def test_joins_rates_snacks_and_sees_the_ranking_change(
        self, fresh_page: Page, shop: Shop, screenshot: Screenshot
    ) -> None:
        for name in ("Almonds", "Biscuits", "Crisps"):
            SnackFactory.create(name=name, amount_minor=12_900, currency="RUB")
        page = fresh_page

        join(page, shop.url, NINA)
        unrated = _shelf_names(page)
        _press(page, "Hate", "Almonds")
        hated_last = _shelf_names(page)
        _press(page, "Like", "Crisps")
        liked_first = _shelf_names(page)
        _press(page, "Like", "Crisps")  # the same kind again takes it back
        taken_back = _shelf_names(page)
        _press(page, "Like", "Crisps")
        screenshot(page, "shelf")
        persist_reactions(now=timezone.now())
        page.reload()

        assert unrated == ["Almonds", "Biscuits", "Crisps"]
        assert hated_last == ["Biscuits", "Crisps", "Almonds"]
        assert liked_first == ["Crisps", "Biscuits", "Almonds"]
        assert taken_back == ["Biscuits", "Crisps", "Almonds"]
        # The server ranks the persisted counts the way the page ranked the live ones.
        assert _shelf_names(page) == ["Crisps", "Biscuits", "Almonds"]
        crisps = page.get_by_role("button", name="Like Crisps")
        expect(crisps).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_text("100 % liked (1 reaction)")).to_have_count(1)
        User.objects.get(email=NINA.email)

    def test_resigns_and_then_cannot_sign_in(
        self, fresh_page: Page, shop: Shop
    ) -> None:
        member = UserFactory.create(name="Rita Resigner")
        page = fresh_page
        sign_in(page, shop.url, member.email, PASSWORD)
        page.get_by_role("link", name="Rita Resigner").click()

        page.get_by_role("button", name="Resign").click()
        expect(page.locator("#id_confirm_errors")).to_have_text(
            "Tick the box to confirm that you resign."
        )
        page.get_by_label("Your password").fill(PASSWORD)
        page.get_by_label("I understand").check()
        page.get_by_role("button", name="Resign").click()
        expect(
            page.get_by_text("You resigned. Your account is closed.")
        ).to_be_visible()
        sign_in(page, shop.url, member.email, PASSWORD)

        expect(page.get_by_role("alert")).to_contain_text(
            "This account was closed when its member resigned"
        )
        assert page.url.startswith(f"{shop.url}/shop/sign-in/")

    def test_a_form_keeps_what_was_typed_and_says_what_is_wrong(
        self, fresh_page: Page, shop: Shop
    ) -> None:
        page = fresh_page
        page.goto(f"{shop.url}/shop/sign-up/")
        page.get_by_label("Your name").fill("Pat")
        page.get_by_label("E-mail").fill("pat@example.com")
        page.get_by_label("Password").fill("12345678")

        page.get_by_role("button", name="Join").click()

        password = page.get_by_label("Password")
        expect(password).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#id_password_errors")).to_contain_text(
            "This password is entirely numeric."
        )
        expect(page.get_by_label("E-mail")).to_have_value("pat@example.com")
        expect(page.get_by_label("Your name")).to_have_value("Pat")


class TestTheKeyboard:
    def test_skips_to_the_content_and_rates_a_snack_without_a_mouse(
        self, fresh_page: Page, shop: Shop
    ) -> None:
        SnackFactory.create(name="Almonds", currency="RUB")
        page = fresh_page
        join(page, shop.url, NINA)

        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to the content")
        expect(skip).to_be_focused()
        page.keyboard.press("Enter")
        like = page.get_by_role("button", name="Like Almonds")
        while not like.evaluate("button => button === document.activeElement"):
            page.keyboard.press("Tab")
        page.keyboard.press("Space")

        expect(like).to_have_attribute("aria-pressed", "true")
        expect(like).to_be_focused()


class TestTheAccountPages:
    def test_pass_axe_and_fit_a_phone(
        self, fresh_page: Page, shop: Shop, screenshot: Screenshot
    ) -> None:
        snack = SnackFactory.create(name="Almonds", currency="RUB")
        page = fresh_page
        for path in ("/shop/sign-in/", "/shop/sign-up/"):
            page.goto(f"{shop.url}{path}")
            check_page(page)
        join(page, shop.url, NINA)
        for path in ("/shop/", f"/shop/snacks/{snack.id}/", "/shop/account/"):
            page.goto(f"{shop.url}{path}")
            check_page(page)
        sign_out(page)
