"""Verifying and saving a card without charging it, against the in-memory gateway."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from billing.errors import InvalidStatusTransition
from billing.models import BillingEvent, StatusChange
from payments.gateways.base import (
    CardSetupResult,
    Declined,
    GatewayError,
    OutcomeUnknown,
    RequiresAction,
    ThreeDsChallenge,
    Unavailable,
)
from payments.gateways.fake import FakeGateway
from payments.models import CardSetup, CardSetupStatus, PaymentMethod
from payments.services import (
    CardSetupNotFound,
    complete_card_setup_3ds,
    expire_stale_payments,
)
from payments.signals import card_setup_status_changed
from tests.payments.factories import (
    ACTOR,
    NOW,
    PURPOSE,
    VERIFICATION_AMOUNT,
    pay_by_card,
    set_up_card,
    set_up_into_3ds_challenge,
)

pytestmark = pytest.mark.django_db


def _events(setup: CardSetup) -> list[str]:
    return list(
        BillingEvent.objects.filter(payload__card_setup_id=str(setup.id))
        .order_by("cursor")
        .values_list("type", flat=True)
    )


def _audit(setup: CardSetup) -> list[tuple[str, str]]:
    return list(
        StatusChange.objects.filter(object_type="card_setup", object_id=str(setup.id))
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def _complete(setup: CardSetup, result: str | None = "pares") -> CardSetup:
    return complete_card_setup_3ds(
        setup_id=setup.id, authentication_result=result, now=NOW, actor=ACTOR
    )


@pytest.fixture
def status_changes() -> Iterator[list[dict[str, Any]]]:
    """What `card_setup_status_changed` receivers are sent."""
    sent: list[dict[str, Any]] = []

    def receive(sender: object, **kwargs: Any) -> None:
        sent.append(kwargs)

    card_setup_status_changed.connect(receive)
    yield sent
    card_setup_status_changed.disconnect(receive)


class TestStartCardSetup:
    def test_a_verified_card_is_saved_as_default_and_the_cryptogram_wiped(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_card()

        setup.refresh_from_db()
        assert setup.status == CardSetupStatus.SUCCEEDED
        assert setup.succeeded_at == NOW
        assert setup.cryptogram is None and setup.cryptogram_expires_at is None
        method = PaymentMethod.objects.get(payer=setup.payer)
        assert setup.payment_method_id == method.id
        assert (method.last4, method.is_default, method.is_usable) == (
            "4242",
            True,
            True,
        )
        assert _audit(setup) == [(CardSetupStatus.PENDING, CardSetupStatus.SUCCEEDED)]
        assert _events(setup) == ["payment_method.verified"]

    def test_the_verified_event_names_the_card_and_the_purpose(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_card()

        event = BillingEvent.objects.get(type="payment_method.verified")
        method = setup.payment_method
        assert method is not None
        assert event.payload == {
            "card_setup_id": str(setup.id),
            "payer_id": str(setup.payer_id),
            "payment_method_id": str(method.id),
            "gateway": "fake",
            "brand": "Visa",
            "last4": "4242",
            "purpose": PURPOSE,
        }

    def test_sends_the_saved_key_our_reference_and_the_verification_amount(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_card()

        [call] = fake_gateway.calls_to("setup_card")
        request = call["request"]
        assert request.idempotency_key == setup.idempotency_key
        assert request.idempotency_key == f"card_setup:{setup.id}"
        assert request.reference == f"card_setup:{setup.id}"
        assert request.verification_amount == VERIFICATION_AMOUNT
        assert request.card.payload == "sbx1:cryptogram"
        assert request.payer.payer_id == setup.payer_id
        assert fake_gateway.calls_to("charge") == []

    def test_the_new_card_replaces_the_payers_default(
        self, fake_gateway: FakeGateway
    ) -> None:
        earlier = pay_by_card()

        setup = set_up_card(payer_id=earlier.payer_id)

        defaults = PaymentMethod.objects.filter(payer=setup.payer, is_default=True)
        assert [method.id for method in defaults] == [setup.payment_method_id]

    def test_a_decline_fails_with_the_gateways_reason_and_saves_nothing(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script(
            "setup_card",
            Declined(reason_code="5051", message="Insufficient funds", hard=False),
        )

        setup = set_up_card()

        assert setup.status == CardSetupStatus.FAILED
        assert setup.failed_at == NOW
        assert (setup.failure_code, setup.failure_message) == (
            "5051",
            "Insufficient funds",
        )
        assert setup.gateway_reference
        assert setup.cryptogram is None
        assert not PaymentMethod.objects.exists()
        assert _events(setup) == ["payment_method.verification_failed"]
        event = BillingEvent.objects.get(type="payment_method.verification_failed")
        assert event.payload["failure_code"] == "5051"
        assert event.payload["purpose"] == PURPOSE

    @pytest.mark.parametrize(
        ("error", "code"),
        [
            (OutcomeUnknown("reply lost"), "outcome_unknown"),
            (Unavailable("HTTP 503"), "gateway_unavailable"),
            (GatewayError("unreadable"), "gateway_error"),
        ],
    )
    def test_an_unclear_outcome_fails_and_asks_the_payer_to_try_again(
        self, fake_gateway: FakeGateway, error: GatewayError, code: str
    ) -> None:
        """No money is taken by a setup, so nothing waits for a janitor."""
        fake_gateway.script("setup_card", error)

        setup = set_up_card()

        assert setup.status == CardSetupStatus.FAILED
        assert setup.failure_code == code
        assert setup.failure_message == "Could not verify the card; try again."
        assert setup.cryptogram is None
        assert not PaymentMethod.objects.exists()
        assert _events(setup) == ["payment_method.verification_failed"]

    def test_a_retry_after_a_failure_is_a_new_setup_with_a_new_key(
        self, fake_gateway: FakeGateway
    ) -> None:
        fake_gateway.script("setup_card", Unavailable("HTTP 503"))
        failed = set_up_card()

        retry = set_up_card(payer_id=failed.payer_id)

        assert retry.status == CardSetupStatus.SUCCEEDED
        keys = [
            c["request"].idempotency_key for c in fake_gateway.calls_to("setup_card")
        ]
        assert keys == [failed.idempotency_key, retry.idempotency_key]
        assert failed.idempotency_key != retry.idempotency_key

    def test_a_challenge_waits_for_the_payer(self, fake_gateway: FakeGateway) -> None:
        setup = set_up_into_3ds_challenge(fake_gateway)

        assert setup.status == CardSetupStatus.REQUIRES_ACTION
        assert setup.gateway_reference == "tx-setup-3ds"
        assert setup.action == {
            "url": "https://acs.example/",
            "form_fields": {"PaReq": "pareq", "MD": "tx-setup-3ds"},
        }
        assert setup.cryptogram is None
        assert _audit(setup) == [
            (CardSetupStatus.PENDING, CardSetupStatus.REQUIRES_ACTION)
        ]
        assert _events(setup) == []

    def test_receivers_hear_of_each_change_after_commit(
        self,
        fake_gateway: FakeGateway,
        status_changes: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            setup = set_up_card()
        heard_before_commit = list(status_changes)
        for callback in callbacks:
            callback()

        assert heard_before_commit == []
        assert status_changes == [
            {
                "signal": card_setup_status_changed,
                "setup_id": setup.id,
                "purpose": PURPOSE,
                "from_status": CardSetupStatus.PENDING,
                "to_status": CardSetupStatus.SUCCEEDED,
            }
        ]


class TestCompleteCardSetup3ds:
    def test_success_after_the_challenge_saves_the_card(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_into_3ds_challenge(fake_gateway)

        completed = _complete(setup)

        assert completed.status == CardSetupStatus.SUCCEEDED
        assert completed.action is None
        method = PaymentMethod.objects.get(payer=setup.payer)
        assert completed.payment_method_id == method.id
        assert method.is_default
        [call] = fake_gateway.calls_to("complete_card_setup")
        assert call == {
            "gateway_reference": "tx-setup-3ds",
            "authentication_result": "pares",
            "verification_amount": VERIFICATION_AMOUNT,
        }
        assert _audit(setup) == [
            (CardSetupStatus.PENDING, CardSetupStatus.REQUIRES_ACTION),
            (CardSetupStatus.REQUIRES_ACTION, CardSetupStatus.SUCCEEDED),
        ]
        assert _events(setup) == ["payment_method.verified"]

    def test_failed_authentication_fails_the_setup(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_into_3ds_challenge(fake_gateway)
        fake_gateway.script(
            "complete_card_setup",
            Declined(reason_code="5206", message="Not authenticated", hard=False),
        )

        failed = _complete(setup)

        assert failed.status == CardSetupStatus.FAILED
        assert (failed.failure_code, failed.action) == ("5206", None)
        assert not PaymentMethod.objects.exists()
        assert _events(setup) == ["payment_method.verification_failed"]

    def test_completing_twice_asks_the_gateway_once(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_into_3ds_challenge(fake_gateway)

        first = _complete(setup)
        second = _complete(setup)

        assert first.status == second.status == CardSetupStatus.SUCCEEDED
        assert second.payment_method_id == first.payment_method_id
        assert len(fake_gateway.calls_to("complete_card_setup")) == 1
        assert PaymentMethod.objects.count() == 1
        assert _events(setup) == ["payment_method.verified"]

    def test_a_payer_who_has_not_answered_yet_keeps_the_challenge(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Stripe: the SetupIntent is read before the payer finished the challenge."""
        setup = set_up_into_3ds_challenge(fake_gateway)
        fake_gateway.script(
            "complete_card_setup",
            RequiresAction(
                ThreeDsChallenge(gateway_reference="tx-setup-3ds", url="https://acs/")
            ),
        )

        waiting = _complete(setup, result=None)
        completed = _complete(setup, result=None)

        assert waiting.status == CardSetupStatus.REQUIRES_ACTION
        assert waiting.action == {"url": "https://acs/", "form_fields": {}}
        assert completed.status == CardSetupStatus.SUCCEEDED
        assert len(fake_gateway.calls_to("complete_card_setup")) == 2

    def test_an_unknown_outcome_fails_the_setup(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_into_3ds_challenge(fake_gateway)
        fake_gateway.script("complete_card_setup", OutcomeUnknown("timeout"))

        failed = _complete(setup)

        assert failed.status == CardSetupStatus.FAILED
        assert failed.failure_message == "Could not verify the card; try again."
        assert not PaymentMethod.objects.exists()

    def test_a_setup_without_a_challenge_is_returned_as_it_stands(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_card()

        again = _complete(setup)

        assert again.status == CardSetupStatus.SUCCEEDED
        assert fake_gateway.calls_to("complete_card_setup") == []

    def test_an_unknown_setup_is_not_found(self, fake_gateway: FakeGateway) -> None:
        with pytest.raises(CardSetupNotFound):
            complete_card_setup_3ds(
                setup_id=uuid.uuid4(), authentication_result="x", now=NOW, actor=ACTOR
            )


class TestStaleCardSetups:
    def test_an_abandoned_challenge_fails_after_an_hour_and_not_before(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_into_3ds_challenge(fake_gateway)

        expire_stale_payments(now=NOW + dt.timedelta(minutes=59))
        waiting = CardSetup.objects.get(id=setup.id).status
        expire_stale_payments(now=NOW + dt.timedelta(hours=1))

        setup.refresh_from_db()
        assert waiting == CardSetupStatus.REQUIRES_ACTION
        assert setup.status == CardSetupStatus.FAILED
        assert (setup.failure_code, setup.action) == ("verification_abandoned", None)
        change = StatusChange.objects.get(
            object_type="card_setup",
            object_id=str(setup.id),
            to_status=CardSetupStatus.FAILED,
        )
        assert (change.actor, change.reason) == (
            "system:janitor",
            "verification abandoned",
        )
        assert _events(setup) == ["payment_method.verification_failed"]

    def test_an_interrupted_setup_is_wiped_then_fails(
        self, fake_gateway: FakeGateway
    ) -> None:
        """Saved, then the process died before the gateway's answer was applied."""
        setup = _interrupted_setup()

        wiped = expire_stale_payments(now=NOW + dt.timedelta(minutes=15))
        after_ttl = CardSetup.objects.get(id=setup.id)
        expire_stale_payments(now=NOW + dt.timedelta(hours=1))

        setup.refresh_from_db()
        assert wiped == 1
        assert (after_ttl.status, after_ttl.cryptogram) == (
            CardSetupStatus.PENDING,
            None,
        )
        assert setup.status == CardSetupStatus.FAILED
        assert setup.failure_code == "verification_abandoned"

    def test_a_late_answer_after_abandonment_changes_nothing(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = set_up_into_3ds_challenge(fake_gateway)
        expire_stale_payments(now=NOW + dt.timedelta(hours=1))

        late = _complete(setup)

        assert late.status == CardSetupStatus.FAILED
        assert fake_gateway.calls_to("complete_card_setup") == []
        assert not PaymentMethod.objects.exists()

    def test_a_success_that_arrives_after_abandonment_saves_no_card(
        self, fake_gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The janitor gave up while the payer's answer was with the gateway."""
        setup = set_up_into_3ds_challenge(fake_gateway)
        answer = fake_gateway.complete_card_setup

        def slow_answer(**kwargs: Any) -> CardSetupResult:
            expire_stale_payments(now=NOW + dt.timedelta(hours=2))
            return answer(**kwargs)

        monkeypatch.setattr(fake_gateway, "complete_card_setup", slow_answer)

        late = _complete(setup)

        assert late.status == CardSetupStatus.FAILED
        assert late.failure_code == "verification_abandoned"
        assert not PaymentMethod.objects.exists()
        assert _events(setup) == ["payment_method.verification_failed"]


class TestCardSetupModel:
    def test_a_final_setup_cannot_move(self, fake_gateway: FakeGateway) -> None:
        setup = set_up_card()

        with pytest.raises(InvalidStatusTransition):
            setup.transition_to(CardSetupStatus.FAILED, at=NOW)

    def test_the_idempotency_key_is_unique(self, fake_gateway: FakeGateway) -> None:
        setup = _interrupted_setup()

        with pytest.raises(IntegrityError), transaction.atomic():
            _interrupted_setup(idempotency_key=setup.idempotency_key)

    def test_a_succeeded_setup_must_name_its_card(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = _interrupted_setup()

        with pytest.raises(IntegrityError), transaction.atomic():
            CardSetup.objects.filter(id=setup.id).update(
                status=CardSetupStatus.SUCCEEDED
            )

    def test_the_cryptogram_is_stored_encrypted(
        self, fake_gateway: FakeGateway
    ) -> None:
        setup = _interrupted_setup()

        [stored] = CardSetup.objects.filter(id=setup.id).values_list(
            "cryptogram", flat=True
        )
        raw = _raw_cryptogram(setup)
        assert stored == "sbx1:cryptogram"
        assert raw.startswith("fernet:")
        assert "sbx1" not in raw


def _interrupted_setup(idempotency_key: str | None = None) -> CardSetup:
    """A setup saved before its gateway call, with no answer ever applied."""
    payer = pay_by_card().payer
    setup_id = uuid.uuid4()
    return CardSetup.objects.create(
        id=setup_id,
        payer=payer,
        gateway="fake",
        verification_amount_minor=VERIFICATION_AMOUNT.amount_minor,
        currency=VERIFICATION_AMOUNT.currency,
        idempotency_key=idempotency_key or f"card_setup:{setup_id}",
        cryptogram="sbx1:cryptogram",
        cryptogram_expires_at=NOW + dt.timedelta(minutes=15),
        created_at=NOW,
        updated_at=NOW,
    )


def _raw_cryptogram(setup: CardSetup) -> str:
    table = connection.ops.quote_name(CardSetup._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT cryptogram FROM {table} WHERE id = %s",  # noqa: S608 - our table
            [setup.id.hex if connection.vendor == "sqlite" else setup.id],
        )
        (raw,) = cursor.fetchone()
    return str(raw)
