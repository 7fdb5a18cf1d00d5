"""Checkout pages a service opens for its own reference, under its idempotency key.

The shop holds an order's amount on a card that the member enters on billing's page
when the member has no saved card (`CreateCheckoutSession` over gRPC). The key is
stored with the session, in its transaction: the same key and request answer the
same session, whatever became of it since; the same key with another request is
`DuplicateRequest`.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings

from billing.money import Money
from billing.services import KeyTaken, RequestKey, replay_of
from payments.models import CheckoutSession, CheckoutSessionMode
from payments.services._checkout_sessions import create_checkout_session, get_session


def open_hold_checkout(
    *,
    payer_id: uuid.UUID,
    amount: Money,
    client_reference: str,
    description: str,
    gateway: str,
    success_url: str,
    failure_url: str,
    request: RequestKey,
    now: dt.datetime,
    actor: str,
) -> CheckoutSession:
    """Open a page that holds `amount` on the card the payer enters there, for the
    caller's `client_reference` (AUTHORIZE), and saves the card.

    An empty `gateway` is `DEFAULT_PAYMENT_GATEWAY`'s.

    :raises DuplicateRequest: when the key was used for another request.
    :raises InvalidOneOffPayment: for a malformed reference.
    :raises InvalidCheckoutSession: for a URL, gateway or description refused.
    :raises CheckoutReferenceTaken: when the reference has an open page already.
    :raises PaymentInProgress: when the reference has a live payment.
    """
    earlier = _earlier_session(request)
    if earlier is not None:
        return earlier
    try:
        return create_checkout_session(
            payer_id=payer_id,
            amount=amount,
            gateway=gateway or settings.DEFAULT_PAYMENT_GATEWAY,
            success_url=success_url,
            failure_url=failure_url,
            description=description,
            created_by=actor,
            now=now,
            mode=CheckoutSessionMode.AUTHORIZE,
            pays=client_reference,
            request=request,
        )
    except KeyTaken:
        # A concurrent request with this key came first: its session answers.
        earlier = _earlier_session(request)
        if earlier is None:
            raise
        return earlier


def _earlier_session(request: RequestKey) -> CheckoutSession | None:
    """The session opened under this key, if any.

    :raises DuplicateRequest: when the key was used for another request.
    """
    result = replay_of(request)
    if result is None:
        return None
    return get_session(uuid.UUID(result.removeprefix("checkout:")))
