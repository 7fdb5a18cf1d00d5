"""`python manage.py load_demo_data`: staff users for a first look, idempotently."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.roles import ACCOUNTING, SUPPORT
from billing.clock import billing_now
from billing.money import Money
from payments.services import create_checkout_session


@dataclass(frozen=True)
class DemoStaff:
    email: str
    password: str
    name: str
    role: str | None
    is_superuser: bool = False


# A payer as the auth service would know them: billing keeps only the UUID.
DEMO_PAYER_ID = uuid.UUID("5eed0000-0000-4000-8000-000000000001")
DEMO_CHECKOUTS = (
    ("cloudpayments", Money(149_000, "RUB")),
    ("stripe", Money(1_999, "USD")),
)

DEMO_STAFF = (
    DemoStaff(
        "admin@example.com", "admin-demo-2026", "Ada Admin", None, is_superuser=True
    ),
    DemoStaff(
        "accounting@example.com", "accounting-demo-2026", "Alex Accountant", ACCOUNTING
    ),
    DemoStaff("support@example.com", "support-demo-2026", "Sam Support", SUPPORT),
)


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo staff users and print their credentials; with "
        "--web-url, also open a checkout session per gateway and print its page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--web-url",
            help="This service's address (http://127.0.0.1:8000) for checkout links.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "BILLING_TEST_CLOCK_ENABLED", False):
            raise CommandError("demo data is for local and test settings only")
        with transaction.atomic():
            for staff in DEMO_STAFF:
                self._ensure(staff)
        self.stdout.write("Demo staff (e-mail / password / role):")
        for staff in DEMO_STAFF:
            role = "superuser" if staff.is_superuser else staff.role
            self.stdout.write(f"  {staff.email:<26} {staff.password:<22} {role}")
        if options["web_url"]:
            self._open_checkouts(options["web_url"].rstrip("/"))

    def _open_checkouts(self, web_url: str) -> None:
        """Fresh checkout pages for a person to pay with a sandbox test card."""
        now = billing_now()
        self.stdout.write(
            "Demo checkout pages (test cards are listed on the card form):"
        )
        for gateway, amount in DEMO_CHECKOUTS:
            session = create_checkout_session(
                payer_id=DEMO_PAYER_ID,
                amount=amount,
                gateway=gateway,
                success_url=f"{web_url}/admin/payments/payment/",
                failure_url=f"{web_url}/admin/payments/payment/",
                created_by="system:demo",
                now=now,
                description=f"Demo subscription ({gateway})",
                expires_in=dt.timedelta(hours=12),
            )
            page = f"{web_url}/checkout/{session.id}/"
            self.stdout.write(f"  {gateway:<14} {amount.format():>14}  {page}")

    def _ensure(self, staff: DemoStaff) -> None:
        user, _ = User.objects.get_or_create(
            email=staff.email, defaults={"name": staff.name}
        )
        user.name = staff.name
        user.is_staff = True
        user.is_superuser = staff.is_superuser
        user.is_active = True
        # Resetting the password each run keeps the printed credentials true.
        user.set_password(staff.password)
        user.save()
        if staff.role is not None:
            user.groups.add(Group.objects.get(name=staff.role))
