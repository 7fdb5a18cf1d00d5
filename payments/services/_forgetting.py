"""Forgetting a payer's cards, for a privacy request, in two steps.

`retire_payer_cards` runs in the caller's transaction, which marks the payer
forgotten: every saved card is REVOKED (never charged again), every cryptogram and
3-D Secure form still kept is wiped, open checkout pages expire, and what identifies
a card beyond its brand and last four digits is blanked, on the saved cards and in
the stored gateway messages of the payer's payments. Brand and last four stay: they
are the masked display data the service may keep (SPEC §1), and accounting needs
them to answer a chargeback on a payment that stays in the books.

`revoke_payer_cards` then asks each gateway, outside any transaction, to revoke the
cards (Stripe detaches the PaymentMethod, then deletes the Customer; CloudPayments
has nothing to call) and drops each token as soon as its gateway has answered. A
gateway that is down leaves the rest of the tokens in place, on cards that are
already unusable: calling it again finishes the job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Final

from django.db import transaction

from billing.models import Payer
from billing.services import record_status_change, set_stripe_customer
from payments.gateways.base import GatewayError, PayerAccount
from payments.models import (
    CardSetup,
    CardSetupStatus,
    CheckoutSession,
    CheckoutSessionStatus,
    GatewayEventRecord,
    GatewayEventStatus,
    Payment,
    PaymentMethod,
    PaymentMethodStatus,
    PaymentStatus,
)
from payments.services._checkout_sessions import expire_session
from payments.services._pipeline import require_gateway
from payments.services._two_step import GatewayUnavailable

# Keys of stored gateway messages that identify a card beyond brand and last four:
# the BIN, the expiry, the issuing bank and its country (GATEWAYS.md B3, C4).
CARD_KEYS: Final = frozenset(
    {
        "CardFirstSix",
        "CardExpDate",
        "CardProduct",
        "Issuer",
        "IssuerBankCountry",
        "exp_month",
        "exp_year",
        "country",
        "funding",
    }
)
MASK: Final = "[forgotten]"
# Stored messages that the drain may still parse: left whole until processed.
_PENDING_EVENTS: Final = (GatewayEventStatus.RECEIVED, GatewayEventStatus.FAILED)


def retire_payer_cards(
    *, payer_id: uuid.UUID, now: dt.datetime, actor: str, reason: str
) -> int:
    """Stop every card of the payer, in the caller's transaction; the number of
    cards that were still chargeable."""
    retired = 0
    methods = PaymentMethod.objects.select_for_update().filter(payer_id=payer_id)
    for method in methods.order_by("created_at"):
        if method.status != PaymentMethodStatus.REVOKED:
            retired += method.status == PaymentMethodStatus.USABLE
            record_status_change(
                object_type="payment_method",
                object_id=str(method.id),
                from_status=method.status,
                to_status=PaymentMethodStatus.REVOKED,
                actor=actor,
                reason=reason,
                at=now,
            )
    methods.update(
        status=PaymentMethodStatus.REVOKED,
        is_default=False,
        first6="",
        exp_month=None,
        exp_year=None,
        updated_at=now,
    )
    for model, waiting in (
        (Payment, PaymentStatus.REQUIRES_ACTION),
        (CardSetup, CardSetupStatus.REQUIRES_ACTION),
    ):
        attempts = model.objects.filter(payer_id=payer_id)
        attempts.filter(cryptogram__isnull=False).update(
            cryptogram=None, cryptogram_expires_at=None
        )
        # The 3-D Secure form (PaReq) of an attempt that no longer waits for it.
        attempts.exclude(status=waiting).filter(action__isnull=False).update(
            action=None
        )
    _expire_open_checkouts(payer_id, now=now)
    _mask_stored_cards(payer_id)
    return retired


def revoke_payer_cards(*, payer_id: uuid.UUID, now: dt.datetime, actor: str) -> int:
    """Revoke the payer's cards at their gateways and drop the tokens (no
    transaction may be open); the number of tokens dropped. Safe to repeat.

    :raises GatewayUnavailable: when a gateway did not answer; the tokens not yet
        dropped stay, on cards that cannot be charged, until the next call.
    """
    payer = Payer.objects.get(id=payer_id)
    account = PayerAccount(
        payer_id=payer.id, customer_reference=payer.stripe_customer_id
    )
    methods = PaymentMethod.objects.filter(payer_id=payer_id, token__isnull=False)
    dropped = 0
    for method in methods.order_by("created_at"):
        adapter = require_gateway(method.gateway)
        with _gateway_call("revoking a saved card", payment_method=str(method.id)):
            adapter.revoke_card(payer=account, token=method.token or "")
        with transaction.atomic():
            PaymentMethod.objects.filter(id=method.id).update(
                token=None, token_digest=f"dropped:{method.id.hex}", updated_at=now
            )
        dropped += 1
    if payer.stripe_customer_id:
        with _gateway_call("deleting the customer"):
            require_gateway("stripe").forget_customer(account)
        set_stripe_customer(payer=payer, customer_reference=None)
    return dropped


@contextlib.contextmanager
def _gateway_call(what: str, **extra: str) -> Iterator[None]:
    """:raises GatewayUnavailable: for any error of the gateway."""
    try:
        yield
    except GatewayError as error:
        raise GatewayUnavailable(
            f"The gateway failed {what} ({type(error).__name__}). The payer's cards "
            "cannot be charged any more; ask again to finish.",
            extra=extra,
        ) from error


def _expire_open_checkouts(payer_id: uuid.UUID, *, now: dt.datetime) -> None:
    """Expire the payer's unclaimed checkout pages; a claimed one has a payment in
    flight, which settles as any other."""
    sessions = CheckoutSession.objects.filter(
        payer_id=payer_id, status=CheckoutSessionStatus.OPEN, claimed_at__isnull=True
    )
    for session in sessions:
        expire_session(session, now=now)


def _mask_stored_cards(payer_id: uuid.UUID) -> None:
    records = GatewayEventRecord.objects.filter(payment__payer_id=payer_id).exclude(
        status__in=_PENDING_EVENTS
    )
    for record in records:
        masked = _without_card_keys(record.payload)
        if masked != record.payload:
            GatewayEventRecord.objects.filter(id=record.id).update(payload=masked)


def _without_card_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            key: MASK if key in CARD_KEYS else _without_card_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_card_keys(item) for item in value]
    return value
