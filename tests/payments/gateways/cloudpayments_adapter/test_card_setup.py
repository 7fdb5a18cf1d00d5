"""CloudPayments card setups: authorize, then void, through the official SDK."""

from __future__ import annotations

import logging
import uuid

import pytest

from billing.money import Money
from payments.gateways.base import (
    CardSetupRequest,
    CardSetupResult,
    Declined,
    EnteredCard,
    PayerAccount,
    PaymentGateway,
    PaymentState,
    RequiresAction,
    SavedCard,
    Unavailable,
)
from tests.payments.gateways.cloudpayments_adapter.charges import (
    INSUFFICIENT_FUNDS,
    NO_3DS,
    WITH_3DS,
    cryptogram,
    pa_res,
)
from tests.payments.gateways.sandbox_access import ledger, payment_request

pytestmark = pytest.mark.sandbox

ONE_RUBLE = Money(100, "RUB")


def setup_request(payer: PayerAccount, card: EnteredCard) -> CardSetupRequest:
    """A setup as the services make one: our reference, a key saved beforehand."""
    setup_id = uuid.uuid4()
    return CardSetupRequest(
        reference=f"card_setup:{setup_id}",
        idempotency_key=f"card_setup:{setup_id}",
        payer=payer,
        card=card,
        verification_amount=ONE_RUBLE,
        ip_address="203.0.113.7",
        return_url="https://billing.example/card-setups/3ds/return",
    )


def set_up(
    gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount, number: str
) -> CardSetupResult:
    return gateway.setup_card(setup_request(payer, cryptogram(sandbox_url, number)))


def through_3ds(
    gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount, result: str
) -> CardSetupResult:
    with pytest.raises(RequiresAction) as raised:
        set_up(gateway, sandbox_url, payer, WITH_3DS)
    reference = raised.value.challenge.gateway_reference
    return gateway.complete_card_setup(
        gateway_reference=reference,
        authentication_result=pa_res(sandbox_url, reference, result),
        verification_amount=ONE_RUBLE,
    )


def money_moves(sandbox_url: str) -> list[tuple[str, int]]:
    return [
        (entry["kind"], entry["amount_minor"])
        for entry in ledger(sandbox_url, "cloudpayments")
    ]


class TestCardSetup:
    def test_authorizes_then_voids_and_returns_a_token(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        result = set_up(gateway, sandbox_url, payer, NO_3DS)

        assert result.token
        assert result.gateway_reference.isdigit()
        assert result.card is not None
        assert (result.card.brand, result.card.first6, result.card.last4) == (
            "Visa",
            "400000",
            "3055",
        )
        assert money_moves(sandbox_url) == [("authorize", 100), ("void", 100)]
        entries = ledger(sandbox_url, "cloudpayments")
        assert {e["transaction_id"] for e in entries} == {result.gateway_reference}
        assert {e["account_id"] for e in entries} == {str(payer.payer_id)}
        found = gateway.find_payment(reference=entries[0]["reference"])
        assert found is not None
        assert found.state is PaymentState.CANCELED
        assert found.captured == Money(0, "RUB")

    def test_the_token_pays_later_as_a_merchant_payment(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        setup = set_up(gateway, sandbox_url, payer, NO_3DS)

        renewal = gateway.charge(
            payment_request(
                payer=payer,
                source=SavedCard(setup.token),
                amount=Money(99_900, "RUB"),
                merchant_initiated=True,
                scheduled=True,
            )
        )

        assert renewal.state is PaymentState.SUCCEEDED
        assert money_moves(sandbox_url) == [
            ("authorize", 100),
            ("void", 100),
            ("capture", 99_900),
        ]

    def test_the_3ds_card_needs_the_challenge_then_is_verified_and_voided(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        """`through_3ds` asserts the challenge: 4242 always asks for 3-D Secure."""
        result = through_3ds(gateway, sandbox_url, payer, "success")

        assert result.token
        assert result.card is not None
        assert result.card.last4 == "4242"
        assert money_moves(sandbox_url) == [("authorize", 100), ("void", 100)]

    def test_failed_3ds_is_a_soft_decline_5206_and_nothing_is_held(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            through_3ds(gateway, sandbox_url, payer, "fail")

        assert (raised.value.reason_code, raised.value.hard) == ("5206", False)
        assert money_moves(sandbox_url) == []

    def test_insufficient_funds_is_a_soft_decline_5051(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            set_up(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS)

        assert (raised.value.reason_code, raised.value.hard) == ("5051", False)
        assert raised.value.message == "Недостаточно средств на карте"
        assert raised.value.gateway_reference
        assert money_moves(sandbox_url) == []

    def test_the_same_key_authorizes_and_voids_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        request = setup_request(payer, cryptogram(sandbox_url, NO_3DS))

        first = gateway.setup_card(request)
        second = gateway.setup_card(request)

        assert first == second
        assert money_moves(sandbox_url) == [("authorize", 100), ("void", 100)]


class TestVoidFailures:
    def test_a_failed_void_is_tried_once_more(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        attempts = _void_failing(monkeypatch, gateway, times=1)

        result = set_up(gateway, sandbox_url, payer, NO_3DS)

        assert result.token
        assert len(attempts) == 2
        assert money_moves(sandbox_url) == [("authorize", 100), ("void", 100)]

    def test_a_void_that_keeps_failing_is_logged_and_the_card_still_verified(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        payer: PayerAccount,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """The gateway releases an unconfirmed authorization within 7 days itself."""
        attempts = _void_failing(monkeypatch, gateway, times=2)
        card = cryptogram(sandbox_url, NO_3DS)
        caplog.set_level(logging.DEBUG)

        result = gateway.setup_card(setup_request(payer, card))

        assert result.token
        assert len(attempts) == 2
        assert money_moves(sandbox_url) == [("authorize", 100)]
        [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.getMessage() == "cloudpayments.card_setup.void_failed"
        assert warning.__dict__["transaction"] == result.gateway_reference
        logged = caplog.text + repr([r.__dict__ for r in caplog.records])
        assert card.payload not in logged
        assert result.token not in logged
        assert "4000000000003055" not in logged


def _void_failing(
    monkeypatch: pytest.MonkeyPatch, gateway: PaymentGateway, *, times: int
) -> list[str]:
    """Make the next `times` voids fail before reaching the gateway; log attempts."""
    void = gateway.void
    attempts: list[str] = []

    def failing_void(*, gateway_reference: str, idempotency_key: str) -> None:
        attempts.append(idempotency_key)
        if len(attempts) <= times:
            raise Unavailable("CloudPayments payments/void: HTTP 503")
        void(gateway_reference=gateway_reference, idempotency_key=idempotency_key)

    monkeypatch.setattr(gateway, "void", failing_void)
    return attempts
