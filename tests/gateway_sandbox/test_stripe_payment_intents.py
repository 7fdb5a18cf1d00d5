# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""PaymentIntents: off-session charges, declines, capture and cancel (C5.3, C5.8)."""

from __future__ import annotations

import pytest
import stripe

from tests.gateway_sandbox.stripe_merchant import (
    id_of,
    ledger,
    off_session_payment,
    saved_card,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


def authorize(client: stripe.StripeClient, amount: int = 1000) -> stripe.PaymentIntent:
    customer, card = saved_card(client, "pm_card_visa")
    return off_session_payment(
        client,
        customer=customer,
        payment_method=card,
        amount=amount,
        capture_method="manual",
        metadata={"invoice": "inv_7", "reference": "ref_7"},
    )


class TestOffSessionPayments:
    def test_visa_succeeds_with_a_captured_charge_and_a_ledger_entry(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        customer, card = saved_card(client, "pm_card_visa")

        intent = off_session_payment(
            client,
            customer=customer,
            payment_method=card,
            amount=2500,
            metadata={"invoice": "inv_1", "reference": "sub_1:2026-01"},
        )
        expanded = client.v1.payment_intents.retrieve(
            intent.id, params={"expand": ["latest_charge"]}
        )
        charge = expanded.latest_charge

        assert isinstance(intent, stripe.PaymentIntent)
        assert intent.status == "succeeded"
        assert (intent.amount, intent.amount_received, intent.currency) == (
            2500,
            2500,
            "usd",
        )
        assert intent.capture_method == "automatic_async"
        assert intent.payment_method == card
        assert intent.latest_charge.startswith("ch_")
        assert isinstance(charge, stripe.Charge)
        assert (charge.paid, charge.captured, charge.amount_captured) == (
            True,
            True,
            2500,
        )
        assert charge.payment_method_details.card.last4 == "4242"
        assert charge.outcome.type == "authorized"
        [entry] = ledger(sandbox_url)["entries"]
        assert entry["kind"] == "capture"
        assert entry["transaction_id"] == intent.id
        assert (entry["amount_minor"], entry["currency"]) == (2500, "USD")
        assert (entry["account_id"], entry["invoice_id"]) == (customer, "inv_1")
        assert entry["reference"] == "sub_1:2026-01"

    def test_insufficient_funds_decline_persists_the_failed_intent(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        customer, card = saved_card(client, "pm_card_chargeDeclinedInsufficientFunds")

        with pytest.raises(stripe.CardError) as raised:
            off_session_payment(client, customer=customer, payment_method=card)

        error = raised.value
        assert error.http_status == 402
        assert error.code == "card_declined"
        assert error.error.decline_code == "insufficient_funds"
        assert error.user_message == "Your card has insufficient funds."
        assert isinstance(error.error.payment_intent, stripe.PaymentIntent)
        assert error.error.payment_intent.status == "requires_payment_method"
        assert error.error.payment_method.id == card
        assert error.error.charge.startswith("ch_")
        stored = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
        assert stored.status == "requires_payment_method"
        assert stored.last_payment_error.decline_code == "insufficient_funds"
        assert stored.last_payment_error.payment_method.id == card
        assert stored.payment_method is None
        assert ledger(sandbox_url)["entries"] == []

    @pytest.mark.parametrize(
        ("magic_id", "code", "decline_code"),
        [
            ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
            ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
            (
                "pm_card_visa_chargeDeclinedInsufficientFunds",
                "card_declined",
                "insufficient_funds",
            ),
            ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card"),
            ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
            ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
            ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
            (
                "pm_card_chargeDeclinedProcessingError",
                "processing_error",
                "processing_error",
            ),
            (
                "pm_card_visa_chargeDeclinedVelocityLimitExceeded",
                "card_declined",
                "card_velocity_exceeded",
            ),
        ],
    )
    def test_decline_cards_answer_their_codes(
        self, client: stripe.StripeClient, magic_id: str, code: str, decline_code: str
    ) -> None:
        with pytest.raises(stripe.CardError) as raised:
            client.v1.payment_intents.create(
                params={
                    "amount": 1000,
                    "currency": "eur",
                    "payment_method": magic_id,
                    "confirm": True,
                }
            )

        assert raised.value.code == code
        assert raised.value.error.decline_code == decline_code

    def test_authentication_required_card_declines_without_a_charge(
        self, client: stripe.StripeClient
    ) -> None:
        customer, card = saved_card(client, "pm_card_authenticationRequired")

        with pytest.raises(stripe.CardError) as raised:
            off_session_payment(client, customer=customer, payment_method=card)

        error = raised.value
        assert (error.code, error.error.decline_code) == (
            "authentication_required",
            "authentication_required",
        )
        assert error.error.charge is None
        assert error.error.payment_intent.latest_charge is None

    def test_setup_future_usage_saves_the_card_to_the_customer(
        self, client: stripe.StripeClient
    ) -> None:
        customer = client.v1.customers.create().id

        intent = client.v1.payment_intents.create(
            params={
                "amount": 1000,
                "currency": "usd",
                "customer": customer,
                "payment_method": "pm_card_visa",
                "setup_future_usage": "off_session",
                "confirm": True,
                "automatic_payment_methods": {
                    "enabled": True,
                    "allow_redirects": "never",
                },
            }
        )
        card = client.v1.payment_methods.retrieve(id_of(intent.payment_method))

        assert intent.status == "succeeded"
        assert intent.setup_future_usage == "off_session"
        assert intent.automatic_payment_methods.allow_redirects == "never"
        assert card.customer == customer


class TestTwoStepPayments:
    def test_create_update_then_confirm(self, client: stripe.StripeClient) -> None:
        intent = client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd"}
        )

        updated = client.v1.payment_intents.update(
            intent.id, params={"amount": 1500, "metadata": {"invoice": "inv_2"}}
        )
        confirmed = client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa"}
        )

        assert intent.status == "requires_payment_method"
        assert intent.client_secret.startswith(f"{intent.id}_secret_")
        assert (updated.amount, updated.metadata.to_dict()) == (
            1500,
            {"invoice": "inv_2"},
        )
        assert (confirmed.status, confirmed.amount_received) == ("succeeded", 1500)

    def test_manual_capture_of_part_of_the_authorization(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = authorize(client)

        captured = client.v1.payment_intents.capture(
            intent.id, params={"amount_to_capture": 600}
        )
        charge = client.v1.charges.retrieve(id_of(captured.latest_charge))

        assert (intent.status, intent.amount_capturable) == ("requires_capture", 1000)
        assert (captured.status, captured.amount_received) == ("succeeded", 600)
        assert captured.amount_capturable == 0
        assert (charge.captured, charge.amount_captured) == (True, 600)
        entries = ledger(sandbox_url)["entries"]
        assert [(e["kind"], e["amount_minor"]) for e in entries] == [
            ("authorize", 1000),
            ("capture", 600),
        ]
        assert entries[1]["invoice_id"] == "inv_7"
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.capture(intent.id)
        assert raised.value.code == "payment_intent_unexpected_state"

    def test_capturing_more_than_authorized_is_refused(
        self, client: stripe.StripeClient
    ) -> None:
        intent = authorize(client)

        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.capture(
                intent.id, params={"amount_to_capture": 1001}
            )

        assert raised.value.code == "amount_too_large"
        assert (
            client.v1.payment_intents.retrieve(intent.id).status == "requires_capture"
        )

    def test_cancel_of_an_authorization_voids_it(
        self, client: stripe.StripeClient, sandbox_url: str
    ) -> None:
        intent = authorize(client)

        canceled = client.v1.payment_intents.cancel(
            intent.id, params={"cancellation_reason": "requested_by_customer"}
        )

        assert canceled.status == "canceled"
        assert canceled.cancellation_reason == "requested_by_customer"
        assert canceled.canceled_at is not None
        assert [
            (e["kind"], e["amount_minor"]) for e in ledger(sandbox_url)["entries"]
        ] == [
            ("authorize", 1000),
            ("void", 1000),
        ]
        assert ledger(sandbox_url)["totals"]["USD"]["captured_minor"] == 0
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.cancel(intent.id)
        assert raised.value.code == "payment_intent_unexpected_state"

    def test_a_succeeded_payment_cannot_be_canceled(
        self, client: stripe.StripeClient
    ) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        intent = off_session_payment(client, customer=customer, payment_method=card)

        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.cancel(intent.id)

        assert raised.value.code == "payment_intent_unexpected_state"

    def test_list_filters_by_customer_and_created(
        self, client: stripe.StripeClient
    ) -> None:
        first, card = saved_card(client, "pm_card_visa")
        second, other_card = saved_card(client, "pm_card_visa")
        mine = off_session_payment(client, customer=first, payment_method=card)
        off_session_payment(client, customer=second, payment_method=other_card)

        by_customer = client.v1.payment_intents.list(params={"customer": first})
        too_early = client.v1.payment_intents.list(
            params={"created": {"lt": mine.created}}
        )
        window = client.v1.payment_intents.list(
            params={"created": {"gte": mine.created, "lte": mine.created + 60}}
        )

        assert [i.id for i in by_customer.data] == [mine.id]
        assert too_early.data == []
        assert len(window.data) == 2


class TestSearch:
    """`GET /v1/payment_intents/search`, for `metadata['key']:'value'` queries only."""

    def test_finds_by_metadata_newest_first(self, client: stripe.StripeClient) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        older = off_session_payment(
            client,
            customer=customer,
            payment_method=card,
            metadata={"reference": "payment:1"},
        )
        newer = off_session_payment(
            client,
            customer=customer,
            payment_method=card,
            metadata={"reference": "payment:1"},
        )
        off_session_payment(
            client,
            customer=customer,
            payment_method=card,
            metadata={"reference": "payment:2"},
        )

        found = client.v1.payment_intents.search(
            params={
                "query": "metadata['reference']:'payment:1'",
                "expand": ["data.latest_charge"],
            }
        )

        assert isinstance(found, stripe.SearchResultObject)
        assert found["object"] == "search_result"
        assert [intent.id for intent in found.data] == [newer.id, older.id]
        assert isinstance(found.data[0], stripe.PaymentIntent)
        assert isinstance(found.data[0].latest_charge, stripe.Charge)
        assert (found.has_more, found.next_page) == (False, None)
        assert found["url"] == "/v1/payment_intents/search"

    def test_pages_through_results(self, client: stripe.StripeClient) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        made = [
            off_session_payment(
                client,
                customer=customer,
                payment_method=card,
                metadata={"reference": "payment:paged"},
            )
            for _ in range(3)
        ]

        first = client.v1.payment_intents.search(
            params={"query": "metadata['reference']:'payment:paged'", "limit": 2}
        )
        every = list(first.auto_paging_iter())

        assert first.has_more is True
        assert first.next_page
        assert [intent.id for intent in every] == [m.id for m in reversed(made)]

    def test_quotes_in_values_are_escaped(self, client: stripe.StripeClient) -> None:
        customer, card = saved_card(client, "pm_card_visa")
        intent = off_session_payment(
            client,
            customer=customer,
            payment_method=card,
            metadata={"reference": "o'brien"},
        )

        found = client.v1.payment_intents.search(
            params={"query": "metadata[\"reference\"]:'o\\'brien'"}
        )

        assert [i.id for i in found.data] == [intent.id]

    def test_no_match_is_an_empty_result(self, client: stripe.StripeClient) -> None:
        found = client.v1.payment_intents.search(
            params={"query": "metadata['reference']:'missing'"}
        )

        assert (found.data, found.has_more) == ([], False)

    @pytest.mark.parametrize(
        "query", ["status:'succeeded'", "metadata['reference']:'a' AND amount>1", ""]
    )
    def test_other_queries_are_refused(
        self, client: stripe.StripeClient, query: str
    ) -> None:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.search(params={"query": query})

        assert raised.value.http_status == 400
        assert raised.value.param == "query"
