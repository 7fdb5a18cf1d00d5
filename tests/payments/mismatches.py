"""What a payment's refused gateway report leaves behind, read back for tests."""

from __future__ import annotations

from billing.models import BillingEvent, StatusChange
from payments.models import Payment


def mismatch_recorded(payment: Payment) -> str:
    """The reason of the payment's one mismatch, once its row, its audit row and
    its `payment.mismatch` event are found to agree."""
    payment.refresh_from_db()
    recorded = payment.mismatches.get()
    change = StatusChange.objects.get(
        object_type="payment", object_id=str(payment.id), reason__startswith="mismatch"
    )
    event = BillingEvent.objects.get(
        type="payment.mismatch", payload__payment_id=str(payment.id)
    )
    assert change.from_status == change.to_status == payment.status
    assert recorded.reason in change.reason
    assert event.payload["reason"] == recorded.reason
    assert event.payload["reported"] == recorded.reported
    assert event.payload["expected"] == recorded.expected
    return recorded.reason
