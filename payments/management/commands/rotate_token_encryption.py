"""`python manage.py rotate_token_encryption`: re-encrypt secrets under the newest key.

Run it after putting a new key first in TOKEN_ENCRYPTION_KEYS; once it has finished,
the old keys can be removed from the setting. It finds every encrypted column by its
field class, so a model that gains one is rotated with no change here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import models

from payments.encryption import EncryptedTextField

BATCH = 500


def encrypted_columns() -> Iterator[tuple[type[models.Model], str]]:
    """Every concrete model and column stored through `EncryptedTextField`."""
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field.attname


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column (card tokens, cryptograms) under the "
    "newest key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch_size"]
        counts = {
            f"{model.__name__}.{column}": self._rotate(model, column, batch)
            for model, column in encrypted_columns()
        }
        summary = ", ".join(f"{name} {done}" for name, done in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {sum(counts.values())} values under the newest key "
                f"({summary})."
            )
        )

    def _rotate(self, model: type[models.Model], column: str, batch: int) -> int:
        """Read each secret (any configured key opens it) and write it back.

        Writing always encrypts under the newest key, so one pass retires old keys.
        """
        done = 0
        manager = model._default_manager
        rows = (
            manager.filter(**{f"{column}__isnull": False})
            .only("pk", column)
            .order_by("pk")
        )
        for row in rows.iterator(chunk_size=batch):
            manager.filter(pk=row.pk).update(**{column: getattr(row, column)})
            done += 1
            if done % batch == 0:
                self.stdout.write(f"  {model.__name__}.{column}: {done} re-encrypted…")
        return done
