"""What of a gateway's message is stored: only the keys its adapter names (an
allow-list), so that the payer's name, e-mail, phone, address, IP and free-form
fields never are, while processing still finds all it reads."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from kit.redaction import is_sensitive_key, stored_payload
from payments.models import GatewayEventRecord, PaymentStatus, Refund
from tests.payments.webhook_messages import (
    CARD_TOKEN,
    PERSONAL_DATA,
    WebhookPoster,
    cloudpayments_fields,
    cloudpayments_personal_fields,
    new_payment,
    stripe_intent_event,
    stripe_personal_fields,
)

pytestmark = pytest.mark.django_db


def _stored() -> str:
    return json.dumps([record.payload for record in GatewayEventRecord.objects.all()])


def _personal_data_in(text: str) -> list[str]:
    return [value for value in PERSONAL_DATA if value in text]


class TestStoredCloudPaymentsNotification:
    @pytest.mark.parametrize("kind", ["pay", "fail", "confirm", "refund", "check"])
    def test_holds_no_personal_data_in_named_or_free_form_fields(
        self, webhook_poster: WebhookPoster, kind: str
    ) -> None:
        payment = new_payment()
        fields = {
            **cloudpayments_fields(payment, kind),
            **cloudpayments_personal_fields(),
        }

        webhook_poster.cloudpayments(kind, fields)

        payload = GatewayEventRecord.objects.get().payload
        assert {"Name", "Email", "Phone", "Data", "JsonData", "IpAddress"}.isdisjoint(
            payload
        )
        assert _personal_data_in(_stored()) == []
        assert payload["InvoiceId"] == f"payment:{payment.id}"
        assert payload["AccountId"] == str(payment.payer_id)

    def test_keeps_what_processing_reads(self, webhook_poster: WebhookPoster) -> None:
        """The payment settles from the stored payload, parsed again."""
        payment = new_payment()
        fields = {
            **cloudpayments_fields(payment, "fail"),
            **cloudpayments_personal_fields(),
        }

        webhook_poster.cloudpayments("fail", fields)

        payment.refresh_from_db()
        assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "5051")
        payload = GatewayEventRecord.objects.get().payload
        assert payload["CardLastFour"] == "4242"
        assert payload["Amount"] == fields["Amount"]


class TestStoredStripeEvent:
    def test_holds_no_billing_details_shipping_or_receipt_address(
        self, webhook_poster: WebhookPoster
    ) -> None:
        payment = new_payment(gateway="stripe")
        event = stripe_intent_event(
            payment,
            "payment_intent.succeeded",
            status="succeeded",
            **stripe_personal_fields(),
        )
        event["data"]["object"]["metadata"]["customer_phone"] = PERSONAL_DATA[2]

        webhook_poster.stripe(event)

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED
        intent = GatewayEventRecord.objects.get().payload["data"]["object"]
        assert {"billing_details", "shipping", "receipt_email"}.isdisjoint(intent)
        assert intent["metadata"] == {"reference": f"payment:{payment.id}"}
        assert _personal_data_in(_stored()) == []

    def test_a_charge_keeps_its_refund_ids_and_masked_card_only(
        self, webhook_poster: WebhookPoster
    ) -> None:
        """`charge.refunded` is matched with our refunds by the ids it lists."""
        payment = new_payment(gateway="stripe", status=PaymentStatus.SUCCEEDED)
        charge = {
            "id": "ch_1",
            "object": "charge",
            "amount": payment.amount_minor,
            "amount_refunded": payment.amount_minor,
            "currency": "usd",
            "payment_intent": "pi_webhook_1",
            "payment_method_details": {
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "fingerprint": "Fp1"},
            },
            "receipt_url": f"https://pay.stripe.com/receipts/{PERSONAL_DATA[1]}",
            "refunds": {"object": "list", "data": [{"id": "re_1", "amount": 1}]},
            **stripe_personal_fields(),
        }
        event = stripe_intent_event(payment, "charge.refunded", status="succeeded")
        event["data"]["object"] = charge

        webhook_poster.stripe(event)

        stored = GatewayEventRecord.objects.get().payload["data"]["object"]
        assert stored["refunds"]["data"] == [{"id": "re_1", "amount": 1}]
        assert stored["payment_method_details"]["card"] == {
            "brand": "visa",
            "last4": "4242",
        }
        assert "receipt_url" not in stored
        assert _personal_data_in(_stored()) == []
        assert not Refund.objects.exists()


class TestStoredPayloadPolicy:
    def test_keeps_only_named_keys_at_any_depth_and_never_a_secret(self) -> None:
        payload = {
            "Amount": "10.00",
            "Phone": "+7 912 345-67-89",
            "Token": CARD_TOKEN,
            "data": {"object": {"id": "pi_1", "shipping": {"name": "IVAN"}}},
        }

        stored = stored_payload(
            payload, kept={"Amount", "Token", "data", "object", "id"}
        )

        assert stored == {"Amount": "10.00", "data": {"object": {"id": "pi_1"}}}

    @pytest.mark.parametrize("code", sorted(settings.PAYMENT_GATEWAYS))
    def test_every_gateway_names_what_it_stores_and_no_secret(self, code: str) -> None:
        """A class rule: an adapter without an allow-list, or with a sensitive key
        in it, fails here."""
        adapter = import_string(settings.PAYMENT_GATEWAYS[code])

        kept = adapter.stored_payload_keys

        assert kept
        assert [key for key in kept if is_sensitive_key(key)] == []
        assert not {"Name", "Email", "Phone", "Data", "JsonData"} & kept
        assert not {"billing_details", "shipping", "receipt_email", "address"} & kept
