"""Forgetting a payer at their request (privacy): stop, then revoke.

One transaction stops everything: the payer's live subscriptions are canceled now
(no refund, as any cancellation now without one), their saved cards revoked here
and their cryptograms wiped (`payments.services.retire_payer_cards`), and the payer
stamped `forgotten_at`, with the audit row and the `payer.forgotten` event. From
its commit, nothing may charge the payer again (`PayerForgotten`).

Then, outside any transaction, each card is revoked at its gateway and its token
dropped (`payments.services.revoke_payer_cards`). A gateway that is down fails the
call with `gateway_unavailable`; the payer stays forgotten and unchargeable, and
calling again finishes the revocation. Forgetting a forgotten payer does only what
is left, so it is safe to repeat.

The books stay whole: invoices, ledger postings, payments and refunds keep their
amounts, ids, statuses and gateway references, so the ledger still balances and an
accountant can still answer for every payment.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final

from billing import outbox
from billing.services import locked_payer, mark_payer_forgotten
from payments.services import retire_payer_cards, revoke_payer_cards
from subscriptions.models import LIVE_STATUSES, Subscription
from subscriptions.services._cancellation import cancel_subscription

CANCEL_REASON: Final = "payer forgotten (privacy request)"


@dataclass(frozen=True, slots=True)
class ForgottenPayer:
    payer_id: uuid.UUID
    forgotten_at: dt.datetime
    # False when an earlier request had forgotten the payer already.
    newly_forgotten: bool
    subscriptions_canceled: int
    cards_retired: int
    # Tokens dropped by this call, once their gateway revoked the card.
    tokens_dropped: int


def forget_payer(
    *, payer_id: uuid.UUID, now: dt.datetime, actor: str, reason: str
) -> ForgottenPayer:
    """Forget a payer: cancel, revoke, drop the secrets, keep the books.

    Call it with no transaction open: the gateways are called after the commit.

    :raises PayerNotFound: for a payer billing never saw.
    :raises RenewalInProgress: while one of the subscriptions is being charged;
        nothing was changed, try again in a minute.
    :raises GatewayUnavailable: when a gateway did not revoke a card; the payer is
        forgotten and cannot be charged, and a repeat finishes the revocation.
    """
    canceled = retired = 0
    with outbox.atomic():
        payer = locked_payer(payer_id=payer_id)
        newly = payer.forgotten_at is None
        if newly:
            canceled = _cancel_live_subscriptions(payer_id, now=now, actor=actor)
            retired = retire_payer_cards(
                payer_id=payer_id, now=now, actor=actor, reason=CANCEL_REASON
            )
            mark_payer_forgotten(payer, now=now, actor=actor, reason=reason)
    dropped = revoke_payer_cards(payer_id=payer_id, now=now, actor=actor)
    assert payer.forgotten_at is not None
    return ForgottenPayer(
        payer_id=payer_id,
        forgotten_at=payer.forgotten_at,
        newly_forgotten=newly,
        subscriptions_canceled=canceled,
        cards_retired=retired,
        tokens_dropped=dropped,
    )


def _cancel_live_subscriptions(
    payer_id: uuid.UUID, *, now: dt.datetime, actor: str
) -> int:
    live = Subscription.objects.filter(payer_id=payer_id, status__in=LIVE_STATUSES)
    ids = list(live.order_by("created_at").values_list("id", flat=True))
    for subscription_id in ids:
        cancel_subscription(
            subscription_id=subscription_id,
            now=now,
            actor=actor,
            at_period_end=False,
            reason=CANCEL_REASON,
        )
    return len(ids)
