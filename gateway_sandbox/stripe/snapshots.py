"""The Stripe account in the state file (see `gateway_sandbox.snapshots`).

The resources are already the JSON the API returns and are written as they are; the
test card behind a PaymentMethod is written as its number, a test card's (never a
number typed in: `cards` only ever holds the test table's cards).
"""

from __future__ import annotations

from gateway_sandbox.snapshots import JsonObject, Record, UnreadableState
from gateway_sandbox.stripe.cards import CARDS_BY_NUMBER
from gateway_sandbox.stripe.state import StripeState
from gateway_sandbox.stripe.webhooks import WebhookEndpoint


def state_to_json(state: StripeState) -> JsonObject:
    return {
        "customers": state.customers,
        "payment_methods": state.payment_methods,
        "setup_intents": state.setup_intents,
        "payment_intents": state.payment_intents,
        "charges": state.charges,
        "refunds": state.refunds,
        "events": state.events,
        "deleted_customers": sorted(state.deleted_customers),
        "cards": {pm_id: card.number for pm_id, card in state.cards.items()},
        "set_up_for_off_session": sorted(state.set_up_for_off_session),
        "return_urls": dict(state.return_urls),
    }


def state_from_json(data: Record) -> StripeState:
    """:raises UnreadableState: for data that `state_to_json` did not write."""
    state = StripeState(
        customers=data.objects("customers"),
        deleted_customers=set(data.texts("deleted_customers")),
        payment_methods=data.objects("payment_methods"),
        setup_intents=data.objects("setup_intents"),
        payment_intents=data.objects("payment_intents"),
        charges=data.objects("charges"),
        refunds=data.objects("refunds"),
        events=data.objects("events"),
    )
    cards = data.record("cards")
    for pm_id in cards.names():
        card = CARDS_BY_NUMBER.get(cards.text(pm_id))
        if card is None:
            raise UnreadableState(f"PaymentMethod {pm_id} has no test card")
        state.cards[pm_id] = card
    state.set_up_for_off_session = set(data.texts("set_up_for_off_session"))
    urls = data.record("return_urls")
    state.return_urls = {intent_id: urls.text(intent_id) for intent_id in urls.names()}
    _share_refunds(state)
    return state


def _share_refunds(state: StripeState) -> None:
    """Make each charge's `refunds.data` hold the refunds themselves again.

    In memory they are the same objects as in `state.refunds`; JSON writes them twice,
    and two copies could drift apart once a refund changes.
    """
    for charge in state.charges.values():
        listed = charge.get("refunds")
        if isinstance(listed, dict) and isinstance(listed.get("data"), list):
            listed["data"] = [_kept(state, refund) for refund in listed["data"]]


def _kept(state: StripeState, refund: object) -> object:
    refund_id = refund.get("id") if isinstance(refund, dict) else None
    if not isinstance(refund_id, str):
        return refund
    return state.refunds.get(refund_id, refund)


def endpoint_to_json(endpoint: WebhookEndpoint) -> JsonObject:
    return endpoint.as_json_with_secret()


def endpoint_from_json(data: Record) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=data.text("id"),
        url=data.text("url"),
        enabled_events=data.texts("enabled_events"),
        secret=data.text("secret"),
    )
