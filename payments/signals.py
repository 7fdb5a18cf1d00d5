"""What the payments app tells the apps above it, without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction commits, with payment_id, pays (what the payment is for,
# so that a receiver can skip payments that are not its own), from_status and
# to_status.
# Receivers (subscriptions, for example) enqueue their own work; they do none here.
payment_status_changed = Signal()
