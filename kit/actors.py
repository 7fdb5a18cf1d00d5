"""How the audit trail names the person behind a request."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request


def staff_actor(request: HttpRequest | Request) -> str:
    """The signed-in user (staff, or the owner of an API token): `user:<id>`."""
    return f"user:{request.user.pk}"
