"""`gateway_sandbox` never runs where it could touch production: not under production
settings, and not with any credential but its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from config.env import DEVELOPMENT_DEFAULTS
from gateway_sandbox.credentials import SANDBOX_CREDENTIALS
from tests.config.production_environment import ROOT, production_environment

# Shaped like real credentials; none is one.
FOREIGN_CREDENTIALS = [
    ("CLOUDPAYMENTS_PUBLIC_ID", "pk_0123456789abcdef0123456789abc"),
    ("CLOUDPAYMENTS_API_SECRET", "production-api-secret-of-a-terminal"),
    ("STRIPE_SECRET_KEY", "sk_test_another-account-test-key"),
    ("STRIPE_PUBLISHABLE_KEY", "pk_test_another-account-test-key"),
    ("STRIPE_WEBHOOK_SECRET", "whsec_production-endpoint-secret"),
    ("SHOP_SHIPPING_API_KEY", "a-shipping-partners-production-key"),
]
LIVE_STRIPE_KEYS = [
    ("STRIPE_SECRET_KEY", "sk_live_not-a-real-live-key"),
    ("STRIPE_SECRET_KEY", "rk_live_not-a-real-restricted-key"),
    ("STRIPE_PUBLISHABLE_KEY", "pk_live_not-a-real-publishable-key"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_sandbox(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the command as `make sandbox` does; a sandbox that starts is a failure
    of the test (it would serve until the timeout)."""
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "gateway_sandbox",
            "--port",
            str(_free_port()),
            "--notify-url",
            "",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestProductionSettings:
    def test_refuses_production_settings_that_install_it(self, tmp_path: Path) -> None:
        """Even a settings module built on production's that adds the app is
        refused, before the sandbox listens."""
        (tmp_path / "production_with_sandbox.py").write_text(
            "from config.settings.production import *  # noqa: F403\n"
            'INSTALLED_APPS = [*INSTALLED_APPS, "gateway_sandbox"]  # noqa: F405\n'
        )
        environment = production_environment(
            tmp_path,
            DJANGO_SETTINGS_MODULE="production_with_sandbox",
            PYTHONPATH=str(tmp_path),
        )

        result = _start_sandbox(environment)

        assert result.returncode == 1, result.stdout + result.stderr
        assert "does not run under production settings" in result.stderr
        assert "Gateway sandbox on" not in result.stdout


class TestCredentials:
    @pytest.mark.parametrize(("name", "value"), FOREIGN_CREDENTIALS + LIVE_STRIPE_KEYS)
    def test_refuses_a_credential_that_is_not_its_own(
        self, settings: Settings, name: str, value: str
    ) -> None:
        """Refused before the sandbox listens (it would serve until the timeout)."""
        setattr(settings, name, value)

        with pytest.raises(CommandError, match=f"{name} is") as refusal:
            call_command("gateway_sandbox", "--port", "0", "--notify-url", "")

        assert value not in str(refusal.value)

    @pytest.mark.parametrize(("name", "value"), LIVE_STRIPE_KEYS)
    def test_says_when_a_stripe_key_is_live(
        self, settings: Settings, name: str, value: str
    ) -> None:
        setattr(settings, name, value)

        with pytest.raises(CommandError, match=f"{name} is a live Stripe key"):
            call_command("gateway_sandbox", "--port", "0", "--notify-url", "")

    def test_names_every_foreign_credential_at_once(self, settings: Settings) -> None:
        for name, value in FOREIGN_CREDENTIALS:
            setattr(settings, name, value)

        with pytest.raises(CommandError) as refusal:
            call_command("gateway_sandbox", "--port", "0", "--notify-url", "")

        assert [
            name for name, _ in FOREIGN_CREDENTIALS if name in str(refusal.value)
        ] == [name for name, _ in FOREIGN_CREDENTIALS]

    def test_refuses_a_live_key_from_the_environment(self, tmp_path: Path) -> None:
        """The whole way: the variable, the settings, the command's exit status."""
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "VAR_DIR": str(tmp_path),
            "DATABASE_URL": "",
            "STRIPE_SECRET_KEY": "sk_live_not-a-real-live-key",
        }

        result = _start_sandbox(environment)

        assert result.returncode == 1, result.stdout + result.stderr
        assert "STRIPE_SECRET_KEY is a live Stripe key" in result.stderr
        assert "sk_live_not-a-real-live-key" not in result.stdout + result.stderr
        assert "Gateway sandbox on" not in result.stdout

    def test_its_own_credentials_are_the_services_development_defaults(
        self,
    ) -> None:
        """So `make run` starts both with nothing set, and production, which refuses
        the development defaults, can never share a credential with it."""
        assert {name: DEVELOPMENT_DEFAULTS[name] for name in SANDBOX_CREDENTIALS} == (
            dict(SANDBOX_CREDENTIALS)
        )
