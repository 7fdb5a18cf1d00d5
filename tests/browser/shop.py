"""The shop in a real browser: its pages on the live server, billing's gRPC server
and the shop's event consumer beside it, and the gateway sandbox's card page.

The helpers do what a person does on the pages: fill the forms by their labels and
press the buttons by their names. They also check what a person cannot see: that
axe-core finds no serious accessibility problem, and that a page fits a phone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, ViewportSize, expect

PHONE: ViewportSize = {"width": 360, "height": 780}
# axe-core's impacts that fail a page: "serious" and "critical" block people;
# "minor" and "moderate" are reported by axe but do not fail the test.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
_AXE = Axe()


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


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/shop/sign-in/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def serious_accessibility_problems(page: Page) -> list[str]:
    """What axe-core finds on the page that blocks people, one line a problem."""
    violations = _AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in violations
        if v.get("impact") in BLOCKING_IMPACTS
    ]


def overflow_at_phone_width(page: Page) -> int:
    """How many pixels the page is wider than a 360 px phone (0 when it fits)."""
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        width = int(page.evaluate("document.documentElement.scrollWidth"))
    finally:
        if size is not None:
            page.set_viewport_size(size)
    return max(0, width - PHONE["width"])


def check_page(page: Page) -> None:
    """The page passes axe-core and fits a phone."""
    assert serious_accessibility_problems(page) == [], page.url
    assert overflow_at_phone_width(page) == 0, page.url


Screenshot = Callable[[Page, str], None]


def screenshots_into(folder: str) -> Screenshot:
    """A camera for README's pictures: saves into `folder`, or nothing without one."""

    def take(page: Page, name: str) -> None:
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return take
