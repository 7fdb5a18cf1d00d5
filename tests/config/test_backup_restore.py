"""A backup of the database restored into another one, as docs/operations.md ("Backup
and restore") has it: `pg_dump -Fc`, `createdb`, `pg_restore --no-owner`, then
`check_ledger` on the restored copy, and a saved card's token read back.

On PostgreSQL, with the PostgreSQL client tools beside the server; the restored
database has a name of its own and is dropped afterwards.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from payments.models import PaymentMethod
from subscriptions.services import renew_due_subscriptions
from tests.config.compose_file import ROOT
from tests.subscriptions.factories import make_plan, subscribe_with_card

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _client_environment(database: str) -> dict[str, str]:
    """libpq's variables for the test server, naming `database`."""
    server = connection.settings_dict
    found = {
        "PGHOST": server["HOST"],
        "PGPORT": str(server["PORT"] or ""),
        "PGUSER": server["USER"],
        "PGPASSWORD": server["PASSWORD"],
        "PGDATABASE": database,
    }
    return {**os.environ, **{name: value for name, value in found.items() if value}}


def _attempt(
    argv: list[str], *, database: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        env={**_client_environment(database), **variables},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def _run(argv: list[str], *, database: str) -> str:
    done = _attempt(argv, database=database)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _manage_py(
    database: str, *arguments: str, **variables: str
) -> subprocess.CompletedProcess[str]:
    """`manage.py` against `database`, in a process of its own."""
    server = connection.settings_dict
    url = (
        f"postgres://{server['USER']}:{server['PASSWORD']}@"
        f"{server['HOST'] or '127.0.0.1'}:{server['PORT'] or 5432}/{database}"
    )
    return _attempt(
        [sys.executable, "manage.py", *arguments],
        database=database,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.test",
        **variables,
    )


@pytest.fixture
def card() -> PaymentMethod:
    """Books with a subscription paid at the start and renewed once; its saved card."""
    started = subscribe_with_card(make_plan(), with_trial=False)
    subscription = started.subscription
    renew_due_subscriptions(
        gateway="fake", clock=lambda: subscription.current_period_ends_at
    )
    assert subscription.payment_method_id is not None
    return PaymentMethod.objects.get(id=subscription.payment_method_id)


@pytest.fixture
def restored_database(card: PaymentMethod, tmp_path: Path) -> Iterator[str]:
    """The test database, books written, dumped and restored into a new one; its
    name."""
    source = connection.settings_dict["NAME"]
    restored = f"billing_restore_{uuid.uuid4().hex[:12]}"
    dump = tmp_path / "billing.dump"
    _run(["pg_dump", "-Fc", "-f", str(dump)], database=source)
    _run(["createdb", restored], database="postgres")
    try:
        _run(["pg_restore", "--no-owner", "-d", restored, str(dump)], database=source)
        yield restored
    finally:
        _run(["dropdb", "--if-exists", restored], database="postgres")


def _check_ledger_here() -> str:
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue()


def _read_token(card: PaymentMethod) -> str:
    return (
        "from payments.models import PaymentMethod; "
        f"print(PaymentMethod.objects.get(id='{card.id}').token)"
    )


class TestBackupAndRestore:
    def test_the_restored_books_prove_as_the_original(
        self, restored_database: str
    ) -> None:
        original = _check_ledger_here()

        restored = _manage_py(restored_database, "check_ledger")

        assert restored.returncode == 0, restored.stderr
        assert "The books balance." in restored.stdout
        assert "The ledger is empty." not in restored.stdout
        assert restored.stdout == original

    def test_a_saved_card_reads_back_with_the_same_keys_only(
        self, card: PaymentMethod, restored_database: str
    ) -> None:
        """Without TOKEN_ENCRYPTION_KEYS a restored database's tokens are lost."""
        with_keys = _manage_py(
            restored_database, "shell", "--no-imports", "-c", _read_token(card)
        )
        other_key = Fernet.generate_key().decode()
        without = _manage_py(
            restored_database,
            "shell",
            "--no-imports",
            "-c",
            _read_token(card),
            TOKEN_ENCRYPTION_KEYS=other_key,
        )

        assert card.token
        assert with_keys.stdout.strip() == card.token
        assert without.returncode != 0
        assert "UndecryptableValue" in without.stderr
