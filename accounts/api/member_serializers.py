"""What the shop's members API answers about a member."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import ShopRole


class MemberOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=ShopRole.choices)
    date_joined = serializers.DateTimeField()
