"""Reactions: toggled in Redis sets, persisted by the Celery task, rebuilt from the
database when Redis has lost them."""

from __future__ import annotations

import datetime as dt
import functools
import io
import random
import threading
import uuid
from collections import Counter

import pytest
import redis
from django.core.management import call_command
from django.db import connections
from pytest_django import DjangoAssertNumQueries

from accounts.models import User
from snacks import tasks
from snacks.errors import SnackNotFound, SnackRetired
from snacks.models import Reaction, Snack
from snacks.reaction_sets import ON_SALE
from snacks.selectors import snack_reactions
from snacks.services import persist_reactions, retire_snack, toggle_reaction
from tests.accounts.factories import UserFactory
from tests.snacks.factories import ReactionFactory, SnackFactory

pytestmark = [pytest.mark.redis, pytest.mark.usefixtures("reaction_redis")]

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _toggle(user: User, snack: Snack, kind: str) -> tuple[str | None, int, int]:
    result = toggle_reaction(user_id=user.pk, snack_id=snack.id, kind=kind, now=NOW)
    return result.reaction, result.likes, result.hates


def _persisted(snack: Snack) -> dict[uuid.UUID, str]:
    return dict(Reaction.objects.filter(snack=snack).values_list("user_id", "kind"))


@pytest.mark.django_db
class TestToggleReaction:
    def test_a_like_counts_once(self) -> None:
        user, snack = UserFactory.create(), SnackFactory.create()

        assert _toggle(user, snack, "like") == ("like", 1, 0)

    def test_the_same_kind_again_takes_it_back(self) -> None:
        user, snack = UserFactory.create(), SnackFactory.create()
        _toggle(user, snack, "hate")

        assert _toggle(user, snack, "hate") == (None, 0, 0)

    def test_the_other_kind_switches_it(self) -> None:
        user, snack = UserFactory.create(), SnackFactory.create()
        _toggle(user, snack, "like")

        assert _toggle(user, snack, "hate") == ("hate", 0, 1)

    def test_counts_each_member_once(self) -> None:
        snack = SnackFactory.create()
        _toggle(UserFactory.create(), snack, "like")
        _toggle(UserFactory.create(), snack, "like")

        assert _toggle(UserFactory.create(), snack, "hate") == ("hate", 2, 1)

    def test_refuses_a_retired_snack(self, reaction_redis: redis.Redis) -> None:
        snack = SnackFactory.create(retired_at=NOW)

        with pytest.raises(SnackRetired):
            _toggle(UserFactory.create(), snack, "like")

        assert reaction_redis.scard(f"snack:{snack.id}:likes") == 0

    def test_refuses_an_unknown_snack(self) -> None:
        with pytest.raises(SnackNotFound):
            toggle_reaction(
                user_id=uuid.uuid4(), snack_id=uuid.uuid4(), kind="like", now=NOW
            )

    def test_asks_the_database_nothing_once_redis_knows_the_snack(
        self, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        """The counts and the snacks on sale are in Redis."""
        user, snack = UserFactory.create(), SnackFactory.create()
        _toggle(user, snack, "like")

        with django_assert_num_queries(0):
            _toggle(user, snack, "hate")

    def test_learns_a_snack_on_sale_from_the_database_once(
        self, reaction_redis: redis.Redis
    ) -> None:
        snack = SnackFactory.create()
        assert not reaction_redis.sismember(ON_SALE, str(snack.id))

        _toggle(UserFactory.create(), snack, "like")

        assert reaction_redis.sismember(ON_SALE, str(snack.id))

    def test_refuses_a_snack_retired_after_redis_knew_it(
        self, reaction_redis: redis.Redis
    ) -> None:
        user, snack = UserFactory.create(), SnackFactory.create()
        _toggle(user, snack, "like")

        retire_snack(snack_id=snack.id, now=NOW)

        assert not reaction_redis.sismember(ON_SALE, str(snack.id))
        with pytest.raises(SnackRetired):
            _toggle(user, snack, "like")
        assert reaction_redis.smembers(f"snack:{snack.id}:likes") == {str(user.pk)}

    def test_keeps_the_counts_in_redis_sets(self, reaction_redis: redis.Redis) -> None:
        user, snack = UserFactory.create(), SnackFactory.create()

        _toggle(user, snack, "like")

        assert reaction_redis.smembers(f"snack:{snack.id}:likes") == {str(user.pk)}
        assert reaction_redis.exists(f"snack:{snack.id}:hates") == 0


@pytest.mark.django_db
class TestPersistReactions:
    def test_writes_reactions_and_counts_to_the_database(self) -> None:
        snack = SnackFactory.create()
        fan, critic, undecided = UserFactory.create_batch(3)
        _toggle(fan, snack, "like")
        _toggle(critic, snack, "like")
        _toggle(critic, snack, "hate")
        _toggle(undecided, snack, "like")
        _toggle(undecided, snack, "like")

        tasks.persist_reactions.delay()

        snack.refresh_from_db()
        assert _persisted(snack) == {fan.pk: "like", critic.pk: "hate"}
        assert (snack.likes, snack.hates) == (1, 1)

    def test_takes_back_a_persisted_reaction(self) -> None:
        reaction = ReactionFactory.create(kind="like")
        snack, user = reaction.snack, reaction.user
        _toggle(user, snack, "like")

        persist_reactions(now=NOW)

        snack.refresh_from_db()
        assert _persisted(snack) == {}
        assert (snack.likes, snack.hates) == (0, 0)

    def test_running_twice_changes_nothing_more(self) -> None:
        snack, user = SnackFactory.create(), UserFactory.create()
        _toggle(user, snack, "hate")
        assert persist_reactions(now=NOW) == 1

        assert persist_reactions(now=NOW) == 0
        assert _persisted(snack) == {user.pk: "hate"}

    def test_finishes_a_batch_that_a_failed_run_left(
        self, reaction_redis: redis.Redis
    ) -> None:
        """A run that died after taking its batch leaves it in `persisting`; the
        next run writes it before taking new toggles."""
        snack, early, late = SnackFactory.create(), *UserFactory.create_batch(2)
        _toggle(early, snack, "like")
        reaction_redis.rename("snacks:reactions:dirty", "snacks:reactions:persisting")
        _toggle(late, snack, "hate")

        persist_reactions(now=NOW)
        persist_reactions(now=NOW)

        assert _persisted(snack) == {early.pk: "like", late.pk: "hate"}
        assert reaction_redis.exists("snacks:reactions:persisting") == 0


@pytest.mark.django_db
class TestAfterRedisLosesItsData:
    def test_the_next_toggle_rebuilds_the_sets_from_the_database(
        self, reaction_redis: redis.Redis
    ) -> None:
        snack = SnackFactory.create()
        fans = UserFactory.create_batch(3)
        critic, newcomer = UserFactory.create_batch(2)
        for fan in fans:
            _toggle(fan, snack, "like")
        _toggle(critic, snack, "hate")
        persist_reactions(now=NOW)

        reaction_redis.flushdb()

        assert _toggle(newcomer, snack, "like") == ("like", 4, 1)
        assert _toggle(critic, snack, "hate") == (None, 4, 0)

    def test_the_rebuild_knows_the_snacks_on_sale_again(
        self, reaction_redis: redis.Redis
    ) -> None:
        on_sale = SnackFactory.create()
        retired = SnackFactory.create(retired_at=NOW)
        reaction_redis.sadd(ON_SALE, str(retired.id))

        call_command("rebuild_reaction_sets", stdout=io.StringIO())

        assert reaction_redis.smembers(ON_SALE) == {str(on_sale.id)}

    def test_the_lists_show_the_persisted_counts_until_then(
        self, reaction_redis: redis.Redis
    ) -> None:
        snack, user = SnackFactory.create(), UserFactory.create()
        _toggle(user, snack, "like")
        persist_reactions(now=NOW)
        reaction_redis.flushdb()
        snack.refresh_from_db()

        reactions = snack_reactions([snack], user_id=user.pk)[snack.id]

        assert (reactions.likes, reactions.hates, reactions.mine) == (1, 0, "like")

    def test_the_command_persists_what_is_pending_then_rebuilds(
        self, reaction_redis: redis.Redis
    ) -> None:
        snack, user = SnackFactory.create(), UserFactory.create()
        _toggle(user, snack, "hate")
        reaction_redis.sadd(f"snack:{snack.id}:likes", "not-a-member")
        out = io.StringIO()

        call_command("rebuild_reaction_sets", stdout=out)

        assert "Loaded 1 reactions" in out.getvalue()
        assert reaction_redis.smembers(f"snack:{snack.id}:hates") == {str(user.pk)}
        assert reaction_redis.exists(f"snack:{snack.id}:likes") == 0
        assert _persisted(snack) == {user.pk: "hate"}


@pytest.mark.django_db(transaction=True)
class TestUnderConcurrency:
    def test_a_hundred_toggles_from_twenty_threads_end_consistent(
        self, reaction_redis: redis.Redis
    ) -> None:
        """Counts in Redis equal what the toggles imply, and the database equals
        Redis after the persist task."""
        snack = SnackFactory.create()
        members = UserFactory.create_batch(10)
        draws = random.Random(12)
        # Five toggles for each of 20 threads; members are shared between threads.
        plans = [
            [(draws.choice(members), draws.choice(["like", "hate"])) for _ in range(5)]
            for _ in range(20)
        ]
        results: list[tuple[User, str, str | None]] = []
        lock = threading.Lock()
        start = threading.Barrier(len(plans))
        errors: list[BaseException] = []

        def run(plan: list[tuple[User, str]]) -> None:
            try:
                start.wait()
                for member, kind in plan:
                    result = toggle_reaction(
                        user_id=member.pk, snack_id=snack.id, kind=kind, now=NOW
                    )
                    with lock:
                        results.append((member, kind, result.reaction))
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run, args=(plan,)) for plan in plans]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert len(results) == 100
        likes = reaction_redis.smembers(f"snack:{snack.id}:likes")
        hates = reaction_redis.smembers(f"snack:{snack.id}:hates")
        assert likes.isdisjoint(hates)
        # Each member's answers chain into an order that ends where the sets are.
        for member in members:
            expected = (
                "like"
                if str(member.pk) in likes
                else "hate"
                if str(member.pk) in hates
                else None
            )
            assert expected in _replay([(k, r) for m, k, r in results if m == member])

        persist_reactions(now=NOW)

        snack.refresh_from_db()
        persisted = Counter(_persisted(snack).values())
        assert (snack.likes, snack.hates) == (len(likes), len(hates))
        assert (persisted["like"], persisted["hate"]) == (len(likes), len(hates))
        liked = {str(pk) for pk, kind in _persisted(snack).items() if kind == "like"}
        assert liked == likes


def _replay(toggles: list[tuple[str, str | None]]) -> set[str | None]:
    """The states a member can end in after `toggles` (kind, answer), over every
    order of them in which each answer follows from the state before it: Redis
    applies one member's toggles one at a time, so some order explains them all."""

    @functools.cache
    def finals(left: frozenset[int], state: str | None) -> frozenset[str | None]:
        if not left:
            return frozenset({state})
        reachable: set[str | None] = set()
        for index in left:
            kind, answer = toggles[index]
            if answer == (None if state == kind else kind):
                reachable |= finals(left - {index}, answer)
        return frozenset(reachable)

    return set(finals(frozenset(range(len(toggles))), None))
