"""`make run`'s in-memory Redis: started only when the shop's Redis is the
unconfigured default and does not answer, and good enough for the shop's toggle
script, its locks and its persist run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import LazySettings, settings
from django.utils import timezone

from config import env as config_env
from config.management.commands import devstack
from snacks.models import Reaction
from snacks.services import persist_reactions, toggle_reaction
from tests.accounts.factories import UserFactory
from tests.polling import wait_until
from tests.ports import free_port
from tests.services import REDIS_URL
from tests.snacks.factories import SnackFactory

NOWHERE = "redis://127.0.0.1:1/0"


@pytest.fixture
def local_redis() -> Iterator[str]:
    """`manage.py local_redis` on a port of its own; its URL."""
    port = free_port()
    command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "local_redis"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_until(
            lambda: devstack._redis_answers(url),
            timeout=30,
            message="local_redis never came up",
        )
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db
def test_counts_and_persists_the_shops_reactions(
    local_redis: str, settings: LazySettings
) -> None:
    settings.SNACKS_REDIS_URL = local_redis
    member, other = UserFactory.create_batch(2)
    snack = SnackFactory.create()
    now = timezone.now()

    toggle_reaction(user_id=member.id, snack_id=snack.id, kind="like", now=now)
    toggle_reaction(user_id=other.id, snack_id=snack.id, kind="hate", now=now)
    switched = toggle_reaction(
        user_id=other.id, snack_id=snack.id, kind="like", now=now
    )
    written = persist_reactions(now=now)

    assert (switched.likes, switched.hates, switched.reaction) == (2, 0, "like")
    assert written == 2
    assert sorted(Reaction.objects.values_list("kind", flat=True)) == ["like", "like"]
    snack.refresh_from_db()
    assert (snack.likes, snack.hates) == (2, 0)


@pytest.fixture
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Neither SNACKS_REDIS_URL nor REDIS_URL given."""
    monkeypatch.setattr(config_env, "REDIS_URL", "")
    monkeypatch.setattr(config_env, "SNACKS_REDIS_URL_GIVEN", "")
    return monkeypatch


class TestWhenMakeRunStartsIt:
    def test_when_nothing_is_configured_and_nothing_answers(
        self, settings: LazySettings, unconfigured: pytest.MonkeyPatch
    ) -> None:
        settings.SNACKS_REDIS_URL = NOWHERE

        assert devstack._needs_local_redis() is True

    @pytest.mark.parametrize("variable", ["REDIS_URL", "SNACKS_REDIS_URL_GIVEN"])
    def test_never_in_place_of_a_configured_redis(
        self, settings: LazySettings, unconfigured: pytest.MonkeyPatch, variable: str
    ) -> None:
        """A configured Redis that does not answer is a mistake to show."""
        settings.SNACKS_REDIS_URL = NOWHERE
        unconfigured.setattr(config_env, variable, NOWHERE)

        assert devstack._needs_local_redis() is False

    @pytest.mark.redis
    def test_never_beside_a_redis_that_answers(
        self, settings: LazySettings, unconfigured: pytest.MonkeyPatch
    ) -> None:
        settings.SNACKS_REDIS_URL = REDIS_URL

        assert devstack._needs_local_redis() is False
