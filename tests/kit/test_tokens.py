"""Verifying bearer tokens: who a token speaks for, and every way one is refused."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import uuid
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from kit.tokens import (
    InvalidToken,
    PrincipalKind,
    encode_token,
    verify_access_token,
)

CURRENT_KEY = "current-signing-key-of-at-least-32-characters"
RETIRED_KEY = "retired-signing-key-of-at-least-32-characters"
UNKNOWN_KEY = "somebody-elses-key-of-at-least-32-characters"


@pytest.fixture
def keys(settings: Settings) -> None:
    settings.JWT_SIGNING_KEY = CURRENT_KEY
    settings.JWT_VERIFYING_KEYS = [RETIRED_KEY]


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": str(uuid.UUID(int=7)),
        "token_type": "access",
        "jti": uuid.uuid4().hex,
        "iat": _at(),
        "exp": _at(dt.timedelta(minutes=15)),
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _at(offset: dt.timedelta = dt.timedelta(0)) -> int:
    """POSIX time `offset` from now: PyJWT checks expiry against the clock."""
    return int((dt.datetime.now(tz=dt.UTC) + offset).timestamp())


def _token(key: str = CURRENT_KEY, **overrides: Any) -> str:
    return encode_token(_claims(**overrides), key=key)


def _segment(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


@pytest.mark.usefixtures("keys")
class TestVerifyAccessToken:
    def test_names_the_user_of_an_access_token(self) -> None:
        principal = verify_access_token(_token())

        assert principal.kind is PrincipalKind.USER
        assert principal.user_id == uuid.UUID(int=7)
        assert principal.scopes == frozenset()

    def test_names_the_service_and_scopes_of_a_service_token(self) -> None:
        token = _token(
            sub="service:shop",
            token_type="service",
            scope=["billing.read", "billing.events.read"],
        )

        principal = verify_access_token(token)

        assert principal.kind is PrincipalKind.SERVICE
        assert principal.subject == "shop"
        assert principal.user_id is None
        assert principal.has_scope("billing.events.read")
        assert not principal.has_scope("billing.payments.refund")

    def test_refuses_an_expired_token(self) -> None:
        expired = _token(
            iat=_at(-dt.timedelta(minutes=20)), exp=_at(-dt.timedelta(minutes=5))
        )

        with pytest.raises(InvalidToken, match="expired"):
            verify_access_token(expired)

    def test_refuses_a_token_without_expiry(self) -> None:
        with pytest.raises(InvalidToken, match="exp"):
            verify_access_token(_token(exp=None))

    def test_refuses_a_forged_signature(self) -> None:
        """A payload changed after signing (another user's id) no longer verifies."""
        header, _, signature = _token().split(".")
        forged = _segment(_claims(sub=str(uuid.UUID(int=8))))

        with pytest.raises(InvalidToken, match="no accepted key"):
            verify_access_token(f"{header}.{forged}.{signature}")

    def test_refuses_a_token_signed_with_another_key(self) -> None:
        with pytest.raises(InvalidToken, match="no accepted key"):
            verify_access_token(_token(UNKNOWN_KEY))

    def test_refuses_alg_none(self) -> None:
        unsigned = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(_claims())}."

        with pytest.raises(InvalidToken, match="'none' is not accepted"):
            verify_access_token(unsigned)

    # The key is short for HS512, and PyJWT says so; the algorithm is the point.
    @pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
    def test_refuses_another_algorithm_keyed_with_the_secret(self) -> None:
        token = jwt.encode(_claims(), CURRENT_KEY, algorithm="HS512")

        with pytest.raises(InvalidToken, match="'HS512' is not accepted"):
            verify_access_token(token)

    def test_refuses_a_refresh_token(self) -> None:
        with pytest.raises(InvalidToken, match="'refresh' token grants no access"):
            verify_access_token(_token(token_type="refresh"))

    def test_refuses_an_access_token_whose_subject_is_no_uuid(self) -> None:
        with pytest.raises(InvalidToken, match="no user id"):
            verify_access_token(_token(sub="service:shop"))

    def test_refuses_a_service_token_whose_subject_is_no_service(self) -> None:
        token = _token(token_type="service", scope=["billing.read"])

        with pytest.raises(InvalidToken, match="no service"):
            verify_access_token(token)

    def test_refuses_a_service_token_without_a_scope_list(self) -> None:
        token = _token(sub="service:shop", token_type="service", scope="billing.read")

        with pytest.raises(InvalidToken, match="scope"):
            verify_access_token(token)

    @pytest.mark.parametrize(
        "garbage", ["", "garbage", "a.b.c", "Bearer x.y.z", "\x00.\x00.\x00"]
    )
    def test_refuses_garbage(self, garbage: str) -> None:
        with pytest.raises(InvalidToken):
            verify_access_token(garbage)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


class TestVerifyAnything:
    @given(st.text(max_size=200))
    def test_refuses_any_text_with_the_one_error(self, text: str) -> None:
        with pytest.raises(InvalidToken):
            verify_access_token(text, keys=[CURRENT_KEY])

    @given(
        st.dictionaries(
            st.sampled_from(["sub", "token_type", "jti", "exp", "scope", "iat"]),
            _JSON,
        )
    )
    def test_a_signed_token_of_any_claims_verifies_or_is_refused(
        self, claims: dict[str, Any]
    ) -> None:
        """Well-signed nonsense is refused as InvalidToken, never another error."""
        token = encode_token(claims, key=CURRENT_KEY)

        with contextlib.suppress(InvalidToken):
            verify_access_token(token, keys=[CURRENT_KEY])


@pytest.mark.usefixtures("keys")
class TestKeyRotation:
    def test_accepts_a_token_signed_with_a_listed_retired_key(self) -> None:
        principal = verify_access_token(_token(RETIRED_KEY))

        assert principal.user_id == uuid.UUID(int=7)

    def test_refuses_a_retired_key_once_it_is_no_longer_listed(
        self, settings: Settings
    ) -> None:
        settings.JWT_VERIFYING_KEYS = []

        with pytest.raises(InvalidToken, match="no accepted key"):
            verify_access_token(_token(RETIRED_KEY))

    def test_always_accepts_the_signing_key(self, settings: Settings) -> None:
        settings.JWT_VERIFYING_KEYS = [RETIRED_KEY, UNKNOWN_KEY]

        assert verify_access_token(_token(CURRENT_KEY)).kind == "user"
