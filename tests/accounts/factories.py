"""People who sign in, made as the user manager makes them (password hashed)."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from accounts.models import ShopRole, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A member who can sign in; `UserFactory(staff=True)` for staff,
    `UserFactory(superuser=True)` for a superuser, `UserFactory(shop_admin=True)`
    for an admin of the shop, `UserFactory(resigned=True)` for a member who resigned."""

    class Meta:
        model = User

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)
        shop_admin = factory.Trait(role=ShopRole.ADMIN)
        # What `accounts.services.resign` leaves behind.
        resigned = factory.Trait(
            is_active=False, resigned_at=factory.LazyFunction(timezone.now)
        )

    email = factory.Sequence(lambda n: f"person-{n}@example.com")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        manager = cls._get_manager(model_class)
        return manager.create_user(*args, **kwargs)
