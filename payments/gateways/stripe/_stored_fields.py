"""What of a Stripe Event is stored (GATEWAYS.md D), by key name at any depth.

The Event's envelope, and of its PaymentIntent, Charge, Refund or SetupIntent:
ids, money, states, the decline, the masked card, and our own metadata keys.
Left out: `billing_details` and `shipping` (the payer's name, e-mail, phone and
address), `receipt_email` and `receipt_url`, descriptions, any metadata key the
service did not set, and the PaymentMethod id and client secrets.
"""

from __future__ import annotations

from typing import Final

STORED_KEYS: Final = frozenset(
    {
        # The Event.
        "id",
        "object",
        "type",
        "created",
        "livemode",
        "api_version",
        "pending_webhooks",
        "data",
        "previous_attributes",
        "request",
        "idempotency_key",
        # Money and state of PaymentIntents, Charges, Refunds and SetupIntents.
        "amount",
        "amount_capturable",
        "amount_received",
        "amount_captured",
        "amount_refunded",
        "currency",
        "status",
        "captured",
        "paid",
        "refunded",
        "capture_method",
        "cancellation_reason",
        "canceled_at",
        "usage",
        "reason",
        # What they belong to.
        "customer",
        "payment_intent",
        "setup_intent",
        "latest_charge",
        "charge",
        "balance_transaction",
        "refunds",
        "has_more",
        "total_count",
        # Why it failed.
        "last_payment_error",
        "last_setup_error",
        "code",
        "decline_code",
        "failure_code",
        "failure_message",
        "message",
        "outcome",
        "network_status",
        "seller_message",
        "risk_level",
        # The masked card.
        "payment_method_details",
        "card",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "funding",
        "country",
        "network",
        # Our own metadata keys (`ChargeRequest.metadata`, the payer's Customer).
        "metadata",
        "reference",
        "invoice",
        "pays",
        "payer_id",
    }
)
