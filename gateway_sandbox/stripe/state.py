"""Everything the simulated Stripe account holds, in memory, oldest first.

Objects are kept as the JSON dicts the API returns (GATEWAYS.md C4), so what a client
reads is exactly what is stored. Facts Stripe keeps but does not show (how a card
behaves, whether it went through a SetupIntent) sit beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway_sandbox.stripe.cards import TestCard
from gateway_sandbox.stripe.errors import resource_missing
from gateway_sandbox.stripe.ordering import CreationIndex
from gateway_sandbox.stripe.wire import JsonObject


@dataclass(slots=True)
class StripeState:
    customers: dict[str, JsonObject] = field(default_factory=dict)
    deleted_customers: set[str] = field(default_factory=set)
    payment_methods: dict[str, JsonObject] = field(default_factory=dict)
    # The test card behind each PaymentMethod: what its payments will do.
    cards: dict[str, TestCard] = field(default_factory=dict)
    # PaymentMethods that a SetupIntent (or an authenticated payment with
    # setup_future_usage) prepared for off-session use without a new challenge.
    set_up_for_off_session: set[str] = field(default_factory=set)
    setup_intents: dict[str, JsonObject] = field(default_factory=dict)
    payment_intents: dict[str, JsonObject] = field(default_factory=dict)
    charges: dict[str, JsonObject] = field(default_factory=dict)
    refunds: dict[str, JsonObject] = field(default_factory=dict)
    events: dict[str, JsonObject] = field(default_factory=dict)
    # Where the 3-D Secure page sends the customer back to, per intent.
    return_urls: dict[str, str] = field(default_factory=dict)
    # Derived, never saved: the lists reconciliation pages through at 100,000.
    intent_order: CreationIndex = field(default_factory=CreationIndex, repr=False)
    charge_order: CreationIndex = field(default_factory=CreationIndex, repr=False)
    refund_order: CreationIndex = field(default_factory=CreationIndex, repr=False)

    def customer(self, customer_id: str, *, param: str = "customer") -> JsonObject:
        """:raises StripeApiError: resource_missing, also for a deleted customer."""
        found = self.customers.get(customer_id)
        if found is None or customer_id in self.deleted_customers:
            raise resource_missing("customer", customer_id, param=param)
        return found

    def payment_method(
        self, pm_id: str, *, param: str = "payment_method"
    ) -> JsonObject:
        found = self.payment_methods.get(pm_id)
        if found is None:
            raise resource_missing("PaymentMethod", pm_id, param=param)
        return found

    def setup_intent(self, seti_id: str, *, param: str = "id") -> JsonObject:
        found = self.setup_intents.get(seti_id)
        if found is None:
            raise resource_missing("setupintent", seti_id, param=param)
        return found

    def payment_intent(self, pi_id: str, *, param: str = "id") -> JsonObject:
        found = self.payment_intents.get(pi_id)
        if found is None:
            raise resource_missing("payment_intent", pi_id, param=param)
        return found

    def charge(self, charge_id: str, *, param: str = "id") -> JsonObject:
        found = self.charges.get(charge_id)
        if found is None:
            raise resource_missing("charge", charge_id, param=param)
        return found

    def refund(self, refund_id: str, *, param: str = "id") -> JsonObject:
        found = self.refunds.get(refund_id)
        if found is None:
            raise resource_missing("refund", refund_id, param=param)
        return found
