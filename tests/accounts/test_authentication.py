"""Members' access tokens: the member they speak for, read as simplejwt reads it.

On PostgreSQL `MemberJWTAuthentication` reads the row with a statement written
once; on SQLite simplejwt reads it. These run on both.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from pytest_django import DjangoAssertNumQueries
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api.authentication import MemberJWTAuthentication
from accounts.models import User
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


LAST_LOGIN = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def _fields(user: User) -> dict[str, object]:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


def _token_of(user_id: object) -> AccessToken:
    token = AccessToken()
    token["sub"] = str(user_id)
    return token


class TestMemberJWTAuthentication:
    def test_reads_the_member_as_the_orm_does(self) -> None:
        member = UserFactory.create(
            name="Ada", locale="en-GB", shop_admin=True, last_login=LAST_LOGIN
        )

        user = MemberJWTAuthentication().get_user(_token_of(member.pk))

        assert isinstance(user, User)
        assert _fields(user) == _fields(User.objects.get(pk=member.pk))
        assert user._state.adding is False

    def test_reads_the_member_in_one_statement(
        self, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        member = UserFactory.create()

        with django_assert_num_queries(1):
            MemberJWTAuthentication().get_user(_token_of(member.pk))

    def test_refuses_a_member_who_resigned(self) -> None:
        member = UserFactory.create(is_active=False)

        with pytest.raises(AuthenticationFailed) as refused:
            MemberJWTAuthentication().get_user(_token_of(member.pk))

        assert refused.value.detail == {
            "detail": "User is inactive",
            "code": "user_inactive",
        }

    def test_refuses_a_user_who_does_not_exist(self) -> None:
        with pytest.raises(AuthenticationFailed) as refused:
            MemberJWTAuthentication().get_user(_token_of(uuid.uuid4()))

        assert refused.value.detail == {
            "detail": "User not found",
            "code": "user_not_found",
        }
