"""The entry points fall back to local settings only in a development checkout.

`manage.py`, `config/wsgi.py`, `config/asgi.py` and the Celery app choose
`config.settings.local` when DJANGO_SETTINGS_MODULE is missing only where the
repository's `.git` sits beside `manage.py`; a copy without it (the Docker image)
refuses to guess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRY_MODULES = ["config.wsgi", "config.asgi", "config.celery"]
REFUSAL = "DJANGO_SETTINGS_MODULE is not set"


def _copy_of_the_code(folder: Path) -> Path:
    """`manage.py`, `pyproject.toml` (the release's version) and `config/` without
    `.git`, as the Docker image has them.

    The other packages are found in the checkout (PYTHONPATH), after the copy.
    """
    shutil.copy(ROOT / "manage.py", folder / "manage.py")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    shutil.copytree(
        ROOT / "config", folder / "config", ignore=shutil.ignore_patterns("__pycache__")
    )
    return folder


def _environment(var_dir: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": "",
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return environment


def _run(
    argv: list[str], *, folder: Path, environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRINT_SETTINGS = ("from django.conf import settings; print(settings.SETTINGS_MODULE)",)


class TestInACheckout:
    def test_manage_py_falls_back_to_local_settings(self, tmp_path: Path) -> None:
        result = _run(
            ["manage.py", "shell", "-c", *PRINT_SETTINGS],
            folder=ROOT,
            environment=_environment(tmp_path),
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == "config.settings.local"

    def test_a_linked_worktree_counts_as_a_checkout(self, tmp_path: Path) -> None:
        """There `.git` is a file naming the repository, not a folder."""
        copy = _copy_of_the_code(tmp_path)
        (copy / ".git").write_text("gitdir: /elsewhere/.git/worktrees/copy\n")

        result = _run(
            ["-c", "import config.wsgi; " + PRINT_SETTINGS[0]],
            folder=copy,
            environment=_environment(tmp_path / "var"),
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "config.settings.local"


class TestOutsideACheckout:
    def test_manage_py_refuses_without_a_traceback(self, tmp_path: Path) -> None:
        copy = _copy_of_the_code(tmp_path)

        result = _run(
            ["manage.py", "check"],
            folder=copy,
            environment=_environment(tmp_path / "var"),
        )

        assert result.returncode == 1
        assert REFUSAL in result.stderr
        assert "Traceback" not in result.stderr

    @pytest.mark.parametrize("module", ENTRY_MODULES)
    def test_the_server_and_celery_entry_points_refuse(
        self, tmp_path: Path, module: str
    ) -> None:
        copy = _copy_of_the_code(tmp_path)

        result = _run(
            ["-c", f"import {module}"],
            folder=copy,
            environment=_environment(tmp_path / "var"),
        )

        assert result.returncode == 1
        assert f"ImproperlyConfigured: {REFUSAL}" in result.stderr

    @pytest.mark.parametrize("module", ENTRY_MODULES)
    def test_the_named_settings_are_used(self, tmp_path: Path, module: str) -> None:
        copy = _copy_of_the_code(tmp_path)
        environment = {
            **_environment(tmp_path / "var"),
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
        }

        result = _run(
            ["-c", f"import {module}; " + PRINT_SETTINGS[0]],
            folder=copy,
            environment=environment,
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "config.settings.test"
