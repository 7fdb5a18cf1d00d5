"""The dependency rule of the layout (SPEC §2), as import-linter contracts."""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]


class TestImportRule:
    def test_every_import_linter_contract_is_kept(
        self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """grpc_api → subscriptions → payments → billing; the shop imports none."""
        monkeypatch.chdir(ROOT)

        exit_code = lint_imports(no_cache=True, no_logo=True)

        report = capsys.readouterr().out
        assert exit_code == 0, report
        assert "0 broken" in report
