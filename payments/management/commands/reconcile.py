"""`python manage.py reconcile [--gateway G] [--date YYYY-MM-DD]`: reconcile a day.

The day defaults to yesterday (UTC) and the gateway to every configured one; a day
reconciled before is checked again without recording anything twice, and one that
stopped part-way is resumed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.clock import billing_now
from billing.money import Money
from payments.models import ReconciliationRun, ReconciliationStatus
from payments.services import ReconciliationInProgress, gateway_money, reconcile

# Print a progress line every this many operations.
PROGRESS_EVERY = 10_000


class Command(BaseCommand):
    help = "Reconcile a day of a gateway's operations against ours."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--gateway",
            choices=sorted(settings.PAYMENT_GATEWAYS),
            help="One gateway; every configured one when not given.",
        )
        parser.add_argument(
            "--date", help="The day (YYYY-MM-DD, UTC); yesterday when not given."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = billing_now()
        day = _day(options["date"]) if options["date"] else now.date() - dt.timedelta(1)
        if day > now.date():
            raise CommandError(f"{day} has not begun yet: nothing to reconcile.")
        gateways = [options["gateway"]] if options["gateway"] else _real_gateways()
        failed = False
        for gateway in gateways:
            self.stdout.write(f"Reconciling {gateway} on {day} (UTC)…")
            try:
                run = reconcile(
                    gateway=gateway,
                    day=day,
                    actor="system:command",
                    now=now,
                    progress=_Progress(self.stdout.write),
                )
            except ReconciliationInProgress as error:
                raise CommandError(error.message) from None
            self._print_report(run)
            failed |= run.status == ReconciliationStatus.FAILED
        if failed:
            raise CommandError("The gateway failed; run again to resume.")

    def _print_report(self, run: ReconciliationRun) -> None:
        report = run.report
        self.stdout.write(
            f"  {run.get_status_display()}: {run.operations} operations read, "
            f"{run.settled} of our unknown payments settled (pass {run.passes})."
        )
        if run.error:
            self.stdout.write(f"  the gateway failed: {run.error}")
        found = report.get("found", {})
        if not found:
            self.stdout.write("  no discrepancies.")
        for kind, count in sorted(found.items()):
            amounts = report.get("amounts", {}).get(kind, {})
            money = ", ".join(
                Money(minor, currency).format()
                for currency, minor in sorted(amounts.items())
            )
            self.stdout.write(f"  {kind}: {count} ({money})")
        self.stdout.write(f"  new discrepancies recorded: {report.get('new', 0)}")
        for what in ("captured", "refunded", "fees"):
            totals = ", ".join(str(m) for m in gateway_money(run, what))
            self.stdout.write(f"  the gateway {what}: {totals or 'nothing'}")


class _Progress:
    def __init__(self, write: Any) -> None:
        self._write = write
        self._done = 0

    def __call__(self, operations: int) -> None:
        before, self._done = self._done, self._done + operations
        if before // PROGRESS_EVERY != self._done // PROGRESS_EVERY:
            self._write(f"  … {self._done} operations")


def _real_gateways() -> list[str]:
    return [code for code in sorted(settings.PAYMENT_GATEWAYS) if code != "fake"]


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {text!r}.") from None
