"""`python manage.py rebuild_reaction_sets`: reload Redis's reaction sets from the
database, after persisting what is pending (the toggle path does it by itself when
the sets are missing)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from snacks.errors import ReactionsUnavailable
from snacks.services import rebuild_reaction_sets


class Command(BaseCommand):
    help = "Rebuild the Redis reaction sets of the snack shop from the database."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = rebuild_reaction_sets(now=timezone.now())
        except ReactionsUnavailable as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Loaded {loaded} reactions into Redis.")
