"""The payer as each gateway knows them."""

from __future__ import annotations

from billing.models import Payer
from billing.services import set_stripe_customer
from payments.gateways.base import PayerAccount, PaymentGateway


def account_at(adapter: PaymentGateway, payer: Payer) -> PayerAccount:
    """The payer as `adapter` knows them, creating the gateway's customer once.

    :raises GatewayError: when the gateway's customer cannot be created.
    """
    account = PayerAccount(
        payer_id=payer.id, customer_reference=payer.stripe_customer_id
    )
    if adapter.code != "stripe":
        return account
    account = adapter.ensure_customer(account)
    if account.customer_reference:
        set_stripe_customer(payer=payer, customer_reference=account.customer_reference)
    return account
