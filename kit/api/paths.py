"""Ids from plain path segments: a malformed one is a 400 that names the field.

URLs take ids as `<str:...>` segments and the views parse them here, so a bad id is
a validation error in the API's error shape rather than a 404 from the resolver.
"""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers


def path_uuid(value: str, name: str) -> uuid.UUID:
    """:raises ValidationError: when `value` is not a UUID."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise serializers.ValidationError({name: ["Must be a valid UUID."]}) from None


def path_parameter(
    name: str, kind: OpenApiTypes = OpenApiTypes.UUID
) -> OpenApiParameter:
    """The OpenAPI description of the path segment `name`."""
    return OpenApiParameter(name, kind, OpenApiParameter.PATH)
