"""A payer in a browser on a hosted checkout page, for checkout journeys.

The browser is the Django test client (with CSRF checks on) for this service's
pages and `requests` for the sandbox's pages, each doing what the page asks; what
the gateway's script would make of a card in the page (a cryptogram, a
PaymentMethod id) comes from the sandbox's helpers. `tests/browser/` drives the
same pages in a real browser.
"""

from __future__ import annotations

import html.parser
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from django.test import Client
from rest_framework.test import APIClient

from tests.journeys.cards import entered_card
from tests.payments import staff


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(action=values.get("action", "")))
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1].fields[values["name"]] = values.get("value", "")


def open_checkout(**fields: object) -> dict[str, Any]:
    """What a shop's back end does: ask billing for a checkout page for a new payer
    (`fields`: the success and failure URLs, and an amount or a plan)."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {staff.token_for(staff.support())}")
    response = api.post(
        "/api/v1/checkout-sessions/",
        {"payer_id": str(uuid.uuid4()), **fields},
        format="json",
    )
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def only_form(page: str) -> Form:
    parser = _FormParser()
    parser.feed(page)
    [form] = parser.forms
    return form


def local_path(url: str) -> str:
    """The path and query of an address on this service (the test client's host)."""
    parts = urllib.parse.urlsplit(url)
    assert parts.netloc == "testserver", url
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


def redirect_query(response: Any, base: str) -> dict[str, str]:
    """The query of the redirect to `base` (the shop's success or failure URL)."""
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.startswith(f"{base}?")
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


class Payer:
    """A person in a browser, on the checkout page the shop sent them to."""

    def __init__(self, sandbox_url: str, gateway: str, checkout_url: str) -> None:
        self.sandbox_url = sandbox_url
        self.gateway = gateway
        self.browser = Client(enforce_csrf_checks=True)
        self.checkout_path = local_path(checkout_url)

    def open_page(self) -> str:
        page = self.browser.get(self.checkout_path)
        assert page.status_code == 200
        return page.content.decode()

    def pay_with(self, number: str) -> Any:
        """Enter the card; the page posts what the gateway's script makes of it."""
        payload = entered_card(self.sandbox_url, self.gateway, number)
        return self.browser.post(
            f"{self.checkout_path}pay",
            {
                "card_payload": payload,
                "csrfmiddlewaretoken": self.browser.cookies["csrftoken"].value,
            },
        )

    def pass_challenge(self, response: Any) -> Any:
        """Go through the issuer's page as the browser would, and come back."""
        if self.gateway == "cloudpayments":
            to_acs = only_form(response.content.decode())
            acs = requests.post(
                to_acs.action,
                params={"result": "success"},
                data=to_acs.fields,
                timeout=5,
            )
            acs.raise_for_status()
            back = only_form(acs.text)
            return self.browser.post(local_path(back.action), back.fields)
        completed = requests.post(
            f"{response['Location']}/complete",
            data={"result": "success"},
            allow_redirects=False,
            timeout=5,
        )
        assert completed.status_code == 303
        return self.browser.get(local_path(completed.headers["Location"]))
