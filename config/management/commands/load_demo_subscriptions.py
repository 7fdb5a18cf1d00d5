"""`python manage.py load_demo_subscriptions`: demo payers subscribed via the sandbox.

Each demo payer enters a sandbox test card (the command asks the sandbox for what the
gateway's card widget would hand over: a CloudPayments cryptogram or a Stripe
PaymentMethod id) and subscribes to a demo plan through the real adapters and SDKs.
`billing_clock advance 30d` then shows renewals, a trial ending, and a card that
fails every renewal going through dunning to cancellation. A payer who already has a
subscription to their plan, in whatever status, is skipped.

Each demo payer is also a member in `accounts` under the payer's UUID, so that the
AuthService knows where to send their receipts and reminders (printed by the
worker under `make run`, docs/notifications.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from billing.clock import billing_now
from billing.errors import DomainError
from billing.money import Money
from config.management.commands.load_demo_data import (
    DEMO_ACTOR,
    DEMO_MEMBER,
    ensure_demo_plans,
)
from payments.selectors import default_payment_methods
from payments.services import start_card_setup
from subscriptions.models import Subscription
from subscriptions.services import subscribe

SANDBOX_TIMEOUT_SECONDS: Final = 5
# Any expiry in the future works with the sandbox's test cards (GATEWAYS.md A5).
CARD_EXPIRY: Final = "1230"
# The demo member's card: a CloudPayments test card that needs no 3-D Secure.
DEMO_MEMBER_CARD: Final = "4000000000003055"


@dataclass(frozen=True)
class DemoSubscriber:
    payer_id: uuid.UUID
    plan_code: str
    # A sandbox test card (GATEWAYS.md A5 for CloudPayments, C6 for Stripe).
    card_number: str
    story: str


DEMO_SUBSCRIBERS: Final = (
    DemoSubscriber(
        uuid.UUID("5eed0000-0000-4000-8000-000000000011"),
        "cinema-monthly",
        "4000000000003055",
        "renews every month",
    ),
    DemoSubscriber(
        uuid.UUID("5eed0000-0000-4000-8000-000000000012"),
        "cinema-yearly",
        "4000000000003055",
        "renews every year",
    ),
    DemoSubscriber(
        uuid.UUID("5eed0000-0000-4000-8000-000000000013"),
        "cinema-trial",
        "4000000000003055",
        "14 days free, then monthly",
    ),
    DemoSubscriber(
        uuid.UUID("5eed0000-0000-4000-8000-000000000014"),
        "cinema-monthly",
        "4111111111111111",
        "renewals are declined: dunning, then canceled",
    ),
    DemoSubscriber(
        uuid.UUID("5eed0000-0000-4000-8000-000000000015"),
        "cinema-usd",
        "4242424242424242",
        "renews every month on Stripe",
    ),
)


class Command(BaseCommand):
    help = (
        "Subscribe the demo payers to the demo plans with sandbox test cards, "
        "through the real gateway adapters (the sandbox must be running); payers "
        "already subscribed are skipped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "BILLING_TEST_CLOCK_ENABLED", False):
            raise CommandError("demo data is for local and test settings only")
        sandbox = str(settings.SANDBOX_URL).rstrip("/")
        if not _answers(f"{sandbox}/__sandbox/health"):
            raise CommandError(
                f"The gateway sandbox at {sandbox} does not answer: start it "
                "(`make sandbox`, or `make run` for everything) and run this again."
            )
        plans = {plan.code: plan for plan in ensure_demo_plans(now=billing_now())}
        self.stdout.write("Demo subscriptions (payer / plan / card / status):")
        for subscriber in DEMO_SUBSCRIBERS:
            _ensure_member(subscriber.payer_id)
            plan = plans[subscriber.plan_code]
            status = self._subscribed(subscriber, plan.gateway, sandbox)
            card = f"•••• {subscriber.card_number[-4:]}"
            self.stdout.write(
                f"  {subscriber.payer_id}  {plan.code:<15} {card}  {status:<22} "
                f"{subscriber.story}"
            )
        self.stdout.write(f"Demo member's card: {self._member_card(sandbox)}")

    def _member_card(self, sandbox: str) -> str:
        """Save a card for the demo member, so that their snack orders are held
        at once (a new member pays the first order on billing's checkout page)."""
        member = User.objects.filter(email=DEMO_MEMBER.email).first()
        if member is None:
            return "no demo member (run load_demo_data)"
        if default_payment_methods(payer_ids=[member.id], gateway="cloudpayments"):
            return f"{DEMO_MEMBER.email} has one saved (was there)"
        try:
            payload = entered_card(sandbox, "cloudpayments", DEMO_MEMBER_CARD)
            setup = start_card_setup(
                payer_id=member.id,
                gateway="cloudpayments",
                card_payload=payload,
                verification_amount=Money(100, "EUR"),
                now=billing_now(),
                actor=DEMO_ACTOR,
                cardholder_name="MAX MEMBER",
            )
        except (requests.RequestException, DomainError) as exc:
            return f"not saved: {exc}"
        return f"{DEMO_MEMBER.email} •••• {DEMO_MEMBER_CARD[-4:]} {setup.status}"

    def _subscribed(
        self, subscriber: DemoSubscriber, gateway: str, sandbox: str
    ) -> str:
        """Subscribe the payer unless they were; return the subscription's status."""
        existing = (
            Subscription.objects.filter(
                payer_id=subscriber.payer_id, plan__code=subscriber.plan_code
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            return f"{existing.status} (was there)"
        try:
            payload = entered_card(sandbox, gateway, subscriber.card_number)
        except requests.RequestException as exc:
            raise CommandError(
                f"The sandbox at {sandbox} refused the test card: {exc}"
            ) from exc
        try:
            started = subscribe(
                payer_id=subscriber.payer_id,
                plan_code=subscriber.plan_code,
                now=billing_now(),
                actor=DEMO_ACTOR,
                card_payload=payload,
                ip_address="127.0.0.1",
                return_url=f"{settings.SERVICE_URL}/admin/subscriptions/subscription/",
                cardholder_name="DEMO PAYER",
            )
        except DomainError as exc:
            return f"not subscribed: {exc.code}"
        return str(started.subscription.status)


def _ensure_member(payer_id: uuid.UUID) -> None:
    """The payer as a member who cannot sign in: `demo-payer-11@example.com`."""
    User.objects.get_or_create(
        id=payer_id,
        defaults={
            "email": f"demo-payer-{str(payer_id)[-2:]}@example.com",
            "name": "Demo payer",
            "password": make_password(None),
        },
    )


def entered_card(sandbox_url: str, gateway: str, number: str) -> str:
    """What the gateway's card widget hands over for a test card: a CloudPayments
    cryptogram, or a Stripe PaymentMethod id.

    :raises requests.RequestException: when the sandbox does not make one.
    """
    if gateway == "cloudpayments":
        reply = requests.post(
            f"{sandbox_url}/__sandbox/cp/cryptogram",
            json={"number": number, "exp": CARD_EXPIRY, "cvv": "123"},
            timeout=SANDBOX_TIMEOUT_SECONDS,
        )
        reply.raise_for_status()
        return str(reply.json()["CardCryptogramPacket"])
    reply = requests.post(
        f"{sandbox_url}/__sandbox/stripe/payment_methods",
        json={
            "number": number,
            "exp_month": int(CARD_EXPIRY[:2]),
            "exp_year": 2000 + int(CARD_EXPIRY[2:]),
            "cvc": "123",
        },
        timeout=SANDBOX_TIMEOUT_SECONDS,
    )
    reply.raise_for_status()
    return str(reply.json()["id"])


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=SANDBOX_TIMEOUT_SECONDS).ok
    except requests.RequestException:
        return False
