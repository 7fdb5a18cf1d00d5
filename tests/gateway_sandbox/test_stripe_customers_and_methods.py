# mypy: disable-error-code="union-attr, index"
# (The SDK types every response field as Optional; the tests assert the values.)
"""Customers and PaymentMethods through the unmodified SDK (GATEWAYS.md C4 to C6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
import stripe

from tests.gateway_sandbox.sandbox_config import SANDBOX_CONFIG
from tests.gateway_sandbox.stripe_merchant import (
    client_for,
    id_of,
    off_session_payment,
)

pytestmark = pytest.mark.sandbox


@pytest.fixture
def client(stripe_client: stripe.StripeClient) -> stripe.StripeClient:
    return stripe_client


class TestCustomers:
    def test_create_returns_a_typed_customer_with_stripe_fields(
        self, client: stripe.StripeClient
    ) -> None:
        """The reply carries the C4 fields, typed by the SDK from `object`."""
        customer = client.v1.customers.create(
            params={
                "email": "ann@example.com",
                "name": "Ann",
                "metadata": {"account": "42"},
            }
        )

        assert isinstance(customer, stripe.Customer)
        assert customer.id.startswith("cus_")
        assert customer.email == "ann@example.com"
        assert customer.name == "Ann"
        assert customer.metadata.to_dict() == {"account": "42"}
        assert customer.invoice_settings.default_payment_method is None
        assert customer.balance == 0
        assert customer.delinquent is False
        assert customer.livemode is False
        assert customer.tax_exempt == "none"
        assert customer.preferred_locales == []
        assert customer.last_response.request_id.startswith("req_")

    def test_update_merges_metadata_and_blank_values_unset(
        self, client: stripe.StripeClient
    ) -> None:
        """`metadata[k]=` removes one key and `email=` unsets the field."""
        customer = client.v1.customers.create(
            params={"email": "old@example.com", "metadata": {"a": "1", "b": "2"}}
        )

        updated = client.v1.customers.update(
            customer.id, params={"email": "", "metadata": {"b": "", "c": "3"}}
        )

        assert updated.email is None
        assert updated.metadata.to_dict() == {"a": "1", "c": "3"}

    def test_delete_leaves_a_deleted_stub(self, client: stripe.StripeClient) -> None:
        """Deleted customers read back as stubs and can no longer be changed."""
        customer = client.v1.customers.create()

        deleted = client.v1.customers.delete(customer.id)
        retrieved = client.v1.customers.retrieve(customer.id)

        assert deleted.deleted is True
        assert retrieved.deleted is True
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.customers.update(customer.id, params={"name": "Nobody"})
        assert raised.value.http_status == 404
        assert raised.value.code == "resource_missing"

    def test_list_filters_by_email_and_pages_newest_first(
        self, client: stripe.StripeClient
    ) -> None:
        """auto_paging_iter walks every page through `url` and `starting_after`."""
        created = [
            client.v1.customers.create(
                params={
                    "email": "vip@example.com" if i % 4 == 0 else f"{i}@example.com"
                }
            ).id
            for i in range(12)
        ]

        first_page = client.v1.customers.list(params={"limit": 5})
        everyone = [c.id for c in first_page.auto_paging_iter()]
        vips = client.v1.customers.list(params={"email": "vip@example.com"})

        assert len(first_page.data) == 5
        assert first_page.has_more is True
        assert first_page.url == "/v1/customers"
        assert everyone == list(reversed(created))
        assert [c.id for c in vips.data] == [created[8], created[4], created[0]]

    def test_ending_before_returns_the_newer_neighbours(
        self, client: stripe.StripeClient
    ) -> None:
        ids = [client.v1.customers.create().id for _ in range(4)]

        page = client.v1.customers.list(params={"ending_before": ids[1], "limit": 1})

        assert [c.id for c in page.data] == [ids[2]]
        assert page.has_more is True

    def test_unknown_customer_is_resource_missing(
        self, client: stripe.StripeClient
    ) -> None:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.customers.retrieve("cus_missing")

        assert raised.value.http_status == 404
        assert raised.value.code == "resource_missing"
        assert raised.value.param == "id"
        assert "cus_missing" in str(raised.value.user_message)


class TestPaymentMethods:
    def test_magic_ids_clone_a_new_payment_method_on_each_use(
        self, client: stripe.StripeClient
    ) -> None:
        """`pm_card_visa` is a template: two uses give two different `pm_` ids."""
        first, second = (client.v1.customers.create().id for _ in range(2))

        visa_one = client.v1.payment_methods.attach(
            "pm_card_visa", params={"customer": first}
        )
        visa_two = client.v1.payment_methods.attach(
            "pm_card_visa", params={"customer": second}
        )
        amex = client.v1.payment_methods.retrieve("pm_card_amex")

        assert isinstance(visa_one, stripe.PaymentMethod)
        assert visa_one.id != visa_two.id
        assert visa_one.id.startswith("pm_") and visa_one.id != "pm_card_visa"
        assert (visa_one.card.brand, visa_one.card.last4) == ("visa", "4242")
        assert visa_one.card.fingerprint == visa_two.card.fingerprint
        assert visa_one.customer == first
        assert (amex.card.brand, amex.card.last4) == ("amex", "0005")
        assert amex.customer is None

    def test_attach_default_and_detach(self, client: stripe.StripeClient) -> None:
        """Detaching the default card clears the customer's default too."""
        customer = client.v1.customers.create()
        card = client.v1.payment_methods.attach(
            "pm_card_mastercard", params={"customer": customer.id}
        )
        client.v1.customers.update(
            customer.id,
            params={"invoice_settings": {"default_payment_method": card.id}},
        )

        listed = client.v1.customers.payment_methods.list(
            customer.id, params={"type": "card"}
        )
        detached = client.v1.payment_methods.detach(card.id)
        after = client.v1.customers.retrieve(customer.id)

        assert [pm.id for pm in listed.data] == [card.id]
        assert listed.url == f"/v1/customers/{customer.id}/payment_methods"
        assert detached.customer is None
        assert after.invoice_settings.default_payment_method is None

    def test_customer_created_with_card_and_default(
        self, client: stripe.StripeClient
    ) -> None:
        """Naming one magic id for both fields saves the clone as the default."""
        customer = client.v1.customers.create(
            params={
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )

        default = customer.invoice_settings.default_payment_method
        card = client.v1.payment_methods.retrieve(id_of(default))

        assert default.startswith("pm_") and default != "pm_card_visa"
        assert card.customer == customer.id

    def test_attach_to_a_second_customer_is_refused(
        self, client: stripe.StripeClient
    ) -> None:
        first, second = (client.v1.customers.create().id for _ in range(2))
        card = client.v1.payment_methods.attach(
            "pm_card_visa", params={"customer": first}
        )

        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_methods.attach(card.id, params={"customer": second})

        assert raised.value.http_status == 400

    def test_unknown_magic_id_is_resource_missing(
        self, client: stripe.StripeClient
    ) -> None:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.payment_intents.create(
                params={
                    "amount": 1000,
                    "currency": "usd",
                    "payment_method": "pm_card_doesNotExist",
                }
            )

        assert raised.value.code == "resource_missing"
        assert raised.value.param == "payment_method"

    def test_publishable_key_creates_card_payment_methods_only(
        self, sandbox_url: str
    ) -> None:
        """The widget path: card details with `pk_…`; other endpoints want `sk_…`."""
        browser = client_for(sandbox_url, api_key=SANDBOX_CONFIG.stripe_publishable_key)
        year = dt.datetime.now(dt.UTC).year + 2

        card = browser.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {
                    "number": "4000056655665556",
                    "exp_month": 7,
                    "exp_year": year,
                    "cvc": "123",
                },
                "billing_details": {"name": "Ann"},
            }
        )

        assert (card.card.last4, card.card.funding) == ("5556", "debit")
        assert (card.card.exp_month, card.card.exp_year) == (7, year)
        assert card.billing_details.name == "Ann"
        with pytest.raises(stripe.AuthenticationError):
            browser.v1.customers.create()

    @pytest.mark.parametrize(
        ("details", "code", "param"),
        [
            ({"number": "4242424242424241"}, "incorrect_number", "card[number]"),
            ({"exp_year": 2001}, "expired_card", "card[exp_year]"),
            ({"exp_month": 13}, "invalid_expiry_month", "card[exp_month]"),
            ({"cvc": "12"}, "invalid_cvc", "card[cvc]"),
        ],
    )
    def test_card_form_refuses_bad_details(
        self,
        client: stripe.StripeClient,
        details: dict[str, object],
        code: str,
        param: str,
    ) -> None:
        card: Any = {
            "number": "4242424242424242",
            "exp_month": 12,
            "exp_year": dt.datetime.now(dt.UTC).year + 1,
            "cvc": "123",
            **details,
        }

        with pytest.raises(stripe.CardError) as raised:
            client.v1.payment_methods.create(params={"type": "card", "card": card})

        assert raised.value.code == code
        assert raised.value.param == param


class TestSandboxCardEndpoint:
    """`POST /__sandbox/stripe/payment_methods`, used by the browser card page."""

    def tokenize(
        self, sandbox_url: str, number: str, **extra: object
    ) -> requests.Response:
        payload = {
            "number": number,
            "exp_month": 12,
            "exp_year": dt.datetime.now(dt.UTC).year + 1,
            "cvc": "123",
            **extra,
        }
        return requests.post(
            f"{sandbox_url}/__sandbox/stripe/payment_methods", json=payload, timeout=10
        )

    def test_test_numbers_behave_like_their_magic_ids(
        self, sandbox_url: str, client: stripe.StripeClient
    ) -> None:
        """9995 declines for funds, 3184 needs authentication off-session."""
        poor = self.tokenize(sandbox_url, "4000000000009995").json()["id"]
        strict = self.tokenize(sandbox_url, "4000 0027 6000 3184").json()["id"]
        good = self.tokenize(sandbox_url, "4242424242424242").json()
        customer = client.v1.customers.create().id
        for pm in (poor, strict):
            client.v1.payment_methods.attach(pm, params={"customer": customer})

        with pytest.raises(stripe.CardError) as poor_error:
            off_session_payment(client, customer=customer, payment_method=poor)
        with pytest.raises(stripe.CardError) as strict_error:
            off_session_payment(client, customer=customer, payment_method=strict)

        assert good["id"].startswith("pm_")
        assert good["card"] == {
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": dt.datetime.now(dt.UTC).year + 1,
        }
        assert poor_error.value.error.decline_code == "insufficient_funds"
        assert strict_error.value.code == "authentication_required"

    @pytest.mark.parametrize(
        ("number", "extra", "code"),
        [
            ("4111111111111111", {}, "card_declined"),
            ("4242424242424242", {"exp_year": 2020}, "expired_card"),
            ("1234", {}, "incorrect_number"),
        ],
    )
    def test_refused_cards_answer_a_402_error_object(
        self, sandbox_url: str, number: str, extra: dict[str, object], code: str
    ) -> None:
        response = self.tokenize(sandbox_url, number, **extra)

        assert response.status_code == 402
        error = response.json()["error"]
        assert error["type"] == "card_error"
        assert error["code"] == code
        assert error["message"]

    def test_malformed_request_is_a_400(self, sandbox_url: str) -> None:
        response = self.tokenize(sandbox_url, "4242424242424242", exp_month="soon")

        assert response.status_code == 400
        assert response.json()["error"]["param"] == "exp_month"
