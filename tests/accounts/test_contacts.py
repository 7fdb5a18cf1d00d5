"""A user's locale and the contact other services read (`accounts.selectors`)."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from pytest_django.fixtures import Settings

from accounts.selectors import UserContact, user_contact
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


class TestUserLocale:
    def test_defaults_to_the_site_language(self, settings: Settings) -> None:
        settings.LANGUAGE_CODE = "ru"

        user = UserFactory.create()

        assert user.locale == "ru"

    @pytest.mark.parametrize("tag", ["ru", "en-GB", "sr-Latn-RS", "de-CH-1996"])
    def test_accepts_a_language_tag(self, tag: str) -> None:
        user = UserFactory.create(locale=tag)

        user.full_clean()

    @pytest.mark.parametrize("tag", ["", "english", "en_GB", "r", "en-", "ru; drop"])
    def test_refuses_what_is_not_a_language_tag(self, tag: str) -> None:
        user = UserFactory.build(locale=tag)

        with pytest.raises(ValidationError) as raised:
            user.full_clean(exclude=["password"])

        assert "locale" in raised.value.message_dict


class TestUserContact:
    def test_answers_the_email_name_and_locale(self) -> None:
        user = UserFactory.create(email="ann@example.com", name="Ann", locale="en-GB")

        contact = user_contact(user_id=user.id)

        assert contact == UserContact(
            email="ann@example.com", name="Ann", locale="en-GB"
        )

    def test_answers_none_for_an_unknown_user(self) -> None:
        UserFactory.create()

        assert user_contact(user_id=uuid.uuid4()) is None

    def test_answers_none_for_a_deactivated_user(self) -> None:
        """A user who left gets no more mail."""
        user = UserFactory.create(is_active=False)

        assert user_contact(user_id=user.id) is None
