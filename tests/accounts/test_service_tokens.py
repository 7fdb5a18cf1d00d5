"""Service tokens from `python manage.py issue_service_token`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import jwt
import pytest
from django.core.management import CommandError, call_command

from kit.tokens import PrincipalKind, verify_access_token


def _issue(*arguments: str) -> str:
    out = StringIO()
    call_command("issue_service_token", *arguments, stdout=out)
    return out.getvalue().strip()


class TestIssueServiceToken:
    def test_prints_a_token_that_verifies_with_its_scopes(self) -> None:
        token = _issue(
            "--name",
            "shop",
            "--scope",
            "billing.payments.write",
            "--scope",
            "billing.events.read",
        )

        principal = verify_access_token(token)

        assert principal.kind is PrincipalKind.SERVICE
        assert principal.subject == "shop"
        assert principal.scopes == {"billing.payments.write", "billing.events.read"}

    def test_names_the_service_and_lasts_a_year_by_default(self) -> None:
        claims = jwt.decode(
            _issue("--name", "shop", "--scope", "billing.read"),
            options={"verify_signature": False},
        )

        assert claims["sub"] == "service:shop"
        assert claims["token_type"] == "service"
        assert claims["exp"] - claims["iat"] == int(
            dt.timedelta(days=365).total_seconds()
        )
        assert claims["jti"]

    def test_lasts_the_given_days(self) -> None:
        claims = jwt.decode(
            _issue("--name", "shop", "--scope", "billing.read", "--days", "30"),
            options={"verify_signature": False},
        )

        assert claims["exp"] - claims["iat"] == 30 * 24 * 3600

    def test_gives_each_token_its_own_id(self) -> None:
        """A leaked token can be told apart from its siblings in logs."""
        first, second = (
            jwt.decode(
                _issue("--name", "shop", "--scope", "billing.read"),
                options={"verify_signature": False},
            )["jti"]
            for _ in range(2)
        )

        assert first != second

    def test_refuses_an_unknown_scope(self) -> None:
        with pytest.raises(CommandError, match=r"unknown scope billing\.everything"):
            _issue("--name", "shop", "--scope", "billing.everything")

    @pytest.mark.parametrize("name", ["", "Shop", "shop service", "service:shop"])
    def test_refuses_a_name_that_is_not_a_plain_name(self, name: str) -> None:
        with pytest.raises(CommandError, match="is not a service name"):
            _issue("--name", name, "--scope", "billing.read")

    def test_refuses_a_lifetime_under_a_day(self) -> None:
        with pytest.raises(CommandError, match="at least one day"):
            _issue("--name", "shop", "--scope", "billing.read", "--days", "0")
