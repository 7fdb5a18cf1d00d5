"""What the payments app tells the apps above it, without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction commits, with payment_id, pays (what the payment is for,
# so that a receiver can skip payments that are not its own), kind (INITIAL for a
# card just entered, RECURRING for a renewal …), from_status, to_status and actor
# (who moved it: "system:renewals", "system:janitor", "webhook:stripe" …).
# Receivers (subscriptions, for example) enqueue their own work; they do none here.
payment_status_changed = Signal()

# Sent after the transaction commits, with setup_id, purpose (what the card was
# verified for, such as "subscription:<uuid>"), from_status and to_status; the card is
# saved (and is the payer's default) by the time to_status is SUCCEEDED.
card_setup_status_changed = Signal()

# Sent after a transaction that stored a new (or resent) gateway event commits, with
# no arguments; the receiver asks for a drain that processes what is stored.
gateway_events_stored = Signal()

# Sent after the transaction commits, with payment_method_id and reason (the
# gateway's decline code), when a saved card becomes unusable for good (expired,
# lost, stolen): the payer must enter another.
payment_method_expired = Signal()

# Sent after the transaction commits, with gateway, day (ISO) and actor, when a person
# asks for a day to be reconciled: the receiver queues the run for a worker.
reconciliation_requested = Signal()
