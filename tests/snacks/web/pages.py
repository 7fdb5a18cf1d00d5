"""Reading the shop's pages in tests: a signed-in browser (the Django test client)
and what a page says, as text and as its fields' errors."""

from __future__ import annotations

import html.parser
from dataclasses import dataclass, field

from django.test import Client

from accounts.models import User


def signed_in(user: User) -> Client:
    """A browser with `user`'s session (the tests in Chromium post with the page's
    CSRF token; these post without one, as Django's test client does)."""
    browser = Client()
    browser.force_login(user)
    return browser


@dataclass
class _Page(html.parser.HTMLParser):
    text: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    _error_list: str | None = None
    _in_item = False

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "ul" and "field-errors" in (values.get("class") or ""):
            self._error_list = (values.get("id") or "").removesuffix("_errors")
        if tag == "li" and self._error_list is not None:
            # An error is the words of its item, links in it included.
            key = self._error_list.removeprefix("id_")
            self.errors.setdefault(key, []).append("")
            self._in_item = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul":
            self._error_list = None
        if tag == "li" and self._in_item and self._error_list is not None:
            key = self._error_list.removeprefix("id_")
            self.errors[key][-1] = " ".join(self.errors[key][-1].split())
            self._in_item = False

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))
        if self._error_list is not None and self._in_item:
            key = self._error_list.removeprefix("id_")
            self.errors[key][-1] += data


def page_text(content: bytes) -> str:
    """The words of a page, one space between them."""
    page = _Page()
    page.feed(content.decode())
    return " ".join(page.text)


def field_errors(content: bytes) -> dict[str, list[str]]:
    """The errors shown next to each field, by the field's name."""
    page = _Page()
    page.feed(content.decode())
    return page.errors
