"""Hosted checkout of a plan on the in-memory gateway: the subscription starts with
the page, and follows the page's payment or card check through the signals."""

from __future__ import annotations

import datetime as dt
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from billing.clock import billing_now
from billing.models import BillingReason, Invoice, InvoiceStatus, Payer
from billing.money import Money
from payments.gateways.base import (
    Declined,
    OutcomeUnknown,
    RequiresAction,
    ThreeDsChallenge,
)
from payments.gateways.fake import FakeGateway
from payments.models import (
    CardSetup,
    CardSetupStatus,
    CheckoutSession,
    CheckoutSessionMode,
    CheckoutSessionStatus,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.services import (
    CHECKOUT_SESSION_SETTLES_WITHIN,
    InvalidCheckoutSession,
    expire_checkout_sessions,
    settle_unknown_payments,
)
from subscriptions.models import Subscription, SubscriptionStatus
from subscriptions.services import (
    AlreadySubscribed,
    PlanCheckout,
    PlanInactive,
    PlanNotFound,
    UnknownTimeZone,
    open_plan_checkout,
    renew_due_subscriptions,
    set_plan_active,
)
from tests.subscriptions.factories import ACTOR, MONTHLY_PRICE, START, make_plan

pytestmark = pytest.mark.django_db

SUCCESS_URL = "https://cinema.example/welcome"
FAILURE_URL = "https://cinema.example/sorry"
ACS_URL = "https://acs.example/3ds"
CHALLENGE = RequiresAction(
    ThreeDsChallenge(
        gateway_reference="tx-3ds",
        url=ACS_URL,
        form_fields={"PaReq": "pareq", "MD": "tx-3ds"},
    )
)

Committing = Callable[..., AbstractContextManager[Any]]


@pytest.fixture
def committing(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> Iterator[Committing]:
    """Run what is deferred to the commit, as a real request's commit would: the
    payments' signals, the receivers and their (eager) tasks."""
    yield lambda: django_capture_on_commit_callbacks(execute=True)


def _open(
    plan_code: str = "monthly",
    *,
    now: dt.datetime | None = None,
    payer_id: uuid.UUID | None = None,
    **options: Any,
) -> PlanCheckout:
    return open_plan_checkout(
        payer_id=payer_id or uuid.uuid4(),
        plan_code=plan_code,
        success_url=SUCCESS_URL,
        failure_url=FAILURE_URL,
        created_by=ACTOR,
        now=now or billing_now(),
        **options,
    )


def _pay(checkout: PlanCheckout, payload: str = "sbx1:card") -> Any:
    return Client().post(
        f"/checkout/{checkout.session.id}/pay", {"card_payload": payload}
    )


def _at_the_bank(
    fake_gateway: FakeGateway, committing: Committing
) -> tuple[PlanCheckout, Any]:
    """A plan's page paid with a card that the bank challenges: the page's payment
    waits for 3-D Secure. Returns the checkout and the page's reply (to the ACS)."""
    fake_gateway.script("charge", CHALLENGE)
    make_plan()
    checkout = _open()
    with committing():
        to_acs = _pay(checkout)
    return checkout, to_acs


def _redirect(response: Any) -> tuple[str, dict[str, str]]:
    assert response.status_code == 302, response.content
    parts = urllib.parse.urlsplit(response["Location"])
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return base, dict(urllib.parse.parse_qsl(parts.query))


def _reloaded(checkout: PlanCheckout) -> tuple[CheckoutSession, Subscription]:
    return (
        CheckoutSession.objects.get(id=checkout.session.id),
        Subscription.objects.get(id=checkout.subscription.id),
    )


class TestOpenPlanCheckout:
    def test_without_a_trial_the_page_pays_the_first_invoice(self) -> None:
        make_plan(name="Cinema Monthly")

        checkout = _open(now=START)

        session, subscription, invoice = (
            checkout.session,
            checkout.subscription,
            checkout.invoice,
        )
        assert subscription.status == SubscriptionStatus.INCOMPLETE
        assert invoice is not None
        assert invoice.status == InvoiceStatus.OPEN
        assert invoice.billing_reason == BillingReason.SUBSCRIPTION_CREATE
        assert invoice.subscription_id == subscription.id
        assert session.mode == CheckoutSessionMode.PAYMENT
        assert session.pays == f"invoice:{invoice.id}"
        assert session.setup_purpose == ""
        assert session.amount == invoice.total == MONTHLY_PRICE
        assert session.gateway == "fake"
        assert session.payer_id == subscription.payer_id
        assert session.description == "Cinema Monthly: 999.00 RUB per month"
        assert (session.success_url, session.failure_url) == (SUCCESS_URL, FAILURE_URL)
        assert session.created_by == ACTOR

    def test_with_a_trial_the_page_checks_a_card_and_charges_nothing(self) -> None:
        make_plan(name="Cinema", trial_days=14)

        checkout = _open(now=START, time_zone="Europe/Moscow")

        session, subscription = checkout.session, checkout.subscription
        assert checkout.invoice is None
        assert not Invoice.objects.exists()
        assert subscription.status == SubscriptionStatus.INCOMPLETE
        assert subscription.trial_ends_at == START + dt.timedelta(days=14)
        assert session.mode == CheckoutSessionMode.CARD_SETUP
        assert session.setup_purpose == f"subscription:{subscription.id}"
        assert session.pays == ""
        assert session.amount == Money(100, "RUB")
        assert session.description == (
            "Cinema: the trial ends on 14 February 2026, then 999.00 RUB per month"
        )

    def test_the_trial_can_be_skipped(self) -> None:
        make_plan(trial_days=14)

        checkout = _open(with_trial=False)

        assert checkout.session.mode == CheckoutSessionMode.PAYMENT
        assert checkout.invoice is not None
        assert checkout.subscription.trial_ends_at is None

    def test_the_price_per_period_names_a_longer_period(self) -> None:
        make_plan(code="quarterly", name="Quarter", interval_count=3)

        checkout = _open("quarterly")

        assert checkout.session.description == "Quarter: 999.00 RUB per 3 months"

    def test_the_subscription_waits_as_long_as_the_page_can_be_used(self) -> None:
        """Then the renewal run expires it, so that the payer can start again."""
        make_plan()

        checkout = _open(now=START)

        assert checkout.subscription.due_at == (
            checkout.session.expires_at + CHECKOUT_SESSION_SETTLES_WITHIN
        )

    def test_a_payer_already_subscribed_is_refused_and_nothing_is_stored(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        make_plan()
        first = _open()
        with committing():
            _pay(first)
        counts = _counts()

        with pytest.raises(AlreadySubscribed):
            _open(payer_id=first.subscription.payer_id)

        assert _counts() == counts
        assert _reloaded(first)[1].status == SubscriptionStatus.ACTIVE

    def test_a_page_in_use_keeps_its_subscription_and_a_new_one_is_refused(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        """The payer is at the bank's 3-D Secure page: the first page is not left."""
        first, _ = _at_the_bank(fake_gateway, committing)
        counts = _counts()

        with pytest.raises(AlreadySubscribed):
            _open(payer_id=first.subscription.payer_id)

        session, subscription = _reloaded(first)
        assert _counts() == counts
        assert session.status == CheckoutSessionStatus.OPEN
        assert subscription.status == SubscriptionStatus.INCOMPLETE

    def test_a_page_left_unused_gives_way_to_a_new_one(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        make_plan()
        first = _open()

        second = _open(payer_id=first.subscription.payer_id)

        session, subscription = _reloaded(first)
        assert session.status == CheckoutSessionStatus.EXPIRED
        assert subscription.status == SubscriptionStatus.EXPIRED
        assert subscription.due_at is None
        assert first.invoice is not None and second.invoice is not None
        assert Invoice.objects.get(id=first.invoice.id).status == InvoiceStatus.VOID
        assert second.subscription.status == SubscriptionStatus.INCOMPLETE
        assert second.invoice.status == InvoiceStatus.OPEN
        # The old page takes no money any more; the new one does.
        with committing():
            assert _pay(first).status_code == 410
            _pay(second)
        assert len(fake_gateway.calls_to("charge")) == 1
        assert _reloaded(second)[1].status == SubscriptionStatus.ACTIVE

    def test_an_unused_trial_page_gives_way_to_a_new_one(
        self, fake_gateway: FakeGateway
    ) -> None:
        make_plan(trial_days=14)
        first = _open(now=START)

        second = _open(
            now=START + dt.timedelta(minutes=5), payer_id=first.subscription.payer_id
        )

        session, subscription = _reloaded(first)
        assert session.status == CheckoutSessionStatus.EXPIRED
        assert subscription.status == SubscriptionStatus.EXPIRED
        assert second.session.mode == CheckoutSessionMode.CARD_SETUP
        assert second.subscription.status == SubscriptionStatus.INCOMPLETE
        assert Invoice.objects.count() == 0

    @pytest.mark.parametrize(
        ("arguments", "error"),
        [
            ({"plan_code": "nope"}, PlanNotFound),
            ({"plan_code": "retired"}, PlanInactive),
            ({"time_zone": "Mars/Olympus"}, UnknownTimeZone),
            ({"success_url": "javascript:alert(1)"}, InvalidCheckoutSession),
        ],
    )
    def test_bad_requests_store_nothing(
        self, arguments: dict[str, Any], error: type[Exception]
    ) -> None:
        make_plan()
        retired = make_plan(code="retired", price=Money(10_000, "RUB"))
        set_plan_active(plan_id=retired.id, active=False, now=START, actor=ACTOR)
        counts = _counts()
        payer_id = uuid.uuid4()

        with pytest.raises(error):
            open_plan_checkout(
                **{
                    "payer_id": payer_id,
                    "plan_code": "monthly",
                    "success_url": SUCCESS_URL,
                    "failure_url": FAILURE_URL,
                    "created_by": ACTOR,
                    "now": START,
                    **arguments,
                }
            )

        assert _counts() == counts
        assert not Payer.objects.filter(id=payer_id).exists()


def _counts() -> tuple[int, int, int, int]:
    return (
        Subscription.objects.count(),
        Invoice.objects.count(),
        CheckoutSession.objects.count(),
        Payer.objects.count(),
    )


class TestPayingForAPlan:
    def test_a_card_pays_the_first_invoice_and_activates_the_subscription(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        make_plan()
        checkout = _open()

        with committing():
            response = _pay(checkout)

        assert _redirect(response) == (
            SUCCESS_URL,
            {"checkout": str(checkout.session.id), "status": "succeeded"},
        )
        session, subscription = _reloaded(checkout)
        payment = Payment.objects.get()
        assert checkout.invoice is not None
        assert payment.pays == f"invoice:{checkout.invoice.id}"
        assert payment.kind == PaymentKind.INITIAL
        assert payment.status == PaymentStatus.SUCCEEDED
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.payment_id == payment.id
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.payment_method_id == payment.payment_method_id
        assert subscription.due_at == subscription.current_period_ends_at
        assert Invoice.objects.get().status == InvoiceStatus.PAID
        [call] = fake_gateway.calls_to("charge")
        assert call["request"].amount == MONTHLY_PRICE

    def test_a_declined_card_expires_the_subscription_and_voids_the_invoice(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        fake_gateway.script(
            "charge", Declined(reason_code="5051", message="No funds", hard=False)
        )
        make_plan()
        checkout = _open()

        with committing():
            response = _pay(checkout)

        base, query = _redirect(response)
        assert (base, query["reason"]) == (FAILURE_URL, "5051")
        session, subscription = _reloaded(checkout)
        assert session.status == CheckoutSessionStatus.FAILED
        assert subscription.status == SubscriptionStatus.EXPIRED
        assert Invoice.objects.get().status == InvoiceStatus.VOID

    def test_3ds_activates_the_subscription_when_the_payer_comes_back(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        checkout, to_acs = _at_the_bank(fake_gateway, committing)
        assert f'action="{ACS_URL}"' in to_acs.content.decode()
        assert _reloaded(checkout)[1].status == SubscriptionStatus.INCOMPLETE

        with committing():
            # The browser that paid: only it may finish the 3-D Secure step.
            back = to_acs.client.post(
                f"/checkout/{checkout.session.id}/3ds",
                {"MD": "tx-3ds", "PaRes": "pares"},
            )

        assert _redirect(back)[1]["status"] == "succeeded"
        session, subscription = _reloaded(checkout)
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert Invoice.objects.get().status == InvoiceStatus.PAID

    def test_a_double_submit_charges_once(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        make_plan()
        checkout = _open()
        with committing():
            _pay(checkout)

        with committing():
            again = _pay(checkout)

        assert again.status_code == 410
        assert len(fake_gateway.calls_to("charge")) == 1
        assert Payment.objects.count() == 1
        assert _reloaded(checkout)[1].status == SubscriptionStatus.ACTIVE

    def test_a_payment_settled_later_completes_the_page_and_the_subscription(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        """The janitor's settlement reaches both through the payments' signal."""
        fake_gateway.script("charge", OutcomeUnknown("reply lost"))
        make_plan()
        now = billing_now()
        checkout = _open(now=now)
        with committing():
            waiting = _pay(checkout)
        assert waiting.status_code == 202
        assert _reloaded(checkout)[0].status == CheckoutSessionStatus.OPEN

        with committing():
            settle_unknown_payments(now=now + dt.timedelta(minutes=6))

        session, subscription = _reloaded(checkout)
        assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert Invoice.objects.get().status == InvoiceStatus.PAID

    def test_the_page_names_the_plan_and_its_price_per_period(self) -> None:
        make_plan(name="Cinema Monthly")
        checkout = _open()

        html = Client().get(f"/checkout/{checkout.session.id}/").content.decode()

        assert "<title>Pay 999.00 RUB</title>" in html
        assert "Cinema Monthly: 999.00 RUB per month" in html
        assert "Nothing is charged" not in html


class TestStartingATrial:
    def test_a_verified_card_starts_the_trial_without_a_charge(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        make_plan(trial_days=14)
        checkout = _open()

        with committing():
            response = _pay(checkout)

        assert _redirect(response)[0] == SUCCESS_URL
        session, subscription = _reloaded(checkout)
        setup = CardSetup.objects.get()
        assert setup.purpose == f"subscription:{subscription.id}"
        assert setup.status == CardSetupStatus.SUCCEEDED
        assert session.status == CheckoutSessionStatus.COMPLETED
        assert session.card_setup_id == setup.id
        assert subscription.status == SubscriptionStatus.TRIALING
        assert subscription.payment_method_id == setup.payment_method_id
        assert subscription.due_at == subscription.trial_ends_at
        assert fake_gateway.calls_to("charge") == []
        [call] = fake_gateway.calls_to("setup_card")
        assert call["request"].verification_amount == Money(100, "RUB")
        assert not Payment.objects.exists()
        assert not Invoice.objects.exists()

    def test_a_refused_card_expires_the_subscription(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        fake_gateway.script(
            "setup_card", Declined(reason_code="5054", message="Expired", hard=True)
        )
        make_plan(trial_days=14)
        checkout = _open()

        with committing():
            response = _pay(checkout)

        assert _redirect(response)[1]["reason"] == "5054"
        session, subscription = _reloaded(checkout)
        assert session.status == CheckoutSessionStatus.FAILED
        assert subscription.status == SubscriptionStatus.EXPIRED

    def test_3ds_on_the_card_check_starts_the_trial_on_the_way_back(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        fake_gateway.script("setup_card", CHALLENGE)
        make_plan(trial_days=14)
        checkout = _open()
        with committing():
            to_acs = _pay(checkout)
        assert _reloaded(checkout)[1].status == SubscriptionStatus.INCOMPLETE

        with committing():
            # The browser that paid: only it may finish the 3-D Secure step.
            back = to_acs.client.post(
                f"/checkout/{checkout.session.id}/3ds",
                {"MD": "tx-3ds", "PaRes": "pares"},
            )

        assert _redirect(back)[1]["status"] == "succeeded"
        assert _reloaded(checkout)[1].status == SubscriptionStatus.TRIALING
        assert fake_gateway.calls_to("charge") == []

    def test_a_double_submit_checks_the_card_once(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        make_plan(trial_days=14)
        checkout = _open()
        with committing():
            _pay(checkout)

        with committing():
            again = _pay(checkout)

        assert again.status_code == 410
        assert len(fake_gateway.calls_to("setup_card")) == 1

    def test_the_page_says_nothing_is_charged_and_when_the_trial_ends(self) -> None:
        make_plan(name="Cinema", trial_days=14)
        checkout = _open(now=billing_now())
        ends = checkout.subscription.trial_ends_at
        assert ends is not None

        html = Client().get(f"/checkout/{checkout.session.id}/").content.decode()

        assert "<title>Card check</title>" in html
        assert "Nothing is charged now" in html
        assert f"the trial ends on {ends.day} {ends:%B %Y}" in html
        assert "999.00 RUB per month" in html


class TestAnUnusedPage:
    def test_expires_and_then_its_subscription_expires_too(
        self, fake_gateway: FakeGateway
    ) -> None:
        make_plan()
        checkout = _open(now=START)
        due = checkout.subscription.due_at
        assert due is not None

        expired = expire_checkout_sessions(now=checkout.session.expires_at)
        renew_due_subscriptions(gateway="fake", clock=lambda: due)

        session, subscription = _reloaded(checkout)
        assert expired == 1
        assert session.status == CheckoutSessionStatus.EXPIRED
        assert subscription.status == SubscriptionStatus.EXPIRED
        assert Invoice.objects.get().status == InvoiceStatus.VOID
        assert fake_gateway.calls_to("charge") == []

    def test_an_expired_trial_page_lets_the_payer_start_again(
        self, fake_gateway: FakeGateway
    ) -> None:
        make_plan(trial_days=14)
        checkout = _open(now=START)
        due = checkout.subscription.due_at
        assert due is not None
        renew_due_subscriptions(gateway="fake", clock=lambda: due)

        again = _open(now=due, payer_id=checkout.subscription.payer_id)

        assert _reloaded(checkout)[1].status == SubscriptionStatus.EXPIRED
        assert again.subscription.status == SubscriptionStatus.INCOMPLETE

    def test_a_payment_still_unsettled_keeps_the_subscription_waiting(
        self, fake_gateway: FakeGateway, committing: Committing
    ) -> None:
        fake_gateway.script("charge", OutcomeUnknown("reply lost"))
        make_plan()
        checkout = _open()
        with committing():
            _pay(checkout)
        due = checkout.subscription.due_at
        assert due is not None

        renew_due_subscriptions(gateway="fake", clock=lambda: due)

        assert _reloaded(checkout)[1].status == SubscriptionStatus.INCOMPLETE
        assert Invoice.objects.get().status == InvoiceStatus.OPEN
