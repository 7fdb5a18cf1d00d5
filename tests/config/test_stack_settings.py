"""`make stack`'s settings: production's processes with the sandbox as both
gateways."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.config.production_environment import ROOT

SHOW = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.BILLING_TEST_CLOCK_ENABLED, s.IS_PRODUCTION, "
    "s.CHECKOUT_SANDBOX_PAYLOADS, 'gateway_sandbox' in s.INSTALLED_APPS)"
)


def _stack_settings(tmp_path: Path, **changes: str) -> subprocess.CompletedProcess[str]:
    """The stack's settings loaded alone, in a process of their own."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.stack",
        "VAR_DIR": str(tmp_path),
        **changes,
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestStackSettings:
    def test_run_as_deployed_and_take_the_sandboxs_cryptograms(
        self, tmp_path: Path
    ) -> None:
        """No debug, no test clock, no sandbox app; not production either, which
        the sandbox beside them refuses."""
        result = _stack_settings(tmp_path)

        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["False", "False", "False", "True", "False"]

    def test_refuse_a_gateway_off_loopback(self, tmp_path: Path) -> None:
        result = _stack_settings(tmp_path, STRIPE_API_BASE="https://api.stripe.com")

        assert result.returncode != 0
        assert "STRIPE_API_BASE must point at a sandbox on loopback" in result.stderr
