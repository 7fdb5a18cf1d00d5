"""The admin's way to forget a payer at their request (privacy), from any of their
subscriptions: the action `forget_payers` of the subscription admin asks with this
form (the reason goes to the audit trail), then calls `forget_payer_of` per row;
forgetting a payer twice (two of their subscriptions chosen) is harmless."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from subscriptions.models import Subscription
from subscriptions.services import forget_payer

TITLE = "Forget the payer (privacy request)"


class ForgetPayerForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        help_text="Why (a ticket reference, say); kept in the audit trail. The "
        "payer's subscriptions are canceled now without a refund, their cards "
        "revoked at the gateway and their tokens dropped; invoices, payments and "
        "the ledger are kept.",
    )


def forget_payer_of(
    row: Subscription, data: dict[str, Any], now: dt.datetime, actor: str
) -> str:
    forgotten = forget_payer(
        payer_id=row.payer_id, now=now, actor=actor, reason=data["reason"]
    )
    if not forgotten.newly_forgotten:
        return (
            f"Payer {row.payer_id} was forgotten already; tokens dropped now: "
            f"{forgotten.tokens_dropped}."
        )
    return (
        f"Payer {row.payer_id} is forgotten: {forgotten.subscriptions_canceled} "
        f"subscription(s) canceled, {forgotten.cards_retired} card(s) revoked, "
        f"{forgotten.tokens_dropped} token(s) dropped."
    )
