"""The custom user model: a UUID, the e-mail as the login, and a name."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError

from accounts.models import User

pytestmark = pytest.mark.django_db


class TestUserManager:
    def test_creates_a_user_identified_by_uuid_with_a_lowercased_email(self) -> None:
        user = User.objects.create_user(
            "Ann@Example.COM", "long-password-1", name="Ann"
        )

        assert isinstance(user.id, uuid.UUID)
        assert user.email == "ann@example.com"
        assert user.check_password("long-password-1")
        assert not user.is_staff

    def test_refuses_a_user_without_email(self) -> None:
        with pytest.raises(ValueError, match="e-mail"):
            User.objects.create_user("", "pw")

    def test_refuses_a_second_user_with_the_same_email(self) -> None:
        User.objects.create_user("ann@example.com")

        with pytest.raises(IntegrityError):
            User.objects.create_user("ANN@example.com")

    def test_creates_superusers_as_staff(self) -> None:
        admin = User.objects.create_superuser("root@example.com", "pw")

        assert admin.is_staff and admin.is_superuser
