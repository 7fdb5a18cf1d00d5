"""The database holds every invariant of snacks and reactions, whatever the code."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from snacks.models import Reaction, Snack
from tests.accounts.factories import UserFactory
from tests.snacks.factories import ReactionFactory, SnackFactory

pytestmark = pytest.mark.django_db


def _refused(**fields: object) -> bool:
    try:
        with transaction.atomic():
            SnackFactory.create(**fields)
    except IntegrityError:
        return True
    return False


class TestSnackConstraints:
    def test_refuses_a_name_taken_in_another_case(self) -> None:
        SnackFactory.create(name="Twix")

        assert _refused(name="tWIX")

    @pytest.mark.parametrize("amount_minor", [0, -1])
    def test_refuses_a_price_that_is_not_positive(self, amount_minor: int) -> None:
        assert _refused(amount_minor=amount_minor)

    @pytest.mark.parametrize("currency", ["rub", "RU", "R1B", "R B"])
    def test_refuses_a_currency_not_shaped_as_iso_4217(self, currency: str) -> None:
        assert _refused(currency=currency)

    def test_refuses_negative_counts(self) -> None:
        assert _refused(likes=-1)

    def test_keeps_a_valid_snack(self) -> None:
        assert not _refused(name="Snickers", amount_minor=1, currency="EUR")


class TestRankingColumns:
    @pytest.mark.parametrize(
        ("likes", "hates", "share"),
        [(7, 3, 0.7), (60, 40, 0.6), (0, 0, 0.5), (0, 4, 0.0), (1, 0, 1.0)],
    )
    def test_the_database_computes_the_share_of_likes(
        self, likes: int, hates: int, share: float
    ) -> None:
        snack = SnackFactory.create(likes=likes, hates=hates)

        stored = Snack.objects.values_list("like_share", "reactions_total").get(
            pk=snack.pk
        )

        assert stored == (pytest.approx(share), likes + hates)


class TestReactionConstraints:
    def test_refuses_a_second_reaction_of_a_member_to_a_snack(self) -> None:
        reaction = ReactionFactory.create()

        with pytest.raises(IntegrityError):
            ReactionFactory.create(
                user=reaction.user, snack=reaction.snack, kind="hate"
            )

    def test_refuses_a_kind_other_than_like_or_hate(self) -> None:
        with pytest.raises(IntegrityError):
            ReactionFactory.create(kind="meh")

    def test_lets_two_members_react_to_one_snack(self) -> None:
        snack = SnackFactory.create()

        ReactionFactory.create(snack=snack, user=UserFactory.create())
        ReactionFactory.create(snack=snack, user=UserFactory.create(), kind="hate")

        assert Reaction.objects.filter(snack=snack).count() == 2
