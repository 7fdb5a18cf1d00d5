"""The shelf and a snack's page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.accounts.factories import UserFactory
from tests.snacks.factories import SnackFactory
from tests.snacks.web.pages import page_text, signed_in

pytestmark = pytest.mark.django_db


def test_the_shelf_ranks_by_the_share_of_likes_with_prices_per_currency() -> None:
    SnackFactory.create(
        name="Sixty-forty", likes=60, hates=40, amount_minor=250, currency="EUR"
    )
    SnackFactory.create(
        name="Seven-three", likes=7, hates=3, amount_minor=129_900, currency="RUB"
    )
    SnackFactory.create(name="Unrated", amount_minor=500, currency="JPY")

    text = page_text(signed_in(UserFactory.create()).get("/shop/").content)

    assert text.index("Seven-three") < text.index("Sixty-forty") < text.index("Unrated")
    assert "RUB 1,299.00" in text  # a no-break space, as words of the page
    assert "€2.50" in text
    assert "¥500" in text


def test_the_shelf_leaves_retired_snacks_out() -> None:
    SnackFactory.create(name="Gone", retired_at=timezone.now())

    assert "Gone" not in page_text(
        signed_in(UserFactory.create()).get("/shop/").content
    )


def test_a_snacks_page_has_its_buttons_pointing_at_the_api() -> None:
    snack = SnackFactory.create(name="Pretzels", description="Salty.")

    response = signed_in(UserFactory.create()).get(f"/shop/snacks/{snack.id}/")

    assert "Pretzels" in page_text(response.content)
    assert (
        f'data-url="/api/v1/shop/snacks/{snack.id}/reaction/"'.encode()
        in response.content
    )
    assert b'aria-pressed="false"' in response.content


def test_an_unknown_snack_is_a_404_page() -> None:
    response = signed_in(UserFactory.create()).get(
        "/shop/snacks/00000000-0000-0000-0000-000000000000/"
    )

    assert response.status_code == 404
    assert "Not found" in page_text(response.content)


def test_a_visitor_is_sent_to_sign_in(client: Client) -> None:
    assert client.get("/shop/")["Location"] == "/shop/sign-in/?next=/shop/"
