"""The outcome pipeline both kinds of card attempt share: payments and card setups.

Each test runs for a first payment and for a card setup: the same input is refused
with the same error, and the same gateway answer leads to the same handling, except
where the kinds differ on purpose (an unclear outcome: a payment may have moved
money and waits for the janitor, a setup moved none and fails).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from billing.errors import NotFound
from billing.models import BillingEvent, StatusChange
from billing.money import Money
from payments.gateways import reset_gateways
from payments.gateways.base import (
    Declined,
    GatewayError,
    OutcomeUnknown,
    RequiresAction,
    ThreeDsChallenge,
    Unavailable,
)
from payments.gateways.fake import FakeGateway
from payments.models import CardSetup, CardSetupStatus, Payment, PaymentStatus
from payments.services import (
    AmountNotPositive,
    CardMissing,
    CardNumberRefused,
    CardPayloadRefused,
    GatewayNotConfigured,
    InvalidCardAttempt,
    complete_3ds,
    complete_card_setup_3ds,
    start_card_payment,
    start_card_setup,
)
from tests.payments.factories import ACTOR, AMOUNT, NOW

pytestmark = pytest.mark.django_db

Attempt = Payment | CardSetup


@dataclass(frozen=True)
class Kind:
    """How a test drives one kind of attempt through the fake gateway."""

    name: str
    model: type[Payment] | type[CardSetup]
    # The fake gateway's methods that start an attempt and finish its 3-D Secure.
    start_call: str
    complete_call: str
    start: Callable[..., Attempt]
    complete: Callable[[uuid.UUID], Attempt]
    subject: str
    succeeded: str
    failed: str
    requires_action: str
    # The status an unclear gateway outcome leaves the attempt in.
    unclear: str
    failed_event: str


def _start_payment(**changes: Any) -> Payment:
    arguments: dict[str, Any] = {
        "payer_id": uuid.uuid4(),
        "gateway": "fake",
        "amount": AMOUNT,
        "card_payload": "sbx1:cryptogram",
        "now": NOW,
        "actor": ACTOR,
    }
    return start_card_payment(**{**arguments, **changes})


def _start_setup(**changes: Any) -> CardSetup:
    arguments: dict[str, Any] = {
        "payer_id": uuid.uuid4(),
        "gateway": "fake",
        "verification_amount": changes.pop("amount", AMOUNT),
        "card_payload": "sbx1:cryptogram",
        "now": NOW,
        "actor": ACTOR,
    }
    return start_card_setup(**{**arguments, **changes})


def _complete_payment(payment_id: uuid.UUID) -> Payment:
    return complete_3ds(
        payment_id=payment_id, authentication_result="pares", now=NOW, actor=ACTOR
    )


def _complete_setup(setup_id: uuid.UUID) -> CardSetup:
    return complete_card_setup_3ds(
        setup_id=setup_id, authentication_result="pares", now=NOW, actor=ACTOR
    )


PAYMENT = Kind(
    name="payment",
    model=Payment,
    start_call="charge",
    complete_call="complete_3ds",
    start=_start_payment,
    complete=_complete_payment,
    subject="payment",
    succeeded=PaymentStatus.SUCCEEDED,
    failed=PaymentStatus.FAILED,
    requires_action=PaymentStatus.REQUIRES_ACTION,
    unclear=PaymentStatus.UNKNOWN,
    failed_event="payment.failed",
)
CARD_SETUP = Kind(
    name="card_setup",
    model=CardSetup,
    start_call="setup_card",
    complete_call="complete_card_setup",
    start=_start_setup,
    complete=_complete_setup,
    subject="card_setup",
    succeeded=CardSetupStatus.SUCCEEDED,
    failed=CardSetupStatus.FAILED,
    requires_action=CardSetupStatus.REQUIRES_ACTION,
    unclear=CardSetupStatus.FAILED,
    failed_event="payment_method.verification_failed",
)


@pytest.fixture(params=[PAYMENT, CARD_SETUP], ids=lambda kind: kind.name)
def kind(request: pytest.FixtureRequest) -> Kind:
    chosen: Kind = request.param
    return chosen


def _challenge() -> RequiresAction:
    return RequiresAction(
        ThreeDsChallenge(
            gateway_reference="tx-3ds",
            url="https://acs.example/",
            form_fields={"PaReq": "pareq", "MD": "tx-3ds"},
        )
    )


def _audit(kind: Kind, attempt: Attempt) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(object_type=kind.subject, object_id=str(attempt.id))
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def _event_types(attempt: Attempt) -> list[str]:
    return list(
        BillingEvent.objects.filter(payer_id=attempt.payer_id)
        .order_by("cursor")
        .values_list("type", flat=True)
    )


class TestBadInput:
    @pytest.mark.parametrize(
        ("changes", "error"),
        [
            ({"gateway": "nowhere"}, GatewayNotConfigured),
            ({"card_payload": ""}, CardMissing),
            ({"amount": Money(0, "RUB")}, AmountNotPositive),
            ({"amount": Money(-100, "RUB")}, AmountNotPositive),
        ],
    )
    def test_is_refused_with_the_same_error_before_anything_is_saved(
        self,
        kind: Kind,
        fake_gateway: FakeGateway,
        changes: dict[str, Any],
        error: type[InvalidCardAttempt],
    ) -> None:
        with pytest.raises(error) as raised:
            kind.start(**changes)

        assert raised.value.http_status == 422
        assert not kind.model.objects.exists()
        assert fake_gateway.calls == []

    @pytest.mark.parametrize(
        ("payload", "error"),
        [
            ("4242 4242 4242 4242", CardNumberRefused),
            ("not-a-gateway-payload", CardPayloadRefused),
        ],
    )
    def test_a_card_number_or_foreign_payload_is_refused_whatever_the_interface(
        self,
        kind: Kind,
        fake_gateway: FakeGateway,
        payload: str,
        error: type[CardPayloadRefused],
    ) -> None:
        """The check is the service's, not only the checkout page's."""
        with pytest.raises(error) as raised:
            kind.start(card_payload=payload)

        assert raised.value.http_status == 422
        assert payload not in str(raised.value)
        assert not kind.model.objects.exists()
        assert fake_gateway.calls == []

    def test_an_unconfigured_gateway_is_a_domain_error_not_a_lookup(
        self, kind: Kind, fake_gateway: FakeGateway, settings: Settings
    ) -> None:
        settings.PAYMENT_GATEWAYS = {}
        reset_gateways()

        with pytest.raises(GatewayNotConfigured) as raised:
            kind.start()

        assert raised.value.code == "gateway_not_configured"
        assert raised.value.extra == {"gateway": "fake"}


class TestDecline:
    def test_fails_the_attempt_with_the_gateways_reason(
        self, kind: Kind, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            kind.start_call,
            Declined(reason_code="insufficient_funds", message="No money.", hard=False),
        )

        attempt = kind.start()

        assert attempt.status == kind.failed
        assert attempt.failure_code == "insufficient_funds"
        assert attempt.failure_message == "No money."
        assert attempt.cryptogram is None
        assert _audit(kind, attempt) == [("PENDING", kind.failed)]
        assert kind.failed_event in _event_types(attempt)


class TestGatewayUnavailable:
    def test_fails_the_attempt_since_nothing_was_done(
        self, kind: Kind, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(kind.start_call, Unavailable("down"))

        attempt = kind.start()

        assert attempt.status == kind.failed
        assert attempt.failure_code == "gateway_unavailable"
        assert attempt.cryptogram is None


class TestUnclearOutcome:
    @pytest.mark.parametrize(
        "error", [OutcomeUnknown("timeout"), GatewayError("unreadable")]
    )
    def test_leaves_a_payment_to_the_janitor_and_fails_a_setup(
        self, kind: Kind, fake_gateway: FakeGateway, error: GatewayError
    ) -> None:
        fake_gateway.script(kind.start_call, error)

        attempt = kind.start()

        assert attempt.status == kind.unclear
        assert attempt.cryptogram is None
        assert _audit(kind, attempt) == [("PENDING", kind.unclear)]
        if isinstance(attempt, Payment):
            assert attempt.next_outcome_check_at is not None
        else:
            assert attempt.failure_code in ("outcome_unknown", "gateway_error")


class TestThreeDs:
    def test_a_challenge_waits_for_the_payer_then_completes(
        self, kind: Kind, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(kind.start_call, _challenge())
        challenged = kind.start()

        completed = kind.complete(challenged.id)

        assert challenged.status == kind.requires_action
        assert challenged.action == {
            "url": "https://acs.example/",
            "form_fields": {"PaReq": "pareq", "MD": "tx-3ds"},
        }
        assert completed.status == kind.succeeded
        assert completed.action is None
        assert _audit(kind, completed) == [
            ("PENDING", kind.requires_action),
            (kind.requires_action, kind.succeeded),
        ]

    def test_a_failed_authentication_fails_the_attempt(
        self, kind: Kind, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(kind.start_call, _challenge())
        challenged = kind.start()
        fake_gateway.script(
            kind.complete_call,
            Declined(reason_code="3ds_failed", message="Not you.", hard=False),
        )

        completed = kind.complete(challenged.id)

        assert completed.status == kind.failed
        assert completed.failure_code == "3ds_failed"

    def test_completing_twice_asks_the_gateway_once(
        self, kind: Kind, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(kind.start_call, _challenge())
        challenged = kind.start()

        first = kind.complete(challenged.id)
        second = kind.complete(challenged.id)

        assert first.status == second.status == kind.succeeded
        assert len(fake_gateway.calls_to(kind.complete_call)) == 1
        assert len(_audit(kind, second)) == 2

    def test_an_unknown_attempt_is_not_found(
        self, kind: Kind, fake_gateway: FakeGateway
    ) -> None:
        with pytest.raises(NotFound):
            kind.complete(uuid.uuid4())

    def test_a_gateway_no_longer_configured_keeps_the_challenge(
        self, kind: Kind, fake_gateway: FakeGateway, settings: Settings
    ) -> None:
        fake_gateway.script(kind.start_call, _challenge())
        challenged = kind.start()
        settings.PAYMENT_GATEWAYS = {}
        reset_gateways()

        with pytest.raises(GatewayNotConfigured):
            kind.complete(challenged.id)

        challenged.refresh_from_db()
        assert challenged.status == kind.requires_action
        assert challenged.action is not None
