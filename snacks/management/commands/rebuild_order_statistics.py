"""`python manage.py rebuild_order_statistics`: count every order into the daily
totals the statistics read again, from nothing. Run it after changing `TIME_ZONE`
(a day is the shop's time zone's) or if the totals were changed by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from snacks.services import recount_order_statistics


class Command(BaseCommand):
    help = "Count every order of the snack shop into the statistics' daily totals."

    def handle(self, *args: Any, **options: Any) -> None:
        zone = timezone.get_default_timezone_name()
        self.stdout.write(f"Counting every order by its day in {zone}...")
        totals, sales = recount_order_statistics()
        self.stdout.write(
            f"Wrote {totals} daily order totals and {sales} daily snack sales."
        )
