"""`python manage.py prepare_stack --tokens-file PATH`: what `make stack` does once
before the Procfile's processes start.

It creates the stack's PostgreSQL database when it is missing and migrates it, so
that no process of the Procfile migrates (they start together), writes for honcho
an env file with a service token for each gRPC client of the stack that the
environment gives none (`config.stack_clients`), and says what will be where. It
runs only under the stack's settings: a deployment creates its database and issues
its tokens by hand (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from psycopg import sql

from config.stack_clients import missing_client_tokens

STACK_SETTINGS = "config.settings.stack"
# A stack stays up for hours, not weeks; each `make stack` issues fresh tokens.
TOKEN_DAYS = 7


class Command(BaseCommand):
    help = (
        "Create and migrate the stack's database, write its service tokens for "
        "honcho and print where everything is (make stack)."
    )
    # The checks would open the database before it is created.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tokens-file",
            type=Path,
            required=True,
            help="The env file for honcho's --env: the tokens the environment lacks.",
        )
        parser.add_argument(
            "--flower-url", default="", help="Where Flower listens, for the banner."
        )
        parser.add_argument(
            "--webhooks-url",
            default="",
            help="Where the ASGI edge takes webhooks, for the banner.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE != STACK_SETTINGS:
            raise CommandError(f"prepare_stack runs only under {STACK_SETTINGS}")
        created = _create_database_if_missing(settings.DATABASES["default"])
        name = settings.DATABASES["default"]["NAME"]
        self.stdout.write(f"Database {name} {'created' if created else 'found'}.")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"Database {name} migrated.")
        _write_tokens(options["tokens_file"])
        self.stdout.write(_banner(options["flower_url"], options["webhooks_url"]))


def _create_database_if_missing(database: dict[str, Any]) -> bool:
    """Create the configured PostgreSQL database unless it exists; whether it did.

    :raises CommandError: when the database is not PostgreSQL.
    """
    if not database["ENGINE"].endswith(".postgresql"):
        raise CommandError("the stack runs on PostgreSQL: set STACK_DATABASE_URL")
    # The server's maintenance database, to create another beside it.
    with psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if exists:
            return False
        connection.execute(
            sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database["NAME"]))
        )
        return True


def _write_tokens(path: Path) -> None:
    """The tokens honcho adds to every process's environment, readable by the
    owner alone. Only those the environment lacks: honcho's env file would win."""
    given = {
        variable: getattr(settings, variable)
        for variable in ("AUTH_GRPC_TOKEN", "SHOP_BILLING_TOKEN")
    }
    tokens = missing_client_tokens(
        given, stack="stack", days=TOKEN_DAYS, now=dt.datetime.now(dt.UTC)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text("".join(f"{name}={token}\n" for name, token in tokens.items()))


def _banner(flower_url: str, webhooks_url: str) -> str:
    web = settings.SERVICE_URL.rstrip("/")
    sandbox = settings.SANDBOX_URL.rstrip("/")
    return "\n".join(
        [
            "",
            "  The stack is starting (Ctrl-C stops every process):",
            f"  Ready when:       {web}/readyz answers 200",
            f"  Admin:            {web}/admin/",
            f"  Support API:      {web}/api/  (docs {web}/api/docs/)",
            f"  Snack shop:       {web}/shop/  (API {web}/api/v1/shop/snacks/)",
            f"  Webhooks:         {webhooks_url or 'the ASGI edge'} (the ASGI "
            "edge, which the sandbox notifies)",
            f"  gRPC:             {settings.SHOP_BILLING_GRPC_TARGET}",
            f"  Metrics:          {web}/metrics, and the gRPC server's "
            "--metrics-port (docs/operations.md#metrics)",
            *(
                [
                    f"  Flower:           {flower_url}  (user and password: "
                    "STACK_FLOWER_BASIC_AUTH in .env.stack)"
                ]
                if flower_url
                else []
            ),
            f"  Sandbox cards:    {sandbox}/__sandbox/checkout",
            "  No demo data: create a first admin with "
            "`make stack-manage ARGS=createsuperuser`,",
            "  then add plans in the admin (docs/operations.md#make-stack).",
            "",
        ]
    )
