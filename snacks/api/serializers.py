"""Input and output of the shop's snack operations."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from snacks.images import validate_snack_image
from snacks.models import ReactionKind, Snack
from snacks.prices import validate_currency
from snacks.selectors import SnackReactions

MAX_AMOUNT_MINOR = 2**63 - 1


class ImageUploadField(serializers.FileField):
    """An uploaded picture, checked by `snacks.images` (size, format, pixels)."""

    def to_internal_value(self, data: Any) -> Any:
        upload = super().to_internal_value(data)
        try:
            validate_snack_image(upload)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return upload


class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_length", 3)
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("help_text", "An active ISO 4217 code, e.g. EUR or RUB.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            validate_currency(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class SnackInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    description = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True
    )
    image = ImageUploadField(required=False)
    amount_minor = serializers.IntegerField(
        min_value=1,
        max_value=MAX_AMOUNT_MINOR,
        help_text="The price in minor units of the currency (cents, kopecks).",
    )
    currency = CurrencyField()


class ReactionInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReactionKind.choices)


class ReactionOutput(serializers.Serializer[Any]):
    snack_id = serializers.UUIDField()
    reaction = serializers.ChoiceField(
        choices=ReactionKind.choices,
        allow_null=True,
        help_text="The member's reaction after the toggle; null when taken back.",
    )
    likes = serializers.IntegerField()
    hates = serializers.IntegerField()


class SnackOutput(serializers.Serializer[Snack]):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField()
    description = serializers.CharField()
    image = serializers.SerializerMethodField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    likes = serializers.SerializerMethodField()
    hates = serializers.SerializerMethodField()
    reaction = serializers.SerializerMethodField()
    retired_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def _reactions(self, snack: Snack) -> SnackReactions:
        reactions: dict[Any, SnackReactions] = self.context.get("reactions", {})
        return reactions.get(
            snack.id, SnackReactions(likes=snack.likes, hates=snack.hates, mine=None)
        )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, snack: Snack) -> str | None:
        if not snack.image:
            return None
        request = self.context.get("request")
        url = snack.image.url
        return request.build_absolute_uri(url) if request is not None else url

    def get_likes(self, snack: Snack) -> int:
        return self._reactions(snack).likes

    def get_hates(self, snack: Snack) -> int:
        return self._reactions(snack).hates

    @extend_schema_field(
        serializers.ChoiceField(choices=ReactionKind.choices, allow_null=True)
    )
    def get_reaction(self, snack: Snack) -> str | None:
        return self._reactions(snack).mine
