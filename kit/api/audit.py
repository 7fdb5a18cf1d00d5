"""The API's shape of one row of an audit trail (a status change)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StatusChangeOutput(serializers.Serializer[Any]):
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.CharField()
    reason = serializers.CharField()
    at = serializers.DateTimeField()
