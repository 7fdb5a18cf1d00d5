"""Retiring a snack from the admins' pages: confirmed with a tick, refused in
words while Redis (which must forget the snack first) is away."""

from __future__ import annotations

import pytest
import redis
from django.conf import LazySettings
from django.utils import timezone

from accounts.models import User
from snacks import reaction_sets
from snacks.services import toggle_reaction
from tests.snacks.factories import SnackFactory
from tests.snacks.web.pages import field_errors, page_text, signed_in

pytestmark = pytest.mark.django_db

NOW = timezone.now()
MANAGE = "/shop/manage/snacks/"


@pytest.fixture(autouse=True)
def _redis_away(settings: LazySettings) -> None:
    """No Redis, unless a test asks for the test Redis (`reaction_redis`)."""
    settings.SNACKS_REDIS_URL = "redis://127.0.0.1:1/0"


class TestRetireSnack:
    def test_asks_to_confirm_with_a_box_to_tick(self, admin: User) -> None:
        snack = SnackFactory.create(name="Twix")

        content = signed_in(admin).get(f"{MANAGE}{snack.id}/retire/").content

        assert b'type="checkbox" name="confirm"' in content
        assert "Retire Twix" in page_text(content)
        snack.refresh_from_db()
        assert snack.retired_at is None

    def test_without_the_tick_nothing_retires(self, admin: User) -> None:
        snack = SnackFactory.create()

        response = signed_in(admin).post(f"{MANAGE}{snack.id}/retire/", {})

        assert field_errors(response.content) == {
            "confirm": ["Tick the box to confirm that the snack retires."]
        }
        snack.refresh_from_db()
        assert snack.retired_at is None

    @pytest.mark.redis
    def test_retires_the_snack_once_confirmed(
        self, admin: User, reaction_redis: redis.Redis
    ) -> None:
        snack = SnackFactory.create(name="Twix")
        toggle_reaction(user_id=admin.id, snack_id=snack.id, kind="like", now=NOW)
        assert reaction_redis.sismember(reaction_sets.ON_SALE, str(snack.id))
        browser = signed_in(admin)

        response = browser.post(f"{MANAGE}{snack.id}/retire/", {"confirm": "on"})

        assert response["Location"] == MANAGE
        snack.refresh_from_db()
        assert snack.retired_at is not None
        assert not reaction_redis.sismember(reaction_sets.ON_SALE, str(snack.id))
        text = page_text(browser.get(MANAGE).content)
        assert "Twix is retired: it left the shelf." in text
        assert "Twix" not in page_text(browser.get("/shop/").content)

    def test_while_redis_is_away_says_so_and_keeps_the_snack(self, admin: User) -> None:
        snack = SnackFactory.create()

        response = signed_in(admin).post(
            f"{MANAGE}{snack.id}/retire/", {"confirm": "on"}
        )

        assert response.status_code == 200
        assert "Reactions cannot be counted right now; try again shortly." in page_text(
            response.content
        )
        snack.refresh_from_db()
        assert snack.retired_at is None

    def test_a_retired_snack_says_so(self, admin: User) -> None:
        snack = SnackFactory.create(name="Twix", retired_at=timezone.now())

        response = signed_in(admin).post(
            f"{MANAGE}{snack.id}/retire/", {"confirm": "on"}
        )

        assert "Twix is retired already." in page_text(response.content)
        assert b'id="retire-form"' not in response.content
