"""The CloudPayments adapter over a network that fails: unknown or unavailable."""

from __future__ import annotations

from typing import Any

import pytest

from payments.gateways.base import (
    GatewayError,
    OutcomeUnknown,
    PayerAccount,
    PaymentGateway,
    Unavailable,
)
from tests.payments.gateways.cloudpayments_adapter.charges import (
    NO_3DS,
    TEN_RUBLES,
    cryptogram,
    pay,
)
from tests.payments.gateways.sandbox_access import (
    build,
    closed_port_url,
    ledger,
    payment_request,
    set_faults,
)

pytestmark = pytest.mark.sandbox


class TestTransportFailures:
    def test_timeout_is_an_unknown_outcome(
        self,
        gateway_settings: Any,
        sandbox_url: str,
        payer: PayerAccount,
    ) -> None:
        gateway_settings.GATEWAY_TIMEOUT_SECONDS = 0.5
        gateway = build("cloudpayments")
        set_faults(sandbox_url, timeout_rate=1, timeout_hang_seconds=3)

        with pytest.raises(OutcomeUnknown):
            pay(gateway, sandbox_url, payer)

    @pytest.mark.parametrize("knob", ["error_rate", "rate_limit_rate"])
    def test_a_server_error_or_too_many_requests_is_unavailable(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount, knob: str
    ) -> None:
        """HTTP 5xx and 429 come before any processing: nothing moved, retry is safe."""
        set_faults(sandbox_url, **{knob: 1})

        with pytest.raises(Unavailable):
            pay(gateway, sandbox_url, payer)

        assert ledger(sandbox_url, "cloudpayments") == []

    def test_refused_connection_is_unavailable(
        self, gateway_settings: Any, sandbox_url: str, payer: PayerAccount
    ) -> None:
        source = cryptogram(sandbox_url, NO_3DS)
        gateway_settings.CLOUDPAYMENTS_API_URL = f"{closed_port_url()}/"
        gateway = build("cloudpayments")

        with pytest.raises(Unavailable):
            gateway.charge(
                payment_request(payer=payer, source=source, amount=TEN_RUBLES)
            )

    def test_bad_credentials_are_our_error(
        self, gateway_settings: Any, sandbox_url: str, payer: PayerAccount
    ) -> None:
        gateway_settings.CLOUDPAYMENTS_API_SECRET = "wrong-secret"
        gateway = build("cloudpayments")

        with pytest.raises(GatewayError) as raised:
            pay(gateway, sandbox_url, payer)

        assert type(raised.value) is GatewayError
        assert "401" in str(raised.value)

    def test_the_same_idempotency_key_charges_once(
        self, gateway: PaymentGateway, sandbox_url: str, payer: PayerAccount
    ) -> None:
        request = payment_request(
            payer=payer, source=cryptogram(sandbox_url, NO_3DS), amount=TEN_RUBLES
        )

        first = gateway.charge(request)
        second = gateway.charge(request)

        assert first == second
        assert len(ledger(sandbox_url, "cloudpayments")) == 1
