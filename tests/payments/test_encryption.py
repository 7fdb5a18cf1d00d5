"""Tokens and cryptograms are encrypted at rest, and keys rotate."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from pytest_django.fixtures import Settings

from billing.services import ensure_payer
from payments.encryption import UndecryptableValue, decrypt, encrypt, reset_keyring
from payments.management.commands.rotate_token_encryption import encrypted_columns
from payments.models import CardSetup, Payment, PaymentMethod
from tests.payments.factories import set_up_card

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _fresh_keyring() -> object:
    reset_keyring()
    yield
    reset_keyring()


def _raw_token(method_id: uuid.UUID) -> str:
    table = connection.ops.quote_name(PaymentMethod._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT token FROM {table} WHERE id = %s",  # noqa: S608 - our own table name
            [method_id.hex if connection.vendor == "sqlite" else method_id],
        )
        return str(cursor.fetchone()[0])


def _saved_method(token: str) -> PaymentMethod:
    return PaymentMethod.objects.create(
        payer=ensure_payer(payer_id=uuid.uuid4()),
        gateway="cloudpayments",
        token=token,
        token_digest=PaymentMethod.digest("cloudpayments", token),
        last4="4242",
        created_at=NOW,
        updated_at=NOW,
    )


class TestEncryptedColumns:
    def test_the_database_holds_only_ciphertext(self) -> None:
        method = _saved_method("tk_secret_token_value")

        raw = _raw_token(method.id)

        assert "tk_secret_token_value" not in raw
        assert raw.startswith("fernet:")
        assert PaymentMethod.objects.get(id=method.id).token == "tk_secret_token_value"

    def test_a_value_from_elsewhere_is_refused(self) -> None:
        with pytest.raises(UndecryptableValue):
            decrypt("tk_plain")

    def test_a_value_under_an_unknown_key_is_refused(self, settings: Settings) -> None:
        stored = encrypt("tk_1")
        settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
        reset_keyring()

        with pytest.raises(UndecryptableValue):
            decrypt(stored)


class TestKeyRotation:
    def test_the_command_moves_every_token_to_the_newest_key(
        self, settings: Settings
    ) -> None:
        old_key = Fernet.generate_key().decode()
        new_key = Fernet.generate_key().decode()
        settings.TOKEN_ENCRYPTION_KEYS = [old_key]
        reset_keyring()
        method = _saved_method("tk_rotate_me")
        settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
        reset_keyring()
        out = io.StringIO()

        call_command("rotate_token_encryption", stdout=out)

        settings.TOKEN_ENCRYPTION_KEYS = [new_key]
        reset_keyring()
        assert PaymentMethod.objects.get(id=method.id).token == "tk_rotate_me"
        assert "PaymentMethod.token 1" in out.getvalue()

    def test_the_command_finds_every_encrypted_column(self) -> None:
        """Columns are found by their field class: a new one cannot be forgotten."""
        found = {(model, column) for model, column in encrypted_columns()}

        assert found >= {
            (PaymentMethod, "token"),
            (Payment, "cryptogram"),
            (CardSetup, "cryptogram"),
        }

    def test_a_card_setup_cryptogram_moves_to_the_newest_key(
        self, settings: Settings
    ) -> None:
        """A card check awaiting its gateway call keeps a cryptogram too."""
        old_key = Fernet.generate_key().decode()
        new_key = Fernet.generate_key().decode()
        settings.TOKEN_ENCRYPTION_KEYS = [old_key]
        reset_keyring()
        setup = set_up_card()
        CardSetup.objects.filter(pk=setup.pk).update(cryptogram="cg_setup_secret")
        settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]
        reset_keyring()

        call_command("rotate_token_encryption", stdout=io.StringIO())

        settings.TOKEN_ENCRYPTION_KEYS = [new_key]
        reset_keyring()
        assert CardSetup.objects.get(pk=setup.pk).cryptogram == "cg_setup_secret"
