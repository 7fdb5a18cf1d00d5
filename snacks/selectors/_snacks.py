"""Reads of the shelf: the ranked snacks, one snack, and reaction counts."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import redis
from django.db.models import Case, QuerySet, Value, When
from django.db.models.functions import Lower

from snacks import reaction_sets
from snacks.errors import SnackNotFound
from snacks.models import Reaction, Snack


@dataclasses.dataclass(frozen=True)
class SnackReactions:
    likes: int
    hates: int
    # The asking member's reaction: "like", "hate" or None.
    mine: str | None


def ranked_snacks() -> QuerySet[Snack]:
    """Snacks on sale, best liked first (docs/shop.md, "Ranking").

    By the share of likes among reactions (1/2 with none), then by more reactions,
    then by name regardless of case; the order of the `snacks_snack_ranking` index.
    """
    return Snack.objects.filter(retired_at__isnull=True).order_by(
        "-like_share", "-reactions_total", Lower("name"), "id"
    )


def every_snack() -> QuerySet[Snack]:
    """Every snack, those on sale first, then the retired ones, each group by name
    regardless of case: the admins' list of the shelf."""
    retired_last = Case(When(retired_at__isnull=True, then=Value(0)), default=Value(1))
    return Snack.objects.order_by(retired_last, Lower("name"), "id")


def snack_get(*, snack_id: uuid.UUID) -> Snack:
    """:raises SnackNotFound: when no snack has the id."""
    snack = Snack.objects.filter(id=snack_id).first()
    if snack is None:
        raise SnackNotFound(extra={"snack_id": str(snack_id)})
    return snack


def snack_reactions(
    snacks: Sequence[Snack], *, user_id: uuid.UUID | None
) -> dict[uuid.UUID, SnackReactions]:
    """Live counts from Redis, or the persisted ones while Redis is unavailable or
    not yet rebuilt (the next toggle rebuilds it)."""
    try:
        if reaction_sets.is_loaded():
            rows = reaction_sets.counts([s.id for s in snacks], user_id=user_id)
            return {
                snack.id: SnackReactions(likes=likes, hates=hates, mine=mine)
                for snack, (likes, hates, mine) in zip(snacks, rows, strict=True)
            }
    except redis.RedisError:
        pass
    mine: dict[uuid.UUID, str] = {}
    if user_id is not None:
        mine = dict(
            Reaction.objects.filter(
                user_id=user_id, snack_id__in=[s.id for s in snacks]
            ).values_list("snack_id", "kind")
        )
    return {
        snack.id: SnackReactions(
            likes=snack.likes, hates=snack.hates, mine=mine.get(snack.id)
        )
        for snack in snacks
    }
