"""The shop in a real browser: its pages on the live server, billing's gRPC server
and the shop's event consumer beside it, and the gateway sandbox's card page.

The helpers do what a person does on the pages: fill the forms by their labels and
press the buttons by their names. They also check what a person cannot see: that
axe-core finds no serious accessibility problem, and that a page fits a phone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, ViewportSize, expect

from accounts.models import User

# The shop's browser tests: the live server answers from its own thread, so its
# writes must really commit; reactions are counted in the test Redis.
IN_A_BROWSER = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.sandbox,
    pytest.mark.browser,
    pytest.mark.redis,
]
PHONE: ViewportSize = {"width": 360, "height": 780}
# axe-core's impacts that fail a page: "serious" and "critical" block people;
# "minor" and "moderate" are reported by axe but do not fail the test.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
_AXE = Axe()
# How long a page may wait for billing: a hold or a capture reaches the shop's
# page through billing's event stream, the shop's consumer and the page's poll.
BILLING_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    password: str


def join(page: Page, base_url: str, person: Person) -> None:
    """Sign up on the join page; the shop signs the new member in."""
    page.goto(f"{base_url}/shop/sign-up/")
    page.get_by_label("Your name").fill(person.name)
    page.get_by_label("E-mail").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Snacks", exact=True)).to_be_visible()


def signed_in_as(page: Page, base_url: str, user: User) -> None:
    """Give the page `user`'s session (made by Django's test client), for tests
    whose subject is not signing in."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
    )


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/shop/sign-in/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def order_snacks(page: Page, quantities: Mapping[str, int]) -> None:
    """Open the order form from the menu and give each snack its quantity."""
    page.get_by_role("link", name="New order", exact=True).first.click()
    for name, quantity in quantities.items():
        page.get_by_label(re.compile(f"^{re.escape(name)}, ")).fill(str(quantity))


def pay_on_the_card_page(page: Page, card: str, *, three_d_secure: bool) -> None:
    """Pay on billing's card page (the CloudPayments sandbox's card fields); with
    3-D Secure, pass the issuer's page too. Ends back on the shop's order page."""
    page.locator("[data-cp=cardNumber]").fill(card)
    page.locator("[data-cp=expDateMonth]").fill("12")
    page.locator("[data-cp=expDateYear]").fill("30")
    page.locator("[data-cp=cvv]").fill("123")
    page.locator("[data-cp=name]").fill("MILA MEMBER")
    page.locator("#pay-button").click()
    if three_d_secure:
        page.wait_for_url(re.compile(r"/__sandbox/cp/acs$"))
        page.get_by_role("button", name="Authenticate").click()
    page.wait_for_url(re.compile(r"/shop/orders/[0-9a-f-]+/\?"))


def move_order(page: Page, status: str, *, arrival: str = "") -> None:
    """As an admin on an order's page: move it to `status`."""
    page.get_by_label("Move the order to").select_option(label=status)
    if arrival:
        page.get_by_label("Expected arrival").fill(arrival)
    page.get_by_role("button", name="Move the order").click()
    page.wait_for_load_state()


def serious_accessibility_problems(page: Page) -> list[str]:
    """What axe-core finds on the page that blocks people, one line a problem."""
    violations = _AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in violations
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def too_wide_for_a_phone(page: Page) -> list[str]:
    """What sticks out past a 360 px phone's right edge (nothing when it fits):
    the innermost elements that do, by tag, class and width."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        wide: list[str] = page.evaluate(_TOO_WIDE_SCRIPT, PHONE["width"])
    finally:
        if size is not None:
            page.set_viewport_size(size)
    return wide


_TOO_WIDE_SCRIPT = """(width) => {
  if (document.documentElement.scrollWidth <= width) return [];
  const wide = [...document.body.querySelectorAll("*")].filter(
    (element) => element.getBoundingClientRect().right > width + 0.5);
  return wide
    .filter((element) => !wide.some(
      (other) => other !== element && element.contains(other)))
    .map((element) => `${element.tagName.toLowerCase()}.${element.className} `
      + `(${Math.round(element.getBoundingClientRect().right)} px)`);
}"""


def check_page(page: Page) -> None:
    """The page passes axe-core and fits a phone."""
    problems = serious_accessibility_problems(page)
    assert not problems, f"{page.url}: {problems}"
    wide = too_wide_for_a_phone(page)
    assert not wide, f"{page.url} is too wide for a phone: {wide}"


Screenshot = Callable[[Page, str], None]


def screenshots_into(folder: str) -> Screenshot:
    """A camera for README's pictures: saves into `folder`, or nothing without one."""

    def take(page: Page, name: str) -> None:
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
