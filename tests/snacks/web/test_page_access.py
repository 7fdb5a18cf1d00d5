"""Every page of the shop, who may open it, and what junk posted to it gets.

The table names every route of `snacks/web/urls.py`: a new page fails here until
it is given its row, so no page is left open by mistake.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from accounts.models import User
from snacks.models import Order
from snacks.services import place_order
from snacks.web.urls import urlpatterns
from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.web.pages import page_text, signed_in

pytestmark = pytest.mark.django_db

ANYONE, MEMBER, ADMIN = "anyone", "member", "admin"
# Route name: who may open it.
PAGES = {
    "sign-up": ANYONE,
    "sign-in": ANYONE,
    "sign-out": ANYONE,
    "shelf": MEMBER,
    "snack": MEMBER,
    "account": MEMBER,
    "orders": MEMBER,
    "order-new": MEMBER,
    "order": MEMBER,
    "order-pay": MEMBER,
    "order-cancel": MEMBER,
    "order-again": MEMBER,
    "order-move": MEMBER,
    "members": ADMIN,
    "member-promote": ADMIN,
    "manage-snacks": ADMIN,
    "snack-new": ADMIN,
    "snack-edit": ADMIN,
    "snack-retire": ADMIN,
    "statistics": ADMIN,
}


@dataclass(frozen=True)
class Shop:
    """A member with an order, a snack and an admin: what the routes' ids name."""

    member: User
    admin: User
    snack_id: uuid.UUID
    order: Order

    def url(self, name: str) -> str:
        ids = {
            "snack": {"snack_id": self.snack_id},
            "snack-edit": {"snack_id": self.snack_id},
            "snack-retire": {"snack_id": self.snack_id},
            "member-promote": {"member_id": self.member.id},
        }
        kwargs = ids.get(name)
        if (
            kwargs is None
            and name.startswith("order")
            and name
            not in (
                "orders",
                "order-new",
            )
        ):
            kwargs = {"order_id": self.order.id}
        return reverse(f"shop:{name}", kwargs=kwargs)


@pytest.fixture
def shop(settings: LazySettings) -> Shop:
    # No Redis: retiring a snack is refused in words, which is an answer too.
    settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"
    member = UserFactory.create()
    snack = SnackFactory.create()
    order = place_order(member=member, purchases=[(snack.id, 1)], now=timezone.now())
    return Shop(member, UserFactory.create(shop_admin=True), snack.id, order)


def test_every_page_has_its_row() -> None:
    assert {getattr(pattern, "name", None) for pattern in urlpatterns} == set(PAGES)


@pytest.mark.parametrize("name", [name for name, who in PAGES.items() if who != ANYONE])
def test_a_visitor_is_sent_to_sign_in_and_back(shop: Shop, name: str) -> None:
    url = shop.url(name)

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/shop/sign-in/?next={url}"


@pytest.mark.parametrize("name", [name for name, who in PAGES.items() if who == ADMIN])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_is_refused_the_admins_pages(
    shop: Shop, name: str, method: str
) -> None:
    response = getattr(signed_in(shop.member), method)(shop.url(name))

    assert response.status_code == 403
    assert "Only an admin of the shop may open this page." in page_text(
        response.content
    )


# What people (and robots) type: any text, and the numbers and dates that break
# careless code.
_JUNK = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["-1", "0", "1e9", "99999999999999999999", "\x00", "2026-02-30"]),
)
# The names of every form field of the shop's pages.
_FIELDS = [
    *("name", "email", "password", "username", "confirm", "search", "role"),
    *("price", "currency", "url", "description", "grain", "from", "to"),
    *("move-status", "move-expected_arrival", "move-reason"),
    *("cancel-confirm", "cancel-reason", "page", "month", "status"),
]


@pytest.mark.parametrize("name", sorted(PAGES))
@examples(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    form=st.dictionaries(st.sampled_from(_FIELDS), _JUNK, max_size=6), quantity=_JUNK
)
def test_junk_sent_to_any_page_is_never_a_server_error(
    shop: Shop, name: str, form: dict[str, str], quantity: str
) -> None:
    form = {**form, f"snack-{shop.snack_id}": quantity}
    for who in (shop.member, shop.admin):
        browser = signed_in(who)
        answers = [
            browser.get(shop.url(name), form),
            browser.post(shop.url(name), form),
        ]

        assert [answer.status_code < 500 for answer in answers] == [True, True], form


@pytest.mark.parametrize("name", ["members", "orders", "statistics", "shelf"])
def test_a_nul_byte_in_a_query_is_refused_or_ignored(shop: Shop, name: str) -> None:
    """PostgreSQL refuses a NUL byte in a query: it must not reach the database."""
    query = {key: "a\x00b" for key in ("search", "role", "month", "status", "page")}
    query.update({"grain": "day", "from": "2026-01-01\x00", "to": "\x00"})

    response = signed_in(shop.admin).get(shop.url(name), query)

    assert response.status_code < 500


@pytest.mark.parametrize("debug", [False, True])
def test_another_members_order_is_the_shops_not_found_page(
    shop: Shop, settings: LazySettings, debug: bool
) -> None:
    """Also under DEBUG, where Django would show its technical 404 page."""
    settings.DEBUG = debug

    response = signed_in(UserFactory.create()).get(shop.url("order"))

    assert response.status_code == 404
    assert "Nothing is here" in page_text(response.content)
