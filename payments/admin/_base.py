"""The read-only admin every payments model uses, and display helpers."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.safestring import SafeString

from billing.admin_base import EMPTY, ReadOnlyAdmin, as_uuid, link
from billing.money import Money

# Columns never shown, so never loaded: the cryptogram and the 3-D Secure form (PaReq).
HIDDEN_PAYMENT_FIELDS = ("cryptogram", "action")

__all__ = [
    "EMPTY",
    "HIDDEN_PAYMENT_FIELDS",
    "PaymentRecordAdmin",
    "as_uuid",
    "link",
    "money",
]


def money(amount: Money) -> str:
    return amount.format()


class PaymentRecordAdmin(ReadOnlyAdmin):
    """Read-only, with links to the payer and the payment a record belongs to."""

    @admin.display(description="payment")
    def payment_link(self, obj: Any) -> SafeString | str:
        return link("admin:payments_payment_change", obj.payment_id, obj.payment_id)
