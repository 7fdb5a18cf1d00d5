"""How the audit trail names the person behind a request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.request import Request


def staff_actor(request: HttpRequest | Request) -> str:
    """The signed-in user (staff, or the owner of an API token): `user:<id>`."""
    return user_actor(request.user)


def user_actor(user: Any) -> str:
    """A user as the audit trail names them: `user:<id>`."""
    return f"user:{user.pk}"
