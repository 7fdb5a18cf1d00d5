"""The shelf is ranked by the share of likes among reactions (docs/shop.md)."""

from __future__ import annotations

import pytest

from snacks.selectors import ranked_snacks
from tests.snacks.factories import SnackFactory

pytestmark = pytest.mark.django_db


def _ranked_names() -> list[str]:
    return [snack.name for snack in ranked_snacks()]


class TestRanking:
    def test_seven_likes_to_three_hates_rank_above_sixty_to_forty(self) -> None:
        SnackFactory.create(name="Sixty", likes=60, hates=40)
        SnackFactory.create(name="Seven", likes=7, hates=3)

        assert _ranked_names() == ["Seven", "Sixty"]

    def test_a_snack_without_hates_ranks_first_and_without_likes_last(self) -> None:
        SnackFactory.create(name="Hated", likes=0, hates=1)
        SnackFactory.create(name="Liked", likes=1, hates=0)
        SnackFactory.create(name="Mixed", likes=5, hates=5)

        assert _ranked_names() == ["Liked", "Mixed", "Hated"]

    def test_equal_shares_rank_the_snack_with_more_reactions_first(self) -> None:
        SnackFactory.create(name="Few", likes=1, hates=3)
        SnackFactory.create(name="Many", likes=25, hates=75)

        assert _ranked_names() == ["Many", "Few"]

    def test_full_ties_rank_by_name_regardless_of_case(self) -> None:
        SnackFactory.create(name="bounty", likes=2, hates=1)
        SnackFactory.create(name="Mars", likes=2, hates=1)
        SnackFactory.create(name="Aero", likes=2, hates=1)

        assert _ranked_names() == ["Aero", "bounty", "Mars"]

    def test_a_snack_with_no_reactions_sits_between_liked_and_hated(self) -> None:
        SnackFactory.create(name="Hated", likes=1, hates=2)
        SnackFactory.create(name="Untried")
        SnackFactory.create(name="Liked", likes=2, hates=1)
        SnackFactory.create(name="Even", likes=3, hates=3)

        assert _ranked_names() == ["Liked", "Even", "Untried", "Hated"]

    def test_leaves_retired_snacks_out(self) -> None:
        SnackFactory.create(name="Gone", likes=9, retired_at="2026-01-01T00:00:00Z")
        SnackFactory.create(name="Here")

        assert _ranked_names() == ["Here"]
