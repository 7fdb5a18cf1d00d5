"""The Stripe adapter over a network that fails: unknown or unavailable."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings

from payments.gateways.base import (
    EnteredCard,
    GatewayError,
    OutcomeUnknown,
    PayerAccount,
    PaymentGateway,
    Unavailable,
)
from tests.payments.gateways.sandbox_access import (
    build,
    closed_port_url,
    payment_request,
    set_faults,
)
from tests.payments.gateways.stripe_adapter.charges import TEN_DOLLARS, captures, pay

pytestmark = pytest.mark.sandbox


class TestTransportFailures:
    def test_timeout_is_an_unknown_outcome(
        self, gateway_settings: Settings, sandbox_url: str, payer: PayerAccount
    ) -> None:
        gateway_settings.GATEWAY_TIMEOUT_SECONDS = 0.5
        gateway = build("stripe")
        set_faults(sandbox_url, timeout_rate=1, timeout_hang_seconds=3)

        with pytest.raises(OutcomeUnknown):
            pay(gateway, payer)

    def test_server_error_before_execution_is_unavailable(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, error_rate=1)

        with pytest.raises(Unavailable):
            pay(gateway, payer)

        assert captures(sandbox_url) == []

    def test_rate_limit_is_unavailable(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        set_faults(sandbox_url, rate_limit_rate=1)

        with pytest.raises(Unavailable):
            pay(gateway, payer)

    def test_refused_connection_is_unavailable(
        self, gateway_settings: Settings, payer: PayerAccount
    ) -> None:
        gateway_settings.STRIPE_API_BASE = closed_port_url()
        gateway = build("stripe")

        with pytest.raises(Unavailable):
            pay(gateway, payer)

    def test_bad_key_is_our_error(
        self, gateway_settings: Settings, payer: PayerAccount
    ) -> None:
        gateway_settings.STRIPE_SECRET_KEY = "sk_test_wrong"
        gateway = build("stripe")

        with pytest.raises(GatewayError) as raised:
            pay(gateway, payer)

        assert type(raised.value) is GatewayError
        assert "AuthenticationError" in str(raised.value)

    def test_the_same_idempotency_key_charges_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        request = payment_request(
            payer=payer, source=EnteredCard("pm_card_visa"), amount=TEN_DOLLARS
        )

        first = gateway.charge(request)
        second = gateway.charge(request)

        assert first == second
        assert len(captures(sandbox_url)) == 1
