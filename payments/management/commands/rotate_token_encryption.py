"""`python manage.py rotate_token_encryption`: re-encrypt secrets under the newest key.

Run it after putting a new key first in TOKEN_ENCRYPTION_KEYS; once it has finished,
the old keys can be removed from the setting.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from payments.models import Payment, PaymentMethod

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt saved card tokens and pending cryptograms under the newest key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH)

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch_size"]
        tokens = self._rotate(PaymentMethod, "token", batch)
        cryptograms = self._rotate(Payment, "cryptogram", batch)
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-encrypted {tokens} card tokens and {cryptograms} cryptograms "
                "under the newest key."
            )
        )

    def _rotate(
        self, model: type[PaymentMethod] | type[Payment], column: str, batch: int
    ) -> int:
        """Read each secret (any configured key opens it) and write it back.

        Writing always encrypts under the newest key, so one pass retires old keys.
        """
        done = 0
        rows = model.objects.filter(**{f"{column}__isnull": False}).order_by("pk")
        for row in rows.iterator(chunk_size=batch):
            model.objects.filter(pk=row.pk).update(**{column: getattr(row, column)})
            done += 1
            if done % batch == 0:
                self.stdout.write(f"  {model.__name__}.{column}: {done} re-encrypted…")
        return done
