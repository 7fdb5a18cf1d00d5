"""Reads of the accounts app for other services: who a user is and how to write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

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
