"""People who use the admin and the support API, for the payments tests."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.roles import ACCOUNTING, SUPPORT


def superuser() -> User:
    return User.objects.create_superuser(f"root-{uuid.uuid4().hex[:8]}@example.com")


def staff(role: str | None) -> User:
    """An active staff user in the `role` group (None: staff with no role)."""
    user = User.objects.create_user(
        f"{role or 'staff'}-{uuid.uuid4().hex[:8]}@example.com", is_staff=True
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


def support() -> User:
    return staff(SUPPORT)


def accounting() -> User:
    return staff(ACCOUNTING)


def member() -> User:
    """A shop member: signed in, but neither staff nor in a billing role."""
    return User.objects.create_user(f"member-{uuid.uuid4().hex[:8]}@example.com")


def token_for(user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return str(token.key)
