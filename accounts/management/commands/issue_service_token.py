"""`python manage.py issue_service_token --name shop --scope billing.read …`"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.service_tokens import (
    DEFAULT_LIFETIME_DAYS,
    ServiceTokenRefused,
    issue_service_token,
)
from kit.tokens import SERVICE_SCOPES


class Command(BaseCommand):
    help = (
        "Print a signed token for another service to call billing with, "
        "granting the given scopes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--name", required=True, help="The service, e.g. shop (sub service:shop)."
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            required=True,
            metavar="SCOPE",
            help=f"Repeat for each scope; one of {', '.join(sorted(SERVICE_SCOPES))}.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_LIFETIME_DAYS,
            help=f"How long the token lasts (default {DEFAULT_LIFETIME_DAYS}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token = issue_service_token(
                name=options["name"],
                scopes=options["scopes"],
                days=options["days"],
                now=timezone.now(),
            )
        except ServiceTokenRefused as refusal:
            raise CommandError(str(refusal)) from None
        # The token alone on stdout, so that a script can capture it.
        self.stdout.write(token)
