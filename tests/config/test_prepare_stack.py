"""`prepare_stack`: what `make stack` does before its processes start (the whole of
it runs in tests/config/test_stack.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings

from config.management.commands import prepare_stack
from kit.tokens import PrincipalKind, verify_access_token


class TestPrepareStack:
    def test_refuses_any_settings_but_the_stacks(self, tmp_path: Path) -> None:
        """It creates databases and issues tokens: never for a deployment."""
        tokens = tmp_path / "tokens.env"

        with pytest.raises(CommandError, match=r"only under config\.settings\.stack"):
            call_command("prepare_stack", tokens_file=tokens)

        assert not tokens.exists()


class TestWriteTokens:
    def test_issues_only_the_tokens_the_environment_lacks(
        self, tmp_path: Path, settings: Settings
    ) -> None:
        """honcho's env file wins over the environment: a token given there stays."""
        settings.AUTH_GRPC_TOKEN = "given-by-the-environment"
        settings.SHOP_BILLING_TOKEN = ""
        tokens = tmp_path / "var" / "tokens.env"

        prepare_stack._write_tokens(tokens)

        name, _, token = tokens.read_text().strip().partition("=")
        principal = verify_access_token(token)
        assert name == "SHOP_BILLING_TOKEN"
        assert principal.kind is PrincipalKind.SERVICE
        assert principal.scopes == {"billing.payments.write", "billing.events.read"}
        assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
