"""Encryption at rest for gateway tokens and card cryptograms.

Keys come from `settings.TOKEN_ENCRYPTION_KEYS`, newest first. New values are always
encrypted with the newest key; every key still decrypts, so a key is retired only after
`rotate_token_encryption` has re-encrypted every row under the newest one.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Fernet tokens carry their own prefix and version byte; this one marks our columns so
# that a clear-text value can never be mistaken for a ciphertext.
_PREFIX = "fernet:"


class UndecryptableValue(Exception):
    """A stored value cannot be decrypted with any configured key."""


@functools.cache
def _keyring() -> MultiFernet:
    keys = [key.strip() for key in settings.TOKEN_ENCRYPTION_KEYS if key.strip()]
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS names no key")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS holds a value that is not a Fernet key"
        ) from exc


def reset_keyring() -> None:
    """Forget the cached keys (tests that change the setting call it)."""
    _keyring.cache_clear()


def encrypt(plaintext: str) -> str:
    return _PREFIX + _keyring().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    """:raises UndecryptableValue: when no configured key opens the value."""
    if not stored.startswith(_PREFIX):
        raise UndecryptableValue("the value is not one of ours")
    try:
        return _keyring().decrypt(stored.removeprefix(_PREFIX).encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableValue("no configured key opens the value") from exc


class EncryptedTextField(models.TextField):
    """A text column whose value is stored encrypted and read back in clear.

    Not searchable (each encryption is randomised); look rows up by other columns.
    """

    description = "Text encrypted at rest"

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        return None if value is None else encrypt(str(value))
