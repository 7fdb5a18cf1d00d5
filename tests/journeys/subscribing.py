"""Plans, subscribers, renewal runs and what to read back, for subscription journeys.

Everything goes through the services, the real adapters and the official SDKs; the
sandbox's ledger is the gateway's truth about money, `billing.LedgerEntry` ours.
"""

from __future__ import annotations

import datetime as dt
import uuid
from fractions import Fraction
from typing import Any

import requests
from django.db.models import Sum

from billing.models import BillingEvent, Invoice, LedgerEntry, Payer
from billing.money import Money
from payments.models import PaymentMethod
from subscriptions.models import Plan, Subscription
from subscriptions.services import (
    RenewalReport,
    StartedSubscription,
    renew_due_subscriptions,
)
from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.journeys.cards import entered_card, ledger
from tests.payments.factories import CardSetupFactory
from tests.subscriptions.factories import PlanFactory, StartedSubscriptionFactory

GATEWAYS = ["cloudpayments", "stripe"]
CURRENCIES = {"cloudpayments": "RUB", "stripe": "USD"}
# 31 January: the renewals fall on 28 February, 31 March, 30 April …
START = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)
ACTOR = "system:journey"
PAYER = "user:journey"
RETURN_URL = "https://shop.example/subscriptions/3ds-return"


def money(gateway: str, amount_minor: int) -> Money:
    return Money(amount_minor, CURRENCIES[gateway])


def make_plan(
    gateway: str,
    *,
    code: str = "monthly",
    amount_minor: int = 99_900,
    trial_days: int = 0,
    interval: str = "month",
) -> Plan:
    return PlanFactory.create(
        code=f"{gateway}-{code}",
        name=code.replace("-", " ").title(),
        price=money(gateway, amount_minor),
        interval=interval,
        trial_days=trial_days,
        gateway=gateway,
        now=START - dt.timedelta(days=30),
        actor=ACTOR,
    )


def subscribe_with(
    sandbox_url: str,
    plan: Plan,
    card_number: str,
    *,
    now: dt.datetime = START,
    payer_id: uuid.UUID | None = None,
    with_trial: bool = True,
) -> StartedSubscription:
    """Subscribe a payer with a card entered in the gateway's widget just now."""
    return StartedSubscriptionFactory.create(
        plan=plan,
        payer_id=payer_id or uuid.uuid4(),
        now=now,
        actor=PAYER,
        card_payload=entered_card(sandbox_url, plan.gateway, card_number),
        with_trial=with_trial,
        return_url=RETURN_URL,
    )


def save_new_card(
    sandbox_url: str,
    gateway: str,
    payer_id: uuid.UUID,
    card_number: str,
    *,
    now: dt.datetime,
) -> PaymentMethod:
    """The payer enters another card, verified without a charge and saved."""
    setup = CardSetupFactory.create(
        payer_id=payer_id,
        gateway=gateway,
        card_payload=entered_card(sandbox_url, gateway, card_number),
        verification_amount=money(gateway, 100),
        now=now,
        actor=PAYER,
        purpose="",
        return_url=RETURN_URL,
    )
    assert setup.payment_method is not None, setup.failure_code
    return setup.payment_method


def renew_at(gateway: str, moment: dt.datetime) -> RenewalReport:
    """One renewal run of `gateway` at `moment`, with the configured dunning policy
    (retries 1, 3, 5 and 7 days after the first failure by default)."""
    return renew_due_subscriptions(gateway=gateway, clock=lambda: moment)


def reloaded(subscription: Subscription) -> Subscription:
    subscription.refresh_from_db()
    return subscription


def invoices_of(subscription: Subscription) -> list[Invoice]:
    return list(Invoice.objects.filter(subscription_id=subscription.id).order_by("id"))


def account_of(gateway: str, payer_id: uuid.UUID) -> str:
    """How the gateway knows the payer: AccountId, or the Stripe Customer."""
    if gateway == "cloudpayments":
        return str(payer_id)
    customer = Payer.objects.get(id=payer_id).stripe_customer_id
    assert customer, "a Stripe payer has a Customer once a card was used"
    return customer


def money_moves(
    sandbox_url: str, gateway: str, payer_id: uuid.UUID
) -> list[tuple[str, int]]:
    """What the sandbox did with the payer's money, in order: (kind, amount)."""
    entries = ledger(
        sandbox_url, gateway=gateway, account_id=account_of(gateway, payer_id)
    )["entries"]
    return [(entry["kind"], entry["amount_minor"]) for entry in entries]


def captures_of(
    sandbox_url: str, gateway: str, payer_id: uuid.UUID
) -> list[dict[str, Any]]:
    entries = ledger(
        sandbox_url, gateway=gateway, account_id=account_of(gateway, payer_id)
    )["entries"]
    return [entry for entry in entries if entry["kind"] == "capture"]


def stripe_setup_intent(sandbox_url: str, setup_intent_id: str) -> dict[str, Any]:
    """The SetupIntent as Stripe's API shows it."""
    reply = requests.get(
        f"{sandbox_url}/v1/setup_intents/{setup_intent_id}",
        auth=(SANDBOX_CONFIG.stripe_secret_key, ""),
        timeout=5,
    )
    reply.raise_for_status()
    data: dict[str, Any] = reply.json()
    return data


def stripe_customers_of(sandbox_url: str, payer_id: uuid.UUID) -> list[dict[str, Any]]:
    """The Stripe Customers made for the payer (by our metadata), as the API lists."""
    reply = requests.get(
        f"{sandbox_url}/v1/customers",
        params={"limit": 100},
        auth=(SANDBOX_CONFIG.stripe_secret_key, ""),
        timeout=5,
    )
    reply.raise_for_status()
    return [
        customer
        for customer in reply.json()["data"]
        if customer.get("metadata", {}).get("payer_id") == str(payer_id)
    ]


def latest_cursor() -> int:
    latest = BillingEvent.objects.order_by("-cursor").first()
    return latest.cursor if latest else 0


def event_types(payer_id: uuid.UUID, *, after: int = 0) -> list[str]:
    """The payer's outbox events in commit order, after a cursor."""
    return list(
        BillingEvent.objects.filter(payer_id=payer_id, cursor__gt=after)
        .order_by("cursor")
        .values_list("type", flat=True)
    )


def unbalanced_books() -> dict[str, tuple[int, int]]:
    """The currencies whose debits and credits differ, with both sums (none: {})."""
    rows = LedgerEntry.objects.values("currency").annotate(
        debits=Sum("debit_minor"), credits=Sum("credit_minor")
    )
    return {
        row["currency"]: (row["debits"], row["credits"])
        for row in rows
        if row["debits"] != row["credits"]
    }


def share(amount_minor: int, *, remaining: dt.timedelta, length: dt.timedelta) -> int:
    """round_half_even(amount * remaining / length), durations to the microsecond."""
    return round(Fraction(amount_minor) * _us(remaining) / _us(length))


def _us(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
