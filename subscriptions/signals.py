"""What the subscriptions app announces, for its own receivers and any app above."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction commits, with subscription_id, invoice_id, payment_id
# (None when there was no usable card to charge) and attempt (0 for the first
# failure of the invoice, then 1, 2 … for its retries), when a renewal charge
# fails and the subscription stays PAST_DUE, waiting for a retry or a new card.
renewal_payment_failed = Signal()
