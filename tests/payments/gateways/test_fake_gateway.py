"""The in-memory gateway that unit tests of the services use."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid

import pytest

from billing.money import Money
from payments.gateways import get_gateway, reset_gateways
from payments.gateways.base import (
    ChargeRequest,
    ChargeResult,
    Declined,
    EnteredCard,
    GatewayError,
    InvalidSignature,
    OutcomeUnknown,
    PayerAccount,
    PaymentState,
    RequiresAction,
    SavedCard,
    ThreeDsChallenge,
    Unavailable,
)
from payments.gateways.fake import FakeGateway
from payments.gateways.fake_webhooks import SIGNATURE_HEADER

TEN = Money(1000, "RUB")
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway(now=lambda: NOW)


def request(
    key: str = "attempt:1",
    *,
    reference: str = "payment:1",
    capture: bool = True,
    source: EnteredCard | SavedCard | None = None,
) -> ChargeRequest:
    return ChargeRequest(
        reference=reference,
        idempotency_key=key,
        amount=TEN,
        payer=PayerAccount(payer_id=uuid.UUID(int=1)),
        source=source or EnteredCard("cryptogram"),
        capture=capture,
    )


def soft_decline() -> Declined:
    return Declined(reason_code="5051", message="Insufficient funds", hard=False)


class TestRegistry:
    def test_settings_name_the_fake(self) -> None:
        reset_gateways()

        gateway = get_gateway("fake")

        assert isinstance(gateway, FakeGateway)
        assert gateway.code == "fake"
        reset_gateways()


class TestCharge:
    def test_succeeds_by_default_and_records_the_call(self, fake: FakeGateway) -> None:
        result = fake.charge(request())

        assert result.state is PaymentState.SUCCEEDED
        assert result.amount == TEN
        assert result.token is not None
        assert fake.calls == [("charge", {"request": request()})]
        assert (
            fake.find_payment(reference="payment:1")
            == fake.payments[result.gateway_reference]
        )

    def test_a_saved_card_keeps_its_token(self, fake: FakeGateway) -> None:
        result = fake.charge(request(source=SavedCard("tok_saved")))

        assert result.token == "tok_saved"

    def test_scripted_answers_are_used_in_order_then_success(
        self, fake: FakeGateway
    ) -> None:
        fake.script("charge", soft_decline(), Unavailable("down"))

        with pytest.raises(Declined):
            fake.charge(request("a"))
        with pytest.raises(Unavailable):
            fake.charge(request("b"))
        third = fake.charge(request("c"))

        assert third.state is PaymentState.SUCCEEDED
        assert len(fake.calls_to("charge")) == 3

    def test_a_scripted_decline_leaves_a_declined_payment(
        self, fake: FakeGateway
    ) -> None:
        fake.script("charge", soft_decline())

        with pytest.raises(Declined) as raised:
            fake.charge(request())

        found = fake.find_payment(reference="payment:1")
        assert found is not None
        assert (found.state, found.decline_code) == (PaymentState.DECLINED, "5051")
        assert found.gateway_reference == raised.value.gateway_reference

    def test_unavailable_changes_nothing_and_a_retry_goes_through(
        self, fake: FakeGateway
    ) -> None:
        fake.script("charge", Unavailable("503"))

        with pytest.raises(Unavailable):
            fake.charge(request())
        assert fake.payments == {}
        result = fake.charge(request())

        assert result.state is PaymentState.SUCCEEDED
        assert len(fake.payments) == 1

    def test_an_unknown_outcome_was_carried_out_and_replays(
        self, fake: FakeGateway
    ) -> None:
        fake.script("charge", OutcomeUnknown("timeout"))

        with pytest.raises(OutcomeUnknown):
            fake.charge(request())
        found = fake.find_payment(reference="payment:1")
        repeated = fake.charge(request())

        assert found is not None
        assert found.state is PaymentState.SUCCEEDED
        assert repeated.gateway_reference == found.gateway_reference
        assert len(fake.payments) == 1

    def test_a_repeated_key_answers_the_first_answer_and_charges_once(
        self, fake: FakeGateway
    ) -> None:
        first = fake.charge(request("same"))
        fake.script("charge", soft_decline())

        second = fake.charge(request("same"))

        assert second == first
        assert len(fake.payments) == 1
        assert len(fake.calls_to("charge")) == 2

    def test_a_repeated_key_repeats_a_decline(self, fake: FakeGateway) -> None:
        fake.script("charge", soft_decline())
        with pytest.raises(Declined):
            fake.charge(request("same"))

        with pytest.raises(Declined):
            fake.charge(request("same"))

        assert len(fake.payments) == 1

    def test_a_scripted_result_is_returned_naming_the_request(
        self, fake: FakeGateway
    ) -> None:
        """What the script leaves unsaid is reported as the request said it."""
        scripted = ChargeResult("gw_1", PaymentState.AUTHORIZED, TEN, token="tok_x")
        fake.script("charge", scripted)

        result = fake.charge(request())

        assert result == dataclasses.replace(
            scripted, reference="payment:1", account=str(uuid.UUID(int=1))
        )
        assert fake.payments["gw_1"].state is PaymentState.AUTHORIZED

    def test_a_scripted_result_reports_another_amount_and_account(
        self, fake: FakeGateway
    ) -> None:
        """A script can make the gateway report what the request did not ask."""
        less = Money(100, "RUB")
        scripted = ChargeResult(
            "gw_1", PaymentState.SUCCEEDED, less, reference="payment:2", account="x"
        )
        fake.script("charge", scripted)

        result = fake.charge(request())

        assert (result.amount, result.reference, result.account) == (
            less,
            "payment:2",
            "x",
        )
        found = fake.find_payment(reference="payment:1")
        assert found is not None
        assert (found.captured, found.account) == (less, "x")

    def test_only_gateway_calls_can_be_scripted(self, fake: FakeGateway) -> None:
        with pytest.raises(ValueError):
            fake.script("chrage", soft_decline())


class TestThreeDSecure:
    def test_requires_action_then_completes(self, fake: FakeGateway) -> None:
        challenge = ThreeDsChallenge(gateway_reference="3ds_1", url="https://acs")
        fake.script("charge", RequiresAction(challenge))

        with pytest.raises(RequiresAction):
            fake.charge(request(capture=False))
        waiting = fake.find_payment(reference="payment:1")
        result = fake.complete_3ds(
            gateway_reference="3ds_1", authentication_result="PaRes", amount=TEN
        )

        assert waiting is not None
        assert waiting.state is PaymentState.REQUIRES_ACTION
        assert result.state is PaymentState.AUTHORIZED
        assert result.token is not None

    def test_a_scripted_failure_declines_the_waiting_payment(
        self, fake: FakeGateway
    ) -> None:
        challenge = ThreeDsChallenge(gateway_reference="3ds_1", url="https://acs")
        fake.script("charge", RequiresAction(challenge))
        fake.script(
            "complete_3ds", Declined(reason_code="5206", message="", hard=False)
        )
        with pytest.raises(RequiresAction):
            fake.charge(request())

        with pytest.raises(Declined):
            fake.complete_3ds(
                gateway_reference="3ds_1", authentication_result="x", amount=TEN
            )

        assert fake.payments["3ds_1"].state is PaymentState.DECLINED

    def test_nothing_waiting_is_an_error(self, fake: FakeGateway) -> None:
        with pytest.raises(GatewayError):
            fake.complete_3ds(
                gateway_reference="nope", authentication_result="x", amount=TEN
            )


class TestTwoStepAndRefunds:
    def test_capture_part_of_an_authorization(self, fake: FakeGateway) -> None:
        authorization = fake.charge(request(capture=False))

        fake.capture(
            gateway_reference=authorization.gateway_reference,
            amount=Money(600, "RUB"),
            idempotency_key="capture:1",
        )

        payment = fake.payments[authorization.gateway_reference]
        assert authorization.state is PaymentState.AUTHORIZED
        assert (payment.state, payment.captured) == (
            PaymentState.SUCCEEDED,
            Money(600, "RUB"),
        )

    def test_capture_above_the_authorization_is_an_error(
        self, fake: FakeGateway
    ) -> None:
        authorization = fake.charge(request(capture=False))

        with pytest.raises(GatewayError):
            fake.capture(
                gateway_reference=authorization.gateway_reference,
                amount=Money(1001, "RUB"),
                idempotency_key="capture:1",
            )

    def test_void_cancels_and_cannot_be_repeated_with_a_new_key(
        self, fake: FakeGateway
    ) -> None:
        authorization = fake.charge(request(capture=False))

        fake.void(
            gateway_reference=authorization.gateway_reference, idempotency_key="v1"
        )
        fake.void(
            gateway_reference=authorization.gateway_reference, idempotency_key="v1"
        )
        with pytest.raises(GatewayError):
            fake.void(
                gateway_reference=authorization.gateway_reference,
                idempotency_key="v2",
            )

        payment = fake.payments[authorization.gateway_reference]
        assert payment.state is PaymentState.CANCELED

    def test_refunds_never_exceed_what_was_captured(self, fake: FakeGateway) -> None:
        payment = fake.charge(request())
        reference = payment.gateway_reference

        fake.refund(
            gateway_reference=reference, amount=Money(700, "RUB"), idempotency_key="r1"
        )
        with pytest.raises(GatewayError):
            fake.refund(
                gateway_reference=reference,
                amount=Money(301, "RUB"),
                idempotency_key="r2",
            )
        fake.refund(
            gateway_reference=reference, amount=Money(300, "RUB"), idempotency_key="r3"
        )

        assert fake.payments[reference].refunded == TEN
        assert [r.amount for r in fake.refunds] == [
            Money(700, "RUB"),
            Money(300, "RUB"),
        ]

    def test_a_repeated_refund_key_refunds_once(self, fake: FakeGateway) -> None:
        payment = fake.charge(request())

        answers = {
            fake.refund(
                gateway_reference=payment.gateway_reference,
                amount=Money(100, "RUB"),
                idempotency_key="r1",
            )
            for _ in range(3)
        }

        assert len(answers) == 1
        assert fake.payments[payment.gateway_reference].refunded == Money(100, "RUB")

    def test_a_scripted_refund_error_is_raised(self, fake: FakeGateway) -> None:
        payment = fake.charge(request())
        fake.script("refund", Unavailable("down"))

        with pytest.raises(Unavailable):
            fake.refund(
                gateway_reference=payment.gateway_reference,
                amount=TEN,
                idempotency_key="r1",
            )

        assert fake.payments[payment.gateway_reference].refunded == Money(0, "RUB")


class TestReading:
    def test_find_payment_gives_the_latest_under_a_reference(
        self, fake: FakeGateway
    ) -> None:
        fake.script("charge", soft_decline())
        with pytest.raises(Declined):
            fake.charge(request("a"))
        retried = fake.charge(request("b"))

        found = fake.find_payment(reference="payment:1")

        assert found is not None
        assert found.gateway_reference == retried.gateway_reference
        assert fake.find_payment(reference="payment:2") is None

    def test_day_operations_by_day(self, fake: FakeGateway) -> None:
        fake.charge(request("a", reference="payment:a"))

        [page] = fake.day_operations(day=NOW.date())

        assert (len(page.payments), page.refunds, page.next_cursor) == (1, [], None)
        assert list(fake.day_operations(day=NOW.date() + dt.timedelta(days=1))) == []


class TestWebhooks:
    def test_a_signed_body_verifies_and_parses(self, fake: FakeGateway) -> None:
        body = json.dumps(
            {
                "id": "evt_1",
                "type": "payment.succeeded",
                "gateway_reference": "fake_pay_1",
                "reference": "payment:1",
                "state": "succeeded",
                "amount_minor": 1000,
                "currency": "RUB",
            }
        ).encode()

        fake.verify_webhook(body=body, headers=FakeGateway.sign(body))
        event = fake.parse_webhook(kind="", body=body)

        assert (event.external_id, event.type) == ("evt_1", "fake.payment.succeeded")
        assert (event.state, event.amount) == (PaymentState.SUCCEEDED, TEN)

    def test_header_names_are_case_insensitive(self, fake: FakeGateway) -> None:
        body = b'{"id": "evt_1", "type": "x"}'
        signature = FakeGateway.sign(body)[SIGNATURE_HEADER]

        fake.verify_webhook(body=body, headers={SIGNATURE_HEADER.lower(): signature})

    @pytest.mark.parametrize(
        "headers",
        [{}, {SIGNATURE_HEADER: "0" * 64}, {SIGNATURE_HEADER: ""}],
    )
    def test_a_wrong_or_missing_signature_is_refused(
        self, fake: FakeGateway, headers: dict[str, str]
    ) -> None:
        with pytest.raises(InvalidSignature):
            fake.verify_webhook(body=b'{"id": "evt_1"}', headers=headers)

    def test_a_tampered_body_is_refused(self, fake: FakeGateway) -> None:
        headers = FakeGateway.sign(b'{"amount_minor": 1}')

        with pytest.raises(InvalidSignature):
            fake.verify_webhook(body=b'{"amount_minor": 100}', headers=headers)

    @pytest.mark.parametrize(
        "body",
        [
            b"{}",
            b"[]",
            b"not json",
            b'{"id": "e", "type": "t", "state": "lost"}',
            b'{"id": "e", "type": "t", "amount_minor": 1, "currency": "XXX"}',
        ],
    )
    def test_a_malformed_body_is_an_error(self, fake: FakeGateway, body: bytes) -> None:
        with pytest.raises(GatewayError):
            fake.parse_webhook(kind="", body=body)
