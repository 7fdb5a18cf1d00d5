"""Members' access tokens: verified once per process until they expire, and the
member they speak for, read as simplejwt reads it.

On PostgreSQL `MemberJWTAuthentication` reads the row with a statement written
once; on SQLite simplejwt reads it. These run on both.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from pytest_django import DjangoAssertNumQueries
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

from accounts.api.authentication import MemberJWTAuthentication, VerifiedTokens
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


def _signed(token: AccessToken) -> bytes:
    return str(token).encode()


class TestVerifiedTokens:
    """A process verifies a member's token once, and keeps it until it expires."""

    def test_a_verified_token_is_answered_from_memory(self) -> None:
        authentication = MemberJWTAuthentication()
        authentication.verified = VerifiedTokens()
        raw = _signed(_token_of(uuid.uuid4()))

        first = authentication.get_validated_token(raw)

        assert authentication.verified.get(raw) is first
        assert authentication.get_validated_token(raw) is first

    def test_a_token_that_expired_is_verified_again_and_refused(self) -> None:
        authentication = MemberJWTAuthentication()
        authentication.verified = VerifiedTokens()
        token = _token_of(uuid.uuid4())
        token.set_exp(lifetime=dt.timedelta(seconds=1))
        raw = _signed(token)
        authentication.get_validated_token(raw)
        time.sleep(1.1)

        with pytest.raises(InvalidToken):
            authentication.get_validated_token(raw)
        assert authentication.verified.get(raw) is None

    def test_a_signature_verified_once_serves_no_other_claims(self) -> None:
        authentication = MemberJWTAuthentication()
        authentication.verified = VerifiedTokens()
        raw = _signed(_token_of(uuid.uuid4()))
        authentication.get_validated_token(raw)
        header, _, signature = raw.split(b".")
        others = _signed(_token_of(uuid.uuid4())).split(b".")[1]

        with pytest.raises(InvalidToken):
            authentication.get_validated_token(b".".join([header, others, signature]))

    def test_keeps_at_most_its_limit(self) -> None:
        verified = VerifiedTokens(limit=2)
        tokens = [_token_of(uuid.uuid4()) for _ in range(3)]
        for token in tokens:
            verified.keep(_signed(token), token)

        assert verified.get(_signed(tokens[0])) is None
        assert verified.get(_signed(tokens[2])) is tokens[2]
