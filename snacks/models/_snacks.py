"""Snacks the office shop sells, and members' reactions to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Cast, Lower

from snacks.images import SNACK_PICTURES, validate_snack_image
from snacks.prices import validate_currency


class Snack(models.Model):
    """A snack on the shop's shelf, priced in minor units of one currency."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique whatever the case ("Twix" and "twix" are one snack): see Meta.
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    image = models.ImageField(
        upload_to=SNACK_PICTURES, blank=True, validators=[validate_snack_image]
    )
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    # Reactions as last persisted from Redis (`snacks.services.persist_reactions`);
    # the ranking orders by them so that it is one index scan, not a count.
    likes = models.PositiveIntegerField(default=0, editable=False)
    hates = models.PositiveIntegerField(default=0, editable=False)
    reactions_total = models.GeneratedField(
        expression=models.F("likes") + models.F("hates"),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    # The ranking key: the share of likes among reactions, 1/2 with none (so a
    # snack nobody reacted to sits between the liked and the hated ones). Equal
    # fractions divide to the same double, so ties are exact.
    like_share = models.GeneratedField(
        expression=models.Case(
            models.When(models.Q(likes=0, hates=0), then=models.Value(0.5)),
            default=Cast("likes", models.FloatField())
            / Cast(models.F("likes") + models.F("hates"), models.FloatField()),
            output_field=models.FloatField(),
        ),
        output_field=models.FloatField(),
        db_persist=True,
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="snacks_snack_name_unique_ci",
                violation_error_message="A snack with this name already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0),
                name="snacks_snack_amount_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="snacks_snack_currency_iso_shape",
            ),
            models.CheckConstraint(
                condition=models.Q(likes__gte=0, hates__gte=0),
                name="snacks_snack_counts_not_negative",
            ),
        ]
        indexes = [
            # The ranked list (`snacks.selectors.ranked_snacks`) of snacks on sale.
            models.Index(
                models.F("like_share").desc(),
                models.F("reactions_total").desc(),
                Lower("name"),
                "id",
                name="snacks_snack_ranking",
                condition=models.Q(retired_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Snack {self.id} ({self.name})"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class ReactionKind(models.TextChoices):
    LIKE = "like"
    HATE = "hate"


class Reaction(models.Model):
    """A member's like or hate of a snack, as persisted from Redis; at most one
    per member and snack (taking it back deletes the row)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    snack = models.ForeignKey(Snack, on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=4, choices=ReactionKind.choices)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "snack"], name="snacks_reaction_one_per_member"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReactionKind.values),
                name="snacks_reaction_kind_valid",
            ),
        ]
        indexes = [models.Index(fields=["snack", "kind"])]

    def __str__(self) -> str:
        return f"Reaction {self.pk} ({self.kind} of snack {self.snack_id})"
