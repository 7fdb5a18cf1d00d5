"""The CloudPayments adapter charges cards just entered and saved tokens."""

from __future__ import annotations

import pytest

from billing.money import Money
from gateway_sandbox.app import Sandbox
from payments.gateways.base import (
    Declined,
    EnteredCard,
    GatewayError,
    PayerAccount,
    PaymentGateway,
    PaymentState,
    SavedCard,
)
from tests.gateway_sandbox.cloudpayments_merchant import gateway_of
from tests.payments.gateways.cloudpayments_adapter.charges import (
    DECLINES_AFTER_3DS,
    INSUFFICIENT_FUNDS,
    NO_3DS,
    TEN_RUBLES,
    TOKEN_DECLINES,
    WITH_3DS,
    challenge_for,
    cryptogram,
    pa_res,
    pay,
)
from tests.payments.gateways.sandbox_access import ledger, payment_request

pytestmark = pytest.mark.sandbox


class TestCardPayment:
    def test_card_without_3ds_succeeds_with_a_token_and_masked_card(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        result = pay(gateway, sandbox_url, payer)

        assert result.state is PaymentState.SUCCEEDED
        assert result.amount == TEN_RUBLES
        assert result.token
        assert result.card is not None
        assert (result.card.brand, result.card.first6, result.card.last4) == (
            "Visa",
            "400000",
            "3055",
        )
        assert (result.card.exp_month, result.card.exp_year) == (12, 2030)
        [entry] = ledger(sandbox_url, "cloudpayments")
        assert (entry["kind"], entry["amount_minor"], entry["currency"]) == (
            "capture",
            1000,
            "RUB",
        )
        assert entry["transaction_id"] == result.gateway_reference
        assert entry["account_id"] == str(payer.payer_id)

    def test_exact_kopecks_reach_the_gateway(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        source = cryptogram(sandbox_url, NO_3DS)
        amount = Money(123457, "RUB")

        result = gateway.charge(
            payment_request(payer=payer, source=source, amount=amount)
        )

        assert result.amount == amount
        [entry] = ledger(sandbox_url, "cloudpayments")
        assert entry["amount_minor"] == 123457

    def test_3ds_card_asks_for_a_challenge_then_post3ds_succeeds(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, sandbox_url, payer, WITH_3DS).challenge

        result = gateway.complete_3ds(
            gateway_reference=challenge.gateway_reference,
            authentication_result=pa_res(
                sandbox_url, challenge.gateway_reference, "success"
            ),
            amount=TEN_RUBLES,
        )

        assert challenge.url == f"{sandbox_url}/__sandbox/cp/acs"
        assert challenge.form_fields["MD"] == challenge.gateway_reference
        assert challenge.form_fields["PaReq"]
        assert result.state is PaymentState.SUCCEEDED
        assert result.gateway_reference == challenge.gateway_reference
        assert result.token
        assert len(ledger(sandbox_url, "cloudpayments")) == 1

    def test_failed_3ds_is_a_soft_decline_5206(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, sandbox_url, payer, WITH_3DS).challenge

        with pytest.raises(Declined) as raised:
            gateway.complete_3ds(
                gateway_reference=challenge.gateway_reference,
                authentication_result=pa_res(
                    sandbox_url, challenge.gateway_reference, "fail"
                ),
                amount=TEN_RUBLES,
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5206", False)
        assert raised.value.gateway_reference == challenge.gateway_reference
        assert ledger(sandbox_url, "cloudpayments") == []

    def test_insufficient_funds_after_3ds_is_a_soft_decline_5051(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        challenge = challenge_for(gateway, sandbox_url, payer, DECLINES_AFTER_3DS)
        reference = challenge.challenge.gateway_reference

        with pytest.raises(Declined) as raised:
            gateway.complete_3ds(
                gateway_reference=reference,
                authentication_result=pa_res(sandbox_url, reference, "success"),
                amount=TEN_RUBLES,
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5051", False)
        assert raised.value.message == "Недостаточно средств на карте"

    def test_insufficient_funds_is_a_soft_decline_with_the_transaction(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        with pytest.raises(Declined) as raised:
            pay(gateway, sandbox_url, payer, INSUFFICIENT_FUNDS)

        assert (raised.value.reason_code, raised.value.hard) == ("5051", False)
        assert raised.value.gateway_reference
        assert raised.value.gateway_reference.isdigit()

    def test_expired_card_is_a_hard_decline_5054(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        expired = cryptogram(sandbox_url, NO_3DS, exp="0120")

        with pytest.raises(Declined) as raised:
            gateway.charge(
                payment_request(payer=payer, source=expired, amount=TEN_RUBLES)
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5054", True)

    def test_a_garbled_cryptogram_is_our_error_without_the_packet(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        packet = "not-a-cryptogram-4000000000003055"

        with pytest.raises(GatewayError) as raised:
            gateway.charge(
                payment_request(
                    payer=payer, source=EnteredCard(packet), amount=TEN_RUBLES
                )
            )

        assert type(raised.value) is GatewayError
        assert "Invalid CardCryptogramPacket" in str(raised.value)
        assert packet not in str(raised.value)
        assert "4000000000003055" not in str(raised.value)


class TestTokenPayment:
    def test_a_saved_card_is_charged_as_a_scheduled_merchant_payment(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
    ) -> None:
        first = pay(gateway, sandbox_url, payer)
        assert first.token is not None

        renewal = gateway.charge(
            payment_request(
                payer=payer,
                source=SavedCard(first.token),
                amount=TEN_RUBLES,
                merchant_initiated=True,
                scheduled=True,
            )
        )

        assert renewal.state is PaymentState.SUCCEEDED
        assert renewal.gateway_reference != first.gateway_reference
        stored = gateway_of(sandbox).transactions.get(int(renewal.gateway_reference))
        assert stored is not None
        assert (stored.tr_initiator_code, stored.payment_scheduled) == (0, 1)

    def test_a_payer_present_token_payment_says_so(
        self,
        gateway: PaymentGateway,
        sandbox_url: str,
        sandbox: Sandbox,
        payer: PayerAccount,
    ) -> None:
        first = pay(gateway, sandbox_url, payer)
        assert first.token is not None

        again = gateway.charge(
            payment_request(
                payer=payer, source=SavedCard(first.token), amount=TEN_RUBLES
            )
        )

        stored = gateway_of(sandbox).transactions.get(int(again.gateway_reference))
        assert stored is not None
        assert (stored.tr_initiator_code, stored.payment_scheduled) == (1, 0)

    def test_4111_pays_once_then_its_token_is_declined_5051(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        first = pay(gateway, sandbox_url, payer, TOKEN_DECLINES)
        assert first.state is PaymentState.SUCCEEDED
        assert first.token is not None

        with pytest.raises(Declined) as raised:
            gateway.charge(
                payment_request(
                    payer=payer,
                    source=SavedCard(first.token),
                    amount=TEN_RUBLES,
                    merchant_initiated=True,
                    scheduled=True,
                )
            )

        assert (raised.value.reason_code, raised.value.hard) == ("5051", False)

    def test_an_unknown_token_is_our_error_and_is_not_echoed(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        token = "tk_does_not_exist_0123456789"

        with pytest.raises(GatewayError) as raised:
            gateway.charge(
                payment_request(payer=payer, source=SavedCard(token), amount=TEN_RUBLES)
            )

        assert type(raised.value) is GatewayError
        assert token not in str(raised.value)
