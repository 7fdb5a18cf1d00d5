"""`python manage.py load_demo_data`: staff users and plans for a first look.

Idempotent: staff are reset to the printed credentials, and a plan whose code
exists is left as it is (its price included).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import ShopRole, User
from accounts.roles import ACCOUNTING, SUPPORT
from billing.clock import billing_now
from billing.money import Money
from kit.currencies import format_minor
from payments.services import create_checkout_session
from snacks.errors import InvalidSnack
from snacks.models import Snack
from snacks.services import create_snack
from subscriptions.models import Plan
from subscriptions.services import DuplicatePlan, create_plan


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    name: str
    role: str | None
    is_superuser: bool = False
    shop_role: ShopRole = ShopRole.MEMBER


@dataclass(frozen=True)
class DemoPlan:
    code: str
    name: str
    price: Money
    interval: str
    gateway: str
    trial_days: int = 0


# A payer as the auth service would know them: billing keeps only the UUID.
DEMO_PAYER_ID = uuid.UUID("5eed0000-0000-4000-8000-000000000001")
DEMO_CHECKOUTS = (
    ("cloudpayments", Money(149_000, "RUB")),
    ("stripe", Money(1_999, "USD")),
)

DEMO_PLANS = (
    DemoPlan(
        "cinema-monthly",
        "Cinema monthly",
        Money(59_900, "RUB"),
        "month",
        "cloudpayments",
    ),
    DemoPlan(
        "cinema-yearly", "Cinema yearly", Money(599_000, "RUB"), "year", "cloudpayments"
    ),
    DemoPlan(
        "cinema-trial",
        "Cinema trial",
        Money(59_900, "RUB"),
        "month",
        "cloudpayments",
        trial_days=14,
    ),
    DemoPlan("cinema-usd", "Cinema (USD)", Money(999, "USD"), "month", "stripe"),
)
DEMO_ACTOR = "system:demo"
# The shop's demo shelf: (name, price in euro cents, description).
DEMO_SNACKS = (
    ("Salted pretzels", 250, "Crunchy, salty, good with coffee."),
    ("Dark chocolate bar", 320, "70 % cocoa."),
    ("Gummy bears", 180, "A bag of fruit gums."),
    ("Rice crackers", 210, "Light and crisp."),
    ("Trail mix", 390, "Nuts, raisins and chocolate drops."),
)

DEMO_STAFF = (
    DemoUser(
        "admin@example.com", "admin-demo-2026", "Ada Admin", None, is_superuser=True
    ),
    DemoUser(
        "accounting@example.com", "accounting-demo-2026", "Alex Accountant", ACCOUNTING
    ),
    # A second accountant: large refunds need an approver other than the requester.
    DemoUser(
        "approver@example.com", "approver-demo-2026", "Avery Approver", ACCOUNTING
    ),
    DemoUser("support@example.com", "support-demo-2026", "Sam Support", SUPPORT),
)
# An end user, not staff: signs in for API tokens, with which the frontend's calls
# over gRPC act on this user's own payer (README's example).
DEMO_MEMBER = DemoUser("member@example.com", "member-demo-2026", "Max Member", None)
# The snack shop's admin: runs the shop through its API, no billing staff access.
DEMO_SHOP_ADMIN = DemoUser(
    "shop-admin@example.com",
    "shop-admin-demo-2026",
    "Sasha Shop",
    None,
    shop_role=ShopRole.ADMIN,
)


class Command(BaseCommand):
    help = (
        "Create (or reset) the demo staff users and print their credentials, create "
        "the demo plans; with --web-url, also open a checkout session per gateway "
        "and print its page."
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
            self._ensure(DEMO_MEMBER, is_staff=False)
            self._ensure(DEMO_SHOP_ADMIN, is_staff=False)
        self.stdout.write("Demo staff (e-mail / password / role):")
        for staff in DEMO_STAFF:
            role = "superuser" if staff.is_superuser else staff.role
            self.stdout.write(f"  {staff.email:<26} {staff.password:<22} {role}")
        member = DEMO_MEMBER
        self.stdout.write(
            f"  {member.email:<26} {member.password:<22} member (API tokens, gRPC)"
        )
        admin = DEMO_SHOP_ADMIN
        self.stdout.write(
            f"  {admin.email:<26} {admin.password:<22} shop admin (no staff access)"
        )
        self.stdout.write("Demo plans (code / name / price / gateway):")
        for plan in ensure_demo_plans(now=billing_now()):
            price = plan.current_price.amount.format() if plan.current_price else "-"
            per = f"per {plan.interval}"
            trial = f", {plan.trial_days}-day trial" if plan.trial_days else ""
            self.stdout.write(
                f"  {plan.code:<15} {plan.name:<15} {price:>13} {per:<10} "
                f"{plan.gateway}{trial}"
            )
        self.stdout.write("Demo snacks (name / price):")
        for snack in ensure_demo_snacks():
            price = format_minor(snack.amount_minor, snack.currency)
            self.stdout.write(f"  {snack.name:<26} {price:>12}")
        if options["web_url"]:
            self._open_checkouts(options["web_url"].rstrip("/"))

    def _open_checkouts(self, web_url: str) -> None:
        """Fresh checkout pages for a person to pay with a sandbox test card."""
        now = billing_now()
        self.stdout.write(
            "Demo checkout pages (the sandbox's test cards are listed at "
            f"{settings.SANDBOX_URL}/__sandbox/checkout):"
        )
        for gateway, amount in DEMO_CHECKOUTS:
            session = create_checkout_session(
                payer_id=DEMO_PAYER_ID,
                amount=amount,
                gateway=gateway,
                success_url=f"{web_url}/admin/payments/payment/",
                failure_url=f"{web_url}/admin/payments/payment/",
                created_by=DEMO_ACTOR,
                now=now,
                description=f"Demo subscription ({gateway})",
                expires_in=dt.timedelta(hours=12),
            )
            page = f"{web_url}/checkout/{session.id}/"
            self.stdout.write(f"  {gateway:<14} {amount.format():>14}  {page}")

    def _ensure(self, staff: DemoUser, *, is_staff: bool = True) -> None:
        user, _ = User.objects.get_or_create(
            email=staff.email, defaults={"name": staff.name}
        )
        user.name = staff.name
        user.is_staff = is_staff
        user.is_superuser = staff.is_superuser
        user.role = staff.shop_role
        user.is_active = True
        user.resigned_at = None
        # Resetting the password each run keeps the printed credentials true.
        user.set_password(staff.password)
        user.save()
        if staff.role is not None:
            user.groups.add(Group.objects.get(name=staff.role))


def ensure_demo_snacks() -> list[Snack]:
    """The demo shelf, created where a snack's name is not taken yet."""
    snacks = []
    for name, amount_minor, description in DEMO_SNACKS:
        snack = Snack.objects.filter(name__iexact=name).first()
        if snack is None:
            with contextlib.suppress(InvalidSnack):
                snack = create_snack(
                    name=name,
                    amount_minor=amount_minor,
                    currency="EUR",
                    description=description,
                )
        if snack is not None:
            snacks.append(snack)
    return snacks


def ensure_demo_plans(*, now: dt.datetime) -> list[Plan]:
    """The demo plans, created where their code is not taken yet."""
    plans = []
    for demo in DEMO_PLANS:
        named = Plan.objects.select_related("current_price").filter(code=demo.code)
        if not named.exists():
            # Another run may create it meanwhile: just as good.
            with contextlib.suppress(DuplicatePlan):
                create_plan(
                    code=demo.code,
                    name=demo.name,
                    price=demo.price,
                    interval=demo.interval,
                    gateway=demo.gateway,
                    trial_days=demo.trial_days,
                    now=now,
                    actor=DEMO_ACTOR,
                )
        plans.append(named.get())
    return plans
