"""`python manage.py load_demo_data`: staff users for a first look, idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.roles import ACCOUNTING, SUPPORT


@dataclass(frozen=True)
class DemoStaff:
    email: str
    password: str
    name: str
    role: str | None
    is_superuser: bool = False


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
    help = "Create (or reset) the demo staff users and print their credentials."

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
