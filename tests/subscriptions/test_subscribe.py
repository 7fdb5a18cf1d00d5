"""Subscribing on the in-memory gateway: first invoice, 3-D Secure, trials, refusals."""

from __future__ import annotations

import datetime as dt
import socket
import uuid
from collections.abc import Iterator

import pytest
from django.db import IntegrityError
from pytest_django.fixtures import Settings

from billing.errors import DomainError
from billing.models import BillingEvent, Invoice, InvoiceStatus
from payments.gateways import reset_gateways
from payments.gateways.base import Declined, RequiresAction, ThreeDsChallenge
from payments.gateways.fake import FakeGateway
from payments.models import CardSetup, PaymentStatus
from payments.services import NoUsablePaymentMethod
from subscriptions.models import LIVE_STATUSES, Subscription, SubscriptionStatus
from subscriptions.services import (
    AlreadySubscribed,
    InvalidSubscriptionRequest,
    NothingToComplete,
    PlanInactive,
    PlanNotFound,
    SubscriptionNotFound,
    UnknownTimeZone,
    complete_subscription_3ds,
    set_plan_active,
    subscribe,
)
from tests.subscriptions.factories import (
    ACTOR,
    MONTHLY_PRICE,
    START,
    make_plan,
    subscribe_with_card,
)

pytestmark = pytest.mark.django_db

CHALLENGE = ThreeDsChallenge(
    gateway_reference="tx-3ds",
    url="https://acs.example/",
    form_fields={"PaReq": "pareq", "MD": "tx-3ds"},
)


def _events(subscription: Subscription) -> list[str]:
    return list(
        BillingEvent.objects.filter(payer_id=subscription.payer_id)
        .order_by("cursor")
        .values_list("type", flat=True)
    )


class TestSubscribeWithCard:
    def test_pays_the_first_period_and_is_active(
        self, fake_gateway: FakeGateway
    ) -> None:
        plan = make_plan()

        started = subscribe_with_card(plan)

        subscription = started.subscription
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_starts_at == START
        assert subscription.current_period_ends_at == dt.datetime(
            2026, 2, 28, 9, 0, tzinfo=dt.UTC
        )
        assert subscription.due_at == subscription.current_period_ends_at
        assert started.invoice is not None
        assert started.invoice.status == InvoiceStatus.PAID
        assert started.invoice.total == MONTHLY_PRICE
        assert started.payment is not None
        assert subscription.payment_method_id == started.payment.payment_method_id
        assert started.action is None
        assert _events(subscription) == [
            "subscription.created",
            "invoice.created",
            "invoice.paid",
            "payment.succeeded",
            "subscription.activated",
        ]

    def test_a_decline_expires_it_and_voids_the_invoice(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )

        started = subscribe_with_card(make_plan())

        assert started.subscription.status == SubscriptionStatus.EXPIRED
        assert started.invoice is not None
        assert started.invoice.status == InvoiceStatus.VOID
        assert started.subscription.due_at is None

    def test_3ds_waits_then_completes(self, fake_gateway: FakeGateway) -> None:
        fake_gateway.script("charge", RequiresAction(CHALLENGE))
        started = subscribe_with_card(make_plan())

        completed = complete_subscription_3ds(
            subscription_id=started.subscription.id,
            authentication_result="pares",
            now=START + dt.timedelta(minutes=1),
            actor=ACTOR,
        )

        assert started.subscription.status == SubscriptionStatus.INCOMPLETE
        assert started.action == {
            "url": "https://acs.example/",
            "form_fields": {"PaReq": "pareq", "MD": "tx-3ds"},
        }
        assert completed.subscription.status == SubscriptionStatus.ACTIVE
        assert completed.payment is not None
        assert completed.payment.status == PaymentStatus.SUCCEEDED
        assert completed.invoice is not None
        assert completed.invoice.status == InvoiceStatus.PAID

    def test_completing_twice_finds_nothing_left(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("charge", RequiresAction(CHALLENGE))
        started = subscribe_with_card(make_plan())
        complete_subscription_3ds(
            subscription_id=started.subscription.id,
            authentication_result="pares",
            now=START,
            actor=ACTOR,
        )

        with pytest.raises(NothingToComplete):
            complete_subscription_3ds(
                subscription_id=started.subscription.id,
                authentication_result="pares",
                now=START,
                actor=ACTOR,
            )

        assert len(fake_gateway.calls_to("complete_3ds")) == 1

    def test_keeps_the_wall_clock_of_its_time_zone(
        self, fake_gateway: FakeGateway
    ) -> None:
        """00:30 in Moscow on the 31st renews at 00:30 Moscow time."""
        moscow_half_past_midnight = dt.datetime(2026, 1, 30, 21, 30, tzinfo=dt.UTC)

        started = subscribe_with_card(
            make_plan(), now=moscow_half_past_midnight, time_zone="Europe/Moscow"
        )

        assert started.subscription.current_period_ends_at == dt.datetime(
            2026, 2, 27, 21, 30, tzinfo=dt.UTC
        )


class TestSubscribeWithSavedCard:
    def test_charges_the_saved_card(self, fake_gateway: FakeGateway) -> None:
        first = subscribe_with_card(make_plan(code="first"))
        assert first.payment is not None and first.payment.payment_method_id

        started = subscribe(
            payer_id=first.subscription.payer_id,
            plan_code=make_plan(code="second").code,
            now=START,
            actor=ACTOR,
            payment_method_id=first.payment.payment_method_id,
        )

        assert started.subscription.status == SubscriptionStatus.ACTIVE
        assert started.payment is not None
        assert started.payment.payment_method_id == first.payment.payment_method_id

    def test_refuses_a_card_of_another_payer(self, fake_gateway: FakeGateway) -> None:
        first = subscribe_with_card(make_plan(code="first"))
        assert first.payment is not None and first.payment.payment_method_id

        with pytest.raises(NoUsablePaymentMethod):
            subscribe(
                payer_id=uuid.uuid4(),
                plan_code="first",
                now=START,
                actor=ACTOR,
                payment_method_id=first.payment.payment_method_id,
            )

        assert Subscription.objects.count() == 1


class TestTrials:
    def test_a_new_card_is_verified_without_charging(
        self, fake_gateway: FakeGateway
    ) -> None:
        started = subscribe_with_card(make_plan(trial_days=14))

        subscription = started.subscription
        assert subscription.status == SubscriptionStatus.TRIALING
        assert subscription.trial_ends_at == START + dt.timedelta(days=14)
        assert subscription.due_at == subscription.trial_ends_at
        assert started.invoice is None
        assert started.card_setup is not None
        assert subscription.payment_method_id == started.card_setup.payment_method_id
        assert fake_gateway.calls_to("charge") == []
        assert Invoice.objects.count() == 0

    def test_the_trial_can_be_skipped(self, fake_gateway: FakeGateway) -> None:
        started = subscribe_with_card(make_plan(trial_days=14), with_trial=False)

        assert started.subscription.status == SubscriptionStatus.ACTIVE
        assert len(fake_gateway.calls_to("charge")) == 1

    def test_a_card_that_fails_verification_expires_it(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "setup_card", Declined(reason_code="5051", message="No", hard=False)
        )

        started = subscribe_with_card(make_plan(trial_days=14))

        assert started.subscription.status == SubscriptionStatus.EXPIRED
        assert started.card_setup is not None
        assert started.card_setup.status == "FAILED"

    def test_3ds_on_the_card_check_waits_then_starts_the_trial(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", RequiresAction(CHALLENGE))
        started = subscribe_with_card(make_plan(trial_days=7))

        completed = complete_subscription_3ds(
            subscription_id=started.subscription.id,
            authentication_result="pares",
            now=START,
            actor=ACTOR,
        )

        assert started.subscription.status == SubscriptionStatus.INCOMPLETE
        assert started.action is not None
        assert completed.subscription.status == SubscriptionStatus.TRIALING
        assert CardSetup.objects.get().status == "SUCCEEDED"


class TestRefusals:
    def test_one_live_subscription_per_payer_and_plan(
        self, fake_gateway: FakeGateway
    ) -> None:
        plan = make_plan()
        first = subscribe_with_card(plan)

        with pytest.raises(AlreadySubscribed):
            subscribe_with_card(plan, payer_id=first.subscription.payer_id)

        assert Subscription.objects.count() == 1

    def test_the_database_refuses_a_second_live_one(
        self, fake_gateway: FakeGateway
    ) -> None:
        first = subscribe_with_card(make_plan()).subscription

        with pytest.raises(IntegrityError):
            Subscription.objects.create(
                payer_id=first.payer_id,
                plan_id=first.plan_id,
                price_id=first.price_id,
                gateway="fake",
                status=SubscriptionStatus.TRIALING,
                billing_anchor_at=START,
                current_period_starts_at=START,
                current_period_ends_at=START + dt.timedelta(days=1),
                created_at=START,
                updated_at=START,
            )

    def test_an_ended_subscription_lets_the_payer_subscribe_again(
        self, fake_gateway: FakeGateway
    ) -> None:
        plan = make_plan()
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No", hard=False)
        )
        expired = subscribe_with_card(plan).subscription

        again = subscribe_with_card(plan, payer_id=expired.payer_id)

        assert again.subscription.status == SubscriptionStatus.ACTIVE

    @pytest.mark.parametrize(
        ("options", "error"),
        [
            ({}, InvalidSubscriptionRequest),
            (
                {"card_payload": "sbx1:x", "payment_method_id": uuid.uuid4()},
                InvalidSubscriptionRequest,
            ),
            ({"card_payload": "sbx1:x", "plan_code": "nope"}, PlanNotFound),
            ({"card_payload": "sbx1:x", "time_zone": "Mars/Olympus"}, UnknownTimeZone),
        ],
    )
    def test_bad_requests_store_nothing(
        self,
        fake_gateway: FakeGateway,
        options: dict[str, object],
        error: type[DomainError],
    ) -> None:
        make_plan()
        arguments: dict[str, object] = {
            "payer_id": uuid.uuid4(),
            "plan_code": "monthly",
            "now": START,
            "actor": ACTOR,
            **options,
        }

        with pytest.raises(error):
            subscribe(**arguments)  # type: ignore[arg-type]

        assert Subscription.objects.count() == 0
        assert fake_gateway.calls_to("charge") == []

    def test_an_inactive_plan_takes_no_new_subscribers(
        self, fake_gateway: FakeGateway
    ) -> None:
        plan = make_plan()
        set_plan_active(plan_id=plan.id, active=False, now=START, actor=ACTOR)

        with pytest.raises(PlanInactive):
            subscribe_with_card(plan)

    def test_completing_an_unknown_subscription_is_not_found(self) -> None:
        with pytest.raises(SubscriptionNotFound):
            complete_subscription_3ds(
                subscription_id=uuid.uuid4(),
                authentication_result=None,
                now=START,
                actor=ACTOR,
            )


@pytest.fixture
def unreachable_stripe(settings: Settings) -> Iterator[None]:
    """The real Stripe adapter, pointed at a loopback port that nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    reset_gateways()
    yield
    reset_gateways()


class TestSubscribeWhileTheGatewayIsUnreachable:
    def test_a_payer_without_a_stripe_customer_can_try_again_at_once(
        self, unreachable_stripe: None
    ) -> None:
        """No Customer, so no charge was sent: the start fails now, and does not
        hold the plan INCOMPLETE for a day."""
        plan = make_plan(gateway="stripe")
        payer_id = uuid.uuid4()

        started = subscribe(
            payer_id=payer_id,
            plan_code=plan.code,
            now=START,
            actor=ACTOR,
            card_payload="pm_card_visa",
        )

        assert started.subscription.status == SubscriptionStatus.EXPIRED
        assert started.payment is not None
        assert started.payment.status == PaymentStatus.FAILED
        assert started.payment.failure_code == "gateway_unavailable"
        assert started.payment.cryptogram is None
        assert started.invoice is not None
        assert started.invoice.status == InvoiceStatus.VOID
        assert not Subscription.objects.filter(
            payer_id=payer_id, status__in=LIVE_STATUSES
        ).exists()
