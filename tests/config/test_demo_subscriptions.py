"""The demo of `make run`: payers subscribed through the sandbox, then months of
billing in two steps of the test clock, on the real adapters and SDKs."""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from accounts.models import User
from accounts.selectors import user_contact
from billing.models import Invoice, InvoiceStatus
from config.management.commands.load_demo_subscriptions import DEMO_SUBSCRIBERS
from gateway_sandbox.app import Sandbox
from subscriptions.models import Subscription, SubscriptionStatus
from tests.journeys.cards import ledger

pytestmark = [pytest.mark.django_db, pytest.mark.sandbox]

MONTHLY, YEARLY, TRIAL, DECLINING, STRIPE = (s.payer_id for s in DEMO_SUBSCRIBERS)


@pytest.fixture
def demo(gateway_sandbox: Sandbox, wall_clock: None, settings: Settings) -> str:
    """The demo plans and subscriptions, loaded against a fresh sandbox."""
    # Charges go one at a time: threads would not see this test's transaction.
    settings.RENEWAL_CONCURRENCY = {"cloudpayments": 1, "stripe": 1}
    call_command("load_demo_data", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo_subscriptions", stdout=out)
    return out.getvalue()


def subscription_of(payer_id: uuid.UUID) -> Subscription:
    return Subscription.objects.select_related("plan").get(payer_id=payer_id)


def invoice_statuses(payer_id: uuid.UUID) -> list[str]:
    return list(
        Invoice.objects.filter(payer_id=payer_id)
        .order_by("id")
        .values_list("status", flat=True)
    )


def check_ledger() -> str:
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    return out.getvalue()


class TestLoadDemoSubscriptions:
    def test_subscribes_each_demo_payer_through_the_sandbox(
        self, demo: str, settings: Settings
    ) -> None:
        statuses = {
            s.payer_id: (s.plan.code, s.status)
            for s in Subscription.objects.select_related("plan")
        }

        assert statuses == {
            MONTHLY: ("cinema-monthly", SubscriptionStatus.ACTIVE),
            YEARLY: ("cinema-yearly", SubscriptionStatus.ACTIVE),
            TRIAL: ("cinema-trial", SubscriptionStatus.TRIALING),
            DECLINING: ("cinema-monthly", SubscriptionStatus.ACTIVE),
            STRIPE: ("cinema-usd", SubscriptionStatus.ACTIVE),
        }
        captured = ledger(settings.SANDBOX_URL)["totals"]
        assert captured["RUB"]["captured_minor"] == 59_900 + 599_000 + 59_900
        assert captured["USD"]["captured_minor"] == 999
        assert f"{DECLINING}  cinema-monthly  •••• 1111  ACTIVE" in demo
        assert "The books balance." in check_ledger()

    def test_makes_each_demo_payer_a_member_who_cannot_sign_in(self, demo: str) -> None:
        """The AuthService knows where to send a demo payer's mails."""
        members = User.objects.filter(id__in=[s.payer_id for s in DEMO_SUBSCRIBERS])

        assert members.count() == len(DEMO_SUBSCRIBERS)
        assert all(user_contact(user_id=member.id) for member in members)
        assert not any(member.has_usable_password() for member in members)

    def test_running_twice_subscribes_nobody_again(self, demo: str) -> None:
        out = io.StringIO()

        call_command("load_demo_subscriptions", stdout=out)

        assert Subscription.objects.count() == len(DEMO_SUBSCRIBERS)
        assert Invoice.objects.count() == 4  # the trial has none yet
        # Each subscription, and the demo member's card.
        assert out.getvalue().count("(was there)") == len(DEMO_SUBSCRIBERS) + 1

    def test_saves_a_card_for_the_demo_member_so_orders_are_held_at_once(
        self, demo: str
    ) -> None:
        from payments.models import PaymentMethod, PaymentMethodStatus

        member = User.objects.get(email="member@example.com")
        (card,) = PaymentMethod.objects.filter(payer_id=member.id)

        assert card.status == PaymentMethodStatus.USABLE and card.is_default
        assert card.gateway == "cloudpayments"
        assert "Demo member's card: member@example.com •••• 3055" in demo

    def test_refuses_clearly_when_the_sandbox_does_not_answer(
        self, settings: Settings
    ) -> None:
        settings.SANDBOX_URL = "http://127.0.0.1:9"

        with pytest.raises(CommandError, match="does not answer"):
            call_command("load_demo_subscriptions", stdout=io.StringIO())

        assert not Subscription.objects.exists()


class TestAdvancingTheDemo:
    def test_a_month_renews_ends_the_trial_and_starts_dunning(
        self, demo: str, settings: Settings
    ) -> None:
        out = io.StringIO()

        call_command("billing_clock", "advance", "31d", stdout=out)

        assert invoice_statuses(MONTHLY) == [InvoiceStatus.PAID] * 2
        assert invoice_statuses(STRIPE) == [InvoiceStatus.PAID] * 2
        assert invoice_statuses(YEARLY) == [InvoiceStatus.PAID]
        assert invoice_statuses(TRIAL) == [InvoiceStatus.PAID]
        assert subscription_of(TRIAL).status == SubscriptionStatus.ACTIVE
        declining = subscription_of(DECLINING)
        assert declining.status == SubscriptionStatus.PAST_DUE
        assert declining.next_retry_at is not None
        assert invoice_statuses(DECLINING) == [InvoiceStatus.PAID, InvoiceStatus.OPEN]
        assert "The books balance." in check_ledger()

    def test_a_second_month_ends_dunning_in_cancellation(
        self, demo: str, settings: Settings
    ) -> None:
        call_command("billing_clock", "advance", "31d", stdout=io.StringIO())

        call_command("billing_clock", "advance", "31d", stdout=io.StringIO())

        declining = subscription_of(DECLINING)
        assert declining.status == SubscriptionStatus.CANCELED
        assert declining.retry_count == 4
        assert invoice_statuses(DECLINING) == [
            InvoiceStatus.PAID,
            InvoiceStatus.UNCOLLECTIBLE,
        ]
        assert subscription_of(MONTHLY).status == SubscriptionStatus.ACTIVE
        assert invoice_statuses(MONTHLY) == [InvoiceStatus.PAID] * 3
        assert "The books balance." in check_ledger()
