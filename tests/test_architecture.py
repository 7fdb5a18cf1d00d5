"""The dependency rule of the layout (SPEC §2), as import-linter contracts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import-linter's command configures logging with `disable_existing_loggers`,
# which would silence every logger of the tests that run after it: it runs in a
# process of its own.
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


class TestImportRule:
    def test_every_import_linter_contract_is_kept(self) -> None:
        """grpc_api → subscriptions → payments → billing; the shop imports none."""
        linted = subprocess.run(
            [str(LINT_IMPORTS), "--no-cache"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

        assert linted.returncode == 0, linted.stdout + linted.stderr
        assert "0 broken" in linted.stdout
