"""The support API holds up against generated input: every operation of its OpenAPI
schema, as support and as accounting staff (see `tests/api_fuzzing.py`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from django.conf import LazySettings
from rest_framework.throttling import SimpleRateThrottle

from accounts.roles import ACCOUNTING, SUPPORT
from billing.clock import billing_now
from billing.models import Invoice
from billing.money import Money
from billing.services import mark_invoice_uncollectible, void_invoice
from payments.gateways.fake import FakeGateway
from payments.models import Payment
from subscriptions.models import Plan, Subscription
from subscriptions.services import cancel_subscription, change_plan
from tests.api_fuzzing import ApiFuzzer, InProcessRequests, load_schema
from tests.billing.factories import ACTOR, NOW, issue, line
from tests.payments import staff
from tests.payments.factories import (
    CheckoutSessionFactory,
    RefundFactory,
    pay_by_card,
    pay_into_3ds_challenge,
)
from tests.snacks.factories import SnackFactory
from tests.subscriptions import scenarios
from tests.subscriptions.factories import make_plan, subscribe_with_card

# On PostgreSQL only: NUL bytes and integer overflow fail there and not on SQLite,
# while the answers' shapes do not depend on the database. A role's 1,200 requests
# take about two minutes beside the SQLite pass: more than the suite's usual limit.
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.timeout(360),
]

# Two roles, at least 1,000 cases in all (about 1,200 each at the default size).
MINIMUM_CASES_PER_ROLE = 500


class _Unlimited(dict[str, Any]):
    """Throttle rates in which every scope is unlimited (a rate of None)."""

    def __missing__(self, scope: str) -> None:
        return None


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """No throttling: the fuzz asks far more than a person would.

    DRF reads the rates into the throttle class when it is imported, so overriding
    the setting would not reach it; a throttled answer would still be checked (429 in
    the error shape), but the operation behind it would go untested.
    """
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", _Unlimited())


@pytest.fixture
def in_process(settings: LazySettings) -> Iterator[None]:
    # The WSGI test client of schemathesis names this host.
    settings.ALLOWED_HOSTS = ["localhost"]
    with InProcessRequests():
        yield


@pytest.fixture
def chosen_values(fake_gateway: FakeGateway) -> Mapping[str, Sequence[Any]]:
    """Ids of rows in the states that staff act on, and other values worth sending,
    by the names the API gives them."""
    plan = make_plan(code="monthly")
    trial_plan = make_plan(code="trial", trial_days=14)
    premium = make_plan(code="premium", price=Money(199_900, "RUB"))
    subscriptions = [
        scenarios.active(plan),
        scenarios.past_due(fake_gateway, plan),
        scenarios.paused(plan),
        scenarios.canceling(plan),
        subscribe_with_card(trial_plan).subscription,
        _downgrading(premium, to=plan),
        _canceled(plan),
    ]
    refunded = RefundFactory.create().payment
    authorized = pay_by_card(capture=False)
    pay_into_3ds_challenge(fake_gateway)
    sessions = [CheckoutSessionFactory.create(), CheckoutSessionFactory.create()]
    voided, written_off = issue(authorized.payer_id), issue(authorized.payer_id)
    void_invoice(invoice_id=voided.id, at=NOW, actor=ACTOR, reason="duplicate")
    mark_invoice_uncollectible(
        invoice_id=written_off.id, at=NOW, actor=ACTOR, reason="gone"
    )
    issue(refunded.payer_id, line(Money(99_900, "USD")), currency="USD")
    issue(refunded.payer_id, line(Money(99_900, "RUB")), line(Money(-9_900, "RUB")))
    # In the order made, so that the same seed picks rows in the same states.
    payers = [
        str(payer_id)
        for payer_id in (
            *(subscription.payer_id for subscription in subscriptions),
            refunded.payer_id,
            authorized.payer_id,
        )
    ]
    payments = Payment.objects.order_by("created_at", "kind", "status")
    invoices = Invoice.objects.order_by("pk")
    subscription_ids = [str(subscription.id) for subscription in subscriptions]
    snack_ids = [
        str(SnackFactory.create(name="Twix").id),
        str(SnackFactory.create(name="Mars", retired_at=NOW).id),
    ]
    return {
        "payer_id": payers,
        "payer": payers,
        "payment_id": [str(pk) for pk in payments.values_list("pk", flat=True)],
        "subscription_id": subscription_ids,
        "subscription": subscription_ids,
        "invoice_id": list(invoices.values_list("pk", flat=True)),
        "session_id": [str(session.id) for session in sessions],
        "plan": [plan.code, trial_plan.code],
        "snack_id": snack_ids,
        "kind": ["like", "hate"],
        "currency": ["RUB", "USD"],
        # A folder of the zone database is no zone.
        "time_zone": ["Europe/Moscow", "Europe"],
        "success_url": ["https://cinema.example/welcome"],
        "failure_url": ["https://cinema.example/sorry"],
    }


def _downgrading(plan: Plan, *, to: Plan) -> Subscription:
    """ACTIVE, moving to a cheaper plan at the end of its period."""
    subscription = scenarios.active(plan)
    change_plan(
        subscription_id=subscription.id,
        plan_code=to.code,
        now=billing_now(),
        actor=ACTOR,
    )
    return subscription


def _canceled(plan: Plan) -> Subscription:
    """CANCELED now, its unused part refunded."""
    subscription = scenarios.active(plan)
    return cancel_subscription(
        subscription_id=subscription.id,
        now=billing_now(),
        actor=ACTOR,
        at_period_end=False,
        refund_unused=True,
        reason="moving abroad",
    ).subscription


@pytest.mark.usefixtures("unthrottled", "in_process")
class TestApiFuzz:
    @pytest.mark.parametrize("role", [SUPPORT, ACCOUNTING])
    def test_no_operation_answers_a_server_error_or_an_error_out_of_shape(
        self, role: str, chosen_values: Mapping[str, Sequence[Any]]
    ) -> None:
        """Every operation, called with schemathesis' coverage and generated cases,
        answers without a 5xx, each error in the one error shape, with a documented
        status code and a body that matches the schema, and refuses what it allowed
        once the credentials are taken away or spoiled."""
        fuzzer = ApiFuzzer(
            schema=load_schema(),
            token=staff.token_for(staff.staff(role)),
            chosen=chosen_values,
        )

        fuzzer.run()

        if fuzzer.report.failures:
            pytest.fail(fuzzer.report.summary(), pytrace=False)
        assert fuzzer.report.cases >= MINIMUM_CASES_PER_ROLE
