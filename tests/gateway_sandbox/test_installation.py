"""The sandbox is a development tool: only the non-production settings install it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench.services import sandbox_environment

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PACKAGES = [
    "accounts",
    "billing",
    "config",
    "grpc_api",
    "payments",
    "snacks",
    "subscriptions",
]
PRODUCTION_SECRETS = {
    "DJANGO_SECRET_KEY": "production-like-secret-for-this-test-only",
    "TOKEN_ENCRYPTION_KEYS": "tnjkp1OS8PC_a5Wm7QPDzVAAOqURhNjMrHdkRCsaY9M=",
    "JWT_SIGNING_KEY": "production-like-jwt-key-for-this-test-only",
}


def _manage(
    *args: str, settings_module: str = "", environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = environment or _environment(settings_module)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _environment(settings_module: str) -> dict[str, str]:
    return {
        **os.environ,
        **PRODUCTION_SECRETS,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": "",
    }


def _installed_apps(settings_module: str) -> list[str]:
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(*settings.INSTALLED_APPS)",
        settings_module=settings_module,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


class TestInstallation:
    def test_production_settings_do_not_install_the_sandbox(self) -> None:
        installed = _installed_apps("config.settings.production")

        assert "payments" in installed
        assert "gateway_sandbox" not in installed

    def test_production_settings_have_no_sandbox_command(self) -> None:
        result = _manage(
            "gateway_sandbox", "--help", settings_module="config.settings.production"
        )

        assert result.returncode != 0
        assert "Unknown command: 'gateway_sandbox'" in result.stderr

    def test_local_and_test_settings_install_the_sandbox(self) -> None:
        for settings_module in ("config.settings.local", "config.settings.test"):
            assert "gateway_sandbox" in _installed_apps(settings_module)

    def test_local_settings_run_the_command_with_its_options(self) -> None:
        result = _manage(
            "gateway_sandbox", "--help", settings_module="config.settings.local"
        )

        assert result.returncode == 0, result.stderr
        for option in ("--port", "--notify-url", "--state-file", "--latency-ms"):
            assert option in result.stdout

    def test_benchmarks_run_the_sandbox_beside_a_production_service(self) -> None:
        """The benchmarks configure the service for production and the sandbox not."""
        service = _environment("config.settings.production")

        result = _manage(
            "gateway_sandbox", "--help", environment=sandbox_environment(service)
        )

        assert result.returncode == 0, result.stderr

    def test_only_the_sandbox_imports_its_dependency_group(self) -> None:
        """The production image does not install aiohttp (the `sandbox` group)."""
        importers = [
            str(path.relative_to(ROOT))
            for package in SERVICE_PACKAGES
            for path in (ROOT / package).rglob("*.py")
            if re.search(r"^\s*(import|from) aiohttp\b", path.read_text(), re.M)
        ]

        assert importers == []
