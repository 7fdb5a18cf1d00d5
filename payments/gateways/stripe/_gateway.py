"""The Stripe adapter: the contract over `stripe.StripeClient` (GATEWAYS.md Part C).

Error mapping: see `_errors`. Money moves only through PaymentIntents, and cards
are verified without money through SetupIntents, each POST with the caller's
idempotency key; the SDK's own retries are off (the caller decides, from the typed
error) and every request has the configured timeout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

import stripe
from django.conf import settings
from stripe.params import PaymentIntentCreateParams, SetupIntentCreateParams

from billing.money import Money
from payments.gateways.base import (
    CardSetupRequest,
    CardSetupResult,
    ChargeRequest,
    ChargeResult,
    EnteredCard,
    GatewayError,
    GatewayEvent,
    PayerAccount,
    PaymentGateway,
    PaymentSnapshot,
    RefundResult,
)
from payments.gateways.operations import OperationsPage
from payments.gateways.stripe import (
    _logging,
    _mapping,
    _operations,
    _stored_fields,
    _webhooks,
)
from payments.gateways.stripe._amounts import from_stripe, to_stripe
from payments.gateways.stripe._errors import stripe_errors

Found = TypeVar("Found")


class StripeGateway(PaymentGateway):
    """Stripe through `stripe` 16, configured from Django settings.

    Settings (read when the adapter is built): STRIPE_SECRET_KEY, STRIPE_API_BASE,
    STRIPE_WEBHOOK_SECRET and GATEWAY_TIMEOUT_SECONDS. Cards are PaymentMethods
    saved to the payer's Customer; the PaymentMethod id is the token.
    """

    code = "stripe"
    stored_payload_keys = _stored_fields.STORED_KEYS
    has_customers = True

    def __init__(self) -> None:
        timeout = float(settings.GATEWAY_TIMEOUT_SECONDS)
        self._client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses={"api": settings.STRIPE_API_BASE.rstrip("/")},
            # Retrying is the caller's decision, made from the typed error.
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=timeout),
        )
        self._webhook_secret: str = settings.STRIPE_WEBHOOK_SECRET
        _logging.install()

    def ensure_customer(self, payer: PayerAccount) -> PayerAccount:
        """Create the payer's Customer once; the key makes a repeat return it.

        Stripe keeps idempotency keys for 24 hours: the caller saves the returned
        reference so that later calls do not create a second Customer.
        """
        if payer.customer_reference:
            return payer
        with stripe_errors("customer creation"):
            customer = self._client.v1.customers.create(
                params={"metadata": {"payer_id": str(payer.payer_id)}},
                options={"idempotency_key": f"customer:{payer.payer_id}"},
            )
        return PayerAccount(payer_id=payer.payer_id, customer_reference=customer.id)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Confirm a PaymentIntent for the card; an entered card is saved for reuse.

        :raises GatewayError: when the payer has no Customer (call ensure_customer).
        """
        customer = request.payer.customer_reference
        if not customer:
            raise GatewayError("Stripe charges need the payer's Customer first")
        source = request.source
        payment_method = (
            source.payload if isinstance(source, EnteredCard) else source.token
        )
        params: PaymentIntentCreateParams = {
            "amount": to_stripe(request.amount),
            "currency": request.amount.currency.lower(),
            "customer": customer,
            "payment_method": payment_method,
            "confirm": True,
            # Cards only: no redirect-based methods, whose confirmation needs a
            # return_url even when no 3-D Secure is asked for (GATEWAYS.md C5.6).
            "allowed_payment_method_types": ["card"],
            "metadata": {
                "invoice": request.reference,
                **request.metadata,
                "reference": request.reference,
            },
            "expand": _mapping.EXPAND,
        }
        if not request.capture:
            params["capture_method"] = "manual"
        if request.description:
            params["description"] = request.description
        if request.merchant_initiated:
            params["off_session"] = True
        else:
            # Saves the card to the Customer when the payment succeeds, for later
            # off-session charges; 3-D Secure comes back to return_url.
            params["setup_future_usage"] = "off_session"
            if request.return_url:
                params["return_url"] = request.return_url
        with stripe_errors("a payment", payment_method):
            intent = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        return _mapping.outcome(intent, customer=customer)

    def complete_3ds(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        amount: Money,
    ) -> ChargeResult:
        """Read the PaymentIntent after the payer's challenge; Stripe needs no PaRes."""
        with stripe_errors("reading a payment"):
            intent = self._client.v1.payment_intents.retrieve(
                gateway_reference, params={"expand": _mapping.EXPAND}
            )
        return _mapping.outcome(intent, customer=_customer_id(intent))

    def setup_card(self, request: CardSetupRequest) -> CardSetupResult:
        """Confirm an off-session SetupIntent, which saves the card to the Customer.

        The verification amount is not used: the issuer checks the card without one.

        :raises GatewayError: when the payer has no Customer (call ensure_customer).
        """
        customer = request.payer.customer_reference
        if not customer:
            raise GatewayError("Stripe card setups need the payer's Customer first")
        payment_method = request.card.payload
        params: SetupIntentCreateParams = {
            "customer": customer,
            "payment_method": payment_method,
            "confirm": True,
            "usage": "off_session",
            "allowed_payment_method_types": ["card"],
            "metadata": {"reference": request.reference},
            "expand": _mapping.SETUP_EXPAND,
        }
        if request.return_url:
            params["return_url"] = request.return_url
        with stripe_errors("a card setup", payment_method):
            intent = self._client.v1.setup_intents.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        return _mapping.setup_outcome(intent)

    def complete_card_setup(
        self,
        *,
        gateway_reference: str,
        authentication_result: str | None,
        verification_amount: Money,
    ) -> CardSetupResult:
        """Read the SetupIntent after the payer's challenge; Stripe needs no PaRes."""
        with stripe_errors("reading a card setup"):
            intent = self._client.v1.setup_intents.retrieve(
                gateway_reference, params={"expand": _mapping.SETUP_EXPAND}
            )
        return _mapping.setup_outcome(intent)

    def capture(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> ChargeResult:
        with stripe_errors("a capture"):
            intent = self._client.v1.payment_intents.capture(
                gateway_reference,
                params={"amount_to_capture": to_stripe(amount)},
                options={"idempotency_key": idempotency_key},
            )
        return _mapping.captured(intent)

    def void(self, *, gateway_reference: str, idempotency_key: str) -> None:
        with stripe_errors("a cancellation"):
            self._client.v1.payment_intents.cancel(
                gateway_reference, options={"idempotency_key": idempotency_key}
            )

    def refund(
        self, *, gateway_reference: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """A refund above the unrefunded remainder is refused: GatewayError."""
        with stripe_errors("a refund"):
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": gateway_reference,
                    "amount": to_stripe(amount),
                },
                options={"idempotency_key": idempotency_key},
            )
        return RefundResult(
            gateway_reference=refund.id,
            amount=from_stripe(refund.amount, refund.currency),
        )

    def find_payment(self, *, reference: str) -> PaymentSnapshot | None:
        """The newest PaymentIntent whose metadata names `reference`.

        Stripe's search index trails writes by up to a minute (longer in an
        outage): a payment made moments ago may not be found yet. The janitor asks
        minutes later, and a None is "not yet", never "never".
        """
        query = f"metadata['reference']:'{_quoted(reference)}'"
        with stripe_errors("a payment search"):
            found = self._client.v1.payment_intents.search(
                params={
                    "query": query,
                    "limit": 100,
                    "expand": [f"data.{path}" for path in _mapping.EXPAND],
                }
            )
            intents = list(found.auto_paging_iter())
        if not intents:
            return None
        # Results come newest first; max() keeps the first of equal timestamps.
        return _mapping.snapshot(max(intents, key=lambda intent: intent.created))

    def day_operations(
        self, *, day: dt.date, cursor: str | None = None
    ) -> Iterator[OperationsPage]:
        return _operations.day_operations(self._client, day, cursor)

    def revoke_card(self, *, payer: PayerAccount, token: str) -> None:
        """Detach the PaymentMethod from its Customer: it can never be charged again.

        Read first, since Stripe refuses to detach a detached card: a repeat after
        an outage, or a card that is gone, then asks nothing more.
        """
        with stripe_errors("reading a saved card", token):
            method = _unless_missing(
                lambda: self._client.v1.payment_methods.retrieve(token)
            )
        if method is None or method.customer is None:
            return
        with stripe_errors("detaching a saved card", token):
            self._client.v1.payment_methods.detach(token)

    def forget_customer(self, payer: PayerAccount) -> None:
        """Delete the payer's Customer (its payments and refunds stay at Stripe)."""
        customer = payer.customer_reference
        if not customer:
            return
        with stripe_errors("deleting a customer"):
            _unless_missing(lambda: self._client.v1.customers.delete(customer))

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> None:
        _webhooks.verify(body, headers, self._webhook_secret)

    def parse_webhook(self, *, kind: str, body: bytes) -> GatewayEvent:
        return _webhooks.parse(body)


def _unless_missing(call: Callable[[], Found]) -> Found | None:
    """The object `call` reads or deletes, or None when Stripe has no such object."""
    try:
        return call()
    except stripe.InvalidRequestError as exc:
        if exc.code == "resource_missing":
            return None
        raise


def _quoted(value: str) -> str:
    """`value` inside single quotes of Stripe's search query language."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _customer_id(intent: stripe.PaymentIntent) -> str | None:
    customer = intent.customer
    if isinstance(customer, stripe.StripeObject):
        return str(customer["id"])
    return customer
