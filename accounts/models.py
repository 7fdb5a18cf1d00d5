"""People who sign in: staff of the billing service and members of the snack shop."""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# A BCP 47 language tag as services write it: a language, then optional subtags
# (script, region, variant) of letters and digits: `ru`, `en-GB`, `sr-Latn-RS`.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def validate_locale(value: str) -> None:
    """Refuse what is not a BCP 47 language tag.

    :raises ValidationError: when `value` is not one.
    """
    if not _LANGUAGE_TAG.fullmatch(value):
        raise ValidationError(
            "%(value)s is not a BCP 47 language tag such as ru or en-GB.",
            code="invalid_locale",
            params={"value": value},
        )


def default_locale() -> str:
    """The site's language (`LANGUAGE_CODE`), read when a user is created."""
    return str(settings.LANGUAGE_CODE)


class ShopRole(models.TextChoices):
    """What a person may do in the snack shop (not the billing staff roles)."""

    MEMBER = "member", "Member"
    # Runs the shop: snacks, orders, members. Not Django staff: no admin site.
    ADMIN = "admin", "Admin"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def normalize_address(self, email: str) -> str:
        """`email` as it is stored: the whole address in lower case."""
        return self.normalize_email(email.strip()).lower()

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mails are unique whatever their case (`Lower(email)`); sign-in finds
        # the user however the address is typed, through that index.
        return self.alias(email_lower=Lower("email")).get(
            email_lower=(username or "").lower()
        )

    def with_address(self, email: str) -> models.QuerySet[User]:
        """Users (active or not) whose e-mail is `email`, whatever its case."""
        return self.alias(email_lower=Lower("email")).filter(
            email_lower=self.normalize_address(email)
        )

    def create_user(
        self, email: str, password: str | None = None, **fields: Any
    ) -> User:
        if not email:
            raise ValueError("a user needs an e-mail address")
        user = self.model(email=self.normalize_address(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **fields: Any
    ) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, known to other services (billing's payers) by a UUID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    # The language other services write to the user in (billing's e-mails).
    locale = models.CharField(
        max_length=35, default=default_locale, validators=[validate_locale]
    )
    role = models.CharField(
        max_length=16, choices=ShopRole.choices, default=ShopRole.MEMBER
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the member resigned (with is_active off): the row stays, so its
    # e-mail can never sign up again and billing's payer UUID stays known.
    resigned_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_unique_any_case",
                violation_error_message="A user with this e-mail already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=ShopRole.values),
                name="accounts_user_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.id})"

    @property
    def is_shop_admin(self) -> bool:
        return self.is_active and self.role == ShopRole.ADMIN
