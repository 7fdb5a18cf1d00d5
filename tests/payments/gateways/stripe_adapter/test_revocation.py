"""Forgetting a payer at Stripe: the saved PaymentMethod detached, the Customer
deleted, each safe to repeat, through `stripe.StripeClient` against the sandbox."""

from __future__ import annotations

import pytest
import stripe
from pytest_django.fixtures import Settings

from payments.gateways.base import GatewayError, PayerAccount, PaymentGateway
from tests.payments.gateways.sandbox_access import build, closed_port_url
from tests.payments.gateways.stripe_adapter.test_card_setup import set_up

pytestmark = pytest.mark.sandbox


class TestRevokeCard:
    def test_detaches_the_card_from_the_customer_and_may_be_repeated(
        self,
        gateway: PaymentGateway,
        payer: PayerAccount,
        stripe_client: stripe.StripeClient,
    ) -> None:
        token = set_up(gateway, payer, reference="card_setup:revoked").token

        gateway.revoke_card(payer=payer, token=token)
        gateway.revoke_card(payer=payer, token=token)

        card = stripe_client.v1.payment_methods.retrieve(token)
        assert card.customer is None
        customer = stripe_client.v1.customers.retrieve(payer.customer_reference or "")
        assert customer.invoice_settings is not None
        assert customer.invoice_settings.default_payment_method is None

    def test_a_card_stripe_does_not_know_is_not_an_error(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        gateway.revoke_card(payer=payer, token="pm_NoSuchCardAtAll000000000")

    def test_an_unreachable_stripe_is_a_gateway_error(
        self, gateway_settings: Settings, payer: PayerAccount
    ) -> None:
        gateway_settings.STRIPE_API_BASE = closed_port_url()
        unreachable = build("stripe")

        with pytest.raises(GatewayError):
            unreachable.revoke_card(payer=payer, token="pm_anything")


class TestForgetCustomer:
    def test_deletes_the_customer_and_may_be_repeated(
        self,
        gateway: PaymentGateway,
        payer: PayerAccount,
        stripe_client: stripe.StripeClient,
    ) -> None:
        gateway.forget_customer(payer)
        gateway.forget_customer(payer)

        customer = stripe_client.v1.customers.retrieve(payer.customer_reference or "")
        assert customer.deleted is True

    def test_a_payer_without_a_customer_asks_nothing(
        self, gateway: PaymentGateway, payer: PayerAccount
    ) -> None:
        gateway.forget_customer(PayerAccount(payer_id=payer.payer_id))
