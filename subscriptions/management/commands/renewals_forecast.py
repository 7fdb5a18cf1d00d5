"""`python manage.py renewals_forecast [--date YYYY-MM-DD]`: a dry run of a day's
renewals, changing nothing: who will be charged and how much per currency, whose
card expires before the charge, who is in dunning, and what ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.clock import billing_now
from subscriptions.services import ForecastAction, RenewalForecast, forecast_renewals


class Command(BaseCommand):
    help = "Show what the renewal runs of a day will do, changing nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="The day (YYYY-MM-DD, UTC); today when not given.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = billing_now()
        day = _day(options["date"]) if options["date"] else now.date()
        forecast = forecast_renewals(day=day, now=now)
        self._print_lines(forecast)
        self._print_summary(forecast)

    def _print_lines(self, forecast: RenewalForecast) -> None:
        self.stdout.write(f"Renewals of {forecast.day} (UTC), as of now:")
        if not forecast.lines:
            self.stdout.write("  nothing falls due.")
        for line in forecast.lines:
            flags = [
                *(["in dunning"] if line.in_dunning else []),
                *(["card expires first"] if line.card_expires_first else []),
            ]
            amount = "" if line.amount is None else str(line.amount)
            self.stdout.write(
                f"  {line.due_at:%H:%M}  {line.subscription_id}  payer {line.payer_id}"
                f"  {line.gateway:<13} {line.plan:<16} {line.action.value:<10}"
                f" {amount:>16}  {line.card}"
                + (f"  ({', '.join(flags)})" if flags else "")
            )

    def _print_summary(self, forecast: RenewalForecast) -> None:
        counts = forecast.counts()
        summary = ", ".join(
            f"{counts[action]} {action.value}"
            for action in ForecastAction
            if counts[action]
        )
        self.stdout.write(f"In all: {summary or 'nothing'}.")
        for (gateway, currency), total in sorted(forecast.totals().items()):
            self.stdout.write(f"  to charge on {gateway} in {currency}: {total}")
        expiring = sum(line.card_expires_first for line in forecast.lines)
        dunning = sum(line.in_dunning for line in forecast.lines)
        self.stdout.write(
            f"Cards expiring before their charge: {expiring}; in dunning: {dunning}."
        )


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--date wants YYYY-MM-DD, not {text!r}.") from exc
