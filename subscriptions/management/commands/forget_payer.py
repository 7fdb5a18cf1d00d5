"""`python manage.py forget_payer <uuid> --reason "…"`: forget a payer at their
request (privacy): cancel their subscriptions, revoke their cards at the gateways,
drop tokens and cryptograms, and keep the books. Safe to run again; a run that a
gateway outage stopped is finished by running it again."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.clock import billing_now
from billing.errors import DomainError
from subscriptions.services import ForgottenPayer, forget_payer

ACTOR = "system:forget_payer"


class Command(BaseCommand):
    help = (
        "Forget a payer at their request: cancel, revoke cards, drop tokens and "
        "cryptograms; invoices, payments and the ledger are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("payer_id", help="The payer's UUID.")
        parser.add_argument(
            "--reason",
            required=True,
            help="Why (a ticket reference, say); kept in the audit trail.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            payer_id = uuid.UUID(options["payer_id"])
        except ValueError:
            raise CommandError(f"{options['payer_id']!r} is not a UUID.") from None
        reason = options["reason"].strip()
        if not reason:
            raise CommandError("--reason must say why.")
        try:
            forgotten = forget_payer(
                payer_id=payer_id, now=billing_now(), actor=ACTOR, reason=reason
            )
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        self._report(forgotten)

    def _report(self, forgotten: ForgottenPayer) -> None:
        when = f"{forgotten.forgotten_at:%Y-%m-%d %H:%M:%S} UTC"
        if forgotten.newly_forgotten:
            self.stdout.write(f"Payer {forgotten.payer_id} forgotten at {when}.")
        else:
            self.stdout.write(
                f"Payer {forgotten.payer_id} was forgotten already, at {when}."
            )
        self.stdout.write(
            f"  subscriptions canceled: {forgotten.subscriptions_canceled}\n"
            f"  cards revoked: {forgotten.cards_retired}\n"
            f"  tokens dropped after the gateway revoked them: "
            f"{forgotten.tokens_dropped}\n"
            "  invoices, payments, refunds and ledger entries are kept."
        )
