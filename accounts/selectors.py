"""Reads of the accounts app: who a user is and how to write, and the shop's
members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User


@dataclass(frozen=True)
class UserContact:
    """Where and how to write to a user."""

    email: str
    name: str
    locale: str


def user_contact(*, user_id: uuid.UUID) -> UserContact | None:
    """The contact of the active user `user_id`; None when there is none.

    A deactivated user (who left, or was blocked) counts as unknown: services ask
    in order to write to the user, and such a user must get no more mail.
    """
    user = (
        User.objects.filter(id=user_id, is_active=True)
        .only("email", "name", "locale")
        .first()
    )
    if user is None:
        return None
    return UserContact(email=user.email, name=user.name, locale=user.locale)


def list_members(
    *, role: str | None = None, search: str | None = None
) -> QuerySet[User]:
    """The shop's active members, the earliest joined first; only those in `role`
    when given, and only those whose e-mail or name contains `search` (any case)."""
    members = User.objects.filter(is_active=True)
    if role:
        members = members.filter(role=role)
    if search:
        members = members.filter(Q(email__icontains=search) | Q(name__icontains=search))
    return members.order_by("date_joined", "id")
