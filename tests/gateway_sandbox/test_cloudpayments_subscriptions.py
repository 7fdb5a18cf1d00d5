"""Gateway-run subscriptions (A3.10): the API and the schedule on the sandbox clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from cloudpayments import CloudPayments, CloudPaymentsError
from cloudpayments.models import Subscription

from gateway_sandbox.app import Sandbox
from tests.gateway_sandbox.cloudpayments_merchant import (
    NotificationReceiver,
    advance_clock,
    configure_notification,
    cryptogram,
    flush_notifications,
    ledger,
    sandbox_now,
)
from tests.polling import wait_until


@pytest.fixture
def client(cloudpayments_client: CloudPayments) -> CloudPayments:
    return cloudpayments_client


@pytest.fixture
def receiver(sandbox_url: str, sandbox: Sandbox) -> Iterator[NotificationReceiver]:
    with NotificationReceiver() as running:
        for kind in ("pay", "fail", "recurrent"):
            configure_notification(sandbox_url, sandbox, kind, f"{running.url}/{kind}/")
        yield running


def saved_card(client: CloudPayments, number: str = "4000000000003055") -> str:
    payment = client.charge_card(
        cryptogram(number), 1, "RUB", "IVAN", "203.0.113.7", account_id="acc-1"
    )
    return payment.token


def subscribe(
    client: CloudPayments,
    sandbox_url: str,
    token: str,
    *,
    interval: str = "Day",
    max_periods: int | None = None,
) -> Subscription:
    start = sandbox_now(sandbox_url).replace(microsecond=0) + dt.timedelta(minutes=1)
    return client.create_subscription(
        token, "acc-1", 15, "RUB", "Pro plan", "ivan@example.com", start, interval, 1,
        max_periods=max_periods,
    )  # fmt: skip


def recurrent_statuses(receiver: NotificationReceiver) -> list[str]:
    return [r.fields["Status"] for r in receiver.of_kind("recurrent")]


class TestSubscriptionApi:
    def test_create_returns_an_active_subscription_with_every_field(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        token = saved_card(client)
        start = sandbox_now(sandbox_url).replace(microsecond=0) + dt.timedelta(days=3)

        subscription = client.create_subscription(
            token, "acc-1", 15.5, "RUB", "Pro plan", "ivan@example.com", start,
            "Month", 1, max_periods=12,
        )  # fmt: skip

        assert isinstance(subscription, Subscription)
        assert subscription.id.startswith("sc_") and len(subscription.id) == 32
        assert subscription.account_id == "acc-1"
        assert subscription.description == "Pro plan"
        assert subscription.email == "ivan@example.com"
        assert subscription.amount == Decimal("15.5")
        assert (subscription.currency, subscription.currency_code) == ("RUB", 0)
        assert subscription.require_confirmation is False
        assert subscription.start_date == start
        assert (subscription.interval, subscription.interval_code) == ("Month", 1)
        assert subscription.period == 1
        assert subscription.max_periods == 12
        assert (subscription.status, subscription.status_code) == ("Active", 0)
        assert subscription.successful_transactions_number == 0
        assert subscription.failed_transactions_number == 0
        assert subscription.last_transaction_date is None
        assert subscription.next_transaction_date == start

    def test_get_find_update_and_cancel(
        self, client: CloudPayments, sandbox_url: str, receiver: NotificationReceiver
    ) -> None:
        token = saved_card(client)
        first = subscribe(client, sandbox_url, token)
        second = subscribe(client, sandbox_url, token, interval="Week")

        found = client.list_subscriptions("acc-1")
        updated = client.update_subscription(first.id, amount=20, description="Max")
        client.cancel_subscription(second.id)

        assert {s.id for s in found} == {first.id, second.id}
        assert (updated.amount, updated.description) == (Decimal("20"), "Max")
        assert client.get_subscription(first.id).amount == Decimal("20")
        assert client.get_subscription(second.id).status == "Cancelled"
        assert client.get_subscription(second.id).next_transaction_date is None
        assert list(client.list_subscriptions("nobody")) == []
        flush_notifications(sandbox_url)
        assert recurrent_statuses(receiver) == ["Cancelled"]

    def test_update_reactivates_a_cancelled_subscription_silently(
        self, client: CloudPayments, sandbox_url: str, receiver: NotificationReceiver
    ) -> None:
        subscription = subscribe(client, sandbox_url, saved_card(client))
        client.cancel_subscription(subscription.id)

        revived = client.update_subscription(subscription.id, period=2)

        assert revived.status == "Active"
        assert revived.next_transaction_date is not None
        flush_notifications(sandbox_url)
        assert recurrent_statuses(receiver) == ["Cancelled"]

    def test_an_unknown_subscription_is_not_found(self, client: CloudPayments) -> None:
        with pytest.raises(CloudPaymentsError, match="Not found"):
            client.get_subscription("sc_00000000000000000000000000000")
        with pytest.raises(CloudPaymentsError, match="Not found"):
            client.cancel_subscription("sc_missing")

    def test_create_refuses_an_unknown_token(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        with pytest.raises(CloudPaymentsError, match="Token not found"):
            subscribe(client, sandbox_url, "tk_missing")

    def test_create_refuses_a_start_in_the_past(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        past = sandbox_now(sandbox_url) - dt.timedelta(days=1)

        with pytest.raises(CloudPaymentsError, match="StartDate must be in the future"):
            client.create_subscription(
                saved_card(client), "acc-1", 15, "RUB", "Pro", None, past, "Month", 1
            )

    def test_create_refuses_an_unknown_interval(
        self, client: CloudPayments, sandbox_url: str
    ) -> None:
        with pytest.raises(CloudPaymentsError, match="Invalid Interval value"):
            subscribe(client, sandbox_url, saved_card(client), interval="Fortnight")


class TestSchedule:
    def test_charges_the_token_when_due(
        self,
        client: CloudPayments,
        sandbox_url: str,
        receiver: NotificationReceiver,
    ) -> None:
        """On the due date the gateway charges and sends Pay with SubscriptionId."""
        subscription = subscribe(client, sandbox_url, saved_card(client))

        advance_clock(sandbox_url, 61)

        wait_until(
            lambda: len(receiver.of_kind("pay")) == 2,
            message="the merchant did not get the second Pay",
        )
        pay = receiver.of_kind("pay")[1].fields
        after = client.get_subscription(subscription.id)
        assert pay["SubscriptionId"] == subscription.id
        assert pay["Amount"] == "15.00"
        assert after.successful_transactions_number == 1
        assert after.last_transaction_date is not None
        assert after.next_transaction_date == subscription.start_date + dt.timedelta(
            days=1
        )
        assert [e["amount_minor"] for e in ledger(sandbox_url)["entries"]] == [
            100,
            1500,
        ]
        assert recurrent_statuses(receiver) == []

    def test_failing_charges_make_it_past_due_then_rejected(
        self,
        client: CloudPayments,
        sandbox_url: str,
        receiver: NotificationReceiver,
    ) -> None:
        """4111's token charges fail: PastDue after one, Rejected after three."""
        subscription = subscribe(
            client, sandbox_url, saved_card(client, "4111111111111111")
        )

        advance_clock(sandbox_url, 61)
        wait_until(
            lambda: recurrent_statuses(receiver) == ["PastDue"],
            message="no Recurrent notification said PastDue",
        )
        past_due = client.get_subscription(subscription.id)
        advance_clock(sandbox_url, dt.timedelta(days=2).total_seconds())
        wait_until(
            lambda: recurrent_statuses(receiver) == ["PastDue", "Rejected"],
            message="no Recurrent notification said Rejected after PastDue",
        )

        rejected = client.get_subscription(subscription.id)
        fails = receiver.of_kind("fail")
        assert past_due.status == "PastDue"
        assert past_due.failed_transactions_number == 1
        assert past_due.next_transaction_date == subscription.start_date + dt.timedelta(
            hours=24
        )
        assert rejected.status == "Rejected"
        assert rejected.failed_transactions_number == 3
        assert rejected.next_transaction_date is None
        assert len(fails) == 3
        assert {f.fields["SubscriptionId"] for f in fails} == {subscription.id}
        assert {f.fields["ReasonCode"] for f in fails} == {"5051"}

    def test_reaching_max_periods_expires_it(
        self,
        client: CloudPayments,
        sandbox_url: str,
        receiver: NotificationReceiver,
    ) -> None:
        token = saved_card(client)
        subscription = subscribe(client, sandbox_url, token, max_periods=1)

        advance_clock(sandbox_url, 61)
        wait_until(
            lambda: recurrent_statuses(receiver) == ["Expired"],
            message="no Recurrent notification said Expired",
        )
        # A weekly subscription due once in the next three days: when the schedule
        # has charged it, it has also passed over the expired one on the new clock.
        witness = subscribe(client, sandbox_url, token, interval="Week")
        advance_clock(sandbox_url, dt.timedelta(days=3).total_seconds())
        wait_until(
            lambda: (
                client.get_subscription(witness.id).successful_transactions_number == 1
            ),
            message="the schedule did not charge the weekly subscription",
        )

        expired = client.get_subscription(subscription.id)
        assert expired.status == "Expired"
        assert expired.successful_transactions_number == 1
        # The card's first payment, the one period, the weekly subscription's charge.
        assert len(ledger(sandbox_url)["entries"]) == 3
