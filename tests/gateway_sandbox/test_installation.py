"""The sandbox is a development tool: only the non-production settings install it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from bench.services import BENCHMARK_SETTINGS, sandbox_environment
from tests.config.production_environment import (
    PRODUCTION_SETTINGS,
    production_environment,
    run_manage,
)

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


def _manage(
    *args: str, settings_module: str = "", environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_manage(*args, environment=environment or _environment(settings_module))


def _environment(settings_module: str) -> dict[str, str]:
    if settings_module == PRODUCTION_SETTINGS:
        return production_environment(ROOT / "var")
    return {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "DATABASE_URL": ""}


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
        installed = _installed_apps(PRODUCTION_SETTINGS)

        assert "payments" in installed
        assert "gateway_sandbox" not in installed

    def test_production_settings_have_no_sandbox_command(self) -> None:
        result = _manage(
            "gateway_sandbox", "--help", settings_module=PRODUCTION_SETTINGS
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
        for option in (
            "--port",
            "--notify-url",
            "--state-file",
            "--latency-ms",
            "--shipping-failure-rate",
        ):
            assert option in result.stdout

    def test_benchmarks_run_the_sandbox_beside_a_production_like_service(
        self,
    ) -> None:
        """The benchmarks configure the service as deployed and the sandbox not."""
        service = _environment(BENCHMARK_SETTINGS)

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
