"""One action on the simulated account: an API request, or a 3-D Secure answer.

It carries what every state change needs to leave its traces: the Event (stored for
`/v1/events` and queued for webhooks) with the request that caused it, and the ledger
entry for money that moved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gateway_sandbox.ledger import GatewayLedgerEntry, LedgerKind
from gateway_sandbox.stripe.encoding import Params
from gateway_sandbox.stripe.events import build_event
from gateway_sandbox.stripe.state import StripeState
from gateway_sandbox.stripe.webhooks import WebhookEndpoints
from gateway_sandbox.stripe.wire import JsonObject

if TYPE_CHECKING:
    from gateway_sandbox.app import Sandbox


@dataclass(slots=True)
class Call:
    state: StripeState
    sandbox: Sandbox
    webhooks: WebhookEndpoints
    now: dt.datetime
    # The sandbox's own address as the client reached it, for 3-D Secure links.
    base_url: str
    api_version: str
    request_id: str | None = None
    idempotency_key: str | None = None
    params: Params = field(default_factory=lambda: Params({}))
    path_args: dict[str, str] = field(default_factory=dict)

    @property
    def timestamp(self) -> int:
        return int(self.now.timestamp())

    def emit(
        self,
        event_type: str,
        obj: JsonObject,
        previous_attributes: JsonObject | None = None,
    ) -> JsonObject:
        """Record an Event with a snapshot of `obj` and queue it for the endpoints."""
        event = build_event(
            event_type=event_type,
            obj=obj,
            previous_attributes=previous_attributes,
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
            api_version=self.api_version,
            created=self.timestamp,
            pending_webhooks=self.webhooks.count_for(event_type),
        )
        self.state.events[event["id"]] = event
        self.webhooks.deliver(event)
        return event

    def record_money(
        self, kind: LedgerKind, *, transaction_id: str, amount: int, intent: JsonObject
    ) -> None:
        """Write what the gateway did with money, keyed like the PaymentIntent."""
        metadata = intent.get("metadata") or {}
        self.sandbox.ledger.record(
            GatewayLedgerEntry(
                gateway="stripe",
                kind=kind,
                transaction_id=transaction_id,
                amount_minor=amount,
                currency=intent["currency"].upper(),
                account_id=intent.get("customer"),
                invoice_id=metadata.get("invoice"),
                reference=metadata.get("reference"),
                at=self.now,
            )
        )
