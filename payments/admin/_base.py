"""The read-only admin every payments record uses, and what it hides."""

from __future__ import annotations

from kit.admin import ReadOnlyAdmin, link_column

# Columns never shown, so never loaded: the cryptogram and the 3-D Secure form (PaReq).
HIDDEN_PAYMENT_FIELDS = ("cryptogram", "action")


class PaymentRecordAdmin(ReadOnlyAdmin):
    """Read-only, with links to the payer and the payment a record belongs to."""

    payer_link = link_column(
        "admin:billing_payer_change",
        "payer_id",
        description="payer",
        ordering="payer_id",
    )
    payment_link = link_column(
        "admin:payments_payment_change", "payment_id", description="payment"
    )
