"""Query filters every list of the API shares."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class CreatedRangeFilter(serializers.Serializer[Any]):
    """`created_after` (included) and `created_before` (excluded), in order; a
    list's filter serializer extends it."""

    created_after = serializers.DateTimeField(
        required=False, help_text="Created at or after (ISO 8601)."
    )
    created_before = serializers.DateTimeField(
        required=False, help_text="Created before (ISO 8601)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after >= before:
            raise serializers.ValidationError(
                {"created_before": ["Must be later than created_after."]}
            )
        return attrs
