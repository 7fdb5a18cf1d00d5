"""Template helpers of the order pages: an order's states and work in words."""

from __future__ import annotations

from typing import Final

from django import template

from snacks.models import HoldStatus, OrderTaskKind

register = template.Library()

# The hold as a badge's word: what a member reads in a list of orders.
HOLD_LABELS: Final[dict[str, str]] = {
    HoldStatus.NONE: "not paid",
    HoldStatus.REQUESTED: "waiting for the bank",
    HoldStatus.REQUIRES_ACTION: "to pay on the card page",
    HoldStatus.AUTHORIZED: "held",
    HoldStatus.CAPTURED: "paid",
    HoldStatus.VOIDED: "released",
    HoldStatus.FAILED: "declined",
}
TASK_KINDS: Final[dict[str, str]] = {
    OrderTaskKind.CONFIRMATION_EMAIL: "E-mail confirming the order",
    OrderTaskKind.INVOICE_PDF: "Making the invoice",
    OrderTaskKind.CAPTURE_HOLD: "Taking the held amount",
    OrderTaskKind.VOID_HOLD: "Releasing the hold",
    OrderTaskKind.SHIPPING_REGISTRATION: "Registering the parcel for shipping",
    OrderTaskKind.SHIPPING_NOTICE: "E-mail with the tracking number",
}


@register.filter
def hold_label(hold_status: str) -> str:
    """`{% badge order.hold_status order.hold_status|hold_label %}`."""
    return HOLD_LABELS.get(hold_status, hold_status.lower().replace("_", " "))


@register.filter
def task_kind(kind: str) -> str:
    """What a piece of the order's work does, in words."""
    return TASK_KINDS.get(kind, kind.replace("_", " "))


@register.filter
def status_word(status: str) -> str:
    """An order status as the pages write it (`REQUIRES_ACTION`: requires action)."""
    return status.lower().replace("_", " ")
